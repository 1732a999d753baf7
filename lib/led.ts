/**
 * Status LED: plays the Edgent pattern of the current state.
 *
 * - `pattern()` maps each state to a colour and either beats (durations in ms
 *   alternating on, off, … starting with on) or a breathing wave period.
 *   States without an entry (ERROR, BOOT, SWITCH_TO_STA) play the ERROR row.
 * - A button hold overrides the state: `hint` breathes white, `reset` blinks
 *   white fast; `none` restarts the state's pattern.
 * - Every pattern change restarts from its first beat; setting the current
 *   state again changes nothing.
 * - Breathing updates the intensity every `BREATH_STEP_MS` along a raised
 *   cosine: off at the start of the period, full at its middle, off again.
 * - One self-rescheduling timer plays everything. Without an LED nothing runs.
 *   Before the first `setState` the LED is left alone (turned off if a hold
 *   ends before it); `stop()` turns it off and forgets the state.
 * - A board has one LED: its state is this module's, the steps module-level
 *   functions (cheaper on the board than closures of a factory).
 */

import { ClockPort, LedPort, TimerId } from './ports';
import { State } from './types';
import { HoldStage } from './button';

/**
 * Interval, in ms, between intensity updates of a breathing wave: 20 updates
 * a second look smooth and cost ESP8266 little CPU (a 5 s wave is 100 steps).
 */
export const BREATH_STEP_MS = 50;

/** One row of the table: `_c` colour 0xRRGGBB, then `_b` beats or `_p` breathing period in ms. */
export interface Pattern {
  _c: number;
  _b?: number[];
  _p?: number;
}

/**
 * The contract's LED table: the row of a state or hold stage (exported for
 * displays such as the simulator's LED view). A function, so that on the board
 * the table stays in flash and only the row being played is in RAM.
 */
export function pattern(k: State | HoldStage): Pattern | undefined {
  switch (k) {
    case 'WAIT_CONFIG':
    case 'RESET_CONFIG':
      return { _c: 0x0d36ff, _b: [50, 500] };
    case 'CONFIGURING':
      return { _c: 0x0d36ff, _b: [200, 200] };
    case 'CONNECTING_NET':
      return { _c: 0x2effb9, _b: [50, 500] };
    case 'CONNECTING_CLOUD':
      return { _c: 0x2effb9, _b: [100, 100] };
    case 'RUNNING':
      return { _c: 0x2effb9, _p: 5000 };
    case 'OTA_UPGRADE':
      return { _c: 0xa700ff, _b: [50, 50] };
    case 'ERROR':
      return { _c: 0xff1008, _b: [80, 100, 80, 1000] };
    case 'hint':
      return { _c: 0xffffff, _p: 1000 };
    case 'reset':
      return { _c: 0xffffff, _b: [100, 100] };
  }
  return undefined;
}

/** Options of `createIndicator`. */
export interface IndicatorOptions {
  /** The LED; absent on boards without one (every call is then a no-op). */
  led?: LedPort;
  /** Time and timers. */
  clock: ClockPort;
}

/** The state indicator. */
export interface Indicator {
  /** Shows the pattern of `s` (restarted; unchanged if `s` is the current state). */
  setState(s: State): void;
  /** Overrides the pattern while the button is held; `none` returns to the state's pattern. */
  setHold(stage: HoldStage): void;
  /** Clears the timer and turns the LED off. */
  stop(): void;
}

// The indicator's state (createIndicator sets it up; a board has one status LED).
let led: LedPort | undefined;
let clock: ClockPort;
let state: State | '' = '';
let hold: HoldStage = 'none';
let i = 0;
let timer: TimerId | undefined;

/**
 * Shows the current pattern's next beat or breathing step and arms the
 * timer for the one after; `again` restarts the pattern from its start.
 */
function step(again?: boolean): void {
  if (again && timer !== undefined) clock.clearTimeout(timer);
  timer = undefined;
  if (!led) return;
  if (again) i = 0;
  const p = hold !== 'none' ? pattern(hold) : state ? pattern(state) || pattern('ERROR') : undefined;
  if (!p) {
    led.show(0, 0, 0);
    return;
  }
  let k: number;
  let ms: number;
  if (p._b) {
    k = i % 2 ? 0 : 1;
    ms = p._b[i];
    i = (i + 1) % p._b.length;
  } else {
    const n = Math.round(p._p! / BREATH_STEP_MS);
    k = (1 - Math.cos((2 * Math.PI * i) / n)) / 2;
    ms = BREATH_STEP_MS;
    i = (i + 1) % n;
  }
  timer = clock.setTimeout(step, ms);
  led.show(Math.round((p._c >> 16) * k), Math.round(((p._c >> 8) & 255) * k), Math.round((p._c & 255) * k));
}

/**
 * The indicator's three methods in one function (one function object instead
 * of three on the board), told apart by the argument: a hold stage
 * (`none`, `hint`, `reset`) is `setHold`, a state `setState`, none `stop`.
 */
function indicate(k?: State | HoldStage): void {
  if (k === 'none' || k === 'hint' || k === 'reset') {
    if (k === hold) return;
    hold = k;
    step(true);
  } else if (k) {
    if (k === state) return;
    state = k;
    if (hold === 'none') step(true);
  } else {
    if (timer !== undefined) clock.clearTimeout(timer);
    timer = undefined;
    state = '';
    hold = 'none';
    if (led) led.show(0, 0, 0);
  }
}

/** The indicator (see `Indicator`). */
const indicator: Indicator = { setState: indicate, setHold: indicate, stop: indicate };

/**
 * Creates the state indicator for `opts.led`. A board has one status LED: a
 * second call cancels the first indicator's timer and takes its place.
 */
export function createIndicator(opts: IndicatorOptions): Indicator {
  if (timer !== undefined) clock.clearTimeout(timer);
  timer = undefined;
  led = opts.led;
  clock = opts.clock;
  state = '';
  hold = 'none';
  i = 0;
  return indicator;
}
