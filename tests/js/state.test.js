// The view in the URL's fragment: written and read back, and what a page does not have ignored.
const test = require("node:test");
const assert = require("node:assert/strict");
const { toFragment, fromFragment } = require("../../python/netscope/viewer/assets/js/state.js");

const CHOICES = { layers: ["act1", "act2"], snapshots: ["0", "2", "4"], colours: ["class", "energy"] };

test("a view survives its fragment", () => {
  const view = { layer: "act2", snapshot: "4", colour: "energy", zoom: { k: 2.5, cx: 0.25, cy: 0.75 }, search: "label=3, 10-20" };
  const fragment = toFragment(view);
  assert.match(fragment, /^#layer=act2&snapshot=4&colour=energy&zoom=/);
  assert.deepEqual(fromFragment(fragment, CHOICES), view);
});

test("the fitted zoom and an empty search are left out of the fragment", () => {
  const fragment = toFragment({ layer: "act1", snapshot: "0", colour: "class", zoom: { k: 1, cx: 0.5, cy: 0.5 }, search: "" });
  assert.equal(fragment, "#layer=act1&snapshot=0&colour=class");
  assert.deepEqual(fromFragment(fragment, CHOICES), { layer: "act1", snapshot: "0", colour: "class" });
});

test("names the page does not have and malformed zooms are ignored", () => {
  assert.deepEqual(fromFragment("#layer=act9&snapshot=3&colour=pink&zoom=2,x,1", CHOICES), {});
  assert.deepEqual(fromFragment("#zoom=-1,0.5,0.5", CHOICES), {});
  assert.deepEqual(fromFragment("", CHOICES), {});
});
