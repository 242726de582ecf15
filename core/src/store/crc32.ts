/**
 * CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320: the one of zlib, gzip and PNG), table driven,
 * one byte per step. Pure: used by the file store and the IndexedDB store alike, so it must not need
 * Node (`zlib.crc32` only exists from Node 22.2).
 */

const TABLE = /* @__PURE__ */ (() => {
  const table = new Uint32Array(256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
    table[n] = c >>> 0
  }
  return table
})()

/**
 * The CRC-32 of `bytes`, continuing from `crc` (the result of a previous call) so that a checksum
 * can span several buffers: `crc32(b, crc32(a)) === crc32(a ++ b)`.
 */
export function crc32(bytes: Uint8Array, crc = 0): number {
  let c = ~crc >>> 0
  for (let i = 0; i < bytes.length; i++) c = TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8)
  return ~c >>> 0
}
