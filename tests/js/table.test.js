// The selection's table as CSV and JSON.
const test = require("node:test");
const assert = require("node:assert/strict");
const { tableRows, toCsv, toJson } = require("../../python/netscope/viewer/assets/js/table.js");

const names = ["sample", "label", "note"];
const notes = { 2: "plain", 5: "a \"quoted\", comma", 9: null };
const rows = tableRows([2, 5, 9], [["sample", (i) => i], ["label", (i) => "c" + (i % 3)], ["note", (i) => notes[i]]]);

test("rows hold each column's value of each sample", () => {
  assert.deepEqual(rows, [[2, "c2", "plain"], [5, "c2", "a \"quoted\", comma"], [9, "c0", null]]);
});

test("CSV quotes the fields that need it and doubles their quotes", () => {
  assert.equal(toCsv(names, rows), "sample,label,note\r\n2,c2,plain\r\n5,c2,\"a \"\"quoted\"\", comma\"\r\n9,c0,\r\n");
});

test("JSON is one object per row", () => {
  assert.deepEqual(JSON.parse(toJson(names, rows)),
    [{ sample: 2, label: "c2", note: "plain" }, { sample: 5, label: "c2", note: "a \"quoted\", comma" }, { sample: 9, label: "c0", note: null }]);
});
