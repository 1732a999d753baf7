/**
 * Board lifecycle and peripherals on fake timers: boot sequence, reboot and
 * power-cut teardown, uncaught exceptions, pins, setWatch, neopixel, device
 * time.
 */
import { strict as assert } from 'assert';
import sinon from 'sinon';
import { makeBoard } from './helpers';
import { REBOOT_DELAY_MS, type NeopixelEvent, type OffEvent, type PinEvent, type VirtualBoard } from '../../sim/espruino';

describe('sim board', () => {
  let clock: sinon.SinonFakeTimers;
  let board: VirtualBoard;
  const ev = (code: string): any => board.evaluate(code);

  beforeEach(() => {
    clock = sinon.useFakeTimers();
  });
  afterEach(async () => {
    clock.restore();
    await board.close();
  });

  describe('boot sequence', () => {
    it("runs .bootcde from Storage, then E.on('init'); Storage files load as cached modules", () => {
      board = makeBoard({ chip: 'ESP8266' });
      board.storage.write('greet', 'var n = 0; exports.hi = function (who) { n++; return "hi " + who + " " + n; };');
      board.setBootCode(
        "var g = require('greet'); console.log('boot code'); E.on('init', function () { console.log('init ' + g.hi('x') + ' ' + (require('greet') === g)); });",
      );
      const seen: string[] = [];
      board.on('boot', () => seen.push('boot event'));
      board.boot();
      assert.deepEqual(board.console, ['boot code', 'init hi x 1 true']);
      assert.deepEqual(seen, ['boot event']);
    });

    it('an exception in boot code is reported and init still runs', () => {
      board = makeBoard();
      board.setBootCode("E.on('init', function () { console.log('init ran'); }); null.x;");
      board.boot();
      assert.equal(board.console.length, 2);
      assert.match(board.console[0], /^Uncaught Error: /);
      assert.equal(board.console[1], 'init ran');
    });

    it("ESP8266 has require('ESP8266') but no tls and no global ESP32", () => {
      board = makeBoard({ chip: 'ESP8266' });
      board.boot();
      assert.equal(ev("try { require('tls'); 'loaded' } catch (e) { e.message }"), 'Module "tls" not found');
      assert.equal(ev('typeof ESP32'), 'undefined');
      assert.equal(ev("typeof require('ESP8266').reboot"), 'function');
      assert.equal(ev("require('ESP8266').getResetInfo().reason"), 'power on');
    });

    it("ESP32 has tls and the global ESP32, no require('ESP8266')", () => {
      board = makeBoard({ chip: 'ESP32' });
      board.boot();
      assert.equal(ev("typeof require('tls').connect"), 'function');
      assert.equal(ev('typeof ESP32.reboot'), 'function');
      assert.equal(ev("try { require('ESP8266'); 'loaded' } catch (e) { e.message }"), 'Module "ESP8266" not found');
    });
  });

  describe('reboot and power cut', () => {
    const PROGRAM = `
      var n = 0;
      setInterval(function () { console.log('tick ' + (++n)); }, 100);
      setTimeout(function () { console.log('late timeout'); }, 5000);
      require('http').createServer(function () {}).listen(80);
    `;

    it('reboot() tears the old context down: no old callback fires, a new context boots after the delay', () => {
      board = makeBoard({ chip: 'ESP8266' });
      board.setBootCode(PROGRAM);
      const events: string[] = [];
      for (const e of ['reboot', 'boot', 'off']) board.on(e, () => events.push(e));
      board.boot();
      clock.tick(250);
      assert.deepEqual(board.console, ['tick 1', 'tick 2']);
      ev("require('ESP8266').reboot(); console.log('after reboot call');");
      assert.equal(board.isOn, false);
      clock.tick(REBOOT_DELAY_MS - 1);
      assert.equal(board.isOn, false);
      clock.tick(1);
      assert.equal(board.isOn, true);
      clock.tick(10_000);
      assert.ok(!board.console.includes('after reboot call'));
      assert.equal(board.console.filter((l) => l === 'late timeout').length, 1, 'only the new boot fires its timeout');
      assert.equal(board.console.filter((l) => l === 'tick 3').length, 1, 'old interval stopped at tick 2, new one restarted');
      assert.equal(ev("require('ESP8266').getResetInfo().reason"), 'restart');
      assert.deepEqual(events, ['boot', 'reboot', 'boot']);
    });

    it('powerCut() stops everything until boot()', () => {
      board = makeBoard();
      board.setBootCode(PROGRAM);
      const offs: OffEvent[] = [];
      board.on('off', (e: OffEvent) => offs.push(e));
      board.boot();
      clock.tick(100);
      board.powerCut();
      clock.tick(10_000);
      assert.deepEqual(board.console, ['tick 1']);
      assert.deepEqual(offs, [{ cause: 'power' }]);
      assert.throws(() => board.evaluate('1'), /board is off/);
      board.boot();
      clock.tick(100);
      assert.deepEqual(board.console, ['tick 1', 'tick 1']);
    });
  });

  describe('uncaught exceptions', () => {
    it('are printed like Espruino, recorded, emitted as error, and the board carries on', () => {
      board = makeBoard();
      const emitted: unknown[] = [];
      board.on('error', (e) => emitted.push(e));
      board.boot();
      ev("setTimeout(function () { throw new Error('kaboom'); }, 10); setTimeout(function () { console.log('still alive'); }, 20);");
      clock.tick(30);
      assert.deepEqual(board.console, ['Uncaught Error: kaboom', 'still alive']);
      assert.equal(board.errors.length, 1);
      assert.equal((board.errors[0] as Error).message, 'kaboom');
      assert.deepEqual(emitted, board.errors);
    });

    it('never crash the host when nobody listens for error', () => {
      board = makeBoard();
      board.boot();
      ev("setTimeout(function () { throw 'str'; }, 1)");
      clock.tick(1);
      assert.deepEqual(board.console, ['Uncaught "str"']);
    });
  });

  describe('time', () => {
    it('getTime(), Date.now() and timers follow the host clock (fake timers)', () => {
      board = makeBoard();
      board.boot();
      clock.tick(1500);
      assert.equal(ev('getTime()'), 1.5);
      assert.equal(ev('Date.now()'), 1500);
      assert.equal(ev('new Date().getTime()'), 1500);
      assert.equal(ev('var id = setTimeout(function () {}, 10); typeof id === "number" && id > 0'), true);
    });
  });

  describe('pins', () => {
    it('digitalWrite/analogWrite emit pin events; Pin objects, numbers and "D2" strings all work', () => {
      board = makeBoard({ chip: 'ESP8266' });
      const pins: PinEvent[] = [];
      board.on('pin', (p: PinEvent) => pins.push(p));
      board.boot();
      ev("digitalWrite(D2, 1); digitalWrite(4, true); digitalWrite('D5', 0); analogWrite(D12, 0.25, {freq: 1000}); D13.set();");
      assert.deepEqual(pins, [
        { pin: 2, value: 1 },
        { pin: 4, value: 1 },
        { pin: 5, value: 0 },
        { pin: 12, value: 0.25 },
        { pin: 13, value: 1 },
      ]);
      assert.deepEqual(board.pins, { 2: 1, 4: 1, 5: 0, 12: 0.25, 13: 1 });
      assert.equal(ev('D2 == 2 && String(D2) === "D2" && Pin(2) === D2'), true);
      assert.equal(ev('typeof D17'), 'undefined');
    });

    it('digitalRead follows setPinInput; reading an auto-mode output pin makes it an input', () => {
      board = makeBoard();
      board.boot();
      board.setPinInput(0, 1);
      assert.equal(ev('digitalRead(D0)'), 1);
      ev('digitalWrite(D4, 1)');
      assert.equal(ev('getPinMode(D4)'), 'output');
      assert.equal(ev('digitalRead(D4)'), 0);
      assert.equal(ev('getPinMode(D4)'), 'input');
      ev("pinMode(D5, 'output'); digitalWrite(D5, 1);");
      assert.equal(ev('digitalRead(D5)'), 1);
    });

    it("neopixel.write emits the bytes", () => {
      board = makeBoard();
      const np: NeopixelEvent[] = [];
      board.on('neopixel', (e: NeopixelEvent) => np.push(e));
      board.boot();
      ev("require('neopixel').write(D27, [255, 0, 16])");
      assert.deepEqual(np, [{ pin: 27, data: [255, 0, 16] }]);
    });
  });

  describe('setWatch', () => {
    const SETUP = 'var W = []; function rec(e) { W.push([e.state, e.time, e.lastTime]); }';
    const watched = (): [boolean, number, number][] => JSON.parse(ev('JSON.stringify(W)'));

    it('debounce: bounces within the window give one callback with the settled state', () => {
      board = makeBoard();
      board.boot();
      ev(SETUP + "setWatch(rec, D0, {repeat: true, edge: 'rising', debounce: 50});");
      clock.tick(1000);
      board.setPinInput(0, 1);
      clock.tick(10);
      board.setPinInput(0, 0);
      clock.tick(10);
      board.setPinInput(0, 1);
      clock.tick(49);
      assert.deepEqual(watched(), []);
      clock.tick(1);
      assert.deepEqual(watched(), [[true, 1.02, 0]]);
      board.setPinInput(0, 0);
      clock.tick(100);
      assert.equal(watched().length, 1, 'falling edge ignored by a rising watch');
    });

    it("edge 'falling' without debounce fires on each falling edge; repeat:false fires once", () => {
      board = makeBoard();
      board.boot();
      ev(SETUP + "setWatch(rec, 'D4', {repeat: true, edge: 'falling'}); setWatch(function () { W.push('once'); }, D4, {edge: 'both'});");
      for (const v of [1, 0, 1, 0]) {
        clock.tick(100);
        board.setPinInput('D4', v);
      }
      assert.deepEqual(watched(), ['once', [false, 0.2, 0], [false, 0.4, 0.2]]);
    });

    it('clearWatch() removes all; clearWatch(undefined) and unknown ids throw', () => {
      board = makeBoard();
      board.boot();
      ev(SETUP + "var id = setWatch(rec, D0, {repeat: true}); setWatch(rec, D2, {repeat: true});");
      assert.equal(ev("try { clearWatch(undefined); 'ok' } catch (e) { 'threw' }"), 'threw');
      assert.equal(ev("try { clearWatch(99); 'ok' } catch (e) { e.message }"), 'Unknown Watch');
      ev('clearWatch(id)');
      assert.equal(ev("try { clearWatch(id); 'ok' } catch (e) { e.message }"), 'Unknown Watch');
      ev('clearWatch()');
      board.setPinInput(2, 1);
      clock.tick(10);
      assert.deepEqual(watched(), []);
    });
  });
});
