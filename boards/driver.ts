/**
 * The Espruino board driver for ESP32 and ESP8266: the only code that touches
 * Espruino's globals and modules. `createBoard(profile)` implements every port
 * of `lib/ports.ts` on `Wifi`, `Storage`, `http`, `dgram`, `net`/`tls`,
 * `setWatch`, `digitalWrite`/`analogWrite`/`neopixel` and the chip's reboot.
 *
 * - Polarity lives here: the core sees logical `pressed` and colours.
 * - Wi-Fi failure texts and scan shapes of both chips map to the ports' words
 *   (pure functions in `boards/mapping.ts`).
 * - HTTP requests and responses are Espruino's own objects, passed through.
 * - The TCP/TLS port hands the cloud client Espruino's socket itself, with
 *   the client's one event function as every listener.
 * - A board has one radio, one button and one LED, and firmware builds its
 *   ports once: the port methods are module-level functions over the board's
 *   state below (on Espruino a function nested in a factory costs about twice
 *   the RAM of a module-level one), and where one of Espruino's functions fits
 *   a port method as it is, the port holds it directly.
 */

import {
  ButtonPort, Hardware, HttpPort, JoinOptions, LedPort, NetPort, UdpPort, WifiEvent, WifiPort
} from '../lib/ports';
import { ledLevel } from './mapping';
import { Answer, WIFI_MODULE } from './wifi';
import { BoardProfile, LedSpec } from './profiles';

/** Hardware debounce of the button watch, ms. */
export const BUTTON_DEBOUNCE_MS = 25;
/** PWM frequency for dimmed LEDs, Hz. */
export const LED_PWM_HZ = 1000;
/**
 * Storage file with the DER certificate the cloud's TLS certificate must chain
 * to when the product sets no `tlsCa` (the build writes ISRG Root X1 there).
 */
export const CA_FILE = 'edgent.ca';

/**
 * The radio's state, shared with the Wi-Fi port module (`boards/wifi.ts`):
 * the `Wifi` module, the core's listener, and the listeners that stay
 * registered with `Wifi` (they are resident: the port module is not).
 */
export interface RadioState {
  /** Espruino's `Wifi` module. */
  wifi: any;
  /** The core's Wi-Fi listener (it is the only one). */
  fn?: (ev: WifiEvent) => void;
  /** The station link is up. */
  joined: boolean;
  /** Stations on the access point. */
  stations: number;
  /** The DHCP-timeout listener of the join in progress. */
  dhcp?: () => void;
  /** Counts the port's calls that wait for an answer: an answer carries its call's number. */
  n: number;
  /** The core's callback of the join, AP start or scan in progress. */
  cb?: (a: any) => void;
  /** The join in progress. */
  jo?: JoinOptions;
  /** Takes what `Wifi` answered (step `what` of call `n`) to a fresh load of the port module. */
  answer: (what: string, n: number, a?: unknown) => void;
  /** Adds (`on`) or removes (`removeListener`) the link and station listeners. */
  hook: (f?: string) => void;
  /** Undoes the core's subscription. */
  off: () => void;
}

/** The board's state: set by `createBoard`. */
let chip = '';
let buttonPin: Pin = 0 as unknown as Pin;
let activeLow = false;
let led: LedSpec | null = null;

function onLost(d: { reason?: string }): void {
  if (!radio.joined) return;
  radio.joined = false;
  if (radio.fn) radio.fn({ type: 'lost', reason: String(d && d.reason) });
}

function onStation(delta: number): void {
  radio.stations += delta;
  if (radio.stations < 0) radio.stations = 0;
  if (radio.fn) radio.fn({ type: 'stations', count: radio.stations });
}

function onJoined(): void {
  onStation(1);
}

function onLeft(): void {
  onStation(-1);
}

/**
 * Adds (`hook('on')`) the link and station listeners, or, called without an
 * argument, undoes the core's `onEvent` (the core is the only listener) and
 * removes them: one function object for the two. Espruino keeps module
 * listeners across save(): they are hooked only while the core listens.
 */
function hook(f?: string): void {
  if (!f) {
    if (!radio.fn) return;
    radio.fn = undefined;
    f = 'removeListener';
  }
  radio.wifi[f]('disconnected', onLost);
  radio.wifi[f]('sta_joined', onJoined);
  radio.wifi[f]('sta_left', onLeft);
}

// The Wi-Fi port module is loaded from Storage for each use (and freed once the caller is done with it),
// from the running firmware's slot (lib/slots.ts: the loader leaves `$slot`).

function wifiPort(): WifiPort {
  const m = require((global.$slot ? global.$slot.p : '') + WIFI_MODULE);
  Modules.removeCached((global.$slot ? global.$slot.p : '') + WIFI_MODULE);
  return m.port(radio);
}

/** What `Wifi` answered to a call of the port (`answer` of the module): the core's callback, if any, runs once the module is done. */
function radioAnswer(what: string, n: number, a?: unknown): void {
  // No variable holds the module: once `answer` has returned it is garbage, and what the core does
  // next (a scan reply, the steps of a join) has its RAM.
  const d: Answer | undefined = require((global.$slot ? global.$slot.p : '') + WIFI_MODULE).answer(radio, what, n, a);
  Modules.removeCached((global.$slot ? global.$slot.p : '') + WIFI_MODULE);
  if (d) d[0](d[1]);
}

