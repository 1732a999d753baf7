/**
 * The config-mode HTTP portal (contract §3). Handlers only answer and report:
 * every side effect (state change, flash write, Wi-Fi) is the state machine's,
 * reached through `send` after the reply has been handed to the server.
 *
 * Routes (any method; `Content-Type: application/json` for JSON):
 * - `/board_info.json` → 200 object with every `BoardInfo` field (strings
 *   through `jsonString`, so any SSID gives valid JSON), then `board_info`.
 * - `/wifi_scan.json` → 200 array, strongest first, at most 15 entries of
 *   `{"ssid","bssid","rssi","sec","ch"}`, written entry by entry on drain.
 *   Hidden networks are dropped by the scanner, so the ESP8266 reference's
 *   `"hidden"` field would always be 0 and is left out.
 * - `/config` → parameters from the query string and, for an url-encoded (or
 *   untyped) body, from the body; a body value wins over a query value.
 *   200 `Trying to connect...` (or `Configuration saved` with `save`), then
 *   `config` with the record; anything invalid → 500
 *   `{"status":"error","msg":"Configuration invalid"}` and nothing is sent
 *   (beyond the `activity` that every request sends first).
 *   Values are exact bytes (never trimmed). `ssidManual` wins when non-empty;
 *   an empty `host`/`port`/`port_ssl` means the default; `if` must be `wifi`
 *   or empty/absent; a non-empty `ip` turns on static IP and then needs
 *   `mask` and `gw` (`dns` defaults to `gw`), without `ip` the other address
 *   fields are ignored; `save` is on for `true` (any case) or a decimal number
 *   above 0, off for anything else. The record is checked by
 *   `validateRecord` as a valid record, then sent with `valid: false`,
 *   `lastError: 0`, `fwVer: ''`: the machine fills those in.
 * - `/reset` → 200 `Configuration reset`, then `reset`. `/reboot` → 200
 *   `Rebooting...`, then `reboot`.
 * - `/` → the HTML form from flash file `formFile`, streamed in
 *   `FORM_CHUNK_BYTES` chunks on drain; a built-in `FALLBACK_FORM` when the
 *   file is missing or empty.
 * - Captive mode: the OS probes in `CAPTIVE_PATHS` → 302 to `PORTAL_URL`
 *   (404 otherwise). `/update` and everything else → 404.
 * - Every request first sends `activity` (idle timeout).
 *
 * Form file contract: the build minifies `lib/form.html` into `dist/` and the
 * board driver writes it to Storage as `FORM_FILE` (`edgent.htm`). The form
 * is a GET form with action `config` and fields `ssid` (select filled from
 * `/wifi_scan.json`), `ssidManual`, `pass`, `blynk`, `host`, `port_ssl`.
 *
 * Hardening: URLs over `MAX_URL_BYTES` → 414; a `Content-Length` over
 * `MAX_BODY_BYTES` (or a longer chunked body) → 413; a request whose body is
 * not complete within `REQUEST_TIMEOUT_MS` → 408; a body that ends short of its
 * `Content-Length` → 400; a bad `%` escape → 400 (500 JSON on `/config`); any
 * internal error → 500 and a log line; a streamed reply is cut after
 * `RESPONSE_TIMEOUT_MS`. A request without `Content-Length` or
 * `Transfer-Encoding` has no body and is answered at once. Logs name the
 * method, path and rejected field, never parameter values (credentials).
 */

import { ClockPort, FlashPort, HttpPort, HttpRequest, HttpResponse, HttpServer, ScanEntry, TimerId, WifiPort } from './ports';
import { BoardInfo, ConfigRecord, PortalRequest } from './types';
import { defaultRecord, validateRecord } from './record';
import { decodeQuery, jsonString } from './bytes';
import { createScanner, SCAN_TIMEOUT_MS } from './scan';

