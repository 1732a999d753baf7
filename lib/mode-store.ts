/**
 * The config-store module (Storage file `edgent-store`): the power-cut-safe
 * record store with its encoding, CRC and validation. The core loads it for
 * each read or write of the record (boot, first login, errors, factory reset)
 * and drops it right after.
 */

export { createStore } from './store';
