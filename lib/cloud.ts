/**
 * Blynk cloud client (contract §6), driven by the state machine: one
 * attempt per `connect(target)`.
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
 * - HARDWARE `vw` → `onWrite`; other sub-commands and unknown message types →
 *   RESPONSE 2. INTERNAL `dbg` reboot / config start / config erase →
 *   `command` event; `ota` → `ota` event with the URL (`lib/ota.ts`); `rtc`,
 *   `utc`, `meta` tolerated.
 * - Bodies over `buffIn` → `offline` `oversize`; msg id 0 → `offline`
 *   `protocol`. Exactly one `offline` or `rejected` per attempt, nothing after
 *   `disconnect()`, callbacks of replaced sockets are ignored. Exceptions of
 *   `onEvent` and `onWrite` are caught and logged.
 * - Values are byte strings (UTF-8 bytes on the board). Writes while offline
 *   return false; nothing is queued. Logs show only the first 4 token chars.
 * - The target's `ca` goes to the socket as it is; with `ca: false` over TLS
 *   every connection logs one warning line (the certificate is not verified).
 * - NetPort events must not come synchronously inside `net.connect`; a
 *   `connect` that throws is a connection that failed at once with that error.
 *   Socket error texts map to reasons with `socketReason`.
 * - Every connection has its number: events of a replaced or dropped
 *   connection are ignored.
 *
 * Memory (Espruino keeps every live function, property and variable in RAM):
 * the client is a plain `CloudState` object that its owner keeps, and this
 * module is loaded only for each call (`cloudConnect`, `cloudDrop`,
 * `cloudMeta`, `cloudPins`) and each socket or timer event (`cloudOn`). What
 * stays in RAM between events is the state, the socket and, per connection,
 * one function: the owner's `relay` bound to the state and the connection's
 * number, which is at once the socket's listener for all of its events and
 * the callback of the client's one timer (connect timeout, login timeout,
 * heartbeat). `relay(CLOUD_MODULE, 'cloudOn', state, n, ev)` loads this
 * module and calls `cloudOn(state, n, ev)`. Frames are taken off the front of
 * one receive string as they complete, and each frame sent is built as one
 * string.
 */

import { ClockPort, NetPort, Socket, TimerId } from './ports';
import { CLOUD_MODULE } from './modules';
import { CloudEvent, CloudTarget } from './types';
import {
  frameSize,
  nextId,
  HEADER_BYTES,
  MAX_U16,
  MSG_HARDWARE,
  MSG_HARDWARE_SYNC,
  MSG_EVENT_LOG,
  MSG_HW_LOGIN,
  MSG_INTERNAL,
  MSG_PING,
  MSG_REDIRECT,
  MSG_RESPONSE,
  PARSE_PROTOCOL,
  STATUS_ALREADY_REGISTERED,
  STATUS_ILLEGAL_BODY,
  STATUS_ILLEGAL_COMMAND,
  STATUS_OK
} from './protocol';

/** Base64 to a byte string: a global of Espruino and of Node. */
declare function atob(base64: string): string;

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

/** Options of a cloud client (`cloudState`, `createCloud`). */
export interface CloudOptions {
  /** TCP/TLS sockets. */
  net: NetPort;
  /** Time and timers. */
  clock: ClockPort;
  /** Info message values. */
  info: CloudInfo;
  /** Receives every link event (`online`, `rejected`, `offline`, `command`). */
  onEvent: (ev: CloudEvent) => void;
  /** Receives virtual pin writes from the cloud; values are byte strings. @default none */
  onWrite?: (pin: number, values: string[]) => void;
  /** Heartbeat period in seconds (`h-beat`). @default 40 */
  heartbeatS?: number;
  /** Largest body accepted from the cloud (`buff-in`), 1..65535. @default 1024 */
  buffIn?: number;
  /** Log sink (one line per call). @default none */
  log?: (line: string) => void;
  /**
   * Calls export `fn` of Storage module `mod` with `(a, b, c)`: the device's
   * `useModule` on the board (`createCloud` passes a direct call).
   */
  relay: (mod: string, fn: string, a?: unknown, b?: unknown, c?: unknown) => any;
}

