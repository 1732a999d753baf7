/**
 * The firmware update: Blynk.Air's download of an OTA image
 * (docs/ota-image.md) into the slot that is not running (lib/slots.ts),
 * checked as it streams, then the switch to it. Two Storage modules: the
 * device loads `edgent-ota` for the download's start, its response, its end,
 * an error, the idle timer and the first login after an update or a failed
 * one (`otaCheckIn`), and `edgent-otad` (`otaData`: the MD5, the head, the
 * files' bytes) for each body chunk: on an ESP8266 the busiest instant of an
 * update is a chunk's, and the smaller the module loaded for it the more RAM
 * the product keeps. Bound relays, as for the cloud client; the download's
 * state is `Device.ota`.
 *
 * - The answer must be 200 with a `Content-Length`; an `x-MD5` header of 32
 *   hex digits must match the MD5 of the whole body (streamed, `lib/md5.ts`).
 * - The tag must name this firmware's `fw-type` (fwType, else the template
 *   id): an image for another product is refused before anything is
 *   written. The index must be well formed, start with `edgent.boot` and
 *   name no boot, record or other-slot file, and its files must fit in the
 *   free Storage space (counting what they replace and what a compaction
 *   reclaims).
 * - Each file is written as its bytes arrive, then read back from flash and
 *   checked against its CRC-32. Only when the whole body is in, with its
 *   length and MD5 right, is the slot record switched to the new slot, on
 *   trial: the device reboots into it (`updated`).
 * - Any failure (the answer, the image, the flash, no data for
 *   `OTA_IDLE_MS`, the connection) stops the update, is logged
 *   `OTA failed: <why>` and kept in the slot record, and the device goes to
 *   ERROR (`update_failed`), whose reboot starts the old firmware again; its
 *   first login reports the failure to the cloud as the event `sys_ota`
 *   "OTA failed: <why>". A new firmware's first login confirms it.
 */

import { Device } from './machine';
import { HttpClientResponse } from './ports';
import { CLOUD_MODULE, OTA_DATA_MODULE, OTA_MODULE } from './modules';
import { BOOT_FILE, OTA_EVENT, SLOT_FILES, SLOT_PREFIXES, SlotRecord, slotRead, slotWrite } from './slots';
import { Md5State, md5Add, md5Hex, md5Start } from './md5';
import { pemBody } from './cloud';

/** Base64 to a byte string: a global of Espruino and of Node. */
declare function atob(base64: string): string;

/** The update gives up after this long without a byte (or the answer's head). */
export const OTA_IDLE_MS = 30000;
/** Bytes of Storage's header per file (size and 28-byte name), files aligned to 4 bytes. */
export const STORAGE_FILE_OVERHEAD = 32;

/** One file of an image's index (`entry`). */
export interface ImageFile {
  /** Storage name, without a slot prefix. */
  n: string;
  /** Size in bytes. */
  s: number;
  /** CRC-32, 8 lowercase hex digits. */
  c: string;
  /** Where the next entry starts in the index text. */
  r: number;
}

/** An update in progress (`Device.ota`). */
export interface OtaState {
  /** Number of this download (the device's epoch when it started): events of another one are ignored. */
  n: number;
  /** Prefix of the slot being written. */
  p: string;
  /** Idle timer. */
  t?: unknown;
  /** Content-Length, bytes received, MD5 expected ('' when the answer had none). */
  len: number;
  got: number;
  m: string;
  /**
   * The digest so far, then its hex once the last byte is in. Both made and
   * used by the body module only: the minifier names an `Md5State`'s fields
   * per bundle.
   */
  h?: Md5State;
  md?: string;
  /**
   * The head's reader (`headField`): the stage (0 tag magic, 1 key, 2 value,
   * 3 index magic, 4 name, 5 size, 6 CRC, 7 the bodies), the part of a field
   * that a chunk ended in, the tag keys so far and the current one.
   */
  hs: number;
  b: string;
  keys: string;
  k: string;
  /** The tag's version (`mcu`) and firmware type. */
  v: string;
  ty: string;
  /**
   * The index as text, `name\0size\0crc\0` per file (`entry` reads one):
   * while the head is read, the entries so far; then the files not complete
   * yet, the first being written (`o` bytes of it so far). On the board a
   * list of objects would cost RAM per file for the whole download.
   */
  f: string;
  o: number;
  /** Files in the index, and the bytes of their bodies. */
  cnt: number;
  sum: number;
}

/** `x` as 8 lowercase hex digits. */
function hex8(x: number): string {
  return ('0000000' + (x >>> 0).toString(16)).substr(-8);
}

/** Longest field of the tag or the index (a tag value; a file name is at most 28 bytes). */
export const MAX_FIELD_BYTES = 128;

