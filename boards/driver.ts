/**
 * The Espruino board driver for ESP32 and ESP8266: the only code that touches
 * Espruino's globals and modules. `createBoard(profile)` implements every port
 * of `lib/ports.ts` on `Wifi`, `Storage`, `http`, `dgram`, `net`/`tls`,
 * `setWatch`, `digitalWrite`/`analogWrite`/`neopixel` and the chip's reboot.
 *
 * - Polarity lives here: the core sees logical `pressed` and colours.
 * - Wi-Fi failure texts, scan shapes and socket errors of both chips map to
 *   the ports' words (pure functions in `boards/mapping.ts`).
 * - HTTP requests and responses are Espruino's own objects, passed through.
 * - The TCP/TLS client is the Storage module `edgent-net` (`boards/net.ts`),
 *   loaded for each connection and in RAM only while one is open.
 * - A board has one radio, one button and one LED, and firmware builds its
 *   ports once: the port methods are module-level functions over the board's
 *   state below (on Espruino a function nested in a factory costs about twice
 *   the RAM of a module-level one), and where one of Espruino's functions fits
 *   a port method as it is, the port holds it directly.
 */

import {
  ButtonPort, Hardware, HttpPort, JoinFailure, LedPort, NetPort,
  ScanEntry, UdpPort, WifiEvent, WifiPort
} from '../lib/ports';
import { joinReason, ledLevel, security } from './mapping';
import { NET_MODULE } from './net';
import { BoardProfile, LedSpec } from './profiles';

/** Hardware debounce of the button watch, ms. */
export const BUTTON_DEBOUNCE_MS = 25;
/** PWM frequency for dimmed LEDs, Hz. */
export const LED_PWM_HZ = 1000;
export { CA_FILE } from './net';

/** The board's state: set by `createBoard`. */
let chip = '';
let wifi: any = null;
/** The core's Wi-Fi listener (it is the only one). */
let wifiFn: ((ev: WifiEvent) => void) | null = null;
let joined = false;
let stations = 0;
let onDhcp: (() => void) | null = null;
let buttonPin: Pin = 0 as unknown as Pin;
let activeLow = false;
let led: LedSpec | null = null;

function onLost(d: { reason?: string }): void {
  if (!joined) return;
  joined = false;
  if (wifiFn) wifiFn({ type: 'lost', reason: String(d && d.reason) });
}

function onStation(delta: number): void {
  stations += delta;
  if (stations < 0) stations = 0;
  if (wifiFn) wifiFn({ type: 'stations', count: stations });
}

function onJoined(): void {
  onStation(1);
}

function onLeft(): void {
  onStation(-1);
}

/** Espruino keeps module listeners across save(): they are hooked only while the core listens. */
function hook(f: string): void {
  wifi[f]('disconnected', onLost);
  wifi[f]('sta_joined', onJoined);
  wifi[f]('sta_left', onLeft);
}

function unhookDhcp(): void {
  if (onDhcp) wifi.removeListener('dhcp_timeout', onDhcp);
  onDhcp = null;
}

/** Undoes `onEvent`: the core is the only listener. */
function offWifi(): void {
  if (!wifiFn) return;
  wifiFn = null;
  hook('removeListener');
}

function mac(ap: boolean): string {
  return String((ap ? wifi.getAPIP() : wifi.getIP()).mac).toUpperCase();
}

