/**
 * Byte-string helpers shared by the portal and the tests.
 *
 * Strings are bytes on the boards (one char per byte, no Unicode support), so
 * neither helper relies on `decodeURIComponent` (throws on UTF-8 escapes on the
 * board) or `JSON.stringify` (turns UTF-8 bytes into `\u00C3`-style mojibake).
 *
 * - `decodeQuery`: `a=b&c=d` (query strings and
 *   `application/x-www-form-urlencoded` bodies) into an object of byte strings.
 * - `jsonString`: a JSON string literal that keeps bytes >= 0x80 as they are,
 *   so UTF-8 reaches the phone intact.
 */

const HEX = '0123456789ABCDEF';

/** Value of one hex digit char code (either case), or -1. NaN (past the end) gives -1. */
function hexVal(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

/** Decodes one component: `+` is a space, `%XX` a byte. Null on a bad escape. */
function unescapeBytes(s: string): string | null {
  if (s.indexOf('%') < 0 && s.indexOf('+') < 0) return s;
  let out = '';
  let from = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charAt(i);
    if (c === '+') {
      out += s.substring(from, i) + ' ';
      from = i + 1;
    } else if (c === '%') {
      const hi = hexVal(s.charCodeAt(i + 1));
      const lo = hexVal(s.charCodeAt(i + 2));
      if (hi < 0 || lo < 0) return null;
      out += s.substring(from, i) + String.fromCharCode(hi * 16 + lo);
      i += 2;
      from = i + 1;
    }
  }
  return out + s.substring(from);
}

/**
 * Parses `a=b&c=d` (a query string without its `?`, or a url-encoded form
 * body) into an object of byte strings.
 *
 * - `+` becomes a space; `%XX` (hex, either case) becomes that byte; every
 *   other byte passes through unchanged (UTF-8 stays UTF-8 bytes).
 * - Any invalid escape (`%`, `%1`, `%Z1`) anywhere rejects the whole input.
 * - A repeated key: the last value wins. A key without `=` gets ''. Empty
 *   segments (`a=1&&b=2`, a trailing `&`) are skipped. An empty key (`=x`)
 *   and the key `__proto__` are ignored (neither is safe as a plain property
 *   name on every engine, and no parameter has them).
 *
 * @param s the encoded text (byte string)
 * @returns the decoded pairs, or null if any escape is invalid
 */
export function decodeQuery(s: string): { [key: string]: string } | null {
  const out: { [key: string]: string } = {};
  const parts = s.split('&');
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i];
    if (p.length === 0) continue;
    const eq = p.indexOf('=');
    const k = unescapeBytes(eq < 0 ? p : p.substring(0, eq));
    const v = eq < 0 ? '' : unescapeBytes(p.substring(eq + 1));
    if (k === null || v === null) return null;
    if (k !== '' && k !== '__proto__') out[k] = v;
  }
  return out;
}

/**
 * Encodes a byte string as a JSON string literal, quotes included.
 *
 * `"` and `\` get their short escapes; control chars below 0x20 and DEL (0x7F)
 * become `\u00XX`; everything else, bytes >= 0x80 included, passes through
 * unchanged, so UTF-8 text stays UTF-8 (a stray non-UTF-8 byte also passes
 * through; a phone shows it as a replacement char).
 *
 * @param s the value (byte string)
 * @returns `"…"`, valid JSON
 */
export function jsonString(s: string): string {
  let out = '"';
  let from = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 32 || c === 34 || c === 92 || c === 127) {
      out += s.substring(from, i) + (c === 34 ? '\\"' : c === 92 ? '\\\\' : '\\u00' + HEX.charAt(c >> 4) + HEX.charAt(c & 15));
      from = i + 1;
    }
  }
  return out + s.substring(from) + '"';
}
