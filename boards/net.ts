/**
 * The board's TCP/TLS client for the cloud (Storage module `edgent-net`) on
 * Espruino's `net` and `tls`: the driver (`boards/driver.ts`) loads it for
 * each connection, and it stays in RAM only while a connection is open.
 *
 * - TLS connections pass a `ca`: the product's PEM `tlsCa` decoded to DER, or
 *   else the Storage file `CA_FILE` as it is; none only for `ca: false`.
 * - Socket errors of both chips map to the cloud client's reasons
 *   (`boards/mapping.ts`).
 */

import { NetPort, SocketHandlers } from '../lib/ports';
import { pemBody, socketReason } from './mapping';

/** Storage module with this client. */
export const NET_MODULE = 'edgent-net';
/**
 * Storage file with the DER certificate the cloud's TLS certificate must chain
 * to when the product sets no `tlsCa` (the build writes ISRG Root X1 there).
 */
export const CA_FILE = 'edgent.ca';

/** Where to connect (the board's `NetPort.connect` target). */
type NetTarget = Parameters<NetPort['connect']>[0];

/**
 * Espruino's socket with the core's handlers on it: its listeners get the
 * socket as `this`, so one set of module-level listeners serves every
 * connection (a closure per connection would cost RAM for as long as it is open).
 */
interface Sock {
  /** The core's handlers. */
  h: SocketHandlers;
  /** Closed: nothing more reaches the handlers. */
  x?: boolean;
  write(data: string): void;
  end(): void;
  on(ev: string, fn: (...args: any[]) => void): void;
  removeAllListeners(): void;
}

function sockConnect(this: Sock): void {
  if (!this.x) this.h.onConnect();
}

function sockData(this: Sock, d: string): void {
  if (!this.x) this.h.onData(d);
}

function sockError(this: Sock, e: unknown): void {
  if (!this.x) this.h.onError(socketReason(e));
}

function sockClose(this: Sock): void {
  if (this.x) return;
  this.x = true;
  this.h.onClose();
}

/** The port's connection object: the socket, and the two methods over it. */
interface Conn {
  s: Sock | null;
  write(data: string): void;
  close(): void;
}

function connWrite(this: Conn, data: string): void {
  const s = this.s;
  if (s && !s.x) s.write(data);
}

function connClose(this: Conn): void {
  const s = this.s;
  if (!s || s.x) return;
  s.end();
  // The socket lives on until Espruino has closed it: it keeps nothing of ours meanwhile (its
  // listeners and handlers would keep this module and the cloud client in RAM). onClose comes now, once.
  s.removeAllListeners();
  sockClose.call(s);
  s.h = null as unknown as SocketHandlers;
}

/** Opens a TCP or TLS connection for the cloud client (the board's `NetPort.connect`). */
export function connect(o: NetTarget, h: SocketHandlers): Conn {
  const conn: Conn = { s: null, write: connWrite, close: connClose };
  try {
    // Espruino's tls takes the CA as the DER bytes of one certificate (PEM text: "Invalid format").
    // The shipped root is DER in Storage: a memory-mapped string, never copied into RAM.
    const options: { host: string; port: number; ca?: string } = { host: o.host, port: o.port };
    if (o.tls && o.ca !== false) {
      options.ca = o.ca ? atob(pemBody(o.ca)) : require('Storage').read(CA_FILE);
      // No CA file: fail as a TLS error rather than connect unverified.
      if (!options.ca) throw new Error('tls: no CA file');
    }
    const sock: Sock = require(o.tls ? 'tls' : 'net').connect(options, sockConnect);
    sock.h = h;
    sock.on('data', sockData);
    sock.on('error', sockError);
    sock.on('close', sockClose);
    conn.s = sock;
  } catch (e) {
    setTimeout(function () {
      h.onError(socketReason(e));
      h.onClose();
    }, 0);
  }
  return conn;
}

