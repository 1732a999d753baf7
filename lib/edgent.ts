/**
 * The library's entry point: `createEdgent(options, hw)` wires the config
 * store, cloud client, portal, DNS, button and LED around the state machine,
 * on the ports of one board, and gives product code one small object:
 * lifecycle, state changes, reconfiguration and virtual pins.
 */

import { Hardware, Undo } from './ports';
import { BoardInfo, State } from './types';
import { createMachine, Machine, Service } from './machine';
import { createStore } from './store';
import { createCloud } from './cloud';
import { createPortal } from './portal';
import { createDns } from './dns';
import { apSsid, validatePrefix, DEFAULT_AP_PREFIX } from './apname';
import { createButton } from './button';
import { createIndicator } from './led';

/** The access point's own address (the contract's fixed 192.168.4.1/24). */
export const AP_IP = '192.168.4.1';

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
   * PEM certificate of the CA the cloud's TLS certificate must chain to. Without
   * it the certificate is not verified (Espruino's default), which a network
   * attacker could exploit; products should set it. @default none
   */
  tlsCa?: string;
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

function check(ok: boolean, what: string): void {
  if (!ok) throw new TypeError('edgent: invalid ' + what);
}

/**
 * Creates the provisioning stack on a board's ports. Throws TypeError for
 * invalid options (programmer mistakes); operational failures are reported as
 * states and `lastError()` codes.
 */
export function createEdgent(opts: EdgentOptions, hw: Hardware): Edgent {
  const prefix = opts.apPrefix === undefined ? DEFAULT_AP_PREFIX : opts.apPrefix;
  const apPassword = opts.apPassword || '';
  check(typeof opts.templateId === 'string' && opts.templateId.length > 0, 'templateId');
  check(typeof opts.templateName === 'string' && opts.templateName.length > 0, 'templateName');
  check(typeof opts.fwVersion === 'string' && opts.fwVersion.length > 0 && opts.fwVersion.length <= 32, 'fwVersion');
  check(validatePrefix(prefix), 'apPrefix');
  check(apPassword.length === 0 || (apPassword.length >= 8 && apPassword.length <= 63), 'apPassword');
  check(opts.tlsCa === undefined || opts.tlsCa.indexOf('-----BEGIN CERTIFICATE-----') >= 0, 'tlsCa (a PEM certificate)');
  const clock = hw.clock;
  const log = hw.system.log;
  const ssid = apSsid({ prefix: prefix, templateName: opts.templateName, chipId: hw.system.chipId() });
  const store = createStore({ flash: hw.flash, log: log });
  const cloud = createCloud({
    net: hw.net,
    clock: clock,
    info: {
      fwVer: opts.fwVersion,
      fwType: opts.fwType || opts.templateId,
      tmplId: opts.templateId,
      build: opts.build || '',
      dev: hw.system.board
    },
    heartbeatS: opts.heartbeatS,
    buffIn: opts.buffIn,
    log: log
  });
  let machine: Machine;
  function info(): BoardInfo {
    return {
      board: opts.templateName,
      tmpl_id: opts.templateId,
      fw_type: opts.fwType || opts.templateId,
      fw_ver: opts.fwVersion,
      ssid: ssid,
      bssid: hw.wifi.apMac(),
      mac: hw.wifi.staMac(),
      last_error: machine.lastError(),
      wifi_scan: true,
      static_ip: true
    };
  }
  // The portal, DNS and scanner exist only while config mode runs: their closures are freed in RUNNING.
  let portal: Service | null = null;
  let dns: Service | null = null;
  const configMode: Service = {
    start: function () {
      if (portal) return;
      portal = createPortal({
        http: hw.http,
        clock: clock,
        flash: hw.flash,
        wifi: hw.wifi,
        info: info,
        send: function (req) {
          machine.portal(req);
        },
        captive: !!opts.captivePortal,
        log: log
      });
      dns = createDns({ udp: hw.udp, apIp: AP_IP, captive: !!opts.captivePortal });
      portal.start();
      dns.start();
    },
    stop: function () {
      if (!portal) return;
      portal.stop();
      (dns as Service).stop();
      portal = dns = null;
    }
  };
  const indicator = createIndicator({ led: hw.led, clock: clock });
  const button = hw.button ? createButton({
    button: hw.button,
    clock: clock,
    onPress: opts.onButtonPress,
    onReset: function () {
      machine.holdReset();
    },
    onHold: indicator.setHold
  }) : null;
  machine = createMachine({
    hw: hw,
    store: store,
    cloud: cloud,
    services: [configMode],
    apSsid: ssid,
    apPassword: apPassword,
    fwVer: opts.fwVersion,
    tls: opts.tls === undefined ? hw.net.tls : opts.tls && hw.net.tls,
    tlsCa: opts.tlsCa,
    configIdleTimeoutMs: opts.configIdleTimeoutMs,
    isHeld: button ? button.isHeld : undefined
  });
  machine.onStateChange(indicator.setState);

  return {
    apSsid: ssid,
    start: function () {
      machine.start();
      if (button) button.start();
    },
    stop: function () {
      if (button) button.stop();
      machine.stop();
      indicator.stop();
    },
    state: machine.state,
    lastError: machine.lastError,
    onStateChange: machine.onStateChange,
    reconfigure: machine.reconfigure,
    factoryReset: machine.holdReset,
    virtualWrite: cloud.virtualWrite,
    onVirtualWrite: cloud.onVirtualWrite,
    syncVirtual: cloud.syncVirtual,
    isOnline: cloud.isOnline
  };
}
