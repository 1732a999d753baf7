/**
 * Byte-string helpers shared by the portal and the tests.
 *
 * Strings are bytes on the boards (one char per byte, no Unicode support), so
 * neither helper relies on `decodeURIComponent` (throws on UTF-8 escapes on the
 * board) or `JSON.stringify` (turns UTF-8 bytes into `\u00C3`-style mojibake).
 *
 * - `decodeQuery`: `a=b&c=d` (query strings and
 *   `application/x-www-form-urlencoded` bodies) into an object of byte strings.
 * - `jsonFields`: a flat JSON object of chosen fields, written as one string
 *   straight from the object that has them; its strings keep bytes >= 0x80 as
 *   they are, so UTF-8 reaches the phone intact.
 */

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
  // No helper functions and no arrays: on the board each would be more memory per call.
  const out: { [key: string]: string } = {};
  let from = 0;
  while (from <= s.length) {
    let amp = s.indexOf('&', from);
    if (amp < 0) amp = s.length;
    const seg = s.substring(from, amp);
    from = amp + 1;
    if (seg.length === 0) continue;
    const eq = seg.indexOf('=');
    let k = '';
    // Part 0 is the key, part 1 the value: `+` becomes a space, `%XX` a byte.
    for (let part = 0; part < 2; part++) {
      const t = part === 0 ? (eq < 0 ? seg : seg.substring(0, eq)) : eq < 0 ? '' : seg.substring(eq + 1);
      let d = '';
      let done = 0;
      for (let i = 0; i < t.length; i++) {
        const c = t.charAt(i);
        if (c === '+') {
          d += t.substring(done, i) + ' ';
          done = i + 1;
        } else if (c === '%') {
          let n = 0;
          for (let j = 1; j <= 2; j++) {
            // A hex digit of either case (`| 32` lowers A-F); NaN (past the end) is no digit.
            const h = t.charCodeAt(i + j);
            const v = h >= 48 && h <= 57 ? h - 48 : (h | 32) >= 97 && (h | 32) <= 102 ? (h | 32) - 87 : -1;
            if (v < 0) return null;
            n = n * 16 + v;
          }
          d += t.substring(done, i) + String.fromCharCode(n);
          i += 2;
          done = i + 1;
        }
      }
      d += t.substring(done);
      if (part === 0) k = d;
      else if (k !== '' && k !== '__proto__') out[k] = d;
    }
  }
  return out;
}

/**
 * Writes `{"key":value,...}` for the space-separated `keys` of `o`, in that
 * order, straight from `o` (no copy of it): booleans and finite numbers as
 * they are, anything else that is not a string (absent, NaN, objects) as
 * `null`, strings as JSON string literals that keep bytes as they are.
 *
 * In a string, `"` and `\` get their short escapes; control chars below 0x20
 * and DEL (0x7F) become `\u00XX`; everything else, bytes >= 0x80 included,
 * passes through unchanged, so UTF-8 text stays UTF-8 (a stray non-UTF-8
 * byte also passes through; a phone shows it as a replacement char).
 *
 * @param o the object to read (strings in it are byte strings)
 * @param keys field names, separated by single spaces
 * @returns the JSON text, valid whatever the strings hold
 */
export function jsonFields(o: { [key: string]: unknown }, keys: string): string {
  let out = '{';
  for (let ki = 0; ki < keys.length; ) {
    let ke = keys.indexOf(' ', ki);
    if (ke < 0) ke = keys.length;
    const k = keys.substring(ki, ke);
    const v = o[k];
    out += (ki > 0 ? ',"' : '"') + k + '":';
    if (typeof v === 'string') {
      out += '"';
      let from = 0;
      for (let i = 0; i < v.length; i++) {
        const c = v.charCodeAt(i);
        if (c < 32 || c === 34 || c === 92 || c === 127) {
          out += v.substring(from, i) + (c === 34 ? '\\"' : c === 92 ? '\\\\' : '\\u00' + '0123456789ABCDEF'.charAt(c >> 4) + '0123456789ABCDEF'.charAt(c & 15));
          from = i + 1;
        }
      }
      out += v.substring(from) + '"';
    } else {
      out += typeof v === 'boolean' || (typeof v === 'number' && isFinite(v)) ? String(v) : 'null';
    }
    ki = ke + 1;
  }
  return out + '}';
}
