/**
 * The board driver's pure mappings from what Espruino reports to what the
 * core's ports speak: Wi-Fi failure texts of both chips, scan security modes,
 * socket errors, and LED output levels. No Espruino API is used here, so the
 * mappings are unit-tested on the host.
 */

import { JoinFailure, WifiSecurity } from '../lib/ports';

/** Maps an Espruino Wi-Fi failure text (either chip) to a join reason. */
export function joinReason(err: unknown): JoinFailure {
  const e = String(err).toLowerCase();
  if (e.indexOf('password') >= 0 || e.indexOf('auth') >= 0) return 'wrong_password';
  if (e.indexOf('no_ap') >= 0 || e.indexOf('not_found') >= 0) return 'no_ap_found';
  if (e.indexOf('dhcp') >= 0) return 'no_ip';
  return 'failed';
}

/** The base64 body of a PEM certificate (header, footer and line breaks removed). */
export function pemBody(pem: string): string {
  const lines = pem.split('\n');
  let body = '';
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i].trim();
    if (l.length && l.indexOf('-----') !== 0) body += l;
  }
  return body;
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

/**
 * Maps an Espruino socket error (`{code, message}`, messages from Espruino's
 * socketerrors.c such as `not found`, `SSL handshake failed`, `no route`) to
 * the port's reason words.
 */
export function socketReason(err: unknown): string {
  const e = (err && typeof err === 'object' ? String((err as { message?: string }).message) : String(err)).toLowerCase();
  if (e.indexOf('dns') >= 0 || e.indexOf('host') >= 0 || e.indexOf('not found') >= 0) return 'dns';
  if (e.indexOf('tls') >= 0 || e.indexOf('ssl') >= 0 || e.indexOf('handshake') >= 0) return 'tls';
  if (e.indexOf('refused') >= 0 || e.indexOf('no connection') >= 0 || e.indexOf('no route') >= 0) return 'refused';
  if (e.indexOf('timeout') >= 0) return 'timeout';
  return 'closed';
}

/** The fraction (0..1) of full output for a channel value 0..255 at `brightness` 0..255. */
export function ledLevel(value: number, brightness: number | undefined): number {
  const b = brightness === undefined ? 255 : Math.max(0, Math.min(255, brightness));
  return Math.max(0, Math.min(255, value)) * b / 65025;
}
