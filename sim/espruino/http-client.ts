/**
 * Espruino's HTTP *client*: `require('http').get(url|options, cb)` and
 * `require('http').request(options, cb)` + `req.end()`, carried by real host
 * sockets (TLS on the ESP32 for `https:`).
 *
 * What Espruino 2v29 does, measured on the interpreters of
 * ../shared/espruino (espruino-esp8266, espruino-esp32, 2v29.277) against a
 * raw Node server on 127.0.0.1 (the probe is test/real/http-client.test.ts):
 *
 * | question | 2v29 |
 * |---|---|
 * | `get(url, cb)` | a URL string (through `url.parse`) or an options object `{host, port, path, method, headers, protocol, ca}`; returns the request object (`write`, `end`, `on`) at once; sends at once (no `end()` needed) |
 * | `request(options, cb)` | sends nothing until `req.write()` / `req.end()`; an options object without `method` sends the request line `undefined /path HTTP/1.1` |
 * | request bytes | `GET /path HTTP/1.1`, `User-Agent: Espruino <version>`, `Connection: close`, the caller's headers, `Host: host:port` (`Host: host` for port 80 or none) |
 * | the callback | called once the whole response head is in, with `this` = the request and `res`; never for a failed request |
 * | `res.statusCode` | a **string** (`"200"`, `"404"`), not a number; `res.statusMessage` as sent (`"Not Found"`); `res.httpVersion` `"1.1"` |
 * | `res.headers` | names exactly as the server sent them (no lower-casing), a repeated header keeps its first value (`Set-Cookie` and `set-cookie` are two keys), an empty value drops the header, leading blanks of a value are skipped and trailing ones kept |
 * | 'data' | byte strings of at most 536 bytes (one socket read each, the first one what came with the head), from the task after the callback; without a 'data' listener the bytes wait (`res.available()`, `res.read()`) and no more is read |
 * | end of body | at Content-Length bytes (the header named exactly `Content-Length`) the board closes the connection itself, even if the server keeps it open; else when the server closes: `res` 'end' (no argument), then `res` 'close'(false) |
 * | short body | Content-Length 100, 50 bytes, then the server closes: 'data'(50), 'end', 'close'(false): no error; the same for a reset in mid-body |
 * | chunked | chunk-size lines removed; the terminal chunk ends the response (the board closes); each chunk of a later read is a 'data' event of its own |
 * | 404 | callback with `"404"`, body delivered like any other |
 * | server closes without answering | `req` 'error' `{code:-15, message:"no response"}` (a plain object), nothing else: no callback, no 'close' on `req` |
 * | unknown host | `get` **throws** `InternalError: Unable to locate host`; nothing else |
 * | connection refused | prints `ERROR: Connect failed (err 111)` and `get` **throws** `InternalError: Unable to create socket` (blocking connect, as on an ESP32's lwIP) |
 * | `req` events | only 'error'; `req` never gets 'close' |
 * | https, ESP32 | `https:` URL or `protocol:'https:'`; works with or without `ca`; a `ca` that does not issue the server's certificate still works (2v29 runs mbedtls with VERIFY_NONE); a `ca` string of at most 100 chars is taken as a file name (`WARNING: File "…" not found`, throws `Error: Could not open file : UNKNOWN`); a longer non-DER `ca` throws `InternalError: HTTPS init failed! mbedtls_x509_crt_parse of 'ca': Invalid format` |
 * | https, server closes first | when the server's close (TLS close_notify) arrives before the board closed: 'end', then `req` 'error' `{code:-30848, message:"unknown error"}`, then `res` 'close'(true) |
 * | https, ESP8266 | no TLS: an `https:` URL is fetched as plain HTTP on the URL's port (a TLS server there: 'error' -15) |
 * | memory (espruino-esp8266) | above the usage before `get`: 73 JsVars right after it (request, response, options, the queued head), 9 in the callback (head sent and freed), 40 in the first 'data' event, listener closures included (test/real/http-client.test.ts prints them) |
 *
 * Surprising, and emulated: `statusCode` is a string; `Content-Length` ends
 * the response (not the server's close); a short body ends without error;
 * refused / unknown host throw from `get` rather than emitting 'error';
 * `request` without a method sends "undefined"; a TLS server closing first is
 * an error (-30848); ESP8266 https is plain HTTP.
 *
 * Not like the interpreter:
 * - connection refused: the host connects asynchronously, so the simulated
 *   board cannot throw from `get`; it prints the same `ERROR: Connect failed
 *   (err 111)` line and emits `req` 'error' `{code:-9, message:"connection
 *   reset"}` (what the net module reports) in a later task;
 * - `ca` verification: as in net.ts, a `ca` is checked (the server's
 *   certificate must chain to it and name the host), else `req` 'error'
 *   `{code:-13, message:"SSL handshake failed"}`; 2v29 does not verify;
 * - a 'data' listener attached late: 2v29 emits 'end' at once, prints
 *   `New interpreter error: BUFFER_FULL` and then delivers garbled data; the
 *   simulated board keeps the bytes until a listener exists, then 'data',
 *   'end', 'close';
 * - the internal keys 2v29 shows on `res` (`cRcv`, `hdrs`, `chunked`) and
 *   `req` (`type`, `opt`, `sckt`, `dSnd`, `cls`) are not there;
 * - the User-Agent version is `process.env.VERSION` of the simulated board
 *   (`2v29`), not `2v29.277`;
 * - not measured (no Wi-Fi on the interpreters), chosen: with the station
 *   not joined a host name throws "Unable to locate host" (no DNS), an IP
 *   address that `resolve` does not map prints `ERROR: Connect failed (err
 *   113)` and throws "Unable to create socket"; when the station loses its
 *   network an open request fails with 'error' -9 (then 'end' and
 *   'close'(true) if the callback ran).
 * At reboot / power cut open requests die without events.
 */
