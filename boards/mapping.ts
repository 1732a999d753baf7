/**
 * The board driver's pure mappings from what Espruino reports to what the
 * core's ports speak: Wi-Fi failure texts of both chips, scan security modes
 * and LED output levels. No Espruino API is used here, so the
 * mappings are unit-tested on the host.
 */

import { JoinFailure, WifiSecurity } from '../lib/ports';

/** Maps an Espruino Wi-Fi failure text (either chip) to a join reason. */
export function joinReason(err: unknown): JoinFailure {
  const e = String(err).toLowerCase();
  // Words and the reason each means, tried in order; in a local, this list costs RAM only while the
  // function runs (the Wi-Fi module is loaded for each use of the radio). `lastIndexOf`: Espruino's
  // `indexOf` also reports a word that starts near the end of the text and runs past it
  // (`"connection reset".indexOf("tls")` is 15).
  const words = ['password', 'wrong_password', 'auth', 'wrong_password', 'no_ap', 'no_ap_found', 'not_found', 'no_ap_found', 'dhcp', 'no_ip'];
  for (let i = 0; i < words.length; i += 2) if (e.lastIndexOf(words[i]) >= 0) return words[i + 1] as JoinFailure;
  return 'failed';
}

/** Maps an Espruino scan `authMode` (ESP32: a name, ESP8266: a number) to the app's security names. */
export function security(authMode: unknown): WifiSecurity {
  // ESP8266 scans report `authMode` as the SDK's AUTH_MODE number (a local: no RAM while the module is idle).
  const modes = ['open', 'wep', 'wpa', 'wpa2', 'wpa_wpa2'];
  const m = typeof authMode === 'number' ? String(modes[authMode]) : String(authMode).toLowerCase();
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
