// The search box's queries: indices, ranges, columns, any-column text, and their combinations.
const test = require("node:test");
const assert = require("node:assert/strict");
const { search, parseQuery } = require("../../python/netscope/viewer/assets/js/search.js");

const CLASSES = ["cat", "dog", "catfish"];
const LABELS = [0, 1, 2, 0, 1, 2, 0];
const PREDICTIONS = [0, 0, 2, 1, 1, 2, 2];
const columns = { label: (i) => CLASSES[LABELS[i]], prediction: (i) => CLASSES[PREDICTIONS[i]] };
const matching = (query) => { const found = search(query, LABELS.length, columns); return found && [...found.mask.keys()].filter((i) => found.mask[i]); };

test("an empty query searches nothing", () => {
  assert.equal(search("  ", 7, columns), null);
  assert.equal(search(" , ", 7, columns), null);
});

test("numbers are sample indices, and a-b an inclusive range", () => {
  assert.deepEqual(matching("3"), [3]);
  assert.deepEqual(matching("2-4"), [2, 3, 4]);
  assert.deepEqual(matching("4-2"), [2, 3, 4]);
  assert.deepEqual(matching("99"), []);
});

test("column=text is equality, column:text containment, both case-insensitive", () => {
  assert.deepEqual(matching("label=cat"), [0, 3, 6]);
  assert.deepEqual(matching("label:CAT"), [0, 2, 3, 5, 6]);
  assert.deepEqual(matching("Prediction=dog"), [3, 4]);
});

test("bare text is looked for in every column", () => {
  assert.deepEqual(matching("fish"), [2, 5, 6]);
});

test("spaces join terms that must all hold; commas join choices", () => {
  assert.deepEqual(matching("label=cat prediction=catfish"), [6]);
  assert.deepEqual(matching("label=dog prediction=cat, 5"), [1, 5]);
  assert.equal(search("label=cat, 1", 7, columns).count, 4);
});

test("a column the page does not have is an error that names the ones it has", () => {
  assert.throws(() => parseQuery("colour=red", ["label", "prediction"]), /no column "colour" \(the columns: label, prediction\)/);
});