import net from 'net';
import tls from 'tls';
import { FIRMWARE_VERSION } from './globals';
import { parseHttpHead, SOCKET_CHUNK_BYTES } from './http';
import { urlParse } from './url';
import type { Boot } from './boot';
import type { Realm } from './realm';
import type { BoardOptions, Chip } from './types';

/** Error codes and messages of the HTTP client. */
export const HTTP_CLIENT_ERRORS = {
  noResponse: { code: -15, message: 'no response' },
  reset: { code: -9, message: 'connection reset' },
  sslHandshake: { code: -13, message: 'SSL handshake failed' },
  tlsPeerClosed: { code: -30848, message: 'unknown error' },
} as const;

type ClientError = { code: number; message: string };

/** Host milliseconds between two turns of the emulated idle loop. */
const IDLE_MS = 1;
/** Host milliseconds between checks for a 'data' listener while bytes wait. */
const WAIT_LISTENER_MS = 20;
/** Longest `ca` string Espruino takes as a file name. */
const CA_FILENAME_MAX = 100;

const internalErrorClass = new WeakMap<Realm, new (m: string) => object>();

/** Espruino's InternalError (String(e) "InternalError: msg"), built in the realm. */
function internalError(realm: Realm, message: string): object {
  let C = internalErrorClass.get(realm);
  if (!C) {
    C = realm.run(
      '(function () { function InternalError(m) { this.message = m; }' +
        ' InternalError.prototype = Object.create(Error.prototype);' +
        " InternalError.prototype.toString = function () { return 'InternalError: ' + this.message; };" +
        ' return InternalError; })()',
      'InternalError',
    ) as new (m: string) => object;
    internalErrorClass.set(realm, C);
  }
  return new C(message);
}

/** A certificate's DER bytes (a byte string) as PEM text. */
function derToPem(der: string): string {
  const b64 = Buffer.from(der, 'latin1').toString('base64').replace(/(.{64})/g, '$1\n');
  return `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`;
}

const IPV4 = /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;

/** Incremental `Transfer-Encoding: chunked` decoder. */
class ChunkDecoder {
  done = false;
  private _state: 'size' | 'data' | 'crlf' | 'end' = 'size';
  private _line = '';
  private _left = 0;

