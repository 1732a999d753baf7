/**
 * The cloud module (Storage file `edgent-cloud`): the Blynk protocol client.
 * The core loads it for the first cloud attempt and drops it when the device
 * leaves the cloud states (config mode, factory reset, errors). The Espruino
 * build of the module (`boards/mode-cloud.ts`) adds the board's socket code.
 */

export { createCloud } from './cloud';
