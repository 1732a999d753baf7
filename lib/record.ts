/**
 * The configuration record's defaults, limits and validation, shared by the
 * config store (limits enforced on save) and the portal (`/config` input).
 * Strings are byte strings, so a length is a byte count on the board and in
 * tests alike.
 */

import { ConfigRecord } from './types';

/** Default cloud host. */
export const DEFAULT_HOST = 'blynk.cloud';
/** Default plain TCP port of the cloud. */
export const DEFAULT_PORT = 80;
/** Default TLS port of the cloud. */
export const DEFAULT_PORT_SSL = 443;
/** Longest SSID in bytes (802.11). */
export const MAX_SSID_BYTES = 32;
/** Longest Wi-Fi password in bytes (WPA2: 63 chars or 64 hex digits). */
export const MAX_PASS_BYTES = 64;
/** AuthToken length. */
export const TOKEN_LENGTH = 32;
/** Longest cloud host name in bytes. */
export const MAX_HOST_BYTES = 64;
/** Longest firmware version string in bytes. */
export const MAX_FW_VER_BYTES = 32;

/** A blank, unprovisioned record. */
export function defaultRecord(): ConfigRecord {
  return {
    valid: false,
    staticIp: false,
    ssid: '',
    pass: '',
    token: '',
    host: DEFAULT_HOST,
    port: DEFAULT_PORT,
    portSsl: DEFAULT_PORT_SSL,
    ip: '',
    mask: '',
    gw: '',
    dns: '',
    dns2: '',
    lastError: 0,
    fwVer: ''
  };
}

/**
 * Checks a record against the field limits (tokens: exactly 32 chars of
 * `[-_a-zA-Z0-9]`; addresses: dotted-quad IPv4, no leading zeros; strings:
 * bytes only). Returns the name of the first offending field, or null when the
 * record is acceptable. A `valid` record needs an SSID and a token; a blank
 * one may leave them empty.
 */
export function validateRecord(r: ConfigRecord): string | null {
  // The field checks are made here, not at module level: the modules that load this code (portal,
  // store) then hold them only while a record is being checked.
  /** True if `s` is exactly 32 chars of `[-_a-zA-Z0-9]`. */
  function isToken(s: string): boolean {
    if (s.length !== TOKEN_LENGTH) return false;
    for (let i = 0; i < s.length; i++) {
      const c = s.charAt(i);
      if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c === '-' || c === '_')) {
        return false;
      }
    }
    return true;
  }

  /** True if `s` is a dotted-quad IPv4 address (`0.0.0.0`..`255.255.255.255`, no leading zeros). */
  function isIPv4(s: string): boolean {
    const parts = s.split('.');
    if (parts.length !== 4) return false;
    for (let i = 0; i < 4; i++) {
      const p = parts[i];
      if (p.length < 1 || p.length > 3 || (p.length > 1 && p.charAt(0) === '0')) return false;
      for (let j = 0; j < p.length; j++) {
        const c = p.charAt(j);
        if (c < '0' || c > '9') return false;
      }
      if (parseInt(p, 10) > 255) return false;
    }
    return true;
  }

  /** True if every char of `s` is a byte (0..255) and there are at most `max` of them. */
  function isBytes(s: string, max: number): boolean {
    if (typeof s !== 'string' || s.length > max) return false;
    for (let i = 0; i < s.length; i++) {
      if (s.charCodeAt(i) > 255) return false;
    }
    return true;
  }

  function isPort(n: number): boolean {
    return typeof n === 'number' && n % 1 === 0 && n >= 1 && n <= 65535;
  }

  if (typeof r !== 'object' || r === null) return 'record';
  if (typeof r.valid !== 'boolean') return 'valid';
  if (typeof r.staticIp !== 'boolean') return 'staticIp';
  if (!isBytes(r.ssid, MAX_SSID_BYTES) || (r.valid && r.ssid.length === 0)) return 'ssid';
  if (!isBytes(r.pass, MAX_PASS_BYTES)) return 'pass';
  if (typeof r.token !== 'string' || ((r.valid || r.token.length > 0) && !isToken(r.token))) return 'token';
  if (!isBytes(r.host, MAX_HOST_BYTES) || r.host.length === 0) return 'host';
  if (!isPort(r.port)) return 'port';
  if (!isPort(r.portSsl)) return 'portSsl';
  const ipFields: Array<'ip' | 'mask' | 'gw' | 'dns' | 'dns2'> = ['ip', 'mask', 'gw', 'dns', 'dns2'];
  for (let i = 0; i < ipFields.length; i++) {
    const f = ipFields[i];
    const v = r[f];
    if (typeof v !== 'string') return f;
    const required = r.staticIp && f !== 'dns2';
    if ((required || v.length > 0) && !isIPv4(v)) return f;
  }
  if (typeof r.lastError !== 'number' || r.lastError % 1 !== 0 || r.lastError < 0 || r.lastError > 999) return 'lastError';
  if (!isBytes(r.fwVer, MAX_FW_VER_BYTES)) return 'fwVer';
  return null;
}

/** A shallow copy of a record. */
export function copyRecord(r: ConfigRecord): ConfigRecord {
  return Object.assign({}, r);
}

/** True if two records hold the same values. */
export function sameRecord(a: ConfigRecord, b: ConfigRecord): boolean {
  const keys = Object.keys(a) as Array<keyof ConfigRecord>;
  for (let i = 0; i < keys.length; i++) {
    if (a[keys[i]] !== b[keys[i]]) return false;
  }
  return keys.length === Object.keys(b).length;
}
