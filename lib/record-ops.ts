/**
 * The device's operations on its stored record, run with the config store
 * (both are the Storage module `edgent-store`): load, save, erase, and the
 * commit after the first login with new credentials. The device loads the
 * module for each operation and drops it right after (`lib/machine.ts`
 * `store`), the steps and the resident commit and erase alike.
 */

import { ConfigStore, createStore } from './store';
import { defaultRecord } from './record';
import { ConfigRecord, ERR_NONE } from './types';
import type { Device } from './machine';

/** What `use` does: read the record, write `arg`, erase it, or commit the credentials in use. */
export type RecordOp = 'load' | 'save' | 'erase' | 'commit';

/**
 * Runs `op` for `dev` on the board's flash (or on `st`, a store given by a
 * test): `load` returns the record, the others the store's outcome (`saved`,
 * `unchanged`, `failed`). `commit` makes the record in use (staged, else
 * stored) VALID with no error and the running firmware's version. A store
 * that throws is logged: `load` then gives the defaults, the others `failed`.
 */
export function use(dev: Device, op: RecordOp, arg?: ConfigRecord, st?: ConfigStore): any {
  const hw = dev.hw;
  try {
    const s = st || createStore({ flash: hw.flash, log: hw.system.log });
    if (op === 'load') return s.load();
    if (op === 'save') return s.save(arg as ConfigRecord);
    if (op === 'erase') return s.erase(dev.o.fwVer);
    const c = dev.cfg || s.load();
    c.lastError = ERR_NONE;
    c.valid = true;
    c.fwVer = dev.o.fwVer;
    return s.save(c);
  } catch (e) {
    hw.system.log('store: ' + e);
    return op === 'load' ? defaultRecord() : 'failed';
  }
}
