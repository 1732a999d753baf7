/**
 * The flash image of the virtual board and Espruino's `Storage` module.
 *
 * Model (ported from Espruino's jsflash.c `jsfWriteFile`):
 * - files are kept in flash order; names are truncated to 28 bytes;
 * - `write(name, data)` (no offset) replaces a file: if the same bytes are
 *   already there nothing is written; otherwise the old copy is DELETED FIRST
 *   (a 4-byte mark, its space becomes trash), then a 32-byte header is
 *   written, then the data. A file's unwritten bytes read as 0xFF (erased
 *   flash), there is no checksum;
 * - `write(name, data, 0, size)` creates a fixed-size file (or reuses an
 *   erased one of that size); `write(name, data, offset)` fills bytes that are
 *   still erased, else throws "File already written with different data";
 * - zero-length writes throw "Can't create zero length file";
 * - each file costs 32 + size rounded up to 4 bytes; deleted files are trash
 *   until `compact()` (or until a create needs the room);
 * - capacity: ESP8266 (4 MB module) 192 KB, ESP32 896 KB.
 *
 * Power cuts: `armCut(n)` counts device-initiated flash bytes (delete marks,
 * headers, data, Wifi config sectors). When the n-th byte is written the
 * write stops right there: a delete mark takes effect only when complete, a
 * header only when complete (until then the file is missing), data keeps
 * exactly the bytes written and the rest stays 0xFF. Host uploads
 * (`board.storage`) are never counted.
 *
 * Persistence: with a `flashFile`, the image is rewritten (JSON, base64 file
 * contents) after every change, so it survives reboots and host restarts.
 */
import fs from 'fs';
import path from 'path';
import { bytesFromLatin1, latin1FromBytes } from './host';
import { jsonParse, jsonStringify } from './bytes-api';
import type { Realm } from './realm';
import type { Chip } from './types';

/** Bytes of a Storage file header (size + 28-byte name). */
export const STORAGE_HEADER_BYTES = 32;
/** Bytes written to mark a file deleted. */
export const STORAGE_DELETE_BYTES = 4;
/** Longest Storage file name; longer names are truncated. */
export const STORAGE_NAME_MAX = 28;
/** Storage capacity per chip, bytes. */
export const STORAGE_CAPACITY: Record<Chip, number> = { ESP8266: 192 * 1024, ESP32: 896 * 1024 };

const FORMAT = 'espruino-sim-flash/1';

interface FlashFile {
  name: string;
  data: Uint8Array;
}

/** Thrown (host side) to unwind a device call interrupted by a power cut. */
export class PowerCutError extends Error {
  constructor() {
    super('Power cut');
  }
}

const footprint = (size: number): number => STORAGE_HEADER_BYTES + ((size + 3) & ~3);

/** Flash contents of one board: Storage files plus raw sectors (ESP8266 Wifi config). */
export class FlashImage {
  private _files: FlashFile[] = [];
  private _trashBytes = 0;
  private _trashCount = 0;
  private _sectors: Record<string, string> = {};
  private _budget: number | null = null;
  /** Device-initiated flash bytes written since this image was opened (what a power cut counts). */
  written = 0;
  private _onCut: (() => void) | null = null;

  /** Loads `file` if it exists (it must be an image of the same chip). */
  constructor(
    readonly chip: Chip,
    private readonly _file?: string,
  ) {
    if (_file && fs.existsSync(_file)) {
      const raw = JSON.parse(fs.readFileSync(_file, 'utf8'));
      if (raw.format !== FORMAT || raw.chip !== chip) throw new Error(`${_file} is not a ${chip} flash image`);
      this._files = raw.files.map((f: { name: string; data: string }) => ({
        name: f.name,
        data: new Uint8Array(Buffer.from(f.data, 'base64')),
      }));
      this._trashBytes = raw.trashBytes;
      this._trashCount = raw.trashCount;
      this._sectors = raw.sectors;
    }
  }

  /** Arms a power cut after `n` more device-initiated flash bytes; `onCut` powers the board off. */
  armCut(n: number, onCut: () => void): void {
    if (!Number.isInteger(n) || n < 0) throw new RangeError('byte count must be an integer >= 0');
    this._budget = n;
    this._onCut = onCut;
  }

