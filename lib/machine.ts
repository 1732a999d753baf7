/**
 * The provisioning state machine of the Edgent contract, and the device it
 * runs. A board runs one device: its state, the stored record, the mode
 * modules in use and the product's handlers are this module's variables and
 * its steps are module-level functions, because on the board every function
 * nested in a factory costs more RAM than a module-level one (and pins the
 * factory's scope), and every object kept alive costs RAM.
 *
 * - One transition table (`transitions`) maps each state's events to a target
 *   state or to a pseudo-target: `@retry` (another attempt after a backoff
 *   while the budget lasts, else ERROR), `@reconnect` (cloud if Wi-Fi is up,
 *   else network) and `@reboot`.
 * - One place writes the state: it clears the old state's timer, starts/stops
 *   the resources each state needs (access point with the config-mode module,
 *   station link, cloud module), runs the entry action, logs `OLD => NEW`,
 *   shows the state's LED pattern and notifies listeners once.
 * - Every attempt owns a timeout; every callback carries the epoch of the
 *   state that started it and is dropped when the machine has moved on.
 * - Mode code lives in Storage modules loaded through `hw.modules` only while
 *   needed: the portal and DNS (`CONFIG_MODULE`) while the access point is up,
 *   the cloud client (`CLOUD_MODULE`) in the cloud states, the config store
 *   (`STORE_MODULE`) for each read or write of the record.
 * - Credentials from `/config` are staged in RAM and committed as VALID only
 *   after the first cloud login (or at once with `save`). A first-provisioning
 *   failure persists `last_error`, drops the staged values and ends in ERROR,
 *   whose reboot brings the device back to the stored config or to config mode.
 * - A provisioned device never falls back to the access point on its own: it
 *   retries with exponential backoff capped at `BACKOFF_MAX_MS`, spread by
 *   ±25 % with a per-device jitter derived from the chip id (a building full
 *   of devices does not come back in lock-step, nor later than it must).
 */

import { Hardware, JoinFailure, Undo, WifiEvent } from './ports';
import {
  BoardInfo, CloudEvent, ConfigRecord, PortalRequest, State,
  ERR_CLOUD, ERR_CLOUD_DNS, ERR_CLOUD_TLS, ERR_CONFIG, ERR_INTERNAL, ERR_NET,
  ERR_NET_AUTH, ERR_NET_NOT_FOUND, ERR_NET_NO_IP, ERR_NONE, ERR_TOKEN
} from './types';
import { copyRecord, defaultRecord } from './record';
import { crc32 } from './crc32';
import { Button } from './button';
import { Indicator } from './led';
import { ConfigStore } from './store';
import { CloudClient } from './cloud';
import { ConfigMode } from './mode-config';

/** Storage module with the portal, DNS and scanner (`lib/mode-config.ts`), loaded in config mode only. */
export const CONFIG_MODULE = 'edgent-portal';
/** Storage module with the cloud client (`lib/mode-cloud.ts`), loaded in the cloud states only. */
export const CLOUD_MODULE = 'edgent-cloud';
/** Storage module with the config store (`lib/mode-store.ts`), loaded for each use of the record. */
export const STORE_MODULE = 'edgent-store';
/** The access point's own address (the contract's fixed 192.168.4.1/24). */
export const AP_IP = '192.168.4.1';

/** Delay in SWITCH_TO_STA so the `/config` reply leaves before the AP goes down. */
export const SWITCH_DELAY_MS = 1000;
/** Delay before a requested reboot, so a reply already written can leave. */
export const REBOOT_DELAY_MS = 1000;
/** Per-attempt timeout of a Wi-Fi join. */
export const JOIN_TIMEOUT_MS = 50000;
/** Per-attempt timeout of a cloud connection (connect + login). */
export const CLOUD_TIMEOUT_MS = 50000;
/** Wait in ERROR before rebooting. */
export const ERROR_REBOOT_MS = 10000;
/** While the button is held in ERROR, the reboot is re-checked this often. */
export const ERROR_HOLD_RECHECK_MS = 1000;
/** Attempts per phase while provisioning (the contract's retry budget of 1). */
export const PROVISION_ATTEMPTS = 1;
/** Attempts per phase once provisioned (reference: 500) before ERROR and a reboot. */
export const PROVISIONED_ATTEMPTS = 500;
/** First retry delay; doubles per failed attempt. */
export const BACKOFF_MIN_MS = 5000;
/** Longest retry delay, before jitter (±25 %). */
export const BACKOFF_MAX_MS = 120000;

