/**
 * The config-store module (Storage file `edgent-store`): the power-cut-safe
 * record store with its encoding, CRC and validation, and the device's
 * operations on it (`lib/record-ops.ts`). The device loads it for each read or
 * write of the record (boot, first login, errors, factory reset) and drops it
 * right after. Only `use` is exported: every export costs RAM while loaded.
 */

export { use } from './record-ops';