const radio: RadioState = {
  wifi: null, joined: false, stations: 0, n: 0, answer: radioAnswer, hook: hook, off: hook
};

/**
 * The one method of the HTTP, UDP and TCP/TLS ports (`listen`, `get`, `bind`,
 * `connect`), told apart by `this` and the HTTP port's argument (a port
 * number or a URL): one function object for the four.
 * - HTTP: Espruino's request and response objects are what the portal expects:
 *   they are handed over as they are. A GET is Espruino's client; an
 *   `https://` URL gets the CA as a TCP/TLS connection does.
 * - UDP: Espruino's `message` event gives (data, {address, port, size}): what
 *   the DNS responder expects.
 * - TCP/TLS: Espruino's socket is the connection, and the cloud client's
 *   function is its `connect`, `data`, `error` and `close` listener: what
 *   `NetPort.connect` promises. The shipped root certificate is DER in
 *   Storage, a memory-mapped string never copied into RAM; no CA file is a TLS
 *   error rather than an unverified connection.
 */
function open(this: unknown, a: any, b: any, c?: any): any {
  if (this === netPort) {
    const opts: { host: string; port: number; ca?: string } = { host: a.host, port: a.port };
    if (a.tls && a.ca !== false) {
      opts.ca = a.ca || require('Storage').read((global.$slot ? global.$slot.p : '') + CA_FILE);
      if (!opts.ca) throw new Error('tls: no CA file');
    }
    const s = require(a.tls ? 'tls' : 'net').connect(opts, b);
    s.on('data', b);
    s.on('error', b);
    s.on('close', b);
    return s;
  }
  if (this === httpPort) {
    if (typeof a === 'string') {
      let u: any = a;
      if (a.indexOf('https:') === 0) {
        u = url.parse(a);
        u.ca = c || require('Storage').read((global.$slot ? global.$slot.p : '') + CA_FILE);
        if (!u.ca) throw new Error('tls: no CA file');
      }
      return require('http').get(u, b);
    }
    const srv = require('http').createServer(b);
    srv.listen(a);
    return srv;
  }
  const sock = require('dgram').createSocket('udp4');
  sock.on('message', b);
  sock.bind(a);
  return sock;
}

const httpPort: HttpPort = { listen: open, get: open };
const udpPort: UdpPort = { bind: open };
const netPort: NetPort = { tls: false, connect: open };

/** The core's edge listener and the watch feeding it (a board has one button). */
let buttonFn: ((pressed: boolean) => void) | undefined;
let watchId: unknown;

function onEdge(e: { state: boolean }): void {
  if (buttonFn) buttonFn(!!e.state !== activeLow);
}

function unwatch(): void {
  if (watchId !== undefined) clearWatch(watchId as number);
  watchId = undefined;
  buttonFn = undefined;
}

/** The button port's `watch(fn)` and, called without `fn`, its `isPressed()`: one function object for both. */
function button(fn?: (pressed: boolean) => void): any {
  if (!fn) return !!digitalRead(buttonPin) !== activeLow;
  unwatch();
  buttonFn = fn;
  watchId = setWatch(onEdge, buttonPin, { repeat: true, edge: 'both', debounce: BUTTON_DEBOUNCE_MS });
  return unwatch;
}

const buttonPort: ButtonPort = { watch: button, isPressed: button };

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
  const parts = String(radio.wifi.getIP().mac).split(':');
  let id = '';
  for (let i = 0; i < parts.length; i++) id += String.fromCharCode(parseInt(parts[i], 16) & 255);
  return chip === 'ESP32' ? id + '\x00\x00' : id;
}

/** Builds every port for a board profile. Call once, at boot. */
export function createBoard(profile: BoardProfile): Hardware {
  const storage = require('Storage');
  chip = profile.chip;
  radio.wifi = require('Wifi');
  netPort.tls = chip === 'ESP32';
  if (profile.button) {
    buttonPin = profile.button.pin as unknown as Pin;
    activeLow = profile.button.activeLow;
    pinMode(buttonPin, activeLow ? 'input_pullup' : 'input_pulldown', false);
  }
  led = profile.led || null;
  // ESP8266 boots with its own open soft AP when no Wi-Fi config was saved: the core decides when an AP runs.
  radio.wifi.stopAP();
  return {
    // Espruino's clearTimeout ignores a fired or unknown id (2v29; only undefined throws).
    clock: { now: now, setTimeout: setTimeout, clearTimeout: clearTimeout },
    wifi: wifiPort,
    http: httpPort,
    udp: udpPort,
    net: netPort,
    // Espruino's Storage module is the flash port as it is: read, write, erase, getStats. Reads are
    // memory-mapped strings straight from flash (no copy in RAM); the config store catches a write that throws.
    flash: storage,
    system: { board: chip, reboot: chip === 'ESP32' ? ESP32!.reboot : require('ESP8266').reboot, chipId: chipId, log: console.log, slot: global.$slot, crc: E.CRC32 },
    // Storage modules: require() finds them in flash; removeCached lets their functions be freed.
    modules: { load: require, unload: Modules.removeCached },
    button: profile.button ? buttonPort : undefined,
    led: profile.led ? ledPort : undefined
  };
}
