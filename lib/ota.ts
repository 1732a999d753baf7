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

/** One file of an image's index. */
export interface ImageFile {
  /** Storage name, without a slot prefix. */
  n: string;
  /** Size in bytes. */
  s: number;
  /** CRC-32, 8 lowercase hex digits. */
  c: string;
}

/** The tag and index at the start of an image (`imageHead`). */
export interface ImageHead {
  /** Firmware version (`mcu`). */
  v: string;
  /** Firmware type (`fw-type`). */
  ty: string;
  /** The files, in index order. */
  f: ImageFile[];
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
  /** The index, once read; the file being written and the bytes of it written. */
  f?: ImageFile[];
  i: number;
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
 * error text, or null while more bytes are needed.
 */
export function imageHead(b: string): ImageHead | string | null {
  const f = b.split('\0');
  // Fields ended by a NUL: the last element is not one yet.
  const n = f.length - 1;
  if (n < 1) return b.length > 7 && b.substr(0, 8) !== 'blnkinf\0' ? 'bad tag magic' : null;
  if (f[0] !== 'blnkinf') return 'bad tag magic';
  let i = 1;
  let keys = '';
  const tag: { [k: string]: string } = {};
  for (;;) {
    if (i >= n) return null;
    const k = f[i++];
    if (!k) break;
    if (i >= n) return null;
    keys += k + ',';
    tag[k] = f[i++];
  }
  if (keys !== 'mcu,fw-type,build,blynk,' || !tag.mcu || !tag['fw-type']) return 'bad tag';
  if (i >= n) return null;
  if (f[i++] !== 'edgota1') return 'bad index magic';
  const files: ImageFile[] = [];
  const seen: { [k: string]: number } = {};
  for (;;) {
    if (i >= n) return null;
    const name = f[i++];
    if (!name) break;
    if (i + 1 >= n) return null;
    const size = f[i++];
    const crc = f[i++];
    // A slot's own files only: never a boot file, the slot record, the config record or the other slot's names.
    if (name.length > 27 || name.charAt(0) === '.' || name.charAt(0) === '~' || name.substr(0, 10) === 'edgent.ota' ||
      name.substr(0, 10) === 'edgent.cfg' || seen[name]) return 'bad file name ' + name;
    seen[name] = 1;
    if (String(parseInt(size, 10)) !== size || !(+size > 0)) return 'bad size';
    if (hex8(parseInt(crc, 16)) !== crc) return 'bad CRC';
    files.push({ n: name, s: +size, c: crc });
  }
  if (!files.length || files[0].n !== BOOT_FILE) return 'first file is not ' + BOOT_FILE;
  return { v: tag.mcu, ty: tag['fw-type'], f: files, end: f.slice(0, i).join('\0').length + 1 };
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

/** Stores the body bytes `d` of download `K`; true when they were taken. */
function body(S: Device, K: OtaState, d: string): boolean {
  const fl = S.hw.flash;
  while (d.length) {
    const f = (K.f as ImageFile[])[K.i];
    if (!f) {
      done(S, 'trailing bytes');
      return false;
    }
    const take = f.s - K.o < d.length ? f.s - K.o : d.length;
    const name = K.p + f.n;
    let ok: boolean;
    try {
      ok = fl.write(name, d.substr(0, take), K.o, f.s);
    } catch (e) {
      ok = false;
    }
    if (!ok) {
      done(S, 'flash write failed: ' + name);
      return false;
    }
    K.o += take;
    d = d.substr(take);
    if (K.o === f.s) {
      // The file as it landed in flash, read back (memory-mapped: no copy).
      if (hex8((S.hw.system.crc || crc32)(fl.read(name) || '')) !== f.c) {
        done(S, 'CRC mismatch: ' + f.n);
        return false;
      }
      K.i++;
      K.o = 0;
    }
  }
  return true;
}

/** The first bytes of download `K` with the head still incomplete: reads and checks it once it is in. */
function head(S: Device, K: OtaState, d: string): void {
  K.b += d;
  const r = imageHead(K.b);
  if (r === null) {
    if (K.b.length > MAX_HEAD_BYTES) done(S, 'bad image: no index in the first ' + MAX_HEAD_BYTES + ' bytes');
    return;
  }
  if (typeof r === 'string') return done(S, 'bad image: ' + r);
  const o = S.o;
  if (r.ty !== (o.fwType || o.templateId)) return done(S, 'wrong fw-type ' + r.ty);
  let total = r.end;
  let need = 0;
  let have = 0;
  const fl = S.hw.flash;
  for (let i = 0; i < r.f.length; i++) {
    const f = r.f[i];
    total += f.s;
    need += STORAGE_FILE_OVERHEAD + ((f.s + 3) & ~3);
    const old = fl.read(K.p + f.n);
    if (old) have += STORAGE_FILE_OVERHEAD + ((old.length + 3) & ~3);
  }
  if (total !== K.len) return done(S, 'bad image: its files add up to ' + total + ' bytes, the download to ' + K.len);
  if (fl.getStats) {
    const st = fl.getStats();
    have += st.freeBytes + st.trashBytes;
    if (need > have) return done(S, 'no space: ' + need + ' bytes needed, ' + have + ' free');
  }
  K.f = r.f;
  K.v = r.v;
  d = K.b.substr(r.end);
  K.b = '';
  S.hw.system.log('OTA: ' + o.fwVer + ' -> ' + r.v + ', ' + r.f.length + ' files, ' + K.len + ' bytes');
  body(S, K, d);
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
    n: S.epoch, p: SLOT_PREFIXES[sl.p === SLOT_PREFIXES[0] ? 1 : 0], len: 0, got: 0, m: '', b: '', i: 0, o: 0, v: ''
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
    if (!K.f || K.got < K.len || K.i < K.f.length) return done(S, 'short download: ' + K.got + ' of ' + K.len + ' bytes');
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
    if (!K.f) head(S, K, ev);
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
