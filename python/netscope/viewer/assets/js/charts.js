// The metric charts (SVG) beside the map, and the active subspace's spectrum. Clicking a chart
// picks the snapshot under the pointer. Their colours are page.css's (classes and var(--…)), so
// they follow the theme without being drawn again.
(function (modules) {
  "use strict";
  const SVG = "http://www.w3.org/2000/svg";
  const SERIES = 6; // page.css's --series-0 … --series-5

  // A series' stroke: the colour Python gave it where that is a CSS variable ("var(--correct)" or
  // "--correct") or currentColor, which follow the theme; else the theme's j-th series colour.
  function seriesColour(colour, j) {
    const c = typeof colour === "string" ? colour.trim() : "";
    if (/^var\(--[\w-]+\)$/.test(c)) return c;
    if (/^--[\w-]+$/.test(c)) return "var(" + c + ")";
    if (/^currentcolor$/i.test(c)) return "currentColor";
    return "var(--series-" + j % SERIES + ")";
  }

  function element(name, attributes, parent) {
    const e = document.createElementNS(SVG, name);
    for (const [k, v] of Object.entries(attributes)) e.setAttribute(k, String(v));
    if (parent) parent.append(e);
    return e;
  }
  // One chart of `spec` (title, series over snapshots); onPick(t) when it is clicked at snapshot t.
  function chart(spec, snapshots, width, height, onPick) {
    const figure = document.createElement("figure"), caption = document.createElement("figcaption");
    caption.textContent = spec.title;
    const svg = element("svg", { width, height, class: "chart" });
    figure.append(caption, svg);
    const left = 34, right = 6, top = 6, bottom = 16, values = [];
    for (const s of spec.series) for (const v of s.values) if (v !== null) values.push(v);
    let lo = values.length ? Math.min(...values) : 0, hi = values.length ? Math.max(...values) : 1;
    if (!(hi > lo)) { lo -= 0.5; hi += 0.5; }
    const pad = (hi - lo) * 0.08; lo -= pad; hi += pad;
    const count = spec.series[0].values.length;
    const x = (t) => left + (count > 1 ? t / (count - 1) : 0.5) * (width - left - right);
    const y = (v) => top + (1 - (v - lo) / (hi - lo)) * (height - top - bottom);
    element("line", { x1: left, x2: left, y1: top, y2: height - bottom, class: "axis" }, svg);
    element("line", { x1: left, x2: width - right, y1: height - bottom, y2: height - bottom, class: "axis" }, svg);
    for (const v of [lo + pad, hi - pad]) {
      const label = element("text", { x: left - 3, y: y(v) + 3, "text-anchor": "end" }, svg);
      label.textContent = Math.abs(v) < 10 ? v.toFixed(2) : v.toPrecision(3);
    }
    const first = element("text", { x: x(0), y: height - 4, "text-anchor": "start" }, svg);
    first.textContent = String(snapshots[0]);
    const last = element("text", { x: x(count - 1), y: height - 4, "text-anchor": "end" }, svg);
    last.textContent = String(snapshots[count - 1]);
    const stroke = (s, j) => ({ style: "stroke: " + seriesColour(s.colour, j), "stroke-dasharray": s.dash ? "4 2" : "none" });
    spec.series.forEach((s, j) => {
      const points = s.values.map((v, t) => v === null ? null : x(t) + "," + y(v)).filter((p) => p);
      element("polyline", { points: points.join(" "), fill: "none", "stroke-width": 1.5, ...stroke(s, j),
        opacity: s.opacity === undefined ? 1 : s.opacity }, svg);
    });
    // The key: each name in the text's colour (a series colour has 3:1, too little for small text), after a stroke of its line.
    if (spec.series.length > 1) {
      spec.series.forEach((s, j) => {
        const at = top + 10 + 11 * j;
        element("line", { x1: width - right - 14, x2: width - right, y1: at - 3, y2: at - 3, "stroke-width": 1.5, ...stroke(s, j) }, svg);
        const key = element("text", { x: width - right - 18, y: at, "text-anchor": "end", class: "key" }, svg);
        key.textContent = s.name;
      });
    }
    const marker = element("line", { y1: top, y2: height - bottom, class: "marker", "stroke-width": 1, opacity: 0.5 }, svg);
    svg.addEventListener("click", (event) => {
      const box = svg.getBoundingClientRect(), at = (event.clientX - box.left - left) / (width - left - right);
      onPick(Math.min(count - 1, Math.max(0, Math.round(at * (count - 1)))));
    });
    return { figure, marker, x };
  }

  // The charts of one layer into `box`; returns mark(t), which moves their snapshot markers.
  function drawCharts(box, specs, snapshots, onPick) {
    box.replaceChildren();
    const drawn = specs.map((spec) => chart(spec, snapshots, 210, 120, onPick));
    for (const c of drawn) box.append(c.figure);
    return (t) => { for (const c of drawn) { const xt = c.x(t); c.marker.setAttribute("x1", xt); c.marker.setAttribute("x2", xt); } };
  }

  // The spectrum of every snapshot (eigenvalues (T, k)); returns show(t), which brings snapshot t forward.
  function drawSpectrum(svg, eigenvalues, snapshots) {
    const width = 420, height = 170, left = 40, right = 8, top = 8, bottom = 18;
    svg.replaceChildren();
    const all = eigenvalues.flat().filter((v) => v > 0).map(Math.log10);
    let lo = all.length ? Math.min(...all) : -1, hi = all.length ? Math.max(...all) : 0;
    if (!(hi > lo)) { lo -= 0.5; hi += 0.5; }
    const k = eigenvalues[0].length;
    const x = (j) => left + (k > 1 ? j / (k - 1) : 0.5) * (width - left - right);
    const y = (v) => top + (1 - (Math.log10(Math.max(v, Math.pow(10, lo))) - lo) / (hi - lo)) * (height - top - bottom);
    element("line", { x1: left, x2: left, y1: top, y2: height - bottom, class: "axis" }, svg);
    element("line", { x1: left, x2: width - right, y1: height - bottom, y2: height - bottom, class: "axis" }, svg);
    for (const v of [lo, hi]) {
      const label = element("text", { x: left - 3, y: y(Math.pow(10, v)) + 3, "text-anchor": "end" }, svg);
      label.textContent = Math.pow(10, v).toPrecision(2);
    }
    for (const j of [0, k - 1]) {
      const label = element("text", { x: x(j), y: height - 5, "text-anchor": "middle" }, svg);
      label.textContent = "λ" + (j + 1);
    }
    const lines = eigenvalues.map((values) => element("polyline", {
      points: values.map((v, j) => x(j) + "," + y(v)).join(" "), fill: "none", class: "spectrum-line", "stroke-width": 1, opacity: 0.35 }, svg));
    const label = element("text", { x: width - right, y: top + 10, "text-anchor": "end" }, svg);
    let shown = -1;
    return (t) => {
      if (t === shown) return;
      lines.forEach((line, j) => {
        line.classList.toggle("now", j === t); // page.css: the theme's --series-1 (vermillion), the others its axis grey
        line.setAttribute("opacity", j === t ? 1 : 0.35);
        line.setAttribute("stroke-width", j === t ? 2 : 1);
      });
      label.textContent = "snapshot " + snapshots[t] + ": λ1 = " + eigenvalues[t][0].toPrecision(3);
      shown = t;
    };
  }

  modules.charts = { drawCharts, drawSpectrum, seriesColour };
})(globalThis.netscopeModules = globalThis.netscopeModules || {});
