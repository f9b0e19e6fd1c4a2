// The page's colours, measured: WCAG contrast against each theme's background, the classes told
// apart under simulated colour blindness, and page.css's colours equal to palette.js's.
const test = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const path = require("node:path");
const palette = require("../../python/netscope/viewer/assets/js/palette.js");

const { THEMES, rgb, contrast, luminance, classColour } = palette;
const CSS_FILE = path.join(__dirname, "../../python/netscope/viewer/assets/page.css");

// ---------------------------------------------------------------- colour science for the tests
const linear = (v) => { const s = v / 255; return s <= 0.04045 ? s / 12.92 : Math.pow((s + 0.055) / 1.055, 2.4); };
// Machado, Oliveira and Fernandes (2009), "A physiologically-based model for simulation of color vision
// deficiency", IEEE TVCG 15(6), severity 1.0: the dichromacies, on linear RGB.
const SIMULATIONS = {
  normal: null,
  protanopia: [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216], [-0.003882, -0.048116, 1.051998]],
  deuteranopia: [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413], [-0.011820, 0.042940, 0.968881]],
  tritanopia: [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602], [0.004733, 0.691367, 0.303900]],
};
// CIELAB (D65) of an sRGB colour as seen in `vision`.
function lab(c, vision = "normal") {
  let l = c.map(linear);
  const m = SIMULATIONS[vision];
  if (m) l = m.map((row) => Math.min(1, Math.max(0, row[0] * l[0] + row[1] * l[1] + row[2] * l[2])));
  const [r, g, b] = l;
  const x = (0.4124564 * r + 0.3575761 * g + 0.1804375 * b) / 0.95047;
  const y = 0.2126729 * r + 0.7151522 * g + 0.0721750 * b;
  const z = (0.0193339 * r + 0.1191920 * g + 0.9503041 * b) / 1.08883;
  const f = (t) => t > 216 / 24389 ? Math.cbrt(t) : (24389 / 27 * t + 16) / 116;
  return [116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))];
}
const deltaE = (p, q) => Math.hypot(p[0] - q[0], p[1] - q[1], p[2] - q[2]); // CIE 1976
function closestPair(colours, vision) {
  const labs = colours.map((c) => lab(c, vision));
  let least = { distance: Infinity };
  for (let i = 0; i < labs.length; i++) for (let j = i + 1; j < labs.length; j++) {
    const distance = deltaE(labs[i], labs[j]);
    if (distance < least.distance) least = { distance, i, j };
  }
  return least;
}
const close = (a, b, tolerance) => assert.ok(Math.abs(a - b) <= tolerance, a + " is not " + b);

// ---------------------------------------------------------------- contrast
test("contrast() gives WCAG 2's ratios", () => {
  close(contrast([0, 0, 0], [255, 255, 255]), 21, 1e-9);
  close(contrast([255, 255, 255], [0, 0, 0]), 21, 1e-9);
  assert.equal(contrast([120, 30, 200], [120, 30, 200]), 1);
  close(luminance([255, 255, 255]), 1, 1e-9);
  assert.equal(luminance([0, 0, 0]), 0);
  // Known values (WebAIM's contrast checker): #777777 on white 4.48, #767676 on white 4.54, red on white 4.00.
  close(contrast(rgb("#777777"), [255, 255, 255]), 4.48, 0.005);
  close(contrast(rgb("#767676"), [255, 255, 255]), 4.54, 0.005);
  close(contrast([255, 0, 0], [255, 255, 255]), 4.0, 0.005);
});

