/**
 * Espruino's `http` server, reached from the host over loopback.
 *
 * The request bytes are parsed here (latin1, never by Node's HTTP parser) the
 * way Espruino's socketserver.c does it, so device code sees raw bytes:
 * - `req.method`, `req.url` (the raw request-target: `%C3%A9`, `+`, bytes
 *   >= 0x80 untouched), `req.headers` (names as sent, a repeated header keeps
 *   its first value, empty values are dropped);
 * - the handler runs in a later task; body bytes arrive as `req.on('data')`
 *   chunks of at most 536 bytes once a 'data' listener exists (else they wait,
 *   readable with `req.read()`);
 * - END OF REQUEST: `req` emits 'end' once the Content-Length bytes have been
 *   delivered (at once for a request without body). `req` 'close' only comes
 *   when the connection closes, i.e. after `res.end()` has been sent (or the
 *   client went away): a handler that waits for `req` 'close' before
 *   answering never answers;
 * - `res.writeHead(code, headers)` sends `HTTP/1.1 <code> OK` (always "OK"),
 *   `Server: Espruino 2v29`, `Connection: close`, then the headers; a second
 *   writeHead prints "ERROR: Headers have already been sent";
 * - `res.write(data)` (implicit writeHead(200)) returns false while more than
 *   536 bytes wait to be sent ('drain' follows); `write` after `end` throws
 *   "This socket is closed."; `Transfer-Encoding: chunked` is honoured;
 * - after `res.end()` is flushed the connection closes: `res` 'end', then
 *   `req` 'close' and `res` 'close' (argument false).
 * New connections are accepted only while the device's soft AP is up or its
 * station has an IP, and a device server listens on that port.
 *
 * The module's client half (`get`, `request`) is in http-client.ts.
 */
import net from 'net';
import { FIRMWARE_VERSION } from './globals';
import type { Boot } from './boot';
import type { HttpClientHost } from './http-client';
import type { Realm } from './realm';

/** Bytes Espruino moves per socket chunk. */
export const SOCKET_CHUNK_BYTES = 536;

interface DeviceServer {
  boot: Boot;
  handler: unknown;
  server: object;
}

interface ParsedHead {
  /** Request: the method. (Response: the HTTP version field, `HTTP/1.1`.) */
  method: string;
  /** Request: the request-target. (Response: the status code, a string.) */
  url: string;
  /** Response: what follows the second space of the first line (the status message). */
  rest: string;
  headers: [string, string][];
  headerEnd: number;
}

const isWhitespace = (ch: string): boolean => ' \t\n\r\v\f'.includes(ch);

/** Espruino's httpParseHeaders on a byte string; null until the head is complete. */
export function parseHttpHead(buf: string): ParsedHead | null {
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) return null;
  const head = buf.substr(0, end + 4);
  let firstSpace = -1;
  let secondSpace = -1;
  let firstEol = -1;
  let lineNumber = 0;
  let lastLineStart = 0;
  let colonPos = 0;
  let valueStart = 0;
  const headers: [string, string][] = [];
  for (let i = 0; i < head.length; i++) {
    const ch = head[i];
    if (ch === ' ' || ch === '\r') {
      if (firstSpace < 0) firstSpace = i;
      else if (secondSpace < 0) secondSpace = i;
    }
    if (ch === ':' && colonPos < 0) colonPos = i;
    else if (colonPos > 0 && !valueStart && !isWhitespace(ch)) valueStart = i;
    if (ch === '\r') {
      if (firstEol < 0) firstEol = i;
      if (lineNumber > 0 && colonPos > lastLineStart && valueStart > lastLineStart && lastLineStart < i) {
        headers.push([head.substr(lastLineStart, colonPos - lastLineStart), head.substr(valueStart, i - valueStart)]);
      }
      lineNumber++;
      colonPos = -1;
      valueStart = 0;
    }
    if (ch === '\r' || ch === '\n') lastLineStart = i + 1;
  }
  return {
    method: head.substr(0, firstSpace),
    url: head.substr(firstSpace + 1, secondSpace - (firstSpace + 1)),
    rest: secondSpace < firstEol ? head.substr(secondSpace + 1, firstEol - (secondSpace + 1)) : '',
    headers,
    headerEnd: end + 4,
  };
}

/** One accepted connection, from request bytes to the closing events. */
class HttpConnection {
  private _buf = '';
  private _req: Record<string, any> | null = null;
  private _res: Record<string, any> | null = null;
  private _handled = false;
  private _remaining = 0;
  private _endSent = false;
  private _resHeaders: [string, string][] = [['Connection', 'close']];
  private _headersSent = false;
  private _chunked = false;
  private _out = '';
  private _ended = false;
  private _closed = false;
  private _flushQueued = false;

