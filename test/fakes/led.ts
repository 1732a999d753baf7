/**
 * A fake LedPort recording every `show` with the time it happened. It throws
 * on a channel that is not an integer 0..255, as the port contract demands.
 */

import { LedPort } from '../../lib/ports';

/** One recorded `show`: time in ms and the three channels. */
export interface LedShow {
  t: number;
  r: number;
  g: number;
  b: number;
}

/** A LedPort that records its calls. */
export interface FakeLed extends LedPort {
  /** Every `show`, oldest first. */
  shows: LedShow[];
}

function checkChannel(v: number): void {
  if (typeof v !== 'number' || v !== Math.floor(v) || v < 0 || v > 255) {
    throw new RangeError('LED channel out of range: ' + v);
  }
}

/** Creates a fake LED timestamping with `clock.now()` (default: `Date.now`, which sinon fakes). */
export function createFakeLed(clock: { now(): number } = { now: () => Date.now() }): FakeLed {
  const fake: FakeLed = {
    shows: [],
    show(r, g, b) {
      checkChannel(r);
      checkChannel(g);
      checkChannel(b);
      fake.shows.push({ t: clock.now(), r, g, b });
    }
  };
  return fake;
}
