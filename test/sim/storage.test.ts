/**
 * Storage semantics of the virtual board: Espruino's file rules, power cuts
 * at every byte of a replace-write, capacity, and persistence across reboots
 * and host restarts.
 */
import { strict as assert } from 'assert';
import sinon from 'sinon';
import { cleanupFlashFiles, makeBoard, tmpFlashFile } from './helpers';
import {
  REBOOT_DELAY_MS,
  STORAGE_CAPACITY,
  STORAGE_DELETE_BYTES,
  STORAGE_HEADER_BYTES,
  type OffEvent,
  type VirtualBoard,
} from '../../sim/espruino';

describe('sim Storage', () => {
  let board: VirtualBoard;
  const ev = (code: string): any => board.evaluate(code);

  afterEach(() => board.close());
  after(cleanupFlashFiles);

  describe('file rules', () => {
    beforeEach(() => {
      board = makeBoard({ chip: 'ESP8266' });
      board.boot();
      ev("var S = require('Storage');");
    });

    it('writes, reads (with offset/length), lists and erases byte strings', () => {
      assert.equal(ev("S.write('a', 'h\\xe9llo')"), true);
      assert.equal(ev("S.read('a')"), 'h\xe9llo');
      assert.equal(ev("S.read('a', 1, 3)"), '\xe9ll');
      assert.deepEqual(Array.from(ev('S.list()')), ['a']);
      ev("S.erase('a')");
      assert.equal(ev("S.read('a')"), undefined);
      assert.equal(board.storage.read('a'), undefined);
    });

    it('truncates names longer than 28 chars', () => {
      ev("S.write('abcdefghijklmnopqrstuvwxyz0123456789', 'x')");
      assert.deepEqual(Array.from(ev('S.list()')), ['abcdefghijklmnopqrstuvwxyz01']);
      assert.equal(ev("S.read('abcdefghijklmnopqrstuvwxyz01-ignored')"), 'x');
    });

    it("refuses zero-length files (throws \"Can't create zero length file\")", () => {
      assert.equal(ev("try { S.write('z', ''); 'written' } catch (e) { e.message }"), "Can't create zero length file");
      assert.equal(board.storage.read('z'), undefined);
    });

    it('a file created at a fixed size is filled by offset writes, each byte once', () => {
      ev("S.write('f', 'ab', 0, 6)");
      assert.equal(ev("S.read('f')"), 'ab\xff\xff\xff\xff');
      ev("S.write('f', 'cd', 2)");
      assert.equal(ev("S.read('f')"), 'abcd\xff\xff');
      assert.equal(ev("try { S.write('f', 'zz', 2); 'ok' } catch (e) { e.message }"), 'File already written with different data');
      assert.equal(ev("try { S.write('f', 'xyz', 4); 'ok' } catch (e) { e.message }"), 'Too much data for file size');
    });

    it('readJSON, writeJSON and readArrayBuffer', () => {
      ev("S.writeJSON('j', {a: 'x\\xe9'})");
      assert.equal(board.storage.read('j'), '{"a":"x\\u00E9"}');
      assert.equal(ev("S.readJSON('j').a"), 'x\xe9');
      ev("S.write('bad', '{oops')");
      assert.equal(ev("S.readJSON('bad', true)"), undefined);
      assert.equal(ev("try { S.readJSON('bad'); 'parsed' } catch (e) { 'threw' }"), 'threw');
      assert.equal(ev("new Uint8Array(S.readArrayBuffer('j'))[0]"), '{'.charCodeAt(0));
    });

    it('capacity is 192 KB on ESP8266; deleted files are trash until compact()', () => {
      const free0: number = ev('S.getFree()');
      assert.equal(free0, STORAGE_CAPACITY.ESP8266);
      ev("S.write('big', new Uint8Array(1000))");
      assert.equal(ev('S.getFree()'), free0 - STORAGE_HEADER_BYTES - 1000);
      ev("S.erase('big')");
      assert.equal(ev('S.getFree()'), free0 - STORAGE_HEADER_BYTES - 1000);
      ev('S.compact()');
      assert.equal(ev('S.getFree()'), free0);
      assert.equal(ev("try { S.write('huge', new Uint8Array(200 * 1024)); 'ok' } catch (e) { e.message }"), 'Unable to find or create file');
    });

    it('rewriting identical contents writes nothing (an armed cut does not trigger)', () => {
      ev("S.write('same', 'abc')");
      board.cutPowerAfterFlashBytes(0);
      ev("S.write('same', 'abc')");
      assert.equal(board.isOn, true);
    });
  });

  describe('power cut during a replace-write', () => {
    const OLD = 'old-config-0123456789';
    const NEW = '{"ssid":"h\xe9me","pass":"p"}';
    const total = STORAGE_DELETE_BYTES + STORAGE_HEADER_BYTES + NEW.length;

    it('at every byte N: the file is the old copy (delete mark incomplete), missing, or truncated; other files intact', () => {
      board = makeBoard({ chip: 'ESP32' });
      let offs: OffEvent[] = [];
      board.on('off', (e: OffEvent) => offs.push(e));
      for (let n = 0; n <= total; n++) {
        board.storage.write('cfg', OLD);
        board.storage.write('other', 'keep me');
        board.boot();
        offs = [];
        board.cutPowerAfterFlashBytes(n);
        board.evaluate(`require('Storage').write('cfg', ${JSON.stringify(NEW)}); require('Storage').write('after', 'x');`);
        assert.deepEqual(offs, [{ cause: 'flash' }], `n=${n}`);
        assert.equal(board.isOn, false);
        const got = board.storage.read('cfg');
        let want: string | undefined;
        if (n < STORAGE_DELETE_BYTES) want = OLD;
        else if (n < STORAGE_DELETE_BYTES + STORAGE_HEADER_BYTES) want = undefined;
        else {
          const k = n - STORAGE_DELETE_BYTES - STORAGE_HEADER_BYTES;
          want = NEW.substr(0, k) + '\xff'.repeat(NEW.length - k);
        }
        assert.equal(got, want, `n=${n}`);
        assert.equal(board.storage.read('other'), 'keep me', `n=${n}`);
        assert.equal(board.storage.read('after'), undefined, `n=${n}: no write after the cut`);
        board.boot();
        assert.equal(board.evaluate("require('Storage').read('cfg')"), want, `n=${n}: after power-up`);
        board.powerCut();
      }
    });
  });

  describe('persistence', () => {
    let clock: sinon.SinonFakeTimers | undefined;
    afterEach(() => clock?.restore());

    it('survives reboot()', () => {
      clock = sinon.useFakeTimers();
      board = makeBoard({ chip: 'ESP32' });
      board.boot();
      ev("require('Storage').write('k', 'v1')");
      ev('ESP32.reboot()');
      assert.equal(board.isOn, false);
      clock.tick(REBOOT_DELAY_MS);
      assert.equal(board.isOn, true);
      assert.equal(ev("require('Storage').read('k')"), 'v1');
    });

    it('survives a host restart: a new board on the same flashFile', async () => {
      const flashFile = tmpFlashFile();
      board = makeBoard({ chip: 'ESP8266', flashFile });
      board.boot();
      ev("require('Storage').write('k', 'b\\xffytes')");
      ev("E.setBootCode('var booted = 1;')");
      await board.close();
      board = makeBoard({ chip: 'ESP8266', flashFile });
      board.boot();
      assert.equal(ev("require('Storage').read('k')"), 'b\xffytes');
      assert.equal(ev('booted'), 1);
      assert.throws(() => makeBoard({ chip: 'ESP32', flashFile }), /not a ESP32 flash image/);
    });
  });
});