  /** Decodes `s`; returns the chunk data pieces it contained. */
  feed(s: string): string[] {
    const out: string[] = [];
    let i = 0;
    while (i < s.length && !this.done) {
      if (this._state === 'size') {
        const nl = s.indexOf('\n', i);
        if (nl < 0) {
          this._line += s.substr(i);
          break;
        }
        this._line += s.substr(i, nl - i);
        i = nl + 1;
        this._left = parseInt(this._line.trim(), 16) || 0;
        this._line = '';
        if (this._left === 0) {
          this.done = true;
          break;
        }
        this._state = 'data';
      } else if (this._state === 'data') {
        const piece = s.substr(i, this._left);
        out.push(piece);
        i += piece.length;
        this._left -= piece.length;
        if (!this._left) this._state = 'crlf';
      } else {
        const nl = s.indexOf('\n', i);
        if (nl < 0) break;
        i = nl + 1;
        this._state = 'size';
      }
    }
    return out;
  }
}

/** One request, from `get`/`request` to its last event. */
class ClientRequest {
  readonly req: Record<string, any>;
  private readonly _res: Record<string, any>;
  private readonly _realm: Realm;
  private _send: string | null = null;
  private _chunkedSend = false;
  private _started = false;
  private _sock: net.Socket | null = null;
  private _connected = false;
  private _rx = '';
  private _peerEnded = false;
  private _headBuf = '';
  private _hadHeaders = false;
  private _pending: string[] = [];
  private _contentLength = -1;
  private _received = 0;
  private _chunks: ChunkDecoder | null = null;
  private _closed = false;
  private _stepQueued = false;
  private _untrack: (() => void) | null = null;

  constructor(
    private readonly _host: HttpClientHost,
    private readonly _boot: Boot,
    private readonly _opts: Record<string, any>,
    private readonly _secure: boolean,
    cb: unknown,
  ) {
    const realm = (this._realm = _boot.realm);
    this._res = realm.obj({
      available: () => this._pendingLength(),
      read: () => {
        const data = this._pending.join('');
        this._pending = [];
        this._queueStep(IDLE_MS);
        return data;
      },
    });
    this.req = realm.obj({
      write: (data: unknown) => {
        this._write(data);
        return true;
      },
      end: (data: unknown) => {
        this._write(data);
        if (this._chunkedSend && this._send !== null) this._send += '0\r\n\r\n';
        this._flush();
      },
    });
    if (cb !== undefined) this.req.on('connect', cb);
    _boot.onEnd(() => this._kill());
  }

  private _pendingLength(): number {
    let n = 0;
    for (const p of this._pending) n += p.length;
    return n;
  }

  /** Queues request bytes (the head first); connects on the first write, as Espruino does. */
  private _write(data: unknown): void {
    if (this._send === null) {
      const o = this._opts;
      let head = `${String(o.method)} ${String(o.path)} HTTP/1.1\r\nUser-Agent: Espruino ${FIRMWARE_VERSION}\r\nConnection: close\r\n`;
      const headers = o.headers;
      let hasHost = false;
      if (headers !== null && typeof headers === 'object') {
        for (const k of Object.keys(headers)) head += `${k}: ${String(headers[k])}\r\n`;
        hasHost = Object.prototype.hasOwnProperty.call(headers, 'Host');
        this._chunkedSend = String(headers['Transfer-Encoding']) === 'chunked';
      }
      if (!hasHost) {
        const port = Number(o.port) | 0;
        head += port > 0 && port !== 80 ? `Host: ${String(o.host)}:${port}\r\n` : `Host: ${String(o.host)}\r\n`;
      }
      this._send = head + '\r\n';
    }
    if (data !== undefined) {
      const s = String(data);
      this._send += this._chunkedSend ? `${s.length.toString(16)}\r\n${s}\r\n` : s;
    }
    if (!this._started) this._start();
    else this._flush();
  }

