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
 * | `process` without `nextTick`; no `Buffer`, `module`, `__dirname`, Node `require` | emulated (`require('fs')` throws "Module fs not found") |
 * | `Array.prototype.slice`, `String.prototype.trim`, `Function.prototype.call` … are undefined, `[].slice.call(arguments)` works, `Object.prototype.hasOwnProperty` works | emulated for every method of Array/String/Function prototypes (accessor that hides the method when read from the prototype itself) |
 * | built-in errors: `e.name` undefined, `String(e)` is "Error: msg" | emulated (name removed from Error, TypeError, SyntaxError, ReferenceError prototypes) |
 * | calling a missing method throws `Error`, not `TypeError` | partly: message/name/String match, but `e instanceof TypeError` stays true (V8 creates the error) |
 * | `decodeURIComponent('%C3%A9')` throws "Invalid URI", ASCII escapes work | emulated |
 * | `encodeURIComponent` escapes bytes, not UTF-8 | emulated |
 * | `url.parse(u, true)`: no `+` to space, `%ZZ` decodes to byte 0xFF | emulated (url.ts) |
 * | `JSON.stringify` escapes bytes >= 0x80 as `\u00XX`, ignores a replacer | emulated |
 * | `JSON.parse` ignores a reviver, is lenient (single quotes, trailing junk) | emulated |
 * | numbers print with ~12 significant digits | not emulated (V8 formatting) |
 * | `'abc'.replace('b', fn)` with a string pattern inserts the function's source | emulated |
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
 * | `clearTimeout(undefined)` / unknown id throws, `clearTimeout()` clears all | emulated (globals.ts) |
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

  var realReplace = String.prototype.replace;
  String.prototype.replace = function (pattern, replacement) {
    if (typeof pattern === 'string' && typeof replacement === 'function') {
      var source = String(replacement);
      return apply(realReplace, this, [pattern, function () { return source; }]);
    }
    return apply(realReplace, this, [pattern, replacement]);
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
