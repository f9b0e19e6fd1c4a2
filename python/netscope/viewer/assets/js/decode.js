// The page's arrays, as netscope/viewer/encoding.py stores them: gzip of the byte planes, base64,
// optionally as differences along the first axis. Pure: Node's test runner loads it too (tests/js).
(function (modules) {
  "use strict";
  const TYPES = { u1: Uint8Array, u2: Uint16Array };

  function bytesOf(base64) {
    const text = atob(base64);
    const bytes = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
    return bytes;
  }
  // The bytes were stored plane by plane (all first bytes, then all second bytes), which gzip packs better.
  function fromPlanes(planes, dtype) {
    const width = TYPES[dtype].BYTES_PER_ELEMENT, count = planes.length / width;
    let bytes = planes;
    if (width > 1) {
      bytes = new Uint8Array(planes.length);
      for (let b = 0; b < width; b++) for (let i = 0; i < count; i++) bytes[i * width + b] = planes[b * count + i];
    }
    return new TYPES[dtype](bytes.buffer, bytes.byteOffset, count);
  }
  // Differences along the first axis, modulo the type's range: the typed array's own wrap-around undoes them.
  function undoDeltas(values, rows) {
    const stride = values.length / rows;
    for (let i = stride; i < values.length; i++) values[i] += values[i - stride];
    return values;
  }
  async function gunzip(bytes) {
    const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  }
  async function decode(blob) {
    if (blob === null || blob === undefined) return null;
    const values = fromPlanes(await gunzip(bytesOf(blob.b64)), blob.dtype);
    return blob.delta ? undoDeltas(values, blob.shape[0]) : values;
  }

  const api = { bytesOf, fromPlanes, undoDeltas, decode };
  modules.decode = api;
  if (typeof module !== "undefined") module.exports = api;
})(globalThis.netscopeModules = globalThis.netscopeModules || {});