  constructor(
    private readonly _boot: Boot,
    private readonly _target: DeviceServer,
    private readonly _sock: net.Socket,
  ) {
    _sock.on('data', (d: Buffer) => this._onData(d.toString('latin1')));
    _sock.on('close', () => this._closeEvents());
    _sock.on('error', () => undefined);
  }

  /** Drops the host socket without device events (boot ended). */
  kill(): void {
    this._closed = true;
    this._sock.destroy();
  }

  private get _realm(): Realm {
    return this._boot.realm;
  }

  private _onData(chunk: string): void {
    if (this._closed) return;
    this._buf += chunk;
    if (!this._req) {
      const head = parseHttpHead(this._buf);
      if (!head) return;
      this._buf = this._buf.substr(head.headerEnd);
      const headers = this._realm.obj();
      for (const [k, v] of head.headers) if (!Object.prototype.hasOwnProperty.call(headers, k)) headers[k] = v;
      const cl = head.headers.find(([k]) => k.toLowerCase() === 'content-length');
      this._remaining = cl ? parseInt(cl[1], 10) || 0 : 0;
      this._req = this._createReq(head.method, head.url, headers);
      this._res = this._createRes();
      this._boot.defer(() => {
        this._handled = true;
        this._realm.invoke(this._target.handler, this._target.server, [this._req, this._res]);
        this._pump();
      });
      return;
    }
    this._pump();
  }

  /** Delivers waiting body bytes to 'data' listeners, then 'end' once complete. */
  private _pump(): void {
    const req = this._req as Record<string, any>;
    if (!this._handled || this._closed) return;
    if (this._buf.length && this._realm.listeners(req, 'data').length) {
      const data = this._buf;
      this._buf = '';
      this._remaining -= data.length;
      for (let i = 0; i < data.length; i += SOCKET_CHUNK_BYTES) {
        const piece = data.substr(i, SOCKET_CHUNK_BYTES);
        this._boot.defer(() => this._realm.emit(req, 'data', [piece]));
      }
    }
    if (this._remaining <= 0 && !this._buf.length && !this._endSent) {
      this._endSent = true;
      this._boot.defer(() => this._realm.emit(req, 'end', []));
    }
  }

  private _createReq(method: string, url: string, headers: object): Record<string, any> {
    const req = this._realm.obj({
      read: () => {
        const data = this._buf;
        this._buf = '';
        this._remaining -= data.length;
        this._boot.defer(() => this._pump());
        return data;
      },
      available: () => this._buf.length,
    });
    req.method = method;
    req.url = url;
    req.headers = headers;
    return req;
  }

  private _createRes(): Record<string, any> {
    const res = this._realm.obj({
      setHeader: (name: unknown, value: unknown) => this._setHeader(this._resHeaders, String(name), String(value)),
      writeHead: (code: unknown, headers: unknown) => this._writeHead(code, headers),
      write: (data: unknown) => this._write(data),
      end: (data: unknown) => {
        this._write(data);
        if (this._chunked) this._out += '0\r\n\r\n';
        this._ended = true;
        this._scheduleFlush();
      },
    });
    return res;
  }

  private _setHeader(list: [string, string][], name: string, value: string): void {
    const existing = list.find(([k]) => k === name);
    if (existing) existing[1] = value;
    else list.push([name, value]);
  }

  private _writeHead(code: unknown, headers: unknown): void {
    if (headers !== undefined && (headers === null || typeof headers !== 'object')) {
      this._boot.log('ERROR: Headers sent to writeHead should be an object');
      return;
    }
    if (this._headersSent) {
      this._boot.log('ERROR: Headers have already been sent');
      return;
    }
    this._headersSent = true;
    const list = this._resHeaders.map(([k, v]) => [k, v] as [string, string]);
    if (headers) for (const k of Object.keys(headers)) this._setHeader(list, k, String((headers as Record<string, unknown>)[k]));
    this._chunked = list.some(([k, v]) => k.toLowerCase() === 'transfer-encoding' && v.toLowerCase() === 'chunked');
    let head = `HTTP/1.1 ${Number(code) | 0} OK\r\nServer: Espruino ${FIRMWARE_VERSION}\r\n`;
    for (const [k, v] of list) head += `${k}: ${v}\r\n`;
    this._out += head + '\r\n';
  }

