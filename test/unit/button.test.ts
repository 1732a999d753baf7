import { strict as assert } from 'assert';
import sinon from 'sinon';
import { Button, createButton, HoldStage, HOLD_HINT_MS, PRESS_MIN_MS, RESET_HOLD_MS } from '../../lib/button';
import { createFakeButton, FakeButton } from '../fakes/button';
import { timerClock } from '../fakes/clock';

/** Everything the button reported, in order, with the fake time. */
type Event = { t: number; what: string };

describe('button', () => {
  let clock: sinon.SinonFakeTimers;
  let fake: FakeButton;
  let log: Event[];

  function record(what: string): void {
    log.push({ t: Date.now(), what });
  }

  function make(opts: { hold?: boolean; press?: boolean } = {}) {
    return createButton({
      button: fake,
      clock: timerClock,
      onPress: opts.press === false ? undefined : (ms) => record('press ' + ms),
      onReset: () => record('reset'),
      onHold: opts.hold === false ? undefined : (stage: HoldStage) => record('hold ' + stage)
    });
  }

  /** Presses, holds `ms`, releases. */
  function hold(ms: number): void {
    fake.press();
    clock.tick(ms);
    fake.release();
  }

  beforeEach(() => {
    clock = sinon.useFakeTimers();
    fake = createFakeButton();
    log = [];
  });

  afterEach(() => {
    clock.restore();
  });

  it('has the contract thresholds', () => {
    assert.equal(PRESS_MIN_MS, 50);
    assert.equal(HOLD_HINT_MS, 3000);
    assert.equal(RESET_HOLD_MS, 10000);
  });

  describe('lifecycle', () => {
    it('start() watches once, even when called twice', () => {
      const btn = make();
      assert.equal(fake.watchers, 0);
      btn.start();
      btn.start();
      assert.equal(fake.watchers, 1);
      hold(100);
      assert.deepEqual(log, [{ t: 100, what: 'press 100' }]);
    });

    it('stop() removes the watch and clears the hold timer', () => {
      const btn = make();
      btn.start();
      fake.press();
      clock.tick(HOLD_HINT_MS);
      assert.equal(clock.countTimers(), 1);
      btn.stop();
      assert.equal(fake.watchers, 0);
      assert.equal(clock.countTimers(), 0);
      assert.equal(btn.isHeld(), false);
      clock.tick(60000);
      fake.release();
      assert.deepEqual(log, [{ t: 3000, what: 'hold hint' }]);
    });

    it('stop() before start() and twice is harmless', () => {
      const btn = make();
      btn.stop();
      btn.start();
      btn.stop();
      btn.stop();
      assert.equal(fake.watchers, 0);
      assert.equal(clock.countTimers(), 0);
    });

    it('an edge delivered after stop() is ignored', () => {
      let edge: ((p: boolean) => void) | undefined;
      const port = { watch: (fn: (p: boolean) => void) => ((edge = fn), () => undefined), isPressed: () => false };
      const btn = createButton({
        button: port,
        clock: timerClock,
        onPress: (ms) => record('press ' + ms),
        onReset: () => record('reset'),
        onHold: (s) => record('hold ' + s)
      });
      btn.start();
      edge!(true);
      btn.stop();
      clock.tick(20000);
      edge!(false);
      edge!(true);
      clock.tick(20000);
      assert.deepEqual(log, []);
      assert.equal(clock.countTimers(), 0);
      assert.equal(btn.isHeld(), false);
    });

    it('works again after stop() and start()', () => {
      const btn = make();
      btn.start();
      fake.press();
      clock.tick(5000);
      btn.stop();
      fake.release();
      btn.start();
      hold(RESET_HOLD_MS);
      assert.deepEqual(
        log.map((e) => e.what),
        ['hold hint', 'hold hint', 'hold reset', 'hold none', 'reset']
      );
    });

    it('no callback fires once a callback has stopped the button', () => {
      const btn: Button = createButton({
        button: fake,
        clock: timerClock,
        onPress: (ms) => record('press ' + ms),
        onReset: () => record('reset'),
        onHold: (s) => {
          record('hold ' + s);
          if (s === 'none') btn.stop();
        }
      });
      btn.start();
      hold(RESET_HOLD_MS);
      assert.deepEqual(
        log.map((e) => e.what),
        ['hold hint', 'hold reset', 'hold none']
      );
      assert.equal(clock.countTimers(), 0);
    });
  });

  describe('hold measured on release', () => {
    it('ignores 49 ms (a bounce)', () => {
      make().start();
      hold(49);
      assert.deepEqual(log, []);
      assert.equal(clock.countTimers(), 0);
    });

    it('reports 50 ms as a press', () => {
      make().start();
      hold(50);
      assert.deepEqual(log, [{ t: 50, what: 'press 50' }]);
    });

    it('reports 9999 ms as a press, after the hint stage ends', () => {
      make().start();
      hold(9999);
      assert.deepEqual(log, [
        { t: 3000, what: 'hold hint' },
        { t: 9999, what: 'hold none' },
        { t: 9999, what: 'press 9999' }
      ]);
      assert.equal(clock.countTimers(), 0);
    });

    it('reports 10000 ms as a reset, not a press', () => {
      make().start();
      hold(10000);
      assert.deepEqual(log, [
        { t: 3000, what: 'hold hint' },
        { t: 10000, what: 'hold reset' },
        { t: 10000, what: 'hold none' },
        { t: 10000, what: 'reset' }
      ]);
      assert.equal(clock.countTimers(), 0);
    });

    it('reports a very long hold as one reset', () => {
      make().start();
      hold(120000);
      assert.deepEqual(
        log.map((e) => e.what),
        ['hold hint', 'hold reset', 'hold none', 'reset']
      );
    });

    it('resets only on release, not at 10 s', () => {
      make().start();
      fake.press();
      clock.tick(30000);
      assert.deepEqual(
        log.map((e) => e.what),
        ['hold hint', 'hold reset']
      );
    });

    it('measures each hold separately', () => {
      make().start();
      hold(200);
      clock.tick(1000);
      hold(10000);
      clock.tick(1000);
      hold(700);
      assert.deepEqual(
        log.map((e) => e.what),
        ['press 200', 'hold hint', 'hold reset', 'hold none', 'reset', 'press 700']
      );
    });

    it('works without onPress and onHold, with no timer while held', () => {
      make({ press: false, hold: false }).start();
      fake.press();
      assert.equal(clock.countTimers(), 0);
      clock.tick(2000);
      fake.release();
      hold(RESET_HOLD_MS);
      assert.deepEqual(log, [{ t: 12000, what: 'reset' }]);
    });
  });

  describe('hold stages', () => {
    it('announces hint at exactly 3 s and reset at exactly 10 s', () => {
      make().start();
      clock.tick(1000);
      fake.press();
      clock.tick(2999);
      assert.deepEqual(log, []);
      clock.tick(1);
      assert.deepEqual(log, [{ t: 4000, what: 'hold hint' }]);
      clock.tick(6999);
      assert.equal(log.length, 1);
      clock.tick(1);
      assert.deepEqual(log[1], { t: 11000, what: 'hold reset' });
      assert.equal(clock.countTimers(), 0);
    });

    it('runs at most one timer, and only while held', () => {
      make().start();
      assert.equal(clock.countTimers(), 0);
      fake.press();
      assert.equal(clock.countTimers(), 1);
      clock.tick(HOLD_HINT_MS);
      assert.equal(clock.countTimers(), 1);
      clock.tick(RESET_HOLD_MS - HOLD_HINT_MS);
      assert.equal(clock.countTimers(), 0);
      fake.release();
      assert.equal(clock.countTimers(), 0);
    });

    it('does not announce none for a press released before the hint', () => {
      make().start();
      hold(2999);
      assert.deepEqual(log, [{ t: 2999, what: 'press 2999' }]);
    });

    it('isHeld() follows the button', () => {
      const btn = make();
      btn.start();
      assert.equal(btn.isHeld(), false);
      fake.press();
      assert.equal(btn.isHeld(), true);
      clock.tick(RESET_HOLD_MS + 5000);
      assert.equal(btn.isHeld(), true);
      fake.release();
      assert.equal(btn.isHeld(), false);
    });
  });

  describe('started while held', () => {
    it('measures from start()', () => {
      fake.pressed = true;
      clock.tick(5000);
      const btn = make();
      btn.start();
      assert.equal(btn.isHeld(), true);
      clock.tick(2999);
      assert.deepEqual(log, []);
      clock.tick(1);
      assert.deepEqual(log, [{ t: 8000, what: 'hold hint' }]);
      clock.tick(6999);
      fake.release();
      assert.deepEqual(log.slice(1), [
        { t: 14999, what: 'hold none' },
        { t: 14999, what: 'press 9999' }
      ]);
    });

    it('resets after 10 s counted from start()', () => {
      fake.pressed = true;
      clock.tick(9000);
      make().start();
      clock.tick(RESET_HOLD_MS);
      fake.release();
      assert.deepEqual(log, [
        { t: 12000, what: 'hold hint' },
        { t: 19000, what: 'hold reset' },
        { t: 19000, what: 'hold none' },
        { t: 19000, what: 'reset' }
      ]);
    });

    it('a second start() does not restart the measure', () => {
      fake.pressed = true;
      const btn = make();
      btn.start();
      clock.tick(2000);
      btn.start();
      clock.tick(1000);
      assert.deepEqual(log, [{ t: 3000, what: 'hold hint' }]);
    });
  });

  describe('bounces', () => {
    it('chatter of a few ms produces nothing and leaves no timer', () => {
      make().start();
      for (let i = 0; i < 8; i++) {
        fake.press();
        clock.tick(3);
        fake.release();
        clock.tick(2);
      }
      assert.deepEqual(log, []);
      assert.equal(clock.countTimers(), 0);
      clock.tick(60000);
      assert.deepEqual(log, []);
    });

    it('a release without a press is ignored', () => {
      const btn = make();
      btn.start();
      fake.release();
      clock.tick(20000);
      fake.release();
      assert.deepEqual(log, []);
      assert.equal(clock.countTimers(), 0);
      assert.equal(btn.isHeld(), false);
    });

    it('repeated presses a few ms apart then a short release produce nothing', () => {
      make().start();
      fake.press();
      clock.tick(4);
      fake.press();
      clock.tick(4);
      fake.press();
      clock.tick(20);
      fake.release();
      assert.deepEqual(log, []);
      assert.equal(clock.countTimers(), 0);
    });

    it('a press while pressed restarts the hold: no reset out of a lost release', () => {
      make().start();
      fake.press();
      clock.tick(9990);
      fake.press();
      clock.tick(20);
      fake.release();
      assert.deepEqual(log, [
        { t: 3000, what: 'hold hint' },
        { t: 9990, what: 'hold none' }
      ]);
      assert.equal(clock.countTimers(), 0);
    });

    it('a press while pressed measures the new hold', () => {
      make().start();
      fake.press();
      clock.tick(100);
      fake.pressed = false;
      clock.tick(8900);
      fake.press();
      clock.tick(1100);
      fake.release();
      assert.deepEqual(log, [{ t: 10100, what: 'press 1100' }]);
    });

    it('a lost release is noticed by the stage timer and dropped silently', () => {
      const btn = make();
      btn.start();
      fake.press();
      clock.tick(100);
      fake.pressed = false;
      clock.tick(HOLD_HINT_MS);
      assert.equal(btn.isHeld(), false);
      assert.equal(clock.countTimers(), 0);
      clock.tick(20000);
      fake.release();
      assert.deepEqual(log, []);
    });

    it('a lost release during the hint ends the hint at 10 s without a reset', () => {
      make().start();
      fake.press();
      clock.tick(5000);
      fake.pressed = false;
      clock.tick(5000);
      fake.release();
      assert.deepEqual(log, [
        { t: 3000, what: 'hold hint' },
        { t: 10000, what: 'hold none' }
      ]);
      assert.equal(clock.countTimers(), 0);
    });

    it('bounces at the start of a hold count from the last press', () => {
      make().start();
      fake.press();
      clock.tick(2);
      fake.release();
      clock.tick(3);
      fake.press();
      clock.tick(1);
      fake.release();
      clock.tick(2);
      hold(RESET_HOLD_MS);
      assert.deepEqual(log, [
        { t: 3008, what: 'hold hint' },
        { t: 10008, what: 'hold reset' },
        { t: 10008, what: 'hold none' },
        { t: 10008, what: 'reset' }
      ]);
    });

    it('bounces after a reset release give exactly one reset and no press', () => {
      make().start();
      hold(RESET_HOLD_MS);
      clock.tick(3);
      hold(2);
      clock.tick(4);
      hold(5);
      clock.tick(60000);
      assert.deepEqual(
        log.map((e) => e.what),
        ['hold hint', 'hold reset', 'hold none', 'reset']
      );
      assert.equal(clock.countTimers(), 0);
    });
  });
});
