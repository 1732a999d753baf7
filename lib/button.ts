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
 * - The watcher's state is one plain object (`ButtonState`) its owner keeps,
 *   and the functions below take it. On the board the device keeps it and
 *   this code is the Storage module `BUTTON_MODULE`, loaded for each edge and
 *   stage timer through the device's relay (a button is rarely touched: none
 *   of its functions need be in RAM meanwhile). `createButton` wraps it for a
 *   host or a test; a board has one button, so a second call stops the first.
 */

import { ButtonPort, ClockPort, TimerId, Undo } from './ports';
import { BUTTON_MODULE } from './modules';

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

/**
 * A watcher's options and state, kept by its owner. `relay` is how the watch
 * and the stage timer reach `buttonEdge` and `buttonStage`: the device's
 * `useModule` (called with `BUTTON_MODULE`, the function's name, this state
 * and the edge), or absent for a direct call.
 */
export interface ButtonState extends ButtonOptions {
  relay?: (mod: string, fn: 'buttonEdge' | 'buttonStage', b: ButtonState, pressed?: boolean) => void;
  undo?: Undo;
  timer?: TimerId;
  /** When the current press began, -1 when released. */
  since: number;
  stage: HoldStage;
}

/** A new watcher's state for `opts` (not started). */
export function buttonState(opts: ButtonOptions, relay?: ButtonState['relay']): ButtonState {
  return {
    button: opts.button, clock: opts.clock, onPress: opts.onPress, onReset: opts.onReset, onHold: opts.onHold,
    relay: relay, since: -1, stage: 'none'
  };
}

/** Forgets the current press: timer cleared, a shown hold stage ended. */
function drop(b: ButtonState): void {
  b.since = -1;
  if (b.timer !== undefined) b.clock.clearTimeout(b.timer);
  b.timer = undefined;
  if (b.stage !== 'none') {
    b.stage = 'none';
    b.onHold!('none');
  }
}

/** The stage timer of watcher `b` fired: the next hold stage, or a lost release noticed. */
export function buttonStage(b: ButtonState): void {
  b.timer = undefined;
  // The driver lost the release edge (ESP8266's watch queue holds 16 edges).
  if (!b.button.isPressed()) return drop(b);
  b.stage = b.stage === 'none' ? 'hint' : 'reset';
  if (b.stage === 'hint') arm(b);
  b.onHold!(b.stage);
}

/** Arms the timer for the next hold stage, counted from the press (only with an `onHold`). */
function arm(b: ButtonState): void {
  if (!b.onHold) return;
  const ms = (b.stage === 'none' ? HOLD_HINT_MS : RESET_HOLD_MS) - (b.clock.now() - b.since);
  const r = b.relay;
  b.timer = b.clock.setTimeout(r ? r.bind(null, BUTTON_MODULE, 'buttonStage', b) : function () {
    buttonStage(b);
  }, ms > 0 ? ms : 0);
}

/** An edge of watcher `b`'s button (`pressed` after it). */
export function buttonEdge(b: ButtonState, pressed: boolean): void {
  const held = b.clock.now() - b.since;
  const was = b.since;
  drop(b);
  if (!b.undo) return;
  if (pressed) {
    b.since = b.clock.now();
    arm(b);
  } else if (was < 0) {
    return;
  } else if (held >= RESET_HOLD_MS) {
    b.onReset();
  } else if (held >= PRESS_MIN_MS && b.onPress) {
    b.onPress(held);
  }
}

/** Starts watching (idempotent); a button already down is measured from now. */
export function buttonStart(b: ButtonState): void {
  if (b.undo) return;
  const r = b.relay;
  b.undo = b.button.watch(r ? r.bind(null, BUTTON_MODULE, 'buttonEdge', b) : function (pressed: boolean) {
    buttonEdge(b, pressed);
  });
  if (b.button.isPressed()) {
    b.since = b.clock.now();
    arm(b);
  }
}

/** Stops watching and clears every timer; no callback fires afterwards. */
export function buttonStop(b: ButtonState): void {
  if (b.undo) b.undo();
  b.undo = undefined;
  if (b.timer !== undefined) b.clock.clearTimeout(b.timer);
  b.timer = undefined;
  b.since = -1;
  b.stage = 'none';
}

/** The watcher `createButton` made last (a board has one button). */
let last: ButtonState | null = null;

/**
 * Creates the button watcher for a host or a test (not started). A board has
 * one button: a second call stops the first watcher.
 */
export function createButton(opts: ButtonOptions): Button {
  if (last) buttonStop(last);
  const b = (last = buttonState(opts));
  return {
    start: function () {
      buttonStart(b);
    },
    stop: function () {
      buttonStop(b);
    },
    isHeld: function () {
      return b.since >= 0;
    }
  };
}
