/**
 * Interpreter quirks of Espruino 2v29 applied to a fresh context (facts from
 * docs/espruino-runtime.md; each emulated one has a test in
 * test/sim/quirks.test.ts).
 *
 * QUIRKS — what the virtual board does about each difference from V8:
 *
 * | quirk | status |
 * |---|---|
 * | missing globals `Map Set WeakMap WeakSet Symbol Proxy Reflect BigInt RangeError TextEncoder TextDecoder setImmediate queueMicrotask structuredClone Intl WebAssembly SharedArrayBuffer Atomics globalThis` (also `WeakRef FinalizationRegistry AggregateError EvalError URIError BigInt64Array BigUint64Array`) | emulated: removed |
 * | `global` is the global object | emulated |
 * | missing members `Object.freeze/seal/is`, `Number.isInteger/isNaN/isFinite/MAX_SAFE_INTEGER`, `Math.trunc/log2/log10/hypot`, `Array.from/of`, `[].lastIndexOf`, `String.prototype.search/localeCompare/trimStart(trimLeft)`, `Promise.race/finally/allSettled`, `Date.UTC` | emulated: removed (`Number` is a stand-in constructor without them, since V8's `MAX_SAFE_INTEGER` cannot be deleted) |
 * | `process` without `nextTick`; no `Buffer`, `module`, `__dirname`, Node `require` | emulated (`require('fs')` throws `Module "fs" not found`) |
 * | `Array.prototype.slice`, `String.prototype.trim`, `Function.prototype.call` … are undefined, `[].slice.call(arguments)` works, `Object.prototype.hasOwnProperty` works | emulated for every method of Array/String/Function prototypes (accessor that hides the method when read from the prototype itself) |
 * | built-in errors: `e.name` undefined, `String(e)` is "Error: msg" | emulated (name removed from Error, TypeError, SyntaxError, ReferenceError prototypes) |
 * | calling a missing method throws `Error`, not `TypeError` | partly: message/name/String match, but `e instanceof TypeError` stays true (V8 creates the error) |
 * | `decodeURIComponent`: an escape >= 0x80 or a non-alphanumeric escape throws "Invalid URI", a raw byte >= 0x80 throws "ASCII only", escape digits are base 36 (`%ZZ` is "3") | emulated (bytes-api.ts) |
 * | `encodeURIComponent` escapes bytes, not UTF-8 (`%E9`; the x86 Linux builds print a wrong first digit for bytes >= 0x80 because their `char` is signed, Xtensa's is not) | emulated as on Xtensa |
 * | `url` is a global (`require('url')` throws); `url.parse(u, true)`: no `+` to space, escape digits base 36 (`%ZZ` is "3"), an escape with a non-alphanumeric digit or cut off by the end is byte 0xFF | emulated (url.ts) |
 * | `JSON.stringify` escapes bytes >= 0x7F as `\u00XX`, ignores a replacer | emulated |
 * | `JSON.parse` ignores a reviver, is lenient (single quotes, trailing junk) | emulated |
 * | numbers print with ~12 significant digits | not emulated (V8 formatting) |
 * | string `indexOf`/`includes`/`replace`/`replaceAll`/`match` also match where the text ends part-way through the pattern (`'abcd'.indexOf('cdx') === 2`); the start position is clamped to `length - pattern.length + 1`; a position that is not a number or boolean is ignored, NaN/Infinity count as 0; `''.indexOf('')` is -1 | emulated (`lastIndexOf`, `startsWith`, `endsWith`, `split` are exact and unchanged, apart from the position rule for `lastIndexOf`) |
 * | `replaceAll` with a string pattern that matches again where the replacement ends (`'abcd'.replaceAll('dx', 'd')`, any empty pattern) never returns | emulated as an Error (the board hangs or runs out of memory) |
 * | `match(string)` is a plain substring search: `[pattern]` with `index`, and `input` is the pattern; `match()` is undefined | emulated |
 * | `'abc'.replace('b', fn)` with a string pattern inserts the function's source; `$&`, `$$`, `$1` in a replacement string stay literal | emulated (Espruino prints the source reformatted, V8's text is kept) |
 * | `Object.defineProperty` with `enumerable:false` still enumerates | emulated |
 * | `writable:false` assignments throw | not emulable (device code is sloppy: V8 ignores them) — bundle check |
 * | `arr.length = n` throws; assigning to a string index throws | not emulable — bundle check |
 * | no hoisting of function declarations / `var` | not emulable — bundle check |
 * | no labels, no `with`, `\u{…}` aborts, no ES2015+ syntax (default params, spread, destructuring, computed keys, generators, async, `**`, `?.`) | not emulable (V8 parses them) — bundle check |
 * | `let` without per-iteration binding | not emulable — bundle check |
 * | `arguments` does not alias parameters; arrows have their own empty `arguments` | not emulable — bundle check |
 * | `fn.name` undefined | not emulable (own property of every V8 function) |
 * | minimal regular expressions that fail silently | not emulable — bundle check |
 * | Promise callbacks run in later tasks; "Unhandled promise rejection" reported when the rejection is processed | emulated (realm.ts prelude Promise) |
 * | `clearTimeout(undefined)` throws, an unknown or fired id is ignored, `clearTimeout()` clears all, a new timer id is 1 + the highest live id (a fired id comes back) | emulated (globals.ts) |
 * | memory limits (JsVars) | estimated only by `process.memory()` |
 */
