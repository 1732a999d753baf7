/**
 * Espruino's byte-string built-ins, as host functions operating on device
 * values (the context has no Unicode: one char is one byte):
 * - `JSON.stringify` ignores a replacer, escapes every char >= 0x7F as
 *   `\u00XX` (upper-case hex) and control chars as `\uXXXX` (`\b \f \n \r \t`
 *   by name); typed arrays print as arrays;
 * - `JSON.parse` ignores a reviver and is lenient: single-quoted strings,
 *   unquoted identifier keys and trailing junk are accepted, `\u` escapes keep
 *   their low byte;
 * - `decodeURIComponent` reads escape digits in base 36 like `url.parse`
 *   (`%ZZ` is "3"), throws "Invalid URI" when a digit is not a letter or a
 *   number (also `%` cut off by the end) or the byte is >= 0x80, and throws
 *   "ASCII only" on a raw char >= 0x80 (checked on the 2v29 interpreter);
 * - `encodeURIComponent` escapes each byte on its own (`é` byte 0xE9
 *   becomes `%E9`, not UTF-8; the x86 Linux interpreter builds print `%59`
 *   there because their `char` is signed, the boards' Xtensa compiler has an
 *   unsigned `char`);
 * - `btoa`/`atob` work on bytes (`atob` skips chars outside the alphabet).
 */
import type { Realm } from './realm';
import { base36Digit } from './url';

const hex2 = (n: number): string => n.toString(16).toUpperCase().padStart(2, '0');

/** Espruino's JSON string literal for a byte string. */
function jsonQuote(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ch = s[i];
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\f') out += '\\f';
    else if (c < 0x20 || c >= 0x7f) out += '\\u' + c.toString(16).toUpperCase().padStart(4, '0');
    else out += ch;
  }
  return out + '"';
}

/**
 * `JSON.stringify(value, replacer, space)` as Espruino does it (replacer
 * ignored; indentation is V8's layout, Espruino's differs in whitespace).
 * Checked on the 2v29 interpreter: `undefined` gives the string "null" and a
 * function the string "undefined"; in an array a function is written as
 * `undefined`; an object member that is undefined or a function is left out,
 * one whose `toJSON()` gives undefined is written as `null`.
 */
export function jsonStringify(value: unknown, space?: unknown): string {
  const indentUnit =
    typeof space === 'number' ? ' '.repeat(Math.max(0, Math.min(10, space))) : typeof space === 'string' ? space : '';
  const stack: unknown[] = [];
  const str = (v: unknown, indent: string): string | undefined => {
    if (v !== null && typeof v === 'object' && typeof (v as { toJSON?: unknown }).toJSON === 'function') {
      v = Reflect.apply((v as { toJSON: Function }).toJSON, v, []);
    }
    if (v === null) return 'null';
    switch (typeof v) {
      case 'string':
        return jsonQuote(v);
      case 'number':
        return isFinite(v) ? String(v) : 'null';
      case 'boolean':
        return String(v);
      case 'object':
        break;
      default:
        return undefined;
    }
    if (stack.includes(v)) throw new Error('Circular structure in JSON.stringify');
    stack.push(v);
    const inner = indent + indentUnit;
    const nl = indentUnit ? '\n' : '';
    const sep = indentUnit ? ': ' : ':';
    let parts: string[];
    let open: string;
    let close: string;
    if (Array.isArray(v) || ArrayBuffer.isView(v)) {
      const items = Array.isArray(v) ? v : Array.from(v as unknown as ArrayLike<number>);
      parts = items.map((item) => (typeof item === 'function' ? 'undefined' : (str(item, inner) ?? 'null')));
      open = '[';
      close = ']';
    } else {
      parts = [];
      for (const k of Object.keys(v as object)) {
        const member = (v as Record<string, unknown>)[k];
        if (member === undefined || typeof member === 'function') continue;
        parts.push(jsonQuote(k) + sep + (str(member, inner) ?? 'null'));
      }
      open = '{';
      close = '}';
    }
    stack.pop();
    if (!parts.length) return open + close;
    return open + nl + inner + parts.join(',' + nl + inner) + nl + indent + close;
  };
  if (typeof value === 'function') return 'undefined';
  return str(value, '') ?? 'null';
}