  /** Resolves and connects; throws what Espruino throws from `get`. */
  private _start(): void {
    this._started = true;
    const realm = this._realm;
    const o = this._opts;
    const host = o.host === undefined ? 'localhost' : String(o.host);
    let port = Number(o.port) | 0;
    if (!port) port = this._secure ? 443 : 80;
    const target = this._host.online() ? this._host.resolve(host, port) : null;
    if (!target) {
      this._closed = true;
      if (IPV4.test(host)) {
        this._boot.log('ERROR: Connect failed (err 113)');
        throw internalError(realm, 'Unable to create socket');
      }
      throw internalError(realm, 'Unable to locate host');
    }
    const ca = o.ca;
    if (this._secure && ca !== undefined) {
      const s = String(ca);
      if (s.length <= CA_FILENAME_MAX) {
        this._closed = true;
        this._boot.log(`WARNING: File ${JSON.stringify(s)} not found`);
        throw realm.error('Could not open file : UNKNOWN');
      }
      // A DER certificate is an ASN.1 SEQUENCE (0x30); mbedtls refuses anything else.
      if (s.charCodeAt(0) !== 0x30) {
        this._closed = true;
        throw internalError(realm, "HTTPS init failed! mbedtls_x509_crt_parse of 'ca': Invalid format");
      }
    }
    this._untrack = this._host.track(() => this._close(HTTP_CLIENT_ERRORS.reset));
    const onConnect = (): void => {
      this._connected = true;
      this._flush();
    };
    const sock = this._secure
      ? tls.connect(
          {
            host: target.host,
            port: target.port,
            servername: IPV4.test(host) ? undefined : host,
            rejectUnauthorized: ca !== undefined,
            ...(ca !== undefined ? { ca: derToPem(String(ca)), checkServerIdentity: (_h: string, cert: tls.PeerCertificate) => tls.checkServerIdentity(host, cert) } : {}),
          },
          onConnect,
        )
      : net.connect({ host: target.host, port: target.port }, onConnect);
    this._sock = sock;
    sock.on('data', (d: Buffer) => {
      if (this._closed) return;
      this._rx += d.toString('latin1');
      this._queueStep(IDLE_MS);
    });
    sock.on('end', () => {
      this._peerEnded = true;
      this._queueStep(IDLE_MS);
    });
    sock.on('close', () => {
      this._peerEnded = true;
      this._queueStep(IDLE_MS);
    });
    sock.on('error', (e: NodeJS.ErrnoException) => {
      if (this._closed) return;
      if (!this._connected) {
        if (e.code === 'ECONNREFUSED') {
          this._boot.log('ERROR: Connect failed (err 111)');
          this._close(HTTP_CLIENT_ERRORS.reset);
        } else if (this._secure) {
          this._close(HTTP_CLIENT_ERRORS.sslHandshake);
        } else {
          this._close(HTTP_CLIENT_ERRORS.reset);
        }
        return;
      }
      // A reset after connecting reads as a plain close on 2v29.
      this._peerEnded = true;
      this._queueStep(IDLE_MS);
    });
  }

  private _flush(): void {
    if (!this._sock || !this._connected || this._closed || !this._send) return;
    this._sock.write(Buffer.from(this._send, 'latin1'));
    this._send = '';
  }

  private _queueStep(ms: number): void {
    if (this._stepQueued || this._closed) return;
    this._stepQueued = true;
    this._boot.defer(() => {
      this._stepQueued = false;
      this._step();
    }, ms);
  }

  /** One turn of Espruino's idle loop for this connection (socketClientConnectionsIdle). */
  private _step(): void {
    if (this._closed) return;
    const realm = this._realm;
    const res = this._res;
    if (this._hadHeaders && this._pending.length && realm.listeners(res, 'data').length) {
      const pieces = this._pending;
      this._pending = [];
      for (const p of pieces) realm.emit(res, 'data', [p]);
      if (this._closed) return;
    }
    let got = 0;
    if (!this._pending.length || !this._hadHeaders) {
      if (this._rx.length) {
        const chunk = this._rx.substr(0, SOCKET_CHUNK_BYTES);
        this._rx = this._rx.substr(chunk.length);
        got = chunk.length;
        this._ingest(chunk);
      } else if (this._peerEnded) {
        // mbedtls reports the server's close_notify as an error (-30848); plain TCP closes cleanly.
        this._close(this._secure ? HTTP_CLIENT_ERRORS.tlsPeerClosed : null);
        return;
      }
    }
    if (this._closed) return;
    if (this._hadHeaders && !got && !this._pending.length && this._bodyComplete()) {
      this._close(null);
      return;
    }
    if (this._pending.length && !realm.listeners(res, 'data').length) this._queueStep(WAIT_LISTENER_MS);
    else if (this._pending.length || this._rx.length || this._peerEnded || (this._hadHeaders && this._bodyComplete())) this._queueStep(IDLE_MS);
  }

