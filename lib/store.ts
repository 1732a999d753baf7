/**
 * The power-cut-safe configuration store.
 *
 * - The record lives in two flash files ("slots"). Each slot holds one complete
 *   record: a compact byte encoding with a 16-bit sequence number and a CRC-32.
 * - `load()` returns the slot that decodes and validates with the newest
 *   sequence number, or `defaultRecord()` when neither does. Bad data never
 *   throws: it is logged and ignored.
 * - `save()` skips identical records, otherwise writes the slot that does NOT
 *   hold the newest copy with the next sequence number and reads it back. A
 *   power cut at any byte leaves the newest copy untouched.
 * - `erase()` writes defaults to both slots, the older slot first, so a cut
 *   leaves the old record or defaults, and a completed erase leaves no slot
 *   holding the old record.
 * - RAM holds only the newest slot's index and sequence number. One store
 *   instance must be the only writer of its two files.
 *
 * Encoding, version 1 (integers little-endian):
 *
 * | offset | bytes | content                                             |
 * |--------|-------|-----------------------------------------------------|
 * | 0      | 2     | magic `E` `c`                                       |
 * | 2      | 1     | format version, 1                                   |
 * | 3      | 2     | sequence number (u16, wraps)                        |
 * | 5      | 1     | flags: bit 0 VALID, bit 1 STATIC_IP, others 0       |
 * | 6      | 2     | port                                                |
 * | 8      | 2     | portSsl                                             |
 * | 10     | 2     | lastError                                           |
 * | 12     | ...   | ssid pass token host ip mask gw dns dns2 fwVer,     |
 * |        |       | each one length byte then that many bytes           |
 * | end-4  | 4     | CRC-32 of every byte before it                      |
 *
 * Sequence numbers compare modulo 2^16: `a` is newer than `b` when
 * `(a - b) mod 65536` is in 1..32767. Equal numbers: slot 0 wins.
 */

import { crc32 } from './crc32';
import { FlashPort } from './ports';
import {
  defaultRecord,
  MAX_FW_VER_BYTES,
  MAX_HOST_BYTES,
  MAX_PASS_BYTES,
  MAX_SSID_BYTES,
  sameRecord,
  TOKEN_LENGTH,
  validateRecord
} from './record';
import { ConfigRecord } from './types';

/**
 * Outcome of a write request: `saved` (written and read back), `unchanged`
 * (the newest copy already holds these values: nothing written), `invalid`
 * (the record fails `validateRecord`: nothing written), `failed` (a write or
 * its read-back failed; the previous newest copy is untouched, and `load()`
 * tells what the flash holds).
 */
export type SaveResult = 'saved' | 'unchanged' | 'invalid' | 'failed';

/** Options of `createStore`. */
export interface StoreOptions {
  /** The flash files. */
  flash: FlashPort;
  /** Receives one line per problem (ignored slot, failed write). @default no logging */
  log?: (line: string) => void;
  /** Names of the two slot files, distinct, 1..28 chars each. @default ['edgent.cfg0', 'edgent.cfg1'] */
  files?: [string, string];
}

/** The configuration store returned by `createStore`. */
export interface ConfigStore {
  /** The newest valid record on flash, or `defaultRecord()` when there is none. Never throws. */
  load(): ConfigRecord;
  /** Persists `rec` if it is valid and differs from the newest copy. Never throws. */
  save(rec: ConfigRecord): SaveResult;
  /** Factory reset: `defaultRecord()` with `fwVer` in both slots. Never throws. */
  erase(fwVer: string): SaveResult;
}

/** A decoded slot: its index, sequence number and record. */
interface Slot {
  _i: number;
  _q: number;
  _r: ConfigRecord;
}

type StrField = 'ssid' | 'pass' | 'token' | 'host' | 'ip' | 'mask' | 'gw' | 'dns' | 'dns2' | 'fwVer';

const MAGIC = 'Ec';
const VERSION = 1;
const F_VALID = 1;
const F_STATIC_IP = 2;
const HEAD_BYTES = 12;
const FIELDS: StrField[] = ['ssid', 'pass', 'token', 'host', 'ip', 'mask', 'gw', 'dns', 'dns2', 'fwVer'];
const IPV4_MAX_BYTES = 15;
const MIN_BYTES = HEAD_BYTES + FIELDS.length + 4;
/** CRC-32 over data followed by its own CRC (little-endian) always gives this. */
const CRC_RESIDUE = 0x2144df1c;
const NO_FILE = 'absent';

/** Size in bytes of the largest encoded record (every field at its limit): 325. */
export const MAX_RECORD_BYTES =
  MIN_BYTES + MAX_SSID_BYTES + MAX_PASS_BYTES + TOKEN_LENGTH + MAX_HOST_BYTES + 5 * IPV4_MAX_BYTES + MAX_FW_VER_BYTES;

function u16(n: number): string {
  return String.fromCharCode(n & 255, (n >> 8) & 255);
}

function getU16(d: string, p: number): number {
  return d.charCodeAt(p) | (d.charCodeAt(p + 1) << 8);
}

