/**
 * The body of `/wifi_scan.json`, written from the radio's list in one pass of
 * selection, with no copy of the list: the radio's list is let go as soon as
 * the text exists, so a crowded scan (20+ networks) costs one string of at
 * most `MAX_SCAN_RESULTS` entries, not arrays of entries.
 *
 * - Hidden and empty SSIDs are dropped, and so is anything that is not an
 *   entry with a finite RSSI.
 * - One entry per SSID, the strongest (de-duplicated).
 * - Sorted by RSSI descending, equal RSSI by SSID ascending (byte order).
 * - At most `MAX_SCAN_RESULTS` entries, `{"ssid","bssid","rssi","sec","ch"}`;
 *   the ESP8266 reference's `"hidden"` field would always be 0 and is left out.
 */

import { ScanEntry } from './ports';
import { jsonFields } from './bytes';

/** Longest wait for a scan before callers get what exists (`[]`). */
export const SCAN_TIMEOUT_MS = 20000;
/** Most networks reported. */
export const MAX_SCAN_RESULTS = 15;

/**
 * The JSON array of the networks worth showing in `list` (see the module
 * header), strongest first.
 *
 * @param list raw scan entries (not modified)
 * @returns JSON text, `[]` when nothing is visible
 */
export function scanJson(list: ScanEntry[]): string {
  let out = '[';
  let n = 0;
  // The last entry taken (or skipped as a duplicate): the next one sorts strictly after it.
  let last: ScanEntry | null = null;
  while (n < MAX_SCAN_RESULTS) {
    let best: ScanEntry | null = null;
    for (let i = 0; i < list.length; i++) {
      const e = list[i];
      if (!e || e.hidden || typeof e.ssid !== 'string' || e.ssid.length === 0 || typeof e.rssi !== 'number' || !isFinite(e.rssi)) continue;
      if (last !== null && (e.rssi > last.rssi || (e.rssi === last.rssi && e.ssid <= last.ssid))) continue;
      if (best === null || e.rssi > best.rssi || (e.rssi === best.rssi && e.ssid < best.ssid)) best = e;
    }
    if (best === null) break;
    last = best;
    // An SSID already written (a stronger entry of it) is a duplicate. A JSON string has no unescaped
    // quote inside, so `{"ssid":"X",` can only match the start of an entry with exactly that SSID
    // (lastIndexOf: Espruino's indexOf also reports a match cut short by the end of the text).
    const name = jsonFields(best as unknown as { [key: string]: unknown }, 'ssid');
    if (out.lastIndexOf(name.substring(0, name.length - 1) + ',') >= 0) continue;
    out += (n > 0 ? ',' : '') + jsonFields(best as unknown as { [key: string]: unknown }, 'ssid bssid rssi sec ch');
    n++;
  }
  return out + ']';
}
