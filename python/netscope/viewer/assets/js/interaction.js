// netscope's observatory page: the maps of a training run, wired to its controls. Everything it
// shows is in the JSON block of this file; it makes no network request. The other files
// (decode, geometry, search, state, table, render, charts) come before this one, in one namespace.
(async function (modules) {
  "use strict";
  const { decode } = modules.decode;
  const geometry = modules.geometry, { search } = modules.search, { toFragment, fromFragment } = modules.state;
  const { tableRows, toCsv, toJson } = modules.table;
  const render = modules.render, palette = modules.palette, { drawCharts, drawSpectrum } = modules.charts;
  const MARGIN = 12, ZOOM_STEP = 1.25, PAN_STEP = 40; // pan step in CSS pixels
  const TABLE_ROWS = 200; // rows of the selection shown in the page; the exports hold them all

  const D = JSON.parse(document.getElementById("netscope-data").textContent);
  const n = D.n, T = D.snapshots.length;
  const QP = D.levels.position, QS = D.levels.sensitivity, QE = D.levels.energy;
  const labels = await decode(D.labels);
  const trueLabels = await decode(D.true_labels);
  const scrambled = await decode(D.scrambled);
  const predictions = await decode(D.predictions);
  const energy = await decode(D.energy);
  const images = await decode(D.images);
  const layers = [];
  for (const name of D.layers) {
    const entry = D.maps[name];
    layers.push({ name, positions: await decode(entry.positions), sensitivity: await decode(entry.sensitivity), entry });
  }
  const classColours = D.classes.map((_, i) => palette.classColour(i));
  const correctColour = palette.rgb(palette.CORRECT), wrongColour = palette.rgb(palette.WRONG);

  // ---------------------------------------------------------------- state and controls
  const S = { layer: 0, t: 0, target: 0, playing: false, colour: "class", highlight: null, pinned: new Set(),
    hover: -1, scrambledOnly: false, view: geometry.fitView(), search: "", matches: null,
    selection: [], dragMode: "pan" }; // selection: the selected samples, ascending
  const $ = (id) => document.getElementById(id);
  const selected = new Uint8Array(n); // 1 for the samples in S.selection
  const layerSelect = $("layer"), slider = $("epoch"), play = $("play"), colourSelect = $("colour"), searchBox = $("search");
  D.layers.forEach((name, i) => layerSelect.add(new Option(name, String(i))));
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

  // ---------------------------------------------------------------- layout: the map takes the window's room
  const map = $("map"), overlay = $("overlay"), stage = document.querySelector(".stage");
  const painter = render.createMapPainter(map), overlayContext = overlay.getContext("2d");
  const radius = n <= 1000 ? 3.6 : n <= 10000 ? 2.5 : n <= 50000 ? 1.6 : 1.1;
  let size = 0;
  function layout() {
    const header = document.querySelector("header").getBoundingClientRect().height;
    const side = document.querySelector(".side").scrollWidth; // with the charts' figures that overflow their grid
    // The window less a scroll bar (the page may need one once the map is large), main's padding and the stage's border.
    const width = window.innerWidth - 20 - 34, gap = 16;
    const besideCharts = width - side - gap >= 400;
    const room = Math.min(width - (besideCharts ? side + gap : 0), window.innerHeight - header - 32);
    const ratio = window.devicePixelRatio || 1;
    size = Math.max(320, Math.floor(room));
    document.documentElement.style.setProperty("--map-size", size + "px");
    painter.resize(size, ratio, radius);
    overlay.width = overlay.height = Math.round(size * ratio);
    overlay.style.width = overlay.style.height = size + "px";
    overlayContext.setTransform(ratio, 0, 0, ratio, 0, 0); // the overlay draws in CSS pixels
  }

  // ---------------------------------------------------------------- colours, fading, search
  const xs = new Float32Array(n), ys = new Float32Array(n);
  const colours = new Uint32Array(n), dimmed = new Uint8Array(n);
  const white = palette.pack([255, 255, 255]), black = palette.pack([20, 20, 20]);
  let colourKey = "";
  function searchColumns(t) {
    const name = (c) => D.classes[c], columns = {};
    if (labels) columns.label = (i) => name(labels[i]);
    if (trueLabels) columns.true_label = (i) => name(trueLabels[i]);
    if (predictions) columns.prediction = (i) => name(predictions[t * n + i]);
    return columns;
  }
  function runSearch(t) {
    const count = $("search-count");
    count.classList.remove("error");
    try {
      S.matches = search(S.search, n, searchColumns(t));
      count.textContent = S.matches ? S.matches.count + " of " + n + " match" : "";
    } catch (error) {
      S.matches = null;
      count.textContent = error.message;
      count.classList.add("error");
    }
  }
  function updateColours() {
    const t = snapshotAt(S.t), layer = layers[S.layer];
    const key = [S.colour, t, S.layer, S.highlight, S.scrambledOnly, S.search].join("|");
    if (key === colourKey) return;
    colourKey = key;
    runSearch(t); // predictions change with the snapshot
    let colourOf;
    if (S.colour === "class") colourOf = (i) => classColours[labels[i]];
    else if (S.colour === "correct") colourOf = (i) => predictions[t * n + i] === labels[i] ? correctColour : wrongColour;
    else if (S.colour === "sensitivity") {
      const [lo, hi] = layer.entry.shown;
      colourOf = (i) => {
        const value = sensitivityValue(layer, t, i);
        return palette.ramp(value === 0 ? 0 : (Math.log10(value) - lo) / Math.max(hi - lo, 1e-12));
      };
    } else {
      const [lo, hi] = D.energy_shown;
      colourOf = (i) => palette.ramp((energy[t * n + i] / QE - lo) / Math.max(hi - lo, 1e-12));
    }
    const matches = S.matches && S.matches.mask;
    for (let i = 0; i < n; i++) {
      let dim = false;
      if (S.highlight !== null) {
        if (S.colour === "class") dim = labels[i] !== S.highlight;
        else if (S.colour === "correct") dim = (predictions[t * n + i] === labels[i]) !== (S.highlight === 0);
      }
      if (S.scrambledOnly && scrambled && !scrambled[i]) dim = true;
      if (matches && !matches[i]) dim = true;
      if (S.selection.length > 0 && !selected[i]) dim = true;
      dimmed[i] = dim ? 1 : 0;
      const c = colourOf(i);
      colours[i] = palette.pack(dim ? palette.mix(c, palette.DIM) : c);
    }
    drawNeurons();
    selectionTable(t);
  }

  // ---------------------------------------------------------------- selection: lasso, box, its table and exports
  function select(indices) {
    selected.fill(0);
    for (const i of indices) selected[i] = 1;
    S.selection = indices;
    colourKey = "";
  }
  function tableColumns(t) {
    const layer = layers[S.layer], name = (c) => D.classes[c], columns = [["sample", (i) => i]];
    if (labels) columns.push(["label", (i) => name(labels[i])]);
    if (trueLabels) columns.push(["true_label", (i) => name(trueLabels[i])]);
    if (scrambled) columns.push([D.scramble_kind === "inputs" ? "corrupted" : "scrambled", (i) => scrambled[i] === 1]);
    if (predictions) columns.push(["prediction", (i) => name(predictions[t * n + i])]);
    columns.push(["sensitivity", (i) => Number(sensitivityValue(layer, t, i).toPrecision(4))]);
    if (energy) columns.push(["energy", (i) => energy[t * n + i] / QE]);
    return columns;
  }
  function selectionTable(t) {
    const panel = $("selection-panel");
    panel.hidden = S.selection.length === 0;
    if (panel.hidden) return;
    const columns = tableColumns(t), shown = S.selection.slice(0, TABLE_ROWS);
    $("selection-count").textContent = S.selection.length + " selected (" + D.layers[S.layer] + ", snapshot " +
      D.snapshots[t] + ")" + (shown.length < S.selection.length ? "; the first " + shown.length + " listed" : "");
    const head = document.createElement("tr");
    for (const [name] of columns) { const cell = document.createElement("th"); cell.textContent = name; head.append(cell); }
    const body = tableRows(shown, columns).map((row) => {
      const line = document.createElement("tr");
      for (const value of row) { const cell = document.createElement("td"); cell.textContent = String(value); line.append(cell); }
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
  function screen(layer, t, i) {
    const f = transform(), o = 2 * (t * n + i);
    return [f.bx + f.a * layer.positions[o] / QP, f.by - f.a * layer.positions[o + 1] / QP];
  }
  function drawOverlay() {
    const g = overlayContext, layer = layers[S.layer];
    g.clearRect(0, 0, size, size);
    g.lineWidth = 1.5;
    for (const i of S.pinned) {
      g.strokeStyle = "rgba(0,0,0,0.75)";
      g.beginPath();
      for (let t = 0; t < T; t++) { const [x, y] = screen(layer, t, i); if (t === 0) g.moveTo(x, y); else g.lineTo(x, y); }
      g.stroke();
      g.fillStyle = "#000";
      for (let t = 0; t < T; t++) { const [x, y] = screen(layer, t, i); g.fillRect(x - 2, y - 2, 4, 4); }
      g.beginPath(); g.arc(xs[i], ys[i], radius + 4, 0, 2 * Math.PI); g.stroke();
      g.fillText(String(i), xs[i] + radius + 5, ys[i] - radius - 3);
    }
    if (S.selection.length > 0) drawCentroidPath(g, layer);
    if (outline && outline.length >= 4) {
      g.strokeStyle = "#1f77b4"; g.lineWidth = 1.5; g.setLineDash([5, 3]);
      g.beginPath();
      for (let k = 0; k < outline.length; k += 2) g.lineTo(outline[k], outline[k + 1]);
      g.closePath(); g.stroke(); g.setLineDash([]);
    }
    if (S.hover >= 0) {
      g.strokeStyle = "#000"; g.lineWidth = 2;
      g.beginPath(); g.arc(xs[S.hover], ys[S.hover], radius + 3, 0, 2 * Math.PI); g.stroke();
    }
  }
  // The selection's centroid at each snapshot, joined, and where it is now.
  function drawCentroidPath(g, layer) {
    const centroid = (at) => {
      let x = 0, y = 0;
      for (const i of S.selection) { const [xi, yi] = at(i); x += xi; y += yi; }
      return [x / S.selection.length, y / S.selection.length];
    };
    g.strokeStyle = "#1f77b4"; g.fillStyle = "#1f77b4"; g.lineWidth = 2;
    g.beginPath();
    for (let t = 0; t < T; t++) { const [x, y] = centroid((i) => screen(layer, t, i)); g.lineTo(x, y); g.fillRect(x - 3, y - 3, 6, 6); }
    g.stroke();
    const [x, y] = centroid((i) => [xs[i], ys[i]]);
    g.beginPath(); g.arc(x, y, 6, 0, 2 * Math.PI); g.stroke();
  }
  let markCharts = () => {}, markSpectrum = null;
  function frame() {
    updateColours();
    geometry.interpolate(layers[S.layer].positions, n, T, S.t, QP, transform(), xs, ys);
    painter.paint(xs, ys, colours, dimmed, scrambled, white, black);
    drawOverlay();
    markCharts(S.t);
    if (markSpectrum) markSpectrum(snapshotAt(S.t));
    saveViewSoon();
  }

  // ---------------------------------------------------------------- the view in the URL's fragment
  const viewNow = () => ({ layer: D.layers[S.layer], snapshot: D.snapshots[snapshotAt(S.target)], colour: S.colour,
    zoom: S.view, search: S.search, selection: S.selection });
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
    const button = (text, colour, value) => {
      const b = document.createElement("button");
      b.type = "button";
      const swatch = document.createElement("span");
      swatch.className = "swatch"; swatch.style.background = colour;
      b.append(swatch, text);
      b.setAttribute("aria-pressed", String(S.highlight === value));
      b.addEventListener("click", () => { S.highlight = S.highlight === value ? null : value; legend(); frame(); });
      box.append(b);
    };
    if (S.colour === "class") D.classes.forEach((name, c) => button(String(name), palette.css(classColours[c]), c));
    else if (S.colour === "correct") { button("correct", palette.CORRECT, 0); button("wrong", palette.WRONG, 1); }
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
      " samples joined to their " + view.top + " most active neurons (black; " + view.neurons.length + " of " + view.width +
      " neurons are some sample's choice)";
    render.drawNeurons($("neurons"), view, colours);
  }

  // ---------------------------------------------------------------- hover, tooltip, pins
  const tooltip = $("tooltip"), tooltipText = $("tooltip-text"), tooltipImage = $("tooltip-image");
  function nearest(x, y) {
    const skipFaded = S.highlight !== null || S.matches !== null;
    let best = -1, bestDistance = Math.max(64, (radius + 4) * (radius + 4));
    for (let i = 0; i < n; i++) {
      if (dimmed[i] && skipFaded) continue;
      const dx = xs[i] - x, dy = ys[i] - y, d = dx * dx + dy * dy;
      if (d < bestDistance) { bestDistance = d; best = i; }
    }
    return best;
  }
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
  function showTooltip(i) {
    const t = snapshotAt(S.t), layer = layers[S.layer], name = (c) => String(D.classes[c]);
    const lines = ["sample " + i];
    if (labels) lines.push("label " + name(labels[i]));
    if (trueLabels && scrambled && scrambled[i])
      lines.push(D.scramble_kind === "inputs" ? "input corrupted" : "true label " + name(trueLabels[i]) + " (scrambled)");
    if (predictions) lines.push("prediction " + name(predictions[t * n + i]) +
      (labels ? (predictions[t * n + i] === labels[i] ? " ✓" : " ✗") : ""));
    lines.push("sensitivity " + sensitivityValue(layer, t, i).toPrecision(3));
    if (energy) lines.push("subspace energy " + (energy[t * n + i] / QE).toFixed(3));
    lines.push("snapshot " + D.snapshots[t]);
    tooltipText.textContent = lines.join("\n");
    drawImage(i);
  }
  function placeTooltip(x, y) {
    tooltip.hidden = false;
    const box = tooltip.getBoundingClientRect();
    tooltip.style.left = (x + 14 + box.width > size ? x - 14 - box.width : x + 14) + "px";
    tooltip.style.top = (y + 14 + box.height > size ? y - 14 - box.height : y + 14) + "px";
  }
  // The keyboard's point: shown as if hovered, its tooltip beside it, and read out (#map-status).
  function reach(i) {
    S.hover = i;
    drawOverlay();
    if (i < 0) { tooltip.hidden = true; return; }
    showTooltip(i);
    placeTooltip(xs[i], ys[i]);
    $("map-status").textContent = tooltipText.textContent.split("\n").join(", ") + (S.pinned.has(i) ? ", pinned" : "") +
      (selected[i] ? ", selected" : "");
  }
  function hoverAt(x, y) {
    const i = nearest(x, y);
    if (i !== S.hover) { S.hover = i; drawOverlay(); if (i >= 0) showTooltip(i); }
    if (i >= 0) placeTooltip(x, y); else tooltip.hidden = true;
  }

  // ---------------------------------------------------------------- zoom and pan: wheel, drag, pinch, keys
  const local = (event) => { const r = overlay.getBoundingClientRect(); return [event.clientX - r.left, event.clientY - r.top]; };
  function setView(view) { S.view = view; S.hover = -1; tooltip.hidden = true; frame(); }
  const zoomBy = (factor, x = size / 2, y = size / 2) => setView(geometry.zoomAbout(S.view, factor, x, y, size, MARGIN));
  overlay.addEventListener("wheel", (event) => {
    event.preventDefault();
    const lines = event.deltaMode === 1 ? 16 : event.deltaMode === 2 ? size : 1; // lines or pages to pixels
    const [x, y] = local(event);
    zoomBy(Math.exp(-event.deltaY * lines * 0.002), x, y);
  }, { passive: false });
  // Pointers down on the map: one drags (a press that hardly moves is a click, which pins), two pinch.
  // A drag pans, or, in the lasso and box modes (shift: the lasso), outlines a selection.
  const pointers = new Map();
  let dragged = false, outlining = null, outline = null; // outlining: "lasso" or "box" while one is drawn
  overlay.addEventListener("pointerdown", (event) => {
    overlay.setPointerCapture(event.pointerId);
    const at = local(event);
    pointers.set(event.pointerId, at);
    if (pointers.size === 1) {
      dragged = false;
      outlining = event.shiftKey ? "lasso" : S.dragMode === "pan" ? null : S.dragMode;
      outline = outlining ? [...at] : null;
    }
  });
  overlay.addEventListener("pointermove", (event) => {
    const [x, y] = local(event), before = pointers.get(event.pointerId);
    if (!before) { hoverAt(x, y); return; }
    if (outlining && pointers.size === 1) {
      if (Math.hypot(x - outline[0], y - outline[1]) >= 4) dragged = true;
      outline = outlining === "box" ? geometry.boxPolygon(outline[0], outline[1], x, y) : outline.concat([x, y]);
      drawOverlay();
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
    if (outlining && dragged) select(geometry.pointsInside(outline, xs, ys));
    outlining = outline = null;
    frame();
  };
  overlay.addEventListener("pointerup", release);
  overlay.addEventListener("pointercancel", release);
  overlay.addEventListener("mouseleave", () => { S.hover = -1; tooltip.hidden = true; drawOverlay(); });
  overlay.addEventListener("click", (event) => {
    if (dragged) return;
    const [x, y] = local(event), i = nearest(x, y);
    if (i < 0) return;
    if (S.pinned.has(i)) S.pinned.delete(i); else S.pinned.add(i);
    drawOverlay();
  });
  const resetView = () => setView(geometry.fitView());
  $("reset-view").addEventListener("click", resetView);
  $("drag-mode").addEventListener("change", (event) => { S.dragMode = event.target.value; });
  const clearSelection = () => { select([]); frame(); };
  $("clear-selection").addEventListener("click", clearSelection);
  $("export-csv").addEventListener("click", () => download("csv"));
  $("export-json").addEventListener("click", () => download("json"));
  const PAN_KEYS = { ArrowLeft: [1, 0], ArrowRight: [-1, 0], ArrowUp: [0, 1], ArrowDown: [0, -1] };
  // With the map focused: Enter reaches the point nearest the centre, then pins or unpins it; arrows
  // move from it to its nearest neighbour that way (with no point reached, they pan); S adds it to the
  // selection or takes it out; Esc lets it go.
  overlay.addEventListener("keydown", (event) => {
    const skipFaded = S.highlight !== null || S.matches !== null ? (i) => dimmed[i] === 1 : null;
    const step = PAN_KEYS[event.key];
    if (event.key === "Enter") {
      event.preventDefault();
      if (S.hover < 0) reach(geometry.closestVisible(xs, ys, size / 2, size / 2, size, skipFaded));
      else { if (S.pinned.has(S.hover)) S.pinned.delete(S.hover); else S.pinned.add(S.hover); reach(S.hover); }
    } else if (event.key.toLowerCase() === "s" && S.hover >= 0) {
      const i = S.hover;
      select(selected[i] ? S.selection.filter((j) => j !== i) : [...S.selection, i].sort((a, b) => a - b));
      frame();
      reach(i);
    } else if (event.key === "Escape" && S.hover >= 0) {
      event.stopPropagation(); // the next Esc clears the selection
      reach(-1);
    } else if (step && S.hover >= 0) {
      event.preventDefault();
      const next = geometry.neighbourToward(xs, ys, S.hover, -step[0], -step[1], size, skipFaded);
      if (next >= 0) reach(next);
    } else if (step) {
      event.preventDefault();
      setView(geometry.pan(S.view, step[0] * PAN_STEP, step[1] * PAN_STEP, size, MARGIN));
    }
  });

  // ---------------------------------------------------------------- time: slider, play, smooth steps, charts
  let animating = false, last = 0;
  function showSnapshotLabel() {
    const t = snapshotAt(S.t);
    $("epoch-label").textContent = D.snapshots[t] + " (" + (t + 1) + "/" + T + ")";
    slider.setAttribute("aria-valuetext", "snapshot " + D.snapshots[t]);
    overlay.setAttribute("aria-label", "map of " + n + " samples, layer " + D.layers[S.layer] + ", snapshot " + D.snapshots[t] +
      ": Enter reaches the point nearest the centre and again pins it, arrows move among its neighbours (or pan), " +
      "S selects it, + and - zoom, 0 resets");
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
  layerSelect.addEventListener("change", () => {
    S.layer = Number(layerSelect.value); S.hover = -1; colourKey = ""; charts(); legend(); layout(); frame();
  });
  colourSelect.addEventListener("change", () => { S.colour = colourSelect.value; S.highlight = null; legend(); frame(); });
  $("scrambled-only").addEventListener("change", (event) => { S.scrambledOnly = event.target.checked; frame(); });
  searchBox.addEventListener("input", () => { S.search = searchBox.value; S.hover = -1; frame(); });
  window.addEventListener("resize", () => { layout(); frame(); });
  // A window moved to a screen of another pixel ratio need not be resized: watch the ratio itself.
  function watchPixelRatio() {
    matchMedia("(resolution: " + window.devicePixelRatio + "dppx)")
      .addEventListener("change", () => { layout(); frame(); watchPixelRatio(); }, { once: true });
  }
  watchPixelRatio();
  window.addEventListener("hashchange", () => { restoreView(location.hash); charts(); legend(); showSnapshotLabel(); layout(); frame(); });

  restoreView(location.hash);
  charts();
  if (D.eigenvalues) { $("spectrum-figure").hidden = false; markSpectrum = drawSpectrum($("spectrum"), D.eigenvalues, D.snapshots); }
  $("neurons-figure").hidden = !D.maps[D.layers[S.layer]].neurons;
  layout(); // after the charts: the map takes the room they leave
  legend();
  showSnapshotLabel();
  frame();
  // What the browser test (tests/test_page.py) and a curious user can ask the page.
  window.netscope = {
    n, snapshots: D.snapshots, layers: D.layers, state: S,
    screenPosition: (i) => [xs[i], ys[i]],
    show: (t) => { setPlaying(false); S.t = S.target = Math.min(T - 1, Math.max(0, t)); slider.value = String(snapshotAt(S.t)); showSnapshotLabel(); frame(); },
    pixelSum: painter.checksum,
    colourAt: painter.colourAt,
    mapSize: () => ({ css: size, backing: map.width }),
    fragment: () => toFragment(viewNow()),
    exportText,
  };
  document.body.dataset.ready = "true";
})(globalThis.netscopeModules).catch((error) => {
  document.body.insertAdjacentText("afterbegin", "netscope page failed: " + error);
  console.error(error);
});
