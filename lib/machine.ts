/**
 * The provisioning state machine of the Edgent contract.
 *
 * - One transition table (`TABLE`) maps each state's events to a target state
 *   or to a pseudo-target: `@retry` (another attempt after a backoff while the
 *   budget lasts, else ERROR), `@reconnect` (cloud if Wi-Fi is up, else
 *   network) and `@reboot`.
 * - `go()` is the only writer of the state: it clears the old state's timers,
 *   starts/stops the resources each state needs (access point with portal and
 *   DNS, station link, cloud link), runs the entry action, logs `OLD => NEW`
 *   and notifies listeners once.
 * - Every attempt owns a timeout; every callback carries the epoch of the state
 *   that started it and is dropped when the machine has moved on.
 * - Credentials from `/config` are staged in RAM and committed as VALID only
 *   after the first cloud login (or at once with `save`). A first-provisioning
 *   failure persists `last_error`, drops the staged values and ends in ERROR,
 *   whose reboot brings the device back to the stored config or to config mode.
 * - A provisioned device never falls back to the access point on its own: it
 *   retries with exponential backoff capped at `BACKOFF_MAX_MS`, spread by
 *   ±25 % with a per-device jitter derived from the chip id (a building full
 *   of devices does not come back in lock-step, nor later than it must).
 */

import { Hardware, JoinFailure, Undo } from './ports';
import {
  CloudEvent, CloudLink, ConfigRecord, PortalRequest, State,
  ERR_CLOUD, ERR_CLOUD_DNS, ERR_CLOUD_TLS, ERR_CONFIG, ERR_INTERNAL, ERR_NET,
  ERR_NET_AUTH, ERR_NET_NOT_FOUND, ERR_NET_NO_IP, ERR_NONE, ERR_TOKEN
} from './types';
import { copyRecord, defaultRecord } from './record';
import { crc32 } from './crc32';

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

/** The slice of the config store the machine uses. */
export interface StoreLike {
  /** Newest valid record, or defaults. */
  load(): ConfigRecord;
  /** Persists a record: `saved`, `unchanged`, `invalid` or `failed`. */
  save(rec: ConfigRecord): string;
  /** Factory reset to defaults in every slot. */
  erase(fwVer: string): string;
}

/** A service that runs only in config mode (portal, DNS). */
export interface Service {
  /** Starts it (idempotent). */
  start(): void;
  /** Stops it and releases everything it holds. */
  stop(): void;
}