  private _write(data: unknown): boolean {
    if (this._ended) throw new Error('This socket is closed.');
    if (!this._headersSent) this._writeHead(200, undefined);
    if (data !== undefined) {
      const s = String(data);
      this._out += this._chunked ? `${s.length.toString(16)}\r\n${s}\r\n` : s;
    }
    this._scheduleFlush();
    return this._out.length < SOCKET_CHUNK_BYTES;
  }

  private _scheduleFlush(): void {
    if (this._flushQueued || this._closed) return;
    this._flushQueued = true;
    this._boot.defer(() => {
      this._flushQueued = false;
      if (this._closed) return;
      if (this._out.length) {
        this._sock.write(Buffer.from(this._out, 'latin1'));
        this._out = '';
        if (!this._ended) this._realm.emit(this._res as object, 'drain', []);
      }
      if (this._ended) this._sock.end();
    });
  }

  private _closeEvents(): void {
    if (this._closed) return;
    this._closed = true;
    const req = this._req;
    const res = this._res;
    if (!req || !res || !this._boot.alive()) return;
    const data = this._buf;
    this._buf = '';
    this._boot.defer(() => {
      if (data.length) this._realm.emit(req, 'data', [data]);
      this._realm.emit(res, 'end', []);
      this._realm.emit(req, 'close', [false]);
      this._realm.emit(res, 'close', [false]);
    });
  }
}

/** A host loopback listener standing for one device TCP port. */
class HostListener {
  readonly server: net.Server;
  device: DeviceServer | null = null;
  readonly ready: Promise<void>;
  private readonly _conns = new Set<HttpConnection>();

  constructor(port: number, reachable: () => boolean) {
    this.server = net.createServer((sock) => {
      const target = this.device;
      if (!target || !target.boot.alive() || !reachable()) {
        sock.destroy();
        return;
      }
      const conn = new HttpConnection(target.boot, target, sock);
      this._conns.add(conn);
      sock.on('close', () => this._conns.delete(conn));
    });
    this.ready = new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => resolve());
    });
  }

  /** Host port actually bound. */
  get port(): number {
    const a = this.server.address();
    return a && typeof a === 'object' ? a.port : 0;
  }

  /** Kills every open connection (no device events). */
  killConnections(): void {
    for (const c of this._conns) c.kill();
    this._conns.clear();
  }

  /** Stops listening and kills connections. */
  close(): Promise<void> {
    this.killConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** Board-level HTTP plumbing: the port-80 listener plus listeners for other device ports. */
export class HttpHost {
  private readonly _listeners = new Map<number, HostListener>();

  /**
   * @param httpPort host port for device port 80 (0 = ephemeral)
   * @param _reachable true while the device is on a network
   * @param _client the HTTP client (`get`, `request`; see http-client.ts)
   */
  constructor(
    httpPort: number,
    private readonly _reachable: () => boolean,
    private readonly _client?: HttpClientHost,
  ) {
    this._listeners.set(80, new HostListener(httpPort, _reachable));
  }

  /** Resolves once the port-80 listener is bound. */
  ready(): Promise<void> {
    return (this._listeners.get(80) as HostListener).ready;
  }

  /** Host port serving a device port (undefined if none). */
  hostPort(devicePort: number): number | undefined {
    return this._listeners.get(devicePort)?.port;
  }

  /** The device `require('http')` module of one boot. */
  module(boot: Boot): unknown {
    const { realm } = boot;
    boot.onEnd(() => {
      for (const [port, l] of this._listeners) {
        l.device = null;
        l.killConnections();
        if (port !== 80) {
          void l.close();
          this._listeners.delete(port);
        }
      }
    });
    return realm.obj({
      ...(this._client ? this._client.functions(boot) : {}),
      createServer: (handler: unknown) => {
        if (!realm.isFunction(handler)) {
          boot.log(`ERROR: Expecting Callback Function but got ${typeof handler}`);
          return undefined;
        }
        let listening: number | null = null;
        const server: Record<string, any> = realm.obj({
          listen: (port: unknown) => {
            const p = Number(port) || 80;
            let l = this._listeners.get(p);
            if (!l) {
              l = new HostListener(0, this._reachable);
              this._listeners.set(p, l);
            }
            l.device = { boot, handler, server };
            listening = p;
            return server;
          },
          close: () => {
            if (listening === null) return;
            const l = this._listeners.get(listening);
            if (l && l.device && l.device.server === server) l.device = null;
            listening = null;
          },
        });
        return server;
      },
    });
  }

  /** Closes every host listener. */
  async close(): Promise<void> {
    await Promise.all(Array.from(this._listeners.values(), (l) => l.close()));
    this._listeners.clear();
  }
}
