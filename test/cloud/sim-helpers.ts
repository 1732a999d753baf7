/**
 * Helpers for tests against the simulated cloud: a raw TCP/TLS Blynk client
 * (frames on Buffers, no library code), a small JSON HTTP client, a raw
 * bytes HTTP client, and polling.
 * Every socket a helper opens is tracked so `closeAllRaw()` can end it.
 */
import { connect as tcpConnect, Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { IncomingHttpHeaders, request } from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { encode, encodeResponse, WireFrame } from './wire';

/** The test CA that issued the simulated cloud's certificate (trusted by the test clients). */
export const TEST_CA = readFileSync(join(__dirname, '../../sim/cloud/certs/ca.pem'));

const open = new Set<Socket>();

/** A raw device connection that records every frame it receives. */
export class RawClient {
  readonly frames: WireFrame[] = [];
  closed = false;
  private pending = Buffer.alloc(0);
  private waiters: Array<() => void> = [];

  private constructor(readonly sock: Socket) {
    open.add(sock);
    sock.on('data', (b: Buffer) => {
      this.pending = Buffer.concat([this.pending, b]);
      while (this.pending.length >= 5) {
        const type = this.pending[0];
        const len = this.pending.readUInt16BE(3);
        const bodyLen = type === 0 ? 0 : len;
        if (this.pending.length < 5 + bodyLen) break;
        this.frames.push({ type, id: this.pending.readUInt16BE(1), len, body: this.pending.subarray(5, 5 + bodyLen) });
        this.pending = this.pending.subarray(5 + bodyLen);
      }
      this.wake();
    });
    sock.on('error', () => {});
    sock.on('close', () => {
      this.closed = true;
      open.delete(sock);
      this.wake();
    });
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    w.forEach((f) => f());
  }

  /** Connects over plain TCP or TLS (trusting the test certificate). */
  static connect(port: number, tls = false): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const sock = tls
        ? tlsConnect({ host: '127.0.0.1', port, ca: TEST_CA, servername: 'blynk.cloud' })
        : tcpConnect({ host: '127.0.0.1', port });
      sock.once(tls ? 'secureConnect' : 'connect', () => resolve(new RawClient(sock)));
      sock.once('error', reject);
    });
  }

  /** Sends a frame (fields UTF-8, NUL-joined) or raw bytes. */
  send(type: number, id: number, body: Buffer | string | Array<string | number> = Buffer.alloc(0)): void {
    this.sock.write(encode(type, id, body));
  }

  sendRaw(b: Buffer): void {
    this.sock.write(b);
  }

  respond(id: number, status: number): void {
    this.sock.write(encodeResponse(id, status));
  }

  /** Waits for a received frame matching `pred` (searching from frame `from`). */
  async next(pred: (f: WireFrame) => boolean = () => true, timeoutMs = 2000, from = 0): Promise<WireFrame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const f = this.frames.slice(from).find(pred);
      if (f) return f;
      if (this.closed) throw new Error('connection closed while waiting');
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('timed out waiting for a frame');
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  /** Resolves once the server closed the connection (rejects after `timeoutMs`). */
  async waitClosed(timeoutMs = 2000): Promise<void> {
    await waitFor(() => this.closed, timeoutMs, 'connection to close');
  }

  /** Logs in with `token`; resolves with the login RESPONSE (or REDIRECT) frame. */
  async login(token: string): Promise<WireFrame> {
    this.send(29, 1, token);
    return this.next((f) => (f.type === 0 && f.id === 1) || f.type === 41);
  }

  close(): void {
    this.sock.destroy();
  }
}

/** Destroys every raw socket still open. */
export function closeAllRaw(): void {
  for (const s of open) s.destroy();
  open.clear();
}

/** Polls `pred` every 5 ms until true; rejects after `timeoutMs`. */
export async function waitFor(pred: () => boolean, timeoutMs = 2000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for ' + what);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** One JSON HTTP request (no keep-alive); resolves with status and parsed body. */
export function api(port: number, method: string, path: string, body?: unknown, raw?: string): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const text = raw ?? (body === undefined ? '' : JSON.stringify(body));
    const req = request(
      { host: '127.0.0.1', port, method, path, agent: false, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const t = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode || 0, body: t ? JSON.parse(t) : null });
        });
      }
    );
    req.on('error', reject);
    req.end(text);
  });
}

/** What `rawHttp` got: `complete` is false when the connection closed before the whole body. */
export interface RawHttpResult {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  complete: boolean;
}

/** One HTTP request with a raw body (no keep-alive); resolves with the raw answer, even a cut one. */
export function rawHttp(method: string, url: string, body?: Buffer): Promise<RawHttpResult> {
  return new Promise((resolve, reject) => {
    const headers = body ? { 'content-type': 'application/octet-stream', 'content-length': body.length } : {};
    const req = request(url, { method, agent: false, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', () => {});
      res.on('close', () => resolve({ status: res.statusCode || 0, headers: res.headers, body: Buffer.concat(chunks), complete: res.complete }));
    });
    req.on('error', reject);
    req.end(body);
  });
}