/** Options of `createMachine`. */
export interface MachineOptions {
  /** The board's ports (clock, wifi, system are used here). */
  hw: Hardware;
  /** Config store. */
  store: StoreLike;
  /** Cloud link. */
  cloud: CloudLink;
  /** Config-mode services started once the access point is up. */
  services: Service[];
  /** The device's own access point SSID. */
  apSsid: string;
  /** Access point WPA2 password, '' for an open network. */
  apPassword: string;
  /** Firmware version, stored with the record. */
  fwVer: string;
  /** Use TLS for the cloud. @default hw.net.tls */
  tls: boolean;
  /** PEM certificate the cloud's TLS certificate must chain to; absent = not verified. */
  tlsCa?: string;
  /** Attempts per phase while provisioning. @default PROVISION_ATTEMPTS */
  provisionAttempts?: number;
  /** Attempts per phase once provisioned. @default PROVISIONED_ATTEMPTS */
  provisionedAttempts?: number;
  /** Reboot into the stored config after this long without portal activity (0 = off). @default 0 */
  configIdleTimeoutMs?: number;
  /** True while the configuration button is held (postpones the ERROR reboot). */
  isHeld?: () => boolean;
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

/** The transition table: per state, event → target. Unlisted events are ignored. */
export const TABLE: { [S in State]: { [E in MachineEvent]?: Target } } = {
  BOOT: { valid: 'CONNECTING_NET', blank: 'WAIT_CONFIG' },
  WAIT_CONFIG: {
    board_info: 'CONFIGURING', config: 'SWITCH_TO_STA', reset: 'RESET_CONFIG', reboot: '@reboot',
    idle: '@reboot', hold_reset: 'RESET_CONFIG', fatal: 'ERROR', stations_none: '@stay'
  },
  CONFIGURING: {
    stations_none: 'WAIT_CONFIG', config: 'SWITCH_TO_STA', reset: 'RESET_CONFIG', reboot: '@reboot',
    idle: '@reboot', hold_reset: 'RESET_CONFIG', fatal: 'ERROR', board_info: '@stay'
  },
  SWITCH_TO_STA: { timeout: 'CONNECTING_NET', hold_reset: 'RESET_CONFIG', stations_none: '@stay' },
  CONNECTING_NET: {
    joined: 'CONNECTING_CLOUD', join_failed: '@retry', timeout: '@retry', static_ip_failed: 'ERROR',
    fatal: 'ERROR', config_start: 'WAIT_CONFIG', hold_reset: 'RESET_CONFIG', net_lost: '@stay',
    stations_none: '@stay'
  },
  CONNECTING_CLOUD: {
    online: 'RUNNING', token_rejected: 'WAIT_CONFIG', cloud_failed: '@retry', timeout: '@retry',
    fatal: 'ERROR', net_lost: 'CONNECTING_NET', config_start: 'WAIT_CONFIG', hold_reset: 'RESET_CONFIG'
  },
  RUNNING: {
    cloud_lost: '@reconnect', net_lost: 'CONNECTING_NET', token_rejected: 'WAIT_CONFIG',
    config_start: 'WAIT_CONFIG', config_erase: 'RESET_CONFIG', reboot: '@reboot', hold_reset: 'RESET_CONFIG'
  },
  OTA_UPGRADE: { timeout: 'ERROR', hold_reset: 'RESET_CONFIG' },
  RESET_CONFIG: { done: 'WAIT_CONFIG', fatal: 'ERROR' },
  ERROR: { timeout: '@reboot', config_start: 'WAIT_CONFIG', hold_reset: 'RESET_CONFIG' }
};

/**
 * States in which the access point, portal and DNS run. SWITCH_TO_STA and
 * RESET_CONFIG keep them so a reply already written can leave.
 */
const CONFIG_STATES: State[] = ['WAIT_CONFIG', 'CONFIGURING', 'SWITCH_TO_STA', 'RESET_CONFIG'];
/** States in which the station link is wanted. */
const STATION_STATES: State[] = ['CONNECTING_NET', 'CONNECTING_CLOUD', 'RUNNING'];
/** States in which the cloud link is wanted. */
const CLOUD_STATES: State[] = ['CONNECTING_CLOUD', 'RUNNING'];

/** The running machine. */
export interface Machine {
  /** Loads the stored record and enters the first state (idempotent). */
  start(): void;
  /** Stops every timer, link and service; no callback fires afterwards. */
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

/** Creates the provisioning state machine. */
export function createMachine(o: MachineOptions): Machine {
  const hw = o.hw;
  const clock = hw.clock;
  const log = hw.system.log;
  let state: State = 'BOOT';
  let epoch = 0;
  let timers: unknown[] = [];
  let listeners: Array<(next: State, prev: State) => void> = [];
  let undos: Undo[] = [];
  let started = false;
  let cfg: ConfigRecord = defaultRecord();
  let committed = false;
  let fresh = false;
  let rebooting = false;
  let lastErr = ERR_NONE;
  let failCode = ERR_NONE;
  let attempts = 0;
  let apUp = false;
  let servicesUp = false;
  let idleTimer: unknown = null;
  let queue: MachineEvent[] = [];
  let busy = false;
  let jitterSeed = crc32(hw.system.chipId());

  function later(fn: () => void, ms: number): void {
    const e = epoch;
    timers.push(clock.setTimeout(function () {
      if (e === epoch) fn();
    }, ms));
  }

  function clearTimers(): void {
    for (let i = 0; i < timers.length; i++) clock.clearTimeout(timers[i]);
    timers = [];
  }

  function budget(): number {
    return committed ? (o.provisionedAttempts || PROVISIONED_ATTEMPTS) : (o.provisionAttempts || PROVISION_ATTEMPTS);
  }

  function backoff(n: number): number {
    let d = BACKOFF_MIN_MS;
    for (let i = 1; i < n && d < BACKOFF_MAX_MS; i++) d = d * 2;
    if (d > BACKOFF_MAX_MS) d = BACKOFF_MAX_MS;
    jitterSeed = crc32('j', jitterSeed);
    return d - d / 4 + (jitterSeed % (d / 2 + 1));
  }

  function persistError(code: number): void {
    const rec = o.store.load();
    rec.lastError = code;
    o.store.save(rec);
  }

  function stopServices(): void {
    if (servicesUp) {
      for (let i = 0; i < o.services.length; i++) o.services[i].stop();
      servicesUp = false;
    }
    if (idleTimer !== null) {
      clock.clearTimeout(idleTimer);
      idleTimer = null;
    }
    if (apUp) {
      hw.wifi.stopAP();
      apUp = false;
    }
  }

  function armIdle(): void {
    if (idleTimer !== null) clock.clearTimeout(idleTimer);
    idleTimer = null;
    if (o.configIdleTimeoutMs) {
      idleTimer = clock.setTimeout(function () {
        idleTimer = null;
        if (o.store.load().valid) dispatch('idle');
        else armIdle();
      }, o.configIdleTimeoutMs);
    }
  }

  function startServices(): void {
    if (apUp) return;
    apUp = true;
    const e = epoch;
    hw.wifi.startAP({ ssid: o.apSsid, password: o.apPassword }, function (err) {
      if (!apUp || servicesUp) return;
      if (err) {
        log('AP start failed: ' + err);
        apUp = false;
        if (e === epoch) fail(ERR_INTERNAL, 'fatal');
        return;
      }
      for (let i = 0; i < o.services.length; i++) o.services[i].start();
      servicesUp = true;
      armIdle();
    });
  }

  function attemptJoin(): void {
    attempts++;
    const e = epoch;
    const c = cfg;
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
    later(function () {
      hw.wifi.leave();
      failCode = ERR_NET;
      dispatch('timeout');
    }, JOIN_TIMEOUT_MS);
  }

  function attemptCloud(): void {
    attempts++;
    o.cloud.connect({
      host: cfg.host,
      port: o.tls ? cfg.portSsl : cfg.port,
      tls: o.tls,
      token: cfg.token,
      ca: o.tls ? o.tlsCa : undefined
    });
    later(function () {
      o.cloud.disconnect();
      failCode = ERR_CLOUD;
      dispatch('timeout');
    }, CLOUD_TIMEOUT_MS);
  }

  function attempt(): void {
    if (state === 'CONNECTING_NET') attemptJoin();
    else attemptCloud();
  }

  /** First login with these credentials: make them VALID, clear the error, tell the cloud our AP name. */
  function commit(): void {
    if (!fresh && lastErr === ERR_NONE) return;
    lastErr = ERR_NONE;
    cfg.lastError = ERR_NONE;
    cfg.valid = true;
    cfg.fwVer = o.fwVer;
    const res = o.store.save(cfg);
    if (res === 'saved' || res === 'unchanged') {
      committed = true;
    } else {
      lastErr = ERR_INTERNAL;
      log('config save failed: ' + res);
    }
    if (fresh) o.cloud.setMeta('Hotspot Name', o.apSsid);
    fresh = false;
  }

  /**
   * Records an operational failure in RAM and flash, drops staged credentials
   * (back to the stored record) and takes the event that follows it.
   */
  function fail(code: number, ev: MachineEvent): void {
    lastErr = code;
    persistError(code);
    if (!committed) {
      cfg = o.store.load();
      fresh = false;
    }
    dispatch(ev);
  }

  function enter(s: State): void {
    if (s === 'CONNECTING_NET' || s === 'CONNECTING_CLOUD') {
      attempts = 0;
      if (s === 'CONNECTING_CLOUD' && !hw.wifi.isJoined()) {
        dispatch('net_lost');
        return;
      }
      attempt();
    } else if (s === 'SWITCH_TO_STA') {
      later(function () {
        dispatch('timeout');
      }, SWITCH_DELAY_MS);
    } else if (s === 'RUNNING') {
      commit();
    } else if (s === 'RESET_CONFIG') {
      const res = o.store.erase(o.fwVer);
      cfg = o.store.load();
      committed = false;
      lastErr = ERR_NONE;
      if (res === 'saved' || res === 'unchanged') dispatch('done');
      else fail(ERR_INTERNAL, 'fatal');
    } else if (s === 'ERROR') {
      later(function check() {
        if (o.isHeld && o.isHeld()) later(check, ERROR_HOLD_RECHECK_MS);
        else dispatch('timeout');
      }, ERROR_REBOOT_MS);
    } else if (s === 'OTA_UPGRADE') {
      later(function () {
        dispatch('timeout');
      }, ERROR_REBOOT_MS);
    }
  }

  function go(next: State): void {
    const prev = state;
    clearTimers();
    epoch++;
    state = next;
    if (CONFIG_STATES.indexOf(next) < 0) stopServices();
    if (CLOUD_STATES.indexOf(next) < 0 || CLOUD_STATES.indexOf(prev) < 0) o.cloud.disconnect();
    if (STATION_STATES.indexOf(next) < 0) hw.wifi.leave();
    if (CONFIG_STATES.indexOf(next) >= 0) startServices();
    log(prev + ' => ' + next);
    const ls = listeners.slice();
    for (let i = 0; i < ls.length; i++) ls[i](next, prev);
    enter(next);
  }

  /** After a failed attempt: the next one after a backoff, or ERROR once the budget is spent. */
  function retry(): void {
    clearTimers();
    epoch++;
    if (state === 'CONNECTING_CLOUD') o.cloud.disconnect();
    else hw.wifi.leave();
    if (attempts >= budget()) fail(failCode, 'fatal');
    else later(attempt, backoff(attempts));
  }

  function reboot(): void {
    clearTimers();
    epoch++;
    rebooting = true;
    later(function () {
      stop();
      hw.system.reboot();
    }, REBOOT_DELAY_MS);
  }

  function apply(ev: MachineEvent): void {
    const target = TABLE[state][ev];
    if (target === undefined) {
      if (o.debug) throw new Error('event ' + ev + ' not handled in ' + state);
      return;
    }
    if (target === '@retry') retry();
    else if (target === '@reconnect') go(hw.wifi.isJoined() ? 'CONNECTING_CLOUD' : 'CONNECTING_NET');
    else if (target === '@reboot') reboot();
    else if (target !== '@stay') go(target);
  }

  /** Queues an event; events raised while one is handled run after it. */
  function dispatch(ev: MachineEvent): void {
    queue.push(ev);
    if (busy) return;
    busy = true;
    try {
      while (queue.length && started && !rebooting) apply(queue.shift() as MachineEvent);
    } finally {
      queue = [];
      busy = false;
    }
  }

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
    } else if (ev.command === 'reboot') {
      dispatch('reboot');
    } else if (ev.command === 'config start') {
      dispatch('config_start');
    } else {
      dispatch('config_erase');
    }
  }