/** Storage file holding the HTML form. */
export const FORM_FILE = 'edgent.htm';
/** Bytes of the form read from flash and written per chunk. */
export const FORM_CHUNK_BYTES = 256;
/**
 * Longest request URL. A `/config` with every field at its byte limit in
 * percent-encoded UTF-8 (and both `ssid` and `ssidManual`) needs about 800.
 */
export const MAX_URL_BYTES = 1024;
/** Longest request body. */
export const MAX_BODY_BYTES = 1024;
/** Deadline for a request's body to arrive completely (408 after it). */
export const REQUEST_TIMEOUT_MS = 5000;
/** Deadline for a slow reply (scan wait plus streaming); the reply is cut after it. */
export const RESPONSE_TIMEOUT_MS = SCAN_TIMEOUT_MS + 10000;
/** Where captive-portal probes are redirected. */
export const PORTAL_URL = 'http://192.168.4.1/';
/** Connectivity-probe paths of Android, iOS/macOS, Windows, Firefox and others, space-separated. */
export const CAPTIVE_PATHS =
  '/generate_204 /gen_204 /hotspot-detect.html /library/test/success.html /ncsi.txt /connecttest.txt /redirect /canonical.html /success.txt';
/** Built-in form served when the form file is missing. */
export const FALLBACK_FORM =
  '<!DOCTYPE html><meta name="viewport" content="width=device-width"><form action="config">' +
  '<p>Wi-Fi <input name="ssid"><p>Password <input name="pass" type="password"><p>Token <input name="blynk">' +
  '<p>Server <input name="host" value="blynk.cloud"><p>Port <input name="port_ssl" value="443"><p><button>Connect</button></form>';

const JSON_TYPE = 'application/json';
const TEXT_TYPE = 'text/plain';
const HTML_TYPE = 'text/html';
const MSG_INVALID = '{"status":"error","msg":"Configuration invalid"}';
const INFO_KEYS: Array<keyof BoardInfo> = ['board', 'tmpl_id', 'fw_type', 'fw_ver', 'ssid', 'bssid', 'mac', 'last_error', 'wifi_scan', 'static_ip'];

/** Options of `createPortal`. */
export interface PortalOptions {
  /** HTTP server capability. */
  http: HttpPort;
  /** Time and timers (request deadlines, scan cap). */
  clock: ClockPort;
  /** Flash, read only: the form file. */
  flash: FlashPort;
  /** Radio, for scans only. */
  wifi: WifiPort;
  /** Values for `/board_info.json`, read at each request. */
  info(): BoardInfo;
  /** Receives the portal's requests to the state machine; called after the reply. */
  send(req: PortalRequest): void;
  /** TCP port. @default 80 */
  port?: number;
  /** Redirect OS connectivity probes to the form. @default false */
  captive?: boolean;
  /** Storage file holding the HTML form. @default FORM_FILE */
  formFile?: string;
  /** Log sink, one line per call. */
  log?(line: string): void;
}

/** A running (or stopped) portal. */
export interface Portal {
  /** Starts listening (idempotent). */
  start(): void;
  /** Closes the server, clears every timer; no callback or `send` after it. */
  stop(): void;
}

/** One request in flight. */
interface Ctx {
  _res: HttpResponse;
  _timer: TimerId | null;
  /** Request accepted, reply being produced. */
  _go: boolean;
  /** Headers written. */
  _head: boolean;
  /** Reply finished or abandoned. */
  _done: boolean;
}

function isDigits(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charAt(i);
    if (c < '0' || c > '9') return false;
  }
  return true;
}

/** A header value by case-insensitive name, or undefined. */
function header(h: { [name: string]: string }, name: string): string | undefined {
  for (const k in h) {
    if (k.toLowerCase() === name) return String(h[k]);
  }
  return undefined;
}

/** A JSON value for a number, boolean or string field; `null` for anything else. */
function jsonValue(v: unknown): string {
  if (typeof v === 'string') return jsonString(v);
  if (typeof v === 'boolean' || (typeof v === 'number' && isFinite(v))) return String(v);
  return 'null';
}