/** The cloud client as an object with methods (`createCloud`); the methods may be called detached. */
export interface CloudClient {
  /** Starts one connection attempt (drops any current link first). */
  connect(target: CloudTarget): void;
  /** Drops the link; no further events until the next `connect`. */
  disconnect(): void;
  /** Sends a device metadata value (`meta set <key> <value>`) while online. */
  setMeta(key: string, value: string): void;
  /**
   * Writes a virtual pin (`vw`); arrays become several values. Values are byte
   * strings or numbers. Returns false (nothing sent, nothing queued) while
   * offline.
   */
  virtualWrite(pin: number, value: string | number | Array<string | number>): boolean;
  /** Asks the cloud to resend the stored values of `pins` (HARDWARE_SYNC `vr`); no-op offline. */
  syncVirtual(pins: number[]): void;
  /** True while logged in. */
  isOnline(): boolean;
}

/** Where one connection goes: what `net.connect` gets. */
interface Conn {
  host: string;
  port: number;
  tls: boolean;
  ca?: string | false;
}

/**
 * A cloud client's state (`cloudState`): all of it, kept by the owner between
 * calls. A field not in use is undefined (on the board a null costs a block
 * more).
 */
export interface CloudState {
  /** The options. */
  o: CloudOptions;
  /** `h-beat` in seconds and `buff-in` in bytes, defaults applied. */
  hb: number;
  bi: number;
  /** Target of the current attempt; undefined when idle. */
  target?: CloudTarget;
  /** The current connection, its socket and its event function (the bound relay). */
  conn?: Conn;
  sock?: Socket;
  fn?: (ev?: unknown) => void;
  /** Number of the current connection: bumped when one is dropped, so that its late events are ignored. */
  n: number;
  /** The pending timer: connect timeout, login timeout or heartbeat. */
  t?: TimerId;
  /** 0 connecting, 1 waiting for the login reply, 2 online. */
  phase: number;
  /** The `online` event of this attempt went out (a redirect does not repeat it). */
  announced: boolean;
  /** Last msg id sent. */
  lastId: number;
  /** Times of the last byte received, the last frame sent, the last PING. */
  lastIn: number;
  lastOut: number;
  lastPing: number;
  /** Received bytes not parsed yet (one incomplete frame). */
  rx: string;
  /** Why the current connection failed, as far as the socket said. */
  why: string;
}

/**
 * A new, idle cloud client. Throws TypeError for an out-of-range `buffIn` or
 * `heartbeatS`.
 */
export function cloudState(opts: CloudOptions): CloudState {
  var b = opts.buffIn || DEFAULT_BUFF_IN;
  var h = opts.heartbeatS || DEFAULT_HEARTBEAT_S;
  if (!(b > 0 && b <= MAX_U16) || !(h > 0)) throw new TypeError('cloud: bad buffIn/heartbeatS');
  return { o: opts, hb: h, bi: b, n: 0, phase: 0, announced: false, lastId: 1, lastIn: 0, lastOut: 0, lastPing: 0, rx: '', why: '' };
}

/** Starts one connection attempt to `target` (drops any current link first). */
export function cloudConnect(K: CloudState, target: CloudTarget): void {
  open(K, target);
}

/** Drops the link; no further events until the next `cloudConnect`. */
export function cloudDrop(K: CloudState): void {
  drop(K);
}

/** Sends a device metadata value (`meta set <key> <value>`) while online. */
export function cloudMeta(K: CloudState, key: string, value: string): void {
  if (K.phase === 2) send(K, MSG_INTERNAL, ['meta', 'set', key, value].join('\0'));
}

/**
 * With a value, HARDWARE `vw` of one pin (arrays become several values); with
 * pins only, HARDWARE_SYNC `vr` of the pins; with an event name (a string)
 * instead of a pin, EVENT_LOG `name\0description` (the description may be
 * absent); with neither, nothing sent. Returns false while offline (nothing
 * sent, nothing queued), else true.
 */
export function cloudPins(K: CloudState, pin?: number | number[] | string, value?: string | number | Array<string | number>): boolean {
  if (K.phase !== 2) return false;
  if (pin === undefined) return true;
  if (typeof pin === 'string') return send(K, MSG_EVENT_LOG, value === undefined ? pin : pin + '\0' + value);
  if (value === undefined) return send(K, MSG_HARDWARE_SYNC, (['vr'] as Array<string | number>).concat(pin).join('\0'));
  return send(K, MSG_HARDWARE, (['vw', pin] as Array<string | number>).concat(value).join('\0'));
}

