// The view in the URL's fragment: written and read back, and what a page does not have ignored.
const test = require("node:test");
const assert = require("node:assert/strict");
const { toFragment, fromFragment, indicesToText, indicesFromText } = require("../../python/netscope/viewer/assets/js/state.js");

const CHOICES = { layers: ["act1", "act2"], snapshots: ["0", "2", "4"], colours: ["class", "energy"], n: 20 };

test("a view survives its fragment", () => {
  const view = { layer: "act2", snapshot: "4", colour: "energy", zoom: { k: 2.5, cx: 0.25, cy: 0.75 }, search: "label=3, 10-20", selection: [3, 4, 5, 9] };
  const fragment = toFragment(view);
  assert.match(fragment, /^#layer=act2&snapshot=4&colour=energy&zoom=/);
  assert.deepEqual(fromFragment(fragment, CHOICES), view);
});

test("the fitted zoom and an empty search are left out of the fragment", () => {
  const fragment = toFragment({ layer: "act1", snapshot: "0", colour: "class", zoom: { k: 1, cx: 0.5, cy: 0.5 }, search: "", selection: [] });
  assert.equal(fragment, "#layer=act1&snapshot=0&colour=class");
  assert.deepEqual(fromFragment(fragment, CHOICES), { layer: "act1", snapshot: "0", colour: "class" });
});

test("names the page does not have and malformed zooms are ignored", () => {
  assert.deepEqual(fromFragment("#layer=act9&snapshot=3&colour=pink&zoom=2,x,1", CHOICES), {});
  assert.deepEqual(fromFragment("#zoom=-1,0.5,0.5", CHOICES), {});
  assert.deepEqual(fromFragment("", CHOICES), {});
});

test("selections are written as runs of indices, and read back within the samples", () => {
  assert.equal(indicesToText([0, 1, 2, 5, 7, 8]), "0-2,5,7-8");
  assert.equal(indicesToText([]), "");
  assert.deepEqual(indicesFromText("0-2,5,7-8", 20), [0, 1, 2, 5, 7, 8]);
  assert.deepEqual(indicesFromText("18-25,3,3,x,-1", 20), [3, 18, 19]);
  assert.match(toFragment({ layer: "act1", snapshot: "0", colour: "class", zoom: { k: 1, cx: 0.5, cy: 0.5 }, search: "",
    selection: [4, 5, 6] }), /&selection=4-6$/);
});

test("the layers beside the first: one by name, or all of them", () => {
  const base = { layer: "act1", snapshot: "0", colour: "class", zoom: { k: 1, cx: 0.5, cy: 0.5 }, search: "", selection: [] };
  for (const beside of ["act2", "*"]) {
    const fragment = toFragment({ ...base, beside });
    assert.equal(fragment, "#layer=act1&snapshot=0&colour=class&beside=" + beside);
    assert.equal(fromFragment(fragment, CHOICES).beside, beside);
  }
  assert.equal(toFragment({ ...base, beside: "" }), "#layer=act1&snapshot=0&colour=class");
  assert.equal(fromFragment("#beside=act9", CHOICES).beside, undefined);
});
