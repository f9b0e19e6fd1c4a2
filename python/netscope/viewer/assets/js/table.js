// The selected samples as a table: its rows for the page, and as CSV and JSON for a download.
// Pure (tests/js).
(function (modules) {
  "use strict";

  // columns: [[name, (i) => value]...]; the rows of `indices`, each an array of values.
  function tableRows(indices, columns) { return indices.map((i) => columns.map(([, value]) => value(i))); }
  // RFC 4180: a field holding a comma, a quote or a line break is quoted, its quotes doubled.
  function csvField(value) {
    const text = value === null || value === undefined ? "" : String(value);
    return /[",\r\n]/.test(text) ? "\"" + text.replace(/"/g, "\"\"") + "\"" : text;
  }
  function toCsv(names, rows) {
    return [names, ...rows].map((row) => row.map(csvField).join(",")).join("\r\n") + "\r\n";
  }
  // One object per row, keyed by the column names.
  function toJson(names, rows) {
    return JSON.stringify(rows.map((row) => Object.fromEntries(names.map((name, k) => [name, row[k]]))), null, 1);
  }

  const api = { tableRows, toCsv, toJson };
  modules.table = api;
  if (typeof module !== "undefined") module.exports = api;
})(globalThis.netscopeModules = globalThis.netscopeModules || {});