  private _bodyComplete(): boolean {
    if (this._chunks) return this._chunks.done;
    return this._contentLength >= 0 && this._received >= this._contentLength;
  }

  /** One socket read's bytes: the head until complete, then body pieces. */
  private _ingest(chunk: string): void {
    if (!this._hadHeaders) {
      this._headBuf += chunk;
      const head = parseHttpHead(this._headBuf);
      if (!head) return;
      const body = this._headBuf.substr(head.headerEnd);
      this._headBuf = '';
      this._hadHeaders = true;
      const realm = this._realm;
      const headers = realm.obj();
      for (const [k, v] of head.headers) if (!Object.prototype.hasOwnProperty.call(headers, k)) headers[k] = v;
      const res = this._res;
      res.headers = headers;
      res.httpVersion = head.method.substr(5);
      res.statusCode = head.url;
      res.statusMessage = head.rest;
      if (headers['Transfer-Encoding'] === 'chunked') this._chunks = new ChunkDecoder();
      else if (headers['Content-Length'] !== undefined) this._contentLength = parseInt(headers['Content-Length'], 10) || 0;
      const first = this._body(body).join('');
      if (first.length) this._pending.push(first);
      realm.emit(this.req, 'connect', [res]);
      return;
    }
    for (const p of this._body(chunk)) this._pending.push(p);
  }

  private _body(s: string): string[] {
    this._received += s.length;
    if (this._chunks) return this._chunks.feed(s);
    return s.length ? [s] : [];
  }

  /** Ends the connection with Espruino's events (`err` null: a clean close). */
  private _close(err: ClientError | null): void {
    if (this._closed) return;
    this._closed = true;
    this._untrack?.();
    this._sock?.destroy();
    const realm = this._realm;
    const req = this.req;
    const res = this._res;
    const hadHeaders = this._hadHeaders;
    this._boot.defer(() => {
      if (!hadHeaders) {
        realm.emit(req, 'error', [realm.obj({ ...(err ?? HTTP_CLIENT_ERRORS.noResponse) })]);
        return;
      }
      realm.emit(res, 'end', []);
      if (err) realm.emit(req, 'error', [realm.obj({ ...err })]);
      realm.emit(res, 'close', [err !== null]);
    });
  }

  /** Reboot / power cut: the socket dies, no device events. */
  private _kill(): void {
    this._closed = true;
    this._untrack?.();
    this._sock?.destroy();
  }
}

/** The board's HTTP client plumbing (all boots). */
export class HttpClientHost {
  /**
   * @param _chip the emulated chip (https only on the ESP32)
   * @param online true while the station has an IP on an AP that is up
   * @param _resolve the board's resolver
   * @param track registers a request to fail when the station loses its network; returns the unregister function
   */
  constructor(
    private readonly _chip: Chip,
    readonly online: () => boolean,
    private readonly _resolve: BoardOptions['resolve'],
    readonly track: (fail: () => void) => () => void,
  ) {}

  /** The board's resolver, null when it does not know `host`. */
  resolve(host: string, port: number): { host: string; port: number } | null {
    return this._resolve ? this._resolve(host, port) : null;
  }

  /** `get` and `request` of one boot's `http` module. */
  functions(boot: Boot): Record<string, unknown> {
    const request = (options: unknown, cb: unknown, isGet: boolean): unknown => {
      const { realm } = boot;
      let opts: Record<string, any>;
      if (typeof options === 'string') opts = urlParse(realm, options, false) as Record<string, any>;
      else if (options !== null && typeof options === 'object') opts = options as Record<string, any>;
      else throw realm.error(`Expecting Options to be an Object but it was ${typeof options}`);
      if (cb !== undefined && !realm.isFunction(cb)) throw realm.error(`Expecting Callback Function but got ${typeof cb}`);
      if (isGet) opts.method = 'GET';
      const secure = this._chip === 'ESP32' && opts.protocol === 'https:';
      const r = new ClientRequest(this, boot, opts, secure, cb);
      if (isGet) (r.req.end as () => void)();
      return r.req;
    };
    return {
      get: (options: unknown, cb: unknown) => request(options, cb, true),
      request: (options: unknown, cb: unknown) => request(options, cb, false),
    };
  }
}
