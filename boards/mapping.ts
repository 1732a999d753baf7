/**
 * The board driver's pure mappings from what Espruino reports to what the
 * core's ports speak: Wi-Fi failure texts of both chips, scan security modes
 * and LED output levels. No Espruino API is used here, so the
 * mappings are unit-tested on the host.
 */

import { JoinFailure, WifiSecurity } from '../lib/ports';

/**
 * True if `word` occurs in `s`. Espruino's `indexOf` also reports a `word`
 * that starts near the end of `s` and runs past it (`"connection reset"
 * .indexOf("tls")` is 15); `lastIndexOf` does not.
 */
function has(s: string, word: string): boolean {
  return s.lastIndexOf(word) >= 0;
}

/** Maps an Espruino Wi-Fi failure text (either chip) to a join reason. */
export function joinReason(err: unknown): JoinFailure {
  const e = String(err).toLowerCase();
  if (has(e, 'password') || has(e, 'auth')) return 'wrong_password';
  if (has(e, 'no_ap') || has(e, 'not_found')) return 'no_ap_found';
  if (has(e, 'dhcp')) return 'no_ip';
  return 'failed';
}

/** ESP8266 scans report `authMode` as the SDK's AUTH_MODE number. */
const AUTH_MODES = ['open', 'wep', 'wpa', 'wpa2', 'wpa_wpa2'];

/** Maps an Espruino scan `authMode` (ESP32: a name, ESP8266: a number) to the app's security names. */
export function security(authMode: unknown): WifiSecurity {
  const m = typeof authMode === 'number' ? String(AUTH_MODES[authMode]) : String(authMode).toLowerCase();
  const map: { [k: string]: WifiSecurity } = {
    open: 'OPEN', wep: 'WEP', wpa: 'WPA', wpa2: 'WPA2', wpa_wpa2: 'WPA+WPA2', wpa2_enterprise: 'WPA2-EAP',
    wpa3: 'WPA3', wpa2_wpa3: 'WPA2+WPA3'
  };
  return map[m] || 'unknown';
}


/** The fraction (0..1) of full output for a channel value 0..255 at `brightness` 0..255. */
export function ledLevel(value: number, brightness: number | undefined): number {
  const b = brightness === undefined ? 255 : Math.max(0, Math.min(255, brightness));
  return Math.max(0, Math.min(255, value)) * b / 65025;
}
