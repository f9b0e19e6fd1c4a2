// The page's decoding against blobs written by netscope/viewer/encoding.py.
const test = require("node:test");
const assert = require("node:assert/strict");
const { decode, fromPlanes, undoDeltas } = require("../../python/netscope/viewer/assets/js/decode.js");

// Written once by
//   encode(np.array([[1, 2, 65535], [0, 3, 1], [7, 65535, 2]], dtype=np.uint16), delta=True)
//   encode(np.array([0, 1, 255, 128], dtype=np.uint8))
// (netscope.viewer.encoding): the differences along time wrap modulo 2^16 (1 - 65535, 65535 - 3).
const POSITIONS = { dtype: "u2", shape: [3, 3], delta: true, b64: "H4sIAAAAAAAAA2Nk+v+fkYn9DyMDw///DECCAQCfBlFNEgAAAA==" };
const BYTES = { dtype: "u1", shape: [4], delta: false, b64: "H4sIAAAAAAAAA2Ng/N8AAHnLGl4EAAAA" };

test("16-bit blobs with wrapping differences decode to the encoded values", async () => {
  const values = await decode(POSITIONS);
  assert.ok(values instanceof Uint16Array);
  assert.deepEqual(Array.from(values), [1, 2, 65535, 0, 3, 1, 7, 65535, 2]);
});

test("8-bit blobs decode to the encoded values", async () => {
  const values = await decode(BYTES);
  assert.ok(values instanceof Uint8Array);
  assert.deepEqual(Array.from(values), [0, 1, 255, 128]);
});

test("absent arrays decode to null", async () => {
  assert.equal(await decode(null), null);
  assert.equal(await decode(undefined), null);
});

test("byte planes interleave back into little-endian 16-bit values", () => {
  // 0x0201 and 0x0403 stored as the low bytes [01, 03] then the high bytes [02, 04]
  assert.deepEqual(Array.from(fromPlanes(Uint8Array.from([1, 3, 2, 4]), "u2")), [0x0201, 0x0403]);
});

test("differences are summed along the first axis only", () => {
  assert.deepEqual(Array.from(undoDeltas(Uint16Array.from([1, 2, 1, 1, 65535, 0]), 3)), [1, 2, 2, 3, 1, 3]);
});
