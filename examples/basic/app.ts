/**
 * The smallest product firmware: one template, one firmware version, and a
 * virtual pin V0 that the app can switch and the device echoes back. The same
 * code runs on every unit; each gets its own token when its owner activates it.
 */
import { createEdgent, Edgent } from '../../lib/edgent';
import { State } from '../../lib/types';
import { createBoard } from '../../boards/driver';
import { runAtBoot } from '../../boards/boot';
import { BoardProfile } from '../../boards/profiles';

// The product's state: the board it runs on and its device (handlers are module-level
// functions: on the board a function nested in another costs more RAM and keeps that scope alive).
let board: BoardProfile;
let device: Edgent;

/** The app switched V0: echo the value on V1. */
function onWrite(pin: number, values: string[]): void {
  if (pin === 0) device.virtualWrite(1, values[0]);
}

/** Online: say hello on V1. */
function onState(next: State): void {
  if (next === 'RUNNING') device.virtualWrite(1, 'hello');
}

/** Creates and starts the device (at boot, and again after a restart). */
function start(): Edgent {
  device = createEdgent({
    templateId: 'TMPL4abcd123',
    templateName: 'My Device',
    fwVersion: '0.1.0'
  }, createBoard(board));
  device.onVirtualWrite(onWrite);
  device.onStateChange(onState);
  device.start();
  return device;
}

/** Starts the product on `profile` at every boot. */
export function main(profile: BoardProfile): void {
  board = profile;
  runAtBoot(start);
}
