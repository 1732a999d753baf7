/**
 * MD5 (RFC 1321) over byte strings, streamed: an over-the-air update checks
 * the image it downloads against the `x-MD5` header of the response (32 hex
 * digits) while the image goes to flash, since the image is larger than the
 * RAM. Espruino's `crypto` module has no MD5.
 *
 * - `md5Start()` makes a state, a plain object: the four chaining words, the
 *   byte count and the bytes fed since the last whole 64-byte block (fewer
 *   than 64). `md5Add(st, chunk)` feeds a byte string of any length, empty or
 *   several KB; `md5Hex(st)` pads, finishes and returns the digest, after
 *   which the state is spent.
 * - Three functions and no closures (one more decodes the table at load and
 *   is gone): every function object costs RAM while the module is loaded.
 *   32-bit sums wrap with `| 0` (exact on Espruino for sums of a few words,
 *   which are doubles past 2^31); shift counts stay within 0..31.
 *
 * Measured on the real interpreters (../shared/espruino, 2v29), the module
 * built as the firmware's Storage modules are and `require`d from Storage
 * (test/real/md5.test.ts, bench/md5.ts), on the ESP8266 build of 1,600 JsVars:
 * - loaded, it costs 61 JsVars, 25 of them the round constants' table
 *   (ESP32 build: 58);
 * - `md5Add` of a 512-byte chunk runs in 48 free JsVars (ESP32 build: 46),
 *   the 16 words of the block being hashed (an Int32Array) 9 of them, and
 *   keeps nothing; a state is 12 JsVars (13 once the count reaches 1,024)
 *   plus its pending bytes, about one per 8;
 * - 9 to 10 KB/s with chunks of 64 to 1,460 bytes, in host time of the
 *   interpreter on this machine, not a board's (ESP32 build alike).
 * The alternatives, measured the same way (JsVars loaded / free JsVars
 * `md5Add` of 512 bytes needs / KB/s):
 * - the constants computed from `Math.sin`: wrong digests; on the ESP8266
 *   build 33 of the 64 come out too small (by up to 196,753), on the ESP32
 *   build all 64 are exact;
 * - the constants' 256-byte string kept by the module, four bytes read per
 *   step: 60 / 39 / 2.9;
 * - one loop of 64 steps choosing the round by branches: 61 / 49 / 5.7
 *   (Espruino parses as it runs: a skipped branch costs time too);
 * - the 64 steps written out, the constants as literals: 27 / 66 / 14, but
 *   terser folds them into one expression of assignments nested 64 deep, and
 *   Espruino then loses 8 JsVars at every call (ESP32 build too) that
 *   garbage collection never gets back.
 * Hence four loops, one per round, over the constants decoded once, when the
 * module loads, into an Int32Array (their 256-byte literal, 32 JsVars, exists
 * only while it is decoded).
 */

/**
 * The round constants K[j] = floor(abs(sin(j + 1)) * 2^32) of RFC 1321 (3.4),
 * decoded when the module loads from one string literal of their
 * little-endian bytes.
 */
const K = (function (): Int32Array {
  const s =
      '\x78\xa4\x6a\xd7\x56\xb7\xc7\xe8\xdb\x70\x20\x24\xee\xce\xbd\xc1\xaf\x0f\x7c\xf5\x2a\xc6\x87\x47\x13\x46\x30\xa8\x01\x95\x46\xfd' +
      '\xd8\x98\x80\x69\xaf\xf7\x44\x8b\xb1\x5b\xff\xff\xbe\xd7\x5c\x89\x22\x11\x90\x6b\x93\x71\x98\xfd\x8e\x43\x79\xa6\x21\x08\xb4\x49' +
      '\x62\x25\x1e\xf6\x40\xb3\x40\xc0\x51\x5a\x5e\x26\xaa\xc7\xb6\xe9\x5d\x10\x2f\xd6\x53\x14\x44\x02\x81\xe6\xa1\xd8\xc8\xfb\xd3\xe7' +
      '\xe6\xcd\xe1\x21\xd6\x07\x37\xc3\x87\x0d\xd5\xf4\xed\x14\x5a\x45\x05\xe9\xe3\xa9\xf8\xa3\xef\xfc\xd9\x02\x6f\x67\x8a\x4c\x2a\x8d' +
      '\x42\x39\xfa\xff\x81\xf6\x71\x87\x22\x61\x9d\x6d\x0c\x38\xe5\xfd\x44\xea\xbe\xa4\xa9\xcf\xde\x4b\x60\x4b\xbb\xf6\x70\xbc\xbf\xbe' +
      '\xc6\x7e\x9b\x28\xfa\x27\xa1\xea\x85\x30\xef\xd4\x05\x1d\x88\x04\x39\xd0\xd4\xd9\xe5\x99\xdb\xe6\xf8\x7c\xa2\x1f\x65\x56\xac\xc4' +
      '\x44\x22\x29\xf4\x97\xff\x2a\x43\xa7\x23\x94\xab\x39\xa0\x93\xfc\xc3\x59\x5b\x65\x92\xcc\x0c\x8f\x7d\xf4\xef\xff\xd1\x5d\x84\x85' +
      '\x4f\x7e\xa8\x6f\xe0\xe6\x2c\xfe\x14\x43\x01\xa3\xa1\x11\x08\x4e\x82\x7e\x53\xf7\x35\xf2\x3a\xbd\xbb\xd2\xd7\x2a\x91\xd3\x86\xeb';
  const k = new Int32Array(64);
  for (let j = 0; j < 64; j++) k[j] = s.charCodeAt(4 * j) | s.charCodeAt(4 * j + 1) << 8 | s.charCodeAt(4 * j + 2) << 16 | s.charCodeAt(4 * j + 3) << 24;
  return k;
})();

