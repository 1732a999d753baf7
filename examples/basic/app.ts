/**
 * The smallest product firmware: one template, one firmware version, and a
 * virtual pin V0 that the app can switch and the device echoes back. The same
 * code runs on every unit; each gets its own token when its owner activates it.
 */
import { createEdgent } from '../../lib/edgent';
import { createBoard } from '../../boards/driver';
import { runAtBoot } from '../../boards/boot';
import { BoardProfile } from '../../boards/profiles';

/** Starts the product on `board` at every boot. */
export function main(board: BoardProfile): void {
  runAtBoot(function () {
    const device = createEdgent({
      templateId: 'TMPL4abcd123',
      templateName: 'My Device',
      fwVersion: '0.1.0'
    }, createBoard(board));
    device.onVirtualWrite(function (pin, values) {
      if (pin === 0) device.virtualWrite(1, values[0]);
    });
    device.onStateChange(function (next) {
      if (next === 'RUNNING') device.virtualWrite(1, 'hello');
    });
    device.start();
    return device;
  });
}