/** Lenient `JSON.parse` building context values; throws a context SyntaxError on bad input. */
export function jsonParse(realm: Realm, text: unknown): unknown {
  const s = String(text);
  let i = 0;
  const fail = (): never => {
    const SyntaxErr = realm.global.SyntaxError as ErrorConstructor;
    throw new SyntaxErr(`Got ${i < s.length ? JSON.stringify(s[i]) : 'EOF'} expected a JSON value`);
  };
  const ws = (): void => {
    while (i < s.length && ' \t\r\n'.includes(s[i])) i++;
  };
  const str = (): string => {
    const q = s[i++];
    let out = '';
    while (i < s.length && s[i] !== q) {
      let ch = s[i++];
      if (ch === '\\') {
        const e = s[i++];
        const simple: Record<string, string> = { n: '\n', r: '\r', t: '\t', b: '\b', f: '\f', v: '\v', '0': '\0' };
        if (e in simple) ch = simple[e];
        else if (e === 'x') {
          ch = String.fromCharCode(parseInt(s.substr(i, 2), 16) & 0xff);
          i += 2;
        } else if (e === 'u') {
          ch = String.fromCharCode(parseInt(s.substr(i, 4), 16) & 0xff);
          i += 4;
        } else ch = e ?? '';
      }
      out += ch;
    }
    if (i >= s.length) fail();
    i++;
    return out;
  };
  const value = (): unknown => {
    ws();
    const ch = s[i];
    if (ch === '"' || ch === "'") return str();
    if (ch === '{') {
      i++;
      const o = realm.obj();
      ws();
      while (s[i] !== '}') {
        ws();
        let key: string;
        if (s[i] === '"' || s[i] === "'") key = str();
        else {
          const m = /^[A-Za-z_$0-9][\w$]*/.exec(s.slice(i));
          if (!m) return fail();
          key = m[0];
          i += key.length;
        }
        ws();
        if (s[i++] !== ':') fail();
        o[key] = value();
        ws();
        if (s[i] === ',') i++;
        else if (s[i] !== '}') fail();
        ws();
      }
      i++;
      return o;
    }
    if (ch === '[') {
      i++;
      const a = realm.arr([]);
      ws();
      while (s[i] !== ']') {
        a.push(value());
        ws();
        if (s[i] === ',') i++;
        else if (s[i] !== ']') fail();
        ws();
      }
      i++;
      return a;
    }
    const m = /^(-?\d+(\.\d+)?([eE][+-]?\d+)?|true|false|null)/.exec(s.slice(i));
    if (!m) return fail();
    i += m[0].length;
    return m[0] === 'true' ? true : m[0] === 'false' ? false : m[0] === 'null' ? null : Number(m[0]);
  };
  return value();
}

/** Espruino `decodeURIComponent`: byte-wise, base-36 escape digits, ASCII only. */
export function decodeURIComponentBytes(realm: Realm, s: unknown): string {
  const str = String(s);
  let out = '';
  for (let i = 0; i < str.length; i++) {
    if (str.charCodeAt(i) >= 0x80) throw realm.error('ASCII only');
    if (str[i] !== '%') {
      out += str[i];
      continue;
    }
    const hi = base36Digit(str[i + 1]);
    const lo = base36Digit(str[i + 2]);
    const byte = ((hi << 4) | lo) & 0xff;
    if (hi < 0 || lo < 0 || byte >= 0x80) throw realm.error('Invalid URI');
    out += String.fromCharCode(byte);
    i += 2;
  }
  return out;
}

/** Espruino `encodeURIComponent`: each byte on its own, unreserved chars kept. */
export function encodeURIComponentBytes(s: unknown): string {
  const str = String(s);
  let out = '';
  for (let i = 0; i < str.length; i++) {
    const ch = str[i];
    out += /[A-Za-z0-9\-_.!~*'()]/.test(ch) ? ch : '%' + hex2(str.charCodeAt(i) & 0xff);
  }
  return out;
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Base64 of a byte string. */
export function btoaBytes(s: unknown): string {
  const bytes = Array.from(String(s), (c) => c.charCodeAt(0) & 0xff);
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    out += B64[(n >> 18) & 63] + B64[(n >> 12) & 63];
    out += i + 1 < bytes.length ? B64[(n >> 6) & 63] : '=';
    out += i + 2 < bytes.length ? B64[n & 63] : '=';
  }
  return out;
}

/** Byte string from base64; chars outside the alphabet are skipped. */
export function atobBytes(s: unknown): string {
  let bits = 0;
  let nbits = 0;
  let out = '';
  for (const ch of String(s)) {
    const v = B64.indexOf(ch);
    if (v < 0) continue;
    bits = (bits << 6) | v;
    nbits += 6;
    if (nbits >= 8) {
      nbits -= 8;
      out += String.fromCharCode((bits >> nbits) & 0xff);
    }
  }
  return out;
}
