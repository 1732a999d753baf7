/**
 * The config-mode HTTP portal (contract §3). Handlers only answer and report:
 * every side effect (state change, flash write, Wi-Fi) is the state machine's,
 * reached through `send` after the reply has been handed to the server.
 *
 * Routes (any method; `Content-Type: application/json` for JSON):
 * - `/board_info.json` → 200 object with every `BoardInfo` field (strings
 *   through `jsonFields`, so any SSID gives valid JSON), then `board_info`.
 * - `/wifi_scan.json` → 200 array (`scanJson`: strongest first, at most 15
 *   entries of `{"ssid","bssid","rssi","sec","ch"}`). One scan at a time:
 *   requests arriving while it runs wait for the same result; each wait ends
 *   within `SCAN_TIMEOUT_MS` (`[]` then, or at once when the radio is busy).
 *   No list is kept between requests: each one scans afresh. A list longer
 *   than `FORM_CHUNK_BYTES` is streamed like the form.
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
 * Memory: the portal's state is one plain object (`PortalState`) that its
 * owner keeps, and the module's functions take it at each entry point. On the
 * board the config mode loads this module for each request (the server's
 * handler is the device's resident relay, which loads it and calls
 * `portalRequest`), so between requests none of its functions is in RAM, only
 * that object and the server. A request holds closures only where Espruino
 * needs a listener or a timer: a body being received, a reply being streamed,
 * a scan being waited for; they keep the module loaded until they are done.
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
import { decodeQuery, jsonFields } from './bytes';
import { scanJson, SCAN_TIMEOUT_MS } from './scan';

/** Storage file holding the HTML form. */
export const FORM_FILE = 'edgent.htm';
/** Bytes of a streamed reply (the form, a long scan list) read and written per chunk. */
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
/** Deadline for a streamed reply to leave; it is cut after it. */
export const RESPONSE_TIMEOUT_MS = SCAN_TIMEOUT_MS + 10000;
/** Where captive-portal probes are redirected. */
export const PORTAL_URL = 'http://192.168.4.1/';
/** Connectivity-probe paths of Android, iOS/macOS, Windows, Firefox and others, space-separated (the portal's `switch` lists the same). */
export const CAPTIVE_PATHS =
  '/generate_204 /gen_204 /hotspot-detect.html /library/test/success.html /ncsi.txt /connecttest.txt /redirect /canonical.html /success.txt';
/** Built-in form served when the form file is missing. */
export const FALLBACK_FORM =
  '<!DOCTYPE html><meta name="viewport" content="width=device-width"><form action="config">' +
  '<p>Wi-Fi <input name="ssid"><p>Password <input name="pass" type="password"><p>Token <input name="blynk">' +
  '<p>Server <input name="host" value="blynk.cloud"><p>Port <input name="port_ssl" value="443"><p><button>Connect</button></form>';

/** Options of `startPortal`: the config-mode options object of the core fits as it is. */
export interface PortalOptions {
  /** The ports the portal uses: HTTP server, timers, the form file (read only), scans, the log. */
  hw: { http: HttpPort; clock: ClockPort; flash: FlashPort; wifi: () => WifiPort; system: { log(line: string): void; slot?: { p: string } } };
  /** Values for `/board_info.json`, read at each request. */
  info(): BoardInfo;
  /** Receives the portal's requests to the state machine; called after the reply. */
  send(req: PortalRequest): void;
  /** Redirect OS connectivity probes to the form. @default false */
  captive?: boolean;
  /** Storage file holding the HTML form. @default FORM_FILE, with the running slot's prefix (`SystemPort.slot`) */
  formFile?: string;
  /** TCP port. @default 80 */
  port?: number;
}

/**
 * A portal's state, kept by its owner between requests. Callbacks of a request
 * keep the options it started with: once they are no longer `o`, that run of
 * the portal has stopped and the callback does nothing.
 */
export interface PortalState {
  /** The running portal's options, absent when stopped (a field the portal does not use is undefined, not null: on the board a null costs a block more). */
  o?: PortalOptions;
  srv?: HttpServer;
  /** Pending per-request timers (body deadline, stream cut), all cleared by `stopPortal`. */
  t: TimerId[];
  /** Responses waiting for the scan in progress, absent when none runs. */
  w?: HttpResponse[];
  /** The scan's deadline. */
  st?: TimerId;
}

/** The state this copy of the module works on: set by every entry point (its own, for a caller that passes none). */
let P: PortalState = { t: [] };

