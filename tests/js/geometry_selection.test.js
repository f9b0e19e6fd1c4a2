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

test("the keyboard reaches the point nearest the centre, then its neighbours arrow by arrow", () => {
  const { closestVisible, neighbourToward } = require("../../python/netscope/viewer/assets/js/geometry.js");
  // a plus sign about (50, 50), and one point off the canvas of size 100
  const xs = Float32Array.from([50, 70, 30, 50, 50, 150]), ys = Float32Array.from([50, 50, 50, 20, 90, 50]);
  assert.equal(closestVisible(xs, ys, 45, 45, 100), 0);
  assert.equal(closestVisible(xs, ys, 45, 45, 100, (i) => i === 0), 2);
  assert.equal(neighbourToward(xs, ys, 0, 1, 0, 100), 1); // right; not the point off the canvas
  assert.equal(neighbourToward(xs, ys, 1, 1, 0, 100), -1);
  assert.equal(neighbourToward(xs, ys, 0, -1, 0, 100), 2);
  assert.equal(neighbourToward(xs, ys, 0, 0, -1, 100), 3); // up, screen y down
  assert.equal(neighbourToward(xs, ys, 3, 0, 1, 100), 0);
});
