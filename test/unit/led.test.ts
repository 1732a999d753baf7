import { strict as assert } from 'assert';
import sinon from 'sinon';
import { BREATH_STEP_MS, createIndicator, Indicator } from '../../lib/led';
import { State } from '../../lib/types';
import { createFakeLed, FakeLed, LedShow } from '../fakes/led';
import { timerClock } from '../fakes/clock';

type Rgb = [number, number, number];

const BLUE: Rgb = [0x0d, 0x36, 0xff];
const GREEN: Rgb = [0x2e, 0xff, 0xb9];
const MAGENTA: Rgb = [0xa7, 0x00, 0xff];
const RED: Rgb = [0xff, 0x10, 0x08];
const WHITE: Rgb = [255, 255, 255];
const OFF: Rgb = [0, 0, 0];

/** The beat rows of the contract (docs/edgent-compat.md §5). */
const BEAT_ROWS: Array<{ state: State; colour: Rgb; beats: number[] }> = [
  { state: 'WAIT_CONFIG', colour: BLUE, beats: [50, 500] },
  { state: 'RESET_CONFIG', colour: BLUE, beats: [50, 500] },
  { state: 'CONFIGURING', colour: BLUE, beats: [200, 200] },
  { state: 'CONNECTING_NET', colour: GREEN, beats: [50, 500] },
  { state: 'CONNECTING_CLOUD', colour: GREEN, beats: [100, 100] },
  { state: 'OTA_UPGRADE', colour: MAGENTA, beats: [50, 50] },
  { state: 'ERROR', colour: RED, beats: [80, 100, 80, 1000] },
  { state: 'BOOT', colour: RED, beats: [80, 100, 80, 1000] },
  { state: 'SWITCH_TO_STA', colour: RED, beats: [80, 100, 80, 1000] }
];

function show(t: number, c: Rgb): LedShow {
  return { t, r: c[0], g: c[1], b: c[2] };
}

/** The edges of `cycles` cycles of a beat pattern started at `t0`, plus the first edge of the next cycle. */
function beatEdges(t0: number, colour: Rgb, beats: number[], cycles: number): LedShow[] {
  const out: LedShow[] = [];
  let t = t0;
  for (let c = 0; c < cycles; c++) {
    for (let i = 0; i < beats.length; i++) {
      out.push(show(t, i % 2 ? OFF : colour));
      t += beats[i];
    }
  }
  out.push(show(t, colour));
  return out;
}

function sum(a: number[]): number {
  return a.reduce((x, y) => x + y, 0);
}