  /** Names in flash order. */
  list(): string[] {
    return this._files.map((f) => f.name);
  }

  /** File contents as a byte string, or undefined. */
  read(name: string): string | undefined {
    const f = this._find(name);
    return f && latin1FromBytes(f.data);
  }

  /** Raw bytes of a file (a copy), or undefined. */
  readBytes(name: string): Uint8Array | undefined {
    const f = this._find(name);
    return f && f.data.slice();
  }

  /** Storage usage figures like `require('Storage').getStats()`. */
  stats(): { totalBytes: number; freeBytes: number; fileBytes: number; fileCount: number; trashBytes: number; trashCount: number } {
    const fileBytes = this._files.reduce((n, f) => n + footprint(f.data.length), 0);
    const totalBytes = STORAGE_CAPACITY[this.chip];
    return {
      totalBytes,
      freeBytes: totalBytes - fileBytes - this._trashBytes,
      fileBytes,
      fileCount: this._files.length,
      trashBytes: this._trashBytes,
      trashCount: this._trashCount,
    };
  }

  /**
   * Espruino's jsfWriteFile. `counted` = device-initiated (subject to power
   * cuts). Throws host Errors with Espruino's messages.
   */
  write(rawName: string, data: Uint8Array, offset = 0, sizeArg = 0, counted = true): boolean {
    const name = truncateName(rawName);
    if (offset < 0 || sizeArg < 0) return false;
    const size = sizeArg || data.length;
    if (!size) throw new Error("Can't create zero length file");
    let file = this._find(name);
    if (offset === 0 && (!file || file.data.length !== size || !isErased(file.data, 0, size))) {
      if (file && file.data.length === size && data.length === size && sameBytes(file.data, data)) return true;
      if (file) {
        this._spend(STORAGE_DELETE_BYTES, counted, true, () => this._delete(file as FlashFile));
      }
      if (footprint(size) > this.stats().freeBytes) this.compact();
      if (footprint(size) > this.stats().freeBytes) throw new Error('Unable to find or create file');
      const created: FlashFile = { name, data: new Uint8Array(size).fill(0xff) };
      this._spend(STORAGE_HEADER_BYTES, counted, true, () => this._files.push(created));
      file = created;
    }
    if (!file) throw new Error('Unable to find or create file');
    if (offset + data.length > file.data.length) throw new Error('Too much data for file size');
    if (!isErased(file.data, offset, data.length)) throw new Error('File already written with different data');
    const target = file;
    this._spend(data.length, counted, false, (n) => target.data.set(data.subarray(0, n), offset));
    return true;
  }

  /** Deletes a file (4-byte mark); missing files are ignored. */
  erase(rawName: string, counted = true): void {
    const f = this._find(truncateName(rawName));
    if (f) this._spend(STORAGE_DELETE_BYTES, counted, true, () => this._delete(f));
  }

  /** Erases the whole Storage area (sectors kept). */
  eraseAll(): void {
    this._files = [];
    this._trashBytes = 0;
    this._trashCount = 0;
    this._persist();
  }

  /** Reclaims the space of deleted files. */
  compact(): void {
    this._trashBytes = 0;
    this._trashCount = 0;
    this._persist();
  }

  /** A raw flash sector outside Storage (e.g. the ESP8266 Wifi config block). */
  readSector(key: string): string | undefined {
    return this._sectors[key];
  }

  /** Writes a raw sector of `bytes` flash bytes; a cut part-way leaves it invalid (removed). */
  writeSector(key: string, value: string, bytes: number): void {
    delete this._sectors[key];
    this._spend(bytes, true, true, () => {
      this._sectors[key] = value;
    });
  }

  private _find(name: string): FlashFile | undefined {
    return this._files.find((f) => f.name === name);
  }

  private _delete(f: FlashFile): void {
    this._files.splice(this._files.indexOf(f), 1);
    this._trashBytes += footprint(f.data.length);
    this._trashCount++;
  }

