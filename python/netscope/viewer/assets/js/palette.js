// The page's colours: the themes (light, dark) with their categorical palette of the classes,
// correct and wrong, the ring of marked points and the ink; the ramp of sensitivity and energy;
// and the arithmetic on them (packed pixels, fading, WCAG contrast). Pure (tests/js/palette.test.js).
(function (modules) {
  "use strict";
  // The classes' colours, class i the same hue in both themes, from published colour-blind-aware
  // palettes — Okabe & Ito, "Color Universal Design" (2008) [OI]; Paul Tol, "Colour schemes"
  // (SRON/EPS/TN/09-002), vibrant, muted and bright [Tv, Tm, Tb]; the IBM Design Library's [IBM] — in
  // order: Tv blue #0077BB, OI vermillion #D55E00, Tm rose #CC6677, Tm indigo #332288, Tm purple #AA4499,
  // OI yellow #F0E442, Tv teal #009988, Tb green #228833, OI sky blue #56B4E9, Tv red #CC3311, IBM violet
  // #785EF0, OI reddish purple #CC79A7. Each keeps its source's CIELAB a*, b* (the chroma lowered only
  // where sRGB has no such colour) at a lightness L* that gives it 3:1 or more against the theme's
  // background (L* 30-60 on white, 42-84 on #121212, each dark one at least 8 lighter than its light
  // one), the lightnesses chosen so that the twelve stay apart for the three colour-blind dichromacies:
  // any two are at least 18.7 apart in CIELAB (ΔE76) in normal vision and 14.6 simulated (Machado et
  // al. 2009 at severity 1, in linear RGB), in both themes. The order is farthest-first from the blue.
  // tests/js/palette.test.js measures all of it.
  const THEMES = deepFreeze({
    light: {
      background: "#ffffff", ink: "#222222", ring: "#141414", fadeTo: "#ffffff",
      categorical: ["#056dab", "#a44701", "#d36c7d", "#49339c", "#8f2980", "#9b9402", "#035b50", "#238934",
        "#339acd", "#8c1801", "#785ef0", "#b86794"],
      // Okabe-Ito's bluish green and Tol's vibrant red as published: 3.4:1 and 5.2:1 on white, 11.7 apart in
      // L*, ΔE76 >= 33 under each simulation; wrong, the one to notice, has the more contrast.
      correct: "#009e73", wrong: "#cc3311",
    },
    dark: {
      background: "#121212", ink: "#e8e8e8", ring: "#f2f2f2", fadeTo: "#121212",
      categorical: ["#3c91d7", "#e86d18", "#febac2", "#6b50bd", "#a54095", "#c9c00f", "#027b6d", "#87e78a",
        "#5dbaef", "#cc3311", "#997bff", "#da86b4"],
      // The same bluish green at L* 50 and Okabe-Ito's vermillion at L* 66: 4.2:1 and 7.2:1 on #121212,
      // 16 apart in L*, ΔE76 >= 41 under each simulation.
      correct: "#038862", wrong: "#fb7d2a",
    },
  });
  // Viridis (van der Walt and Smith, matplotlib), 5 stops, in both themes: its lightness rises from end to
  // end, so one end nears each background — the yellow top 1.26:1 on white, the purple bottom 1.23:1 on
  // #121212 — while the other end has 15:1. A ramp that met 3:1 throughout would have to span only the
  // half of the lightness range away from the background, and would tell fewer values apart.
  const RAMP = ["#440154", "#3b528b", "#21918c", "#5ec962", "#fde725"];
  const DIM = 0.82; // how far a faded point goes toward its theme's fadeTo
  const PALETTE = THEMES.light.categorical, CORRECT = THEMES.light.correct, WRONG = THEMES.light.wrong;

  function deepFreeze(o) { for (const v of Object.values(o)) if (typeof v === "object") deepFreeze(v); return Object.freeze(o); }
  function themeOf(name) {
    if (!Object.prototype.hasOwnProperty.call(THEMES, name)) throw new Error("no colour theme " + JSON.stringify(name));
    return THEMES[name];
  }
  function rgb(hex) { return [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)); }
  function pack([r, g, b]) { return (255 << 24 | b << 16 | g << 8 | r) >>> 0; } // little-endian RGBA
  function unpack(c) { return [c & 255, c >> 8 & 255, c >> 16 & 255]; }
  // c moved `amount` (0..1) of the way toward `to` (white unless given).
  function mix(c, amount, to = [255, 255, 255]) { return c.map((v, j) => Math.round(v + (to[j] - v) * amount)); }
  const css = (c) => "rgb(" + c.join(",") + ")";
  function fade(c, theme = "light") { return mix(c, DIM, rgb(themeOf(theme).fadeTo)); }

  // WCAG 2 relative luminance of an sRGB colour [r, g, b] (0..255), and the contrast ratio of two: 1 to 21.
  function luminance(c) {
    const [r, g, b] = c.map((v) => { const s = v / 255; return s <= 0.04045 ? s / 12.92 : Math.pow((s + 0.055) / 1.055, 2.4); });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  }
  function contrast(a, b) {
    const la = luminance(a), lb = luminance(b);
    return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05);
  }

  function hsl(h, s, l) { // h in degrees, s and l in 0..1
    const k = (n) => (n + h / 30) % 12, a = s * Math.min(l, 1 - l);
    return [0, 8, 4].map((n) => Math.round(255 * (l - a * Math.max(-1, Math.min(k(n) - 3, 9 - k(n), 1)))));
  }
  // Class i's colour in `theme`: the palette's, then generated ones — hues a golden angle apart, taken
  // toward the theme's ink (black on white, white on dark) until they reach 3.2:1 or 4.5:1 (by turns)
  // against its background. O(1).
  function classColour(i, theme = "light") {
    const t = themeOf(theme);
    if (i < t.categorical.length) return rgb(t.categorical[i]);
    const k = i - t.categorical.length, background = rgb(t.background), target = k % 2 ? 4.5 : 3.2;
    const base = hsl((k * 137.508 + 20) % 360, 0.75, 0.5), to = luminance(background) > 0.18 ? [0, 0, 0] : [255, 255, 255];
    let c = base;
    for (let step = 1; contrast(c, background) < target && step <= 20; step++) c = mix(base, step / 20, to);
    return c;
  }
  const rampColours = RAMP.map(rgb);
  function ramp(x) {
    const v = Math.min(1, Math.max(0, x)) * (rampColours.length - 1), i = Math.min(Math.floor(v), rampColours.length - 2);
    const f = v - i, a = rampColours[i], b = rampColours[i + 1];
    return [0, 1, 2].map((j) => Math.round(a[j] + (b[j] - a[j]) * f));
  }
  const rampCss = "linear-gradient(to right, " + RAMP.join(", ") + ")";

  const api = { THEMES, PALETTE, CORRECT, WRONG, DIM, rgb, pack, unpack, mix, css, fade, luminance, contrast,
    classColour, ramp, rampCss };
  modules.palette = api;
  if (typeof module !== "undefined") module.exports = api;
})(globalThis.netscopeModules = globalThis.netscopeModules || {});