/**
 * Takes the next field (`f`, its NUL removed) of the head of download `K`:
 * an error text, or '' when it was in its place (docs/ota-image.md: the tag's
 * four keys in order, `edgota1`, then each file's name, size and CRC, the
 * boot code first, no boot, record or other-slot names, no name twice).
 */
export function headField(K: OtaState, f: string): string {
  switch (K.hs) {
    case 0:
      K.hs = 1;
      return f === 'blnkinf' ? '' : 'bad tag magic';
    case 1:
      if (!f) {
        K.hs = 3;
        return K.keys === 'mcu,fw-type,build,blynk,' && K.v && K.ty ? '' : 'bad tag';
      }
      K.keys += f + ',';
      K.k = f;
      K.hs = 2;
      return K.keys.length > 24 ? 'bad tag' : '';
    case 2:
      if (K.k === 'mcu') K.v = f;
      if (K.k === 'fw-type') K.ty = f;
      K.hs = 1;
      return '';
    case 3:
      K.hs = 4;
      return f === 'edgota1' ? '' : 'bad index magic';
    case 4: {
      if (!f) {
        K.hs = 7;
        return K.cnt ? '' : 'first file is not ' + BOOT_FILE;
      }
      if (!K.cnt && f !== BOOT_FILE) return 'first file is not ' + BOOT_FILE;
      // Espruino's indexOf also matches where the text ends part-way through the pattern: a hit must fit.
      const seen = ('\0' + K.f).indexOf('\0' + f + '\0');
      if (f.length > 27 || f.charAt(0) === '.' || f.charAt(0) === '~' || f.substr(0, 10) === 'edgent.ota' ||
        f.substr(0, 10) === 'edgent.cfg' || (seen >= 0 && seen + f.length + 2 <= K.f.length + 1)) return 'bad file name ' + f;
      K.f += f + '\0';
      K.hs = 5;
      return '';
    }
    case 5:
      if (String(parseInt(f, 10)) !== f || !(+f > 0)) return 'bad size';
      K.sum += +f;
      K.f += f + '\0';
      K.hs = 6;
      return '';
  }
  if (hex8(parseInt(f, 16)) !== f) return 'bad CRC';
  K.f += f + '\0';
  K.cnt++;
  K.hs = 4;
  return '';
}

/**
 * The entry of index text `x` at `i`: the file, an error text, or null when
 * the entry is not complete in `x`.
 */
export function entry(x: string, i: number): ImageFile | string | null {
  const s = x.indexOf('\0', i) + 1;
  const c = s ? x.indexOf('\0', s) + 1 : 0;
  const e = c ? x.indexOf('\0', c) : -1;
  if (e < 0) return null;
  const size = x.substring(s, c - 1);
  const crc = x.substring(c, e);
  if (String(parseInt(size, 10)) !== size || !(+size > 0)) return 'bad size';
  if (hex8(parseInt(crc, 16)) !== crc) return 'bad CRC';
  return { n: x.substring(i, s - 1), s: +size, c: crc, r: e + 1 };
}

/** The slot record through the board's flash. */
function record(S: Device): SlotRecord {
  return slotRead(S.hw.flash.read, S.hw.system.crc as (d: string) => number);
}

/** Writes `r` as the next slot record; false when the flash refused it. */
function keep(S: Device, r: SlotRecord): boolean {
  const fl = S.hw.flash;
  try {
    return slotWrite(fl.write, S.hw.system.crc as (d: string) => number, r);
  } catch (e) {
    return false;
  }
}

/** (Re)arms the idle timer of download `K`. */
function idle(S: Device, K: OtaState): void {
  const c = S.hw.clock;
  if (K.t !== undefined) c.clearTimeout(K.t);
  K.t = c.setTimeout(S.h.use.bind(null, OTA_MODULE, 'otaOn', S, K.n, 1), OTA_IDLE_MS);
}

/** Ends the update: `why` = '' switched to the new slot, else what failed (logged, kept for the next login). */
function done(S: Device, why: string): void {
  const K = S.ota;
  if (K && K.t !== undefined) S.hw.clock.clearTimeout(K.t);
  S.ota = undefined;
  if (why) S.hw.system.log('OTA failed: ' + why);
  // Kept for the next login's report (a board without a CRC has no slot record to keep it in).
  if (why && S.hw.system.crc) {
    const r = record(S);
    r.w = why;
    keep(S, r);
  }
  S.h.putOff(why ? 'update_failed' : 'updated');
}

/**
 * A failure found by the data path (`otaData`, in the download's own module):
 * ended by this module's `otaEnd`, loaded for it.
 */
function fail(S: Device, why: string): void {
  S.h.use(OTA_MODULE, 'otaEnd', S, why);
}

