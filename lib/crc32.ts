/**
 * CRC-32 as zlib, PNG and Ethernet compute it (reflected polynomial
 * 0xEDB88320, initial value and final XOR 0xFFFFFFFF), over a byte string.
 *
 * Computed bit by bit on purpose: a 256-entry lookup table would cost about
 * 256 memory blocks on ESP8266. Results chain like zlib's `crc32(buf, crc)`,
 * which the config store (record checksum) and the access-point name (chained
 * CRC of the chip id) both rely on.
 */

/** The reflected CRC-32 polynomial. */
const POLY = 0xedb88320;

/**
 * CRC-32 of `bytes` (one char per byte; only the low 8 bits of each char
 * count).
 *
 * @param bytes the data, a byte string
 * @param seed a previous result to continue from, so that
 *   `crc32(b, crc32(a)) === crc32(a + b)`. @default 0 (a fresh checksum)
 * @returns the checksum as an unsigned 32-bit number
 */
export function crc32(bytes: string, seed?: number): number {
  let c = ~(seed || 0);
  for (let i = 0; i < bytes.length; i++) {
    c ^= bytes.charCodeAt(i) & 255;
    for (let k = 0; k < 8; k++) {
      c = (c >>> 1) ^ (POLY & -(c & 1));
    }
  }
  return ~c >>> 0;
}