/**
 * The reason (`dns`, `tls`, `refused`, `timeout`, else `closed`) of a socket
 * error: Espruino's `{code, message}` on both chips, or a thrown Error.
 */
export function socketReason(err: unknown): string {
  const e = (err && typeof err === 'object' ? String((err as { message?: string }).message) : String(err)).toLowerCase();
  // Message words and the reason each means, tried in order.
  const words = [
    'dns', 'dns', 'host', 'dns', 'not found', 'dns',
    'tls', 'tls', 'ssl', 'tls', 'handshake', 'tls',
    'refused', 'refused', 'no connection', 'refused', 'no route', 'refused',
    'timeout', 'timeout'
  ];
  // lastIndexOf: Espruino's indexOf matches past the end of the text.
  for (let i = 0; i < words.length; i += 2) if (e.lastIndexOf(words[i]) >= 0) return words[i + 1];
  return 'closed';
}

/** The base64 body of a PEM certificate (header, footer and line breaks removed). */
export function pemBody(pem: string): string {
  const lines = pem.split('\n');
  let body = '';
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i].trim();
    if (l.length && l.substr(0, 5) !== '-----') body += l;
  }
  return body;
}

/**
 * Closes the current connection and stops the timer. Unless `keep`, the
 * attempt is over: with `ev` (its `offline` or `rejected`) logged and emitted;
 * without (`cloudDrop`) only a `disconnect` log line, no event.
 */
function drop(K: CloudState, ev?: CloudEvent, keep?: boolean): void {
  var s = K.sock;
  if (!ev && !keep && K.target) call(K, K.o.log, 'cloud: disconnect');
  if (K.t !== undefined) K.o.clock.clearTimeout(K.t);
  K.t = undefined;
  K.phase = 0;
  K.n++;
  K.conn = undefined;
  K.sock = undefined;
  K.fn = undefined;
  if (s) {
    try {
      // The socket lives on until Espruino has closed it: without our listener it keeps nothing of ours.
      s.removeAllListeners();
      s.end();
    } catch (e) {
      call(K, K.o.log, 'cloud: close failed: ' + e);
    }
  }
  if (keep) return;
  K.target = undefined;
  K.announced = false;
  if (!ev) return;
  call(K, K.o.log, 'cloud: ' + ev.type + ' ' + (ev.type === 'rejected' ? ev.status : (ev as { reason: string }).reason));
  call(K, K.o.onEvent, ev);
}

/**
 * Calls `fn(a)`, or `fn(a, b)` when `b` is given, if there is a `fn`; an
 * exception is logged, not thrown (a failing log sink stays silent).
 */
function call(K: CloudState, fn: Function | undefined, a: any, b?: any): void {
  if (!fn) return;
  try {
    if (b) fn(a, b);
    else fn(a);
  } catch (e) {
    if (fn !== K.o.log) call(K, K.o.log, 'cloud: listener failed: ' + e);
  }
}

/**
 * Sends a frame with the next msg id, or with `id`; a numeric `body` is the
 * status of a RESPONSE. Returns false when there is no socket (or the body is
 * over 65535 bytes).
 */
function send(K: CloudState, type: number, body: string | number, id?: number): boolean {
  var s = K.sock;
  if (!s || (body as string).length > MAX_U16) return false;
  if (!id) id = K.lastId = nextId(K.lastId);
  K.lastOut = K.o.clock.now();
  try {
    var len = typeof body === 'number' ? body : body.length;
    s.write(String.fromCharCode(type, (id >> 8) & 255, id & 255, (len >> 8) & 255, len & 255) + (typeof body === 'number' ? '' : body));
  } catch (e) {
    call(K, K.o.log, 'cloud: write failed: ' + e);
  }
  return true;
}

/**
 * Opens a connection: to `t` as a new attempt, or without `t` to `host:port`
 * within the current attempt (redirect, port fallback).
 */
