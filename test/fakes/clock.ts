/**
 * A ClockPort on the global timers. Under `sinon.useFakeTimers()` it follows
 * the fake clock (the globals are looked up at each call), so
 * `clock.tick(ms)` drives every timer of the code under test.
 */

import { ClockPort } from '../../lib/ports';

/** ClockPort delegating to the global `Date.now`, `setTimeout` and `clearTimeout`. */
export const timerClock: ClockPort = {
  now: () => Date.now(),
  setTimeout: (fn: () => void, ms: number) => setTimeout(fn, ms),
  clearTimeout: (id: unknown) => clearTimeout(id as any)
};