function scanEntry(e: ScanEntry): string {
  return '{"ssid":' + jsonString(e.ssid) + ',"bssid":' + jsonString(String(e.bssid)) + ',"rssi":' + jsonValue(e.rssi) +
    ',"sec":' + jsonString(String(e.sec)) + ',"ch":' + jsonValue(e.ch) + '}';
}

function param(q: { [key: string]: string }, k: string): string {
  const v = q[k];
  return typeof v === 'string' ? v : '';
}

function toPort(s: string, def: number): number {
  if (s.length === 0) return def;
  return isDigits(s) && s.length <= 5 ? parseInt(s, 10) : NaN;
}

/**
 * Builds the record a `/config` request asks for, or returns the name of the
 * offending field. `valid` is false in the result: the machine sets it once
 * the credentials are proven (or saved on request).
 */
function buildRecord(q: { [key: string]: string }): ConfigRecord | string {
  const r = defaultRecord();
  const manual = param(q, 'ssidManual');
  r.ssid = manual.length > 0 ? manual : param(q, 'ssid');
  r.pass = param(q, 'pass');
  r.token = param(q, 'blynk');
  const host = param(q, 'host');
  if (host.length > 0) r.host = host;
  r.port = toPort(param(q, 'port'), r.port);
  r.portSsl = toPort(param(q, 'port_ssl'), r.portSsl);
  const ip = param(q, 'ip');
  if (ip.length > 0) {
    r.staticIp = true;
    r.ip = ip;
    r.mask = param(q, 'mask');
    r.gw = param(q, 'gw');
    r.dns = param(q, 'dns') || r.gw;
    r.dns2 = param(q, 'dns2');
  }
  const iface = param(q, 'if');
  if (iface.length > 0 && iface !== 'wifi') return 'if';
  r.valid = true;
  const bad = validateRecord(r);
  if (bad !== null) return bad;
  r.valid = false;
  return r;
}

/**
 * Creates the portal (not yet listening).
 *
 * @param opts ports, board info source, machine sink and options
 */