for (const [name, theme] of Object.entries(THEMES)) {
  test(`every colour of the ${name} theme drawn on its map has 3:1 against its background, its ink 4.5:1`, () => {
    const background = rgb(theme.background);
    assert.equal(theme.fadeTo, theme.background);
    assert.ok(theme.categorical.length >= 12);
    const marks = [...theme.categorical.map((hex, i) => ["class " + i, hex]), ["correct", theme.correct],
      ["wrong", theme.wrong], ["ring", theme.ring]];
    for (const [what, hex] of marks) {
      const ratio = contrast(rgb(hex), background);
      assert.ok(ratio >= 3, `${name} ${what} ${hex}: ${ratio.toFixed(2)}:1 on ${theme.background}`);
    }
    const ink = contrast(rgb(theme.ink), background);
    assert.ok(ink >= 4.5, `${name} ink ${theme.ink}: ${ink.toFixed(2)}:1`);
  });

  test(`classes beyond the ${name} palette get generated colours with 3:1, distinct, up to class 60`, () => {
    const background = rgb(theme.background), seen = new Set();
    for (let i = 0; i <= 60; i++) {
      const c = classColour(i, name);
      assert.ok(c.every((v) => Number.isInteger(v) && v >= 0 && v <= 255), String(c));
      const ratio = contrast(c, background);
      assert.ok(ratio >= 3, `${name} class ${i} ${c}: ${ratio.toFixed(2)}:1`);
      seen.add(c.join(","));
    }
    assert.equal(seen.size, 61);
    assert.deepEqual(classColour(3, name), rgb(theme.categorical[3]));
  });

  // ΔE76 >= 14 holds among all 12 classes (the least: 18.7 in normal vision, 14.6 simulated, in both themes);
  // 10 is about where two small dots side by side stop being confused.
  test(`the ${name} palette's classes stay ΔE76 >= 14 apart in normal vision and each simulated dichromacy`, () => {
    const colours = theme.categorical.map(rgb);
    for (const vision of Object.keys(SIMULATIONS)) {
      const { distance, i, j } = closestPair(colours, vision);
      assert.ok(distance >= 14, `${name}, ${vision}: classes ${i} and ${j} are ${distance.toFixed(1)} apart`);
    }
  });

  test(`the ${name} theme's correct and wrong differ in lightness and under each dichromacy`, () => {
    const correct = rgb(theme.correct), wrong = rgb(theme.wrong);
    assert.ok(Math.abs(lab(correct)[0] - lab(wrong)[0]) >= 10, "lightness");
    for (const vision of Object.keys(SIMULATIONS)) {
      const distance = deltaE(lab(correct, vision), lab(wrong, vision));
      assert.ok(distance >= 30, `${name}, ${vision}: correct and wrong are ${distance.toFixed(1)} apart`);
    }
    // wrong, the one to notice, stands out the more
    const background = rgb(theme.background);
    assert.ok(contrast(wrong, background) > contrast(correct, background));
  });

  test(`the ramp's far end has 3:1 against the ${name} background, its near end (documented) at least 1.2:1`, () => {
    const background = rgb(theme.background), ends = [palette.ramp(0), palette.ramp(1)].map((c) => contrast(c, background));
    assert.ok(Math.max(...ends) >= 3 && Math.min(...ends) >= 1.2, ends.map((r) => r.toFixed(2)).join(", "));
  });
}

test("fade() takes a colour most of the way to its theme's background; mix() toward white as before", () => {
  assert.deepEqual(palette.fade([0, 0, 0]), [209, 209, 209]);
  assert.deepEqual(palette.fade([0, 0, 0], "light"), palette.mix([0, 0, 0], palette.DIM));
  const dark = rgb(THEMES.dark.background), faded = palette.fade([255, 255, 255], "dark");
  assert.ok(contrast(faded, dark) < contrast([255, 255, 255], dark) / 3);
  assert.deepEqual(palette.fade(dark, "dark"), dark);
  assert.throws(() => palette.fade([0, 0, 0], "sepia"), /no colour theme/);
  assert.throws(() => classColour(0, "constructor"), /no colour theme/);
});

test("the names kept from before are the light theme's", () => {
  assert.equal(palette.PALETTE, THEMES.light.categorical);
  assert.equal(palette.CORRECT, THEMES.light.correct);
  assert.equal(palette.WRONG, THEMES.light.wrong);
  assert.deepEqual(classColour(0), rgb(THEMES.light.categorical[0]));
  assert.deepEqual(palette.unpack(palette.pack([1, 2, 3])), [1, 2, 3]);
  assert.equal(palette.css([1, 2, 3]), "rgb(1,2,3)");
  assert.deepEqual(palette.ramp(0), rgb("#440154"));
  assert.deepEqual(palette.ramp(1), rgb("#fde725"));
  assert.ok(palette.rampCss.startsWith("linear-gradient(to right, #440154"));
  assert.ok(Object.isFrozen(THEMES.dark.categorical));
});