import type { Realm } from './realm';

const REMOVED_GLOBALS = [
  'Map', 'Set', 'WeakMap', 'WeakSet', 'Symbol', 'Proxy', 'Reflect', 'BigInt', 'BigInt64Array', 'BigUint64Array',
  'RangeError', 'EvalError', 'URIError', 'AggregateError', 'WeakRef', 'FinalizationRegistry', 'TextEncoder',
  'TextDecoder', 'setImmediate', 'queueMicrotask', 'structuredClone', 'Intl', 'WebAssembly', 'SharedArrayBuffer',
  'Atomics', 'globalThis',
];

const QUIRKS_SCRIPT = `(function (g, removed) {
  var realDefine = Object.defineProperty, getNames = Object.getOwnPropertyNames;
  var getDesc = Object.getOwnPropertyDescriptor, apply = Reflect.apply, RealNumber = Number;
  function drop(o, names) { for (var i = 0; i < names.length; i++) delete o[names[i]]; }

  function EspruinoNumber(v) {
    var n = arguments.length ? RealNumber(v) : 0;
    if (!(this instanceof EspruinoNumber)) return n;
    return new RealNumber(n);
  }
  EspruinoNumber.prototype = RealNumber.prototype;
  realDefine(RealNumber.prototype, 'constructor', { value: EspruinoNumber, writable: true, configurable: true });
  ['MAX_VALUE', 'MIN_VALUE', 'NaN', 'NEGATIVE_INFINITY', 'POSITIVE_INFINITY', 'EPSILON', 'parseFloat', 'parseInt']
    .forEach(function (k) { EspruinoNumber[k] = RealNumber[k]; });
  g.Number = EspruinoNumber;

  drop(Object, ['freeze', 'seal', 'is']);
  drop(Math, ['trunc', 'log2', 'log10', 'hypot']);
  drop(Array, ['from', 'of']);
  drop(Array.prototype, ['lastIndexOf']);
  drop(String.prototype, ['search', 'localeCompare', 'trimStart', 'trimLeft']);
  [Error, TypeError, SyntaxError, ReferenceError].forEach(function (E) { delete E.prototype.name; });

  Object.defineProperty = function (o, k, d) {
    var c = {};
    for (var x in d) c[x] = d[x];
    c.enumerable = true;
    return realDefine(o, k, c);
  };
  Object.defineProperties = function (o, props) {
    for (var k in props) Object.defineProperty(o, k, props[k]);
    return o;
  };

  var S = String.prototype, floor = Math.floor, objectToString = Object.prototype.toString;
  var substring = S.substring, realIndexOf = S.indexOf, realLastIndexOf = S.lastIndexOf;
  var realReplace = S.replace, realReplaceAll = S.replaceAll, realMatch = S.match, realSplit = S.split;
  function part(s, from, to) { return apply(substring, s, [from, to]); }
  function isRegExp(v) { return apply(objectToString, v, []) === '[object RegExp]'; }
  // A position argument counts only if it is a number or a boolean (jsvIsNumeric); NaN and Infinity give 0.
  function position(v, fallback) {
    if (typeof v === 'boolean') return v ? 1 : 0;
    if (typeof v !== 'number') return fallback;
    if (v !== v || v === Infinity || v === -Infinity) return 0;
    return v < 0 ? -floor(-v) : floor(v);
  }
  // Espruino's indexOf: the start is clamped to [0, n - m + 1] and every index below n is tried;
  // when the text ends part-way through the needle, what was compared so far counts as a match.
  function espIndexOf(text, needle, from) {
    var n = text.length, m = needle.length, idx = position(from, 0), r;
    if (m > n) return -1;
    if (idx < 0) idx = 0;
    if (idx > n - m + 1) idx = n - m + 1;
    if (m === 0) return idx < n ? idx : -1;
    if (idx <= n - m) {
      r = apply(realIndexOf, text, [needle, idx]);
      if (r >= 0) return r;
      idx = n - m + 1;
    }
    for (; idx < n; idx++) if (part(text, idx) === part(needle, 0, n - idx)) return idx;
    return -1;
  }
  function espLastIndexOf(text, needle, from) {
    var n = text.length, m = needle.length, last = n - m, idx = position(from, last);
    if (m > n) return -1;
    if (idx < 0) idx = 0;
    if (idx > last) idx = last;
    return apply(realLastIndexOf, text, [needle, idx]);
  }
  S.indexOf = function (needle, from) { return espIndexOf(String(this), String(needle), from); };
  S.lastIndexOf = function (needle, from) { return espLastIndexOf(String(this), String(needle), from); };
  S.includes = function (needle, from) { return espIndexOf(String(this), String(needle), from) !== -1; };
  S.replace = function (pattern, replacement) {
    if (isRegExp(pattern)) return apply(realReplace, this, [pattern, replacement]);
    var text = String(this), needle = String(pattern), idx = espIndexOf(text, needle, 0);
    if (idx < 0) return text;
    return part(text, 0, idx) + String(replacement) + part(text, idx + needle.length);
  };
  if (realReplaceAll) S.replaceAll = function (pattern, replacement) {
    if (isRegExp(pattern)) return apply(realReplaceAll, this, [pattern, replacement]);
    var text = String(this), needle = String(pattern), r = String(replacement);
    var idx = espIndexOf(text, needle, 0), budget = 2 * text.length + 16;
    while (idx >= 0) {
      if (--budget < 0) throw new Error('replaceAll never ends for this pattern on Espruino (the board hangs or runs out of memory)');
      text = part(text, 0, idx) + r + part(text, idx + needle.length);
      idx = espIndexOf(text, needle, idx + r.length);
    }
    return text;
  };
  // split: a separator longer than the text plus one gives [], one char longer gives [text]; after a match
  // the search goes on at the next index, so overlapping matches give parts that run to the end of the text.
  S.split = function (separator) {
    var text = String(this), sep, n, m, l, idx, next, last = 0, out = [];
    if (separator === undefined) return [text];
    if (isRegExp(separator)) return apply(realSplit, text, [separator]);
    sep = String(separator);
    n = text.length;
    m = sep.length;
    if (m === 0) return apply(realSplit, text, ['']);
    l = n + 1 - m;
    for (idx = 0; idx <= l; idx++) {
      next = apply(realIndexOf, text, [sep, idx]);
      idx = next < 0 || next > l ? l : next;
      if (idx === l) idx = l + m;
      out.push(idx < last ? part(text, last) : part(text, last, idx));
      last = idx + m;
    }
    return out;
  };
  function integer(v) {
    var n = RealNumber(v);
    if (n !== n || n === Infinity || n === -Infinity) return 0;
    return n < 0 ? -floor(-n) : floor(n);
  }
  // startsWith/endsWith do not clamp: a position outside the text is false, even for ''.
  S.startsWith = function (search, pos) {
    var text = String(this), s = String(search), p = integer(pos);
    return p >= 0 && p + s.length <= text.length && part(text, p, p + s.length) === s;
  };
  S.endsWith = function (search, length) {
    var text = String(this), s = String(search), p = position(length, text.length) - s.length;
    return p >= 0 && p + s.length <= text.length && part(text, p, p + s.length) === s;
  };
  S.match = function (pattern) {
    if (isRegExp(pattern)) return apply(realMatch, this, [pattern]);
    if (pattern === undefined) return undefined;
    var needle = String(pattern), idx = espIndexOf(String(this), needle, 0), found;
    if (idx < 0) return null;
    found = [needle];
    found.index = idx;
    found.input = needle;
    return found;
  };

  [Array.prototype, String.prototype, Function.prototype].forEach(function (proto) {
    getNames(proto).forEach(function (k) {
      if (k === 'constructor' || k === 'length' || k === 'name' || k === 'caller' || k === 'arguments') return;
      var d = getDesc(proto, k);
      if (!d || typeof d.value !== 'function') return;
      var real = d.value;
      realDefine(proto, k, {
        configurable: true,
        get: function () { return this === proto ? undefined : real; },
        set: function (v) { realDefine(this, k, { value: v, writable: true, configurable: true, enumerable: this !== proto }); }
      });
    });
  });

  drop(g, removed);
})`;

/** Applies the interpreter quirks to a realm whose globals are installed. */
export function applyQuirks(realm: Realm): void {
  const apply = realm.run(QUIRKS_SCRIPT, 'quirks.js') as Function;
  realm.call(apply, undefined, [realm.global, REMOVED_GLOBALS]);
}
