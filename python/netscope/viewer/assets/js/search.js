// The search box's queries over the samples. A query is terms joined by spaces (all must hold)
// in groups joined by commas (any may hold):
//   12 or 10-20           sample index, or an inclusive range of them
//   label=3, label:ca     a column equal to, or containing, the text (case-insensitive)
//   cat                   any column containing the text
// Columns are functions of the sample index (the page passes label, true_label, prediction).
// Pure (tests/js).
(function (modules) {
  "use strict";

  function parseTerm(term, columnNames) {
    const range = /^(\d+)(?:-(\d+))?$/.exec(term);
    if (range) {
      const low = Number(range[1]), high = range[2] === undefined ? low : Number(range[2]);
      return { kind: "index", low: Math.min(low, high), high: Math.max(low, high) };
    }
    const column = /^([^:=]+)([:=])(.*)$/.exec(term);
    if (column) {
      const name = column[1].toLowerCase();
      if (!columnNames.includes(name))
        throw new Error("no column \"" + column[1] + "\" (the columns: " + columnNames.join(", ") + ")");
      return { kind: "column", name, exact: column[2] === "=", value: column[3].toLowerCase() };
    }
    return { kind: "text", value: term.toLowerCase() };
  }
  // The groups of terms of `text` (an Error for a term that names no column); [] for an empty query.
  function parseQuery(text, columnNames) {
    return text.split(",").map((group) => group.trim()).filter((group) => group.length > 0)
      .map((group) => group.split(/\s+/).map((term) => parseTerm(term, columnNames)));
  }
  function holds(term, i, columns) {
    if (term.kind === "index") return term.low <= i && i <= term.high;
    if (term.kind === "column") {
      const value = String(columns[term.name](i)).toLowerCase();
      return term.exact ? value === term.value : value.includes(term.value);
    }
    for (const name in columns) if (String(columns[name](i)).toLowerCase().includes(term.value)) return true;
    return false;
  }
  // { mask: Uint8Array(n), 1 where sample i matches; count } of the query, or null for an empty one.
  function search(text, n, columns) {
    const groups = parseQuery(text, Object.keys(columns));
    if (groups.length === 0) return null;
    const mask = new Uint8Array(n);
    let count = 0;
    for (let i = 0; i < n; i++) {
      if (groups.some((terms) => terms.every((term) => holds(term, i, columns)))) { mask[i] = 1; count++; }
    }
    return { mask, count };
  }

  const api = { parseQuery, search };
  modules.search = api;
  if (typeof module !== "undefined") module.exports = api;
})(globalThis.netscopeModules = globalThis.netscopeModules || {});
