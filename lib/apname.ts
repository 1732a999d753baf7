/**
 * The access point's SSID, as the Blynk app expects it (contract §2):
 * `<prefix> <template name>-<suffix>`, at most 31 bytes.
 *
 * - The template name is cut to `31 − 6 − len(prefix)` bytes; a cut that would
 *   split a UTF-8 multi-byte char drops that whole char instead, so the SSID
 *   stays valid UTF-8 (it may then be a byte or three shorter).
 * - The suffix is 4 base-24 digits of a chained CRC-32 of the chip id, with
 *   the reference firmware's rule against repeated characters.
 */

import { crc32 } from './crc32';

/** Digits of the suffix, in value order (base 24). */
export const AP_SUFFIX_ALPHABET = '0W8N4Y1HP5DF9K6JM3C2UA7R';
/** Longest access point SSID in bytes. */
export const MAX_AP_SSID_BYTES = 31;
/** Longest prefix in chars. */
export const MAX_AP_PREFIX_CHARS = 20;
/** The reference firmware's prefix. */
export const DEFAULT_AP_PREFIX = 'Blynk';

/**
 * True if `p` is an acceptable SSID prefix: 1..20 chars, each an ASCII letter,
 * digit or space.
 */
export function validatePrefix(p: string): boolean {
  if (typeof p !== 'string' || p.length < 1 || p.length > MAX_AP_PREFIX_CHARS) return false;
  for (let i = 0; i < p.length; i++) {
    const c = p.charAt(i);
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c === ' ')) return false;
  }
  return true;
}

/**
 * The 4-char unique part of the SSID: `u = 0`, four times
 * `u = crc32(chipId, u)`, then `u` in base 24 with `AP_SUFFIX_ALPHABET`,
 * least-significant digit first. A digit whose char equals the previously
 * emitted char is replaced by the next alphabet entry (`(n + 1) mod 24`).
 *
 * @param chipId chip id bytes (6-byte MAC on ESP8266, 8-byte efuse value on ESP32)
 */
export function apSuffix(chipId: string): string {
  let u = 0;
  for (let i = 0; i < 4; i++) u = crc32(chipId, u);
  let out = '';
  let prev = '';
  for (let i = 0; i < 4; i++) {
    const n = u % 24;
    let c = AP_SUFFIX_ALPHABET.charAt(n);
    if (c === prev) c = AP_SUFFIX_ALPHABET.charAt((n + 1) % 24);
    out += c;
    prev = c;
    u = Math.floor(u / 24);
  }
  return out;
}

/**
 * The access point SSID: `<prefix> <template name>-<suffix>`, at most 31
 * bytes. The template name (UTF-8 bytes) is truncated to
 * `31 − 6 − len(prefix)` bytes without splitting a multi-byte char.
 *
 * @param opts.prefix SSID prefix, must pass `validatePrefix` (e.g. `Blynk`)
 * @param opts.templateName template name, a byte string
 * @param opts.chipId chip id bytes
 * @throws TypeError if the prefix is invalid (a construction-time mistake)
 */
export function apSsid(opts: { prefix: string; templateName: string; chipId: string }): string {
  if (!validatePrefix(opts.prefix)) throw new TypeError('bad AP prefix');
  let name = opts.templateName;
  let n = MAX_AP_SSID_BYTES - 6 - opts.prefix.length;
  if (name.length > n) {
    // A UTF-8 char is at most 4 bytes: at most 3 continuation bytes (10xxxxxx) to step back over.
    for (let k = 0; k < 3 && n > 0 && (name.charCodeAt(n) & 0xc0) === 0x80; k++) n--;
    if ((name.charCodeAt(n) & 0xc0) === 0x80) n = MAX_AP_SSID_BYTES - 6 - opts.prefix.length;
    name = name.substring(0, n);
  }
  return opts.prefix + ' ' + name + '-' + apSuffix(opts.chipId);
}
