/**
 * A shared Wi-Fi scanner over `WifiPort.scan` for the portal's
 * `/wifi_scan.json`.
 *
 * - One scan at a time: callers arriving while a scan runs share it (the radio
 *   throws on a second concurrent scan).
 * - Every caller is answered within `SCAN_TIMEOUT_MS`: a scan that never calls
 *   back yields the last result (or `[]`). A late result still refreshes the
 *   cache.
 * - Results are tidied: hidden and empty SSIDs dropped, de-duplicated by SSID
 *   keeping the strongest, sorted by RSSI descending (ties by SSID), at most
 *   `MAX_SCAN_RESULTS`.
 * - The last result is reused for `cacheMs` (default `SCAN_CACHE_MS`): phones
 *   re-request the list, and each scan takes the access point off its channel
 *   for a moment. A cached answer is given synchronously.
 * - `stop()` clears the timer and forgets waiting callers: no callback after it.
 */

import { ClockPort, ScanEntry, TimerId, WifiPort } from './ports';

/** Longest wait for a scan before callers get what exists. */
export const SCAN_TIMEOUT_MS = 20000;
/** Most networks reported. */
export const MAX_SCAN_RESULTS = 15;
/** How long a scan result is reused. */
export const SCAN_CACHE_MS = 10000;

/** Options of `createScanner`. */
export interface ScannerOptions {
  /** The radio. */
  wifi: WifiPort;
  /** Time and timers. */
  clock: ClockPort;
  /** Reuse a result for this long (0: always scan). @default SCAN_CACHE_MS */
  cacheMs?: number;
}

/** A shared scanner. */
export interface Scanner {
  /** Calls `cb` once with the tidied list (possibly `[]`), within `SCAN_TIMEOUT_MS`. */
  scan(cb: (list: ScanEntry[]) => void): void;
  /** Cancels the running wait; pending callers are never called. */
  stop(): void;
}

/**
 * Drops hidden and empty SSIDs, keeps the strongest entry per SSID, sorts by
 * RSSI descending (ties by SSID) and keeps at most `MAX_SCAN_RESULTS`.
 *
 * @param list raw scan entries (not modified)
 * @returns a new array of the kept entries
 */
export function tidyScan(list: ScanEntry[]): ScanEntry[] {
  const all: ScanEntry[] = [];
  for (let i = 0; i < list.length; i++) {
    const e = list[i];
    if (e && !e.hidden && typeof e.ssid === 'string' && e.ssid.length > 0) all.push(e);
  }
  all.sort(function (a, b) {
    return b.rssi - a.rssi || (a.ssid < b.ssid ? -1 : a.ssid > b.ssid ? 1 : 0);
  });
  const out: ScanEntry[] = [];
  for (let i = 0; i < all.length && out.length < MAX_SCAN_RESULTS; i++) {
    let dup = false;
    for (let j = 0; j < out.length; j++) {
      if (out[j].ssid === all[i].ssid) dup = true;
    }
    if (!dup) out.push(all[i]);
  }
  return out;
}

/**
 * Creates a shared scanner. It keeps `opts` and reads it at each scan.
 *
 * @param opts radio, clock and cache time
 */
export function createScanner(opts: ScannerOptions): Scanner {
  let waiting: Array<(list: ScanEntry[]) => void> = [];
  let timer: TimerId | null = null;
  let last: ScanEntry[] = [];
  let lastAt = -1;

  return {
    scan: function (cb) {
      // Made per call, so that an idle scanner holds no function beyond its two methods.
      function done(fromRadio: boolean, list?: ScanEntry[]) {
        if (fromRadio) {
          try {
            last = tidyScan(list || []);
            lastAt = opts.clock.now();
          } catch (e) {
            last = [];
          }
          if (waiting.length === 0) return;
        }
        const cbs = waiting;
        waiting = [];
        if (timer !== null) opts.clock.clearTimeout(timer);
        timer = null;
        for (let i = 0; i < cbs.length; i++) {
          try {
            cbs[i](last);
          } catch (e) {
            // A caller's error must not stop the others nor reach the radio's callback.
          }
        }
      }
      const cacheMs = opts.cacheMs === undefined ? SCAN_CACHE_MS : opts.cacheMs;
      if (lastAt >= 0 && waiting.length === 0 && opts.clock.now() - lastAt < cacheMs) {
        cb(last);
        return;
      }
      waiting.push(cb);
      if (waiting.length > 1) return;
      timer = opts.clock.setTimeout(function () {
        timer = null;
        done(false);
      }, SCAN_TIMEOUT_MS);
      try {
        opts.wifi.scan(function (list) {
          done(true, list);
        });
      } catch (e) {
        // Busy radio (an earlier scan that timed out is still running): answer with what exists.
        done(false);
      }
    },
    stop: function () {
      waiting = [];
      if (timer !== null) opts.clock.clearTimeout(timer);
      timer = null;
    }
  };
}
