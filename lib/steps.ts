/**
 * The provisioning state machine of the Edgent contract: the transition table
 * and every step the device takes on an event. This is the Storage module
 * `edgent-steps`: the device (`lib/machine.ts`) keeps its state in one object
 * and loads this module for each event it gets, so on the board none of these
 * functions holds RAM between events. Nothing here may outlive a step: timers,
 * joins, the access point, config mode and the cloud report to the device's
 * own functions (`Device.h`).
 *
 * - One transition table (`transitions`) maps each state's events to a target
 *   state or to a pseudo-target: `@retry` (another attempt after a backoff
 *   while the budget lasts, else ERROR), `@reconnect` (cloud if Wi-Fi is up,
 *   else network) and `@reboot`.
 * - One place writes the state: it clears the old state's timer, starts/stops
 *   the resources each state needs (access point with the config-mode module,
 *   station link, cloud module), runs the entry action, logs `OLD => NEW`,
 *   shows the state's LED pattern and notifies listeners once.
 * - A state waits for one thing at a time: one timer slot, whose kind says
 *   what it waits for. Every transition, retry, reboot and stop clears it and
 *   bumps the epoch; a join's answer from an older epoch is dropped.
 * - Mode code lives in Storage modules loaded through `hw.modules` only while
 *   needed: the portal and DNS (`CONFIG_MODULE`) to start and stop config mode
 *   and, through the device's relay, for each of its requests, the cloud
 *   client (`CLOUD_MODULE`) for each of its calls and each socket or timer
 *   event in the cloud states (the device keeps its state), the config store
 *   (`STORE_MODULE`) for each read or write of the record, the button's
 *   gestures (`BUTTON_MODULE`) to start and stop its watch, the update
 *   (`OTA_MODULE`) for each event of a download in OTA_UPGRADE. A board loads
 *   its radio port from flash for each `hw.wifi()` and frees it after, so it
 *   is never held across a step's other work.
 * - Credentials from `/config` are staged in RAM and committed as VALID only
 *   after the first cloud login, in a step of its own right after it (or at
 *   once with `save`). A first-provisioning
 *   failure persists `last_error`, drops the staged values and ends in ERROR,
 *   whose reboot brings the device back to the stored config or to config mode.
 * - A provisioned device never falls back to the access point on its own: it
 *   retries with exponential backoff capped at `BACKOFF_MAX_MS`, spread by
 *   ±25 % with a per-device jitter derived from the chip id (a building full
 *   of devices does not come back in lock-step, nor later than it must).
 */

import { Hardware, JoinFailure, WifiEvent } from './ports';
import {
  CloudEvent, ConfigRecord, PortalRequest, State,
  ERR_CLOUD, ERR_CLOUD_DNS, ERR_CLOUD_TLS, ERR_CONFIG, ERR_INTERNAL, ERR_NET,
  ERR_NET_AUTH, ERR_NET_NOT_FOUND, ERR_NET_NO_IP, ERR_NONE, ERR_TOKEN
} from './types';
import { copyRecord } from './record';
import { crc32 } from './crc32';
import { CloudOptions, CloudState } from './cloud';
import type { Device, MachineOptions } from './machine';
import type { RecordOp } from './record-ops';

export { BUTTON_MODULE, CLOUD_MODULE, CONFIG_MODULE, OTA_MODULE, SETUP_MODULE, STEPS_MODULE, STORE_MODULE } from './modules';
import { BUTTON_MODULE, CLOUD_MODULE, CONFIG_MODULE, STORE_MODULE } from './modules';
import { OTA_EVENT } from './slots';

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
/** Wait between Blynk.Air's `ota` command and the update (the reference's 2 s: the event `sys_ota` leaves first). */
export const OTA_START_DELAY_MS = 2000;
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

/** Events the table knows. */
export type MachineEvent =
  | 'valid' | 'blank'
  | 'board_info' | 'config' | 'reset' | 'reboot' | 'stations_none' | 'idle'
  | 'timeout' | 'joined' | 'join_failed' | 'static_ip_failed'
  | 'online' | 'token_rejected' | 'cloud_failed' | 'net_lost' | 'cloud_lost'
  | 'config_start' | 'config_erase' | 'hold_reset' | 'done' | 'fatal'
  | 'ota' | 'updated' | 'update_failed';

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
        config_start: 'WAIT_CONFIG', config_erase: 'RESET_CONFIG', reboot: '@reboot', hold_reset: 'RESET_CONFIG',
        ota: 'OTA_UPGRADE'
      };
    case 'OTA_UPGRADE':
      return { updated: '@reboot', update_failed: 'ERROR', hold_reset: 'RESET_CONFIG', net_lost: '@stay', stations_none: '@stay' };
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
  return s === 'CONNECTING_NET' || s === 'OTA_UPGRADE' || isCloudState(s);
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


