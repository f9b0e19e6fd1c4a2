// Drawing with WebGL2: every snapshot's positions lie in one GPU buffer and the vertex shader
// interpolates between the two snapshots around t, so a frame uploads nothing; picking draws the
// points' indices into an offscreen buffer and reads back only the pixels around the pointer.
// createMapPainter picks this painter where the browser has WebGL2 on a GPU, and render.js's Canvas 2D
// one where WebGL2 is missing or runs on the CPU (SwiftShader, llvmpipe): there the Canvas 2D painter
// draws 1 000 000 points about 16x faster (bench/bench_page.py: 107 against 1 735 ms a frame). The page's address can force either:
// ?renderer=webgl2 or ?renderer=canvas2d. Both draw the same pixels: a point is snapped to the device
// pixel its centre rounds to, and stamped with the same disc, cross or ring.
(function (modules) {
  "use strict";
  const { unpack } = modules.palette;

  const VERTEX = `#version 300 es
    precision highp float;
    in vec2 fromPosition, toPosition; // quantised map coordinates (0..levels), y up
    in vec4 colour;
    in uint flags; // 1: faded, 2: ringed, 4: a cross
    uniform float fraction, scale, ratio, radius, skipFaded;
    uniform vec2 offset, pixels; // offset: CSS pixels; pixels: the canvas in device pixels
    flat out vec4 pointColour;
    flat out uint pointFlags;
    flat out float reach;
    flat out vec3 pointId;
    void main() {
      vec2 p = mix(fromPosition, toPosition, fraction);
      vec2 device = floor(vec2(offset.x + p.x * scale, offset.y - p.y * scale) * ratio + 0.5) + 0.5;
      bool faded = (flags & 1u) != 0u;
      // Faded points lie deeper, so the others cover them whatever their order (depth test LEQUAL).
      gl_Position = faded && skipFaded > 0.5 ? vec4(2.0, 2.0, 2.0, 1.0)
        : vec4(device.x / pixels.x * 2.0 - 1.0, 1.0 - device.y / pixels.y * 2.0, faded ? 0.5 : 0.0, 1.0);
      float outer = (flags & 2u) != 0u && !faded ? radius + 1.3 : (flags & 4u) != 0u ? radius * 1.15 : radius;
      reach = ceil(outer * ratio);
      gl_PointSize = 2.0 * reach + 1.0;
      pointColour = colour;
      pointFlags = flags;
      float id = float(gl_VertexID + 1); // exact below 2^24
      pointId = vec3(mod(id, 256.0), mod(floor(id / 256.0), 256.0), floor(id / 65536.0)) / 255.0;
    }`;
  const FRAGMENT = `#version 300 es
    precision highp float;
    flat in vec4 pointColour;
    flat in uint pointFlags;
    flat in float reach;
    flat in vec3 pointId;
    uniform float ratio, radius, picking;
    uniform vec4 ringColour;
    out vec4 result;
    void main() {
      vec2 q = floor(gl_PointCoord * (2.0 * reach + 1.0)) - reach; // this pixel's offset from the centre
      float d2 = dot(q, q), r = radius * ratio;
      bool cross = (pointFlags & 4u) != 0u, faded = (pointFlags & 1u) != 0u;
      bool mark = cross ? d2 <= r * r * 1.3225 && min(abs(q.x - q.y), abs(q.x + q.y)) <= max(0.75, r * 0.23) * 1.41421356
                        : d2 <= r * r;
      if (picking > 0.5) { if (!mark) discard; result = vec4(pointId, 1.0); return; }
      float ring = (radius + 1.3) * ratio;
      if (mark) result = pointColour;
      else if ((pointFlags & 2u) != 0u && !faded && d2 <= ring * ring) result = ringColour;
      else discard;
    }`;

  function compile(gl, type, source) {
    const shader = gl.createShader(type);
    gl.shaderSource(shader, source);
    gl.compileShader(shader);
    if (!gl.getShaderParameter(shader, gl.COMPILE_STATUS)) throw new Error("netscope's shader: " + gl.getShaderInfoLog(shader));
    return shader;
  }
  function link(gl) {
    const program = gl.createProgram();
    gl.attachShader(program, compile(gl, gl.VERTEX_SHADER, VERTEX));
    gl.attachShader(program, compile(gl, gl.FRAGMENT_SHADER, FRAGMENT));
    gl.linkProgram(program);
    if (!gl.getProgramParameter(program, gl.LINK_STATUS)) throw new Error("netscope's shaders: " + gl.getProgramInfoLog(program));
    return program;
  }
  const toUnit = (packed) => [...unpack(packed).map((v) => v / 255), 1];

  // The painter's interface is render.js's: resize, setPositions, setStyle, draw, pick,
  // screenPositions, colourAt, checksum. A frame costs the GPU O(n) and the CPU O(1); a pick, one
  // more O(n) pass on the GPU the first time after a frame; screenPositions, O(n) on the CPU once per frame asked.
  function createWebGLPainter(canvas, gl) {
    const program = link(gl);
    const where = (name) => gl.getUniformLocation(program, name);
    const uniforms = Object.fromEntries(["fraction", "scale", "ratio", "radius", "skipFaded", "offset", "pixels", "picking", "ringColour"]
      .map((name) => [name, where(name)]));
    const attribute = (name) => gl.getAttribLocation(program, name);
    const vao = gl.createVertexArray(), positionBuffer = gl.createBuffer(), colourBuffer = gl.createBuffer(), flagBuffer = gl.createBuffer();
    gl.bindVertexArray(vao);
    gl.bindBuffer(gl.ARRAY_BUFFER, colourBuffer);
    gl.enableVertexAttribArray(attribute("colour"));
    gl.vertexAttribPointer(attribute("colour"), 4, gl.UNSIGNED_BYTE, true, 0, 0);
    gl.bindBuffer(gl.ARRAY_BUFFER, flagBuffer);
    gl.enableVertexAttribArray(attribute("flags"));
    gl.vertexAttribIPointer(attribute("flags"), 1, gl.UNSIGNED_BYTE, 0, 0);
    const from = attribute("fromPosition"), to = attribute("toPosition");
    gl.enableVertexAttribArray(from);
    gl.enableVertexAttribArray(to);
    gl.bindVertexArray(null);

    let width = 0, height = 0, ratio = 1, radius = 1, positions = null, n = 0, T = 0, levels = 1, flags = new Uint8Array(0);
    let last = null; // the last frame's { t, transform, background, ring }
    let xs = new Float32Array(0), ys = new Float32Array(0), interpolated = false;
    let pickTarget = null, picked = false, pickSkips = false;

    function resize(cssSize, pixelRatio, pointRadius) {
      ratio = pixelRatio; radius = pointRadius;
      width = height = Math.round(cssSize * ratio);
      canvas.width = width; canvas.height = height;
      canvas.style.width = canvas.style.height = cssSize + "px";
      if (pickTarget) { gl.deleteFramebuffer(pickTarget.framebuffer); gl.deleteTexture(pickTarget.texture); gl.deleteRenderbuffer(pickTarget.depth); }
      pickTarget = null;
    }
    function setPositions(values, count, snapshots, steps) {
      positions = values; n = count; T = snapshots; levels = steps;
      gl.bindBuffer(gl.ARRAY_BUFFER, positionBuffer);
      gl.bufferData(gl.ARRAY_BUFFER, values, gl.STATIC_DRAW);
      xs = new Float32Array(n); ys = new Float32Array(n); interpolated = false;
    }
    // Uploaded as they are: colours as packed RGBA bytes, the three marks' bits in one byte a point.
    function setStyle(pointColours, faded, rings, pointShapes) {
      if (flags.length !== n) flags = new Uint8Array(n);
      for (let i = 0; i < n; i++) flags[i] = faded[i] | (rings && rings[i] ? 2 : 0) | (pointShapes && pointShapes[i] === 1 ? 4 : 0);
      gl.bindBuffer(gl.ARRAY_BUFFER, colourBuffer);
      gl.bufferData(gl.ARRAY_BUFFER, new Uint8Array(pointColours.buffer, pointColours.byteOffset, 4 * n), gl.DYNAMIC_DRAW);
      gl.bindBuffer(gl.ARRAY_BUFFER, flagBuffer);
      gl.bufferData(gl.ARRAY_BUFFER, flags, gl.DYNAMIC_DRAW);
      picked = false;
    }
    function pass(picking, skipFaded) {
      const { t, transform } = last;
      const t0 = Math.min(Math.floor(t), T - 1), t1 = Math.min(t0 + 1, T - 1);
      gl.useProgram(program);
      gl.bindVertexArray(vao);
      gl.bindBuffer(gl.ARRAY_BUFFER, positionBuffer);
      gl.vertexAttribPointer(from, 2, gl.UNSIGNED_SHORT, false, 0, 4 * n * t0);
      gl.vertexAttribPointer(to, 2, gl.UNSIGNED_SHORT, false, 0, 4 * n * t1);
      gl.uniform1f(uniforms.fraction, t - t0);
      gl.uniform1f(uniforms.scale, transform.a / levels);
      gl.uniform2f(uniforms.offset, transform.bx, transform.by);
      gl.uniform2f(uniforms.pixels, width, height);
      gl.uniform1f(uniforms.ratio, ratio);
      gl.uniform1f(uniforms.radius, radius);
      gl.uniform1f(uniforms.skipFaded, skipFaded ? 1 : 0);
      gl.uniform1f(uniforms.picking, picking ? 1 : 0);
      gl.uniform4fv(uniforms.ringColour, toUnit(last.ring));
      gl.viewport(0, 0, width, height);
      gl.enable(gl.DEPTH_TEST);
      gl.depthFunc(gl.LEQUAL);
      gl.clearDepth(1);
      const background = picking ? [0, 0, 0, 0] : toUnit(last.background);
      gl.clearColor(...background);
      gl.clear(gl.COLOR_BUFFER_BIT | gl.DEPTH_BUFFER_BIT);
      gl.drawArrays(gl.POINTS, 0, n);
      gl.bindVertexArray(null);
    }
    function draw(t, transform, background, ringColour) {
      last = { t, transform, background, ring: ringColour };
      interpolated = false; picked = false;
      pass(false, false);
    }
    function screenPositions() {
      if (!interpolated && last) { modules.geometry.interpolate(positions, n, T, last.t, levels, last.transform, xs, ys); interpolated = true; }
      return { xs, ys };
    }
    function pickBuffer() {
      if (pickTarget) return pickTarget;
      const texture = gl.createTexture(), depth = gl.createRenderbuffer(), framebuffer = gl.createFramebuffer();
      gl.bindTexture(gl.TEXTURE_2D, texture);
      gl.texStorage2D(gl.TEXTURE_2D, 1, gl.RGBA8, width, height);
      gl.bindRenderbuffer(gl.RENDERBUFFER, depth);
      gl.renderbufferStorage(gl.RENDERBUFFER, gl.DEPTH_COMPONENT16, width, height);
      gl.bindFramebuffer(gl.FRAMEBUFFER, framebuffer);
      gl.framebufferTexture2D(gl.FRAMEBUFFER, gl.COLOR_ATTACHMENT0, gl.TEXTURE_2D, texture, 0);
      gl.framebufferRenderbuffer(gl.FRAMEBUFFER, gl.DEPTH_ATTACHMENT, gl.RENDERBUFFER, depth);
      gl.bindFramebuffer(gl.FRAMEBUFFER, null);
      pickTarget = { texture, depth, framebuffer };
      return pickTarget;
    }
    // The point drawn nearest to CSS pixel (x, y) whose centre is within maxDistance (CSS pixels), or
    // -1: the indices drawn offscreen, and only the square around (x, y) read back.
    function pick(x, y, maxDistance, skipDimmed) {
      if (!last || n === 0) return -1;
      gl.bindFramebuffer(gl.FRAMEBUFFER, pickBuffer().framebuffer);
      if (!picked || pickSkips !== skipDimmed) { pass(true, skipDimmed); picked = true; pickSkips = skipDimmed; }
      const reach = Math.ceil(maxDistance * ratio), cx = Math.round(x * ratio), cy = Math.round(y * ratio);
      const left = Math.max(0, cx - reach), top = Math.max(0, cy - reach);
      const right = Math.min(width, cx + reach + 1), bottom = Math.min(height, cy + reach + 1);
      let best = -1;
      if (right > left && bottom > top) {
        const w = right - left, h = bottom - top, ids = new Uint8Array(4 * w * h);
        gl.readPixels(left, height - bottom, w, h, gl.RGBA, gl.UNSIGNED_BYTE, ids); // rows from the bottom
        let bestDistance = Infinity;
        for (let row = 0; row < h; row++) for (let column = 0; column < w; column++) {
          const k = 4 * (row * w + column), id = ids[k] | ids[k + 1] << 8 | ids[k + 2] << 16;
          if (id === 0) continue;
          const d = (left + column - cx) ** 2 + (bottom - 1 - row - cy) ** 2;
          if (d < bestDistance) { bestDistance = d; best = id - 1; }
        }
      }
      gl.bindFramebuffer(gl.FRAMEBUFFER, null);
      if (best < 0) return -1;
      const [px, py] = modules.geometry.pointAt(positions, n, T, last.t, levels, last.transform, best); // its centre, as the Canvas 2D pick measures
      return (px - x) ** 2 + (py - y) ** 2 <= maxDistance * maxDistance ? best : -1;
    }
    // The drawn pixels, rows from the top (as Canvas 2D holds them), packed like render.js's.
    function readAll() {
      const bytes = new Uint8Array(4 * width * height), rows = new Uint8Array(4 * width * height);
      gl.readPixels(0, 0, width, height, gl.RGBA, gl.UNSIGNED_BYTE, bytes);
      for (let row = 0; row < height; row++) rows.set(bytes.subarray(4 * width * (height - 1 - row), 4 * width * (height - row)), 4 * width * row);
      return new Uint32Array(rows.buffer);
    }
    return {
      kind: "webgl2", resize, setPositions, setStyle, draw, pick, screenPositions,
      colourAt: (x, y) => {
        const bytes = new Uint8Array(4);
        gl.readPixels(Math.round(x * ratio), height - 1 - Math.round(y * ratio), 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, bytes);
        return [bytes[0], bytes[1], bytes[2]];
      },
      checksum: () => modules.render.checksum(readAll()),
    };
  }

  const SOFTWARE = /swiftshader|llvmpipe|softpipe|software|basic render/i;
  let onGPU = null;
  // Whether this browser's WebGL2 runs on a GPU: asked once, of a context on a scratch canvas
  // (a canvas that held a WebGL context cannot draw in 2D), which is then let go.
  function webglOnGPU() {
    if (onGPU === null) {
      const gl = document.createElement("canvas").getContext("webgl2");
      const info = gl && gl.getExtension("WEBGL_debug_renderer_info");
      onGPU = !!gl && !SOFTWARE.test(String(gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER)));
      const lose = gl && gl.getExtension("WEBGL_lose_context");
      if (lose) lose.loseContext();
    }
    return onGPU;
  }
  // The painter for `canvas`: WebGL2 where it runs on a GPU, or where `renderer` is "webgl2" and the
  // browser has it; Canvas 2D otherwise.
  function createMapPainter(canvas, renderer) {
    const webgl = renderer === "webgl2" || (renderer !== "canvas2d" && webglOnGPU());
    const gl = !webgl ? null
      : canvas.getContext("webgl2", { antialias: false, preserveDrawingBuffer: true, premultipliedAlpha: false, depth: true });
    return gl ? createWebGLPainter(canvas, gl) : modules.render.createCanvasPainter(canvas);
  }

  modules.webgl = { createMapPainter };
})(globalThis.netscopeModules = globalThis.netscopeModules || {});
