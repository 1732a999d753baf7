/**
 * The firmware update (Storage module `edgent-ota`): Blynk.Air's download of
 * an OTA image (docs/ota-image.md) into the slot that is not running
 * (lib/slots.ts), checked as it streams, then the switch to it. The device
 * loads this module for each event of the download (the response, each body
 * chunk, the end, an error, the idle timer: one bound relay per download,
 * as for the cloud client) and for its first login after an update or a
 * failed one (`otaCheckIn`); the download's state is `Device.ota`.
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
import { CLOUD_MODULE, OTA_MODULE } from './modules';
import { BOOT_FILE, OTA_EVENT, SLOT_FILES, SLOT_PREFIXES, SlotRecord, slotRead, slotWrite } from './slots';
import { Md5State, md5Add, md5Hex, md5Start } from './md5';
import { crc32 } from './crc32';
import { pemBody } from './cloud';

/** Base64 to a byte string: a global of Espruino and of Node. */
declare function atob(base64: string): string;

/** The update gives up after this long without a byte (or the answer's head). */
export const OTA_IDLE_MS = 30000;
/** Bytes of Storage's header per file (size and 28-byte name), files aligned to 4 bytes. */
export const STORAGE_FILE_OVERHEAD = 32;
/** The tag and the index must end within this many bytes of the image's start. */
export const MAX_HEAD_BYTES = 2048;

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

/** The tag and index at the start of an image (`imageHead`). */
export interface ImageHead {
  /** Firmware version (`mcu`). */
  v: string;
  /** Firmware type (`fw-type`). */
  ty: string;
  /**
   * The index as text, `name\0size\0crc\0` per file, checked (`entry`
   * reads one file of it): on the board a list of objects would cost RAM
   * per file for the whole download.
   */
  x: string;
  /** Number of files, and the bytes of their bodies. */
  k: number;
  sum: number;
  /** Bytes of the tag and index: the bodies start here. */
  end: number;
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
  /** The digest so far. */
  h?: Md5State;
  /** Head bytes received while the index is incomplete. */
  b: string;
  /** The index entries (`ImageHead.x`) of the files not complete yet, once the head is read: the first is being written, `o` bytes of it so far. */
  f?: string;
  o: number;
  /** Version coming. */
  v: string;
}

/** `x` as 8 lowercase hex digits. */
function hex8(x: number): string {
  return ('0000000' + (x >>> 0).toString(16)).substr(-8);
}

/**
 * Reads the tag and the index from the first bytes of an image: the head, an
 * error text, or null while more bytes are needed. Fields are taken one at a
 * time from `b` (the first bytes also hold the start of the bodies).
 */
export function imageHead(b: string): ImageHead | string | null {
  let e = b.indexOf('\0');
  if (e < 0) return b.length > 7 ? 'bad tag magic' : null;
  if (b.substr(0, e) !== 'blnkinf') return 'bad tag magic';
  let i = e + 1;
  let keys = '';
  const tag: { [k: string]: string } = {};
  for (;;) {
    e = b.indexOf('\0', i);
    if (e < 0) return null;
    const k = b.substring(i, e);
    i = e + 1;
    if (!k) break;
    e = b.indexOf('\0', i);
    if (e < 0) return null;
    keys += k + ',';
    if (keys.length > 24) return 'bad tag';
    tag[k] = b.substring(i, e);
    i = e + 1;
  }
  if (keys !== 'mcu,fw-type,build,blynk,' || !tag.mcu || !tag['fw-type']) return 'bad tag';
  e = b.indexOf('\0', i);
  if (e < 0) return null;
  if (b.substring(i, e) !== 'edgota1') return 'bad index magic';
  const from = e + 1;
  let names = '\0';
  let k = 0;
  let sum = 0;
  for (i = from; ;) {
    if (b.indexOf('\0', i) === i) break;
    const f = entry(b, i);
    if (!f) return null;
    if (typeof f === 'string') return f;
    // A slot's own files only: never a boot file, the slot record, the config record or the other slot's names.
    // Espruino's indexOf also matches where the text ends part-way through the pattern: a hit must fit.
    const seen = names.indexOf('\0' + f.n + '\0');
    if (f.n.length > 27 || f.n.charAt(0) === '.' || f.n.charAt(0) === '~' || f.n.substr(0, 10) === 'edgent.ota' ||
      f.n.substr(0, 10) === 'edgent.cfg' || (seen >= 0 && seen + f.n.length + 2 <= names.length)) return 'bad file name ' + f.n;
    if (!k && f.n !== BOOT_FILE) return 'first file is not ' + BOOT_FILE;
    names += f.n + '\0';
    k++;
    sum += f.s;
    i = f.r;
  }
  if (!k) return 'first file is not ' + BOOT_FILE;
  return { v: tag.mcu, ty: tag['fw-type'], x: b.substring(from, i), k: k, sum: sum, end: i + 1 };
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
  return slotRead(S.hw.flash.read, S.hw.system.crc || crc32);
}

