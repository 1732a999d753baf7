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
 *   `command` event; `ota` → logged, RESPONSE 2; `rtc`, `utc`, `meta`
 *   tolerated.
 * - Bodies over `buffIn` → `offline` `oversize`; msg id 0 → `offline`
 *   `protocol`. Exactly one `offline` or `rejected` per attempt, nothing after
 *   `disconnect()`, callbacks of replaced sockets are ignored. Exceptions of
 *   `onEvent` and `onWrite` are caught and logged.
 * - Values are byte strings (UTF-8 bytes on the board). Writes while offline
 *   return false; nothing is queued. Logs show only the first 4 token chars.
 * - The target's `ca` goes to the socket as it is; with `ca: false` over TLS
 *   every connection logs one warning line (the certificate is not verified).
 * - NetPort callbacks must not fire synchronously inside `net.connect`, and
 *   come as methods of the handlers object (`h.onData(d)`).
 * - One link per device: the client's state is module state, so a new
 *   `createCloud` replaces the previous client (its link is dropped quietly).
 *
 * Memory (Espruino keeps every live function, property and variable in RAM):
 * the state lives in module variables and the methods and socket handlers are
 * module-level functions, several uses to a function where the arguments or
 * `this` tell them apart, so the module's RAM is nine functions, twenty
 * variables, the client object and, per connection, one `Link` object that
 * is at once the options and the handlers given to `net.connect` (the `this`
 * of its callbacks tells a replaced socket's callbacks apart). One timer serves
 * the connect timeout, the login timeout and the heartbeat; frames are taken
 * off the front of one receive string as they complete, and each frame sent
 * is built as one string. `disconnect()` clears the timer and the socket, so
 * nothing outside the client keeps the module alive.
 */

import { ClockPort, NetPort, Socket, SocketHandlers, TimerId } from './ports';
import { CloudEvent, CloudTarget } from './types';
import {
  frameSize,
  nextId,
  HEADER_BYTES,
  MAX_U16,
  MSG_HARDWARE,
  MSG_HARDWARE_SYNC,
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
}

/** The cloud client; its methods may be called detached. */
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

/**
 * One connection: the options and the handlers given to `net.connect`. The
 * board calls the handlers as its methods, so in a callback `this` is the
 * link it belongs to.
 */
interface Link extends SocketHandlers {
  host: string;
  port: number;
  tls: boolean;
  ca?: string | false;
}

// The client's state (one link per device; see the module header).
/** The options, read once by `createCloud` (module variables cost less than an options object kept). */
let net: NetPort;
let clock: ClockPort;
let info: CloudInfo;
let log: ((line: string) => void) | undefined;
let onEvent: (ev: CloudEvent) => void;
let onWrite: ((pin: number, values: string[]) => void) | undefined;
/** `h-beat` in seconds and `buff-in` in bytes, defaults applied. */
let heartbeatS = 0;
let buffIn = 0;
/** Target of the current attempt; undefined when idle (on the board a null costs a block more). */
let target: CloudTarget | undefined;
/** The current connection and its socket; undefined when there is none. */
let link: Link | undefined;
let sock: Socket | undefined;
/** The pending timer: connect timeout, login timeout or heartbeat. */
let timer: TimerId;
/** 0 connecting, 1 waiting for the login reply, 2 online. */
let phase = 0;
/** The `online` event of this attempt went out (a redirect does not repeat it). */
let announced = false;
/** Last msg id sent. */
let lastId = 1;
/** Times of the last byte received, the last frame sent, the last PING. */
let lastIn = 0;
let lastOut = 0;
let lastPing = 0;
/** Received bytes not parsed yet (one incomplete frame). */
let rx = '';
/** Why the current connection failed, as far as the socket said. */
let why = '';

/**
 * Creates the cloud client, replacing (and disconnecting) any previous one.
 * Throws TypeError for an out-of-range `buffIn` or `heartbeatS`.
 */
export function createCloud(opts: CloudOptions): CloudClient {
  var b = opts.buffIn || DEFAULT_BUFF_IN;
  var h = opts.heartbeatS || DEFAULT_HEARTBEAT_S;
  if (!(b > 0 && b <= MAX_U16) || !(h > 0)) throw new TypeError('cloud: bad buffIn/heartbeatS');
  disconnect();
  net = opts.net;
  clock = opts.clock;
  info = opts.info;
  log = opts.log;
  onEvent = opts.onEvent;
  onWrite = opts.onWrite;
  heartbeatS = h;
  buffIn = b;
  return {
    connect: connect,
    disconnect: disconnect,
    setMeta: setMeta,
    virtualWrite: pinFrame,
    syncVirtual: pinFrame,
    isOnline: pinFrame as () => boolean
  };
}

/**
 * Closes the current connection and stops the timer. Unless `keep`, the
 * attempt is over: with `ev` (its `offline` or `rejected`) logged and emitted;
 * without (the `disconnect()` method) only a `disconnect` log line, no event.
 */
function disconnect(ev?: CloudEvent, keep?: boolean): void {
  var s = sock;
  if (!ev && !keep && target) call(log, 'cloud: disconnect');
  if (timer != null) clock.clearTimeout(timer);
  timer = undefined;
  phase = 0;
  link = undefined;
  sock = undefined;
  if (s) {
    try {
      s.close();
    } catch (e) {
      call(log, 'cloud: close failed: ' + e);
    }
  }
  if (keep) return;
  target = undefined;
  announced = false;
  if (!ev) return;
  call(log, 'cloud: ' + ev.type + ' ' + (ev.type === 'rejected' ? ev.status : (ev as { reason: string }).reason));
  call(onEvent, ev);
}

function setMeta(key: string, value: string): void {
  if (phase === 2) send(MSG_INTERNAL, ['meta', 'set', key, value].join('\0'));
}

/**
 * `virtualWrite(pin, value)`, `syncVirtual(pins)` and `isOnline()` in one
 * function (one function object instead of three on the board): with a
 * value, HARDWARE `vw` of one pin; with pins only, HARDWARE_SYNC `vr` of the
 * pins; with neither, nothing sent. Returns false while offline, else true
 * (the frame went out, or the client is online).
 */
function pinFrame(pin?: number | number[], value?: string | number | Array<string | number>): boolean {
  if (phase !== 2) return false;
  if (pin === undefined) return true;
  if (value === undefined) return send(MSG_HARDWARE_SYNC, (['vr'] as Array<string | number>).concat(pin).join('\0'));
  return send(MSG_HARDWARE, (['vw', pin] as Array<string | number>).concat(value).join('\0'));
}

/**
 * Calls `fn(a)`, or `fn(a, b)` when `b` is given, if there is a `fn`; an
 * exception is logged, not thrown (a failing log sink stays silent).
 */
function call(fn: Function | undefined, a: any, b?: any): void {
  if (!fn) return;
  try {
    if (b) fn(a, b);
    else fn(a);
  } catch (e) {
    if (fn !== log) call(log, 'cloud: listener failed: ' + e);
  }
}

/**
 * Sends a frame with the next msg id, or with `id`; a numeric `body` is the
 * status of a RESPONSE. Returns false when there is no socket (or the body is
 * over 65535 bytes).
 */
function send(type: number, body: string | number, id?: number): boolean {
  var s = sock;
  if (!s || (body as string).length > MAX_U16) return false;
  if (!id) id = lastId = nextId(lastId);
  lastOut = clock.now();
  try {
    var len = typeof body === 'number' ? body : body.length;
    s.write(String.fromCharCode(type, (id >> 8) & 255, id & 255, (len >> 8) & 255, len & 255) + (typeof body === 'number' ? '' : body));
  } catch (e) {
    call(log, 'cloud: write failed: ' + e);
  }
  return true;
}

/**
 * Opens a connection: to `t` as a new attempt (the `connect` method), or
 * without `t` to `host:port` within the current attempt (redirect). Called as
 * a link's method, it is also the link's `onError` (with a reason:
 * remembered) and `onClose` (without: the port fallback while not connected
 * yet, else the attempt ends `offline`): one function object for the three.
 */
function connect(this: Link | void, t?: CloudTarget | string | null, host?: string, port?: number): void {
  var d = this as Link;
  if (d && d.onClose === connect) {
    if (d !== link) return;
    if (typeof t === 'string') {
      why = t === 'dns' || t === 'tls' || t === 'refused' || t === 'timeout' ? t : 'closed';
      return;
    }
    var alt = d.port === 443 ? 9443 : d.port === 80 ? 8080 : 0;
    if (phase || !alt || why === 'dns' || why === 'tls') return disconnect({ type: 'offline', reason: why });
    call(log, 'cloud: ' + why + ', trying port ' + alt);
    t = null;
    host = d.host;
    port = alt;
  }
  disconnect(undefined, true);
  if (t) {
    target = t as CloudTarget;
    announced = false;
  }
  var c = target as CloudTarget;
  var l: Link = {
    host: host || c.host,
    port: port || c.port,
    tls: c.tls,
    ca: c.ca,
    onConnect: onLink,
    onData: onLink,
    onError: connect,
    onClose: connect
  };
  link = l;
  rx = '';
  why = 'closed';
  call(log, 'cloud: connecting ' + l.host + ':' + l.port + (c.tls ? ' tls' : '') + ' token ' + c.token.substr(0, 4) + '...');
  if (c.tls && c.ca === false) call(log, 'cloud: WARNING: TLS certificate not verified (tlsCa: false)');
  timer = clock.setTimeout(onLink, CONNECT_TIMEOUT_MS);
  try {
    sock = net.connect(l, l);
  } catch (e) {
    // No socket: the timer ends the connection at once, as closed.
    call(log, 'cloud: connect failed: ' + e);
    clock.clearTimeout(timer);
    timer = clock.setTimeout(onLink, 0);
  }
}

/**
 * The link's `onConnect` (sends the login, HW_LOGIN id 1, and waits for its
 * reply) and `onData` (handles the chunk's complete frames in order) and,
 * called by the clock rather than as a link's method, the timer (connect
 * timeout, login timeout, heartbeat): one function object for the three.
 */
function onLink(this: Link | void, chunk?: string): void {
  var l = this;
  var now = clock.now();
  var type: number, id: number, body: string | number;
  // A nested function exists only while the call runs (Espruino creates it at each call).
  /**
   * Handles the frame in `type`, `id` and `body` (for RESPONSE the status), received on the
   * current connection. No parameters of its own: with them, the build could not move `onLink`'s
   * parameter into `arguments`, and it would cost RAM for as long as the module is loaded.
   */
  function receive(): void {
    if (type === MSG_RESPONSE) {
      if (id !== 1 || phase === 2) return;
      if (body !== STATUS_OK && body !== STATUS_ALREADY_REGISTERED) return disconnect({ type: 'rejected', status: body as number });
      phase = 2;
      send(
        MSG_INTERNAL,
        [
          'mcu', info.fwVer,
          'fw-type', info.fwType,
          'build', info.build,
          'blynk', BLYNK_LIB_VERSION,
          'h-beat', heartbeatS,
          'buff-in', buffIn,
          'dev', info.dev,
          'tmpl', info.tmplId
        ].join('\0')
      );
      lastPing = clock.now() - PING_GAP_MS;
      clock.clearTimeout(timer);
      timer = clock.setTimeout(onLink, heartbeatS * 1000);
      call(log, 'cloud: online');
      if (!announced) {
        announced = true;
        call(onEvent, { type: 'online' });
      }
      return;
    }
    if (type === MSG_PING) {
      send(MSG_RESPONSE, STATUS_OK, id);
      return;
    }
    var f = (body as string).split('\0');
    var cmd = f[1];
    if (type === MSG_REDIRECT) {
      var port = parseInt(cmd, 10);
      if (!f[0] || !target) return;
      if (!(port > 0 && port <= MAX_U16)) port = target.tls ? 443 : 80;
      call(log, 'cloud: redirect ' + f[0] + ':' + port);
      return connect(null, f[0], port);
    }
    if (type === MSG_HARDWARE && f[0] === 'vw') {
      var pin = parseInt(cmd, 10);
      if (pin >= 0) return call(onWrite, pin, f.slice(2));
      send(MSG_RESPONSE, STATUS_ILLEGAL_BODY, id);
      return;
    }
    if (type === MSG_INTERNAL) {
      if (f[0] === 'dbg') {
        if (cmd === 'reboot' || cmd === 'config start' || cmd === 'config erase') {
          return call(onEvent, { type: 'command', command: cmd });
        }
        call(log, 'cloud: unknown dbg command');
      } else if (f[0] === 'ota') {
        call(log, 'cloud: OTA is not supported');
      } else {
        // rtc, utc, meta and others carry nothing the device must act on.
        return;
      }
    }
    send(MSG_RESPONSE, STATUS_ILLEGAL_COMMAND, id);
  }
  if (l && l.onData === onLink) {
    if (l !== link) return;
    lastIn = now;
    if (typeof chunk !== 'string') {
      phase = 1;
      lastId = 1;
      send(MSG_HW_LOGIN, (target as CloudTarget).token, 1);
      clock.clearTimeout(timer);
      timer = clock.setTimeout(onLink, LOGIN_TIMEOUT_MS);
      return;
    }
    rx += chunk;
    for (;;) {
      var n = frameSize(rx, buffIn);
      if (n < 0) return disconnect({ type: 'offline', reason: n === PARSE_PROTOCOL ? 'protocol' : 'oversize' });
      if (!n) return;
      type = rx.charCodeAt(0);
      id = (rx.charCodeAt(1) << 8) | rx.charCodeAt(2);
      body = type === MSG_RESPONSE ? (rx.charCodeAt(3) << 8) | rx.charCodeAt(4) : rx.substr(HEADER_BYTES, n - HEADER_BYTES);
      rx = rx.substr(n);
      receive();
      if (l !== link) return;
    }
  }
  timer = undefined;
  if (!phase) {
    // Not connected in time (or no socket at all): as if the connection closed.
    if (sock) why = 'timeout';
    return (link as Link).onClose();
  }
  if (phase === 1) return disconnect({ type: 'offline', reason: 'timeout' });
  var hb = heartbeatS * 1000;
  if (now - lastIn >= hb + RECV_GRACE_MS) return disconnect({ type: 'offline', reason: 'timeout' });
  if ((now - lastIn >= hb || now - lastOut >= hb) && now - lastPing >= PING_GAP_MS) {
    lastPing = now;
    send(MSG_PING, '');
  }
  var next = Math.min(lastIn + hb + RECV_GRACE_MS, Math.max(Math.min(lastIn, lastOut) + hb, lastPing + PING_GAP_MS));
  timer = clock.setTimeout(onLink, Math.max(next - now, 10));
}