function open(K: CloudState, t?: CloudTarget | null, host?: string, port?: number): void {
  drop(K, undefined, true);
  if (t) {
    K.target = t;
    K.announced = false;
  }
  var c = K.target as CloudTarget;
  var l: Conn = { host: host || c.host, port: port || c.port, tls: c.tls, ca: c.ca === false ? false : undefined };
  var fn = K.o.relay.bind(null, CLOUD_MODULE, 'cloudOn', K, K.n);
  K.conn = l;
  K.fn = fn;
  K.rx = '';
  K.why = 'closed';
  call(K, K.o.log, 'cloud: connecting ' + l.host + ':' + l.port + (c.tls ? ' tls' : '') + ' token ' + c.token.substr(0, 4) + '...');
  if (c.tls && c.ca === false) call(K, K.o.log, 'cloud: WARNING: TLS certificate not verified (tlsCa: false)');
  K.t = K.o.clock.setTimeout(fn, CONNECT_TIMEOUT_MS);
  try {
    // Espruino's tls takes the CA as the DER bytes of one certificate (PEM text: "Invalid format").
    if (c.ca) l.ca = atob(pemBody(c.ca));
    K.sock = K.o.net.connect(l, fn);
  } catch (e) {
    // No socket: the timer ends the connection at once, as failed with this error (a certificate
    // that does not decode fails as TLS).
    call(K, K.o.log, 'cloud: connect failed: ' + e);
    K.why = c.ca && l.ca === undefined ? 'tls' : socketReason(e);
    K.o.clock.clearTimeout(K.t);
    K.t = K.o.clock.setTimeout(fn, 0);
  }
}

/**
 * The connection has closed (or never came up): the port fallback while not
 * connected yet, else the attempt ends `offline`.
 */
function closed(K: CloudState): void {
  var d = K.conn as Conn;
  var why = K.why;
  var alt = d.port === 443 ? 9443 : d.port === 80 ? 8080 : 0;
  if (K.phase || !alt || why === 'dns' || why === 'tls') return drop(K, { type: 'offline', reason: why });
  call(K, K.o.log, 'cloud: ' + why + ', trying port ' + alt);
  open(K, null, d.host, alt);
}

/** Handles the frame `type`, `id`, `body` (for RESPONSE the status) received on the current connection. */
function receive(K: CloudState, type: number, id: number, body: string | number): void {
  var info = K.o.info;
  if (type === MSG_RESPONSE) {
    if (id !== 1 || K.phase === 2) return;
    if (body !== STATUS_OK && body !== STATUS_ALREADY_REGISTERED) return drop(K, { type: 'rejected', status: body as number });
    K.phase = 2;
    send(
      K,
      MSG_INTERNAL,
      [
        'mcu', info.fwVer,
        'fw-type', info.fwType,
        'build', info.build,
        'blynk', BLYNK_LIB_VERSION,
        'h-beat', K.hb,
        'buff-in', K.bi,
        'dev', info.dev,
        'tmpl', info.tmplId
      ].join('\0')
    );
    K.lastPing = K.o.clock.now() - PING_GAP_MS;
    K.o.clock.clearTimeout(K.t);
    K.t = K.o.clock.setTimeout(K.fn as () => void, K.hb * 1000);
    call(K, K.o.log, 'cloud: online');
    if (!K.announced) {
      K.announced = true;
      call(K, K.o.onEvent, { type: 'online' });
    }
    return;
  }
  if (type === MSG_PING) {
    send(K, MSG_RESPONSE, STATUS_OK, id);
    return;
  }
  var f = (body as string).split('\0');
  var cmd = f[1];
  if (type === MSG_REDIRECT) {
    var port = parseInt(cmd, 10);
    if (!f[0] || !K.target) return;
    if (!(port > 0 && port <= MAX_U16)) port = K.target.tls ? 443 : 80;
    call(K, K.o.log, 'cloud: redirect ' + f[0] + ':' + port);
    return open(K, null, f[0], port);
  }
  if (type === MSG_HARDWARE && f[0] === 'vw') {
    var pin = parseInt(cmd, 10);
    if (pin >= 0) return call(K, K.o.onWrite, pin, f.slice(2));
    send(K, MSG_RESPONSE, STATUS_ILLEGAL_BODY, id);
    return;
  }
  if (type === MSG_INTERNAL) {
    if (f[0] === 'dbg') {
      if (cmd === 'reboot' || cmd === 'config start' || cmd === 'config erase') {
        return call(K, K.o.onEvent, { type: 'command', command: cmd });
      }
      call(K, K.o.log, 'cloud: unknown dbg command');
    } else if (f[0] === 'ota') {
      if (cmd) return call(K, K.o.onEvent, { type: 'ota', url: cmd });
      call(K, K.o.log, 'cloud: ota without a URL');
    } else {
      // rtc, utc, meta and others carry nothing the device must act on.
      return;
    }
  }
  send(K, MSG_RESPONSE, STATUS_ILLEGAL_COMMAND, id);
}

