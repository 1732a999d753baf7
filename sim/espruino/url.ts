/**
 * Espruino's `url.parse(u, parseQuery)` (`url` is a global object on the
 * board; `require('url')` throws), ported from its C scanner so the quirks
 * are the board's:
 * - result `{protocol?, method:'GET', host, path, pathname, search, port, query}`
 *   with `search`/`query`/`port` null when absent;
 * - with `parseQuery`, `+` is NOT turned into a space;
 * - `%` takes the next two chars whatever they are (a `&` or `=` among them
 *   is swallowed). Each digit is read in base 36 (`0-9`, then `a-z`/`A-Z` as
 *   10..35) and the byte is `(hi << 4 | lo) & 0xFF`, so `%ZZ` is "3" and
 *   `%G1` is "\x01"; a digit that is not a letter or a number (`%:0`, `%4` at
 *   the end, a bare `%`) makes the byte 0xFF. Checked on the 2v29
 *   interpreter for every byte value;
 * - a repeated key keeps its FIRST value (Espruino adds a second child with
 *   the same name and lookups find the first).
 */
import type { Realm } from './realm';

/** Espruino's `chtod`: a digit in base 36, -1 for anything else (or no char). */
export function base36Digit(ch: string | undefined): number {
  if (ch === undefined || ch === '') return -1;
  const c = ch.charCodeAt(0);
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 90) return c - 55;
  if (c >= 97 && c <= 122) return c - 87;
  return -1;
}

/** Decodes a query component exactly like Espruino's url.parse. */
function decodeQueryPart(s: string): { key: string; val: string }[] {
  const pairs: { key: string; val: string }[] = [];
  let key = '';
  let val = '';
  let hadEquals = false;
  for (let i = 0; i < s.length; i++) {
    let ch = s[i];
    if (ch === '&') {
      if (key.length || val.length) pairs.push({ key, val });
      key = '';
      val = '';
      hadEquals = false;
      continue;
    }
    if (!hadEquals && ch === '=') {
      hadEquals = true;
      continue;
    }
    if (ch === '%') {
      const hi = base36Digit(s[i + 1]);
      const lo = base36Digit(s[i + 2]);
      i += 2;
      ch = String.fromCharCode(hi < 0 || lo < 0 ? 0xff : ((hi << 4) | lo) & 0xff);
    }
    if (hadEquals) val += ch;
    else key += ch;
  }
  if (key.length || val.length) pairs.push({ key, val });
  return pairs;
}

/** `url.parse` returning a context object. */
export function urlParse(realm: Realm, u: unknown, parseQuery: unknown): unknown {
  if (typeof u !== 'string') return undefined;
  let slashes = 0;
  let colons = 0;
  let addrStart = -1;
  let portStart = -1;
  let pathStart = -1;
  let searchStart = -1;
  let portNumber = 0;
  for (let idx = 0; idx < u.length; idx++) {
    const ch = u[idx];
    if (ch === '/') {
      slashes++;
      if (pathStart < 0) pathStart = idx;
      if (colons === 1 && slashes === 2 && addrStart < 0) {
        addrStart = idx;
        pathStart = -1;
        searchStart = -1;
      }
    }
    if (ch === ':') {
      colons++;
      if (addrStart >= 0 && pathStart < 0) portStart = idx;
    }
    if (portStart >= 0 && idx > portStart && pathStart < 0 && ch >= '0' && ch <= '9') {
      portNumber = portNumber * 10 + (ch.charCodeAt(0) - 48);
    }
    if (ch === '?' && pathStart >= 0) searchStart = idx;
  }
  if (pathStart < 0) pathStart = u.length;
  const addrEnd = portStart >= 0 ? portStart : pathStart;
  const out = realm.obj();
  if (addrStart > 0) out.protocol = u.substr(0, addrStart - 1);
  out.method = 'GET';
  out.host = u.substr(addrStart + 1, addrEnd - (addrStart + 1));
  out.path = u.substr(pathStart) || '/';
  out.pathname = (searchStart >= 0 ? u.substr(pathStart, searchStart - pathStart) : u.substr(pathStart)) || '/';
  out.search = searchStart >= 0 ? u.substr(searchStart) : null;
  out.port = portNumber <= 0 || portNumber > 65535 ? null : portNumber;
  let query: unknown = searchStart >= 0 ? u.substr(searchStart + 1) : null;
  if (parseQuery && query !== null) {
    const q = realm.obj();
    for (const p of decodeQueryPart(query as string)) {
      if (!Object.prototype.hasOwnProperty.call(q, p.key)) q[p.key] = p.val;
    }
    query = q;
  }
  out.query = query;
  return out;
}
