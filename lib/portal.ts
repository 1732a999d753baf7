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
/** Connectivity-probe paths of Android, iOS/macOS, Windows, Firefox and others, space-separated (the portal's `switch` lists the same). */
export const CAPTIVE_PATHS =
  '/generate_204 /gen_204 /hotspot-detect.html /library/test/success.html /ncsi.txt /connecttest.txt /redirect /canonical.html /success.txt';
/** Built-in form served when the form file is missing. */
export const FALLBACK_FORM =
  '<!DOCTYPE html><meta name="viewport" content="width=device-width"><form action="config">' +
  '<p>Wi-Fi <input name="ssid"><p>Password <input name="pass" type="password"><p>Token <input name="blynk">' +
  '<p>Server <input name="host" value="blynk.cloud"><p>Port <input name="port_ssl" value="443"><p><button>Connect</button></form>';

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

/**
 * Creates the portal (not yet listening). It keeps `opts` and reads it at each
 * request; so does its scanner.
 *
 * Memory (JsVars on the board): a request's state, timer, body and stream
 * position are locals of its `onRequest` call, and its functions are made in
 * that call, so all of it is freed with the request. While the portal idles
 * only the handler, the scanner and the list of requests in flight remain.
 * The minifier inlines a function called from one place only at that place:
 * `decodeQuery`, `jsonString` and `validateRecord` each have one call site
 * inside a request, so they too exist only while a request uses them.
 *
 * @param opts ports, board info source, machine sink and options
 */
