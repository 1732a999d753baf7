/**
 * The Espruino board driver for ESP32 and ESP8266: the only code that touches
 * Espruino's globals and modules. `createBoard(profile)` implements every port
 * of `lib/ports.ts` on `Wifi`, `Storage`, `http`, `dgram`, `net`/`tls`,
 * `setWatch`, `digitalWrite`/`analogWrite`/`neopixel` and the chip's reboot.
 *
 * - Polarity lives here: the core sees logical `pressed` and colours.
 * - Wi-Fi failure texts, scan shapes and socket errors of both chips map to
 *   the ports' words (pure functions in `boards/mapping.ts`).
 * - An HTTP request ends at Espruino's `end` (Content-Length delivered), when
 *   the counted body is complete (at once without a body), or when the client
 *   goes away.
 */

import {
  ButtonPort, FlashPort, Hardware, HttpPort, HttpRequest, HttpResponse, JoinFailure, LedPort, NetPort,
  ScanEntry, SocketHandlers, UdpPort, WifiEvent, WifiPort
} from '../lib/ports';
import { joinReason, ledLevel, pemBody, security, socketReason } from './mapping';
import { BoardProfile, LedSpec } from './profiles';

/** Hardware debounce of the button watch, ms. */
export const BUTTON_DEBOUNCE_MS = 25;
/** PWM frequency for dimmed LEDs, Hz. */
export const LED_PWM_HZ = 1000;

/** Turns `aa:bb:cc:dd:ee:ff` into its 6 bytes. */
function macBytes(mac: string): string {
  const parts = mac.split(':');
  let out = '';
  for (let i = 0; i < parts.length; i++) out += String.fromCharCode(parseInt(parts[i], 16) & 255);
  return out;
}

