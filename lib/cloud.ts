/**
 * Blynk cloud client (contract §6) behind the `CloudLink` interface the state
 * machine drives: one attempt per `connect(target)`.
 *
 * - Login: HW_LOGIN id 1 with the token; RESPONSE 200/4 → sends the info
 *   message, then `online`; any other status → `rejected` and closes; no reply
 *   within `LOGIN_TIMEOUT_MS` → `offline` `timeout`.
 * - Port fallback within one attempt: 443 → 9443, 80 → 8080 when the TCP
 *   connection fails before connecting (not after `dns` or `tls` failures, and
 *   after `CONNECT_TIMEOUT_MS` without a connection).
 * - REDIRECT `host[\0port]` reconnects at once (same attempt, same token; no
 *   port → 443 with TLS, 80 without).
 * - Heartbeat: PING when nothing was received or nothing was sent for h-beat
 *   seconds and no PING went out in the last `PING_GAP_MS`; drop (`timeout`)
 *   after h-beat + `RECV_GRACE_MS` with nothing received; incoming PING →
 *   RESPONSE 200 with its id.
 * - HARDWARE `vw` → `onVirtualWrite` listeners; other sub-commands and unknown
 *   message types → RESPONSE 2. INTERNAL `dbg` reboot / config start /
 *   config erase → `command` event; `ota` → logged, RESPONSE 2; `rtc`, `utc`,
 *   `meta` tolerated.
 * - Bodies over `buffIn` → `offline` `oversize`; msg id 0 → `offline`
 *   `protocol`. Exactly one `offline` or `rejected` per attempt, nothing after
 *   `disconnect()`, callbacks of replaced sockets are ignored.
 * - Values are byte strings (UTF-8 bytes on the board). Writes while offline
 *   return false; nothing is queued. Logs show only the first 4 token chars.
 * - NetPort callbacks must not fire synchronously inside `net.connect`.
 */

import { ClockPort, NetPort, Socket, TimerId, Undo } from './ports';
import { CloudEvent, CloudLink, CloudTarget } from './types';
import {
  createParser,
  frame,
  response,
  MAX_U16,
  MSG_HARDWARE,
  MSG_HARDWARE_SYNC,
  MSG_HW_LOGIN,
  MSG_INTERNAL,
  MSG_PING,
  MSG_REDIRECT,
  MSG_RESPONSE,
  STATUS_ALREADY_REGISTERED,
  STATUS_ILLEGAL_BODY,
  STATUS_ILLEGAL_COMMAND,
  STATUS_OK
} from './protocol';

/** Library version announced as `blynk` in the info message (that of the Edgent reference it mirrors). */
export const BLYNK_LIB_VERSION = '1.3.2';
/** Time allowed for the login reply. */
export const LOGIN_TIMEOUT_MS = 6000;
/** Time allowed for one TCP/TLS connection to come up before the port fallback (or `timeout`). */
export const CONNECT_TIMEOUT_MS = 20000;
/** Minimum time between two PINGs. */
export const PING_GAP_MS = 6000;
/** Receive timeout beyond h-beat: the link drops after h-beat + this with nothing received. */
export const RECV_GRACE_MS = 18000;
/** Default heartbeat period in seconds. */
export const DEFAULT_HEARTBEAT_S = 40;
/** Default largest body accepted from the cloud, in bytes. */
export const DEFAULT_BUFF_IN = 1024;

/** Firmware facts sent in the info message. */
export interface CloudInfo {
  /** Firmware version (`mcu`). */
  fwVer: string;
  /** Firmware type (`fw-type`), usually the template id. */
  fwType: string;
  /** Template id (`tmpl`). */
  tmplId: string;
  /** Build date string (`build`). */
  build: string;
  /** Board family (`dev`): `ESP32`, `ESP8266`. */
  dev: string;
}

/** Options of `createCloud`. */
export interface CloudOptions {
  /** TCP/TLS sockets. */
  net: NetPort;
  /** Time and timers. */
  clock: ClockPort;
  /** Info message values. */
  info: CloudInfo;
  /** Heartbeat period in seconds (`h-beat`). @default 40 */
  heartbeatS?: number;
  /** Largest body accepted from the cloud (`buff-in`), 1..65535. @default 1024 */
  buffIn?: number;
  /** Log sink (one line per call). @default none */
  log?: (line: string) => void;
}

/** The cloud link plus the product-facing calls. */
export interface CloudClient extends CloudLink {
  /**
   * Writes a virtual pin (`vw`); arrays become several values. Values are byte
   * strings or numbers. Returns false (nothing sent, nothing queued) while
   * offline.
   */
  virtualWrite(pin: number, value: string | number | Array<string | number>): boolean;
  /** Subscribes to virtual pin writes from the cloud; values are byte strings. */
  onVirtualWrite(fn: (pin: number, values: string[]) => void): Undo;
  /** Asks the cloud to resend the stored values of `pins` (HARDWARE_SYNC `vr`); no-op offline. */
  syncVirtual(pins: number[]): void;
  /** True while logged in. */
  isOnline(): boolean;
}