/** What the one timer slot waits for. */
export type TimerKind = '' | 'attempt' | 'retry' | 'switch' | 'error' | 'reboot' | 'commit' | 'erase' | 'ota' | 'update';

// The device this step works on (set by `run` at each call).
let S: Device;
let hw: Hardware;
let o: MachineOptions;

/** Runs one operation on the stored record (the store module's `use`, loaded for it). */
function record(op: RecordOp, arg?: ConfigRecord): any {
  return S.h.use(STORE_MODULE, 'use', S, op, arg);
}

/** Arms the timer slot for `kind` (replacing what it waited for). */
function later(kind: TimerKind, ms: number): void {
  if (S.timer !== undefined) hw.clock.clearTimeout(S.timer);
  S.timerKind = kind;
  S.timer = hw.clock.setTimeout(S.h.timer, ms);
}

/** Drops the pending timer and makes every pending answer stale. */
function moveOn(): void {
  if (S.timer !== undefined) hw.clock.clearTimeout(S.timer);
  S.timer = undefined;
  S.timerKind = '';
  S.epoch++;
}

/** (Re)arms the idle timeout while config mode runs; clears it otherwise. */
function armIdle(): void {
  if (S.idleTimer !== undefined) hw.clock.clearTimeout(S.idleTimer);
  S.idleTimer = undefined;
  if (o.configIdleTimeoutMs && S.ap === 2) S.idleTimer = hw.clock.setTimeout(S.h.call.bind(null, 'idle'), o.configIdleTimeoutMs);
}

/** Starts config mode (access point, then the config-mode module) or stops it. */
function configMode(on: boolean): void {
  if (!on) {
    if (S.mode) {
      try {
        hw.modules.load((hw.system.slot ? hw.system.slot.p : '') + CONFIG_MODULE).stopConfigMode(S.mode);
      } finally {
        S.mode = undefined;
        hw.modules.unload((hw.system.slot ? hw.system.slot.p : '') + CONFIG_MODULE);
      }
    }
    if (S.ap) hw.wifi().stopAP();
    S.ap = 0;
    S.macs = undefined;
    armIdle();
    return;
  }
  if (S.ap) return;
  S.ap = 1;
  S.apEpoch = S.epoch;
  hw.wifi().startAP({ ssid: o.apSsid, password: o.apPassword || '' }, S.h.call.bind(null, 'ap'));
}

/** Stops an update in progress (its late events are ignored). */
function dropUpdate(): void {
  if (!S.ota) return;
  if (S.ota.t !== undefined) hw.clock.clearTimeout(S.ota.t);
  S.ota = undefined;
}

/** Drops the cloud link and the client's state. */
function dropCloud(): void {
  if (!S.cloud) return;
  S.h.use(CLOUD_MODULE, 'cloudDrop', S.cloud);
  S.cloud = undefined;
}

/** One join or cloud attempt of the current state, with its timeout. */
function attempt(): void {
  S.attempts++;
  const c: ConfigRecord = S.cfg || record('load');
  const net = S.state === 'CONNECTING_NET';
  if (net) {
    hw.wifi().join({
      ssid: c.ssid,
      password: c.pass,
      hostname: o.apSsid.split(' ').join('-'),
      staticIp: c.staticIp ? { ip: c.ip, mask: c.mask, gw: c.gw, dns: c.dns, dns2: c.dns2 } : null
    }, S.h.call.bind(null, 'join', S.epoch));
  } else {
    try {
      if (!S.cloud) {
        const co: CloudOptions = {
          net: hw.net,
          clock: hw.clock,
          info: { fwVer: o.fwVer, fwType: o.fwType || o.templateId, tmplId: o.templateId, build: o.build || '', dev: hw.system.board },
          heartbeatS: o.heartbeatS,
          buffIn: o.buffIn,
          log: hw.system.log,
          onEvent: S.h.cloud,
          onWrite: S.h.write,
          relay: S.h.use
        };
        S.cloud = S.h.use(CLOUD_MODULE, 'cloudState', co) as CloudState;
      }
      S.h.use(CLOUD_MODULE, 'cloudConnect', S.cloud, { host: c.host, port: o.tls ? c.portSsl : c.port, tls: !!o.tls, token: c.token, ca: o.tls ? o.tlsCa : undefined });
    } catch (x) {
      hw.system.log('cloud: ' + x);
    }
  }
  later('attempt', net ? JOIN_TIMEOUT_MS : CLOUD_TIMEOUT_MS);
}