export function createPortal(opts: PortalOptions): Portal {
  let server: HttpServer | null = null;
  // Made here, not on the first scan: inlined where it is called, its closures
  // would keep that request's scope (socket objects included) alive.
  const scanner = createScanner(opts);
  /** `end` of every request in flight: `end(-1)` drops one silently. */
  let active: Array<(status?: number, text?: string) => void> = [];

  function onRequest(req: HttpRequest, res: HttpResponse) {
    /** 0 receiving the body, 1 dispatched, 2 headers written (streaming), 3 finished or abandoned. */
    let state = 0;
    let timer: TimerId | null = null;
    let body = '';
    let need = 0;
    let chunked = false;
    let ctype: string | undefined;

    /** A string logs a line (`portal: ` prefix); a request goes to `send`. Never throws. */
    function tell(x: PortalRequest | string) {
      try {
        if (typeof x !== 'string') opts.send(x);
        else if (opts.log) opts.log('portal: ' + x);
      } catch (e) {
        if (typeof x !== 'string') tell('send failed: ' + e);
      }
    }

    /**
     * Finishes the request once: with a status, a whole reply whose
     * Content-Type follows the body's first byte (`{` JSON, `<` HTML, else
     * plain text; a 302 goes to `PORTAL_URL`); without, the end of a streamed
     * reply; -1 only marks it finished (portal stopped). 0 with `text` sets the
     * deadline to `text` ms instead (empty: none).
     */
    function end(status?: number, text?: string) {
      if (state === 3) return;
      if (timer !== null) opts.clock.clearTimeout(timer);
      timer = null;
      if (status === 0) {
        if (text) timer = opts.clock.setTimeout(abort, parseInt(text, 10));
        return;
      }
      state = 3;
      const i = active.indexOf(end);
      if (i >= 0) active.splice(i, 1);
      if (status === -1) return;
      if (!status) {
        res.end();
        return;
      }
      const t = text || '';
      const c = t.charAt(0);
      const h: { [name: string]: string } = {
        'Content-Type': c === '{' ? 'application/json' : c === '<' ? 'text/html' : 'text/plain',
        'Content-Length': String(t.length)
      };
      if (status === 302) h['Location'] = PORTAL_URL;
      res.writeHead(status, h);
      res.end(t);
    }

    /** The deadline passed (no argument: 408, 503 or a cut stream), or an error (500 or a cut stream). */
    function abort(e?: unknown) {
      const s = state;
      if (e === undefined) timer = null;
      else tell('error: ' + e);
      if (s === 3) return;
      try {
        if (s === 2) end();
        else if (e !== undefined) end(500, 'Internal error');
        else end(s === 0 ? 408 : 503, s === 0 ? 'Request timeout' : 'Busy');
      } catch (e2) {
        if (e === undefined) tell('error: ' + e2);
      }
    }

    /**
     * Body chunks (`chunk`) and the end of the request (no argument) while
     * receiving; dispatches the request once its body is complete.
     */
    function go(chunk?: string) {
      /** `{"key":value,...}` of `keys` (space-separated) of `o`: strings through `jsonString`, finite numbers and booleans as they are, anything else `null`. */
      function json(o: { [key: string]: unknown }, keys: string): string {
        let out = '{';
        for (let ki = 0; ki < keys.length; ) {
          let ke = keys.indexOf(' ', ki);
          if (ke < 0) ke = keys.length;
          const k = keys.substring(ki, ke);
          const v = o[k];
          out += (ki > 0 ? ',"' : '"') + k + '":' +
            (typeof v === 'string' ? jsonString(v) : typeof v === 'boolean' || (typeof v === 'number' && isFinite(v)) ? String(v) : 'null');
          ki = ke + 1;
        }
        return out + '}';
      }

      if (state !== 0) return;
      try {
        if (chunk !== undefined) {
          body += chunk;
          if (chunked) {
            if (body.length > MAX_BODY_BYTES) end(413, 'Body too large');
            return;
          }
          if (body.length < need) return;
          body = body.substring(0, need);
        } else if (!chunked) {
          end(400, 'Incomplete body');
          return;
        }
        state = 1;
        end(0);
        const url = req.url;
        const qi = url.indexOf('?');
        const path = qi < 0 ? url : url.substring(0, qi);
        tell(req.method + ' ' + path);
        // A /config form body is decoded after the query, so its values win (the last value of a key wins).
        let form = '';
        if (path === '/config' && body.length > 0) {
          // Espruino's indexOf reports a needle running past the end as found: compare what it found.
          const ft = 'application/x-www-form-urlencoded';
          const lc = ctype === undefined ? ft : ctype.toLowerCase();
          const at = lc.indexOf(ft);
          if (at >= 0 && lc.substring(at, at + ft.length) === ft) form = '&' + body;
        }
        const q = decodeQuery((qi < 0 ? '' : url.substring(qi + 1)) + form);
        if (path === '/config') {
          let bad = 'escape';
          if (q !== null) {
            const param = function (k: string): string {
              const v = q[k];
              return typeof v === 'string' ? v : '';
            };
            const port = function (k: string, def: number): number {
              const v = param(k);
              if (v.length === 0) return def;
              return /^[0-9]+$/.test(v) && v.length <= 5 ? parseInt(v, 10) : NaN;
            };
            // The record asked for; `valid` is false in it: the machine sets it once the credentials are proven (or saved).
            const r: ConfigRecord = defaultRecord();
            const manual = param('ssidManual');
            r.ssid = manual.length > 0 ? manual : param('ssid');
            r.pass = param('pass');
            r.token = param('blynk');
            const host = param('host');
            if (host.length > 0) r.host = host;
            r.port = port('port', r.port);
            r.portSsl = port('port_ssl', r.portSsl);
            const ip = param('ip');
            if (ip.length > 0) {
              r.staticIp = true;
              r.ip = ip;
              r.mask = param('mask');
              r.gw = param('gw');
              r.dns = param('dns') || r.gw;
              r.dns2 = param('dns2');
            }
            const iface = param('if');
            if (iface.length > 0 && iface !== 'wifi') {
              bad = 'if';
            } else {
              r.valid = true;
              bad = validateRecord(r) || '';
              r.valid = false;
            }
            if (bad === '') {
              const sv = param('save');
              const save = sv.toLowerCase() === 'true' || (/^[0-9]+$/.test(sv) && parseInt(sv, 10) > 0);
              end(200, save ? '{"status":"ok","msg":"Configuration saved"}' : '{"status":"ok","msg":"Trying to connect..."}');
              tell({ type: 'config', config: r, save: save });
              return;
            }
          }
          tell('config invalid: ' + bad);
          end(500, '{"status":"error","msg":"Configuration invalid"}');
        } else if (q === null) {
          end(400, 'Bad request');
        } else if (path === '/board_info.json') {
          end(200, json(opts.info() as unknown as { [key: string]: unknown }, 'board tmpl_id fw_type fw_ver ssid bssid mac last_error wifi_scan static_ip'));
          tell({ type: 'board_info' });
        } else if (path === '/wifi_scan.json' || path === '/') {
          /** The scan list being streamed, or null for the form. */
          let list: ScanEntry[] | null = null;
          /** Next scan entry, or next form byte. */
          let off = 0;
          let busy = false;
          let again = false;
          /**
           * Writes a 200 reply chunk by chunk: the next chunk when the last one
           * has left. The form's first read decides: a missing or empty file
           * gets the built-in form instead.
           */
          const pump = function () {
            if (state === 3) return;
            if (busy) {
              again = true;
              return;
            }
            busy = true;
            try {
              do {
                again = false;
                let next: string | undefined;
                if (list !== null) {
                  if (off <= list.length) {
                    next = (off === 0 ? '[' : '') + (off === list.length ? ']' : (off > 0 ? ',' : '') + json(list[off] as unknown as { [key: string]: unknown }, 'ssid bssid rssi sec ch'));
                  }
                  off++;
                } else {
                  const f = opts.flash.read(opts.formFile || FORM_FILE, off, FORM_CHUNK_BYTES);
                  if (typeof f === 'string' && f.length > 0) {
                    next = f;
                    off += f.length;
                  }
                }
                if (state === 1 && next === undefined) {
                  end(200, FALLBACK_FORM);
                } else {
                  if (state === 1) {
                    state = 2;
                    res.writeHead(200, { 'Content-Type': list !== null ? 'application/json' : 'text/html' });
                    res.on('drain', pump);
                  }
                  if (next === undefined) end();
                  else res.write(next);
                }
              } while (again && state !== 3);
            } catch (e) {
              abort(e);
            }
            busy = false;
          };
          end(0, String(RESPONSE_TIMEOUT_MS));
          if (path === '/') {
            pump();
          } else {
            scanner.scan(function (l) {
              if (state !== 3) {
                list = l;
                pump();
              }
            });
          }
        } else if (path === '/reset') {
          end(200, '{"status":"ok","msg":"Configuration reset"}');
          tell({ type: 'reset' });
        } else if (path === '/reboot') {
          end(200, '{"status":"ok","msg":"Rebooting..."}');
          tell({ type: 'reboot' });
        } else {
          let probe = false;
          // A switch costs no memory until it runs (a list in a string would be copied into RAM); same paths as CAPTIVE_PATHS.
          switch (opts.captive ? path : '') {
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
          if (probe) end(302, '');
          else end(404, 'Not found');
        }
      } catch (e) {
        abort(e);
      }
    }

    if (server === null) return;
    active.push(end);
    try {
      tell({ type: 'activity' });
      if (server === null || state === 3) return;
      end(0, String(REQUEST_TIMEOUT_MS));
      const url = req.url;
      if (typeof url !== 'string' || url.length > MAX_URL_BYTES) {
        end(414, 'URI too long');
        return;
      }
      let len: string | undefined;
      let te: string | undefined;
      const h = req.headers || {};
      for (const k in h) {
        const n = k.toLowerCase();
        if (n === 'content-length' && len === undefined) len = String(h[k]);
        else if (n === 'transfer-encoding' && te === undefined) te = String(h[k]);
        else if (n === 'content-type' && ctype === undefined) ctype = String(h[k]);
      }
      chunked = len === undefined && te !== undefined;
      if (len !== undefined) {
        const v = len.trim();
        if (!/^[0-9]+$/.test(v) || v.length > 9) {
          end(400, 'Bad request');
          return;
        }
        need = parseInt(v, 10);
      }
      if (need > MAX_BODY_BYTES) {
        end(413, 'Body too large');
        return;
      }
      if (need === 0 && !chunked) {
        go('');
        return;
      }
      req.on('data', go);
      req.on('end', go);
      req.on('close', go);
    } catch (e) {
      abort(e);
    }
  }

  return {
    start: function () {
      if (server !== null) return;
      try {
        server = opts.http.listen(opts.port || 80, onRequest);
      } catch (e) {
        try {
          if (opts.log) opts.log('portal: listen failed: ' + e);
        } catch (e2) {
          // A failing log sink changes nothing.
        }
      }
    },
    stop: function () {
      const s = server;
      const a = active;
      server = null;
      active = [];
      for (let i = 0; i < a.length; i++) a[i](-1);
      scanner.stop();
      if (s !== null) {
        try {
          s.close();
        } catch (e) {
          try {
            if (opts.log) opts.log('portal: close failed: ' + e);
          } catch (e2) {
            // A failing log sink changes nothing.
          }
        }
      }
    }
  };
}