// ---------------------------------------------------------------- page.css
// The custom properties of the rules whose selector is `selector`, at the top level or inside `media`.
function cssVariables(css, selector, media = null) {
  css = css.replace(/\/\*[\s\S]*?\*\//g, "");
  let scope = css;
  if (media) {
    const start = css.indexOf(media);
    assert.ok(start >= 0, "page.css has no " + media);
    let depth = 0, k = css.indexOf("{", start);
    const open = k;
    for (; k < css.length; k++) {
      if (css[k] === "{") depth++;
      else if (css[k] === "}" && --depth === 0) break;
    }
    scope = css.slice(open + 1, k);
  } else {
    scope = css.replace(/@media[^{]*\{(?:[^{}]*\{[^{}]*\})*[^{}]*\}/g, "");
  }
  const variables = {};
  for (const [, sel, body] of scope.matchAll(/([^{}]+)\{([^{}]*)\}/g)) {
    if (sel.trim() !== selector) continue;
    for (const [, name, value] of body.matchAll(/(--[\w-]+)\s*:\s*([^;]+);/g)) variables[name] = value.trim().toLowerCase();
  }
  return variables;
}
const themesInCss = () => {
  const css = fs.readFileSync(CSS_FILE, "utf8");
  const light = cssVariables(css, ":root");
  const system = cssVariables(css, ':root:not([data-theme="light"])', "@media (prefers-color-scheme: dark)");
  const forced = cssVariables(css, ':root[data-theme="dark"]');
  return { css, light, dark: { ...light, ...forced }, system, forced };
};
// An #rrggbb or rgba(r, g, b, a) value of page.css, laid over `under` where it is translucent.
function opaque(value, under) {
  if (value.startsWith("#")) return rgb(value);
  const m = value.match(/^rgba?\(([^)]+)\)$/);
  assert.ok(m, "not a colour: " + value);
  const [r, g, b, a = 1] = m[1].split(",").map(Number);
  return [r, g, b].map((v, j) => Math.round(v * a + under[j] * (1 - a)));
}

test("page.css's dark colours are the same under the system's setting and the toggle", () => {
  const { system, forced } = themesInCss();
  assert.ok(Object.keys(forced).length >= 20);
  assert.deepEqual(system, forced);
});

test("page.css sets color-scheme per theme", () => {
  const { css } = themesInCss();
  const flat = css.replace(/\s+/g, " ");
  assert.match(flat, /:root \{[^}]*color-scheme: light;/);
  assert.match(flat, /:root\[data-theme="dark"\] \{[^}]*color-scheme: dark;/);
  assert.match(flat, /:root:not\(\[data-theme="light"\]\) \{[^}]*color-scheme: dark;/);
});

test("page.css's map, ink, correct, wrong and series colours equal palette.js's THEMES", () => {
  const css = themesInCss();
  for (const name of ["light", "dark"]) {
    const v = css[name], theme = THEMES[name];
    assert.equal(v["--map-background"], theme.background, name);
    assert.equal(v["--ink"], theme.ink, name);
    assert.equal(v["--correct"], theme.correct, name);
    assert.equal(v["--wrong"], theme.wrong, name);
    const series = Object.keys(v).filter((k) => k.startsWith("--series-"));
    assert.ok(series.length >= 6, name);
    series.forEach((k, j) => assert.equal(v["--series-" + j], theme.categorical[j], name + " " + k));
  }
});

test("page.css's text has 4.5:1 and its focus outlines and chart axes 3:1 in both themes", () => {
  const css = themesInCss();
  for (const name of ["light", "dark"]) {
    const v = css[name], surface = rgb(v["--surface"]), page = rgb(v["--page-bg"]);
    const grounds = { page, surface, "table head": rgb(v["--table-head"]), map: rgb(v["--map-background"]),
      tooltip: opaque(v["--tooltip-bg"], rgb(v["--map-background"])) };
    const check = (fg, ground, least) => {
      const ratio = contrast(rgb(v[fg]), grounds[ground]);
      assert.ok(ratio >= least, `${name}: ${fg} ${v[fg]} on ${ground}: ${ratio.toFixed(2)}:1`);
    };
    for (const ground of Object.keys(grounds)) { check("--text", ground, 4.5); check("--muted", ground, 4.5); }
    for (const ground of ["page", "surface"]) { check("--error", ground, 4.5); check("--focus", ground, 3); check("--axis", ground, 3); }
  }
});

// ---------------------------------------------------------------- the charts
test("a chart series takes Python's colour only where it follows the theme (a CSS variable, currentColor)", () => {
  require("../../python/netscope/viewer/assets/js/charts.js"); // adds its part to the page's namespace; draws nothing
  const { seriesColour } = globalThis.netscopeModules.charts;
  assert.equal(seriesColour("var(--correct)", 0), "var(--correct)");
  assert.equal(seriesColour("--wrong", 1), "var(--wrong)");
  assert.equal(seriesColour("currentColor", 2), "currentColor");
  assert.equal(seriesColour(undefined, 2), "var(--series-2)");
  assert.equal(seriesColour("#2a9d4b", 1), "var(--series-1)"); // one colour for both themes: not taken
  assert.equal(seriesColour("red", 7), "var(--series-1)");
  assert.equal(seriesColour("var(--x); fill: red", 0), "var(--series-0)");
});

test("the colours page.py gives chart series are page.css variables it defines in both themes", () => {
  const source = fs.readFileSync(path.join(__dirname, "../../python/netscope/viewer/page.py"), "utf8");
  const given = [...source.matchAll(/colour="([^"]*)"/g)].map((m) => m[1]);
  assert.ok(given.length >= 2);
  const { light, dark } = themesInCss();
  for (const colour of given) {
    const name = colour.match(/^var\((--[\w-]+)\)$/);
    assert.ok(name, `page.py gives a chart the fixed colour ${colour}`);
    assert.ok(light[name[1]] && dark[name[1]], `page.css does not define ${name[1]} in both themes`);
  }
});
