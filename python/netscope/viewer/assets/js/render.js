// Drawing without WebGL (webgl.js draws with it): the map's points into one pixel buffer per frame,
// and the neuron x sample view.
// The map's backing store has devicePixelRatio pixels per CSS pixel, so points stay crisp on any screen.
(function (modules) {
  "use strict";
  const { unpack, css } = modules.palette;

  // The pixels of a mark of radius r — a disc, or a cross "×" of strokes `r / 2.5` wide — as offsets
  // in a buffer `width` pixels wide and as (dx, dy) for the points near the edges, drawn pixel by pixel.
  function stamp(r, width, cross) {
    const dx = [], dy = [], reach = Math.ceil(r), half = Math.max(0.75, r / 5);
    for (let y = -reach; y <= reach; y++) for (let x = -reach; x <= reach; x++) {
      const inside = x * x + y * y <= r * r;
      if (cross ? inside && Math.min(Math.abs(x - y), Math.abs(x + y)) <= half * Math.SQRT2 : inside) { dx.push(x); dy.push(y); }
    }
    return { reach, dx, dy, offsets: Int32Array.from(dx.map((x, k) => dy[k] * width + x)) };
  }

  // The painter of the page's maps where WebGL2 is missing (webgl.js picks it): every point
  // interpolated on the CPU and stamped into one pixel buffer per frame. O(n) per frame and per pick.
  // Its interface is webgl.js's: resize, setPositions, setStyle, draw, pick, screenPositions, colourAt, checksum.
  function createCanvasPainter(canvas) {
    const context = canvas.getContext("2d");
    let width = 0, height = 0, ratio = 1, image = null, pixels = null, marks = null;
    let positions = null, n = 0, T = 0, levels = 1, xs = new Float32Array(0), ys = new Float32Array(0);
    let colours = null, dimmed = null, ringed = null, shapes = null;
    function resize(cssSize, pixelRatio, radius) {
      ratio = pixelRatio;
      width = height = Math.round(cssSize * ratio);
      canvas.width = width; canvas.height = height;
      canvas.style.width = canvas.style.height = cssSize + "px";
      image = context.createImageData(width, height);
      pixels = new Uint32Array(image.data.buffer);
      marks = { disc: stamp(radius * ratio, width, false), cross: stamp(radius * ratio * 1.15, width, true),
        ring: stamp((radius + 1.3) * ratio, width, false) };
    }
    function setPositions(values, count, snapshots, steps) {
      positions = values; n = count; T = snapshots; levels = steps;
      xs = new Float32Array(n); ys = new Float32Array(n);
    }
    function setStyle(pointColours, faded, rings, pointShapes) {
      colours = pointColours; dimmed = faded; ringed = rings; shapes = pointShapes;
    }
    function put(x, y, shape, colour) {
      const cx = Math.round(x * ratio), cy = Math.round(y * ratio), r = shape.reach;
      if (cx >= r && cy >= r && cx < width - r && cy < height - r) {
        const centre = cy * width + cx, offsets = shape.offsets;
        for (let k = 0; k < offsets.length; k++) pixels[centre + offsets[k]] = colour;
      } else if (cx > -r && cy > -r && cx < width + r && cy < height + r) {
        for (let k = 0; k < shape.dx.length; k++) {
          const px = cx + shape.dx[k], py = cy + shape.dy[k];
          if (px >= 0 && py >= 0 && px < width && py < height) pixels[py * width + px] = colour;
        }
      }
    }
    // Faded points first, so the others lie on top; ringed points get a ring beneath their mark.
    function draw(t, transform, background, ringColour) {
      modules.geometry.interpolate(positions, n, T, t, levels, transform, xs, ys);
      pixels.fill(background);
      for (const faded of [1, 0]) {
        for (let i = 0; i < n; i++) {
          if (dimmed[i] !== faded) continue;
          if (ringed && ringed[i] && !faded) put(xs[i], ys[i], marks.ring, ringColour);
          put(xs[i], ys[i], shapes && shapes[i] === 1 ? marks.cross : marks.disc, colours[i]);
        }
      }
      context.putImageData(image, 0, 0);
    }
    function pick(x, y, maxDistance, skipDimmed) {
      const skip = skipDimmed ? (i) => dimmed[i] === 1 : null;
      const i = modules.geometry.closestVisible(xs, ys, x, y, width / ratio, skip);
      return i >= 0 && (xs[i] - x) ** 2 + (ys[i] - y) ** 2 <= maxDistance * maxDistance ? i : -1;
    }
    return {
      kind: "canvas2d", resize, setPositions, setStyle, draw, pick,
      screenPositions: () => ({ xs, ys }),
      colourAt: (x, y) => unpack(pixels[Math.round(y * ratio) * width + Math.round(x * ratio)]),
      checksum: () => checksum(pixels),
    };
  }
  // A number that changes when the drawing does (for the page's tests): packed pixels, rows from the top.
  function checksum(pixels) {
    let s = 0;
    for (let i = 0; i < pixels.length; i += 7) s = (s + pixels[i] * (i % 13 + 1)) % 1000000007;
    return s;
  }

  // The neuron x sample view of one snapshot: samples in their map colours, neurons and edges in `ink`.
  function drawNeurons(canvas, view, colours, ink) {
    const g = canvas.getContext("2d"), w = canvas.width, h = canvas.height, m = 8, s = view.samples.length;
    const at = (j) => [m + view.positions[2 * j] * (w - 2 * m), m + (1 - view.positions[2 * j + 1]) * (h - 2 * m)];
    g.clearRect(0, 0, w, h);
    g.strokeStyle = ink; g.globalAlpha = 0.08; g.lineWidth = 1;
    g.beginPath();
    for (let e = 0; e < view.edges.length; e += 2) {
      const [x0, y0] = at(view.edges[e]), [x1, y1] = at(view.edges[e + 1]);
      g.moveTo(x0, y0); g.lineTo(x1, y1);
    }
    g.stroke();
    g.globalAlpha = 1;
    for (let j = 0; j < s; j++) {
      const [x, y] = at(j);
      g.fillStyle = css(unpack(colours[view.samples[j]]));
      g.beginPath(); g.arc(x, y, 2.5, 0, 2 * Math.PI); g.fill();
    }
    g.fillStyle = ink;
    for (let j = s; j < s + view.neurons.length; j++) { const [x, y] = at(j); g.fillRect(x - 3, y - 3, 6, 6); }
  }

  modules.render = { createCanvasPainter, drawNeurons, checksum };
})(globalThis.netscopeModules = globalThis.netscopeModules || {});
