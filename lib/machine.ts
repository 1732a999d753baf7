/**
 * The device: what stays in RAM of the provisioning state machine between
 * events. A board runs one device. Its state is one object (`Device`), and
 * every event (a timer, the radio, the portal, the cloud, the product's
 * calls) is handed to the state machine's steps, the Storage module
 * `STEPS_MODULE` (`lib/steps.ts`: the transition table and every step),
 * loaded for that event and dropped after it. What stays resident is the
 * state, the product's handlers and the few functions the board calls back:
 * on Espruino every function that exists costs RAM, its code does not.
 * Two store writes run here, with the store alone in RAM rather than with the
 * steps: the commit after the first login (the cloud link is up) and the
 * factory reset's erase (the link was just dropped and may still hold RAM);
 * so do the start of a firmware update and the check-in after one, with the
 * update module (`OTA_MODULE`, lib/ota.ts) alone.
 * What the portal and the cloud report, and the product's state listeners,
 * are taken a step later (`putOff`), once the module that reported it is out
 * of RAM: on a board the busiest instant is when modules are loaded together.
 */

import { Hardware, Undo, WifiEvent } from './ports';
import { BoardInfo, CloudEvent, ConfigRecord, PortalRequest, State, ERR_INTERNAL, ERR_NONE } from './types';
import { ButtonState } from './button';
import { Indicator } from './led';
import { CloudState } from './cloud';
import { ConfigMode } from './mode-config';
import { CLOUD_MODULE, MachineEvent, OTA_MODULE, STEPS_MODULE, STORE_MODULE, TimerKind } from './steps';
import type { OtaState } from './ota';

export {
  AP_IP, BACKOFF_MAX_MS, BACKOFF_MIN_MS, BUTTON_MODULE, CLOUD_MODULE, CLOUD_TIMEOUT_MS, CONFIG_MODULE, ERROR_HOLD_RECHECK_MS,
  ERROR_REBOOT_MS, JOIN_TIMEOUT_MS, PROVISIONED_ATTEMPTS, PROVISION_ATTEMPTS, REBOOT_DELAY_MS, SETUP_MODULE, STATES, STEPS_MODULE,
  STORE_MODULE, SWITCH_DELAY_MS, backoff, cloudErrorCode, isCloudState, isConfigState, isStationState,
  joinErrorCode, transitions
} from './steps';
export type { MachineEvent, Row, Target, TimerKind } from './steps';

/** Options of `createMachine`. */
export interface MachineOptions {
  /** The board's ports. */
  hw: Hardware;
  /** Template id (board_info, the cloud's info message). */
  templateId: string;
  /** Template name (board_info). */
  templateName: string;
  /** Firmware type (board_info, info message). @default templateId */
  fwType?: string;
  /** Firmware version: board_info, info message, stored with the record. */
  fwVer: string;
  /** Build date string for the info message. @default '' */
  build?: string;
  /** The device's own access point SSID. */
  apSsid: string;
  /** Access point WPA2 password; absent or '' for an open network. */
  apPassword?: string;
  /** Use TLS for the cloud. @default false */
  tls?: boolean;
  /** PEM certificate the cloud's TLS certificate must chain to; absent = the board's default CA; false = not verified. */
  tlsCa?: string | false;
  /** Cloud heartbeat in seconds (the cloud client's default when absent). */
  heartbeatS?: number;
  /** Largest message body accepted from the cloud (the cloud client's default when absent). */
  buffIn?: number;
  /** Captive portal: every DNS name and OS probe answered with the portal. @default false */
  captive?: boolean;
  /** Attempts per phase while provisioning. @default PROVISION_ATTEMPTS */
  provisionAttempts?: number;
  /** Attempts per phase once provisioned. @default PROVISIONED_ATTEMPTS */
  provisionedAttempts?: number;
  /** Reboot into the stored config after this long without portal activity (0 = off). @default 0 */
  configIdleTimeoutMs?: number;
  /** The configuration button's watcher (`BUTTON_MODULE` works on it): started and stopped with the machine; a hold postpones the ERROR reboot. */
  button?: ButtonState;
  /** The status LED: shows every state. */
  indicator?: Pick<Indicator, 'setState' | 'stop'>;
  /** Throw on events the current state does not handle (tests). @default false */
  debug?: boolean;
}

