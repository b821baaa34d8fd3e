/**
 * CRC-32C (Castagnoli), the checksum TFRecord framing uses, and TFRecord's
 * "masked" form of it. Table-driven, one byte at a time: event files are a
 * few hundred bytes per result, so a slicing-by-8 variant would not pay.
 */

const POLY = 0x82f63b78; // Castagnoli, bit-reversed

// Int32Array and an int32 running value: V8 keeps the loop in small integers (a
// Uint32Array's entries above 2^31 become heap doubles and make it ~8x slower).
const TABLE = (() => {
  const table = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
    table[n] = c;
  }
  return table;
})();

/** CRC-32C of `bytes[start, end)`, as an unsigned 32-bit integer. */
export function crc32c(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let crc = -1;
  for (let i = start; i < end; i++) crc = TABLE[(crc ^ bytes[i]!) & 0xff]! ^ (crc >>> 8);
  return ~crc >>> 0;
}

/**
 * TFRecord's masked CRC: rotate right by 15 and add a constant, so a CRC
 * stored inside the data it covers does not checksum to a fixed point.
 */
export function maskCrc(crc: number): number {
  return (((crc >>> 15) | (crc << 17)) + 0xa282ead8) >>> 0;
}