function encode(r: ConfigRecord, seq: number): string {
  let s = MAGIC + String.fromCharCode(VERSION) + u16(seq) +
    String.fromCharCode((r.valid ? F_VALID : 0) | (r.staticIp ? F_STATIC_IP : 0)) +
    u16(r.port) + u16(r.portSsl) + u16(r.lastError);
  for (let i = 0; i < FIELDS.length; i++) {
    const v = r[FIELDS[i]];
    s += String.fromCharCode(v.length) + v;
  }
  const c = crc32(s);
  return s + String.fromCharCode(c & 255, (c >>> 8) & 255, (c >>> 16) & 255, c >>> 24);
}

/** Decodes a slot image; returns why it is unusable when it is. */
function decode(d: string | undefined): Slot | string {
  if (d === undefined) return NO_FILE;
  const n = d.length;
  if (n > MAX_RECORD_BYTES) return 'oversized';
  if (n < MIN_BYTES) return 'truncated';
  if (d.substr(0, 2) !== MAGIC) return 'bad magic';
  if (d.charCodeAt(2) !== VERSION) return 'version ' + d.charCodeAt(2);
  if (crc32(d) !== CRC_RESIDUE) return 'bad crc';
  const f = d.charCodeAt(5);
  if (f > (F_VALID | F_STATIC_IP)) return 'bad flags';
  const r = defaultRecord();
  r.valid = (f & F_VALID) > 0;
  r.staticIp = (f & F_STATIC_IP) > 0;
  r.port = getU16(d, 6);
  r.portSsl = getU16(d, 8);
  r.lastError = getU16(d, 10);
  let p = HEAD_BYTES;
  for (let i = 0; i < FIELDS.length; i++) {
    const len = d.charCodeAt(p);
    if (p + 1 + len > n - 4) return 'bad length';
    r[FIELDS[i]] = d.substr(p + 1, len);
    p += 1 + len;
  }
  if (p !== n - 4) return 'bad length';
  const bad = validateRecord(r);
  if (bad) return 'invalid ' + bad;
  return { _i: 0, _q: getU16(d, 3), _r: r };
}

function newer(a: number, b: number): boolean {
  const d = (a - b) & 0xffff;
  return d > 0 && d < 0x8000;
}

/**
 * Creates the config store over two flash files.
 *
 * @throws TypeError if `flash` is missing or the file names are not two
 *   distinct names of 1..28 chars
 */
export function createStore(opts: StoreOptions): ConfigStore {
  const flash = opts.flash;
  const log = opts.log || function () {};
  const names = opts.files || ['edgent.cfg0', 'edgent.cfg1'];
  if (!flash || names.length !== 2 || names[0] === names[1] ||
    !(names[0].length > 0 && names[0].length <= 28 && names[1].length > 0 && names[1].length <= 28)) {
    throw new TypeError('createStore: flash and two file names of 1..28 chars');
  }
  let slot = -1;
  let seq = 0;

  function get(i: number): Slot | string {
    let s: Slot | string;
    try {
      s = decode(flash.read(names[i], 0, MAX_RECORD_BYTES + 1));
    } catch (e) {
      s = 'read error';
    }
    if (typeof s === 'string') {
      if (s !== NO_FILE) log('store: ' + names[i] + ' ignored: ' + s);
    } else {
      s._i = i;
    }
    return s;
  }

  function scan(): Slot | null {
    let best: Slot | null = null;
    for (let i = 0; i < 2; i++) {
      const s = get(i);
      if (typeof s !== 'string' && (!best || newer(s._q, best._q))) best = s;
    }
    slot = best ? best._i : -1;
    seq = best ? best._q : 0;
    return best;
  }

  function newest(): Slot | null {
    if (slot >= 0) {
      const s = get(slot);
      if (typeof s !== 'string' && s._q === seq) return s;
    }
    return scan();
  }

  function put(i: number, q: number, r: ConfigRecord): boolean {
    q &= 0xffff;
    const data = encode(r, q);
    let ok = false;
    try {
      ok = flash.write(names[i], data) && flash.read(names[i], 0, MAX_RECORD_BYTES + 1) === data;
    } catch (e) {
      ok = false;
    }
    if (ok) {
      slot = i;
      seq = q;
    } else {
      // A failed write may still have landed completely: find the newest copy again before the next write.
      slot = -1;
      log('store: writing ' + names[i] + ' failed');
    }
    return ok;
  }

  return {
    load: function () {
      const s = scan();
      if (s) return s._r;
      log('store: no valid record, using defaults');
      return defaultRecord();
    },
    save: function (rec) {
      const bad = validateRecord(rec);
      if (bad) {
        log('store: not saved, invalid ' + bad);
        return 'invalid';
      }
      const cur = newest();
      if (cur && sameRecord(cur._r, rec)) return 'unchanged';
      return put(cur ? 1 - cur._i : 0, cur ? cur._q + 1 : 1, rec) ? 'saved' : 'failed';
    },
    erase: function (fwVer) {
      const d = defaultRecord();
      d.fwVer = fwVer;
      if (validateRecord(d)) return 'invalid';
      const cur = newest();
      const q = cur ? cur._q : 0;
      const first = cur ? 1 - cur._i : 0;
      if (!put(first, q + 1, d)) return 'failed';
      if (put(1 - first, q + 2, d)) return 'saved';
      // Defaults are already the newest copy; drop the slot that may still hold the old record.
      try {
        flash.erase(names[1 - first]);
      } catch (e) {
        log('store: erasing ' + names[1 - first] + ' failed');
      }
      return 'failed';
    }
  };
}
