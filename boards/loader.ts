/**
 * The boot code of a firmware with two slots (`lib/slots.ts`): it is the
 * Storage file `.bootcde` and no update ever replaces it. At every boot it
 * reads the slot record, counts a boot of a firmware on trial, goes back to
 * the previous slot when a new firmware has used its `TRIAL_BOOTS` boots
 * without reaching RUNNING, and leaves the global `$slot` (`SlotInfo`) for
 * the firmware. The build appends the line that evaluates the chosen slot's
 * `edgent.boot` from flash at the top level (`LOADER_RUN` in
 * rollup.config.mjs: code run that way keeps its text in flash), so nothing
 * of this function stays in RAM; a firmware on trial that throws there
 * reboots (one of its trial boots). A slot without its boot file falls back
 * to the other one.
 */

import { BOOT_FILE, SLOT_PREFIXES, TRIAL_BOOTS, SlotInfo, slotRead, slotWrite } from '../lib/slots';

(function () {
  const st = require('Storage');
  const r = slotRead(st.read, E.CRC32);
  if (r.t) {
    if (r.t > TRIAL_BOOTS) {
      r.a = 1 - r.a;
      r.t = 0;
      r.w = 'rolled back after ' + TRIAL_BOOTS + ' boots';
    } else r.t++;
    slotWrite(st.write, E.CRC32, r);
  }
  let p = SLOT_PREFIXES[r.a];
  if (!st.read(p + BOOT_FILE)) p = SLOT_PREFIXES[1 - r.a];
  const info: SlotInfo = { p: p, c: r.t ? 2 : r.w ? 1 : 0 };
  global.$slot = info;
})();