function wifiPort(): WifiPort {
  const wifi = require('Wifi');
  const fns: Array<(ev: WifiEvent) => void> = [];
  let joined = false;
  let stations = 0;

  function emit(ev: WifiEvent): void {
    const list = fns.slice();
    for (let i = 0; i < list.length; i++) list[i](ev);
  }
  function onLost(d: { reason?: string }): void {
    if (!joined) return;
    joined = false;
    emit({ type: 'lost', reason: String(d && d.reason) });
  }
  function onJoined(): void {
    stations++;
    emit({ type: 'stations', count: stations });
  }
  function onLeft(): void {
    if (stations > 0) stations--;
    emit({ type: 'stations', count: stations });
  }
  // Espruino keeps module listeners across save(): hook them only while someone listens.
  function hook(on: boolean): void {
    const f = on ? 'on' : 'removeListener';
    wifi[f]('disconnected', onLost);
    wifi[f]('sta_joined', onJoined);
    wifi[f]('sta_left', onLeft);
  }
  let onDhcp: (() => void) | null = null;
  function unhookDhcp(): void {
    if (onDhcp) wifi.removeListener('dhcp_timeout', onDhcp);
    onDhcp = null;
  }

  return {
    startAP: function (o, cb) {
      stations = 0;
      const opts = o.password ? { password: o.password, authMode: 'wpa2' } : { authMode: 'open' };
      try {
        wifi.startAP(o.ssid, opts, function (err: unknown) {
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
      let done = false;
      function finish(err: JoinFailure | null): void {
        if (done) return;
        done = true;
        unhookDhcp();
        joined = !err;
        cb(err);
      }
      unhookDhcp();
      onDhcp = function () {
        finish('no_ip');
      };
      wifi.on('dhcp_timeout', onDhcp);
      if (o.hostname) wifi.setHostname(o.hostname);
      const opts: { password: string; dnsServers?: string[] } = { password: o.password };
      const st = o.staticIp;
      function connect(): void {
        wifi.connect(o.ssid, opts, function (err: unknown) {
          finish(err ? joinReason(err) : null);
        });
      }
      if (!st) return connect();
      opts.dnsServers = st.dns2 ? [st.dns, st.dns2] : [st.dns];
      try {
        wifi.setIP({ ip: st.ip, netmask: st.mask, gw: st.gw }, function (err: unknown) {
          if (err) finish('bad_static_ip');
          else connect();
        });
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
      return String(wifi.getIP().mac).toUpperCase();
    },
    apMac: function () {
      return String(wifi.getAPIP().mac).toUpperCase();
    },
    onEvent: function (fn) {
      if (!fns.length) hook(true);
      fns.push(fn);
      return function () {
        const i = fns.indexOf(fn);
        if (i < 0) return;
        fns.splice(i, 1);
        if (!fns.length) hook(false);
      };
    }
  };
}

function httpPort(): HttpPort {
  const http = require('http');
  return {
    listen: function (port, handler) {
      const srv = http.createServer(function (req: any, res: any) {
        const want = parseInt((req.headers && (req.headers['Content-Length'] || req.headers['content-length'])) || '0', 10) || 0;
        let got = 0;
        let ended = false;
        let onEnd: (() => void) | null = null;
        function end(): void {
          if (ended) return;
          ended = true;
          if (onEnd) onEnd();
        }
        const r: HttpRequest = {
          method: req.method,
          url: req.url,
          headers: req.headers || {},
          onData: function (fn) {
            req.on('data', function (chunk: string) {
              got += chunk.length;
              fn(chunk);
              if (got >= want) end();
            });
          },
          onEnd: function (fn) {
            onEnd = fn;
            if (want === 0) setTimeout(end, 0);
            req.on('end', end);
            req.on('close', end);
          }
        };
        const s: HttpResponse = {
          writeHead: function (status, headers) {
            res.writeHead(status, headers);
          },
          write: function (chunk) {
            res.write(chunk);
          },
          end: function (chunk) {
            res.end(chunk);
          },
          onDrain: function (fn) {
            res.on('drain', fn);
          }
        };
        handler(r, s);
      });
      srv.listen(port);
      return {
        close: function () {
          srv.close();
        }
      };
    }
  };
}

function udpPort(): UdpPort {
  const dgram = require('dgram');
  return {
    bind: function (port, onMessage) {
      const sock = dgram.createSocket('udp4');
      sock.on('message', function (msg: string, info: { address: string; port: number }) {
        onMessage(msg, { address: info.address, port: info.port });
      });
      sock.bind(port);
      return {
        send: function (data, toPort, address) {
          sock.send(data, toPort, address);
        },
        close: function () {
          sock.close();
        }
      };
    }
  };
}

function netPort(chip: string): NetPort {
  return {
    tls: chip === 'ESP32',
    connect: function (o, h: SocketHandlers) {
      const mod = require(o.tls ? 'tls' : 'net');
      let closed = false;
      let sock: any = null;
      function close(): void {
        if (closed) return;
        closed = true;
        h.onClose();
      }
      try {
        // Espruino's tls takes the CA as the certificate's decoded (DER) bytes.
        const options: { host: string; port: number; ca?: string } = { host: o.host, port: o.port };
        if (o.tls && o.ca) options.ca = atob(pemBody(o.ca));
        sock = mod.connect(options, function () {
          if (!closed) h.onConnect();
        });
        sock.on('data', function (d: string) {
          if (!closed) h.onData(d);
        });
        sock.on('error', function (e: unknown) {
          if (!closed) h.onError(socketReason(e));
        });
        sock.on('close', close);
      } catch (e) {
        setTimeout(function () {
          h.onError(socketReason(e));
          close();
        }, 0);
      }
      return {
        write: function (data) {
          if (sock && !closed) sock.write(data);
        },
        close: function () {
          if (sock && !closed) sock.end();
        }
      };
    }
  };
}

function flashPort(): FlashPort {
  const storage = require('Storage');
  return {
    read: function (name, offset, length) {
      // A memory-mapped string straight from flash: no copy in RAM.
      return storage.read(name, offset, length);
    },
    write: function (name, data) {
      try {
        return storage.write(name, data) !== false;
      } catch (e) {
        return false;
      }
    },
    erase: function (name) {
      storage.erase(name);
    }
  };
}

function buttonPort(b: { pin: number; activeLow: boolean }): ButtonPort {
  const pin = b.pin as unknown as Pin;
  pinMode(pin, b.activeLow ? 'input_pullup' : 'input_pulldown', false);
  function pressed(level: unknown): boolean {
    return !!level !== b.activeLow;
  }
  return {
    watch: function (fn) {
      const id = setWatch(function (e: { state: boolean }) {
        fn(pressed(e.state));
      }, pin, { repeat: true, edge: 'both', debounce: BUTTON_DEBOUNCE_MS });
      return function () {
        clearWatch(id);
      };
    },
    isPressed: function () {
      return pressed(digitalRead(pin));
    }
  };
}

function ledPort(l: LedSpec): LedPort {
  const br = l.brightness;
  if (l.kind === 'ws2812') {
    const neopixel = require('neopixel');
    return {
      show: function (r, g, b) {
        // WS2812 pixels take their bytes in G, R, B order.
        neopixel.write(l.pin, [Math.round(ledLevel(g, br) * 255), Math.round(ledLevel(r, br) * 255), Math.round(ledLevel(b, br) * 255)]);
      }
    };
  }
  function out(pin: number, v: number, inverted: boolean, pwm: boolean): void {
    const p = pin as unknown as Pin;
    if (inverted) v = 1 - v;
    if (pwm) analogWrite(p, v, { freq: LED_PWM_HZ });
    else digitalWrite(p, v >= 0.5);
  }
  if (l.kind === 'rgb') {
    return {
      show: function (r, g, b) {
        out(l.pins[0], ledLevel(r, br), l.inverted, true);
        out(l.pins[1], ledLevel(g, br), l.inverted, true);
        out(l.pins[2], ledLevel(b, br), l.inverted, true);
      }
    };
  }
  return {
    show: function (r, g, b) {
      out(l.pin, ledLevel(Math.max(r, g, b), br), l.inverted, l.pwm);
    }
  };
}

/** Builds every port for a board profile. Call once, at boot. */
export function createBoard(profile: BoardProfile): Hardware {
  const chip = profile.chip;
  const wifi = wifiPort();
  // ESP8266 boots with its own open soft AP when no Wi-Fi config was saved: the core decides when an AP runs.
  wifi.stopAP();
  return {
    clock: {
      now: function () {
        return Math.floor(getTime() * 1000);
      },
      setTimeout: function (fn, ms) {
        return setTimeout(fn, ms);
      },
      clearTimeout: function (id) {
        // Espruino throws "Unknown Timeout" for a timer that has already fired.
        try {
          clearTimeout(id as number);
        } catch (e) {
          // Fired or never set: nothing to cancel.
        }
      }
    },
    wifi: wifi,
    http: httpPort(),
    udp: udpPort(),
    net: netPort(chip),
    flash: flashPort(),
    system: {
      board: chip,
      reboot: function () {
        if (chip === 'ESP32' && typeof ESP32 !== 'undefined' && ESP32) ESP32.reboot();
        else require('ESP8266').reboot();
      },
      chipId: function () {
        const mac = macBytes(wifi.staMac());
        // ESP32's Edgent chip id is the 8-byte efuse MAC value: 6 MAC bytes, then two zero bytes.
        return chip === 'ESP32' ? mac + '\x00\x00' : mac;
      },
      log: function (line) {
        console.log(line);
      }
    },
    button: profile.button ? buttonPort(profile.button) : undefined,
    led: profile.led ? ledPort(profile.led) : undefined
  };
}
