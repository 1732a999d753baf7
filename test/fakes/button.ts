/**
 * A fake ButtonPort: the test presses and releases, the fake tells every
 * watcher. `pressed` is the level `isPressed()` reports; assign it directly
 * to change the level without an edge (an edge lost by the driver).
 */

import { ButtonPort } from '../../lib/ports';

/** A ButtonPort driven by the test. */
export interface FakeButton extends ButtonPort {
  /** The level reported by `isPressed()`. */
  pressed: boolean;
  /** Number of active watches. */
  watchers: number;
  /** Sets the level to pressed and delivers a `true` edge (even if already pressed). */
  press(): void;
  /** Sets the level to released and delivers a `false` edge (even if already released). */
  release(): void;
}

/** Creates a fake button, released unless `pressed` is true. */
export function createFakeButton(pressed = false): FakeButton {
  let fns: Array<(pressed: boolean) => void> = [];
  function edge(level: boolean): void {
    fake.pressed = level;
    const list = fns.slice();
    for (let i = 0; i < list.length; i++) list[i](level);
  }
  const fake: FakeButton = {
    pressed,
    watchers: 0,
    watch(fn) {
      fns.push(fn);
      fake.watchers = fns.length;
      let done = false;
      return () => {
        if (done) return;
        done = true;
        fns = fns.filter((f) => f !== fn);
        fake.watchers = fns.length;
      };
    },
    isPressed: () => fake.pressed,
    press: () => edge(true),
    release: () => edge(false)
  };
  return fake;
}
