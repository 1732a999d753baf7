/**
 * One test per interpreter quirk listed in docs/espruino-runtime.md
 * that the virtual board emulates (see the table in sim/espruino/quirks.ts).
 * Expected values marked "2v29" are what the Espruino 2v29 interpreter
 * (the ESP8266 and ESP32 builds in /work/shared/espruino) printed for the
 * same code.
 */
import { strict as assert } from 'assert';
import { makeBoard, sleep } from './helpers';
import type { VirtualBoard } from '../../sim/espruino';

describe('sim quirks (espruino-runtime.md)', () => {
  let board: VirtualBoard;
  const ev = (code: string): any => board.evaluate(code);
  /** The device's JSON of an expression, compared with the host's JSON of the expected value. */
  const same = (code: string, expected: unknown): void => assert.equal(ev(`JSON.stringify(${code})`), JSON.stringify(expected), code);
  const thrown = (code: string): string => ev(`try { ${code}; 'no throw' } catch (e) { e.message }`);

  before(() => {
    board = makeBoard();
    board.boot();
  });
  after(() => board.close());

  const missingGlobals = [
    'Map', 'Set', 'WeakMap', 'WeakSet', 'Symbol', 'Proxy', 'Reflect', 'BigInt', 'TextEncoder', 'TextDecoder',
    'RangeError', 'setImmediate', 'queueMicrotask', 'structuredClone', 'Intl', 'WebAssembly', 'SharedArrayBuffer',
    'Atomics', 'globalThis',
  ];
  for (const name of missingGlobals) {
    it(`global ${name} is missing`, () => assert.equal(ev(`typeof ${name}`), 'undefined'));
  }

  const missingMembers = [
    'Object.freeze', 'Object.seal', 'Object.is', 'Number.isInteger', 'Number.isNaN', 'Number.isFinite',
    'Number.MAX_SAFE_INTEGER', 'Math.trunc', 'Math.log2', 'Math.log10', 'Math.hypot', 'Array.from', 'Array.of',
    '[].lastIndexOf', "''.search", "''.localeCompare", "''.trimStart", 'Promise.race', 'Promise.allSettled',
    'Promise.resolve().finally', 'Date.UTC',
  ];
  for (const m of missingMembers) {
    it(`${m} is missing`, () => assert.equal(ev(`typeof ${m}`), 'undefined'));
  }

  it('keeps what Espruino has (Object.assign/keys/values/entries/create, array/string methods, typed arrays, Promise, btoa, E.CRC32, getTime)', () => {
    const present = [
      'Object.assign', 'Object.keys', 'Object.values', 'Object.entries', 'Object.create', '[].map', '[].filter',
      '[].reduce', '[].some', '[].every', '[].find', '[].findIndex', '[].includes', '[].fill', "''.padStart",
      "''.startsWith", "''.endsWith", "''.includes", "''.repeat", 'Uint8Array', 'DataView', 'Promise.all',
      'Promise.resolve().then', 'Promise.resolve().catch', 'btoa', 'atob', 'E.CRC32', 'E.hwRand', 'getTime',
    ];
    for (const p of present) assert.notEqual(ev(`typeof ${p}`), 'undefined', p);
    assert.equal(ev("Number('42') + 1"), 43);
  });

  it('global is the global object', () => assert.equal(ev('global === this && global.setTimeout === setTimeout'), true));

  it('built-in prototype methods are not reachable via the prototype, but work on instances', () => {
    assert.equal(ev('typeof Array.prototype.slice'), 'undefined');
    assert.equal(ev('typeof Array.prototype.map'), 'undefined');
    assert.equal(ev('typeof String.prototype.trim'), 'undefined');
    assert.equal(ev('typeof Function.prototype.call'), 'undefined');
    assert.equal(ev('(function () { return [].slice.call(arguments).length; })(1, 2, 3)'), 3);
    assert.equal(ev("' a '.trim()"), 'a');
    assert.equal(ev('typeof Object.prototype.hasOwnProperty'), 'function');
  });

  it('built-in errors have no name and print as "Error: msg"', () => {
    assert.equal(ev("typeof new Error('x').name"), 'undefined');
    assert.equal(ev("String(new Error('boom'))"), 'Error: boom');
    assert.equal(ev("try { ({}).nope(); } catch (e) { String(e).indexOf('Error: ') === 0 && e.name === undefined }"), true);
  });

  it("decodeURIComponent: 'Invalid URI' for an escape >= 0x80 or a bad digit, 'ASCII only' for a raw byte >= 0x80, base-36 digits (2v29)", () => {
    assert.equal(thrown("decodeURIComponent('%C3%A9')"), 'Invalid URI');
    assert.equal(thrown("decodeURIComponent('%E9')"), 'Invalid URI');
    assert.equal(thrown("decodeURIComponent('%:0')"), 'Invalid URI');
    assert.equal(thrown("decodeURIComponent('%4')"), 'Invalid URI');
    assert.equal(thrown("decodeURIComponent('%')"), 'Invalid URI');
    assert.equal(thrown("decodeURIComponent('\\xe9')"), 'ASCII only');
    assert.equal(ev("decodeURIComponent('%41%20b+')"), 'A b+');
    assert.equal(ev("decodeURIComponent('%ZZ')"), '3');
    assert.equal(ev("decodeURIComponent('%G1')"), '\x01');
    assert.equal(ev("decodeURIComponent('%Z0')"), '0');
  });

  it('encodeURIComponent escapes each byte (no UTF-8)', () => {
    assert.equal(ev("encodeURIComponent('a \\xe9')"), 'a%20%E9');
  });

  it("url is a global, require('url') throws; url.parse(u, true).query keeps '+', base-36 escape digits, 0xFF for a bad or cut-off escape (2v29)", () => {
    assert.equal(ev('typeof url.parse'), 'function');
    assert.equal(thrown("require('url')"), 'Module "url" not found');
    const q = ev("url.parse('/x?a=b+c&d=%ZZ&e=%41&f=%:0&g=%C3%A9&h=%4', true).query");
    assert.equal(q.a, 'b+c');
    assert.equal(q.d, '3');
    assert.equal(q.e, 'A');
    assert.equal(q.f, '\xff');
    assert.equal(q.g, '\xc3\xa9');
    assert.equal(q.h, '\xff');
    assert.equal(ev("url.parse('/?a=%4&b=1', true).query.a"), '\xffb=1');
    assert.equal(ev("url.parse('/?a=%G0x', true).query.a"), '\x00x');
  });

  it('JSON.stringify escapes each byte >= 0x7F as \\u00XX and ignores a replacer', () => {
    assert.equal(ev("JSON.stringify('\\x7f\\xc3\\xa9')"), '"\\u007F\\u00C3\\u00A9"');
    assert.equal(ev('JSON.stringify({a: 1}, function () { return 5; })'), '{"a":1}');
  });

  it("JSON.stringify(undefined) is the string 'null', a function 'undefined' (also inside an array) (2v29)", () => {
    assert.equal(ev('JSON.stringify(undefined)'), 'null');
    assert.equal(ev('JSON.stringify(function () {})'), 'undefined');
    assert.equal(ev('JSON.stringify([undefined, function () {}])'), '[null,undefined]');
    assert.equal(ev('JSON.stringify({a: undefined, b: 1, f: function () {}})'), '{"b":1}');
    assert.equal(ev('JSON.stringify({t: {toJSON: function () { return undefined; }}})'), '{"t":null}');
  });

  it('JSON.parse ignores a reviver and is lenient', () => {
    assert.equal(ev("JSON.parse('{\"a\":1}', function () { return 7; }).a"), 1);
    assert.equal(ev("JSON.parse(\"{'a':'x'} trailing junk\").a"), 'x');
  });

  it("'abc'.replace('b', fn) with a string pattern inserts the function's source; $ patterns stay literal", () => {
    const out: string = ev("'abc'.replace('b', function () { return 'X'; })");
    assert.ok(out.startsWith('afunction'), out);
    assert.ok(out.endsWith('c'));
    const all: string = ev("'abab'.replaceAll('b', function () { return 1; })");
    assert.ok(all.startsWith('afunction') && all.indexOf('}afunction') > 0, all);
    assert.equal(ev("'abc'.replace('b', '[$&]')"), 'a[$&]c');
    assert.equal(ev("'abc'.replace('b', '$$')"), 'a$$c');
    assert.equal(ev("'abc'.replaceAll('b', '[$&]')"), 'a[$&]c');
    assert.equal(ev("'abc'.replace(/(b)/, '[$1]')"), 'a[b]c');
  });

  describe('string search: a match may run off the end of the text (2v29)', () => {
    it('indexOf matches where the text ends part-way through the pattern', () => {
      same('["abcd".indexOf("cdx"), "abcd".indexOf("dx"), "abcd".indexOf("dxyz"), "abcd".indexOf("abcde"), "abcd".indexOf("x")]', [2, 3, 3, -1, -1]);
      same('["abcab".indexOf("abx"), "abcab".indexOf("bx"), "abcab".indexOf("cax"), "abcd".indexOf("bx"), "abcd".indexOf("cdxy")]', [3, 4, -1, -1, 2]);
      same('["".indexOf(""), "a".indexOf(""), "abcd".indexOf("", 3), "abcd".indexOf("", 4), "abcd".indexOf("", 5)]', [-1, 0, 3, -1, -1]);
      const long = 'x'.repeat(50);
      same(`["${long}abcd".indexOf("cdx"), "${long}abcd".indexOf("cdx", 40), "${long}abcd".indexOf("cd")]`, [52, 52, 52]);
    });

    it('indexOf clamps the start to length - pattern.length + 1 and takes only a number or boolean as start', () => {
      same('["abcd".indexOf("cdx", 2), "abcd".indexOf("cdx", 3), "abcd".indexOf("cdx", 10), "abcd".indexOf("dx", 4), "abcd".indexOf("d", 10)]', [2, 2, 2, 3, -1]);
      same('["abcd".indexOf("b", -5), "abab".indexOf("a", 1.5), "abab".indexOf("a", "1"), "abab".indexOf("b", "3"), "abcd".indexOf("a", true), "abcd".indexOf("b", null)]', [1, 2, 0, 1, -1, 1]);
      same('["abcd".indexOf("b", Infinity), "abcd".indexOf("b", -Infinity), "abcd".indexOf("b", NaN)]', [1, 1, 1]);
      same('["ab3".indexOf(3), "abcd".indexOf(3), "xundefinedx".indexOf()]', [2, -1, 1]);
    });

    it('lastIndexOf finds whole matches only; a start that is not a number or boolean is ignored, NaN is 0', () => {
      same('["abcd".lastIndexOf("cdx"), "abcd".lastIndexOf("dx"), "abcab".lastIndexOf("abx"), "abcab".lastIndexOf("abx", 10), "abcd".lastIndexOf("d", 10)]', [-1, -1, -1, -1, 3]);
      same('["abcd".lastIndexOf(""), "abcd".lastIndexOf("", 2), "abcd".lastIndexOf("b", "0"), "abcd".lastIndexOf("b", -3)]', [4, 2, 1, -1]);
      same('["abab".lastIndexOf("a", 1.5), "abab".lastIndexOf("a", NaN), "abab".lastIndexOf("a", Infinity), "abab".lastIndexOf("a", undefined)]', [0, 0, 0, 2]);
    });

    it('includes is indexOf(...) !== -1', () => {
      same('["abcd".includes("cdx"), "abcd".includes("dx"), "abcd".includes("cdx", 3), "abcd".includes("cdx", 10), "abcd".includes("dx", 4), "abcd".includes("cdx", -2)]', [true, true, true, true, true, true]);
      same('["abcd".includes("a", 1), "".includes(""), "a".includes(""), "abab".includes("a", "3"), "abab".includes("b", 3.9)]', [false, false, true, true, true]);
    });

    it('replace and replaceAll with a string pattern use that indexOf', () => {
      same('["abcd".replace("dx", "Z"), "abcd".replace("cdx", "Z"), "adxad".replace("dx", "Z"), "abcd".replace("abcde", "Z"), "abc".replace("", "-"), "".replace("", "-")]', ['abcZ', 'abZ', 'aZad', 'abcd', '-abc', '']);
      same('["abcd".replaceAll("dx", "Z"), "adxad".replaceAll("dx", "Z"), "abab".replaceAll("b", "Z"), "abcd".replaceAll("cdx", "Z"), "aaa".replaceAll("a", "aa"), "dxdx".replaceAll("x", "xx")]', ['abcZ', 'aZaZ', 'aZaZ', 'abZ', 'aaaaaa', 'dxxdxx']);
      same('["abb".replaceAll("bx", ""), "abb".replace("bx", ""), "abcab".replaceAll("bx", "")]', ['a', 'ab', 'abca']);
      same('["abcd".replace(/dx/, "Z"), "abcd".replace(/d/g, "Z")]', ['abcd', 'abcZ']);
    });

    it('replaceAll that would match forever (the board hangs or runs out of memory) throws', () => {
      assert.match(thrown("'abcd'.replaceAll('dx', 'd')"), /never ends/);
      assert.match(thrown("'abc'.replaceAll('', '-')"), /never ends/);
    });

    it('match(string) is a substring search returning [pattern] with index, and input is the pattern', () => {
      same('["abcd".match("cdx"), "abcd".match("cdx").index, "abcd".match("cdx").input, "abcd".match("zz"), "abcab".match("abx")]', [['cdx'], 2, 'cdx', null, ['abx']]);
      same('["abcd".match("bc").input, "a.c".match("."), "a.c".match(".").index, "x3".match(3), "abc".match(null), typeof "x".match()]', ['bc', ['.'], 1, ['3'], null, 'undefined']);
    });

    it('split: no match off the end, but overlapping matches give parts running to the end; a long separator gives []', () => {
      same('["abcd".split("dx"), "abcd".split("cdx"), "abcdab".split("bx"), "ab,".split(",x"), "abcd".split("d"), "abcd".split("")]', [['abcd'], ['abcd'], ['abcdab'], ['ab,'], ['abc', ''], ['a', 'b', 'c', 'd']]);
      same('["ccccca".split("cc"), "aaa".split("aa"), "xabababx".split("aba"), "abab".split("ab")]', [['', 'ccca', 'cca', 'ca', 'a'], ['', 'a', ''], ['x', 'babx', 'bx'], ['', '', '']]);
      same('["cb".split("abab"), "a".split("abc"), "a".split("ab"), "".split("a"), "".split(""), "a,b,c".split(",", 2), "abc".split(), "a1b".split(1)]', [[], [], ['a'], [''], [], ['a', 'b', 'c'], ['abc'], ['a', 'b']]);
    });

    it('startsWith / endsWith do not clamp the position', () => {
      same('["abcd".startsWith("abcdx"), "abcd".startsWith("cdx", 2), "abcd".startsWith("d", 3), "abcd".startsWith("d", 4), "abcd".startsWith("", 4)]', [false, false, true, false, true]);
      same('["abc".startsWith("a", -1), "abc".startsWith("", -1), "abc".startsWith("", 4), "abc".startsWith("b", 1.5), "abc".startsWith("b", "1"), "abc".startsWith("a", NaN)]', [false, false, false, true, true, true]);
      same('["abc".endsWith("b", 2), "abc".endsWith("c", 10), "abc".endsWith("", 10), "abc".endsWith("a", -1), "abc".endsWith("", 0), "abc".endsWith("b", "2"), "abc".endsWith("b", 2.5), "abcd".endsWith("cdx")]', [true, false, false, false, true, false, true, false]);
    });
  });

  it('Object.defineProperty with enumerable:false still enumerates', () => {
    assert.equal(ev("var o = {}; Object.defineProperty(o, 'x', {value: 1, enumerable: false}); Object.keys(o).join()"), 'x');
  });

  it('process has version/env/memory but no nextTick', () => {
    assert.equal(ev('typeof process.nextTick'), 'undefined');
    assert.equal(ev('process.version'), '2v29');
    assert.equal(ev('process.env.VERSION'), '2v29');
    const m = ev('process.memory()');
    assert.ok(m.total > m.usage && m.usage > 0 && m.free === m.total - m.usage);
  });

  it('clearTimeout(undefined) throws; unknown, fired and already cleared ids are ignored; clearTimeout() clears every timer (2v29)', async () => {
    assert.equal(thrown('clearTimeout(undefined)'), 'clearTimeout(undefined) not allowed. Use clearTimeout() instead');
    assert.equal(thrown('clearInterval(undefined)'), 'clearInterval(undefined) not allowed. Use clearInterval() instead');
    for (const c of ['clearTimeout(9999)', 'clearInterval(9999)', 'clearTimeout(null)', "clearTimeout('x')", 'clearTimeout(0)', 'clearTimeout(-1)']) {
      assert.equal(thrown(c), 'no throw', c);
    }
    assert.equal(ev('typeof clearTimeout(9999)'), 'undefined');
    ev("var ran = []; var a = setTimeout(function(){ ran.push('a'); }, 1e6), b = setInterval(function(){ ran.push('b'); }, 1e6); clearTimeout();");
    assert.equal(thrown('clearTimeout(a); clearInterval(b); clearTimeout(a)'), 'no throw');
    ev("var fired = setTimeout(function () { ran.push('fired'); }, 5), iv = setInterval(function () { ran.push('iv'); }, 5); clearTimeout(iv);");
    await sleep(40);
    assert.equal(ev('ran.join()'), 'fired');
    assert.equal(thrown('clearTimeout(fired); clearInterval(fired)'), 'no throw');
    ev('var q = setTimeout(function () { ran.push("q"); }, 5), r = setTimeout(function () { ran.push("r"); }, 5); clearTimeout(String(q)); clearTimeout(r + 0.4); clearTimeout([q]);');
    await sleep(40);
    assert.equal(ev('ran.join()'), 'fired,q,r');
    ev('var s2 = setTimeout(function () { ran.push("s2"); }, 5), s3 = setTimeout(function () { ran.push("s3"); }, 5); clearTimeout(s2, s3); var k = setTimeout(function () { ran.push("k"); }, 5); clearTimeout(k * 3 / 3);');
    await sleep(40);
    assert.equal(ev('ran.join()'), 'fired,q,r,s3');
  });

  it('a timer id is 1 + the highest live id: a fired id comes back, and clearing it then cancels the new timer (2v29)', async () => {
    ev('clearTimeout()');
    const f = 'var f = function () {};';
    assert.equal(ev(`${f} var a = setTimeout(f, 2000), b = setTimeout(f, 10), c = setTimeout(f, 3000); clearTimeout(c); var d = setTimeout(f, 3000); [a, b, c, d].join()`), '1,2,3,3');
    assert.equal(ev('clearTimeout(a); clearTimeout(d); var x = setTimeout(f, 3000), y = setTimeout(f, 3000); clearTimeout(x); var z = setTimeout(f, 3000); [x, y, z].join()'), '3,4,5');
    ev('clearTimeout()');
    ev(
      "var log = []; var w = setTimeout(function () { var n = setTimeout(function () { log.push('n ran'); }, 5); log.push('t=' + t + ' n=' + n); clearTimeout(t); setTimeout(function () { log.push('done'); }, 50); }, 40); var t = setTimeout(function () { log.push('inside t: ' + setTimeout(f, 1)); }, 5);",
    );
    await sleep(160);
    assert.equal(ev('log.join()'), 'inside t: 3,t=2 n=2,done');
  });

  it('Promise callbacks run in a later task; an unhandled rejection is reported', async () => {
    ev("var order = []; Promise.resolve().then(function () { order.push('then'); }); order.push('sync');");
    assert.equal(ev("order.join()"), 'sync');
    ev("Promise.reject(new Error('nobody listens'))");
    await sleep(20);
    assert.equal(ev('order.join()'), 'sync,then');
    assert.ok(board.console.some((l) => l.includes('Unhandled promise rejection') && l.includes('nobody listens')));
  });

  it('E.CRC32 is the standard CRC-32', () => {
    assert.equal(ev("E.CRC32('123456789')"), 0xcbf43926);
  });
});
