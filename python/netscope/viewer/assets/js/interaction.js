// netscope's observatory page: the maps of a training run, wired to its controls. Everything it
// shows is in the JSON block of this file; it makes no network request. The other files
// (decode, geometry, search, state, table, palette, render, webgl, charts) come before this one, in one namespace.
// One or more maps (panels) show layers side by side, linked: they share the zoom, the snapshot,
// the hovered point, the pins and the selection.
(async function (modules) {
  "use strict";
  const { decode } = modules.decode;
  const geometry = modules.geometry, { search } = modules.search, { toFragment, fromFragment } = modules.state;
  const { tableRows, toCsv, toJson } = modules.table;
  const render = modules.render, palette = modules.palette, { drawCharts, drawSpectrum } = modules.charts;
  const MARGIN = 12, ZOOM_STEP = 1.25, PAN_STEP = 40; // pan step in CSS pixels
  const TABLE_ROWS = 200; // rows of the selection shown in the page; the exports hold them all
  const SELECTION_COLOUR = "#1f77b4";

  const D = JSON.parse(document.getElementById("netscope-data").textContent);
  const n = D.n, T = D.snapshots.length;
  const QP = D.levels.position, QS = D.levels.sensitivity, QE = D.levels.energy;
  const labels = await decode(D.labels);
  const trueLabels = await decode(D.true_labels);
  const scrambled = await decode(D.scrambled);
  const predictions = await decode(D.predictions);
  const energy = await decode(D.energy);
  const images = await decode(D.images);
  const metadata = D.metadata || [], hoverText = D.hover_text || null; // columns [{ name, values }], texts
  const layers = [];
  for (const name of D.layers) {
    const entry = D.maps[name];
    layers.push({ name, positions: await decode(entry.positions), sensitivity: await decode(entry.sensitivity), entry });
  }

  // ---------------------------------------------------------------- state and controls
  const S = { layer: 0, beside: "", t: 0, target: 0, playing: false, colour: "class", highlight: null, pinned: new Set(),
    hover: -1, scrambledOnly: false, view: geometry.fitView(), search: "", matches: null,
    selection: [], dragMode: "pan" }; // selection: the selected samples, ascending; beside: "", a layer's name or "*"
  const $ = (id) => document.getElementById(id);
  const selected = new Uint8Array(n); // 1 for the samples in S.selection
  const layerSelect = $("layer"), besideSelect = $("beside"), slider = $("epoch"), play = $("play"), colourSelect = $("colour");
  const searchBox = $("search"), themeToggle = $("theme-toggle");
  D.layers.forEach((name, i) => layerSelect.add(new Option(name, String(i))));
  if (D.layers.length > 1) {
    D.layers.forEach((name) => besideSelect.add(new Option(name, name)));
    besideSelect.add(new Option("all layers", "*"));
  } else $("beside-box").hidden = true;
  // Points without labels have no class to colour by, nor a prediction to call right or wrong.
  const modes = labels ? [["class", "class"]] : [];
  if (predictions && labels) modes.push(["correct", "prediction correct / wrong"]);
  modes.push(["sensitivity", "sensitivity"]);
  if (energy) modes.push(["energy", "active-subspace energy"]);
  for (const [value, text] of modes) colourSelect.add(new Option(text, value));
  S.colour = modes[0][0];
  slider.max = String(T - 1);
  slider.setAttribute("aria-valuetext", String(D.snapshots[0]));
  if (scrambled) $("scrambled-only-box").hidden = false;
  $("summary").textContent = D.summary || "";

  const snapshotAt = (t) => Math.min(T - 1, Math.max(0, Math.round(t)));
  const sensitivityValue = (layer, t, i) => {
    const q = layer.sensitivity[t * n + i];
    return q === 0 ? 0 : Math.pow(10, layer.entry.log_lo + (q - 1) / (QS - 1) * (layer.entry.log_hi - layer.entry.log_lo));
  };
  // The samples' columns beyond the map's: their classes (the prediction at snapshot t), then the caller's metadata.
  function classColumns(t) {
    const name = (c) => D.classes[c], columns = [];
    if (labels) columns.push(["label", (i) => name(labels[i])]);
    if (trueLabels) columns.push(["true_label", (i) => name(trueLabels[i])]);
    if (predictions) columns.push(["prediction", (i) => name(predictions[t * n + i])]);
    return columns;
  }
  const metadataColumns = metadata.map((column) => [column.name, (i) => column.values[i]]);
  // The hover text as a column too (searchable, exported), unless a metadata column already holds it.
  if (hoverText && !metadata.some((column) => column.name.toLowerCase() === "hover_text")) metadataColumns.push(["hover_text", (i) => hoverText[i]]);
  const searchColumns = (t) => [...classColumns(t), ...metadataColumns];
  $("search-columns").textContent = searchColumns(0).map(([name]) => name).join(", ");

  // ---------------------------------------------------------------- colours of the theme (light, dark: the system's unless toggled)
  const systemDark = matchMedia("(prefers-color-scheme: dark)");
  let theme = "light", classColours = [], correctColour = null, wrongColour = null, background = 0, ringColour = 0, ink = "#000";
  function applyTheme() {
    theme = document.documentElement.dataset.theme || (systemDark.matches ? "dark" : "light");
    const colours = palette.THEMES[theme];
    classColours = D.classes.map((_, i) => palette.classColour(i, theme));
    correctColour = palette.rgb(colours.correct); wrongColour = palette.rgb(colours.wrong);
    background = palette.pack(palette.rgb(colours.background)); ringColour = palette.pack(palette.rgb(colours.ring));
    ink = colours.ink;
    themeToggle.setAttribute("aria-pressed", String(theme === "dark"));
    themeToggle.textContent = theme === "dark" ? "☾ dark" : "☀ light";
  }

  // ---------------------------------------------------------------- panels: one map each, side by side
  const mapsBox = $("maps"), renderer = new URLSearchParams(location.search).get("renderer");
  const radius = n <= 1000 ? 3.6 : n <= 10000 ? 2.5 : n <= 50000 ? 1.6 : 1.1;
  const panels = []; // made as they are first needed, kept (with their GPU buffers) when hidden
  let shown = [], size = 0; // the panels on the page; the side of each, in CSS pixels
  function makePanel(j) {
    const stage = document.createElement("div"), canvas = document.createElement("canvas"), overlay = document.createElement("canvas");
    const title = document.createElement("div");
    stage.className = "stage"; title.className = "panel-title";
    canvas.id = j === 0 ? "map" : "map-" + (j + 1);
    overlay.id = j === 0 ? "overlay" : "overlay-" + (j + 1);
    overlay.className = "overlay"; overlay.tabIndex = 0;
    overlay.setAttribute("role", "application"); overlay.setAttribute("aria-roledescription", "map");
    overlay.setAttribute("aria-describedby", "map-status");
    stage.append(canvas, overlay, title);
    if (j === 0) stage.append($("reset-view"));
    mapsBox.append(stage);
    const panel = { index: j, stage, overlay, title, painter: modules.webgl.createMapPainter(canvas, renderer),
      context: overlay.getContext("2d"), layer: null, colours: new Uint32Array(n), styleKey: "" };
    listen(panel);
    return panel;
  }
  function arrangePanels() {
    const others = S.beside === "*" ? D.layers.map((_, j) => j) : S.beside ? [D.layers.indexOf(S.beside)] : [];
    const chosen = [S.layer, ...others.filter((j) => j !== S.layer)];
    while (panels.length < chosen.length) panels.push(makePanel(panels.length));
    shown = panels.slice(0, chosen.length);
    panels.forEach((panel, j) => { panel.stage.hidden = j >= chosen.length; });
    shown.forEach((panel, j) => {
      const layer = layers[chosen[j]];
      if (panel.layer !== layer) { panel.layer = layer; panel.painter.setPositions(layer.positions, n, T, QP); panel.styleKey = ""; }
      panel.title.textContent = chosen.length > 1 ? layer.name : "";
    });
  }
  // The maps take the window's room: beside the charts while each keeps a useful size, else above them.
  function layout() {
    const k = shown.length, gap = 16, columns = k <= 3 ? k : Math.ceil(Math.sqrt(k)), rows = Math.ceil(k / columns);
    const header = document.querySelector("header").getBoundingClientRect().height;
    const side = document.querySelector(".side").scrollWidth; // with the charts' figures that overflow their grid
    // The window less a scroll bar (the page may need one once the map is large), main's padding and the stages' borders.
    const width = window.innerWidth - 20 - 32, across = (room) => Math.floor((room - (gap + 2) * (columns - 1)) / columns) - 2;
    const besideCharts = across(width - side - gap) >= (k === 1 ? 400 : 480); // compared maps want room: charts below
    const room = Math.min(across(width - (besideCharts ? side + gap : 0)), Math.floor((window.innerHeight - header - 32) / rows - gap));
    const ratio = window.devicePixelRatio || 1;
    size = Math.max(k === 1 ? 320 : 240, room);
    document.documentElement.style.setProperty("--map-size", size + "px");
    document.documentElement.style.setProperty("--maps-width", columns * (size + 2) + (columns - 1) * gap + "px");
    mapsBox.style.gridTemplateColumns = "repeat(" + columns + ", auto)";
    for (const panel of shown) {
      panel.painter.resize(size, ratio, radius);
      panel.overlay.width = panel.overlay.height = Math.round(size * ratio);
      panel.overlay.style.width = panel.overlay.style.height = size + "px";
      panel.context.setTransform(ratio, 0, 0, ratio, 0, 0); // the overlay draws in CSS pixels
    }
  }

  // ---------------------------------------------------------------- colours, fading, shapes, search
  const dimmed = new Uint8Array(n), shapes = new Uint8Array(n); // shapes: 1 draws a cross (a wrong prediction)
  let colourKey = "";
  function runSearch(t) {
    const count = $("search-count");
    count.classList.remove("error");
    try {
      S.matches = search(S.search, n, Object.fromEntries(searchColumns(t).map(([name, value]) => [name.toLowerCase(), value])));
      count.textContent = S.matches ? S.matches.count + " of " + n + " match" : "";
    } catch (error) {
      S.matches = null;
      count.textContent = error.message;
      count.classList.add("error");
    }
  }
  function colourFunction(layer, t) {
    if (S.colour === "class") return (i) => classColours[labels[i]];
    if (S.colour === "correct") return (i) => predictions[t * n + i] === labels[i] ? correctColour : wrongColour;
    if (S.colour === "sensitivity") {
      const [lo, hi] = layer.entry.shown;
      return (i) => {
        const value = sensitivityValue(layer, t, i);
        return palette.ramp(value === 0 ? 0 : (Math.log10(value) - lo) / Math.max(hi - lo, 1e-12));
      };
    }
    const [lo, hi] = D.energy_shown;
    return (i) => palette.ramp((energy[t * n + i] / QE - lo) / Math.max(hi - lo, 1e-12));
  }
  // Fading and shapes are the samples' (one for every panel); colours are each layer's (its sensitivities).
  function updateStyle() {
    const t = snapshotAt(S.t);
    const key = [S.colour, t, S.highlight, S.scrambledOnly, S.search, theme].join("|");
    const changed = key !== colourKey;
    if (changed) {
      colourKey = key;
      runSearch(t); // predictions change with the snapshot
      const matches = S.matches && S.matches.mask;
      for (let i = 0; i < n; i++) {
        const wrong = predictions && labels ? predictions[t * n + i] !== labels[i] : false;
        let dim = false;
        if (S.highlight !== null) {
          if (S.colour === "class") dim = labels[i] !== S.highlight;
          else if (S.colour === "correct") dim = wrong !== (S.highlight === 1);
        }
        if (S.scrambledOnly && scrambled && !scrambled[i]) dim = true;
        if (matches && !matches[i]) dim = true;
        if (S.selection.length > 0 && !selected[i]) dim = true;
        dimmed[i] = dim ? 1 : 0;
        shapes[i] = S.colour === "correct" && wrong ? 1 : 0;
      }
      for (const panel of panels) panel.styleKey = ""; // their fading changed, whatever the key says (a new selection)
    }
    for (const panel of shown) {
      const panelKey = key + "|" + panel.layer.name;
      if (panel.styleKey === panelKey) continue;
      panel.styleKey = panelKey;
      const colourOf = colourFunction(panel.layer, t);
      for (let i = 0; i < n; i++) panel.colours[i] = palette.pack(dimmed[i] ? palette.fade(colourOf(i), theme) : colourOf(i));
      panel.painter.setStyle(panel.colours, dimmed, scrambled, shapes);
    }
    if (changed) { drawNeurons(); selectionTable(t); }
  }

  // ---------------------------------------------------------------- selection: lasso, box, its table and exports
  function select(indices) {
    selected.fill(0);
    for (const i of indices) selected[i] = 1;
    S.selection = indices;
    colourKey = "";
  }
  function tableColumns(t) {
    const layer = shown[0].layer, [label, trueLabel, prediction] = ["label", "true_label", "prediction"]
      .map((name) => classColumns(t).find(([column]) => column === name));
    const columns = [["sample", (i) => i]];
    if (label) columns.push(label);
    if (trueLabel) columns.push(trueLabel);
    if (scrambled) columns.push([D.scramble_kind === "inputs" ? "corrupted" : "scrambled", (i) => scrambled[i] === 1]);
    if (prediction) columns.push(prediction);
    columns.push(["sensitivity", (i) => Number(sensitivityValue(layer, t, i).toPrecision(4))]);
    if (energy) columns.push(["energy", (i) => energy[t * n + i] / QE]);
    return columns.concat(metadataColumns);
  }
  function selectionTable(t) {
    const panel = $("selection-panel");
    panel.hidden = S.selection.length === 0;
    if (panel.hidden) return;
    const columns = tableColumns(t), rows = S.selection.slice(0, TABLE_ROWS);
    $("selection-count").textContent = S.selection.length + " selected (" + D.layers[S.layer] + ", snapshot " +
      D.snapshots[t] + ")" + (rows.length < S.selection.length ? "; the first " + rows.length + " listed" : "");
    const head = document.createElement("tr");
    for (const [name] of columns) { const cell = document.createElement("th"); cell.textContent = name; head.append(cell); }
    const body = tableRows(rows, columns).map((row) => {
      const line = document.createElement("tr");
      for (const value of row) { const cell = document.createElement("td"); cell.textContent = value === null ? "" : String(value); line.append(cell); }
      return line;
    });
    $("selection-table").replaceChildren(head, ...body);
  }
  function exportText(kind) {
    const columns = tableColumns(snapshotAt(S.t)), names = columns.map(([name]) => name);
    const rows = tableRows(S.selection, columns);
    return kind === "csv" ? toCsv(names, rows) : toJson(names, rows);
  }
  // A download made in the page (a Blob), so it works offline.
  function download(kind) {
    const url = URL.createObjectURL(new Blob([exportText(kind)], { type: kind === "csv" ? "text/csv" : "application/json" }));
    const link = document.createElement("a");
    link.href = url;
    link.download = "netscope-selection-" + D.layers[S.layer] + "-" + D.snapshots[snapshotAt(S.t)] + "." + kind;
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  }

  // ---------------------------------------------------------------- map drawing
  const transform = () => geometry.screenTransform(S.view, size, MARGIN);
  const pointAt = (panel, t, i) => geometry.pointAt(panel.layer.positions, n, T, t, QP, transform(), i);
  function drawOverlays() { for (const panel of shown) drawOverlay(panel); }
  // Pins with their paths, the selection's centroid path, the lasso being drawn, and the hovered
  // point: in every panel, each at the sample's place in that panel's layer.
  function drawOverlay(panel) {
    const g = panel.context, now = (i) => pointAt(panel, S.t, i);
    g.clearRect(0, 0, size, size);
    g.lineWidth = 1.5;
    for (const i of S.pinned) {
      g.strokeStyle = ink; g.globalAlpha = 0.75;
      g.beginPath();
      for (let t = 0; t < T; t++) { const [x, y] = pointAt(panel, t, i); if (t === 0) g.moveTo(x, y); else g.lineTo(x, y); }
      g.stroke();
      g.globalAlpha = 1; g.fillStyle = ink;
      for (let t = 0; t < T; t++) { const [x, y] = pointAt(panel, t, i); g.fillRect(x - 2, y - 2, 4, 4); }
      const [x, y] = now(i);
      g.beginPath(); g.arc(x, y, radius + 4, 0, 2 * Math.PI); g.stroke();
      g.fillText(String(i), x + radius + 5, y - radius - 3);
    }
    if (S.selection.length > 0) drawCentroidPath(g, panel);
    if (outline && outlinePanel === panel && outline.length >= 4) {
      g.strokeStyle = SELECTION_COLOUR; g.lineWidth = 1.5; g.setLineDash([5, 3]);
      g.beginPath();
      for (let k = 0; k < outline.length; k += 2) g.lineTo(outline[k], outline[k + 1]);
      g.closePath(); g.stroke(); g.setLineDash([]);
    }
    if (S.hover >= 0) {
      const [x, y] = now(S.hover);
      g.strokeStyle = ink; g.lineWidth = 2;
      g.beginPath(); g.arc(x, y, radius + 3, 0, 2 * Math.PI); g.stroke();
    }
  }
  // The selection's centroid at each snapshot, joined, and where it is now.
  function drawCentroidPath(g, panel) {
    const centroid = (t) => {
      let x = 0, y = 0;
      for (const i of S.selection) { const [xi, yi] = pointAt(panel, t, i); x += xi; y += yi; }
      return [x / S.selection.length, y / S.selection.length];
    };
    g.strokeStyle = SELECTION_COLOUR; g.fillStyle = SELECTION_COLOUR; g.lineWidth = 2;
    g.beginPath();
    for (let t = 0; t < T; t++) { const [x, y] = centroid(t); g.lineTo(x, y); g.fillRect(x - 3, y - 3, 6, 6); }
    g.stroke();
    const [x, y] = centroid(S.t);
    g.beginPath(); g.arc(x, y, 6, 0, 2 * Math.PI); g.stroke();
  }
  let markCharts = () => {}, markSpectrum = null;
  function frame() {
    updateStyle();
    const view = transform();
    for (const panel of shown) panel.painter.draw(S.t, view, background, ringColour);
    drawOverlays();
    markCharts(S.t);
    if (markSpectrum) markSpectrum(snapshotAt(S.t));
    saveViewSoon();
  }

  // ---------------------------------------------------------------- the view in the URL's fragment
  const viewNow = () => ({ layer: D.layers[S.layer], snapshot: D.snapshots[snapshotAt(S.target)], colour: S.colour,
    zoom: S.view, search: S.search, selection: S.selection, beside: S.beside });
  let saveTimer = 0;
  // Debounced: a wheel zoom changes the view every frame, and browsers throttle history updates.
  function saveViewSoon() {
    clearTimeout(saveTimer);
    saveTimer = setTimeout(() => {
      const fragment = toFragment(viewNow());
      if (fragment !== location.hash) history.replaceState(null, "", fragment);
    }, 150);
  }
  function restoreView(fragment) {
    const view = fromFragment(fragment, { layers: D.layers, snapshots: D.snapshots, colours: modes.map(([value]) => value), n });
    if (view.layer !== undefined) { S.layer = D.layers.indexOf(view.layer); layerSelect.value = String(S.layer); }
    if (view.beside !== undefined) { S.beside = view.beside; besideSelect.value = view.beside; }
    if (view.snapshot !== undefined) { S.t = S.target = D.snapshots.indexOf(view.snapshot); slider.value = String(S.t); }
    if (view.colour !== undefined) { S.colour = view.colour; colourSelect.value = view.colour; S.highlight = null; }
    if (view.zoom !== undefined) S.view = geometry.clampView(view.zoom);
    if (view.search !== undefined) { S.search = view.search; searchBox.value = view.search; }
    if (view.selection !== undefined) select(view.selection);
    S.pinned.clear(); S.hover = -1; colourKey = "";
  }

  // ---------------------------------------------------------------- legend
  function legend() {
    const box = $("legend");
    box.replaceChildren();
    const button = (text, colour, value, mark = "") => {
      const b = document.createElement("button");
      b.type = "button";
      const swatch = document.createElement("span");
      swatch.className = mark ? "swatch mark" : "swatch";
      if (mark) { swatch.textContent = mark; swatch.style.color = colour; } else swatch.style.background = colour;
      b.append(swatch, text);
      b.setAttribute("aria-pressed", String(S.highlight === value));
      b.addEventListener("click", () => { S.highlight = S.highlight === value ? null : value; legend(); frame(); });
      box.append(b);
    };
    if (S.colour === "class") D.classes.forEach((name, c) => button(String(name), palette.css(classColours[c]), c));
    else if (S.colour === "correct") { button("correct (disc)", palette.css(correctColour), 0, "●"); button("wrong (cross)", palette.css(wrongColour), 1, "✕"); }
    else {
      const range = S.colour === "energy" ? D.energy_shown : layers[S.layer].entry.shown;
      const format = (v) => S.colour === "energy" ? v.toFixed(2) : Math.pow(10, v).toPrecision(2);
      const bar = document.createElement("span");
      bar.className = "ramp"; bar.style.background = palette.rampCss;
      box.append(S.colour === "energy" ? "‖Uₖᵀg‖²/‖g‖²  " : "‖∂ℓ/∂h‖  ", format(range[0]), " ", bar, " ", format(range[1]));
    }
    if (scrambled) {
      const note = document.createElement("span");
      note.textContent = "ringed: " + (D.scramble_kind === "inputs" ? "corrupted inputs" : "scrambled labels");
      box.append(note);
    }
  }

  // ---------------------------------------------------------------- charts and the neuron x sample view
  function charts() { markCharts = drawCharts($("charts"), D.maps[D.layers[S.layer]].charts, D.snapshots, goTo); }
  function drawNeurons() {
    const views = D.maps[D.layers[S.layer]].neurons;
    $("neurons-figure").hidden = !views;
    if (!views) return;
    const t = snapshotAt(S.t), view = views[t];
    $("neurons-caption").textContent = D.layers[S.layer] + " at snapshot " + D.snapshots[t] + ": " + view.samples.length +
      " samples joined to their " + view.top + " most active neurons (" + view.neurons.length + " of " + view.width +
      " neurons are some sample's choice)";
    render.drawNeurons($("neurons"), view, shown[0].colours, ink);
  }

  // ---------------------------------------------------------------- hover, tooltip, pins
  const tooltip = $("tooltip"), tooltipText = $("tooltip-text"), tooltipImage = $("tooltip-image");
  const skipsFaded = () => S.highlight !== null || S.matches !== null;
  const nearest = (panel, x, y) => panel.painter.pick(x, y, Math.max(8, radius + 4), skipsFaded());
  function drawImage(i) {
    const shape = D.image_shape, g = tooltipImage.getContext("2d");
    if (!images) { tooltipImage.hidden = true; return; }
    tooltipImage.hidden = false;
    const [h, w, channels] = shape, pixelCount = h * w * channels, cell = Math.max(1, Math.floor(64 / Math.max(h, w)));
    tooltipImage.width = w * cell; tooltipImage.height = h * cell;
    const picture = g.createImageData(w, h);
    for (let p = 0; p < h * w; p++) for (let c = 0; c < 3; c++)
      picture.data[4 * p + c] = images[i * pixelCount + p * channels + (channels === 3 ? c : 0)];
    for (let p = 0; p < h * w; p++) picture.data[4 * p + 3] = 255;
    const scratch = new OffscreenCanvas(w, h);
    scratch.getContext("2d").putImageData(picture, 0, 0);
    g.imageSmoothingEnabled = false;
    g.drawImage(scratch, 0, 0, w * cell, h * cell);
  }
  function showTooltip(panel, i) {
    const t = snapshotAt(S.t), name = (c) => String(D.classes[c]);
    const lines = ["sample " + i];
    if (hoverText && hoverText[i] !== null) lines.push(String(hoverText[i]));
    if (labels) lines.push("label " + name(labels[i]));
    if (trueLabels && scrambled && scrambled[i])
      lines.push(D.scramble_kind === "inputs" ? "input corrupted" : "true label " + name(trueLabels[i]) + " (scrambled)");
    if (predictions) lines.push("prediction " + name(predictions[t * n + i]) +
      (labels ? (predictions[t * n + i] === labels[i] ? " ✓" : " ✗") : ""));
    lines.push("sensitivity " + sensitivityValue(panel.layer, t, i).toPrecision(3) + (shown.length > 1 ? " (" + panel.layer.name + ")" : ""));
    if (energy) lines.push("subspace energy " + (energy[t * n + i] / QE).toFixed(3));
    for (const column of metadata) if (column.values[i] !== null) lines.push(column.name + " " + column.values[i]);
    lines.push("snapshot " + D.snapshots[t]);
    tooltipText.textContent = lines.join("\n");
    drawImage(i);
    panel.stage.append(tooltip);
  }
  function placeTooltip(x, y) {
    tooltip.hidden = false;
    const box = tooltip.getBoundingClientRect();
    tooltip.style.left = (x + 14 + box.width > size ? x - 14 - box.width : x + 14) + "px";
    tooltip.style.top = (y + 14 + box.height > size ? y - 14 - box.height : y + 14) + "px";
  }
  // The keyboard's point: shown as if hovered, its tooltip beside it, and read out (#map-status).
  function reach(panel, i) {
    S.hover = i;
    drawOverlays();
    if (i < 0) { tooltip.hidden = true; return; }
    showTooltip(panel, i);
    placeTooltip(...pointAt(panel, S.t, i));
    $("map-status").textContent = tooltipText.textContent.split("\n").join(", ") + (S.pinned.has(i) ? ", pinned" : "") +
      (selected[i] ? ", selected" : "");
  }
  function hoverAt(panel, x, y) {
    const i = nearest(panel, x, y);
    if (i !== S.hover) { S.hover = i; drawOverlays(); if (i >= 0) showTooltip(panel, i); }
    if (i >= 0) placeTooltip(x, y); else tooltip.hidden = true;
  }
  const togglePin = (i) => { if (S.pinned.has(i)) S.pinned.delete(i); else S.pinned.add(i); };

  // ---------------------------------------------------------------- zoom and pan (wheel, drag, pinch, keys), lasso, keyboard
  function setView(view) { S.view = view; S.hover = -1; tooltip.hidden = true; frame(); }
  const zoomBy = (factor, x = size / 2, y = size / 2) => setView(geometry.zoomAbout(S.view, factor, x, y, size, MARGIN));
  // Pointers down on a map: one drags (a press that hardly moves is a click, which pins), two pinch.
  // A drag pans, or, in the lasso and box modes (shift: the lasso), outlines a selection.
  const pointers = new Map();
  let dragged = false, outlining = null, outline = null, outlinePanel = null; // outlining: "lasso" or "box" while one is drawn
  const PAN_KEYS = { ArrowLeft: [1, 0], ArrowRight: [-1, 0], ArrowUp: [0, 1], ArrowDown: [0, -1] };
  function listen(panel) {
    const overlay = panel.overlay;
    const local = (event) => { const r = overlay.getBoundingClientRect(); return [event.clientX - r.left, event.clientY - r.top]; };
    overlay.addEventListener("wheel", (event) => {
      event.preventDefault();
      const lines = event.deltaMode === 1 ? 16 : event.deltaMode === 2 ? size : 1; // lines or pages to pixels
      const [x, y] = local(event);
      zoomBy(Math.exp(-event.deltaY * lines * 0.002), x, y);
    }, { passive: false });
    overlay.addEventListener("pointerdown", (event) => {
      overlay.setPointerCapture(event.pointerId);
      const at = local(event);
      pointers.set(event.pointerId, at);
      if (pointers.size === 1) {
        dragged = false;
        outlining = event.shiftKey ? "lasso" : S.dragMode === "pan" ? null : S.dragMode;
        outline = outlining ? [...at] : null;
        outlinePanel = panel;
      }
    });
    overlay.addEventListener("pointermove", (event) => {
      const [x, y] = local(event), before = pointers.get(event.pointerId);
      if (!before) { hoverAt(panel, x, y); return; }
      if (outlining && pointers.size === 1) {
        if (Math.hypot(x - outline[0], y - outline[1]) >= 4) dragged = true;
        outline = outlining === "box" ? geometry.boxPolygon(outline[0], outline[1], x, y) : outline.concat([x, y]);
        drawOverlay(panel);
        return;
      }
      if (pointers.size === 2) {
        const [other] = [...pointers].filter(([id]) => id !== event.pointerId).map(([, p]) => p);
        const apart = (a, b) => Math.hypot(a[0] - b[0], a[1] - b[1]) || 1;
        const factor = apart([x, y], other) / apart(before, other);
        pointers.set(event.pointerId, [x, y]);
        dragged = true;
        zoomBy(factor, (x + other[0]) / 2, (y + other[1]) / 2);
        return;
      }
      if (!dragged && Math.hypot(x - before[0], y - before[1]) < 4) return;
      dragged = true;
      pointers.set(event.pointerId, [x, y]);
      setView(geometry.pan(S.view, x - before[0], y - before[1], size, MARGIN));
    });
    const release = (event) => {
      pointers.delete(event.pointerId);
      if (outlining && dragged) {
        const { xs, ys } = panel.painter.screenPositions();
        select(geometry.pointsInside(outline, xs, ys));
      }
      outlining = outline = null;
      frame();
    };
    overlay.addEventListener("pointerup", release);
    overlay.addEventListener("pointercancel", release);
    overlay.addEventListener("mouseleave", () => { S.hover = -1; tooltip.hidden = true; drawOverlays(); });
    overlay.addEventListener("click", (event) => {
      if (dragged) return;
      const i = nearest(panel, ...local(event));
      if (i < 0) return;
      togglePin(i);
      drawOverlays();
    });
    // With the map focused: Enter reaches the point nearest the centre, then pins or unpins it; arrows
    // move from it to its nearest neighbour that way (with no point reached, they pan); S adds it to the
    // selection or takes it out; Esc lets it go.
    overlay.addEventListener("keydown", (event) => {
      const skipFaded = skipsFaded() ? (i) => dimmed[i] === 1 : null;
      const step = PAN_KEYS[event.key];
      if (event.key === "Enter") {
        event.preventDefault();
        const { xs, ys } = panel.painter.screenPositions();
        if (S.hover < 0) reach(panel, geometry.closestVisible(xs, ys, size / 2, size / 2, size, skipFaded));
        else { togglePin(S.hover); reach(panel, S.hover); }
      } else if (event.key.toLowerCase() === "s" && S.hover >= 0) {
        const i = S.hover;
        select(selected[i] ? S.selection.filter((j) => j !== i) : [...S.selection, i].sort((a, b) => a - b));
        frame();
        reach(panel, i);
      } else if (event.key === "Escape" && S.hover >= 0) {
        event.stopPropagation(); // the next Esc clears the selection
        reach(panel, -1);
      } else if (step && S.hover >= 0) {
        event.preventDefault();
        const { xs, ys } = panel.painter.screenPositions();
        const next = geometry.neighbourToward(xs, ys, S.hover, -step[0], -step[1], size, skipFaded);
        if (next >= 0) reach(panel, next);
      } else if (step) {
        event.preventDefault();
        setView(geometry.pan(S.view, step[0] * PAN_STEP, step[1] * PAN_STEP, size, MARGIN));
      }
    });
  }
  const resetView = () => setView(geometry.fitView());
  $("reset-view").addEventListener("click", resetView);
  $("drag-mode").addEventListener("change", (event) => { S.dragMode = event.target.value; });
  const clearSelection = () => { select([]); frame(); };
  $("clear-selection").addEventListener("click", clearSelection);
  $("export-csv").addEventListener("click", () => download("csv"));
  $("export-json").addEventListener("click", () => download("json"));

  // ---------------------------------------------------------------- time: slider, play, smooth steps, charts
  let animating = false, last = 0;
  function showSnapshotLabel() {
    const t = snapshotAt(S.t);
    $("epoch-label").textContent = D.snapshots[t] + " (" + (t + 1) + "/" + T + ")";
    slider.setAttribute("aria-valuetext", "snapshot " + D.snapshots[t]);
    for (const panel of shown) {
      panel.overlay.setAttribute("aria-label", "map of " + n + " samples, layer " + panel.layer.name + ", snapshot " + D.snapshots[t] +
        ": Enter reaches the point nearest the centre and again pins it, arrows move among its neighbours (or pan), " +
        "S selects it, + and - zoom, 0 resets");
    }
  }
  function tick(now) {
    const dt = Math.min(0.1, (now - last) / 1000);
    last = now;
    if (S.playing) {
      S.t = Math.min(T - 1, S.t + dt * 1.25);
      S.target = S.t;
      slider.value = String(snapshotAt(S.t));
      if (S.t >= T - 1) setPlaying(false);
    } else {
      const step = dt * 4;
      S.t = Math.abs(S.target - S.t) <= step ? S.target : S.t + Math.sign(S.target - S.t) * step;
    }
    showSnapshotLabel();
    frame();
    if (S.playing || S.t !== S.target) requestAnimationFrame(tick); else animating = false;
  }
  function animate() { if (!animating) { animating = true; last = performance.now(); requestAnimationFrame(tick); } }
  function setPlaying(on) {
    S.playing = on;
    play.textContent = on ? "❚❚ pause" : "▶ play";
    play.setAttribute("aria-label", on ? "pause" : "play");
    if (on) { if (S.t >= T - 1) S.t = 0; animate(); }
  }
  function goTo(t) { setPlaying(false); S.target = t; slider.value = String(t); animate(); }
  slider.addEventListener("input", () => goTo(Number(slider.value)));
  play.addEventListener("click", () => setPlaying(!S.playing));
  document.addEventListener("keydown", (event) => {
    const tag = event.target.tagName;
    if (tag === "SELECT" || tag === "BUTTON" || (tag === "INPUT" && event.target.type !== "range")) return; // typing in a field
    if (event.key === " ") { event.preventDefault(); setPlaying(!S.playing); }
    else if (event.key === "+" || event.key === "=") zoomBy(ZOOM_STEP);
    else if (event.key === "-") zoomBy(1 / ZOOM_STEP);
    else if (event.key === "0") resetView();
    else if (event.key === "Escape") clearSelection();
  });
  // A new set of panels: the charts, legend and neuron view follow the first; the maps take the room left.
  function rearrange() { S.hover = -1; tooltip.hidden = true; arrangePanels(); charts(); legend(); layout(); showSnapshotLabel(); frame(); }
  layerSelect.addEventListener("change", () => { S.layer = Number(layerSelect.value); rearrange(); });
  besideSelect.addEventListener("change", () => { S.beside = besideSelect.value; rearrange(); });
  colourSelect.addEventListener("change", () => { S.colour = colourSelect.value; S.highlight = null; legend(); frame(); });
  $("scrambled-only").addEventListener("change", (event) => { S.scrambledOnly = event.target.checked; frame(); });
  searchBox.addEventListener("input", () => { S.search = searchBox.value; S.hover = -1; frame(); });
  const retheme = () => { applyTheme(); legend(); frame(); };
  themeToggle.addEventListener("click", () => { document.documentElement.dataset.theme = theme === "dark" ? "light" : "dark"; retheme(); });
  systemDark.addEventListener("change", retheme);
  window.addEventListener("resize", () => { layout(); frame(); });
  // A window moved to a screen of another pixel ratio need not be resized: watch the ratio itself.
  function watchPixelRatio() {
    matchMedia("(resolution: " + window.devicePixelRatio + "dppx)")
      .addEventListener("change", () => { layout(); frame(); watchPixelRatio(); }, { once: true });
  }
  watchPixelRatio();
  window.addEventListener("hashchange", () => { restoreView(location.hash); rearrange(); });

  applyTheme();
  restoreView(location.hash);
  arrangePanels();
  charts();
  if (D.eigenvalues) { $("spectrum-figure").hidden = false; markSpectrum = drawSpectrum($("spectrum"), D.eigenvalues, D.snapshots); }
  $("neurons-figure").hidden = !D.maps[D.layers[S.layer]].neurons;
  layout(); // after the charts: the maps take the room they leave
  legend();
  showSnapshotLabel();
  frame();
  // What the browser tests (tests/test_page*.py), the benchmark and a curious user can ask the page;
  // `panel` counts the maps shown from 0 (the chosen layer's).
  window.netscope = {
    n, snapshots: D.snapshots, layers: D.layers, state: S, renderer: panels[0].painter.kind,
    panels: () => shown.map((panel) => panel.layer.name),
    screenPosition: (i, panel = 0) => pointAt(shown[panel], S.t, i),
    show: (t) => { setPlaying(false); S.t = S.target = Math.min(T - 1, Math.max(0, t)); slider.value = String(snapshotAt(S.t)); showSnapshotLabel(); frame(); },
    pixelSum: (panel = 0) => shown[panel].painter.checksum(),
    colourAt: (x, y, panel = 0) => shown[panel].painter.colourAt(x, y),
    mapSize: () => ({ css: size, backing: shown[0].overlay.width }),
    fragment: () => toFragment(viewNow()),
    exportText,
  };
  document.body.dataset.ready = "true";
})(globalThis.netscopeModules).catch((error) => {
  document.body.insertAdjacentText("afterbegin", "netscope page failed: " + error);
  console.error(error);
});