/**
 * Records an operational failure, drops staged credentials (back to the
 * stored record) and takes the event that follows it. The code reaches flash
 * in a step of its own (`saveError`), once the failed join's or login's
 * answer, and what it held, is gone: on the board the two do not fit together.
 */
function fail(code: number, ev: MachineEvent): void {
  S.lastErr = code;
  S.h.putOff('save_error');
  if (!S.committed) {
    S.cfg = undefined;
    S.fresh = false;
  }
  dispatch(ev);
}

/** Entry actions. */
function enter(s: State): void {
  if (s === 'CONNECTING_NET' || s === 'CONNECTING_CLOUD') {
    S.attempts = 0;
    if (s === 'CONNECTING_NET') attempt();
    else if (!hw.wifi().isJoined()) dispatch('net_lost');
    // The first cloud attempt is a step of its own: the join's answer (and the radio port that
    // gave it) is gone by then, which the cloud client and its socket need the RAM of.
    else later('retry', 0);
  } else if (s === 'SWITCH_TO_STA') {
    later('switch', SWITCH_DELAY_MS);
  } else if (s === 'RUNNING') {
    // First login with these credentials: the device commits them once the login's handling is
    // over (lib/machine.ts `commit`; on the board the two would need their RAM at the same time).
    if (S.fresh || S.lastErr !== ERR_NONE || (hw.system.slot && hw.system.slot.c)) later('commit', 0);
  } else if (s === 'RESET_CONFIG') {
    // The device erases the record once this step is over (lib/machine.ts `erase`: the store
    // alone, while the cloud link that was just dropped may still hold its RAM), then reports `erased`.
    S.cfg = undefined;
    S.committed = false;
    S.lastErr = ERR_NONE;
    later('erase', 0);
  } else if (s === 'OTA_UPGRADE') {
    // The device runs the update once this step is over (lib/machine.ts), with the update module alone.
    later('update', 0);
  } else if (s === 'ERROR') {
    later('error', ERROR_REBOOT_MS);
  }
}

/** Applies one event: the table's target, a pseudo-target, or nothing. */
function apply(ev: MachineEvent): void {
  let next = transitions(S.state)[ev];
  if (next === undefined) {
    if (o.debug) throw new Error('event ' + ev + ' not handled in ' + S.state);
    return;
  }
  if (next === '@stay') return;
  if (next === '@retry') {
    // After a failed attempt: the next one after a backoff, or ERROR once the budget is spent.
    moveOn();
    if (S.state === 'CONNECTING_CLOUD') dropCloud();
    else hw.wifi().leave();
    if (S.attempts >= (S.committed ? o.provisionedAttempts || PROVISIONED_ATTEMPTS : o.provisionAttempts || PROVISION_ATTEMPTS)) {
      fail(S.failCode, 'fatal');
      return;
    }
    S.jitterSeed = crc32('j', S.jitterSeed);
    later('retry', backoff(S.attempts, S.jitterSeed));
    return;
  }
  if (next === '@reboot') {
    moveOn();
    S.rebooting = true;
    later('reboot', REBOOT_DELAY_MS);
    return;
  }
  if (next === '@reconnect') next = hw.wifi().isJoined() ? 'CONNECTING_CLOUD' : 'CONNECTING_NET';
  const prev = S.state;
  moveOn();
  dropUpdate();
  S.state = next;
  if (!isConfigState(next)) configMode(false);
  if (!isCloudState(next) || !isCloudState(prev)) dropCloud();
  // Only a station state (or the boot, when the chip may rejoin a network it saved) has a link to leave.
  if (!isStationState(next) && (isStationState(prev) || prev === 'BOOT')) hw.wifi().leave();
  if (isConfigState(next)) configMode(true);
  hw.system.log(prev + ' => ' + next);
  if (o.indicator) o.indicator.setState(next);
  // The product's listeners run once this step is over (the device's `notify`): its code never
  // shares the RAM with this module, and what it calls (a cloud write) runs outside the steps.
  if (S.listeners.length) S.h.putOff('notify', [next, prev]);
  enter(next);
}

