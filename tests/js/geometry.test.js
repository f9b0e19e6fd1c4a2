// Interpolation between snapshots and the zoom and pan transforms of the map.
const test = require("node:test");
const assert = require("node:assert/strict");
const geometry = require("../../python/netscope/viewer/assets/js/geometry.js");

const SIZE = 600, MARGIN = 12, LEVELS = 100;
const close = (a, b, tolerance = 1e-9) => assert.ok(Math.abs(a - b) <= tolerance, a + " is not " + b);
const onScreen = (view, u, v) => {
  const f = geometry.screenTransform(view, SIZE, MARGIN);
  return [f.bx + f.a * u, f.by - f.a * v];
};

test("the fitted view puts the unit square inside the margins, y up", () => {
  const view = geometry.fitView();
  assert.deepEqual(onScreen(view, 0, 0), [MARGIN, SIZE - MARGIN]);
  assert.deepEqual(onScreen(view, 1, 1), [SIZE - MARGIN, MARGIN]);
});

test("points between snapshots lie on the straight line between their places", () => {
  // 2 points, 3 snapshots, quantised to 0..100
  const positions = Uint16Array.from([0, 0, 100, 100, /* t=1 */ 100, 0, 0, 100, /* t=2 */ 50, 50, 50, 50]);
  const xs = new Float32Array(2), ys = new Float32Array(2), f = geometry.screenTransform(geometry.fitView(), SIZE, MARGIN);
  geometry.interpolate(positions, 2, 3, 0.25, LEVELS, f, xs, ys);
  close(xs[0], f.bx + f.a * 0.25, 1e-3); close(ys[0], f.by, 1e-3);
  close(xs[1], f.bx + f.a * 0.75, 1e-3); close(ys[1], f.by - f.a, 1e-3);
  geometry.interpolate(positions, 2, 3, 2, LEVELS, f, xs, ys); // the last snapshot itself
  close(xs[0], f.bx + f.a * 0.5, 1e-3); close(ys[1], f.by - f.a * 0.5, 1e-3);
});

test("zooming keeps the map point under the cursor in place", () => {
  const before = { k: 1.5, cx: 0.4, cy: 0.6 }, cursor = [123, 456];
  const u = before.cx + (cursor[0] - SIZE / 2) / (before.k * (SIZE - 2 * MARGIN));
  const v = before.cy - (cursor[1] - SIZE / 2) / (before.k * (SIZE - 2 * MARGIN));
  const after = geometry.zoomAbout(before, 2, cursor[0], cursor[1], SIZE, MARGIN);
  close(after.k, 3);
  const [x, y] = onScreen(after, u, v);
  close(x, cursor[0], 1e-6); close(y, cursor[1], 1e-6);
});

test("zoom stays within its range, and panning moves the map by the drag", () => {
  assert.equal(geometry.zoomAbout(geometry.fitView(), 0.1, 300, 300, SIZE, MARGIN).k, geometry.MIN_ZOOM);
  assert.equal(geometry.zoomAbout({ k: 200, cx: 0.5, cy: 0.5 }, 10, 300, 300, SIZE, MARGIN).k, geometry.MAX_ZOOM);
  assert.equal(geometry.clampView({ k: 1e6, cx: 0.2, cy: 0.3 }).k, geometry.MAX_ZOOM);
  const view = { k: 2, cx: 0.5, cy: 0.5 }, moved = geometry.pan(view, 30, -20, SIZE, MARGIN);
  const [x0, y0] = onScreen(view, 0.3, 0.7), [x1, y1] = onScreen(moved, 0.3, 0.7);
  close(x1 - x0, 30, 1e-9); close(y1 - y0, -20, 1e-9);
});

test("one point alone lands where interpolate puts it", () => {
  const positions = Uint16Array.from([0, 0, 100, 50, 20, 40, 60, 100, 100, 100, 0, 0]); // 2 points, 3 snapshots
  const transform = geometry.screenTransform({ k: 1.7, cx: 0.4, cy: 0.6 }, SIZE, MARGIN);
  for (const t of [0, 0.3, 1, 1.75, 2]) {
    const xs = new Float64Array(2), ys = new Float64Array(2);
    geometry.interpolate(positions, 2, 3, t, LEVELS, transform, xs, ys);
    for (let i = 0; i < 2; i++) {
      const [x, y] = geometry.pointAt(positions, 2, 3, t, LEVELS, transform, i);
      close(x, xs[i], 1e-9); close(y, ys[i], 1e-9);
    }
  }
});
