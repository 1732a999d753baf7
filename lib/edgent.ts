/**
 * The library's entry point: `createEdgent(options, hw)` checks the product's
 * options, names the access point, wires the button and LED to the device
 * (`lib/machine.ts`, which loads the portal, cloud client and config store
 * from their Storage modules as its states need them) on the ports of one
 * board, and gives product code that device: lifecycle, state changes,
 * reconfiguration and virtual pins.
 */

import { Hardware, Undo } from './ports';
import { State } from './types';
import { createMachine, Machine, MachineOptions } from './machine';
import { apSsid, validatePrefix, DEFAULT_AP_PREFIX } from './apname';
import { createButton } from './button';
import { createIndicator } from './led';

export { AP_IP, CLOUD_MODULE, CONFIG_MODULE, STORE_MODULE } from './machine';

/** Product options of `createEdgent`. */
export interface EdgentOptions {
  /** Template id from the Blynk console, e.g. `TMPL4abcd123`. */
  templateId: string;
  /** Template name; appears in the access point name and `/board_info.json`. */
  templateName: string;
  /** Firmware version, e.g. `1.0.0`. */
  fwVersion: string;
  /** Firmware type. @default templateId */
  fwType?: string;
  /** Build date string for the cloud's info message. @default '' */
  build?: string;
  /** Access point name prefix (≤ 20 letters, digits, spaces). @default 'Blynk' */
  apPrefix?: string;
  /** WPA2 password of the access point (8..63 chars), '' for an open one. @default '' */
  apPassword?: string;
  /** Answer every DNS name and OS connectivity probe with the portal. @default false */
  captivePortal?: boolean;
  /** Reboot into the stored config after this long without portal activity; 0 = never. @default 0 */
  configIdleTimeoutMs?: number;
  /** Connect to the cloud over TLS. @default whether the board has TLS */
  tls?: boolean;
  /**
   * The CA the cloud's TLS certificate must chain to: one PEM certificate (a
   * private server's own CA; the product holds the string), replacing the
   * board's default, the ISRG Root X1 the firmware ships in the Storage file
   * `edgent.ca`. `false` turns verification off (a local test server): the
   * device then logs a warning at every connect. A certificate that does not
   * verify fails the connection with error 711.
   * @default the shipped root (Storage `edgent.ca`)
   */
  tlsCa?: string | false;
  /** Cloud heartbeat in seconds. @default 40 */
  heartbeatS?: number;
  /** Largest message body accepted from the cloud. @default 1024 */
  buffIn?: number;
  /** A button press of 50 ms..10 s (the product's own use). */
  onButtonPress?: (heldMs: number) => void;
}

/** What product code holds. */
export interface Edgent {
  /** The device's access point SSID. */
  apSsid: string;
  /** Starts provisioning (idempotent): loads the stored config and enters the first state. */
  start(): void;
  /** Stops everything: timers, watches, sockets, servers, LED. */
  stop(): void;
  /** Current state. */
  state(): State;
  /** Last provisioning error (0, 700..723). */
  lastError(): number;
  /** Calls `fn(next, prev)` on every state change. */
  onStateChange(fn: (next: State, prev: State) => void): Undo;
  /** Opens the portal again keeping the stored config (Wi-Fi change). */
  reconfigure(): void;
  /** Erases token and Wi-Fi (as a 10 s button hold does). */
  factoryReset(): void;
  /** Writes a virtual pin; false while offline (nothing is queued). */
  virtualWrite(pin: number, value: string | number | Array<string | number>): boolean;
  /** Calls `fn(pin, values)` for each virtual pin write from the cloud. */
  onVirtualWrite(fn: (pin: number, values: string[]) => void): Undo;
  /** Asks the cloud to resend the stored values of `pins`. */
  syncVirtual(pins: number[]): void;
  /** True while logged in to the cloud. */
  isOnline(): boolean;
}

/**
 * Creates the provisioning stack on a board's ports. Throws TypeError for
 * invalid options (programmer mistakes); operational failures are reported as
 * states and `lastError()` codes. Nothing of this function outlives it but
 * the device: its checks and the names it computes are freed after boot.
 */
export function createEdgent(opts: EdgentOptions, hw: Hardware): Edgent {
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
  // Espruino's tls takes one certificate: a bundle would silently trust only its first. No local
  // variables for this: on the board they stayed in RAM with the device (6 JsVars measured).
  check(opts.tlsCa === undefined || opts.tlsCa === false || (typeof opts.tlsCa === 'string' &&
    opts.tlsCa.lastIndexOf('-----BEGIN CERTIFICATE-----') >= 0 &&
    opts.tlsCa.indexOf('-----BEGIN CERTIFICATE-----') === opts.tlsCa.lastIndexOf('-----BEGIN CERTIFICATE-----')), 'tlsCa (one PEM certificate, or false)');
  const ssid = apSsid({ prefix: prefix, templateName: opts.templateName, chipId: hw.system.chipId() });
  const indicator = createIndicator({ led: hw.led, clock: hw.clock });
  const mo: MachineOptions = {
    hw: hw,
    templateId: opts.templateId,
    templateName: opts.templateName,
    fwType: opts.fwType || opts.templateId,
    fwVer: opts.fwVersion,
    build: opts.build || '',
    apSsid: ssid,
    apPassword: apPassword,
    tls: opts.tls === undefined ? hw.net.tls : opts.tls && hw.net.tls,
    tlsCa: opts.tlsCa,
    heartbeatS: opts.heartbeatS,
    buffIn: opts.buffIn,
    captive: !!opts.captivePortal,
    configIdleTimeoutMs: opts.configIdleTimeoutMs,
    indicator: indicator
  };
  const dev = createMachine(mo) as Machine & Edgent;
  // The machine reads its options when it starts: the button joins them now, wired to the machine directly.
  if (hw.button) {
    mo.button = createButton({
      button: hw.button,
      clock: hw.clock,
      onPress: opts.onButtonPress,
      onReset: dev.holdReset,
      onHold: indicator.setHold
    });
  }
  // The machine is the product's object: two more names, no wrappers.
  dev.apSsid = ssid;
  dev.factoryReset = dev.holdReset;
  return dev;
}
