/**
 * A lamp-like product on custom hardware: the provisioning status shows on
 * an RGB LED or a WS2812 pixel, and the configuration button sits on a GPIO
 * of the product's choosing (see profiles.ts). A 10 s hold of that button
 * resets the device as usual; a short press belongs to the product and is
 * counted on virtual pin V2 while the device is online.
 */
import { createEdgent } from '../../lib/edgent';
import { createBoard } from '../../boards/driver';
import { runAtBoot } from '../../boards/boot';
import { BoardProfile } from '../../boards/profiles';

/** Virtual pin that receives the number of short presses since boot. */
const V_PRESSES = 2;

/** Starts the product on `board` (a custom profile) at every boot. */
export function main(board: BoardProfile): void {
  runAtBoot(function () {
    let presses = 0;
    const device = createEdgent({
      templateId: 'TMPL4rgbled1',
      templateName: 'RGB Lamp',
      fwVersion: '0.1.0',
      onButtonPress: function () {
        presses++;
        device.virtualWrite(V_PRESSES, presses);
      }
    }, createBoard(board));
    device.start();
    return device;
  });
}