  /**
   * Writes `want` bytes through the cut budget. `apply(n)` makes the first n
   * bytes real; an `atomic` op (delete mark, header, sector) has no effect
   * unless complete. Persists, and cuts power when the budget runs out.
   */
  private _spend(want: number, counted: boolean, atomic: boolean, apply: (n: number) => void): void {
    if (counted) this.written += want;
    if (!counted || this._budget === null || this._budget > want) {
      if (counted && this._budget !== null) this._budget -= want;
      apply(want);
      this._persist();
      return;
    }
    const n = this._budget;
    this._budget = null;
    if (n === want) apply(want);
    else if (!atomic && n > 0) apply(n);
    this._persist();
    const onCut = this._onCut;
    this._onCut = null;
    if (onCut) onCut();
    throw new PowerCutError();
  }

  private _persist(): void {
    if (!this._file) return;
    const raw = {
      format: FORMAT,
      chip: this.chip,
      files: this._files.map((f) => ({ name: f.name, data: Buffer.from(f.data).toString('base64') })),
      trashBytes: this._trashBytes,
      trashCount: this._trashCount,
      sectors: this._sectors,
    };
    fs.mkdirSync(path.dirname(this._file), { recursive: true });
    const tmp = `${this._file}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(raw));
    fs.renameSync(tmp, this._file);
  }
}

function truncateName(name: string): string {
  return String(name).substr(0, STORAGE_NAME_MAX);
}

function isErased(b: Uint8Array, from: number, len: number): boolean {
  for (let i = from; i < from + len; i++) if (b[i] !== 0xff) return false;
  return true;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** Converts device data (string, typed array, ArrayBuffer, array of bytes, number) to bytes. */
export function deviceBytes(data: unknown): Uint8Array {
  if (typeof data === 'string') return bytesFromLatin1(data);
  if (typeof data === 'number' || typeof data === 'boolean') return bytesFromLatin1(String(data));
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
  if (Object.prototype.toString.call(data) === '[object ArrayBuffer]') return new Uint8Array((data as ArrayBuffer).slice(0));
  if (Array.isArray(data)) return Uint8Array.from(data, (v) => Number(v) & 0xff);
  throw new Error("Can't get pointer to data to write");
}

/** Builds the device-side `require('Storage')` module for one boot. */
export function createStorageModule(realm: Realm, flash: FlashImage): Record<string, any> {
  const read = (name: unknown, offset?: unknown, length?: unknown): string | undefined => {
    const s = flash.read(truncateName(String(name)));
    if (s === undefined) return undefined;
    let off = Number(offset) || 0;
    let len = Number(length) || 0;
    if (len <= 0) len = s.length;
    if (off > s.length) off = s.length;
    if (off + len > s.length) len = s.length - off;
    return len <= 0 ? '' : s.substr(off, len);
  };
  const write = (name: unknown, data: unknown, offset?: unknown, size?: unknown): boolean =>
    flash.write(String(name), deviceBytes(data), Number(offset) || 0, Number(size) || 0);
  return realm.obj({
    write,
    writeJSON: (name: unknown, data: unknown) => write(name, jsonStringify(data) ?? ''),
    read,
    readJSON: (name: unknown, noExceptions: unknown) => {
      const s = read(name);
      if (s === undefined) return undefined;
      try {
        return jsonParse(realm, s);
      } catch (e) {
        if (noExceptions) return undefined;
        throw e;
      }
    },
    readArrayBuffer: (name: unknown) => {
      const b = flash.readBytes(truncateName(String(name)));
      return b && realm.bytes(b).buffer;
    },
    erase: (name: unknown) => flash.erase(String(name)),
    eraseAll: () => flash.eraseAll(),
    compact: () => flash.compact(),
    getFree: () => flash.stats().freeBytes,
    getStats: () => flash.stats(),
    list: (filter?: { test?: (s: string) => boolean }) => {
      const names = flash.list();
      if (filter && typeof filter.test === 'function') {
        return names.filter((n) => Reflect.apply(filter.test as Function, filter, [n]));
      }
      return names;
    },
  });
}
