/**
 * One test per interpreter quirk listed in docs/espruino-runtime.md
 * that the virtual board emulates (see the table in sim/espruino/quirks.ts).
 */
import { strict as assert } from 'assert';
import { makeBoard, sleep } from './helpers';
import type { VirtualBoard } from '../../sim/espruino';

describe('sim quirks (espruino-runtime.md)', () => {
  let board: VirtualBoard;
  const ev = (code: string): any => board.evaluate(code);

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

  it("decodeURIComponent throws 'Invalid URI' on non-ASCII escapes, ASCII escapes work", () => {
    assert.equal(ev("try { decodeURIComponent('%C3%A9'); 'no throw' } catch (e) { e.message }"), 'Invalid URI');
    assert.equal(ev("decodeURIComponent('%41%20b')"), 'A b');
  });

  it('encodeURIComponent escapes each byte (no UTF-8)', () => {
    assert.equal(ev("encodeURIComponent('a \\xe9')"), 'a%20%E9');
  });

  it("url.parse(u, true).query keeps '+' and decodes %ZZ to byte 0xFF", () => {
    const q = ev("require('url').parse('/x?a=b+c&d=%ZZ&e=%41', true).query");
    assert.equal(q.a, 'b+c');
    assert.equal(q.d, '\xff');
    assert.equal(q.e, 'A');
  });

  it('JSON.stringify escapes each byte >= 0x80 as \\u00XX and ignores a replacer', () => {
    assert.equal(ev("JSON.stringify('\\xc3\\xa9')"), '"\\u00C3\\u00A9"');
    assert.equal(ev('JSON.stringify({a: 1}, function () { return 5; })'), '{"a":1}');
  });

  it('JSON.parse ignores a reviver and is lenient', () => {
    assert.equal(ev("JSON.parse('{\"a\":1}', function () { return 7; }).a"), 1);
    assert.equal(ev("JSON.parse(\"{'a':'x'} trailing junk\").a"), 'x');
  });

  it("'abc'.replace('b', fn) with a string pattern inserts the function's source", () => {
    const out: string = ev("'abc'.replace('b', function () { return 'X'; })");
    assert.ok(out.startsWith('afunction'), out);
    assert.ok(out.endsWith('c'));
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

  it('clearTimeout(undefined) and unknown ids throw, clearTimeout() clears every timer', () => {
    assert.notEqual(ev("try { clearTimeout(undefined); 'no' } catch (e) { e.message }"), 'no');
    assert.equal(ev("try { clearTimeout(9999); 'no' } catch (e) { e.message }"), 'Unknown Timeout');
    assert.equal(ev("try { clearInterval(9999); 'no' } catch (e) { e.message }"), 'Unknown Interval');
    assert.equal(ev('var a = setTimeout(function(){}, 1e6), b = setInterval(function(){}, 1e6); clearTimeout(); try { clearTimeout(a); 1 } catch (e) { 2 }'), 2);
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