/**
 * An event of connection `n` (see `NetPort.connect`): the socket itself
 * (connected: sends the login, HW_LOGIN id 1, and waits for its reply), a byte
 * string (handles the chunk's complete frames in order), an error object
 * (remembered as the reason), a boolean (closed); or no event at all: the
 * client's timer (connect timeout, login timeout, heartbeat). Events of any
 * connection but the current one are ignored.
 */
export function cloudOn(K: CloudState, n: number, ev?: unknown): void {
  if (n !== K.n || !K.fn) return;
  var clock = K.o.clock;
  var now = clock.now();
  if (typeof ev === 'boolean') {
    K.sock = undefined;
    return closed(K);
  }
  if (typeof ev === 'string') {
    K.lastIn = now;
    K.rx += ev;
    for (;;) {
      var rx = K.rx;
      var size = frameSize(rx, K.bi);
      if (size < 0) return drop(K, { type: 'offline', reason: size === PARSE_PROTOCOL ? 'protocol' : 'oversize' });
      if (!size) return;
      var type = rx.charCodeAt(0);
      K.rx = rx.substr(size);
      receive(
        K,
        type,
        (rx.charCodeAt(1) << 8) | rx.charCodeAt(2),
        type === MSG_RESPONSE ? (rx.charCodeAt(3) << 8) | rx.charCodeAt(4) : rx.substr(HEADER_BYTES, size - HEADER_BYTES)
      );
      if (n !== K.n) return;
    }
  }
  if (ev) {
    if (!(ev as Socket).write) {
      K.why = socketReason(ev);
      return;
    }
    K.lastIn = now;
    K.phase = 1;
    K.lastId = 1;
    send(K, MSG_HW_LOGIN, (K.target as CloudTarget).token, 1);
    clock.clearTimeout(K.t);
    K.t = clock.setTimeout(K.fn, LOGIN_TIMEOUT_MS);
    return;
  }
  K.t = undefined;
  if (!K.phase) {
    // Not connected in time (or no socket at all): as if the connection closed.
    if (K.sock) K.why = 'timeout';
    return closed(K);
  }
  if (K.phase === 1) return drop(K, { type: 'offline', reason: 'timeout' });
  var hb = K.hb * 1000;
  if (now - K.lastIn >= hb + RECV_GRACE_MS) return drop(K, { type: 'offline', reason: 'timeout' });
  if ((now - K.lastIn >= hb || now - K.lastOut >= hb) && now - K.lastPing >= PING_GAP_MS) {
    K.lastPing = now;
    send(K, MSG_PING, '');
  }
  var next = Math.min(K.lastIn + hb + RECV_GRACE_MS, Math.max(Math.min(K.lastIn, K.lastOut) + hb, K.lastPing + PING_GAP_MS));
  K.t = clock.setTimeout(K.fn, Math.max(next - now, 10));
}

/**
 * The cloud client as an object with methods, for hosts and tests: a
 * `cloudState` whose relay calls this module directly. Throws TypeError for an
 * out-of-range `buffIn` or `heartbeatS`.
 */
export function createCloud(opts: Omit<CloudOptions, 'relay'>): CloudClient {
  var o: { [k: string]: unknown } = {};
  for (var k in opts) o[k] = (opts as { [k: string]: unknown })[k];
  // The client's one relayed call is a connection's event (`cloudOn`).
  o.relay = function (_mod: string, _fn: string, a?: unknown, b?: unknown, c?: unknown) {
    return cloudOn(a as CloudState, b as number, c);
  };
  var K = cloudState(o as unknown as CloudOptions);
  return {
    connect: function (t: CloudTarget) { cloudConnect(K, t); },
    disconnect: function () { cloudDrop(K); },
    setMeta: function (key: string, value: string) { cloudMeta(K, key, value); },
    virtualWrite: function (pin, value) { return cloudPins(K, pin, value); },
    syncVirtual: function (pins: number[]) { cloudPins(K, pins); },
    isOnline: function () { return K.phase === 2; }
  };
}