/** Queues an event; events raised while one is handled run after it. */
function dispatch(ev: MachineEvent): void {
  if (S.queue) {
    S.queue.push(ev);
    return;
  }
  const q = (S.queue = [ev]);
  try {
    while (q.length && S.started && !S.rebooting) apply(q.shift() as MachineEvent);
  } finally {
    S.queue = undefined;
  }
}

/** Stops every timer, watch, link and service, and the LED. */
function stop(): void {
  if (o.button) S.h.use(BUTTON_MODULE, 'buttonStop', o.button);
  if (o.indicator) o.indicator.stop();
  if (!S.started) return;
  S.started = false;
  S.rebooting = false;
  moveOn();
  dropUpdate();
  if (S.undoWifi) S.undoWifi();
  S.undoWifi = undefined;
  configMode(false);
  dropCloud();
  hw.wifi().leave();
}

/**
 * Runs one operation of the device `dev`: `start`, `stop`, `config` (a copy of
 * the record), `portal` (a portal request), `timer`, `idle`, `join` (with the
 * attempt's epoch), `ap`, `cloud`, `wifi`, `erased` (what those report),
 * `save_error` (see `fail`), or any other name as an event of the table.
 *
 * The operations are the cases of one switch rather than functions of their
 * own: on the board this module is loaded for every event, and each function
 * it defines would cost RAM at each load; a case's code exists only in flash.
 */