/** A header of a response, whatever the case of its name. */
function header(res: HttpClientResponse, name: string): string | undefined {
  const h = res.headers || {};
  for (const k in h) if (k.toLowerCase() === name) return h[k];
  return undefined;
}

/** Stores the body bytes of download `K` that chunk `d` has from `i` on. */
function body(S: Device, K: OtaState, d: string, i: number): void {
  const fl = S.hw.flash;
  while (i < d.length) {
    if (!K.f) return fail(S, 'trailing bytes');
    const f = entry(K.f, 0) as ImageFile;
    const take = f.s - K.o < d.length - i ? f.s - K.o : d.length - i;
    const name = K.p + f.n;
    let ok: boolean;
    // Most chunks go to one file whole: no copy of them then (on the board a chunk is about 45 blocks).
    try {
      ok = fl.write(name, i || take < d.length ? d.substr(i, take) : d, K.o, f.s);
    } catch (e) {
      ok = false;
    }
    if (!ok) return fail(S, 'flash write failed: ' + name);
    K.o += take;
    i += take;
    if (K.o === f.s) {
      // The file as it landed in flash, read back (memory-mapped: no copy).
      if (hex8((S.hw.system.crc as (d: string) => number)(fl.read(name) || '')) !== f.c) return fail(S, 'CRC mismatch: ' + f.n);
      K.f = K.f.substr(f.r);
      K.o = 0;
    }
  }
}

/**
 * Bytes `d` of download `K` while its head is read: its fields are taken as
 * they come (a field a chunk ends in waits in `K.b`), and once the index is
 * complete it is checked against the product, the download's length and the
 * free Storage space, and the rest of `d` goes to the bodies.
 */
function head(S: Device, K: OtaState, d: string): void {
  let i = 0;
  while (K.hs < 7) {
    const e = d.indexOf('\0', i);
    if (e < 0) {
      K.b += d.substr(i);
      if (K.b.length > MAX_FIELD_BYTES) fail(S, 'bad image: a field of its head is too long');
      return;
    }
    const why = headField(K, K.b + d.substring(i, e));
    K.b = '';
    i = e + 1;
    if (why) return fail(S, 'bad image: ' + why);
  }
  const o = S.o;
  if (K.ty !== (o.fwType || o.templateId)) return fail(S, 'wrong fw-type ' + K.ty);
  const end = K.got - d.length + i;
  if (end + K.sum !== K.len) return fail(S, 'bad image: its files add up to ' + (end + K.sum) + ' bytes, the download to ' + K.len);
  const fl = S.hw.flash;
  if (fl.getStats) {
    // Storage's header per file and its 4-byte alignment; what the update replaces is freed as it goes.
    let need = 0;
    let have = 0;
    for (let j = 0; j < K.f.length; ) {
      const f = entry(K.f, j) as ImageFile;
      need += STORAGE_FILE_OVERHEAD + ((f.s + 3) & ~3);
      const old = fl.read(K.p + f.n);
      if (old) have += STORAGE_FILE_OVERHEAD + ((old.length + 3) & ~3);
      j = f.r;
    }
    const st = fl.getStats();
    have += st.freeBytes + st.trashBytes;
    if (need > have) return fail(S, 'no space: ' + need + ' bytes needed, ' + have + ' free');
  }
  S.hw.system.log('OTA: ' + o.fwVer + ' -> ' + K.v + ', ' + K.cnt + ' files, ' + K.len + ' bytes');
  body(S, K, d, i);
}

/**
 * Starts the update from `url` (the `ota` command's): over TLS where the
 * board has it, else `https://` is fetched as `http://`, as Blynk's firmware
 * for boards without TLS does. Reports `update_failed` when it cannot start.
 */
export function otaStart(S: Device, url: string): void {
  const hw = S.hw;
  const sl = hw.system.slot;
  if (!sl) return done(S, 'no slot loader in this firmware');
  if (!hw.http.get || !hw.flash.getStats || !hw.system.crc) return done(S, 'this board cannot download');
  // The URL is not kept: its RAM is the download's.
  S.air = undefined;
  if (!hw.net.tls && url.substr(0, 8) === 'https://') url = 'http://' + url.substr(8);
  const K: OtaState = S.ota = {
    n: S.epoch, p: SLOT_PREFIXES[sl.p === SLOT_PREFIXES[0] ? 1 : 0], len: 0, got: 0, m: '', hs: 0, b: '', keys: '', k: '', v: '', ty: '',
    f: '', o: 0, cnt: 0, sum: 0
  };
  const o = S.o;
  const ca = typeof o.tlsCa === 'string' ? atob(pemBody(o.tlsCa)) : undefined;
  S.hw.system.log('OTA: downloading ' + url);
  try {
    hw.http.get(url, S.h.use.bind(null, OTA_MODULE, 'otaOn', S, K.n), ca).on('error', S.h.use.bind(null, OTA_MODULE, 'otaOn', S, K.n));
  } catch (e) {
    return done(S, 'download: ' + e);
  }
  idle(S, K);
}

