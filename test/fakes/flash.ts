/**
 * In-memory `FlashPort` with Espruino `Storage` semantics, for tests.
 *
 * - `write(name, data)` deletes the old copy first, then writes byte by byte;
 *   zero-length data, names over 28 chars and chars above 255 are refused
 *   (nothing changes).
 * - `read(name, offset, length)`: undefined for a missing file, '' past its end.
 * - `cutPowerAfter(n)`: the next writes stop after exactly n more bytes; the
 *   file being written is left truncated (absent if cut before its first
 *   byte) and every later write or erase does nothing and fails until
 *   `powerOn()`. A write whose last byte is the n-th also returns false: the
 *   chip died before the call could return.
 * - `files`, `bytesWritten`, `writes`, `powered` for inspection; tests may
 *   edit `files` to corrupt data.
 */

import { FlashPort } from '../../lib/ports';

/** Longest Storage file name. */
export const MAX_NAME_LENGTH = 28;

/** A fake flash; see the module comment. */
export class FakeFlash implements FlashPort {
  /** File contents by name (byte strings). Tests may edit it directly. */
  files = new Map<string, string>();
  /** Bytes written since creation (a cut write counts what reached flash). */
  bytesWritten = 0;
  /** Write calls accepted while powered (including one that was cut). */
  writes = 0;
  /** False between a power cut and `powerOn()`. */
  powered = true;
  private budget = Infinity;

  /** Reads a file, or `length` bytes of it from `offset`. */
  read(name: string, offset?: number, length?: number): string | undefined {
    const data = this.files.get(name);
    if (data === undefined) return undefined;
    const start = offset || 0;
    return data.substr(start, length === undefined ? data.length : length);
  }

  /** Replaces a file: deletes the old copy, then writes byte by byte. */
  write(name: string, data: string): boolean {
    if (!this.powered) return false;
    if (typeof data !== 'string' || data.length === 0 || name.length === 0 || name.length > MAX_NAME_LENGTH) {
      return false;
    }
    for (let i = 0; i < data.length; i++) {
      if (data.charCodeAt(i) > 255) return false;
    }
    this.writes++;
    this.files.delete(name);
    const n = Math.min(data.length, this.budget);
    if (n > 0) this.files.set(name, data.substr(0, n));
    this.bytesWritten += n;
    this.budget -= n;
    if (this.budget <= 0) {
      this.powered = false;
      this.budget = Infinity;
      return false;
    }
    return true;
  }

  /** Deletes a file (no-op when absent or while the power is off). */
  erase(name: string): void {
    if (this.powered) this.files.delete(name);
  }

  /** Cuts the power once `n` more bytes have been written. */
  cutPowerAfter(n: number): void {
    this.budget = n;
  }

  /** Restores the power and cancels any pending cut. */
  powerOn(): void {
    this.powered = true;
    this.budget = Infinity;
  }
}