/** Options of `createMachine`. */
export interface MachineOptions {
  /** The board's ports. */
  hw: Hardware;
  /** Template id (board_info, the cloud's info message). */
  templateId: string;
  /** Template name (board_info). */
  templateName: string;
  /** Firmware type (board_info, info message). */
  fwType: string;
  /** Firmware version: board_info, info message, stored with the record. */
  fwVer: string;
  /** Build date string for the info message. */
  build: string;
  /** The device's own access point SSID. */
  apSsid: string;
  /** Access point WPA2 password, '' for an open network. */
  apPassword: string;
  /** Use TLS for the cloud. */
  tls: boolean;
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
  /** The configuration button: started and stopped with the machine; a hold postpones the ERROR reboot. */
  button?: Pick<Button, 'start' | 'stop' | 'isHeld'>;
  /** The status LED: shows every state. */
  indicator?: Pick<Indicator, 'setState' | 'stop'>;
  /** Throw on events the current state does not handle (tests). @default false */
  debug?: boolean;
}

/** Events the table knows. */
export type MachineEvent =
  | 'valid' | 'blank'
  | 'board_info' | 'config' | 'reset' | 'reboot' | 'stations_none' | 'idle'
  | 'timeout' | 'joined' | 'join_failed' | 'static_ip_failed'
  | 'online' | 'token_rejected' | 'cloud_failed' | 'net_lost' | 'cloud_lost'
  | 'config_start' | 'config_erase' | 'hold_reset' | 'done' | 'fatal';

/**
 * A transition target: a state, or `@retry` (next attempt after a backoff, or
 * ERROR when the budget is spent), `@reconnect` (cloud if Wi-Fi is up, else
 * network), `@reboot`, `@stay` (expected here, nothing to do).
 */
export type Target = State | '@retry' | '@reconnect' | '@reboot' | '@stay';

/** One state's row of the transition table: event → target. Unlisted events are ignored. */
export type Row = { [E in MachineEvent]?: Target };

/** Every state of the table, `BOOT` first. */
export const STATES: State[] = [
  'BOOT', 'WAIT_CONFIG', 'CONFIGURING', 'SWITCH_TO_STA', 'CONNECTING_NET', 'CONNECTING_CLOUD', 'RUNNING',
  'OTA_UPGRADE', 'RESET_CONFIG', 'ERROR'
];

/**
 * The transition table, one row per state: the single source of truth (the
 * tests read the whole table through it). A function rather than an object
 * of objects: on the board the code stays in flash and only the row asked for
 * exists in RAM, while it is looked at.
 */