function keep(S: Device, r: SlotRecord): boolean {
  const fl = S.hw.flash;
  try {
    return slotWrite(fl.write, S.hw.system.crc || crc32, r);
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
  if (why) {
    S.hw.system.log('OTA failed: ' + why);
    const r = record(S);
    r.w = why;
    keep(S, r);
  }
  S.h.putOff(why ? 'update_failed' : 'updated');
}

/** A header of a response, whatever the case of its name. */
function header(res: HttpClientResponse, name: string): string | undefined {
  const h = res.headers || {};
  for (const k in h) if (k.toLowerCase() === name) return h[k];
  return undefined;
}

/** Stores the body bytes `d` of download `K`. */
function body(S: Device, K: OtaState, d: string): void {
  const fl = S.hw.flash;
  while (d.length) {
    if (!K.f) return done(S, 'trailing bytes');
    const f = entry(K.f, 0) as ImageFile;
    const take = f.s - K.o < d.length ? f.s - K.o : d.length;
    const name = K.p + f.n;
    let ok: boolean;
    try {
      ok = fl.write(name, d.substr(0, take), K.o, f.s);
    } catch (e) {
      ok = false;
    }
    if (!ok) return done(S, 'flash write failed: ' + name);
    K.o += take;
    d = d.substr(take);
    if (K.o === f.s) {
      // The file as it landed in flash, read back (memory-mapped: no copy).
      if (hex8((S.hw.system.crc || crc32)(fl.read(name) || '')) !== f.c) return done(S, 'CRC mismatch: ' + f.n);
      K.f = K.f.substr(f.r);
      K.o = 0;
    }
  }
}

/** The first bytes of download `K` with the head still incomplete: reads and checks it once it is in. */
function head(S: Device, K: OtaState, d: string): void {
  const b = K.b ? K.b + d : d;
  const r = imageHead(b);
  if (r === null) {
    if (b.length > MAX_HEAD_BYTES) return done(S, 'bad image: no index in the first ' + MAX_HEAD_BYTES + ' bytes');
    K.b = b;
    return;
  }
  K.b = '';
  if (typeof r === 'string') return done(S, 'bad image: ' + r);
  const o = S.o;
  if (r.ty !== (o.fwType || o.templateId)) return done(S, 'wrong fw-type ' + r.ty);
  if (r.end + r.sum !== K.len) return done(S, 'bad image: its files add up to ' + (r.end + r.sum) + ' bytes, the download to ' + K.len);
  const fl = S.hw.flash;
  if (fl.getStats) {
    // Storage's header per file and its 4-byte alignment; what the update replaces is freed as it goes.
    let need = 0;
    let have = 0;
    for (let i = 0; i < r.x.length; ) {
      const f = entry(r.x, i) as ImageFile;
      need += STORAGE_FILE_OVERHEAD + ((f.s + 3) & ~3);
      const old = fl.read(K.p + f.n);
      if (old) have += STORAGE_FILE_OVERHEAD + ((old.length + 3) & ~3);
      i = f.r;
    }
    const st = fl.getStats();
    have += st.freeBytes + st.trashBytes;
    if (need > have) return done(S, 'no space: ' + need + ' bytes needed, ' + have + ' free');
  }
  K.f = r.x;
  K.v = r.v;
  S.hw.system.log('OTA: ' + o.fwVer + ' -> ' + r.v + ', ' + r.k + ' files, ' + K.len + ' bytes');
  body(S, K, b.substr(r.end));
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
  if (!hw.http.get || !hw.flash.getStats) return done(S, 'this board cannot download');
  if (!hw.net.tls && url.substr(0, 8) === 'https://') url = 'http://' + url.substr(8);
  const K: OtaState = S.ota = {
    n: S.epoch, p: SLOT_PREFIXES[sl.p === SLOT_PREFIXES[0] ? 1 : 0], len: 0, got: 0, m: '', b: '', o: 0, v: ''
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
 * An event of download `n`: the response (its head is in), a body chunk
 * (byte string), an error (`{message}`), 0 (the connection closed) or 1 (the
 * idle timer). Events of another download are ignored.
 */
export function otaOn(S: Device, n: number, ev: any): void {
  const K = S.ota;
  if (!K || K.n !== n) return;
  if (ev === 1) return done(S, 'no data for ' + OTA_IDLE_MS / 1000 + ' s');
  if (ev === 0) {
    if (K.f !== '' || K.got < K.len) return done(S, 'short download: ' + K.got + ' of ' + K.len + ' bytes');
    if (K.m && md5Hex(K.h as Md5State) !== K.m) return done(S, 'bad MD5');
    const r = record(S);
    r.a = K.p === SLOT_PREFIXES[0] ? 0 : 1;
    r.t = 1;
    r.w = '';
    if (!keep(S, r)) return done(S, 'flash write failed: ' + SLOT_FILES[r.q % 2]);
    S.hw.system.log('OTA: ' + K.v + ' written, rebooting into it');
    return done(S, '');
  }
  idle(S, K);
  if (typeof ev === 'string') {
    if (!K.h) return;
    K.got += ev.length;
    if (K.got > K.len) return done(S, 'more bytes than Content-Length');
    md5Add(K.h, ev);
    if (K.f === undefined) head(S, K, ev);
    else body(S, K, ev);
    return;
  }
  if (ev && ev.statusCode !== undefined) {
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
    K.h = md5Start();
    const relay = S.h.use.bind(null, OTA_MODULE, 'otaOn', S, n);
    res.on('data', relay);
    res.on('close', S.h.use.bind(null, OTA_MODULE, 'otaOn', S, n, 0));
    return;
  }
  done(S, 'download: ' + (ev && ev.message ? ev.message : String(ev)));
}

/**
 * The first login of a firmware the loader marked (`SlotInfo.c`): a new
 * firmware on trial is confirmed (the loader keeps it from now on), and a
 * failed update is reported to the cloud (`sys_ota`, "OTA failed: <why>").
 */
export function otaCheckIn(S: Device): void {
  const sl = S.hw.system.slot;
  if (!sl || !sl.c) return;
  const r = record(S);
  if (r.t) S.hw.system.log('OTA: firmware ' + S.o.fwVer + ' confirmed');
  // A failure not sent (the link dropped meanwhile) waits for the next login.
  if (r.w && S.cloud && S.h.use(CLOUD_MODULE, 'cloudPins', S.cloud, OTA_EVENT, 'OTA failed: ' + r.w)) r.w = '';
  r.t = 0;
  if (keep(S, r) && !r.w) sl.c = 0;
}
