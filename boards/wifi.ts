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

import { JoinFailure, ScanEntry, WifiPort } from '../lib/ports';
import { joinReason, security } from './mapping';
import type { RadioState } from './driver';

/** Storage module with this port. */
export const WIFI_MODULE = 'edgent-wifi';

// The driver's radio state, set by `port` at each load.
let R: RadioState;

function unhookDhcp(): void {
  if (R.dhcp) R.wifi.removeListener('dhcp_timeout', R.dhcp);
  R.dhcp = null;
}

function mac(ap: boolean): string {
  return String((ap ? R.wifi.getAPIP() : R.wifi.getIP()).mac).toUpperCase();
}

const wifiPort: WifiPort = {
  startAP: function (o, cb) {
    R.stations = 0;
    try {
      R.wifi.startAP(o.ssid, o.password ? { password: o.password, authMode: 'wpa2' } : { authMode: 'open' }, function (err: unknown) {
        cb(err ? String(err) : null);
      });
    } catch (e) {
      // Both chips throw (rather than call back) for a password under 8 characters.
      cb(String(e));
    }
  },
  stopAP: function () {
    R.stations = 0;
    R.wifi.stopAP();
  },
  join: function (o, cb) {
    const st = o.staticIp;
    const opts: { password: string; dnsServers?: string[] } = { password: o.password };
    const wifi = R.wifi;
    let done = false;
    function finish(err: JoinFailure | null): void {
      if (done) return;
      done = true;
      unhookDhcp();
      R.joined = !err;
      cb(err);
    }
    function connect(err?: unknown): void {
      if (err) return finish('bad_static_ip');
      wifi.connect(o.ssid, opts, function (e: unknown) {
        finish(e ? joinReason(e) : null);
      });
    }
    unhookDhcp();
    R.dhcp = function () {
      finish('no_ip');
    };
    wifi.on('dhcp_timeout', R.dhcp);
    if (o.hostname) wifi.setHostname(o.hostname);
    if (!st) return connect();
    opts.dnsServers = st.dns2 ? [st.dns, st.dns2] : [st.dns];
    try {
      wifi.setIP({ ip: st.ip, netmask: st.mask, gw: st.gw }, connect);
    } catch (e) {
      finish('bad_static_ip');
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
    try {
      R.wifi.scan(function (list: Array<{ ssid: string; mac: string; rssi: number; authMode: unknown; channel: unknown; isHidden?: boolean }>) {
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
        cb(out);
      });
    } catch (e) {
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

/** The Wi-Fi port working on the driver's radio state `r`. */
export function port(r: RadioState): WifiPort {
  R = r;
  return wifiPort;
}
