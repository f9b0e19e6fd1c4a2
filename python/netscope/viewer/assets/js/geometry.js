// Where points are drawn: between two snapshots, and under the view's zoom and pan. A view is
// { k: zoom, cx, cy: the map point (unit square, y up) at the centre of the canvas }, so it does
// not depend on the canvas size and a link reopens the same view on any screen. Pure (tests/js).
(function (modules) {
  "use strict";
  const MIN_ZOOM = 1, MAX_ZOOM = 256; // at 256x, 100 000 points at one pixel each are 256 pixels apart

  function fitView() { return { k: 1, cx: 0.5, cy: 0.5 }; }
  // screen x = bx + a u, screen y = by - a v, for a square canvas of `size` CSS pixels.
  function screenTransform(view, size, margin) {
    const a = view.k * (size - 2 * margin);
    return { a, bx: size / 2 - view.cx * a, by: size / 2 + view.cy * a };
  }
  // Screen positions (xs, ys) at fractional snapshot t: on the straight line between the two
  // snapshots around it. positions: quantised (T, n, 2) to 0..levels.
  function interpolate(positions, n, T, t, levels, transform, xs, ys) {
    const t0 = Math.min(Math.floor(t), T - 1), t1 = Math.min(t0 + 1, T - 1), f = t - t0;
    const a = 2 * t0 * n, b = 2 * t1 * n, scale = transform.a / levels;
    for (let i = 0; i < n; i++) {
      const x = positions[a + 2 * i] + (positions[b + 2 * i] - positions[a + 2 * i]) * f;
      const y = positions[a + 2 * i + 1] + (positions[b + 2 * i + 1] - positions[a + 2 * i + 1]) * f;
      xs[i] = transform.bx + x * scale;
      ys[i] = transform.by - y * scale;
    }
  }
  // The screen position of point i alone at fractional snapshot t, as interpolate places it. O(1).
  function pointAt(positions, n, T, t, levels, transform, i) {
    const t0 = Math.min(Math.floor(t), T - 1), t1 = Math.min(t0 + 1, T - 1), f = t - t0;
    const a = 2 * (t0 * n + i), b = 2 * (t1 * n + i), scale = transform.a / levels;
    const x = positions[a] + (positions[b] - positions[a]) * f, y = positions[a + 1] + (positions[b + 1] - positions[a + 1]) * f;
    return [transform.bx + x * scale, transform.by - y * scale];
  }
  function clampZoom(k) { return Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, k)); }
  // Zoom by `factor`, keeping the map point under the screen point (sx, sy) where it is.
  function zoomAbout(view, factor, sx, sy, size, margin) {
    const span = size - 2 * margin, k = clampZoom(view.k * factor);
    const u = view.cx + (sx - size / 2) / (view.k * span), v = view.cy - (sy - size / 2) / (view.k * span);
    return { k, cx: u - (sx - size / 2) / (k * span), cy: v + (sy - size / 2) / (k * span) };
  }
  // A view read from elsewhere (a link), its zoom within the range the page allows.
  function clampView(view) { return { k: clampZoom(view.k), cx: view.cx, cy: view.cy }; }
  // Move the map by (dx, dy) screen pixels.
  function pan(view, dx, dy, size, margin) {
    const a = view.k * (size - 2 * margin);
    return { k: view.k, cx: view.cx - dx / a, cy: view.cy + dy / a };
  }

  // Whether (x, y) lies inside the polygon [x0, y0, x1, y1, ...] (closed by its last edge): the
  // even-odd rule, counting the edges that a ray to the right of the point crosses.
  function insidePolygon(x, y, polygon) {
    let inside = false;
    for (let a = 0, b = polygon.length - 2; a < polygon.length; b = a, a += 2) {
      const xa = polygon[a], ya = polygon[a + 1], xb = polygon[b], yb = polygon[b + 1];
      if ((ya > y) !== (yb > y) && x < xa + (y - ya) / (yb - ya) * (xb - xa)) inside = !inside;
    }
    return inside;
  }
  // The indices of the points (xs, ys) inside the polygon, ascending.
  function pointsInside(polygon, xs, ys) {
    const found = [];
    if (polygon.length < 6) return found;
    let left = Infinity, right = -Infinity, top = Infinity, bottom = -Infinity; // its bounding box first: cheap
    for (let k = 0; k < polygon.length; k += 2) {
      left = Math.min(left, polygon[k]); right = Math.max(right, polygon[k]);
      top = Math.min(top, polygon[k + 1]); bottom = Math.max(bottom, polygon[k + 1]);
    }
    for (let i = 0; i < xs.length; i++) {
      if (xs[i] < left || xs[i] > right || ys[i] < top || ys[i] > bottom) continue;
      if (insidePolygon(xs[i], ys[i], polygon)) found.push(i);
    }
    return found;
  }
  // The box between two corners, as a polygon.
  function boxPolygon(x0, y0, x1, y1) { return [x0, y0, x1, y0, x1, y1, x0, y1]; }

  // For the keyboard: the point nearest to (x, y) among those drawn within [0, size)^2, or -1.
  function closestVisible(xs, ys, x, y, size, skip) {
    let best = -1, bestDistance = Infinity;
    for (let i = 0; i < xs.length; i++) {
      if ((skip && skip(i)) || xs[i] < 0 || ys[i] < 0 || xs[i] >= size || ys[i] >= size) continue;
      const d = (xs[i] - x) ** 2 + (ys[i] - y) ** 2;
      if (d < bestDistance) { bestDistance = d; best = i; }
    }
    return best;
  }
  // The nearest visible neighbour of point `from` in the direction (dx, dy) (a unit step along
  // an axis): within 45 degrees of it, so that opposite arrows undo each other; -1 if none.
  function neighbourToward(xs, ys, from, dx, dy, size, skip) {
    let best = -1, bestDistance = Infinity;
    for (let i = 0; i < xs.length; i++) {
      if (i === from || (skip && skip(i)) || xs[i] < 0 || ys[i] < 0 || xs[i] >= size || ys[i] >= size) continue;
      const ex = xs[i] - xs[from], ey = ys[i] - ys[from], along = ex * dx + ey * dy, across = Math.abs(ex * dy - ey * dx);
      if (along <= 0 || across > along) continue;
      const d = ex * ex + ey * ey;
      if (d < bestDistance) { bestDistance = d; best = i; }
    }
    return best;
  }

  const api = { closestVisible, neighbourToward, insidePolygon, pointsInside, boxPolygon, MIN_ZOOM, MAX_ZOOM, fitView, screenTransform, interpolate, pointAt, zoomAbout, clampView, pan };
  modules.geometry = api;
  if (typeof module !== "undefined") module.exports = api;
})(globalThis.netscopeModules = globalThis.netscopeModules || {});