describe('led indicator', () => {
  let clock: sinon.SinonFakeTimers;
  let led: FakeLed;
  let ind: Indicator;

  /** Records from index `from` on (take `led.shows.length` just before a change). */
  function after(from: number): LedShow[] {
    return led.shows.slice(from);
  }

  /** Checks one breathing period of `colour`: records from index `from`, the first at `t0`. */
  function checkBreath(from: number, t0: number, colour: Rgb, period: number): void {
    const steps = period / BREATH_STEP_MS;
    const wave = after(from).slice(0, steps + 1);
    assert.equal(wave.length, steps + 1);
    for (let i = 0; i < wave.length; i++) assert.equal(wave[i].t, t0 + i * BREATH_STEP_MS);
    assert.deepEqual(wave[0], show(t0, OFF));
    assert.deepEqual(wave[steps / 2], show(t0 + period / 2, colour));
    assert.deepEqual(wave[steps], show(t0 + period, OFF));
    const level = wave.map((s) => s.r + s.g + s.b);
    for (let i = 1; i <= steps / 2; i++) assert.ok(level[i] >= level[i - 1], 'rises at step ' + i);
    for (let i = steps / 2 + 1; i <= steps; i++) assert.ok(level[i] <= level[i - 1], 'falls at step ' + i);
    assert.ok(level[steps / 4] > 0 && level[steps / 4] < level[steps / 2], 'passes through intermediate levels');
    const full = sum(colour);
    for (let i = 0; i < wave.length; i++) {
      assert.ok(level[i] <= full);
      // Every step is the colour scaled by one factor.
      const k = level[i] / full;
      for (let c = 0; c < 3; c++) {
        const v = c === 0 ? wave[i].r : c === 1 ? wave[i].g : wave[i].b;
        assert.ok(Math.abs(v - colour[c] * k) <= 1.5, 'channel ' + c + ' at step ' + i);
      }
    }
    // Symmetric wave (within one unit of rounding).
    for (let i = 0; i <= steps; i++) {
      assert.ok(Math.abs(level[i] - level[steps - i]) <= 3, 'symmetric at step ' + i);
    }
  }

  beforeEach(() => {
    clock = sinon.useFakeTimers();
    led = createFakeLed();
    ind = createIndicator({ led, clock: timerClock });
  });

  afterEach(() => {
    clock.restore();
  });

  describe('beat patterns', () => {
    for (let n = 0; n < BEAT_ROWS.length; n++) {
      const row = BEAT_ROWS[n];
      it(row.state + ': ' + row.beats.join('/') + ' in ' + row.colour.map((c) => c.toString(16)).join(','), () => {
        clock.tick(1234);
        ind.setState(row.state);
        const cycle = sum(row.beats);
        clock.tick(2 * cycle);
        assert.deepEqual(led.shows, beatEdges(1234, row.colour, row.beats, 2));
        assert.equal(clock.countTimers(), 1);
      });
    }

    it('restarts from the first beat on a state change mid-beat', () => {
      ind.setState('WAIT_CONFIG');
      clock.tick(30);
      ind.setState('CONFIGURING');
      clock.tick(800);
      assert.deepEqual(led.shows, [show(0, BLUE)].concat(beatEdges(30, BLUE, [200, 200], 2)));
      assert.equal(clock.countTimers(), 1);
    });

    it('restarts on a state change during an off beat', () => {
      ind.setState('ERROR');
      clock.tick(120);
      ind.setState('CONNECTING_NET');
      clock.tick(1100);
      assert.deepEqual(led.shows, [show(0, RED), show(80, OFF)].concat(beatEdges(120, GREEN, [50, 500], 2)));
    });

    it('setting the same state again does not restart the pattern', () => {
      ind.setState('WAIT_CONFIG');
      clock.tick(30);
      ind.setState('WAIT_CONFIG');
      clock.tick(300);
      ind.setState('WAIT_CONFIG');
      clock.tick(770);
      assert.deepEqual(led.shows, beatEdges(0, BLUE, [50, 500], 2));
      assert.equal(clock.countTimers(), 1);
    });

    it('states sharing a pattern still restart it', () => {
      ind.setState('WAIT_CONFIG');
      clock.tick(300);
      ind.setState('RESET_CONFIG');
      clock.tick(1100);
      assert.deepEqual(led.shows, [show(0, BLUE), show(50, OFF)].concat(beatEdges(300, BLUE, [50, 500], 2)));
    });
  });

  describe('breathing', () => {
    it('RUNNING breathes green with a 5000 ms period', () => {
      clock.tick(700);
      ind.setState('RUNNING');
      clock.tick(10000);
      checkBreath(0, 700, GREEN, 5000);
      checkBreath(100, 5700, GREEN, 5000);
      assert.equal(led.shows.length, 2 * (5000 / BREATH_STEP_MS) + 1);
      assert.equal(clock.countTimers(), 1);
    });

    it('steps every BREATH_STEP_MS, which divides both periods', () => {
      assert.ok(BREATH_STEP_MS > 0 && BREATH_STEP_MS <= 100);
      assert.equal(5000 % BREATH_STEP_MS, 0);
      assert.equal(1000 % BREATH_STEP_MS, 0);
    });

    it('restarts the wave when RUNNING is entered again', () => {
      ind.setState('RUNNING');
      clock.tick(1730);
      const from = led.shows.length;
      ind.setState('CONNECTING_CLOUD');
      clock.tick(40);
      ind.setState('RUNNING');
      clock.tick(5000);
      assert.deepEqual(after(from).slice(0, 1), [show(1730, GREEN)]);
      checkBreath(from + 1, 1770, GREEN, 5000);
    });

    it('leaves a beat pattern for the wave at once', () => {
      ind.setState('CONNECTING_CLOUD');
      clock.tick(130);
      ind.setState('RUNNING');
      clock.tick(5000);
      assert.deepEqual(led.shows.slice(0, 2), [show(0, GREEN), show(100, OFF)]);
      checkBreath(2, 130, GREEN, 5000);
    });
  });

  describe('button hold overrides', () => {
    it('hint breathes white with a 1000 ms period, over two periods', () => {
      ind.setState('CONNECTING_NET');
      clock.tick(420);
      ind.setHold('hint');
      clock.tick(2000);
      assert.deepEqual(led.shows.slice(0, 2), [show(0, GREEN), show(50, OFF)]);
      checkBreath(2, 420, WHITE, 1000);
      checkBreath(22, 1420, WHITE, 1000);
      assert.equal(led.shows.length, 2 + 2 * (1000 / BREATH_STEP_MS) + 1);
      assert.equal(clock.countTimers(), 1);
    });

    it('reset blinks white 100/100', () => {
      ind.setState('RUNNING');
      clock.tick(3010);
      ind.setHold('hint');
      clock.tick(7000);
      const from = led.shows.length;
      ind.setHold('reset');
      clock.tick(400);
      assert.deepEqual(after(from), beatEdges(10010, WHITE, [100, 100], 2));
      assert.equal(clock.countTimers(), 1);
    });

    it('none restarts the state pattern', () => {
      ind.setState('WAIT_CONFIG');
      clock.tick(300);
      ind.setHold('hint');
      clock.tick(1000);
      const held = led.shows.length;
      ind.setHold('reset');
      clock.tick(250);
      const from = led.shows.length;
      ind.setHold('none');
      clock.tick(1100);
      assert.deepEqual(after(held).slice(0, from - held), [show(1300, WHITE), show(1400, OFF), show(1500, WHITE)]);
      assert.deepEqual(after(from), beatEdges(1550, BLUE, [50, 500], 2));
    });

    it('a state change during a hold shows only after the hold', () => {
      ind.setState('WAIT_CONFIG');
      clock.tick(100);
      const held = led.shows.length;
      ind.setHold('hint');
      clock.tick(120);
      ind.setState('CONNECTING_NET');
      clock.tick(380);
      const during = after(held);
      assert.equal(during.length, 500 / BREATH_STEP_MS + 1);
      for (let i = 0; i < during.length; i++) {
        assert.equal(during[i].t, 100 + i * BREATH_STEP_MS);
        assert.ok(during[i].r === during[i].g && during[i].g === during[i].b, 'white at ' + during[i].t);
      }
      const from = led.shows.length;
      ind.setHold('none');
      clock.tick(1100);
      assert.deepEqual(after(from), beatEdges(600, GREEN, [50, 500], 2));
    });

    it('setting the same hold stage again does not restart it', () => {
      ind.setState('WAIT_CONFIG');
      ind.setHold('reset');
      clock.tick(150);
      ind.setHold('reset');
      clock.tick(250);
      assert.deepEqual(led.shows, [show(0, BLUE)].concat(beatEdges(0, WHITE, [100, 100], 2)));
    });

    it('none without a hold changes nothing', () => {
      ind.setState('CONFIGURING');
      clock.tick(100);
      ind.setHold('none');
      clock.tick(700);
      assert.deepEqual(led.shows, beatEdges(0, BLUE, [200, 200], 2));
    });
  });

  describe('lifecycle', () => {
    it('shows nothing and runs no timer before the first state', () => {
      clock.tick(5000);
      assert.deepEqual(led.shows, []);
      assert.equal(clock.countTimers(), 0);
    });

    it('a hold before the first state ends with the LED off and no timer', () => {
      ind.setHold('hint');
      clock.tick(220);
      ind.setHold('none');
      assert.deepEqual(led.shows[led.shows.length - 1], show(220, OFF));
      assert.equal(clock.countTimers(), 0);
    });

    it('runs a single timer through every change', () => {
      const states: State[] = ['WAIT_CONFIG', 'CONFIGURING', 'RUNNING', 'ERROR', 'OTA_UPGRADE'];
      for (let i = 0; i < states.length; i++) {
        ind.setState(states[i]);
        assert.equal(clock.countTimers(), 1);
        clock.tick(77);
        ind.setHold(i % 2 ? 'hint' : 'reset');
        assert.equal(clock.countTimers(), 1);
        clock.tick(33);
        ind.setHold('none');
        assert.equal(clock.countTimers(), 1);
      }
    });

    it('stop() turns the LED off and clears the timer', () => {
      ind.setState('WAIT_CONFIG');
      clock.tick(20);
      ind.stop();
      assert.deepEqual(led.shows, [show(0, BLUE), show(20, OFF)]);
      assert.equal(clock.countTimers(), 0);
      clock.tick(10000);
      assert.equal(led.shows.length, 2);
    });

    it('stop() during a hold clears it too', () => {
      ind.setState('RUNNING');
      ind.setHold('reset');
      clock.tick(30);
      ind.stop();
      assert.equal(clock.countTimers(), 0);
      assert.deepEqual(led.shows[led.shows.length - 1], show(30, OFF));
    });

    it('plays again after stop() from the next state', () => {
      ind.setState('CONNECTING_CLOUD');
      clock.tick(20);
      ind.stop();
      clock.tick(80);
      ind.setState('CONNECTING_CLOUD');
      clock.tick(400);
      assert.deepEqual(after(2), beatEdges(100, GREEN, [100, 100], 2));
    });

    it('without an LED everything is a no-op and no timer runs', () => {
      const none = createIndicator({ clock: timerClock });
      const states: State[] = ['BOOT', 'WAIT_CONFIG', 'RUNNING', 'ERROR'];
      for (let i = 0; i < states.length; i++) {
        none.setState(states[i]);
        none.setHold('hint');
        none.setHold('reset');
        none.setHold('none');
        assert.equal(clock.countTimers(), 0);
        clock.tick(1000);
      }
      none.stop();
      assert.equal(clock.countTimers(), 0);
      assert.deepEqual(led.shows, []);
    });
  });
});
