/**
 * The board's TCP/TLS client for the cloud on Espruino's `net` and `tls`. It
 * is part of the cloud's Storage module (`boards/mode-cloud.ts`): the driver
 * (`boards/driver.ts`) finds it there, already loaded by the cloud client that
 * asks for a connection, so no module of its own stays in RAM while online.
 *
 * - The connection the core gets is Espruino's socket itself, with the core's
 *   handlers and a `close` method added: no object of ours around it.
 * - Two listeners serve every socket (Espruino calls them with the socket as
 *   `this`): one for `connect` (its argument is the socket) and `data` (a
 *   string), one for `error` (an object) and `close` (a boolean).
 * - `close()` ends the socket, takes our listeners, handlers and method off
 *   it (Espruino keeps the socket until it has closed it) and calls `onClose`
 *   at once; after that, and after the socket's own `close`, nothing more
 *   reaches the handlers.
 * - TLS connections pass a `ca`: the product's PEM `tlsCa` decoded to DER, or
 *   else the Storage file `CA_FILE` as it is; none only for `ca: false`.
 * - Socket errors of both chips map to the cloud client's reasons
 *   (`boards/mapping.ts`).
 */

import { NetPort, Socket, SocketHandlers } from '../lib/ports';
import { pemBody, socketReason } from './mapping';

/**
 * Storage file with the DER certificate the cloud's TLS certificate must chain
 * to when the product sets no `tlsCa` (the build writes ISRG Root X1 there).
 */
export const CA_FILE = 'edgent.ca';

/** Where to connect (the board's `NetPort.connect` target). */
type NetTarget = Parameters<NetPort['connect']>[0];

/** Espruino's socket as the core gets it: the core's handlers (none once closed) and `close` on it. */
interface Sock extends Socket {
  /** The core's handlers; null once the socket is closed. */
  h: SocketHandlers | null;
  end(): void;
  on(ev: string, fn: (...args: any[]) => void): void;
  removeAllListeners(): void;
}

/** The socket's `connect` listener (its argument is the socket) and `data` listener (a byte string). */
function sockIn(this: Sock, d: unknown): void {
  var h = this.h;
  if (!h) return;
  if (typeof d === 'string') h.onData(d);
  else h.onConnect();
}

/** The socket's `error` listener (an error object) and `close` listener (a boolean): `onClose` once. */
function sockDown(this: Sock, e: unknown): void {
  var h = this.h;
  if (!h) return;
  if (e && typeof e === 'object') return h.onError(socketReason(e));
  this.h = null;
  h.onClose();
}

/** The connection's `close()`: ends the socket and calls `onClose` now, once. */
function sockClose(this: Sock): void {
  var h = this.h;
  if (!h) return;
  this.end();
  // The socket lives on until Espruino has closed it: it keeps nothing of ours meanwhile (our
  // listeners, handlers and method would keep the cloud module and its client in RAM).
  this.removeAllListeners();
  delete (this as { close?: unknown }).close;
  this.h = null;
  h.onClose();
}

/** Opens a TCP or TLS connection for the cloud client (the board's `NetPort.connect`). */
export function connect(o: NetTarget, h: SocketHandlers): Socket {
  try {
    var options: { host: string; port: number; ca?: string } = { host: o.host, port: o.port };
    if (o.tls && o.ca !== false) {
      // Espruino's tls takes the CA as the DER bytes of one certificate (PEM text: "Invalid format").
      // The shipped root is DER in Storage: a memory-mapped string, never copied into RAM.
      options.ca = o.ca ? atob(pemBody(o.ca)) : require('Storage').read(CA_FILE);
      // No CA file: fail as a TLS error rather than connect unverified.
      if (!options.ca) throw new Error('tls: no CA file');
    }
    var sock: Sock = require(o.tls ? 'tls' : 'net').connect(options, sockIn);
    sock.h = h;
    sock.close = sockClose;
    sock.on('data', sockIn);
    sock.on('error', sockDown);
    sock.on('close', sockDown);
    return sock;
  } catch (e) {
    // No socket: a connection that fails at once (its methods do nothing).
    var nop = function () {};
    setTimeout(function () {
      h.onError(socketReason(e));
      h.onClose();
    }, 0);
    return { write: nop, close: nop };
  }
}