export function transitions(s: State): Row {
  switch (s) {
    case 'BOOT':
      return { valid: 'CONNECTING_NET', blank: 'WAIT_CONFIG' };
    case 'WAIT_CONFIG':
      return {
        board_info: 'CONFIGURING', config: 'SWITCH_TO_STA', reset: 'RESET_CONFIG', reboot: '@reboot',
        idle: '@reboot', hold_reset: 'RESET_CONFIG', fatal: 'ERROR', stations_none: '@stay'
      };
    case 'CONFIGURING':
      return {
        stations_none: 'WAIT_CONFIG', config: 'SWITCH_TO_STA', reset: 'RESET_CONFIG', reboot: '@reboot',
        idle: '@reboot', hold_reset: 'RESET_CONFIG', fatal: 'ERROR', board_info: '@stay'
      };
    case 'SWITCH_TO_STA':
      return { timeout: 'CONNECTING_NET', hold_reset: 'RESET_CONFIG', stations_none: '@stay' };
    case 'CONNECTING_NET':
      return {
        joined: 'CONNECTING_CLOUD', join_failed: '@retry', timeout: '@retry', static_ip_failed: 'ERROR',
        fatal: 'ERROR', config_start: 'WAIT_CONFIG', hold_reset: 'RESET_CONFIG', net_lost: '@stay',
        stations_none: '@stay'
      };
    case 'CONNECTING_CLOUD':
      return {
        online: 'RUNNING', token_rejected: 'WAIT_CONFIG', cloud_failed: '@retry', timeout: '@retry',
        fatal: 'ERROR', net_lost: 'CONNECTING_NET', config_start: 'WAIT_CONFIG', hold_reset: 'RESET_CONFIG'
      };
    case 'RUNNING':
      return {
        cloud_lost: '@reconnect', net_lost: 'CONNECTING_NET', token_rejected: 'WAIT_CONFIG',
        config_start: 'WAIT_CONFIG', config_erase: 'RESET_CONFIG', reboot: '@reboot', hold_reset: 'RESET_CONFIG'
      };
    case 'OTA_UPGRADE':
      return { timeout: 'ERROR', hold_reset: 'RESET_CONFIG' };
    case 'RESET_CONFIG':
      return { done: 'WAIT_CONFIG', fatal: 'ERROR' };
    case 'ERROR':
      return { timeout: '@reboot', config_start: 'WAIT_CONFIG', hold_reset: 'RESET_CONFIG' };
  }
  return {};
}

/**
 * True in the states in which the access point, portal and DNS run.
 * SWITCH_TO_STA and RESET_CONFIG keep them so a reply already written can leave.
 */
export function isConfigState(s: State): boolean {
  return s === 'WAIT_CONFIG' || s === 'CONFIGURING' || s === 'SWITCH_TO_STA' || s === 'RESET_CONFIG';
}

/** True in the states in which the cloud link is wanted. */
export function isCloudState(s: State): boolean {
  return s === 'CONNECTING_CLOUD' || s === 'RUNNING';
}