/** A string logs a line (`portal: ` prefix); a request goes to `send`. Never throws. */
function tell(x: PortalRequest | string): void {
  const o = P.o;
  if (!o) return;
  try {
    if (typeof x !== 'string') o.send(x);
    else o.hw.system.log('portal: ' + x);
  } catch (e) {
    if (typeof x !== 'string') tell('send failed: ' + e);
  }
}

/**
 * With `ms`: starts a per-request timer for `x` and returns its id. Without:
 * cancels timer `x` (an id of a fired timer is fine) and returns null.
 */
function timer(x: unknown, ms?: number): TimerId | null {
  const clock = (P.o as PortalOptions).hw.clock;
  if (ms !== undefined) {
    const id = clock.setTimeout(x as () => void, ms);
    P.t.push(id);
    return id;
  }
  const i = P.t.indexOf(x);
  if (i >= 0) P.t.splice(i, 1);
  clock.clearTimeout(x);
  return null;
}

/**
 * Answers with `status` and `text`. A whole reply gets a Content-Type from
 * the body's first byte (`{`/`[` JSON, `<` HTML, else plain text) and a
 * Content-Length; a 302 goes to `PORTAL_URL`. A JSON array (the scan list)
 * longer than `FORM_CHUNK_BYTES`, or no text (the form file from flash), is
 * streamed instead, with status 200: one chunk at a time, the next when the
 * last has left (`drain`), cut after `RESPONSE_TIMEOUT_MS`; a missing or
 * empty form file gets `FALLBACK_FORM`. Never throws (a client gone away
 * makes the socket throw).
 */
function reply(res: HttpResponse, status: number, text?: string): void {
  const o = P.o as PortalOptions;
  const c = text === undefined ? '<' : text.charAt(0);
  const type = c === '{' || c === '[' ? 'application/json' : c === '<' ? 'text/html' : 'text/plain';
  if (text !== undefined && (c !== '[' || text.length <= FORM_CHUNK_BYTES)) {
    try {
      const h: { [name: string]: string } = { 'Content-Type': type, 'Content-Length': String(text.length) };
      if (status === 302) h['Location'] = PORTAL_URL;
      res.writeHead(status, h);
      res.end(text);
    } catch (e) {
      tell('error: ' + e);
    }
    return;
  }
  let off = 0;
  let busy = false;
  let again = false;
  let headed = false;
  let cut: TimerId | null = null;
  const pump = function () {
    if (cut === null || P.o !== o) return;
    if (busy) {
      again = true;
      return;
    }
    busy = true;
    try {
      do {
        again = false;
        const next = text === undefined ? o.hw.flash.read(o.formFile || (o.hw.system.slot ? o.hw.system.slot.p : '') + FORM_FILE, off, FORM_CHUNK_BYTES) : text.substring(off, off + FORM_CHUNK_BYTES);
        const more = typeof next === 'string' && next.length > 0;
        if (!headed) {
          if (!more) {
            cut = timer(cut);
            reply(res, 200, FALLBACK_FORM);
            break;
          }
          headed = true;
          res.writeHead(200, { 'Content-Type': type });
          res.on('drain', pump);
        }
        if (more) {
          off += (next as string).length;
          res.write(next as string);
        } else {
          cut = timer(cut);
          res.end();
        }
      } while (again && cut !== null);
    } catch (e) {
      tell('error: ' + e);
      if (cut !== null) {
        cut = timer(cut);
        if (headed) res.end();
        else reply(res, 500, 'Internal error');
      }
    }
    busy = false;
  };
  cut = timer(function () {
    cut = timer(cut);
    try {
      res.end();
    } catch (e) {
      // The client is gone: nothing left to cut.
    }
  }, RESPONSE_TIMEOUT_MS);
  pump();
}

/** Answers every response waiting for the scan: `list` from the radio, or nothing yet (`[]`) when the wait timed out. */
function onScan(list?: ScanEntry[]): void {
  const w = P.w;
  const o = P.o;
  if (!w || !o) return;
  P.w = undefined;
  if (P.st !== undefined) o.hw.clock.clearTimeout(P.st);
  P.st = undefined;
  let text = '[]';
  try {
    if (list) text = scanJson(list);
  } catch (e) {
    tell('error: ' + e);
  }
  for (let i = 0; i < w.length; i++) reply(w[i], 200, text);
}

/**
 * The server's handler for portal `p` (its owner's, or the device's relay
 * that loads this module for the request), and the second half of a request
 * with a body. Without `form`: counts the activity, checks the request line
 * and headers, and when a body is announced collects it (408 when it is not
 * complete within `REQUEST_TIMEOUT_MS`, 400 when the request ends short, 413
 * over `MAX_BODY_BYTES`), then calls itself again with `form`: `&` and the
 * body when it is url-encoded, else ''. With `form` it answers the request.
 */
