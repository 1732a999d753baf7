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
 * - NetPort callbacks must not fire synchronously inside `net.connect`.
 *
 * Memory (Espruino keeps every live function, property and variable in RAM):
 * the client is one object holding its state in `_` fields (shortened by the
 * build) and module-level methods that use `this`; each connection adds one
 * set of socket handlers and one timer function, all closures over the same
 * small scope; the info message is built at login only and received bytes are
 * parsed straight from one receive buffer.
 */

import { ClockPort, NetPort, Socket, TimerId } from './ports';
import { CloudEvent, CloudTarget } from './types';
import {
  nextId,
  parse,
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

/** Options of `createCloud`. The client keeps this object and reads it when needed. */
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

/**
 * The cloud client. Its methods use `this`: call them on the client
 * (`cloud.connect(t)`), not detached.
 */
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

/** The client object with its state. */
interface Client extends CloudClient {
  /** Also continues the current attempt (no target). */
  connect(target?: CloudTarget): void;
  /** Also ends the attempt with an event, or only closes the connection (`keep`). */
  disconnect(ev?: CloudEvent, keep?: boolean): void;
  /** The options. */
  _o: CloudOptions;
  /** Target of the current attempt; null when idle. */
  _t: CloudTarget | null;
  /** Socket of the current connection. */
  _s: Socket | null;
  /** Connection generation: callbacks of older connections are ignored. */
  _g: number;
  /** Pending timer. */
  _tm: TimerId;
  /** 0 connecting, 1 waiting for the login reply, 2 online. */
  _p: number;
  /** The `online` event of this attempt went out (a redirect does not repeat it). */
  _a: boolean;
  /** Last msg id sent. */
  _id: number;
  /** Times of the last byte received, the last frame sent, the last PING. */
  _in: number;
  _out: number;
  _ping: number;
  /** Received bytes not parsed yet (one incomplete frame). */
  _r: string;
  /** Host and port of the current connection. */
  _h: string;
  _pt: number;
  /** Why the current connection failed, as far as the socket said. */
  _w: string;
}

/** Creates the cloud client. Throws TypeError for an out-of-range `buffIn` or `heartbeatS`. */
export function createCloud(opts: CloudOptions): CloudClient {
  var buffIn = opts.buffIn || DEFAULT_BUFF_IN;
  if (!(buffIn > 0 && buffIn <= MAX_U16) || !((opts.heartbeatS || DEFAULT_HEARTBEAT_S) > 0)) {
    throw new TypeError('cloud: bad buffIn/heartbeatS');
  }
  var c: Client = {
    connect: connect,
    disconnect: disconnect,
    setMeta: setMeta,
    virtualWrite: virtualWrite,
    syncVirtual: syncVirtual,
    isOnline: isOnline,
    _o: opts,
    _t: null,
    _s: null,
    _g: 0,
    _tm: null,
    _p: 0,
    _a: false,
    _id: 1,
    _in: 0,
    _out: 0,
    _ping: 0,
    _r: '',
    _h: '',
    _pt: 0,
    _w: ''
  };
  return c;
}

/**
 * Closes the current connection and stops its timer. Unless `keep`, the
 * attempt is over: with `ev` (its `offline` or `rejected`) logged and emitted;
 * without (the `disconnect()` method) only a `disconnect` log line, no event.
 */
function disconnect(this: Client, ev?: CloudEvent, keep?: boolean): void {
  var c = this;
  var s = c._s;
  if (!ev && !keep && c._t) call(c, c._o.log, 'cloud: disconnect');
  c._g++;
  if (c._tm != null) c._o.clock.clearTimeout(c._tm);
  c._tm = null;
  c._p = 0;
  c._s = null;
  if (s) {
    try {
      s.close();
    } catch (e) {
      call(c, c._o.log, 'cloud: close failed: ' + e);
    }
  }
  if (keep) return;
  c._t = null;
  c._a = false;
  if (!ev) return;
  call(c, c._o.log, 'cloud: ' + ev.type + ' ' + (ev.type === 'rejected' ? ev.status : (ev as { reason: string }).reason));
  call(c, c._o.onEvent, ev);
}

function setMeta(this: Client, key: string, value: string): void {
  if (this._p === 2) send(this, MSG_INTERNAL, ['meta', 'set', key, value].join('\0'));
}

function virtualWrite(this: Client, pin: number, value: string | number | Array<string | number>): boolean {
  return this._p === 2 && send(this, MSG_HARDWARE, ['vw', pin].concat(value).join('\0'));
}

function syncVirtual(this: Client, pins: number[]): void {
  if (this._p === 2) send(this, MSG_HARDWARE_SYNC, (['vr'] as Array<string | number>).concat(pins).join('\0'));
}

function isOnline(this: Client): boolean {
  return this._p === 2;
}

/**
 * Calls `fn(a)`, or `fn(a, b)` when `b` is given, if there is a `fn`; an
 * exception is logged, not thrown (a failing log sink stays silent).
 */
function call(c: Client, fn: Function | undefined, a: any, b?: any): void {
  if (!fn) return;
  try {
    if (b) fn(a, b);
    else fn(a);
  } catch (e) {
    if (fn !== c._o.log) call(c, c._o.log, 'cloud: listener failed: ' + e);
  }
}

/**
 * Sends a frame with the next msg id, or with `id`; a numeric `body` is the
 * status of a RESPONSE. Returns false when there is no socket (or the body is
 * over 65535 bytes).
 */
function send(c: Client, type: number, body: string | number, id?: number): boolean {
  var s = c._s;
  if (!s || (body as string).length > MAX_U16) return false;
  if (!id) id = c._id = nextId(c._id);
  c._out = c._o.clock.now();
  try {
    var len = typeof body === 'number' ? body : body.length;
    s.write(String.fromCharCode(type, (id >> 8) & 255, id & 255, (len >> 8) & 255, len & 255) + (typeof body === 'number' ? '' : body));
  } catch (e) {
    call(c, c._o.log, 'cloud: write failed: ' + e);
  }
  return true;
}

/**
 * Opens a connection: to `t` as a new attempt (the `connect` method), or
 * without `t` to `_h:_pt` within the current attempt (port fallback, redirect).
 * The connection's handlers are closures over `c` and its generation `g`;
 * `onData` doubles as its timer function (called without data) and one
 * function takes both `onError` (a reason) and `onClose` (no reason).
 */
function connect(this: Client, t?: CloudTarget): void {
  var c = this;
  c.disconnect(undefined, true);
  if (t) {
    c._t = t;
    c._a = false;
    c._h = t.host;
    c._pt = t.port;
  }
  t = c._t as CloudTarget;
  var g = c._g;
  c._r = '';
  c._w = 'closed';
  function fail(reason?: unknown): void {
    if (g !== c._g) return;
    if (typeof reason === 'string') {
      c._w = reason === 'dns' || reason === 'tls' || reason === 'refused' || reason === 'timeout' ? reason : 'closed';
      return;
    }
    var why = c._w;
    var alt = c._pt === 443 ? 9443 : c._pt === 80 ? 8080 : 0;
    if (!c._p && alt && why !== 'dns' && why !== 'tls') {
      call(c, c._o.log, 'cloud: ' + why + ', trying port ' + alt);
      c._pt = alt;
      c.connect();
    } else {
      c.disconnect({ type: 'offline', reason: why });
    }
  }
  function data(chunk?: string): void {
    if (g !== c._g) return;
    var now = c._o.clock.now();
    if (typeof chunk === 'string') {
      c._in = now;
      chunk = c._r + chunk;
      var n = parse(chunk, c._o.buffIn || DEFAULT_BUFF_IN, function (type, id, body) {
        receive(c, type, id, body, data);
        return g !== c._g;
      });
      if (g !== c._g) return;
      if (n < 0) c.disconnect({ type: 'offline', reason: n === PARSE_PROTOCOL ? 'protocol' : 'oversize' });
      else c._r = chunk.substr(n);
      return;
    }
    // The timer: connect timeout, login timeout or heartbeat.
    c._tm = null;
    if (!c._p) {
      c._w = 'timeout';
      return fail();
    }
    if (c._p === 1) return c.disconnect({ type: 'offline', reason: 'timeout' });
    var hb = (c._o.heartbeatS || DEFAULT_HEARTBEAT_S) * 1000;
    if (now - c._in >= hb + RECV_GRACE_MS) return c.disconnect({ type: 'offline', reason: 'timeout' });
    if ((now - c._in >= hb || now - c._out >= hb) && now - c._ping >= PING_GAP_MS) {
      c._ping = now;
      send(c, MSG_PING, '');
    }
    var next = Math.min(c._in + hb + RECV_GRACE_MS, Math.max(Math.min(c._in, c._out) + hb, c._ping + PING_GAP_MS));
    c._tm = c._o.clock.setTimeout(data, Math.max(next - now, 10));
  }
  call(c, c._o.log, 'cloud: connecting ' + c._h + ':' + c._pt + (t.tls ? ' tls' : '') + ' token ' + t.token.substr(0, 4) + '...');
  if (t.tls && t.ca === false) call(c, c._o.log, 'cloud: WARNING: TLS certificate not verified (tlsCa: false)');
  c._tm = c._o.clock.setTimeout(data, CONNECT_TIMEOUT_MS);
  try {
    c._s = c._o.net.connect({ host: c._h, port: c._pt, tls: t.tls, ca: t.ca }, {
      onConnect: function () {
        if (g !== c._g) return;
        c._p = 1;
        c._in = c._o.clock.now();
        c._id = 1;
        send(c, MSG_HW_LOGIN, (c._t as CloudTarget).token, 1);
        c._o.clock.clearTimeout(c._tm);
        c._tm = c._o.clock.setTimeout(data, LOGIN_TIMEOUT_MS);
      },
      onData: data,
      onError: fail,
      onClose: fail
    });
  } catch (e) {
    call(c, c._o.log, 'cloud: connect failed: ' + e);
    c._o.clock.clearTimeout(c._tm);
    c._tm = c._o.clock.setTimeout(fail, 0);
  }
}

/** Handles one frame received on the current connection; `tick` is its timer function. */
function receive(c: Client, type: number, id: number, body: string | number, tick: () => void): void {
  var o = c._o;
  if (type === MSG_RESPONSE) {
    if (id !== 1 || c._p === 2) return;
    if (body !== STATUS_OK && body !== STATUS_ALREADY_REGISTERED) return c.disconnect({ type: 'rejected', status: body as number });
    var info = o.info;
    var hbS = o.heartbeatS || DEFAULT_HEARTBEAT_S;
    c._p = 2;
    send(
      c,
      MSG_INTERNAL,
      [
        'mcu', info.fwVer,
        'fw-type', info.fwType,
        'build', info.build,
        'blynk', BLYNK_LIB_VERSION,
        'h-beat', hbS,
        'buff-in', o.buffIn || DEFAULT_BUFF_IN,
        'dev', info.dev,
        'tmpl', info.tmplId
      ].join('\0')
    );
    c._ping = o.clock.now() - PING_GAP_MS;
    o.clock.clearTimeout(c._tm);
    c._tm = o.clock.setTimeout(tick, hbS * 1000);
    call(c, o.log, 'cloud: online');
    if (!c._a) {
      c._a = true;
      call(c, o.onEvent, { type: 'online' });
    }
    return;
  }
  if (type === MSG_PING) {
    send(c, MSG_RESPONSE, STATUS_OK, id);
    return;
  }
  var f = (body as string).split('\0');
  var cmd = f[1];
  if (type === MSG_REDIRECT) {
    var port = parseInt(cmd, 10);
    if (!f[0] || !c._t) return;
    if (!(port > 0 && port <= MAX_U16)) port = c._t.tls ? 443 : 80;
    call(c, o.log, 'cloud: redirect ' + f[0] + ':' + port);
    c._h = f[0];
    c._pt = port;
    return c.connect();
  }
  if (type === MSG_HARDWARE && f[0] === 'vw') {
    var pin = parseInt(cmd, 10);
    if (pin >= 0) return call(c, o.onWrite, pin, f.slice(2));
    send(c, MSG_RESPONSE, STATUS_ILLEGAL_BODY, id);
    return;
  }
  if (type === MSG_INTERNAL) {
    if (f[0] === 'dbg') {
      if (cmd === 'reboot' || cmd === 'config start' || cmd === 'config erase') {
        return call(c, o.onEvent, { type: 'command', command: cmd });
      }
      call(c, o.log, 'cloud: unknown dbg command');
    } else if (f[0] === 'ota') {
      call(c, o.log, 'cloud: OTA is not supported');
    } else {
      // rtc, utc, meta and others carry nothing the device must act on.
      return;
    }
  }
  send(c, MSG_RESPONSE, STATUS_ILLEGAL_COMMAND, id);
}