/** True in the states in which the station link is wanted. */
export function isStationState(s: State): boolean {
  return s === 'CONNECTING_NET' || isCloudState(s);
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
  /** Subscribes to state changes (`next`, `prev`). */
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

/** Maps a join failure to the finest error code. */
export function joinErrorCode(reason: JoinFailure | 'timeout'): number {
  if (reason === 'wrong_password') return ERR_NET_AUTH;
  if (reason === 'no_ap_found') return ERR_NET_NOT_FOUND;
  if (reason === 'no_ip') return ERR_NET_NO_IP;
  if (reason === 'bad_static_ip') return ERR_CONFIG;
  return ERR_NET;
}

/** Maps a cloud failure reason to the finest error code. */
export function cloudErrorCode(reason: string): number {
  if (reason === 'dns') return ERR_CLOUD_DNS;
  if (reason === 'tls') return ERR_CLOUD_TLS;
  return ERR_CLOUD;
}

/**
 * The wait before attempt `n + 1` after `n` failed ones: `BACKOFF_MIN_MS`
 * doubling up to `BACKOFF_MAX_MS`, spread ±25 % by `seed`.
 */
export function backoff(n: number, seed: number): number {
  let d = BACKOFF_MIN_MS;
  for (let i = 1; i < n && d < BACKOFF_MAX_MS; i++) d = d * 2;
  if (d > BACKOFF_MAX_MS) d = BACKOFF_MAX_MS;
  return d - d / 4 + (seed % (d / 2 + 1));
}

/** Removes `fn` from `list` (an undo of a subscription). */
function removeFrom<T>(list: T[], fn: T): Undo {
  return function () {
    const i = list.indexOf(fn);
    if (i >= 0) list.splice(i, 1);
  };
}

// The device's state (createMachine sets it up; one device per board).
let o: MachineOptions;
let hw: Hardware;
let state: State = 'BOOT';
// Bumped by every transition, retry, reboot and stop: callbacks of an older epoch are dropped.
let epoch = 0;
let timer: unknown = null;
let idleTimer: unknown = null;
let listeners: Array<(next: State, prev: State) => void> = [];
let writers: Array<(pin: number, values: string[]) => void> = [];
let started = false;
let cfg: ConfigRecord;
let committed = false;
let fresh = false;
let rebooting = false;
let lastErr = ERR_NONE;
let failCode = ERR_NONE;
let attempts = 0;
// 0: access point down, 1: starting, 2: up with the config-mode module running.
let ap = 0;
// The epoch in which the access point was asked for: its failure counts only if nothing moved on since.
let apEpoch = 0;
let mode: ConfigMode | null = null;
let cloud: CloudClient | null = null;
let queue: MachineEvent[] | null = null;
let undoWifi: Undo | null = null;
let jitterSeed = 0;

/** Runs one call on the config store, which is in RAM only meanwhile. */
function useStore(op: 'load' | 'save' | 'erase', arg?: any): any {
  const mods = hw.modules;
  try {
    const s: ConfigStore = mods.load(STORE_MODULE).createStore({ flash: hw.flash, log: hw.system.log });
    return op === 'load' ? s.load() : op === 'save' ? s.save(arg) : s.erase(arg);
  } catch (e) {
    hw.system.log('store: ' + e);
    return op === 'load' ? defaultRecord() : 'failed';
  } finally {
    mods.unload(STORE_MODULE);
  }
}

/** Saves `cfg` as it is; false (logged) when the flash refused it. */
function persist(): boolean {
  const res = useStore('save', cfg);
  if (res === 'saved' || res === 'unchanged') return true;
  hw.system.log('config save failed: ' + res);
  return false;
}

/** Runs `fn` after `ms` unless the machine moves on first; replaces the pending timer. */
function later(fn: () => void, ms: number): void {
  const e = epoch;
  if (timer !== null) hw.clock.clearTimeout(timer);
  timer = hw.clock.setTimeout(function () {
    timer = null;
    if (e === epoch) fn();
  }, ms);
}

/** Drops the pending timer and makes every pending callback stale. */
function moveOn(): void {
  if (timer !== null) hw.clock.clearTimeout(timer);
  timer = null;
  epoch++;
}

/** The idle timeout of config mode fired: reboot into a stored config, or wait again. */
function onIdle(): void {
  idleTimer = null;
  if (useStore('load').valid) dispatch('idle');
  else armIdle();
}

/** (Re)arms the idle timeout while config mode runs; clears it otherwise. */
function armIdle(): void {
  if (idleTimer !== null) hw.clock.clearTimeout(idleTimer);
  idleTimer = null;
  if (o.configIdleTimeoutMs && ap === 2) idleTimer = hw.clock.setTimeout(onIdle, o.configIdleTimeoutMs);
}

/** The values of `/board_info.json` now. */
function info(): BoardInfo {
  return {
    board: o.templateName,
    tmpl_id: o.templateId,
    fw_type: o.fwType,
    fw_ver: o.fwVer,
    ssid: o.apSsid,
    bssid: hw.wifi.apMac(),
    mac: hw.wifi.staMac(),
    last_error: lastErr,
    wifi_scan: true,
    static_ip: true
  };
}

/** The access point of config mode came up (or failed): start the config-mode module on it. */
function onAp(err: string | null): void {
  if (ap !== 1) return;
  if (!err) {
    try {
      mode = hw.modules.load(CONFIG_MODULE).startConfigMode({ hw: hw, info: info, send: portal, captive: !!o.captive, apIp: AP_IP });
    } catch (x) {
      err = String(x);
    }
  }
  if (err) {
    hw.system.log('config mode failed: ' + err);
    configMode(false);
    if (apEpoch === epoch) fail(ERR_INTERNAL, 'fatal');
    return;
  }
  ap = 2;
  armIdle();
}

/** Starts config mode (access point, then the config-mode module) or stops it. */
function configMode(on: boolean): void {
  if (!on) {
    if (mode) {
      mode.stop();
      mode = null;
      hw.modules.unload(CONFIG_MODULE);
    }
    if (ap) hw.wifi.stopAP();
    ap = 0;
    armIdle();
    return;
  }
  if (ap) return;
  ap = 1;
  apEpoch = epoch;
  hw.wifi.startAP({ ssid: o.apSsid, password: o.apPassword }, onAp);
}

/** Drops the cloud link and its module. */
function dropCloud(): void {
  if (!cloud) return;
  cloud.disconnect();
  cloud = null;
  hw.modules.unload(CLOUD_MODULE);
}

/** Every virtual pin write from the cloud, to the product's handlers. */
function onWrite(pin: number, values: string[]): void {
  const w = writers.slice();
  for (let i = 0; i < w.length; i++) w[i](pin, values);
}

/** The attempt of the current state took too long. */
function onAttemptTimeout(): void {
  const net = state === 'CONNECTING_NET';
  if (net) hw.wifi.leave();
  else dropCloud();
  failCode = net ? ERR_NET : ERR_CLOUD;
  dispatch('timeout');
}

/** One join or cloud attempt of the current state, with its timeout. */
function attempt(): void {
  attempts++;
  const e = epoch;
  const c = cfg;
  const net = state === 'CONNECTING_NET';
  if (net) {
    hw.wifi.join({
      ssid: c.ssid,
      password: c.pass,
      hostname: o.apSsid.split(' ').join('-'),
      staticIp: c.staticIp ? { ip: c.ip, mask: c.mask, gw: c.gw, dns: c.dns, dns2: c.dns2 } : null
    }, function (err) {
      if (e !== epoch || state !== 'CONNECTING_NET') return;
      if (!err) {
        dispatch('joined');
      } else if (err === 'bad_static_ip') {
        fail(ERR_CONFIG, 'static_ip_failed');
      } else {
        failCode = joinErrorCode(err);
        dispatch('join_failed');
      }
    });
  } else {
    try {
      if (!cloud) {
        cloud = hw.modules.load(CLOUD_MODULE).createCloud({
          net: hw.net,
          clock: hw.clock,
          info: { fwVer: o.fwVer, fwType: o.fwType, tmplId: o.templateId, build: o.build, dev: hw.system.board },
          heartbeatS: o.heartbeatS,
          buffIn: o.buffIn,
          log: hw.system.log,
          onEvent: onCloud,
          onWrite: onWrite
        }) as CloudClient;
      }
      cloud.connect({ host: c.host, port: o.tls ? c.portSsl : c.port, tls: o.tls, token: c.token, ca: o.tls ? o.tlsCa : undefined });
    } catch (x) {
      hw.system.log('cloud: ' + x);
    }
  }
  later(onAttemptTimeout, net ? JOIN_TIMEOUT_MS : CLOUD_TIMEOUT_MS);
}

/**
 * Records an operational failure in RAM and flash, drops staged credentials
 * (back to the stored record) and takes the event that follows it.
 */
function fail(code: number, ev: MachineEvent): void {
  lastErr = code;
  const rec = useStore('load');
  rec.lastError = code;
  useStore('save', rec);
  if (!committed) {
    cfg = useStore('load');
    fresh = false;
  }
  dispatch(ev);
}

/** ERROR and OTA_UPGRADE end after a wait; a button held in ERROR postpones it. */
function onErrorWait(): void {
  if (state === 'ERROR' && o.button && o.button.isHeld()) later(onErrorWait, ERROR_HOLD_RECHECK_MS);
  else dispatch('timeout');
}

/** SWITCH_TO_STA's delay is over. */
function onSwitched(): void {
  dispatch('timeout');
}

/** Entry actions. */
function enter(s: State): void {
  if (s === 'CONNECTING_NET' || s === 'CONNECTING_CLOUD') {
    attempts = 0;
    if (s === 'CONNECTING_CLOUD' && !hw.wifi.isJoined()) dispatch('net_lost');
    else attempt();
  } else if (s === 'SWITCH_TO_STA') {
    later(onSwitched, SWITCH_DELAY_MS);
  } else if (s === 'RUNNING') {
    // First login with these credentials: make them VALID, clear the error, tell the cloud our AP name.
    if (!fresh && lastErr === ERR_NONE) return;
    lastErr = ERR_NONE;
    cfg.lastError = ERR_NONE;
    cfg.valid = true;
    cfg.fwVer = o.fwVer;
    committed = persist();
    if (!committed) lastErr = ERR_INTERNAL;
    if (fresh && cloud) cloud.setMeta('Hotspot Name', o.apSsid);
    fresh = false;
  } else if (s === 'RESET_CONFIG') {
    const res = useStore('erase', o.fwVer);
    cfg = useStore('load');
    committed = false;
    lastErr = ERR_NONE;
    if (res === 'saved' || res === 'unchanged') dispatch('done');
    else fail(ERR_INTERNAL, 'fatal');
  } else if (s === 'ERROR' || s === 'OTA_UPGRADE') {
    later(onErrorWait, ERROR_REBOOT_MS);
  }
}

/** The reboot delay is over. */
function onReboot(): void {
  stop();
  hw.system.reboot();
}

/** Applies one event: the table's target, a pseudo-target, or nothing. */
function apply(ev: MachineEvent): void {
  let next = transitions(state)[ev];
  if (next === undefined) {
    if (o.debug) throw new Error('event ' + ev + ' not handled in ' + state);
    return;
  }
  if (next === '@stay') return;
  if (next === '@retry') {
    // After a failed attempt: the next one after a backoff, or ERROR once the budget is spent.
    moveOn();
    if (state === 'CONNECTING_CLOUD') dropCloud();
    else hw.wifi.leave();
    if (attempts >= (committed ? o.provisionedAttempts || PROVISIONED_ATTEMPTS : o.provisionAttempts || PROVISION_ATTEMPTS)) {
      fail(failCode, 'fatal');
      return;
    }
    jitterSeed = crc32('j', jitterSeed);
    later(attempt, backoff(attempts, jitterSeed));
    return;
  }
  if (next === '@reboot') {
    moveOn();
    rebooting = true;
    later(onReboot, REBOOT_DELAY_MS);
    return;
  }
  if (next === '@reconnect') next = hw.wifi.isJoined() ? 'CONNECTING_CLOUD' : 'CONNECTING_NET';
  const prev = state;
  moveOn();
  state = next;
  if (!isConfigState(next)) configMode(false);
  if (!isCloudState(next) || !isCloudState(prev)) dropCloud();
  if (!isStationState(next)) hw.wifi.leave();
  if (isConfigState(next)) configMode(true);
  hw.system.log(prev + ' => ' + next);
  if (o.indicator) o.indicator.setState(next);
  const ls = listeners.slice();
  for (let i = 0; i < ls.length; i++) ls[i](next, prev);
  enter(next);
}

/** Queues an event; events raised while one is handled run after it. */
function dispatch(ev: MachineEvent): void {
  if (queue) {
    queue.push(ev);
    return;
  }
  const q = (queue = [ev]);
  try {
    while (q.length && started && !rebooting) apply(q.shift() as MachineEvent);
  } finally {
    queue = null;
  }
}

/** What the cloud client reports. */
function onCloud(ev: CloudEvent): void {
  if (ev.type === 'online') {
    dispatch('online');
  } else if (ev.type === 'rejected') {
    if (ev.status === 9) {
      fail(ERR_TOKEN, 'token_rejected');
    } else {
      failCode = ERR_CLOUD;
      dispatch('cloud_failed');
    }
  } else if (ev.type === 'offline') {
    failCode = cloudErrorCode(ev.reason);
    dispatch(state === 'RUNNING' ? 'cloud_lost' : 'cloud_failed');
  } else {
    dispatch(ev.command === 'reboot' ? 'reboot' : ev.command === 'config start' ? 'config_start' : 'config_erase');
  }
}

/** What the radio reports: the last station left the access point, or the station link was lost. */
function onWifi(ev: WifiEvent): void {
  if (ev.type === 'stations') {
    if (ev.count === 0) dispatch('stations_none');
  } else {
    failCode = ERR_NET;
    dispatch('net_lost');
  }
}

function start(): void {
  if (started) return;
  started = true;
  undoWifi = hw.wifi.onEvent(onWifi);
  cfg = useStore('load');
  committed = cfg.valid;
  lastErr = cfg.lastError;
  if (o.button) o.button.start();
  dispatch(committed ? 'valid' : 'blank');
}

function stop(): void {
  if (o.button) o.button.stop();
  if (o.indicator) o.indicator.stop();
  if (!started) return;
  started = false;
  rebooting = false;
  moveOn();
  if (undoWifi) undoWifi();
  undoWifi = null;
  configMode(false);
  dropCloud();
  hw.wifi.leave();
}

function portal(req: PortalRequest): void {
  if (req.type === 'activity') {
    if (idleTimer !== null) armIdle();
    return;
  }
  if (req.type === 'config') {
    if (transitions(state).config === undefined) return;
    cfg = copyRecord(req.config);
    cfg.fwVer = o.fwVer;
    committed = false;
    fresh = true;
    if (req.save) {
      cfg.valid = true;
      cfg.lastError = ERR_NONE;
      lastErr = ERR_NONE;
      committed = persist();
    }
  }
  dispatch(req.type);
}

/** The device's methods (see `Machine`): module-level functions, one object. */
const api: Machine = {
  start: start,
  stop: stop,
  state: function () {
    return state;
  },
  lastError: function () {
    return lastErr;
  },
  config: function () {
    return copyRecord(cfg);
  },
  onStateChange: function (fn) {
    listeners.push(fn);
    return removeFrom(listeners, fn);
  },
  portal: portal,
  holdReset: function () {
    dispatch('hold_reset');
  },
  reconfigure: function () {
    dispatch('config_start');
  },
  virtualWrite: function (pin, value) {
    return cloud ? cloud.virtualWrite(pin, value) : false;
  },
  onVirtualWrite: function (fn) {
    writers.push(fn);
    return removeFrom(writers, fn);
  },
  syncVirtual: function (pins) {
    if (cloud) cloud.syncVirtual(pins);
  },
  isOnline: function () {
    return cloud ? cloud.isOnline() : false;
  }
};

/**
 * Creates the device: the state machine with its resources, ready to
 * `start()`. A board runs one device: a second call stops the first and
 * takes its place. The state lives in this module and one timer slot (a
 * state waits for one thing at a time); callbacks are created only when a
 * wait needs its own epoch.
 */
export function createMachine(options: MachineOptions): Machine {
  if (hw) stop();
  o = options;
  hw = options.hw;
  state = 'BOOT';
  epoch++;
  timer = null;
  idleTimer = null;
  listeners = [];
  writers = [];
  started = false;
  cfg = defaultRecord();
  committed = false;
  fresh = false;
  rebooting = false;
  lastErr = ERR_NONE;
  failCode = ERR_NONE;
  attempts = 0;
  ap = 0;
  mode = null;
  cloud = null;
  queue = null;
  undoWifi = null;
  jitterSeed = crc32(hw.system.chipId());
  return api;
}
