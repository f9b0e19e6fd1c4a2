"use strict";
// netscope's observatory page: the maps of a training run, one canvas redrawn per frame from
// quantised positions (plotly and bokeh redraw 100 000 animated points 15-50x slower: bench/bench_page.py).
// Everything it shows is in the JSON block of this file; it makes no network request.
(async function () {
  const TYPES = { u1: Uint8Array, u2: Uint16Array, f4: Float32Array };
  const PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
    "#bcbd22", "#17becf", "#aec7e8", "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5", "#c49c94", "#f7b6d2",
    "#c7c7c7", "#dbdb8d", "#9edae5"];
  const RAMP = ["#440154", "#3b528b", "#21918c", "#5ec962", "#fde725"]; // viridis, 5 stops
  const CORRECT = "#2a9d4b", WRONG = "#d62728", DIM = 0.82;

  // ---------------------------------------------------------------- decoding
  function bytesOf(base64) {
    const text = atob(base64);
    const bytes = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
    return bytes;
  }
  async function decode(blob) {
    if (blob === null || blob === undefined) return null;
    const stream = new Blob([bytesOf(blob.b64)]).stream().pipeThrough(new DecompressionStream("gzip"));
    let bytes = new Uint8Array(await new Response(stream).arrayBuffer());
    const width = TYPES[blob.dtype].BYTES_PER_ELEMENT;
    if (width > 1) { // bytes were stored plane by plane (all first bytes, then all second bytes): undo
      const count = bytes.length / width, planes = bytes;
      bytes = new Uint8Array(planes.length);
      for (let b = 0; b < width; b++) for (let i = 0; i < count; i++) bytes[i * width + b] = planes[b * count + i];
    }
    const values = new TYPES[blob.dtype](bytes.buffer);
    if (blob.delta) { // differences along the first axis, modulo the type's range
      const stride = values.length / blob.shape[0];
      for (let i = stride; i < values.length; i++) values[i] += values[i - stride];
    }
    return values;
  }

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
    layers.push({ name, positions: await decode(entry.positions), sensitivity: await decode(entry.sensitivity),
      entry });
  }

  // ---------------------------------------------------------------- colours
  function rgb(hex) { return [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)); }
  function pack([r, g, b]) { return (255 << 24 | b << 16 | g << 8 | r) >>> 0; } // little-endian RGBA
  function mix(c, amount) { return c.map((v) => Math.round(v + (255 - v) * amount)); }
  const classColours = D.classes.map((_, i) => rgb(i < PALETTE.length ? PALETTE[i] :
    "#" + [0, 1, 2].map((j) => ((i * 97 + j * 61) % 200 + 30).toString(16).padStart(2, "0")).join("")));
  const rampColours = RAMP.map(rgb), correctColour = rgb(CORRECT), wrongColour = rgb(WRONG);
  const css = (c) => "rgb(" + c.join(",") + ")";
  function ramp(x) {
    const v = Math.min(1, Math.max(0, x)) * (rampColours.length - 1), i = Math.min(Math.floor(v), rampColours.length - 2);
    const f = v - i, a = rampColours[i], b = rampColours[i + 1];
    return [0, 1, 2].map((j) => Math.round(a[j] + (b[j] - a[j]) * f));
  }
  const rampCss = "linear-gradient(to right, " + RAMP.join(", ") + ")";

  // ---------------------------------------------------------------- state and controls
  const S = { layer: 0, t: 0, target: 0, playing: false, colour: "class", highlight: null, pinned: new Set(),
    hover: -1, scrambledOnly: false };
  const $ = (id) => document.getElementById(id);
  const layerSelect = $("layer"), slider = $("epoch"), play = $("play"), colourSelect = $("colour");
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

  // ---------------------------------------------------------------- map drawing
  const map = $("map"), overlay = $("overlay"), W = map.width, H = map.height, MARGIN = 12;
  const context = map.getContext("2d"), overlayContext = overlay.getContext("2d");
  const image = context.createImageData(W, H), pixels = new Uint32Array(image.data.buffer);
  const px = new Float32Array(n), py = new Float32Array(n);
  const radius = n <= 1000 ? 3.6 : n <= 10000 ? 2.5 : n <= 50000 ? 1.6 : 1.1;
  function stamp(r) {
    const offsets = [], reach = Math.ceil(r);
    for (let dy = -reach; dy <= reach; dy++) for (let dx = -reach; dx <= reach; dx++)
      if (dx * dx + dy * dy <= r * r) offsets.push(dy * W + dx);
    return Int32Array.from(offsets);
  }
  const disc = stamp(radius), ring = stamp(radius + 1.3);
  const white = pack([255, 255, 255]), black = pack([20, 20, 20]);
  const colours = new Uint32Array(n), dimmed = new Uint8Array(n);
  let colourKey = "";

  function screen(layer, t, i) {
    const p = layer.positions, o = 2 * (t * n + i), span = W - 2 * MARGIN;
    return [MARGIN + p[o] / QP * span, MARGIN + (1 - p[o + 1] / QP) * span];
  }
  function interpolate() {
    const layer = layers[S.layer], p = layer.positions, t0 = Math.min(Math.floor(S.t), T - 1);
    const t1 = Math.min(t0 + 1, T - 1), f = S.t - t0, span = (W - 2 * MARGIN) / QP;
    const a = 2 * t0 * n, b = 2 * t1 * n;
    for (let i = 0; i < n; i++) {
      const x = p[a + 2 * i] + (p[b + 2 * i] - p[a + 2 * i]) * f;
      const y = p[a + 2 * i + 1] + (p[b + 2 * i + 1] - p[a + 2 * i + 1]) * f;
      px[i] = MARGIN + x * span;
      py[i] = MARGIN + (QP - y) * span;
    }
  }
  function updateColours() {
    const t = snapshotAt(S.t), layer = layers[S.layer];
    const key = [S.colour, t, S.layer, S.highlight, S.scrambledOnly].join("|");
    if (key === colourKey) return;
    colourKey = key;
    let colourOf;
    if (S.colour === "class") colourOf = (i) => classColours[labels[i]];
    else if (S.colour === "correct") colourOf = (i) => predictions[t * n + i] === labels[i] ? correctColour : wrongColour;
    else if (S.colour === "sensitivity") {
      const [lo, hi] = layer.entry.shown;
      colourOf = (i) => {
        const value = sensitivityValue(layer, t, i);
        return ramp(value === 0 ? 0 : (Math.log10(value) - lo) / Math.max(hi - lo, 1e-12));
      };
    } else {
      const [lo, hi] = D.energy_shown;
      colourOf = (i) => ramp((energy[t * n + i] / QE - lo) / Math.max(hi - lo, 1e-12));
    }
    for (let i = 0; i < n; i++) {
      let dim = false;
      if (S.highlight !== null) {
        if (S.colour === "class") dim = labels[i] !== S.highlight;
        else if (S.colour === "correct") dim = (predictions[t * n + i] === labels[i]) !== (S.highlight === 0);
      }
      if (S.scrambledOnly && scrambled && !scrambled[i]) dim = true;
      dimmed[i] = dim ? 1 : 0;
      const c = colourOf(i);
      colours[i] = pack(dim ? mix(c, DIM) : c);
    }
    drawNeurons();
  }
  function drawPoints(wantDimmed) {
    for (let i = 0; i < n; i++) {
      if (dimmed[i] !== wantDimmed) continue;
      const centre = Math.round(py[i]) * W + Math.round(px[i]);
      if (scrambled && scrambled[i] && !wantDimmed) for (let k = 0; k < ring.length; k++) pixels[centre + ring[k]] = black;
      const c = colours[i];
      for (let k = 0; k < disc.length; k++) pixels[centre + disc[k]] = c;
    }
  }
  function drawOverlay() {
    const g = overlayContext, layer = layers[S.layer];
    g.clearRect(0, 0, W, H);
    g.lineWidth = 1.5;
    for (const i of S.pinned) {
      g.strokeStyle = "rgba(0,0,0,0.75)";
      g.beginPath();
      for (let t = 0; t < T; t++) { const [x, y] = screen(layer, t, i); if (t === 0) g.moveTo(x, y); else g.lineTo(x, y); }
      g.stroke();
      g.fillStyle = "#000";
      for (let t = 0; t < T; t++) { const [x, y] = screen(layer, t, i); g.fillRect(x - 2, y - 2, 4, 4); }
      g.beginPath(); g.arc(px[i], py[i], radius + 4, 0, 2 * Math.PI); g.stroke();
      g.fillText(String(i), px[i] + radius + 5, py[i] - radius - 3);
    }
    if (S.hover >= 0) {
      g.strokeStyle = "#000"; g.lineWidth = 2;
      g.beginPath(); g.arc(px[S.hover], py[S.hover], radius + 3, 0, 2 * Math.PI); g.stroke();
    }
  }
  function frame() {
    updateColours();
    interpolate();
    pixels.fill(white);
    drawPoints(1);
    drawPoints(0);
    context.putImageData(image, 0, 0);
    drawOverlay();
    markCharts();
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
    if (S.colour === "class") D.classes.forEach((name, c) => button(String(name), css(classColours[c]), c));
    else if (S.colour === "correct") { button("correct", CORRECT, 0); button("wrong", WRONG, 1); }
    else {
      const range = S.colour === "energy" ? D.energy_shown : layers[S.layer].entry.shown;
      const format = (v) => S.colour === "energy" ? v.toFixed(2) : Math.pow(10, v).toPrecision(2);
      const bar = document.createElement("span");
      bar.className = "ramp"; bar.style.background = rampCss;
      box.append(S.colour === "energy" ? "‖Uₖᵀg‖²/‖g‖²  " : "‖∂ℓ/∂h‖  ", format(range[0]), " ", bar, " ", format(range[1]));
    }
    if (scrambled) {
      const note = document.createElement("span");
      note.textContent = "ringed: " + (D.scramble_kind === "inputs" ? "corrupted inputs" : "scrambled labels");
      box.append(note);
    }
  }

  // ---------------------------------------------------------------- charts (SVG)
  const SVG = "http://www.w3.org/2000/svg";
  function element(name, attributes, parent) {
    const e = document.createElementNS(SVG, name);
    for (const [k, v] of Object.entries(attributes)) e.setAttribute(k, String(v));
    if (parent) parent.append(e);
    return e;
  }
  const markers = [];
  function chart(spec, width, height) {
    const figure = document.createElement("figure"), caption = document.createElement("figcaption");
    caption.textContent = spec.title;
    const svg = element("svg", { width, height });
    figure.append(caption, svg);
    const left = 34, right = 6, top = 6, bottom = 16, values = [];
    for (const s of spec.series) for (const v of s.values) if (v !== null) values.push(v);
    let lo = values.length ? Math.min(...values) : 0, hi = values.length ? Math.max(...values) : 1;
    if (!(hi > lo)) { lo -= 0.5; hi += 0.5; }
    const pad = (hi - lo) * 0.08; lo -= pad; hi += pad;
    const count = spec.series[0].values.length;
    const x = (t) => left + (count > 1 ? t / (count - 1) : 0.5) * (width - left - right);
    const y = (v) => top + (1 - (v - lo) / (hi - lo)) * (height - top - bottom);
    element("line", { x1: left, x2: left, y1: top, y2: height - bottom, stroke: "#999" }, svg);
    element("line", { x1: left, x2: width - right, y1: height - bottom, y2: height - bottom, stroke: "#999" }, svg);
    for (const v of [lo + pad, hi - pad]) {
      const label = element("text", { x: left - 3, y: y(v) + 3, "text-anchor": "end" }, svg);
      label.textContent = Math.abs(v) < 10 ? v.toFixed(2) : v.toPrecision(3);
    }
    const first = element("text", { x: x(0), y: height - 4, "text-anchor": "start" }, svg);
    first.textContent = String(D.snapshots[0]);
    const last = element("text", { x: x(count - 1), y: height - 4, "text-anchor": "end" }, svg);
    last.textContent = String(D.snapshots[count - 1]);
    spec.series.forEach((s, j) => {
      const points = s.values.map((v, t) => v === null ? null : x(t) + "," + y(v)).filter((p) => p);
      element("polyline", { points: points.join(" "), fill: "none", stroke: s.colour || PALETTE[j], "stroke-width": 1.5,
        "stroke-dasharray": s.dash ? "4 2" : "none", opacity: s.opacity === undefined ? 1 : s.opacity }, svg);
    });
    if (spec.series.length > 1) {
      spec.series.forEach((s, j) => {
        const key = element("text", { x: width - right, y: top + 10 + 11 * j, "text-anchor": "end", fill: s.colour || PALETTE[j] }, svg);
        key.textContent = s.name;
      });
    }
    const marker = element("line", { y1: top, y2: height - bottom, stroke: "#000", "stroke-width": 1, opacity: 0.5 }, svg);
    return { figure, marker, x };
  }
  function charts() {
    const box = $("charts");
    box.replaceChildren();
    markers.length = 0;
    for (const spec of D.maps[D.layers[S.layer]].charts) {
      const c = chart(spec, 210, 120);
      box.append(c.figure);
      markers.push(c);
    }
  }
  let spectrumState = null;
  function spectrum() {
    const svg = $("spectrum"), width = 420, height = 170, left = 40, right = 8, top = 8, bottom = 18;
    svg.replaceChildren();
    $("spectrum-figure").hidden = false;
    const all = D.eigenvalues.flat().filter((v) => v > 0).map(Math.log10);
    let lo = all.length ? Math.min(...all) : -1, hi = all.length ? Math.max(...all) : 0;
    if (!(hi > lo)) { lo -= 0.5; hi += 0.5; }
    const k = D.eigenvalues[0].length;
    const x = (j) => left + (k > 1 ? j / (k - 1) : 0.5) * (width - left - right);
    const y = (v) => top + (1 - (Math.log10(Math.max(v, Math.pow(10, lo))) - lo) / (hi - lo)) * (height - top - bottom);
    element("line", { x1: left, x2: left, y1: top, y2: height - bottom, stroke: "#999" }, svg);
    element("line", { x1: left, x2: width - right, y1: height - bottom, y2: height - bottom, stroke: "#999" }, svg);
    for (const v of [lo, hi]) {
      const label = element("text", { x: left - 3, y: y(Math.pow(10, v)) + 3, "text-anchor": "end" }, svg);
      label.textContent = Math.pow(10, v).toPrecision(2);
    }
    for (const j of [0, k - 1]) {
      const label = element("text", { x: x(j), y: height - 5, "text-anchor": "middle" }, svg);
      label.textContent = "λ" + (j + 1);
    }
    const lines = D.eigenvalues.map((values) => element("polyline", {
      points: values.map((v, j) => x(j) + "," + y(v)).join(" "), fill: "none", stroke: "#999", "stroke-width": 1, opacity: 0.35 }, svg));
    const label = element("text", { x: width - right, y: top + 10, "text-anchor": "end" }, svg);
    spectrumState = { lines, label, shown: -1 };
  }
  function markCharts() {
    for (const c of markers) { const xt = c.x(S.t); c.marker.setAttribute("x1", xt); c.marker.setAttribute("x2", xt); }
    const t = snapshotAt(S.t);
    if (spectrumState && spectrumState.shown !== t) {
      spectrumState.lines.forEach((line, j) => {
        line.setAttribute("stroke", j === t ? "#d62728" : "#999");
        line.setAttribute("opacity", j === t ? 1 : 0.35);
        line.setAttribute("stroke-width", j === t ? 2 : 1);
      });
      spectrumState.label.textContent = "snapshot " + D.snapshots[t] + ": λ1 = " + D.eigenvalues[t][0].toPrecision(3);
      spectrumState.shown = t;
    }
  }

  // ---------------------------------------------------------------- neuron × sample view
  function drawNeurons() {
    const views = D.maps[D.layers[S.layer]].neurons;
    if (!views) return;
    const t = snapshotAt(S.t), view = views[t], canvas = $("neurons"), g = canvas.getContext("2d");
    $("neurons-figure").hidden = false;
    $("neurons-caption").textContent = D.layers[S.layer] + " at snapshot " + D.snapshots[t] + ": " + view.samples.length +
      " samples joined to their " + view.top + " most active neurons (black; " + view.neurons.length + " of " + view.width +
      " neurons are some sample's choice)";
    const w = canvas.width, h = canvas.height, m = 8, s = view.samples.length;
    const at = (j) => [m + view.positions[2 * j] * (w - 2 * m), m + (1 - view.positions[2 * j + 1]) * (h - 2 * m)];
    g.clearRect(0, 0, w, h);
    g.strokeStyle = "rgba(0,0,0,0.08)"; g.lineWidth = 1;
    g.beginPath();
    for (let e = 0; e < view.edges.length; e += 2) {
      const [x0, y0] = at(view.edges[e]), [x1, y1] = at(view.edges[e + 1]);
      g.moveTo(x0, y0); g.lineTo(x1, y1);
    }
    g.stroke();
    for (let j = 0; j < s; j++) {
      const c = colours[view.samples[j]], [x, y] = at(j);
      g.fillStyle = "rgb(" + (c & 255) + "," + (c >> 8 & 255) + "," + (c >> 16 & 255) + ")";
      g.beginPath(); g.arc(x, y, 2.5, 0, 2 * Math.PI); g.fill();
    }
    g.fillStyle = "#000";
    for (let j = s; j < s + view.neurons.length; j++) { const [x, y] = at(j); g.fillRect(x - 3, y - 3, 6, 6); }
  }

  // ---------------------------------------------------------------- hover, tooltip, pins
  const tooltip = $("tooltip"), tooltipText = $("tooltip-text"), tooltipImage = $("tooltip-image");
  function nearest(x, y) {
    let best = -1, bestDistance = Math.max(64, (radius + 4) * (radius + 4));
    for (let i = 0; i < n; i++) {
      if (dimmed[i] && S.highlight !== null) continue;
      const dx = px[i] - x, dy = py[i] - y, d = dx * dx + dy * dy;
      if (d < bestDistance) { bestDistance = d; best = i; }
    }
    return best;
  }
  function drawImage(i) {
    const shape = D.image_shape, g = tooltipImage.getContext("2d");
    if (!images) { tooltipImage.hidden = true; return; }
    tooltipImage.hidden = false;
    const [h, w, channels] = shape, size = h * w * channels, cell = Math.max(1, Math.floor(64 / Math.max(h, w)));
    tooltipImage.width = w * cell; tooltipImage.height = h * cell;
    const picture = g.createImageData(w, h);
    for (let p = 0; p < h * w; p++) for (let c = 0; c < 3; c++)
      picture.data[4 * p + c] = images[i * size + p * channels + (channels === 3 ? c : 0)];
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
    tooltip.style.left = (x + 14 + box.width > W ? x - 14 - box.width : x + 14) + "px";
    tooltip.style.top = (y + 14 + box.height > H ? y - 14 - box.height : y + 14) + "px";
  }
  overlay.addEventListener("mousemove", (event) => {
    const r = overlay.getBoundingClientRect(), x = event.clientX - r.left, y = event.clientY - r.top;
    const i = nearest(x, y);
    if (i !== S.hover) { S.hover = i; drawOverlay(); if (i >= 0) showTooltip(i); }
    if (i >= 0) placeTooltip(x, y); else tooltip.hidden = true;
  });
  overlay.addEventListener("mouseleave", () => { S.hover = -1; tooltip.hidden = true; drawOverlay(); });
  overlay.addEventListener("click", (event) => {
    const r = overlay.getBoundingClientRect(), i = nearest(event.clientX - r.left, event.clientY - r.top);
    if (i < 0) return;
    if (S.pinned.has(i)) S.pinned.delete(i); else S.pinned.add(i);
    drawOverlay();
  });

  // ---------------------------------------------------------------- time: slider, play, smooth steps
  let animating = false, last = 0;
  function showSnapshotLabel() {
    const t = snapshotAt(S.t);
    $("epoch-label").textContent = D.snapshots[t] + " (" + (t + 1) + "/" + T + ")";
    slider.setAttribute("aria-valuetext", "snapshot " + D.snapshots[t]);
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
  slider.addEventListener("input", () => { setPlaying(false); S.target = Number(slider.value); animate(); });
  play.addEventListener("click", () => setPlaying(!S.playing));
  document.addEventListener("keydown", (event) => {
    const field = event.target.tagName === "SELECT" || event.target.tagName === "BUTTON" ||
      (event.target.tagName === "INPUT" && event.target.type !== "range");
    if (event.key === " " && !field) {
      event.preventDefault(); setPlaying(!S.playing);
    }
  });
  layerSelect.addEventListener("change", () => {
    S.layer = Number(layerSelect.value); S.hover = -1; colourKey = ""; charts(); legend(); frame();
  });
  colourSelect.addEventListener("change", () => { S.colour = colourSelect.value; S.highlight = null; legend(); frame(); });
  $("scrambled-only").addEventListener("change", (event) => { S.scrambledOnly = event.target.checked; frame(); });

  charts();
  if (D.eigenvalues) spectrum();
  legend();
  showSnapshotLabel();
  frame();
  // What the browser test (tests/test_page.py) and a curious user can ask the page.
  window.netscope = {
    n, snapshots: D.snapshots, layers: D.layers, state: S,
    screenPosition: (i) => [px[i], py[i]],
    show: (t) => { setPlaying(false); S.t = S.target = Math.min(T - 1, Math.max(0, t)); slider.value = String(snapshotAt(S.t)); showSnapshotLabel(); frame(); },
    pixelSum: () => { let s = 0; for (let i = 0; i < pixels.length; i += 7) s = (s + pixels[i] * (i % 13 + 1)) % 1000000007; return s; },
  };
  document.body.dataset.ready = "true";
})().catch((error) => {
  document.body.insertAdjacentText("afterbegin", "netscope page failed: " + error);
  console.error(error);
});
