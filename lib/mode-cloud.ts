/**
 * The cloud module (Storage file `edgent-cloud`): the Blynk protocol client.
 * The core loads it for the first cloud attempt and drops it when the device
 * leaves the cloud states (config mode, factory reset, errors).
 */

export { createCloud } from './cloud';
