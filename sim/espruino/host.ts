/**
 * Host-side helpers shared by the virtual board (never bundled):
 * - host timers looked up on `globalThis` at call time, so `sinon.useFakeTimers()`
 *   installed after the board was created still drives every delay;
 * - a timer group that remembers every pending host timer so a reboot or a
 *   power cut can cancel them all (each cleared with the clear function that
 *   matches the implementation that created it);
 * - latin1 byte-string conversions and the standard CRC-32.
 */

/** A pending host timer and the function that cancels it. */
interface PendingTimer {
  handle: unknown;
  clear: (handle: unknown) => void;
}

/** Milliseconds since the epoch, read from the host clock at call time. */
export function hostNow(): number {
  return (globalThis as { Date: DateConstructor }).Date.now();
}

/**
 * A set of host timers that can be cancelled together. Every timer of the
 * emulation (device timers, scan and connect delays, event dispatch) lives in
 * the group of the boot that created it.
 */
export class TimerGroup {
  private readonly _pending = new Set<PendingTimer>();
  private _closed = false;

  /**
   * Runs `fn` once after `ms` host milliseconds (unless the group is cleared
   * first). Returns a token for {@link TimerGroup.cancel}.
   */
  after(ms: number, fn: () => void): object {
    const g = globalThis as unknown as {
      setTimeout: (f: () => void, ms: number) => unknown;
      clearTimeout: (h: unknown) => void;
    };
    const entry: PendingTimer = { handle: undefined, clear: g.clearTimeout };
    if (this._closed) return entry;
    entry.handle = g.setTimeout(() => {
      this._pending.delete(entry);
      if (!this._closed) fn();
    }, Math.max(0, ms));
    this._pending.add(entry);
    return entry;
  }

  /** Cancels one timer created by {@link TimerGroup.after}; unknown tokens are ignored. */
  cancel(token: object | undefined): void {
    const entry = token as PendingTimer | undefined;
    if (!entry || !this._pending.has(entry)) return;
    this._pending.delete(entry);
    entry.clear(entry.handle);
  }

  /** Cancels every pending timer; later calls to `after` schedule nothing. */
  close(): void {
    this._closed = true;
    for (const entry of this._pending) entry.clear(entry.handle);
    this._pending.clear();
  }
}

/** Converts a byte string (one char per byte) to bytes; chars above 0xFF keep their low byte. */
export function bytesFromLatin1(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 0xff;
  return out;
}

/** Converts bytes to a byte string (one char per byte). */
export function latin1FromBytes(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i += 8192) {
    s += String.fromCharCode(...b.subarray(i, Math.min(b.length, i + 8192)));
  }
  return s;
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** Standard CRC-32 (IEEE 802.3) of a byte string, as an unsigned number like `E.CRC32`. */
export function crc32(s: string): number {
  let c = 0xffffffff;
  for (let i = 0; i < s.length; i++) c = CRC_TABLE[(c ^ s.charCodeAt(i)) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** Parses 'AA:BB:CC:DD:EE:FF' into 6 bytes; throws on anything else. */
export function parseMac(mac: string): number[] {
  const parts = mac.split(':');
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{2}$/.test(p))) {
    throw new TypeError(`bad MAC address '${mac}'`);
  }
  return parts.map((p) => parseInt(p, 16));
}

/** Formats 6 bytes as Espruino does ('%02x:' — lower case). */
export function formatMac(bytes: number[]): string {
  return bytes.map((b) => (b & 0xff).toString(16).padStart(2, '0')).join(':');
}
