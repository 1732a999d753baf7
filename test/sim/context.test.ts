/**
 * The device context is isolated from the host: no Node globals, no way to
 * reach host objects through the functions and values the board hands over.
 */
import { strict as assert } from 'assert';
import { makeBoard, sleep } from './helpers';
import type { VirtualBoard } from '../../sim/espruino';

describe('sim context isolation', () => {
  let board: VirtualBoard;
  const ev = (code: string): any => board.evaluate(code);

  before(() => {
    board = makeBoard();
    board.boot();
  });
  after(() => board.close());

  const nodeGlobals = [
    'Buffer', 'setImmediate', 'clearImmediate', 'queueMicrotask', 'structuredClone', 'module', 'exports',
    '__dirname', '__filename', 'TextEncoder', 'TextDecoder', 'URL', 'URLSearchParams', 'fetch', 'performance',
    'AbortController', 'Blob', 'MessageChannel', 'EventTarget', 'crypto', 'globalThis',
  ];
  for (const name of nodeGlobals) {
    it(`has no Node global ${name}`, () => assert.equal(ev(`typeof ${name}`), 'undefined'));
  }

  it("process is Espruino's: no nextTick, versions, cwd, exit, binding", () => {
    for (const k of ['nextTick', 'versions', 'cwd', 'exit', 'binding', 'pid']) {
      assert.equal(ev(`typeof process.${k}`), 'undefined', k);
    }
  });

  it('require of a Node module fails like Espruino (\'Module "fs" not found\')', () => {
    for (const m of ['fs', 'child_process', 'os']) {
      assert.equal(ev(`try { require('${m}'); 'loaded' } catch (e) { e.message }`), `Module "${m}" not found`);
    }
  });

  it("provided functions' constructor is the context's Function", () => {
    for (const f of ['setTimeout', 'require', 'digitalWrite', 'console.log', "require('Storage').read", "require('Wifi').connect", 'E.CRC32']) {
      assert.equal(ev(`${f}.constructor === Function`), true, f);
      assert.equal(ev(`${f}.constructor('return typeof process.nextTick + typeof Buffer')()`), 'undefinedundefined', f);
    }
  });

  it('objects handed to device code are context objects', () => {
    assert.equal(ev('process.memory().constructor === Object'), true);
    assert.equal(ev("require('Wifi').getAPIP().constructor === Object"), true);
    assert.equal(ev("require('Storage').list().constructor === Array"), true);
    assert.equal(ev("process.memory().constructor.constructor('return typeof Buffer')()"), 'undefined');
  });

  it('errors thrown by host functions are context errors', () => {
    assert.equal(ev("try { require('Storage').write('a', '') } catch (e) { e instanceof Error && e.constructor.constructor('return typeof Buffer')() }"), 'undefined');
  });

  it('callbacks called by the host cannot see a host caller', async () => {
    ev("var seen = 'none'; setTimeout(function cb() { seen = String(cb.caller); }, 1);");
    await sleep(20);
    assert.equal(ev('seen'), 'null');
  });

  it('each boot gets a fresh context', () => {
    ev('var leftover = 42;');
    board.boot();
    assert.equal(ev('typeof leftover'), 'undefined');
  });
});