/**
 * A body chunk `d` of download `n` (the module `edgent-otad`, loaded for each
 * chunk: the MD5, the head's fields, the files' bytes; a failure loads this
 * module's `otaEnd`). Chunks of another download are ignored.
 */
export function otaData(S: Device, n: number, d: string): void {
  const K = S.ota;
  if (!K || K.n !== n || !K.len) return;
  idle(S, K);
  K.got += d.length;
  if (K.got > K.len) return fail(S, 'more bytes than Content-Length');
  if (!K.h) K.h = md5Start();
  md5Add(K.h, d);
  if (K.got === K.len) {
    K.md = md5Hex(K.h);
    K.h = undefined;
  }
  if (K.hs < 7) head(S, K, d);
  else body(S, K, d, 0);
}

/** Ends the update in progress: `why` = '' switched to the new slot, else what failed (see `done`). */
export function otaEnd(S: Device, why: string): void {
  if (S.ota) done(S, why);
}

/**
 * An event of download `n`: the response (its head is in), an error
 * (`{message}`), 0 (the connection closed) or 1 (the idle timer). Events of
 * another download are ignored.
 */
export function otaOn(S: Device, n: number, ev: any): void {
  const K = S.ota;
  if (!K || K.n !== n) return;
  if (ev === 1) return done(S, 'no data for ' + OTA_IDLE_MS / 1000 + ' s');
  if (ev === 0) {
    if (K.hs < 7 || K.f || K.got < K.len) return done(S, 'short download: ' + K.got + ' of ' + K.len + ' bytes');
    if (K.m && K.md !== K.m) return done(S, 'bad MD5');
    const r = record(S);
    r.a = K.p === SLOT_PREFIXES[0] ? 0 : 1;
    r.t = 1;
    r.w = '';
    if (!keep(S, r)) return done(S, 'flash write failed: ' + SLOT_FILES[r.q % 2]);
    S.hw.system.log('OTA: ' + K.v + ' written, rebooting into it');
    return done(S, '');
  }
  if (ev && ev.statusCode !== undefined) {
    idle(S, K);
    const res = ev as HttpClientResponse;
    if (+res.statusCode !== 200) return done(S, 'HTTP ' + res.statusCode);
    const len = header(res, 'content-length');
    K.len = len ? parseInt(len, 10) : 0;
    if (!(K.len > 0)) return done(S, 'no Content-Length');
    // An x-MD5 of 32 hex digits is checked; anything else in it is not an MD5.
    const m = (header(res, 'x-md5') || '').toLowerCase();
    let ok = m.length === 32;
    for (let j = 0; ok && j < 32; j += 8) ok = hex8(parseInt(m.substr(j, 8), 16)) === m.substr(j, 8);
    if (ok) K.m = m;
    // The body's chunks go to the download's own module, the end here.
    res.on('data', S.h.use.bind(null, OTA_DATA_MODULE, 'otaData', S, n));
    res.on('close', S.h.use.bind(null, OTA_MODULE, 'otaOn', S, n, 0));
    return;
  }
  // Over TLS the server's closing of a finished download comes as an error (Espruino 2v29: -30848, the
  // peer's close_notify) before the close: with every byte in, the close decides.
  if (K.hs === 7 && !K.f && K.got === K.len) return;
  const msg = ev && ev.message ? ev.message : String(ev);
  done(S, K.len ? 'short download: ' + K.got + ' of ' + K.len + ' bytes (' + msg + ')' : 'download: ' + msg);
}

/**
 * The first login of a firmware the loader marked (`SlotInfo.c`): a new
 * firmware on trial is confirmed (the loader keeps it from now on), and a
 * failed update is reported to the cloud (`sys_ota`, "OTA failed: <why>").
 */
export function otaCheckIn(S: Device): void {
  const sl = S.hw.system.slot;
  if (!sl || !sl.c || !S.hw.system.crc) return;
  const r = record(S);
  if (r.t) S.hw.system.log('OTA: firmware ' + S.o.fwVer + ' confirmed');
  // A failure not sent (the link dropped meanwhile) waits for the next login.
  if (r.w && S.cloud && S.h.use(CLOUD_MODULE, 'cloudPins', S.cloud, OTA_EVENT, 'OTA failed: ' + r.w)) r.w = '';
  r.t = 0;
  if (keep(S, r) && !r.w) sl.c = 0;
}
