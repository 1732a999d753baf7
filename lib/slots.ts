/**
 * The two firmware slots and the slot record, shared by the loader
 * (`boards/loader.ts`, the boot code that picks a slot) and the update
 * module (`lib/ota.ts`, which fills the other slot and switches to it).
 *
 * - A slot is a set of Storage files whose names carry the slot's prefix:
 *   slot 0 has none (the names a board is first flashed with), slot 1 has
 *   `~`. A firmware reads its own files through that prefix
 *   (`ModulePort.prefix`), so an update can be written beside it.
 * - The slot record says which slot boots, whether it is on trial (a new
 *   firmware that has not reached RUNNING yet: the number of boots started
 *   on trial) and why the last update failed (reported at the next login).
 *   It is kept in two Storage files, each `q a t w` + `\n` + CRC-32 of that
 *   text in hex; the valid one with the higher sequence number `q` counts,
 *   and a write goes to the other file: a power cut while writing leaves the
 *   previous record.
 */

/** Storage-name prefix of each slot. */
export const SLOT_PREFIXES = ['', '~'];
/** The Storage files of the slot record. */
export const SLOT_FILES = ['edgent.ota0', 'edgent.ota1'];
/** A slot's boot code (the firmware itself: the loader evaluates it). */
export const BOOT_FILE = 'edgent.boot';
/** The event a device sends the cloud about an update (Blynk's `sys_ota`: "OTA started", "OTA failed: <why>"). */
export const OTA_EVENT = 'sys_ota';
/** Boots a new firmware gets to reach RUNNING before the loader goes back to the previous slot. */
export const TRIAL_BOOTS = 3;

/** The slot record. */
export interface SlotRecord {
  /** Sequence number: the higher of the two files counts. */
  q: number;
  /** The slot that boots: 0 or 1. */
  a: number;
  /** 0: confirmed; n > 0: on trial, n − 1 boots of it started. */
  t: number;
  /** Why the last update failed ('' when none, or once reported). */
  w: string;
}

/** What the loader leaves for the firmware it starts (the global `$slot`). */
export interface SlotInfo {
  /** The running slot's Storage-name prefix. */
  p: string;
  /** What the firmware must do at its first login: 2 confirm itself (it is on trial), 1 report a failed update, 0 nothing. */
  c: number;
}

/** Reads the current slot record through `read` (Storage's) and `crc` (`E.CRC32`); the default record when neither file is valid. */
export function slotRead(read: (name: string) => string | undefined, crc: (s: string) => number): SlotRecord {
  let best: SlotRecord = { q: -1, a: 0, t: 0, w: '' };
  for (let i = 0; i < 2; i++) {
    const s = read(SLOT_FILES[i]);
    const n = s ? s.lastIndexOf('\n') : -1;
    if (n < 0) continue;
    const b = (s as string).substr(0, n);
    if ((crc(b) >>> 0).toString(16) !== (s as string).substr(n + 1)) continue;
    const f = b.split(' ');
    const r: SlotRecord = { q: +f[0], a: +f[1], t: +f[2], w: f.slice(3).join(' ') };
    if (r.q > best.q && (r.a === 0 || r.a === 1) && r.t >= 0) best = r;
  }
  if (best.q < 0) best.q = 0;
  return best;
}

/**
 * Writes `r` as the next record (sequence number `r.q + 1`, into the file
 * that does not hold the current one) through `write` (Storage's) and `crc`;
 * true once it is in flash.
 */
export function slotWrite(write: (name: string, data: string) => unknown, crc: (s: string) => number, r: SlotRecord): boolean {
  r.q++;
  const b = r.q + ' ' + r.a + ' ' + r.t + ' ' + r.w;
  return !!write(SLOT_FILES[r.q % 2], b + '\n' + (crc(b) >>> 0).toString(16));
}