/** The running device, as the product and the portal drive it. */
export interface Machine {
  /** Loads the stored record and enters the first state (idempotent). */
  start(): void;
  /** Stops every timer, watch, link and service, and the LED; no callback fires afterwards. */
  stop(): void;
  /** Current state. */
  state(): State;
  /** Last provisioning error code (0 = none). */
  lastError(): number;
  /** The record the machine works with (staged or stored), as a copy. */
  config(): ConfigRecord;
  /** Subscribes to state changes (`next`, `prev`), told in order once the step that made them is over. */
  onStateChange(fn: (next: State, prev: State) => void): Undo;
  /** Handles a request from the portal. */
  portal(req: PortalRequest): void;
  /** Handles a button hold of 10 s or more (factory reset). */
  holdReset(): void;
  /** Enters config mode keeping the stored config (product code or `dbg config start`). */
  reconfigure(): void;
  /** Writes a virtual pin; false while offline (nothing is queued). */
  virtualWrite(pin: number, value: string | number | Array<string | number>): boolean;
  /** Calls `fn(pin, values)` for each virtual pin write from the cloud. */
  onVirtualWrite(fn: (pin: number, values: string[]) => void): Undo;
  /** Asks the cloud to resend the stored values of `pins`. */
  syncVirtual(pins: number[]): void;
  /** True while logged in to the cloud. */
  isOnline(): boolean;
}


/** The functions the board and the mode modules call back (resident, unlike the steps). */
export interface DeviceHooks {
  /** The timer slot fired. */
  timer: () => void;
  /**
   * Runs one operation of the steps (`call`): bound to an operation, the
   * callback of a join (with its epoch), an access point start or the idle
   * timeout, which exists only while it is pending.
   */
  call: (op: string, arg?: any, arg2?: any) => any;
  /** What the cloud client reports. */
  cloud: (ev: CloudEvent) => void;
  /** A virtual pin write from the cloud. */
  write: (pin: number, values: string[]) => void;
  /** What the radio reports. */
  wifi: (ev: WifiEvent) => void;
  /** The values of `/board_info.json` now. */
  info: () => BoardInfo;
  /** A request from the portal. */
  portal: (req: PortalRequest) => void;
  /** Loads Storage module `mod` for one call of its export `fn` (see `useModule`). */
  use: (mod: string, fn: string, a?: unknown, b?: unknown, c?: unknown, d?: unknown) => any;
  /** Queues the steps' operation `op` (with `arg`) for a step of its own, after the current callback. */
  putOff: (op: string, arg?: unknown) => void;
}

/** The device's state: everything the steps work on. */
export interface Device {
  /** Options. */
  o: MachineOptions;
  /** The board's ports. */
  hw: Hardware;
  /** The resident callbacks. */
  h: DeviceHooks;
  /** Current state. */
  state: State;
  /** Bumped by every transition, retry, reboot and stop: answers of an older epoch are dropped. */
  epoch: number;
  /** The one timer slot, and what it waits for (a field the device does not use is undefined, not null: on the board a null costs a block more). */
  timer?: unknown;
  timerKind: TimerKind;
  /** Config mode's idle timeout. */
  idleTimer?: unknown;
  /** The product's state and virtual pin listeners. */
  listeners: Array<(next: State, prev: State) => void>;
  writers: Array<(pin: number, values: string[]) => void>;
  started: boolean;
  /** Credentials staged by `/config` and not yet stored; absent when the device works with the stored record (read from flash when needed). */
  cfg?: ConfigRecord;
  /** The record is the stored, valid one. */
  committed: boolean;
  /** Credentials from `/config` not yet used for a login. */
  fresh: boolean;
  rebooting: boolean;
  lastErr: number;
  /** The error code the next failure will persist. */
  failCode: number;
  /** Attempts made in the current phase. */
  attempts: number;
  /** 0: access point down, 1: starting, 2: up with the config-mode module running. */
  ap: number;
  /** The epoch in which the access point was asked for: its failure counts only if nothing moved on since. */
  apEpoch: number;
  mode?: ConfigMode;
  /** The access point's and the station's MAC, space-separated, read when config mode starts (`/board_info.json`). */
  macs?: string;
  /** The cloud client's state (the client is the cloud module, loaded for each use). */
  cloud?: CloudState;
  /** The image URL of Blynk.Air's last `ota` command, and the update in progress (`lib/ota.ts`). */
  air?: string;
  ota?: OtaState;
  /** The Storage modules in use by a call that has not returned yet, by name (`useModule`). */
  mods?: { [name: string]: any };
  /** Events raised while one is handled. */
  queue?: MachineEvent[];
  /** Operations put off to a step of their own (the portal's requests, the cloud's events, state changes for the product's listeners, a failure's code for flash): op, arg, op, arg… */
  inbox?: unknown[];
  undoWifi?: Undo;
  /** Spreads retry delays per device. */
  jitterSeed: number;
}