const wifiPort: WifiPort = {
  startAP: function (o, cb) {
    stations = 0;
    try {
      wifi.startAP(o.ssid, o.password ? { password: o.password, authMode: 'wpa2' } : { authMode: 'open' }, function (err: unknown) {
        cb(err ? String(err) : null);
      });
    } catch (e) {
      // Both chips throw (rather than call back) for a password under 8 characters.
      cb(String(e));
    }
  },
  stopAP: function () {
    stations = 0;
    wifi.stopAP();
  },
  join: function (o, cb) {
    const st = o.staticIp;
    const opts: { password: string; dnsServers?: string[] } = { password: o.password };
    let done = false;
    function finish(err: JoinFailure | null): void {
      if (done) return;
      done = true;
      unhookDhcp();
      joined = !err;
      cb(err);
    }
    function connect(err?: unknown): void {
      if (err) return finish('bad_static_ip');
      wifi.connect(o.ssid, opts, function (e: unknown) {
        finish(e ? joinReason(e) : null);
      });
    }
    unhookDhcp();
    onDhcp = function () {
      finish('no_ip');
    };
    wifi.on('dhcp_timeout', onDhcp);
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
    joined = false;
    wifi.disconnect();
  },
  isJoined: function () {
    return joined;
  },
  scan: function (cb) {
    try {
      wifi.scan(function (list: Array<{ ssid: string; mac: string; rssi: number; authMode: unknown; channel: unknown; isHidden?: boolean }>) {
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
    if (!wifiFn) hook('on');
    wifiFn = f;
    return offWifi;
  }
};

// Espruino's request and response objects are what the portal expects: they are handed over as they are.
const httpPort: HttpPort = {
  listen: function (port, handler) {
    const srv = require('http').createServer(handler);
    srv.listen(port);
    return srv;
  }
};

// Espruino's `message` event gives (data, {address, port, size}): what the DNS responder expects.
const udpPort: UdpPort = {
  bind: function (port, onMessage) {
    const sock = require('dgram').createSocket('udp4');
    sock.on('message', onMessage);
    sock.bind(port);
    return sock;
  }
};

// The socket code is the Storage module NET_MODULE (boards/net.ts), in RAM only while a connection needs it.
const netPort: NetPort = {
  tls: false,
  connect: function (o, h) {
    const conn = require(NET_MODULE).connect(o, h);
    Modules.removeCached(NET_MODULE);
    return conn;
  }
};

function pressed(level: unknown): boolean {
  return !!level !== activeLow;
}

/** The core's edge listener and the watch feeding it (a board has one button). */
let buttonFn: ((pressed: boolean) => void) | null = null;
let watchId: unknown = null;

function onEdge(e: { state: boolean }): void {
  if (buttonFn) buttonFn(pressed(e.state));
}

function unwatch(): void {
  if (watchId !== null) clearWatch(watchId as number);
  watchId = null;
  buttonFn = null;
}

const buttonPort: ButtonPort = {
  watch: function (fn) {
    unwatch();
    buttonFn = fn;
    watchId = setWatch(onEdge, buttonPin, { repeat: true, edge: 'both', debounce: BUTTON_DEBOUNCE_MS });
    return unwatch;
  },
  isPressed: function () {
    return pressed(digitalRead(buttonPin));
  }
};

function out(pin: number, v: number, inverted: boolean, pwm: boolean): void {
  const p = pin as unknown as Pin;
  if (inverted) v = 1 - v;
  if (pwm) analogWrite(p, v, { freq: LED_PWM_HZ });
  else digitalWrite(p, v >= 0.5);
}

const ledPort: LedPort = {
  show: function (r, g, b) {
    const l = led as LedSpec;
    const br = l.brightness;
    if (l.kind === 'ws2812') {
      // WS2812 pixels take their bytes in G, R, B order.
      require('neopixel').write(l.pin, [Math.round(ledLevel(g, br) * 255), Math.round(ledLevel(r, br) * 255), Math.round(ledLevel(b, br) * 255)]);
    } else if (l.kind === 'rgb') {
      out(l.pins[0], ledLevel(r, br), l.inverted, true);
      out(l.pins[1], ledLevel(g, br), l.inverted, true);
      out(l.pins[2], ledLevel(b, br), l.inverted, true);
    } else {
      out(l.pin, ledLevel(Math.max(r, g, b), br), l.inverted, l.pwm);
    }
  }
};

function now(): number {
  return Math.floor(getTime() * 1000);
}

function chipId(): string {
  // The station MAC's 6 bytes; ESP32's Edgent chip id is the 8-byte efuse value: then two zero bytes.
  const parts = mac(false).split(':');
  let id = '';
  for (let i = 0; i < parts.length; i++) id += String.fromCharCode(parseInt(parts[i], 16) & 255);
  return chip === 'ESP32' ? id + '\x00\x00' : id;
}

/** Builds every port for a board profile. Call once, at boot. */
export function createBoard(profile: BoardProfile): Hardware {
  const storage = require('Storage');
  chip = profile.chip;
  wifi = require('Wifi');
  netPort.tls = chip === 'ESP32';
  if (profile.button) {
    buttonPin = profile.button.pin as unknown as Pin;
    activeLow = profile.button.activeLow;
    pinMode(buttonPin, activeLow ? 'input_pullup' : 'input_pulldown', false);
  }
  led = profile.led || null;
  // ESP8266 boots with its own open soft AP when no Wi-Fi config was saved: the core decides when an AP runs.
  wifiPort.stopAP();
  return {
    // Espruino's clearTimeout ignores a fired or unknown id (2v29; only undefined throws).
    clock: { now: now, setTimeout: setTimeout, clearTimeout: clearTimeout },
    wifi: wifiPort,
    http: httpPort,
    udp: udpPort,
    net: netPort,
    // Reads are memory-mapped strings straight from flash: no copy in RAM.
    // Espruino's Storage as it is (the config store catches a write that throws).
    flash: { read: storage.read, write: storage.write, erase: storage.erase },
    system: { board: chip, reboot: chip === 'ESP32' ? ESP32!.reboot : require('ESP8266').reboot, chipId: chipId, log: console.log },
    // Storage modules: require() finds them in flash; removeCached lets their functions be freed.
    modules: { load: require, unload: Modules.removeCached },
    button: profile.button ? buttonPort : undefined,
    led: profile.led ? ledPort : undefined
  };
}
