/**
 * A NetPort for host tests. Every `connect` creates a FakeSocket that the test
 * drives: `accept()` (connection up), `refuse(reason)` (error + close before
 * connecting), `receive(bytes)` in any split, `fail(reason)` (error + close),
 * `peerClose()`. Written bytes are collected per socket. Callbacks only fire
 * from these test actions, never inside `connect` (as on the board).
 */

import { NetPort, Socket, SocketHandlers } from '../../lib/ports';

/** One connection opened by the code under test. */
export class FakeSocket implements Socket {
  /** Byte strings passed to `write`, in order. */
  readonly writes: string[] = [];
  /** True once either side closed the socket. */
  closed = false;
  /** True once `accept()` ran. */
  connected = false;
  /** Number of `close()` calls made by the code under test. */
  closeCalls = 0;

  constructor(
    readonly host: string,
    readonly port: number,
    readonly tls: boolean,
    readonly handlers: SocketHandlers,
    readonly ca?: string | false
  ) {}

  /** Socket.write: records the bytes. Writes after close are recorded in `lateWrites`. */
  write(data: string): void {
    if (this.closed) this.lateWrites.push(data);
    else this.writes.push(data);
  }

  /** Writes made after the socket was closed (should stay empty). */
  readonly lateWrites: string[] = [];

  /** Socket.close: marks closed and calls `onClose` (synchronously, the harshest order). */
  close(): void {
    this.closeCalls++;
    if (this.closed) return;
    this.closed = true;
    this.handlers.onClose();
  }

  /** The connection comes up. */
  accept(): void {
    this.connected = true;
    this.handlers.onConnect();
  }

  /** The connection fails before connecting: `onError(reason)` then `onClose`. */
  refuse(reason = 'refused'): void {
    this.handlers.onError(reason);
    this.closed = true;
    this.handlers.onClose();
  }

  /** The connection breaks: `onError(reason)` then `onClose`. */
  fail(reason: string): void {
    this.refuse(reason);
  }

  /** The peer closes the connection. */
  peerClose(): void {
    this.closed = true;
    this.handlers.onClose();
  }

  /** Delivers received bytes (a Buffer, or a byte string). */
  receive(data: Buffer | string): void {
    this.handlers.onData(typeof data === 'string' ? data : data.toString('latin1'));
  }

  /** Everything written so far, as one Buffer. */
  written(): Buffer {
    return Buffer.from(this.writes.join(''), 'latin1');
  }

  /** Forgets what was written so far. */
  clearWritten(): void {
    this.writes.length = 0;
  }
}

/** The fake TCP/TLS capability. */
export class FakeNet implements NetPort {
  /** Sockets in the order `connect` created them. */
  readonly sockets: FakeSocket[] = [];

  constructor(public tls = true) {}

  /** NetPort.connect: records a new FakeSocket and returns it. */
  connect(opts: { host: string; port: number; tls: boolean; ca?: string | false }, handlers: SocketHandlers): Socket {
    const s = new FakeSocket(opts.host, opts.port, opts.tls, handlers, opts.ca);
    this.sockets.push(s);
    return s;
  }

  /** The most recent socket (throws if none). */
  get last(): FakeSocket {
    const s = this.sockets[this.sockets.length - 1];
    if (!s) throw new Error('FakeNet: no socket opened');
    return s;
  }
}