// The board's one device.
let S: Device;

/** Runs one operation of the steps module (lib/steps.ts `run`), loading it for the call. */
function call(op: string, arg?: any, arg2?: any): any {
  return useModule(STEPS_MODULE, 'run', S, op, arg, arg2);
}

function onTimer(): void {
  const kind = S.timerKind;
  S.timer = undefined;
  if (kind !== 'commit' && kind !== 'erase' && kind !== 'update') return call('timer');
  S.timerKind = '';
  if (kind === 'commit') commit();
  else if (kind === 'erase') erase();
  else useModule(OTA_MODULE, 'otaStart', S, S.air);
}

/**
 * Loads Storage module `mod` for one call of its export `fn` with `a`, `b`,
 * `c`, `d`: it is dropped from the module cache at once, so its code is freed
 * as soon as nothing of it is referenced any more; a call made from within
 * the call (the steps reached from a cloud event, a cloud write from the
 * product's handler) uses the same copy. The steps, the stored record's
 * operations, config mode's requests and datagrams
 * (`ConfigModeOptions.relay`) and the cloud client's calls and events
 * (`CloudOptions.relay`) all go through it.
 */
export function useModule(mod: string, fn: string, a?: unknown, b?: unknown, c?: unknown, d?: unknown): any {
  const u = S.mods || (S.mods = {});
  let m = u[mod];
  if (m) return m[fn](a, b, c, d);
  const mods = S.hw.modules;
  const sl = S.hw.system.slot;
  const name = (sl ? sl.p : '') + mod;
  m = u[mod] = mods.load(name);
  mods.unload(name);
  try {
    return m[fn](a, b, c, d);
  } finally {
    delete u[mod];
  }
}

/** RESET_CONFIG's erase of token and Wi-Fi, with the store alone in RAM; the steps take the outcome. */
function erase(): void {
  const res: string = useModule(STORE_MODULE, 'use', S, 'erase');
  call('erased', res === 'saved' || res === 'unchanged');
}

/**
 * After the first login with new credentials (or with an error to clear):
 * makes the record VALID in flash, clears the error and tells the cloud the
 * access point's name. After the first login of a firmware the loader marked
 * (a new one on trial, or a failed update to report), the update module's
 * check-in runs first. It runs here rather than in the steps: it happens
 * while the cloud client is up, when RAM is tightest, and needs only the store.
 */
function commit(): void {
  const sl = S.hw.system.slot;
  if (sl && sl.c) useModule(OTA_MODULE, 'otaCheckIn', S);
  if (!S.fresh && S.lastErr === ERR_NONE) return;
  const res: string = useModule(STORE_MODULE, 'use', S, 'commit');
  S.committed = res === 'saved' || res === 'unchanged';
  if (S.committed) S.cfg = undefined;
  else S.hw.system.log('config save failed: ' + res);
  S.lastErr = S.committed ? ERR_NONE : ERR_INTERNAL;
  if (S.fresh && S.cloud) useModule(CLOUD_MODULE, 'cloudMeta', S.cloud, 'Hotspot Name', S.o.apSsid);
  S.fresh = false;
}

/**
 * What the cloud client and the radio report, in one function (one function
 * object instead of two on the board): the radio's events are `lost` and
 * `stations`, every other type is the cloud's.
 */
function onEvent(ev: CloudEvent | WifiEvent): void {
  if (ev.type === 'lost' || ev.type === 'stations') return call('wifi', ev);
  // The cloud's events are taken after its handler has returned: the steps (and what they start, a
  // new link, config mode) are never in RAM together with the cloud module and the frame.
  putOff('cloud', ev);
}

/** Every virtual pin write from the cloud, to the product's handlers. */
function onWrite(pin: number, values: string[]): void {
  const w = S.writers.slice();
  for (let i = 0; i < w.length; i++) w[i](pin, values);
}

