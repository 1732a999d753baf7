/**
 * The board's Wi-Fi port on Espruino's `Wifi` module (Storage module
 * `edgent-wifi`): access point, station join with static IP and DHCP
 * timeout, scan, MACs, and the core's event subscription. The driver
 * (`boards/driver.ts`) loads it for each use of `hw.wifi()`, so none of these
 * functions holds RAM between uses; the port's state and the listeners that
 * stay registered with `Wifi` are the driver's (`RadioState`).
 *
 * - Wi-Fi failure texts and scan shapes of both chips map to the port's words
 *   (`boards/mapping.ts`).
 */

import { JoinFailure, JoinOptions, ScanEntry, WifiPort } from '../lib/ports';
import { joinReason, security } from './mapping';
import type { RadioState } from './driver';

/** Storage module with this port. */
export const WIFI_MODULE = 'edgent-wifi';

// The driver's radio state, set by `port` and `answer` at each load.
let R: RadioState;

function unhookDhcp(): void {
  if (R.dhcp) R.wifi.removeListener('dhcp_timeout', R.dhcp);
  R.dhcp = undefined;
}

function mac(ap: boolean): string {
  return String((ap ? R.wifi.getAPIP() : R.wifi.getIP()).mac).toUpperCase();
}

/**
 * The callback `Wifi` gets for step `what` of call `n` of the port: the
 * driver's resident `answer`, bound. A function of this module there would keep
 * the whole module in RAM until the chip answers (a join takes seconds).
 */
function later(what: string): (...args: any[]) => void {
  return R.answer.bind(null, what, R.n);
}

/** Ends the join in progress with `err`: what the driver hands to the core's callback. */
function joinDone(err: JoinFailure | null): Answer {
  const cb = R.cb as (err: JoinFailure | null) => void;
  R.cb = undefined;
  R.jo = undefined;
  unhookDhcp();
  R.joined = !err;
  return [cb, err];
}

/** The join's connect, once any static address is set. */
function connect(): void {
  const o = R.jo as JoinOptions;
  const st = o.staticIp;
  const opts: { password: string; dnsServers?: string[] } = { password: o.password };
  if (st) opts.dnsServers = st.dns2 ? [st.dns, st.dns2] : [st.dns];
  R.wifi.connect(o.ssid, opts, later('connect'));
}

const wifiPort: WifiPort = {
  startAP: function (o, cb) {
    R.stations = 0;
    R.n++;
    R.cb = cb;
    try {
      R.wifi.startAP(o.ssid, o.password ? { password: o.password, authMode: 'wpa2' } : { authMode: 'open' }, later('ap'));
    } catch (e) {
      // Both chips throw (rather than call back) for a password under 8 characters.
      R.cb = undefined;
      cb(String(e));
    }
  },
  stopAP: function () {
    R.stations = 0;
    R.wifi.stopAP();
  },
  join: function (o, cb) {
    unhookDhcp();
    R.n++;
    R.cb = cb;
    R.jo = o;
    R.dhcp = later('dhcp');
    R.wifi.on('dhcp_timeout', R.dhcp);
    if (o.hostname) R.wifi.setHostname(o.hostname);
    const st = o.staticIp;
    if (!st) return connect();
    try {
      R.wifi.setIP({ ip: st.ip, netmask: st.mask, gw: st.gw }, later('ip'));
    } catch (e) {
      const d = joinDone('bad_static_ip');
      d[0](d[1]);
    }
  },
  leave: function () {
    unhookDhcp();
    R.joined = false;
    R.wifi.disconnect();
  },
  isJoined: function () {
    return R.joined;
  },
  scan: function (cb) {
    R.n++;
    R.cb = cb;
    try {
      R.wifi.scan(later('scan'));
    } catch (e) {
      R.cb = undefined;
      cb([]);
    }
  },
  staMac: function () {
    return mac(false);
  },
  apMac: function () {
    return mac(true);
  },
  onEvent: function (f) {
    if (!R.fn) R.hook('on');
    R.fn = f;
    return R.off;
  }
};

/** The scan list in the port's shape. */
function scanList(list: Array<{ ssid: string; mac: string; rssi: number; authMode: unknown; channel: unknown; isHidden?: boolean }>): ScanEntry[] {
  const out: ScanEntry[] = [];
  for (let i = 0; list && i < list.length; i++) {
    const n = list[i];
    out.push({
      ssid: n.ssid || '',
      bssid: String(n.mac || '').toUpperCase(),
      rssi: n.rssi,
      sec: security(n.authMode),
      // ESP32 reports the channel as a string.
      ch: Number(n.channel),
      hidden: !!n.isHidden
    });
  }
  return out;
}

/** A callback of the core and the value to call it with. */
export type Answer = [(a: any) => void, unknown];

/**
 * What `Wifi` answered to step `what` of the port's call `n` (see `later`):
 * `ap` (AP started), `ip` (static address set), `connect` (joined or not),
 * `dhcp` (no address), `scan` (the list). Returns the core's callback to call
 * and its value, if the call ends here: the driver calls it once this module
 * is no longer needed, so that what the core does next has its RAM. Answers
 * of an earlier call are dropped.
 */
export function answer(r: RadioState, what: string, n: number, a: any): Answer | undefined {
  R = r;
  const cb = R.cb;
  if (n !== R.n || !cb) return undefined;
  if (what === 'ip') {
    if (a) return joinDone('bad_static_ip');
    connect();
    return undefined;
  }
  if (what === 'connect') return joinDone(a ? joinReason(a) : null);
  if (what === 'dhcp') return joinDone('no_ip');
  R.cb = undefined;
  return [cb, what === 'ap' ? (a ? String(a) : null) : scanList(a)];
}

/** The Wi-Fi port working on the driver's radio state `r`. */
export function port(r: RadioState): WifiPort {
  R = r;
  return wifiPort;
}
