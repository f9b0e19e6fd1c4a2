// The page's colours: the categorical palette of the classes, the ramp of sensitivity and energy,
// correct and wrong, and the arithmetic on them (packed pixels, fading). Pure (tests/js).
(function (modules) {
  "use strict";
  const PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
    "#bcbd22", "#17becf", "#aec7e8", "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5", "#c49c94", "#f7b6d2",
    "#c7c7c7", "#dbdb8d", "#9edae5"];
  const RAMP = ["#440154", "#3b528b", "#21918c", "#5ec962", "#fde725"]; // viridis, 5 stops
  const CORRECT = "#2a9d4b", WRONG = "#d62728", DIM = 0.82;

  function rgb(hex) { return [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)); }
  function pack([r, g, b]) { return (255 << 24 | b << 16 | g << 8 | r) >>> 0; } // little-endian RGBA
  function unpack(c) { return [c & 255, c >> 8 & 255, c >> 16 & 255]; }
  function mix(c, amount) { return c.map((v) => Math.round(v + (255 - v) * amount)); }
  const css = (c) => "rgb(" + c.join(",") + ")";
  function classColour(i) {
    return rgb(i < PALETTE.length ? PALETTE[i] :
      "#" + [0, 1, 2].map((j) => ((i * 97 + j * 61) % 200 + 30).toString(16).padStart(2, "0")).join(""));
  }
  const rampColours = RAMP.map(rgb);
  function ramp(x) {
    const v = Math.min(1, Math.max(0, x)) * (rampColours.length - 1), i = Math.min(Math.floor(v), rampColours.length - 2);
    const f = v - i, a = rampColours[i], b = rampColours[i + 1];
    return [0, 1, 2].map((j) => Math.round(a[j] + (b[j] - a[j]) * f));
  }
  const rampCss = "linear-gradient(to right, " + RAMP.join(", ") + ")";

  const api = { PALETTE, CORRECT, WRONG, DIM, rgb, pack, unpack, mix, css, classColour, ramp, rampCss };
  modules.palette = api;
  if (typeof module !== "undefined") module.exports = api;
})(globalThis.netscopeModules = globalThis.netscopeModules || {});