/**
 * A digest in progress: a plain object, made by `md5Start`, fed by `md5Add`,
 * finished by `md5Hex`.
 */
export interface Md5State {
  /** Chaining word A, a signed 32-bit integer (as are B, C and D). */
  _a: number;
  /** Chaining word B. */
  _b: number;
  /** Chaining word C. */
  _c: number;
  /** Chaining word D. */
  _d: number;
  /** Bytes fed so far. */
  _n: number;
  /** The bytes fed since the last whole 64-byte block (fewer than 64). */
  _t: string;
}

/**
 * A fresh digest: the state of RFC 1321 before any byte.
 *
 * @returns the state, to pass to `md5Add` and `md5Hex`
 */
export function md5Start(): Md5State {
  return { _a: 0x67452301, _b: 0xefcdab89 | 0, _c: 0x98badcfe | 0, _d: 0x10325476, _n: 0, _t: '' };
}

/**
 * Feeds `chunk` to the digest. Chunks may have any length, empty included:
 * feeding `a` then `b` gives the digest of `a + b`.
 *
 * @param st a state from `md5Start` that `md5Hex` has not finished
 * @param chunk the bytes, a byte string (one char per byte, char codes 0 to
 *   255, as Espruino's HTTP client delivers a response's data)
 */
export function md5Add(st: Md5State, chunk: string): void {
  const n = chunk.length;
  let a: number, b: number, c: number, d: number, f: number, g: number, j: number;
  let x: Int32Array, s: string, o: number, t = st._t, i = 0;
  st._n += n;
  if (t.length + n >= 64) {
    x = new Int32Array(16);
    while (t.length + n - i >= 64) {
      if (t) {
        s = t + chunk.substr(0, 64 - t.length);
        i = 64 - t.length;
        t = '';
        o = 0;
      } else {
        s = chunk;
        o = i;
        i += 64;
      }
      for (j = 0; j < 16; j++, o += 4) x[j] = s.charCodeAt(o) | s.charCodeAt(o + 1) << 8 | s.charCodeAt(o + 2) << 16 | s.charCodeAt(o + 3) << 24;
      a = st._a;
      b = st._b;
      c = st._c;
      d = st._d;
      // One loop per round: F, G, H, I and the word order of RFC 1321, 3.4. Each round's four
      // rotation amounts are the bytes of one number; shift counts stay within 0..31.
      for (j = 0; j < 16; j++) {
        f = a + (d ^ b & (c ^ d)) + x[j] + K[j] | 0;
        g = 0x16110c07 >> (j & 3) * 8 & 31;
        a = d; d = c; c = b; b = b + (f << g | f >>> 32 - g) | 0;
      }
      for (; j < 32; j++) {
        f = a + (c ^ d & (b ^ c)) + x[5 * j + 1 & 15] + K[j] | 0;
        g = 0x140e0905 >> (j & 3) * 8 & 31;
        a = d; d = c; c = b; b = b + (f << g | f >>> 32 - g) | 0;
      }
      for (; j < 48; j++) {
        f = a + (b ^ c ^ d) + x[3 * j + 5 & 15] + K[j] | 0;
        g = 0x17100b04 >> (j & 3) * 8 & 31;
        a = d; d = c; c = b; b = b + (f << g | f >>> 32 - g) | 0;
      }
      for (; j < 64; j++) {
        f = a + (c ^ (b | ~d)) + x[7 * j & 15] + K[j] | 0;
        g = 0x150f0a06 >> (j & 3) * 8 & 31;
        a = d; d = c; c = b; b = b + (f << g | f >>> 32 - g) | 0;
      }
      st._a = st._a + a | 0;
      st._b = st._b + b | 0;
      st._c = st._c + c | 0;
      st._d = st._d + d | 0;
    }
  }
  st._t = t + chunk.substr(i);
}

/**
 * Finishes the digest: pads the message (RFC 1321, 3.1 and 3.2) and returns
 * the digest. The state is spent afterwards: feeding or finishing it again
 * gives a wrong digest; start a new one with `md5Start`.
 *
 * @param st a state from `md5Start`
 * @returns the digest as 32 lowercase hex digits, as in an `x-MD5` header
 */
export function md5Hex(st: Md5State): string {
  const n = st._n;
  let p = '\x80', h = '', i: number;
  while ((n + p.length) % 64 !== 56) p += '\0';
  // The length in bits, 64-bit little-endian.
  for (i = 0; i < 8; i++) p += String.fromCharCode(n * 8 / Math.pow(2, 8 * i) & 255);
  md5Add(st, p);
  const w = [st._a, st._b, st._c, st._d];
  for (i = 0; i < 16; i++) h += ((w[i >> 2] >>> (i & 3) * 8 & 255) + 256).toString(16).substr(1);
  return h;
}