  function start(): void {
    if (started) return;
    started = true;
    undos.push(o.cloud.onEvent(onCloud));
    undos.push(hw.wifi.onEvent(function (ev) {
      if (ev.type === 'stations') {
        if (ev.count === 0) dispatch('stations_none');
      } else {
        failCode = ERR_NET;
        dispatch('net_lost');
      }
    }));
    cfg = o.store.load();
    committed = cfg.valid;
    lastErr = cfg.lastError;
    dispatch(committed ? 'valid' : 'blank');
  }

  function stop(): void {
    if (!started) return;
    started = false;
    rebooting = false;
    clearTimers();
    epoch++;
    for (let i = 0; i < undos.length; i++) undos[i]();
    undos = [];
    stopServices();
    o.cloud.disconnect();
    hw.wifi.leave();
  }

  return {
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
      return function () {
        const i = listeners.indexOf(fn);
        if (i >= 0) listeners.splice(i, 1);
      };
    },
    portal: function (req) {
      if (req.type === 'activity') {
        if (idleTimer !== null) armIdle();
        return;
      }
      if (req.type === 'config') {
        if (TABLE[state].config === undefined) return;
        cfg = copyRecord(req.config);
        cfg.fwVer = o.fwVer;
        committed = false;
        fresh = true;
        if (req.save) {
          cfg.valid = true;
          cfg.lastError = ERR_NONE;
          lastErr = ERR_NONE;
          const res = o.store.save(cfg);
          committed = res === 'saved' || res === 'unchanged';
          if (!committed) log('config save failed: ' + res);
        }
      }
      dispatch(req.type);
    },
    holdReset: function () {
      dispatch('hold_reset');
    },
    reconfigure: function () {
      dispatch('config_start');
    }
  };
}
