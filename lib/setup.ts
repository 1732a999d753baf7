/**
 * The product options' checks (Storage module `edgent-setup`): `createEdgent`
 * loads it once at boot to check the options and derive the device's, so
 * none of this code holds RAM afterwards.
 */

import { Hardware } from './ports';
import { apSsid, validatePrefix, DEFAULT_AP_PREFIX } from './apname';
import type { MachineOptions } from './machine';
import type { EdgentOptions } from './edgent';

/**
 * Checks the product's options (TypeError for an invalid one: a programmer
 * mistake) and derives the device's: the access point name from the chip id,
 * the firmware type, TLS as far as the board has it. The button and LED are
 * the caller's to add.
 */
export function setup(opts: EdgentOptions, board: Hardware): MachineOptions {
  function check(ok: boolean, what: string): void {
    if (!ok) throw new TypeError('edgent: invalid ' + what);
  }
  const prefix = opts.apPrefix === undefined ? DEFAULT_AP_PREFIX : opts.apPrefix;
  const apPassword = opts.apPassword || '';
  check(typeof opts.templateId === 'string' && opts.templateId.length > 0, 'templateId');
  check(typeof opts.templateName === 'string' && opts.templateName.length > 0, 'templateName');
  check(typeof opts.fwVersion === 'string' && opts.fwVersion.length > 0 && opts.fwVersion.length <= 32, 'fwVersion');
  check(validatePrefix(prefix), 'apPrefix');
  check(apPassword.length === 0 || (apPassword.length >= 8 && apPassword.length <= 63), 'apPassword');
  check(opts.heartbeatS === undefined || opts.heartbeatS > 0, 'heartbeatS');
  check(opts.buffIn === undefined || (opts.buffIn > 0 && opts.buffIn <= 65535), 'buffIn');
  // Espruino's tls takes one certificate: a bundle would silently trust only its first.
  const ca = opts.tlsCa;
  const begin = '-----BEGIN CERTIFICATE-----';
  check(ca === undefined || ca === false || (typeof ca === 'string' && ca.lastIndexOf(begin) >= 0 && ca.indexOf(begin) === ca.lastIndexOf(begin)),
    'tlsCa (one PEM certificate, or false)');
  const mo: MachineOptions = {
    hw: board,
    templateId: opts.templateId,
    templateName: opts.templateName,
    fwVer: opts.fwVersion,
    apSsid: apSsid({ prefix: prefix, templateName: opts.templateName, chipId: board.system.chipId() })
  };
  // The device keeps these for as long as it runs: an option left at its default is not stored (a property costs RAM).
  if (opts.fwType && opts.fwType !== opts.templateId) mo.fwType = opts.fwType;
  if (opts.build) mo.build = opts.build;
  if (apPassword) mo.apPassword = apPassword;
  if (opts.tls === undefined ? board.net.tls : opts.tls && board.net.tls) mo.tls = true;
  if (ca !== undefined) mo.tlsCa = ca;
  if (opts.heartbeatS) mo.heartbeatS = opts.heartbeatS;
  if (opts.buffIn) mo.buffIn = opts.buffIn;
  if (opts.captivePortal) mo.captive = true;
  if (opts.configIdleTimeoutMs) mo.configIdleTimeoutMs = opts.configIdleTimeoutMs;
  return mo;
}
