/**
 * A NetPort for host tests. Every `connect` creates a FakeSocket that the test
 * drives: `accept()` (connection up), `refuse(reason)` (error + close before
 * connecting), `receive(bytes)` in any split, `fail(reason)` (error + close),
 * `peerClose()`. Each reaches the client's event function with what
 * Espruino's socket gives: the socket, a byte string, `{code, message}`, a
 * boolean. They reach it even after the client took its listener off (the
 * harshest board), so a test can check that late events are ignored. Written
 * bytes are collected per socket. Events only come from these test actions,
 * never inside `connect` (as on the board).
 */

import { NetPort, Socket } from '../../lib/ports';

/** One connection opened by the code under test. */
export class FakeSocket implements Socket {
  /** Byte strings passed to `write`, in order. */
  readonly writes: string[] = [];
  /** True once either side closed the socket. */
  closed = false;
  /** True once `accept()` ran. */
  connected = false;
  /** Number of `end()` calls made by the code under test. */
  closeCalls = 0;
  /** True once the code under test took its listener off. */
  unhooked = false;

  constructor(
    readonly host: string,
    readonly port: number,
    readonly tls: boolean,
    /** The client's event function (its listener for every socket event). */
    readonly fn: (ev: unknown) => void,
    readonly ca?: string | false
  ) {}

  /** Socket.write: records the bytes. Writes after close are recorded in `lateWrites`. */
  write(data: string): void {
    if (this.closed) this.lateWrites.push(data);
    else this.writes.push(data);
  }

  /** Writes made after the socket was closed (should stay empty). */
  readonly lateWrites: string[] = [];

  /** Socket.removeAllListeners: the client is done with the socket. */
  removeAllListeners(): void {
    this.unhooked = true;
  }

  /** Socket.end: marks closed (no event: the client has taken its listener off first). */
  end(): void {
    this.closeCalls++;
    this.closed = true;
  }

  /** The connection comes up. */
  accept(): void {
    this.connected = true;
    this.fn(this);
  }

  /** The connection fails before connecting: an error with `reason` as its message, then close. */
  refuse(reason = 'refused'): void {
    this.fn({ code: -1, message: reason });
    this.closed = true;
    this.fn(true);
  }

  /** The connection breaks: an error with `reason` as its message, then close. */
  fail(reason: string): void {
    this.refuse(reason);
  }

  /** The peer closes the connection. */
  peerClose(): void {
    this.closed = true;
    this.fn(false);
  }

  /** Delivers received bytes (a Buffer, or a byte string). */
  receive(data: Buffer | string): void {
    this.fn(typeof data === 'string' ? data : data.toString('latin1'));
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
  connect(opts: { host: string; port: number; tls: boolean; ca?: string | false }, fn: (ev: unknown) => void): Socket {
    const s = new FakeSocket(opts.host, opts.port, opts.tls, fn, opts.ca);
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