export function portalRequest(p: PortalState, req: HttpRequest, res: HttpResponse, form?: string): void {
  P = p;
  // Exists only during a call: a module-level helper would hold RAM for as long as the module is loaded, and a
  // regular expression would make Espruino create its RegExp class, which then stays for good.
  /** The value of `v` when it is 1 to `max` decimal digits, else NaN. */
  const decimal = function (v: string, max: number): number {
    if (v.length === 0 || v.length > max) return NaN;
    for (let i = 0; i < v.length; i++) {
      const d = v.charCodeAt(i);
      if (d < 48 || d > 57) return NaN;
    }
    return parseInt(v, 10);
  };
  const o = p.o;
  if (!o) return;
  try {
    const url = req.url;
    if (form === undefined) {
      tell({ type: 'activity' });
      if (p.o !== o) return;
      if (typeof url !== 'string' || url.length > MAX_URL_BYTES) {
        reply(res, 414, 'URI too long');
        return;
      }
      let len: string | undefined;
      let te: string | undefined;
      let ctype: string | undefined;
      const h = req.headers || {};
      for (const k in h) {
        const n = k.toLowerCase();
        if (n === 'content-length' && len === undefined) len = String(h[k]);
        else if (n === 'transfer-encoding' && te === undefined) te = String(h[k]);
        else if (n === 'content-type' && ctype === undefined) ctype = String(h[k]);
      }
      const chunked = len === undefined && te !== undefined;
      let need = 0;
      if (len !== undefined) {
        need = decimal(len.trim(), 9);
        if (isNaN(need)) {
          reply(res, 400, 'Bad request');
          return;
        }
      }
      if (need > MAX_BODY_BYTES) {
        reply(res, 413, 'Body too large');
        return;
      }
      if (need > 0 || chunked) {
        let body = '';
        let deadline: TimerId | null = null;
        /** A body chunk, or the end of the request (no string). */
        const on = function (chunk?: string) {
          if (deadline === null || p.o !== o) return;
          if (typeof chunk === 'string') {
            body += chunk;
            if (chunked) {
              if (body.length > MAX_BODY_BYTES) {
                deadline = timer(deadline);
                reply(res, 413, 'Body too large');
              }
              return;
            }
            if (body.length < need) return;
            body = body.substring(0, need);
          } else if (!chunked) {
            deadline = timer(deadline);
            reply(res, 400, 'Incomplete body');
            return;
          }
          deadline = timer(deadline);
          // Espruino's indexOf reports a needle running past the end as found: compare what it found.
          const ft = 'application/x-www-form-urlencoded';
          const lc = ctype === undefined ? ft : ctype.toLowerCase();
          const at = lc.indexOf(ft);
          portalRequest(p, req, res, body.length > 0 && at >= 0 && lc.substring(at, at + ft.length) === ft ? '&' + body : '');
        };
        deadline = timer(function () {
          deadline = timer(deadline);
          reply(res, 408, 'Request timeout');
        }, REQUEST_TIMEOUT_MS);
        req.on('data', on);
        req.on('end', on);
        req.on('close', on);
        return;
      }
      form = '';
    }
    const qi = url.indexOf('?');
    const path = qi < 0 ? url : url.substring(0, qi);
    tell(req.method + ' ' + path);
    // The body is decoded after the query, so its values win (the last value of a key wins).
    const q = decodeQuery((qi < 0 ? '' : url.substring(qi + 1)) + (path === '/config' ? form : ''));
    if (path === '/config') {
      let bad = 'escape';
      if (q !== null) {
        // The record asked for; `valid` is false in it: the machine sets it once the credentials are proven (or saved).
        // Only parameter names are read from `q`, never inherited names: a missing one is ''.
        const r: ConfigRecord = defaultRecord();
        const manual = q['ssidManual'] || '';
        r.ssid = manual.length > 0 ? manual : q['ssid'] || '';
        r.pass = q['pass'] || '';
        r.token = q['blynk'] || '';
        const host = q['host'] || '';
        if (host.length > 0) r.host = host;
        // An empty port means the default; anything but 1 to 5 digits is invalid (NaN).
        const pt = q['port'] || '';
        if (pt.length > 0) r.port = decimal(pt, 5);
        const ps = q['port_ssl'] || '';
        if (ps.length > 0) r.portSsl = decimal(ps, 5);
        const ip = q['ip'] || '';
        if (ip.length > 0) {
          r.staticIp = true;
          r.ip = ip;
          r.mask = q['mask'] || '';
          r.gw = q['gw'] || '';
          r.dns = q['dns'] || r.gw;
          r.dns2 = q['dns2'] || '';
        }
        const iface = q['if'] || '';
        if (iface.length > 0 && iface !== 'wifi') {
          bad = 'if';
        } else {
          r.valid = true;
          bad = validateRecord(r) || '';
          r.valid = false;
        }
        if (bad === '') {
          const sv = q['save'] || '';
          const save = sv.toLowerCase() === 'true' || decimal(sv, sv.length) > 0;
          reply(res, 200, save ? '{"status":"ok","msg":"Configuration saved"}' : '{"status":"ok","msg":"Trying to connect..."}');
          tell({ type: 'config', config: r, save: save });
          return;
        }
      }
      tell('config invalid: ' + bad);
      reply(res, 500, '{"status":"error","msg":"Configuration invalid"}');
    } else if (q === null) {
      reply(res, 400, 'Bad request');
    } else if (path === '/board_info.json') {
      reply(res, 200, jsonFields(o.info() as unknown as { [key: string]: unknown }, 'board tmpl_id fw_type fw_ver ssid bssid mac last_error wifi_scan static_ip'));
      tell({ type: 'board_info' });
    } else if (path === '/wifi_scan.json') {
      // One scan at a time (the radio throws on a second one): later requests wait for the same result.
      if (p.w) {
        p.w.push(res);
        return;
      }
      p.w = [res];
      p.st = o.hw.clock.setTimeout(onScan, SCAN_TIMEOUT_MS);
      try {
        o.hw.wifi().scan(onScan);
      } catch (e) {
        // Busy radio (an earlier scan that timed out is still running): answer with what exists.
        onScan();
      }
    } else if (path === '/') {
      reply(res, 200);
    } else if (path === '/reset') {
      reply(res, 200, '{"status":"ok","msg":"Configuration reset"}');
      tell({ type: 'reset' });
    } else if (path === '/reboot') {
      reply(res, 200, '{"status":"ok","msg":"Rebooting..."}');
      tell({ type: 'reboot' });
    } else {
      let probe = false;
      // A switch costs no memory until it runs (a list in a string would be copied into RAM); same paths as CAPTIVE_PATHS.
      switch (o.captive ? path : '') {
        case '/generate_204':
        case '/gen_204':
        case '/hotspot-detect.html':
        case '/library/test/success.html':
        case '/ncsi.txt':
        case '/connecttest.txt':
        case '/redirect':
        case '/canonical.html':
        case '/success.txt':
          probe = true;
      }
      if (probe) reply(res, 302, '');
      else reply(res, 404, 'Not found');
    }
  } catch (e) {
    tell('error: ' + e);
    reply(res, 500, 'Internal error');
  }
}

