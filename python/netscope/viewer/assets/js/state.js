// The view in the URL's fragment, so that a link reopens it:
//   #layer=act2&snapshot=4&colour=energy&zoom=2,0.4,0.55&search=label%3D3&selection=3-7,12&beside=act3
// layer, snapshot and colour by name (the snapshot by its label, e.g. the epoch), zoom as the
// geometry's view (k, cx, cy), the selected samples as runs of indices, and the layer shown beside
// the first (a name, or * for all of them). Reading ignores what the page does not have. Pure (tests/js).
(function (modules) {
  "use strict";

  // Ascending indices as runs: [3, 4, 5, 6, 7, 12] is "3-7,12" (a lasso selects neighbours, often runs of them).
  function indicesToText(indices) {
    const runs = [];
    for (let k = 0; k < indices.length; k++) {
      const start = indices[k];
      while (k + 1 < indices.length && indices[k + 1] === indices[k] + 1) k++;
      runs.push(indices[k] === start ? String(start) : start + "-" + indices[k]);
    }
    return runs.join(",");
  }
  // The indices below n of such a text, ascending and without repeats.
  function indicesFromText(text, n) {
    const found = new Set();
    for (const run of text.split(",")) {
      const match = /^(\d+)(?:-(\d+))?$/.exec(run.trim());
      if (!match) continue;
      const high = Math.min(n - 1, Number(match[2] === undefined ? match[1] : match[2]));
      for (let i = Number(match[1]); i <= high; i++) found.add(i);
    }
    return [...found].sort((a, b) => a - b);
  }
  function toFragment(view) {
    const parameters = new URLSearchParams();
    parameters.set("layer", view.layer);
    parameters.set("snapshot", view.snapshot);
    parameters.set("colour", view.colour);
    const { k, cx, cy } = view.zoom;
    // Numbers in full (JavaScript writes the shortest text that reads back exactly): the link redraws the same pixels.
    if (k !== 1 || cx !== 0.5 || cy !== 0.5) parameters.set("zoom", [k, cx, cy].join(","));
    if (view.search) parameters.set("search", view.search);
    if (view.selection.length > 0) parameters.set("selection", indicesToText(view.selection));
    if (view.beside) parameters.set("beside", view.beside);
    return "#" + parameters.toString();
  }
  // choices: { layers, snapshots, colours, n (samples) } the page offers. Returns only the valid fields.
  function fromFragment(fragment, choices) {
    const parameters = new URLSearchParams(fragment.replace(/^#/, "")), view = {};
    const layer = parameters.get("layer"), snapshot = parameters.get("snapshot"), colour = parameters.get("colour");
    if (choices.layers.includes(layer)) view.layer = layer;
    if (choices.snapshots.includes(snapshot)) view.snapshot = snapshot;
    if (choices.colours.includes(colour)) view.colour = colour;
    const zoom = (parameters.get("zoom") || "").split(",").map(Number);
    if (zoom.length === 3 && zoom.every(Number.isFinite) && zoom[0] > 0) view.zoom = { k: zoom[0], cx: zoom[1], cy: zoom[2] };
    if (parameters.has("search")) view.search = parameters.get("search");
    if (parameters.has("selection")) view.selection = indicesFromText(parameters.get("selection"), choices.n);
    const beside = parameters.get("beside");
    if (beside === "*" || choices.layers.includes(beside)) view.beside = beside;
    return view;
  }

  const api = { toFragment, fromFragment, indicesToText, indicesFromText };
  modules.state = api;
  if (typeof module !== "undefined") module.exports = api;
})(globalThis.netscopeModules = globalThis.netscopeModules || {});