/** The values of `/board_info.json`; the MACs are those read when config mode started. */
function info(): BoardInfo {
  const o = S.o;
  let macs = S.macs;
  if (!macs) {
    const w = S.hw.wifi();
    macs = w.apMac() + ' ' + w.staMac();
  }
  const i = macs.indexOf(' ');
  return {
    board: o.templateName,
    tmpl_id: o.templateId,
    fw_type: o.fwType || o.templateId,
    fw_ver: o.fwVer,
    ssid: o.apSsid,
    bssid: macs.substring(0, i),
    mac: macs.substring(i + 1),
    last_error: S.lastErr,
    wifi_scan: true,
    static_ip: true
  };
}

/**
 * What the portal tells the machine, taken once the request's handler has
 * returned: the steps are never in RAM together with the portal's module and
 * the request (the reply to it is written by then).
 */
function portal(req: PortalRequest): void {
  // Activity matters only while config mode's idle timeout runs: no steps to load for it otherwise.
  if (req.type === 'activity' && S.idleTimer === undefined) return;
  putOff('portal', req);
}

/**
 * Queues the steps' operation `op` for a step of its own, after the current
 * callback has returned; operations queued meanwhile follow in order.
 */
function putOff(op: string, arg?: unknown): void {
  if (!S.inbox) {
    S.inbox = [];
    S.hw.clock.setTimeout(takeInbox, 0);
  }
  S.inbox.push(op, arg);
}

function takeInbox(): void {
  const q = S.inbox;
  try {
    while (q && q.length) {
      const op = q.shift() as string;
      const arg = q.shift() as any;
      if (op !== 'notify') {
        call(op, arg);
        continue;
      }
      // A state change (next, prev) for the product's listeners: resident, so no module is loaded for it.
      const ls = S.listeners.slice();
      for (let i = 0; i < ls.length; i++) {
        try {
          ls[i](arg[0], arg[1]);
        } catch (e) {
          S.hw.system.log('state listener failed: ' + e);
        }
      }
    }
  } finally {
    S.inbox = undefined;
  }
}

/**
 * The product's `virtualWrite(pin, value)`, `syncVirtual(pins)` and
 * `isOnline()` in one function (one function object instead of three on the
 * board), told apart by the arguments; all of them false (or nothing) offline.
 */
function pins(pin?: any, value?: any): any {
  const c = S.cloud;
  if (!c || c.phase !== 2) return false;
  if (pin === undefined) return true;
  return useModule(CLOUD_MODULE, 'cloudPins', c, pin, value);
}

/** Removes `fn` from `list` (an undo of a subscription). */
function removeFrom<T>(list: T[], fn: T): Undo {
  return function () {
    const i = list.indexOf(fn);
    if (i >= 0) list.splice(i, 1);
  };
}

const hooks: DeviceHooks = {
  timer: onTimer, call: call, cloud: onEvent, write: onWrite, wifi: onEvent,
  info: info, portal: portal, use: useModule, putOff: putOff
};

/** The device's methods (see `Machine`). */
const api: Machine = {
  start: function () {
    call('start');
  },
  stop: function () {
    call('stop');
  },
  state: function () {
    return S.state;
  },
  lastError: function () {
    return S.lastErr;
  },
  config: function () {
    return call('config');
  },
  onStateChange: function (fn) {
    S.listeners.push(fn);
    return removeFrom(S.listeners, fn);
  },
  portal: portal,
  holdReset: function () {
    call('hold_reset');
  },
  reconfigure: function () {
    call('config_start');
  },
  virtualWrite: pins,
  onVirtualWrite: function (fn) {
    S.writers.push(fn);
    return removeFrom(S.writers, fn);
  },
  syncVirtual: pins,
  isOnline: pins
};

/**
 * Creates the device, ready to `start()`. A board runs one device: a second
 * call stops the first and takes its place.
 */
export function createMachine(options: MachineOptions): Machine {
  if (S) api.stop();
  S = {
    o: options, hw: options.hw, h: hooks, state: 'BOOT', epoch: 0, timerKind: '',
    listeners: [], writers: [], started: false, committed: false, fresh: false, rebooting: false,
    lastErr: 0, failCode: 0, attempts: 0, ap: 0, apEpoch: 0,
    jitterSeed: 0
  };
  return api;
}