/** Reasons the NetPort may report that are passed on as they are. */
var KNOWN_REASONS = ['dns', 'tls', 'refused', 'timeout'];

/** Creates the cloud client. Throws TypeError for an out-of-range `buffIn` or `heartbeatS`. */
export function createCloud(opts: CloudOptions): CloudClient {
  var net = opts.net;
  var clock = opts.clock;
  var info = opts.info;
  var hbS = opts.heartbeatS || DEFAULT_HEARTBEAT_S;
  var buffIn = opts.buffIn || DEFAULT_BUFF_IN;
  var log = opts.log || function () {};
  if (!(buffIn > 0 && buffIn <= MAX_U16) || !(hbS > 0)) throw new TypeError('cloud: bad buffIn/heartbeatS');
  var hbMs = hbS * 1000;
  var listeners: Array<(ev: CloudEvent) => void> = [];
  var writers: Array<(pin: number, values: string[]) => void> = [];
  var target: CloudTarget | null = null;
  var sock: Socket | null = null;
  var gen = 0;
  var timer: TimerId = null;
  var online = false;
  var announced = false;
  var msgId = 1;
  var lastIn = 0;
  var lastOut = 0;
  var lastPing = 0;

  function call(fn: Function, a: any, b?: any): void {
    try {
      fn(a, b);
    } catch (e) {
      log('cloud: listener failed: ' + e);
    }
  }

  function emit(ev: CloudEvent): void {
    var l = listeners.slice();
    for (var i = 0; i < l.length; i++) call(l[i], ev);
  }

  function stopTimer(): void {
    if (timer !== null) clock.clearTimeout(timer);
    timer = null;
  }

  function arm(fn: () => void, ms: number): void {
    var g = gen;
    stopTimer();
    timer = clock.setTimeout(function () {
      timer = null;
      if (g === gen) fn();
    }, ms);
  }

  function closeSock(): void {
    gen++;
    stopTimer();
    online = false;
    var s = sock;
    sock = null;
    if (s) {
      try {
        s.close();
      } catch (e) {
        log('cloud: close failed: ' + e);
      }
    }
  }

  function finish(ev: CloudEvent): void {
    closeSock();
    target = null;
    announced = false;
    log('cloud: ' + ev.type + ' ' + (ev.type === 'rejected' ? ev.status : (ev as { reason: string }).reason));
    emit(ev);
  }

  function raw(data: string): boolean {
    if (!sock) return false;
    lastOut = clock.now();
    try {
      sock.write(data);
    } catch (e) {
      log('cloud: write failed: ' + e);
    }
    return true;
  }

  function send(type: number, body: string): boolean {
    if (!sock || body.length > MAX_U16) return false;
    msgId = msgId >= MAX_U16 ? 1 : msgId + 1;
    return raw(frame(type, msgId, body));
  }

  function beat(): void {
    var now = clock.now();
    if (now - lastIn >= hbMs + RECV_GRACE_MS) return finish({ type: 'offline', reason: 'timeout' });
    if ((now - lastIn >= hbMs || now - lastOut >= hbMs) && now - lastPing >= PING_GAP_MS) {
      lastPing = now;
      send(MSG_PING, '');
    }
    var next = Math.min(lastIn + hbMs + RECV_GRACE_MS, Math.max(Math.min(lastIn, lastOut) + hbMs, lastPing + PING_GAP_MS));
    arm(beat, Math.max(next - now, 10));
  }

  function goOnline(): void {
    online = true;
    send(
      MSG_INTERNAL,
      [
        'mcu', info.fwVer,
        'fw-type', info.fwType,
        'build', info.build,
        'blynk', BLYNK_LIB_VERSION,
        'h-beat', hbS,
        'buff-in', buffIn,
        'dev', info.dev,
        'tmpl', info.tmplId
      ].join('\0')
    );
    lastPing = clock.now() - PING_GAP_MS;
    arm(beat, hbMs);
    log('cloud: online');
    if (!announced) {
      announced = true;
      emit({ type: 'online' });
    }
  }

  function onHardware(id: number, f: string[]): void {
    if (f[0] !== 'vw') {
      raw(response(id, STATUS_ILLEGAL_COMMAND));
      return;
    }
    var pin = parseInt(f[1], 10);
    if (!(pin >= 0)) {
      raw(response(id, STATUS_ILLEGAL_BODY));
      return;
    }
    var values = f.slice(2);
    var w = writers.slice();
    for (var i = 0; i < w.length; i++) call(w[i], pin, values);
  }

  function onInternal(id: number, f: string[]): void {
    var cmd = f[1];
    if (f[0] === 'dbg') {
      if (cmd === 'reboot' || cmd === 'config start' || cmd === 'config erase') {
        emit({ type: 'command', command: cmd });
        return;
      }
      log('cloud: unknown dbg command');
    } else if (f[0] === 'ota') {
      log('cloud: OTA is not supported');
    } else {
      // rtc, utc, meta and others carry nothing the device must act on.
      return;
    }
    raw(response(id, STATUS_ILLEGAL_COMMAND));
  }

  function onMessage(type: number, id: number, body: string | number): void {
    if (type === MSG_RESPONSE) {
      if (id === 1 && !online) {
        if (body === STATUS_OK || body === STATUS_ALREADY_REGISTERED) goOnline();
        else finish({ type: 'rejected', status: body as number });
      }
      return;
    }
    if (type === MSG_PING) {
      raw(response(id, STATUS_OK));
      return;
    }
    var f = (body as string).split('\0');
    if (type === MSG_REDIRECT) {
      var port = parseInt(f[1], 10);
      if (!f[0] || !target) return;
      if (!(port > 0 && port <= MAX_U16)) port = target.tls ? 443 : 80;
      log('cloud: redirect ' + f[0] + ':' + port);
      open(f[0], port);
    } else if (type === MSG_HARDWARE) {
      onHardware(id, f);
    } else if (type === MSG_INTERNAL) {
      onInternal(id, f);
    } else {
      raw(response(id, STATUS_ILLEGAL_COMMAND));
    }
  }

  function open(host: string, port: number): void {
    closeSock();
    var g = gen;
    var up = false;
    var why = 'closed';
    var t = target as CloudTarget;
    var parser = createParser(
      buffIn,
      function (type, id, body) {
        if (g === gen) onMessage(type, id, body);
      },
      function (reason) {
        if (g === gen) finish({ type: 'offline', reason: reason });
      }
    );
    function ended(): void {
      if (g !== gen) return;
      var alt = port === 443 ? 9443 : port === 80 ? 8080 : 0;
      if (!up && alt && why !== 'dns' && why !== 'tls') {
        log('cloud: ' + why + ', trying port ' + alt);
        open(host, alt);
      } else {
        finish({ type: 'offline', reason: why });
      }
    }
    log('cloud: connecting ' + host + ':' + port + (t.tls ? ' tls' : '') + ' token ' + t.token.substr(0, 4) + '...');
    arm(function () {
      why = 'timeout';
      ended();
    }, CONNECT_TIMEOUT_MS);
    try {
      var s = net.connect({ host: host, port: port, tls: t.tls, ca: t.ca }, {
        onConnect: function () {
          if (g !== gen) return;
          up = true;
          lastIn = clock.now();
          msgId = 1;
          raw(frame(MSG_HW_LOGIN, 1, t.token));
          arm(function () {
            finish({ type: 'offline', reason: 'timeout' });
          }, LOGIN_TIMEOUT_MS);
        },
        onData: function (data) {
          if (g !== gen) return;
          lastIn = clock.now();
          parser.feed(data);
        },
        onError: function (reason) {
          if (g === gen) why = KNOWN_REASONS.indexOf(reason) >= 0 ? reason : 'closed';
        },
        onClose: ended
      });
      if (g === gen) sock = s;
    } catch (e) {
      log('cloud: connect failed: ' + e);
      arm(ended, 0);
    }
  }

  return {
    connect: function (t: CloudTarget): void {
      closeSock();
      target = t;
      announced = false;
      open(t.host, t.port);
    },
    disconnect: function (): void {
      if (target) log('cloud: disconnect');
      closeSock();
      target = null;
      announced = false;
    },
    setMeta: function (key: string, value: string): void {
      if (online) send(MSG_INTERNAL, ['meta', 'set', key, value].join('\0'));
    },
    onEvent: function (fn: (ev: CloudEvent) => void): Undo {
      listeners.push(fn);
      return function () {
        listeners = listeners.filter(function (x) {
          return x !== fn;
        });
      };
    },
    virtualWrite: function (pin: number, value: string | number | Array<string | number>): boolean {
      return online && send(MSG_HARDWARE, ['vw', pin].concat(value).join('\0'));
    },
    onVirtualWrite: function (fn: (pin: number, values: string[]) => void): Undo {
      writers.push(fn);
      return function () {
        writers = writers.filter(function (x) {
          return x !== fn;
        });
      };
    },
    syncVirtual: function (pins: number[]): void {
      if (online) send(MSG_HARDWARE_SYNC, (['vr'] as Array<string | number>).concat(pins).join('\0'));
    },
    isOnline: function (): boolean {
      return online;
    }
  };
}
