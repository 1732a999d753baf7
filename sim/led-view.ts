/**
 * The simulated device's status LED in the terminal: what the state means
 * (colour and pattern from the library's own LED table) and, on a terminal,
 * a live line with the LED's current brightness driven by the board's pins.
 */

import { pattern } from '../lib/led';
import type { SimDevice } from './device';
import type { State } from '../lib/types';

const COLOUR_NAMES: Record<number, string> = {
  0x0d36ff: 'blue', 0x2effb9: 'green', 0xa700ff: 'magenta', 0xff1008: 'red', 0xffffff: 'white'
};

/** The LED pattern of a state in words, e.g. `blue blink 50/500 ms`. */
export function describeLed(state: State): string {
  const p = pattern(state) || pattern('ERROR')!;
  const colour = COLOUR_NAMES[p._c] || '#' + p._c.toString(16).padStart(6, '0');
  return p._p ? `${colour} breathing, ${p._p} ms period` : `${colour} blink ${p._b!.join('/')} ms`;
}

/** Prints each state change with its LED meaning; on a TTY also a live brightness bar. */
export function attachLedView(dev: SimDevice, out: NodeJS.WriteStream, label: string): () => void {
  const live = !!out.isTTY;
  let level = 0;
  const onState = (s: State) => {
    if (live) out.write('\r\x1b[K');
    out.write(`${label} ${s.padEnd(16)} LED ${describeLed(s)}\n`);
  };
  // Both profiles the simulator flashes drive a single LED on GPIO2; NodeMCU's is active-low.
  const inverted = dev.opts.chip === 'ESP8266';
  const onPin = (e: { pin: number; value: number }) => {
    if (e.pin === 2) level = inverted ? 1 - e.value : e.value;
  };
  dev.on('state', onState);
  dev.board.on('pin', onPin);
  const timer = live ? setInterval(() => {
    const n = Math.round(Math.max(0, Math.min(1, level)) * 20);
    out.write(`\r\x1b[K${label} ${dev.state.padEnd(16)} [${'#'.repeat(n)}${' '.repeat(20 - n)}]`);
  }, 100) : null;
  return () => {
    dev.off('state', onState);
    dev.board.off('pin', onPin);
    if (timer) clearInterval(timer);
    if (live) out.write('\r\x1b[K');
  };
}