export function createPortal(opts: PortalOptions): Portal {
  const clock = opts.clock;
  const formFile = opts.formFile || FORM_FILE;
  const scanner = createScanner({ wifi: opts.wifi, clock: clock });
  let server: HttpServer | null = null;
  let active: Ctx[] = [];

  function log(line: string) {
    try {
      if (opts.log) opts.log('portal: ' + line);
    } catch (e) {
      // A failing log sink must not break a request.
    }
  }

  function emit(ev: PortalRequest) {
    try {
      opts.send(ev);
    } catch (e) {
      log('send failed: ' + e);
    }
  }

  function stopTimer(ctx: Ctx) {
    if (ctx._timer !== null) clock.clearTimeout(ctx._timer);
    ctx._timer = null;
  }

  function finish(ctx: Ctx) {
    ctx._done = true;
    stopTimer(ctx);
    const i = active.indexOf(ctx);
    if (i >= 0) active.splice(i, 1);
  }

  function reply(ctx: Ctx, status: number, type: string, body: string, location?: string) {
    if (ctx._done) return;
    finish(ctx);
    const h: { [name: string]: string } = { 'Content-Type': type, 'Content-Length': String(body.length) };
    if (location) h['Location'] = location;
    ctx._head = true;
    ctx._res.writeHead(status, h);
    ctx._res.end(body);
  }

  function fail(ctx: Ctx, e: unknown) {
    log('error: ' + e);
    try {
      if (!ctx._head) reply(ctx, 500, TEXT_TYPE, 'Internal error');
      else if (!ctx._done) {
        finish(ctx);
        ctx._res.end();
      }
    } catch (e2) {
      finish(ctx);
    }
  }

  function onTimeout(ctx: Ctx) {
    ctx._timer = null;
    if (ctx._done) return;
    try {
      if (!ctx._go) reply(ctx, 408, TEXT_TYPE, 'Request timeout');
      else if (!ctx._head) reply(ctx, 503, TEXT_TYPE, 'Busy');
      else {
        finish(ctx);
        ctx._res.end();
      }
    } catch (e) {
      fail(ctx, e);
    }
  }

  function arm(ctx: Ctx, ms: number) {
    stopTimer(ctx);
    ctx._timer = clock.setTimeout(function () {
      onTimeout(ctx);
    }, ms);
  }

  /** Writes a 200 reply chunk by chunk: the next chunk when the last one has left. */
  function stream(ctx: Ctx, type: string, next: () => string | null) {
    const res = ctx._res;
    let busy = false;
    let again = false;
    function pump() {
      if (ctx._done) return;
      if (busy) {
        again = true;
        return;
      }
      busy = true;
      try {
        do {
          again = false;
          const chunk = next();
          if (chunk === null) {
            finish(ctx);
            res.end();
          } else {
            res.write(chunk);
          }
        } while (again && !ctx._done);
      } catch (e) {
        fail(ctx, e);
      }
      busy = false;
    }
    ctx._head = true;
    res.writeHead(200, { 'Content-Type': type });
    res.onDrain(pump);
    pump();
  }

  function serveScan(ctx: Ctx) {
    arm(ctx, RESPONSE_TIMEOUT_MS);
    scanner.scan(function (list) {
      if (ctx._done) return;
      let i = 0;
      try {
        stream(ctx, JSON_TYPE, function () {
          if (i > list.length) return null;
          const s = (i === 0 ? '[' : '') + (i === list.length ? ']' : (i > 0 ? ',' : '') + scanEntry(list[i]));
          i++;
          return s;
        });
      } catch (e) {
        fail(ctx, e);
      }
    });
  }

  function serveForm(ctx: Ctx) {
    let chunk = opts.flash.read(formFile, 0, FORM_CHUNK_BYTES);
    if (typeof chunk !== 'string' || chunk.length === 0) {
      reply(ctx, 200, HTML_TYPE, FALLBACK_FORM);
      return;
    }
    let off = 0;
    arm(ctx, RESPONSE_TIMEOUT_MS);
    stream(ctx, HTML_TYPE, function () {
      if (off > 0) chunk = opts.flash.read(formFile, off, FORM_CHUNK_BYTES);
      if (typeof chunk !== 'string' || chunk.length === 0) return null;
      off += chunk.length;
      return chunk;
    });
  }

  function serveConfig(ctx: Ctx, query: string, body: string, ctype: string | undefined) {
    const q = decodeQuery(query);
    const form = ctype === undefined || ctype.toLowerCase().indexOf('application/x-www-form-urlencoded') >= 0;
    const b = body.length > 0 && form ? decodeQuery(body) : {};
    let r: ConfigRecord | string = 'escape';
    if (q !== null && b !== null) {
      for (const k in b) q[k] = b[k];
      r = buildRecord(q);
    }
    if (typeof r === 'string') {
      log('config invalid: ' + r);
      reply(ctx, 500, JSON_TYPE, MSG_INVALID);
      return;
    }
    const sv = param(q as { [key: string]: string }, 'save');
    const save = sv.toLowerCase() === 'true' || (isDigits(sv) && parseInt(sv, 10) > 0);
    reply(ctx, 200, JSON_TYPE, save ? '{"status":"ok","msg":"Configuration saved"}' : '{"status":"ok","msg":"Trying to connect..."}');
    emit({ type: 'config', config: r, save: save });
  }

  function dispatch(ctx: Ctx, req: HttpRequest, body: string) {
    ctx._go = true;
    stopTimer(ctx);
    const url = req.url;
    const qi = url.indexOf('?');
    const path = qi < 0 ? url : url.substring(0, qi);
    const query = qi < 0 ? '' : url.substring(qi + 1);
    log(req.method + ' ' + path);
    if (path === '/config') {
      serveConfig(ctx, query, body, header(req.headers, 'content-type'));
    } else if (decodeQuery(query) === null) {
      reply(ctx, 400, TEXT_TYPE, 'Bad request');
    } else if (path === '/board_info.json') {
      const info = opts.info();
      let s = '{';
      for (let i = 0; i < INFO_KEYS.length; i++) {
        s += (i > 0 ? ',"' : '"') + INFO_KEYS[i] + '":' + jsonValue(info[INFO_KEYS[i]]);
      }
      reply(ctx, 200, JSON_TYPE, s + '}');
      emit({ type: 'board_info' });
    } else if (path === '/wifi_scan.json') {
      serveScan(ctx);
    } else if (path === '/reset') {
      reply(ctx, 200, JSON_TYPE, '{"status":"ok","msg":"Configuration reset"}');
      emit({ type: 'reset' });
    } else if (path === '/reboot') {
      reply(ctx, 200, JSON_TYPE, '{"status":"ok","msg":"Rebooting..."}');
      emit({ type: 'reboot' });
    } else if (path === '/') {
      serveForm(ctx);
    } else if (opts.captive && path.indexOf(' ') < 0 && (' ' + CAPTIVE_PATHS + ' ').indexOf(' ' + path + ' ') >= 0) {
      reply(ctx, 302, TEXT_TYPE, '', PORTAL_URL);
    } else {
      reply(ctx, 404, TEXT_TYPE, 'Not found');
    }
  }

  function onRequest(req: HttpRequest, res: HttpResponse) {
    if (server === null) return;
    const ctx: Ctx = { _res: res, _timer: null, _go: false, _head: false, _done: false };
    active.push(ctx);
    try {
      emit({ type: 'activity' });
      if (server === null || ctx._done) return;
      arm(ctx, REQUEST_TIMEOUT_MS);
      const url = req.url;
      if (typeof url !== 'string' || url.length > MAX_URL_BYTES) {
        reply(ctx, 414, TEXT_TYPE, 'URI too long');
        return;
      }
      const len = header(req.headers || {}, 'content-length');
      const chunked = len === undefined && header(req.headers || {}, 'transfer-encoding') !== undefined;
      let need = 0;
      if (len !== undefined) {
        const v = len.trim();
        if (!isDigits(v) || v.length > 9) {
          reply(ctx, 400, TEXT_TYPE, 'Bad request');
          return;
        }
        need = parseInt(v, 10);
      }
      if (need > MAX_BODY_BYTES) {
        reply(ctx, 413, TEXT_TYPE, 'Body too large');
        return;
      }
      if (need === 0 && !chunked) {
        dispatch(ctx, req, '');
        return;
      }
      let body = '';
      req.onData(function (chunk) {
        if (ctx._go || ctx._done) return;
        try {
          body += chunk;
          if (chunked && body.length > MAX_BODY_BYTES) reply(ctx, 413, TEXT_TYPE, 'Body too large');
          else if (!chunked && body.length >= need) dispatch(ctx, req, body.substring(0, need));
        } catch (e) {
          fail(ctx, e);
        }
      });
      req.onEnd(function () {
        if (ctx._go || ctx._done) return;
        try {
          if (chunked) dispatch(ctx, req, body);
          else reply(ctx, 400, TEXT_TYPE, 'Incomplete body');
        } catch (e) {
          fail(ctx, e);
        }
      });
    } catch (e) {
      fail(ctx, e);
    }
  }

  return {
    start: function () {
      if (server !== null) return;
      try {
        server = opts.http.listen(opts.port || 80, onRequest);
      } catch (e) {
        log('listen failed: ' + e);
      }
    },
    stop: function () {
      const s = server;
      server = null;
      for (let i = 0; i < active.length; i++) {
        active[i]._done = true;
        stopTimer(active[i]);
      }
      active = [];
      scanner.stop();
      if (s !== null) {
        try {
          s.close();
        } catch (e) {
          log('close failed: ' + e);
        }
      }
    }
  };
}