export function run(dev: Device, op: string, arg?: any, arg2?: any): any {
  S = dev;
  hw = dev.hw;
  o = dev.o;
  // Every case's variables, declared before the switch: Espruino does not hoist a `var` out of a case.
  let c: ConfigRecord;
  let err: string | null;
  let res: string;
  let kind: string;
  let req: PortalRequest;
  let cev: CloudEvent;
  let wev: WifiEvent;
  switch (op) {
    case 'start': {
      // Loads the stored record and enters the first state (idempotent).
      if (S.started) return;
      S.started = true;
      S.jitterSeed = crc32(hw.system.chipId());
      S.undoWifi = hw.wifi().onEvent(S.h.wifi);
      c = record('load');
      S.committed = c.valid;
      S.lastErr = c.lastError;
      // Not held while the first state is entered (its attempt reads the record again).
      c = undefined as unknown as ConfigRecord;
      if (o.button) S.h.use(BUTTON_MODULE, 'buttonStart', o.button);
      return dispatch(S.committed ? 'valid' : 'blank');
    }
    case 'stop':
      return stop();
    case 'config':
      // A copy of the record the device works with.
      return S.cfg ? copyRecord(S.cfg) : record('load');
    case 'portal': {
      // A request from the portal.
      req = arg;
      if (req.type === 'activity') {
        if (S.idleTimer !== undefined) armIdle();
        return;
      }
      if (req.type === 'config') {
        if (transitions(S.state).config === undefined) return;
        c = S.cfg = copyRecord(req.config);
        c.fwVer = o.fwVer;
        S.committed = false;
        S.fresh = true;
        if (req.save) {
          // Stored at once: then it is no longer held in RAM (the stored record is read when needed).
          c.valid = true;
          c.lastError = ERR_NONE;
          S.lastErr = ERR_NONE;
          res = record('save', c);
          S.committed = res === 'saved' || res === 'unchanged';
          if (S.committed) S.cfg = undefined;
          else hw.system.log('config save failed: ' + res);
        }
      }
      return dispatch(req.type);
    }
    case 'timer': {
      // The timer slot fired: do what it waited for.
      kind = S.timerKind;
      S.timerKind = '';
      if (kind === 'attempt') {
        // The attempt took too long.
        if (S.state === 'CONNECTING_NET') {
          hw.wifi().leave();
          S.failCode = ERR_NET;
        } else {
          dropCloud();
          S.failCode = ERR_CLOUD;
        }
        dispatch('timeout');
      } else if (kind === 'retry') {
        attempt();
      } else if (kind === 'error') {
        // ERROR ends after a wait; a button held postpones it.
        if (o.button && o.button.since >= 0) later('error', ERROR_HOLD_RECHECK_MS);
        else dispatch('timeout');
      } else if (kind === 'reboot') {
        stop();
        hw.system.reboot();
      } else if (kind === 'switch') {
        dispatch('timeout');
      } else if (kind === 'ota') {
        dispatch('ota');
      }
      return;
    }
    case 'idle':
      // The idle timeout of config mode: reboot into a stored config, or wait again.
      S.idleTimer = undefined;
      if (record('load').valid) dispatch('idle');
      else armIdle();
      return;
    case 'join': {
      // The answer of the join attempt made in epoch `arg` (dropped if the device has moved on since).
      if (arg !== S.epoch || S.state !== 'CONNECTING_NET') return;
      if (!arg2) dispatch('joined');
      else if (arg2 === 'bad_static_ip') fail(ERR_CONFIG, 'static_ip_failed');
      else {
        S.failCode = joinErrorCode(arg2 as JoinFailure);
        dispatch('join_failed');
      }
      return;
    }
    case 'ap': {
      // The access point of config mode came up (or failed, `arg`): start the config-mode module on it.
      err = arg as string | null;
      if (S.ap !== 1) return;
      if (!err) {
        try {
          S.mode = hw.modules.load((hw.system.slot ? hw.system.slot.p : '') + CONFIG_MODULE).startConfigMode({
            hw: hw, info: S.h.info, send: S.h.portal, captive: !!o.captive, apIp: AP_IP, relay: S.h.use
          });
        } catch (x) {
          err = String(x);
        } finally {
          hw.modules.unload((hw.system.slot ? hw.system.slot.p : '') + CONFIG_MODULE);
        }
      }
      if (err) {
        hw.system.log('config mode failed: ' + err);
        configMode(false);
        if (S.apEpoch === S.epoch) fail(ERR_INTERNAL, 'fatal');
        return;
      }
      S.ap = 2;
      // The MACs `/board_info.json` shows, read now: a request would otherwise load the radio's module
      // on top of the portal's and the request's own RAM.
      S.macs = hw.wifi().apMac() + ' ' + hw.wifi().staMac();
      armIdle();
      return;
    }
    case 'cloud': {
      // What the cloud client reports.
      cev = arg;
      if (cev.type === 'online') {
        dispatch('online');
      } else if (cev.type === 'rejected') {
        if (cev.status === 9) {
          fail(ERR_TOKEN, 'token_rejected');
        } else {
          S.failCode = ERR_CLOUD;
          dispatch('cloud_failed');
        }
      } else if (cev.type === 'offline') {
        S.failCode = cloudErrorCode(cev.reason);
        dispatch(S.state === 'RUNNING' ? 'cloud_lost' : 'cloud_failed');
      } else if (cev.type === 'ota') {
        // Blynk.Air's update: the event first, the update after a wait (an update already coming is not restarted).
        if (S.state !== 'RUNNING' || S.timerKind === 'ota') return;
        if (!hw.system.slot) {
          // Without the slot loader (the library deployed as a module under the product's boot code) nothing could run an update.
          hw.system.log('OTA failed: no slot loader in this firmware');
          S.h.use(CLOUD_MODULE, 'cloudPins', S.cloud, OTA_EVENT, 'OTA failed: no slot loader in this firmware');
          return;
        }
        S.air = cev.url;
        S.h.use(CLOUD_MODULE, 'cloudPins', S.cloud, OTA_EVENT, 'OTA started');
        hw.system.log('OTA requested');
        later('ota', OTA_START_DELAY_MS);
      } else {
        dispatch(cev.command === 'reboot' ? 'reboot' : cev.command === 'config start' ? 'config_start' : 'config_erase');
      }
      return;
    }
    case 'wifi': {
      // What the radio reports: the last station left the access point, or the station link was lost.
      wev = arg;
      if (wev.type === 'stations') {
        if (wev.count === 0) dispatch('stations_none');
      } else {
        S.failCode = ERR_NET;
        dispatch('net_lost');
      }
      return;
    }
    case 'erased':
      // The record was erased (`arg`) or the flash refused it.
      if (arg) dispatch('done');
      else fail(ERR_INTERNAL, 'fatal');
      return;
    case 'save_error': {
      // Writes the last failure's code to the stored record (see `fail`).
      c = record('load');
      c.lastError = S.lastErr;
      record('save', c);
      return;
    }
  }
  dispatch(op as MachineEvent);
}