/**
 * Starts the portal: listens and answers until `stopPortal` (a second call
 * while it runs does nothing). It keeps `o` in `p` (or, without `p`, in a
 * state of this module's own) and reads it at each request. The server calls
 * `handler` (without: `portalRequest` on `p`).
 *
 * @param o ports, board info source, machine sink and options
 * @returns the portal's state
 */
export function startPortal(o: PortalOptions, p?: PortalState, handler?: (req: HttpRequest, res: HttpResponse) => void): PortalState {
  const st = p || P;
  P = st;
  if (st.o) return st;
  st.o = o;
  try {
    st.srv = o.hw.http.listen(o.port || 80, handler || function (req: HttpRequest, res: HttpResponse) {
      portalRequest(st, req, res);
    });
  } catch (e) {
    tell('listen failed: ' + e);
  }
  return st;
}

/**
 * Stops portal `p` (without: this module's own): closes the server, clears
 * every timer and forgets the waiting scan; no callback, reply or `send`
 * after it (idempotent).
 */
export function stopPortal(p?: PortalState): void {
  if (p) P = p;
  const st = P;
  const o = st.o;
  if (!o) return;
  const s = st.srv;
  const t = st.t;
  st.t = [];
  st.w = undefined;
  for (let i = 0; i < t.length; i++) o.hw.clock.clearTimeout(t[i]);
  if (st.st !== undefined) o.hw.clock.clearTimeout(st.st);
  st.st = undefined;
  st.srv = undefined;
  if (s) {
    try {
      s.close();
    } catch (e) {
      tell('close failed: ' + e);
    }
  }
  st.o = undefined;
}
