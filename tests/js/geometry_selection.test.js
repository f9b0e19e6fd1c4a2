// The lasso's and the box's hit tests.
const test = require("node:test");
const assert = require("node:assert/strict");
const { insidePolygon, pointsInside, boxPolygon } = require("../../python/netscope/viewer/assets/js/geometry.js");

// An L: the square 0..4 less its top-right quarter 2..4 x 0..2 (screen y down).
const L = [0, 0, 2, 0, 2, 2, 4, 2, 4, 4, 0, 4];

test("points inside a concave polygon, and not in its notch", () => {
  assert.ok(insidePolygon(1, 1, L));
  assert.ok(insidePolygon(3, 3, L));
  assert.ok(!insidePolygon(3, 1, L)); // the notch
  assert.ok(!insidePolygon(5, 3, L));
  assert.ok(!insidePolygon(-1, 1, L));
});

test("the points inside, ascending, from their screen positions", () => {
  const xs = Float32Array.from([1, 3, 3, 5, 0.5]), ys = Float32Array.from([1, 1, 3, 3, 3.5]);
  assert.deepEqual(pointsInside(L, xs, ys), [0, 2, 4]);
  assert.deepEqual(pointsInside(boxPolygon(4, 4, 2.5, 0.5), xs, ys), [1, 2]); // corners in any order
  assert.deepEqual(pointsInside([0, 0, 1, 1], xs, ys), []); // fewer than 3 corners enclose nothing
});
