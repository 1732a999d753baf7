/**
 * Configuration button: turns logical press/release edges into the Edgent
 * gestures.
 *
 * - The hold is measured on release: shorter than `PRESS_MIN_MS` is a bounce
 *   and ignored, anything under `RESET_HOLD_MS` is a press (`onPress(ms)`),
 *   `RESET_HOLD_MS` or more is a configuration reset (`onReset()`).
 * - While held, `onHold('hint')` at `HOLD_HINT_MS` and `onHold('reset')` at
 *   `RESET_HOLD_MS` let the LED show what a release would do; the release
 *   announces `onHold('none')` (only after a stage was announced) before the
 *   press or reset.
 * - A release while released is ignored. A press while pressed means a release
 *   was lost: the hold restarts from the new press (announcing `none` if a
 *   stage was shown), so a lost edge can never add up to a reset. A lost
 *   release is also noticed when a stage timer finds the button up: the hold
 *   is dropped without a press or reset.
 * - At most one timer runs, only while held. `start()` is idempotent and
 *   measures from the start if the button is already down; `stop()` removes
 *   the watch and the timer, and no callback fires after it.
 * - A board has one button: the watcher's state is this module's, its steps
 *   module-level functions (cheaper on the board than closures of a factory).
 */

import { ButtonPort, ClockPort, TimerId, Undo } from './ports';

/** Shortest hold, in ms, that counts as a press; anything shorter is a bounce. */
export const PRESS_MIN_MS = 50;
/** Hold time, in ms, after which `onHold('hint')` is announced. */
export const HOLD_HINT_MS = 3000;
/** Hold time, in ms, from which a release resets the configuration. */
export const RESET_HOLD_MS = 10000;

/** What a release would do now: nothing special, a hint is shown, or reset. */
export type HoldStage = 'none' | 'hint' | 'reset';

/** Options of `createButton`. */
export interface ButtonOptions {
  /** The button, debounced and with polarity applied by the driver. */
  button: ButtonPort;
  /** Time and timers. */
  clock: ClockPort;
  /** Released after `PRESS_MIN_MS` up to (not including) `RESET_HOLD_MS`; gets the hold time in ms. */
  onPress?: (heldMs: number) => void;
  /** Released after at least `RESET_HOLD_MS`. */
  onReset: () => void;
  /** The hold stage changed: `hint` at `HOLD_HINT_MS`, `reset` at `RESET_HOLD_MS`, `none` on release. */
  onHold?: (stage: HoldStage) => void;
}

/** A running button watcher. */
export interface Button {
  /** Starts watching (idempotent). */
  start(): void;
  /** Stops watching and clears every timer; no callback fires afterwards. */
  stop(): void;
  /** True while the button is held (and the watcher is started). */
  isHeld(): boolean;
}

// The watcher's state (createButton sets it up; a board has one configuration button).
let o: ButtonOptions;
let undo: Undo | null = null;
let timer: TimerId | null = null;
let since = -1;
let stage: HoldStage = 'none';

/** Forgets the current press: timer cleared, a shown hold stage ended. */
function drop(): void {
  since = -1;
  if (timer !== null) o.clock.clearTimeout(timer);
  timer = null;
  if (stage !== 'none') {
    stage = 'none';
    o.onHold!('none');
  }
}

/** The hold reached the next stage (or the release edge was lost). */
function onStage(): void {
  timer = null;
  // The driver lost the release edge (ESP8266's watch queue holds 16 edges).
  if (!o.button.isPressed()) return drop();
  stage = stage === 'none' ? 'hint' : 'reset';
  if (stage === 'hint') arm();
  o.onHold!(stage);
}

/** Arms the timer of the next hold stage (only when someone shows the stages). */
function arm(): void {
  if (!o.onHold) return;
  const ms = (stage === 'none' ? HOLD_HINT_MS : RESET_HOLD_MS) - (o.clock.now() - since);
  timer = o.clock.setTimeout(onStage, ms > 0 ? ms : 0);
}

/** One debounced edge from the driver. */
function onEdge(pressed: boolean): void {
  const held = o.clock.now() - since;
  const was = since;
  drop();
  if (!undo) return;
  if (pressed) {
    since = o.clock.now();
    arm();
  } else if (was < 0) {
    return;
  } else if (held >= RESET_HOLD_MS) {
    o.onReset();
  } else if (held >= PRESS_MIN_MS && o.onPress) {
    o.onPress(held);
  }
}

/** The watcher's methods (see `Button`): module-level functions, one object. */
const watcher: Button = {
  start: function () {
    if (undo) return;
    undo = o.button.watch(onEdge);
    if (o.button.isPressed()) {
      since = o.clock.now();
      arm();
    }
  },
  stop: function () {
    if (undo) undo();
    undo = null;
    if (timer !== null) o.clock.clearTimeout(timer);
    timer = null;
    since = -1;
    stage = 'none';
  },
  isHeld: function () {
    return since >= 0;
  }
};

/**
 * Creates the button watcher; call `start()` to begin. A board has one
 * configuration button: a second call stops the first watcher and takes its place.
 */
export function createButton(opts: ButtonOptions): Button {
  if (o) watcher.stop();
  o = opts;
  return watcher;
}
