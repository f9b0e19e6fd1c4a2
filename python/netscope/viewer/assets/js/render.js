// Drawing: the map's points into one pixel buffer per frame (plotly and bokeh redraw
// 100 000 animated points 15-50x slower: bench/bench_page.py), and the neuron x sample view.
// The map's backing store has devicePixelRatio pixels per CSS pixel, so points stay crisp on any screen.
(function (modules) {
  "use strict";
  const { unpack, css } = modules.palette;

  // The pixels of a disc of radius r, as offsets in a buffer `width` pixels wide and as (dx, dy)
  // for the points near the edges, which are drawn pixel by pixel.
  function stamp(r, width) {
    const dx = [], dy = [], reach = Math.ceil(r);
    for (let y = -reach; y <= reach; y++) for (let x = -reach; x <= reach; x++)
      if (x * x + y * y <= r * r) { dx.push(x); dy.push(y); }
    return { reach, dx, dy, offsets: Int32Array.from(dx.map((x, k) => dy[k] * width + x)) };
  }

  function createMapPainter(canvas) {
    const context = canvas.getContext("2d");
    let width = 0, height = 0, ratio = 1, image = null, pixels = null, disc = null, ring = null;
    function resize(cssSize, pixelRatio, radius) {
      ratio = pixelRatio;
      width = height = Math.round(cssSize * ratio);
      canvas.width = width; canvas.height = height;
      canvas.style.width = canvas.style.height = cssSize + "px";
      image = context.createImageData(width, height);
      pixels = new Uint32Array(image.data.buffer);
      disc = stamp(radius * ratio, width); ring = stamp((radius + 1.3) * ratio, width);
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
    // Faded points first, so the others lie on top; ringed points get a dark ring.
    function paint(xs, ys, colours, dimmed, ringed, background, ringColour) {
      pixels.fill(background);
      for (const faded of [1, 0]) {
        for (let i = 0; i < xs.length; i++) {
          if (dimmed[i] !== faded) continue;
          if (ringed && ringed[i] && !faded) put(xs[i], ys[i], ring, ringColour);
          put(xs[i], ys[i], disc, colours[i]);
        }
      }
      context.putImageData(image, 0, 0);
    }
    return {
      resize, paint,
      // The colour drawn at CSS pixel (x, y), as [r, g, b].
      colourAt: (x, y) => unpack(pixels[Math.round(y * ratio) * width + Math.round(x * ratio)]),
      checksum: () => { let s = 0; for (let i = 0; i < pixels.length; i += 7) s = (s + pixels[i] * (i % 13 + 1)) % 1000000007; return s; },
    };
  }

  // The neuron x sample view of one snapshot: samples in their map colours, neurons black.
  function drawNeurons(canvas, view, colours) {
    const g = canvas.getContext("2d"), w = canvas.width, h = canvas.height, m = 8, s = view.samples.length;
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
      const [x, y] = at(j);
      g.fillStyle = css(unpack(colours[view.samples[j]]));
      g.beginPath(); g.arc(x, y, 2.5, 0, 2 * Math.PI); g.fill();
    }
    g.fillStyle = "#000";
    for (let j = s; j < s + view.neurons.length; j++) { const [x, y] = at(j); g.fillRect(x - 3, y - 3, 6, 6); }
  }

  modules.render = { createMapPainter, drawNeurons };
})(globalThis.netscopeModules = globalThis.netscopeModules || {});
