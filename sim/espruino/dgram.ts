/**
 * `require('dgram')`: UDP sockets. A device socket bound to port 53 is
 * reachable from the host at 127.0.0.1:`dnsPort` (bound once per board);
 * other ports get an ephemeral host port.
 *
 * - `createSocket('udp4' | {type})` (its callback argument is not emulated:
 *   listen with `on('message')`); `bind(port, cb?)` (cb queued, no
 *   argument) returns the socket; `on('message', (msg, rinfo) => …)` with `msg`
 *   a byte string and `rinfo` `{address, port, size}` (the real sender on the
 *   host, so replies reach it); `close()` emits 'close';
 * - `send(msg, offset, length, port, address)` or `send(msg, port, address)`
 *   (Espruino's two forms), `msg` a byte string sent as latin1 bytes;
 * - datagrams arrive only while the device's soft AP is up or its station has
 *   an IP; others are dropped like packets on an absent network.
 */
import dgram from 'dgram';
import type { Boot } from './boot';

interface Receiver {
  boot: Boot;
  socket: Record<string, any>;
}

/** Board-level UDP plumbing. */
export class UdpHost {
  private readonly _dns: dgram.Socket;
  private _dnsReceiver: Receiver | null = null;
  private readonly _extra = new Set<dgram.Socket>();
  private readonly _ready: Promise<void>;

  /**
   * @param dnsPort host port standing for device port 53 (0 = ephemeral)
   * @param _reachable true while the device is on a network
   */
  constructor(
    dnsPort: number,
    private readonly _reachable: () => boolean,
  ) {
    this._dns = dgram.createSocket('udp4');
    this._dns.on('message', (msg, rinfo) => this._deliver(this._dnsReceiver, msg, rinfo));
    this._ready = new Promise((resolve, reject) => {
      this._dns.once('error', reject);
      this._dns.bind(dnsPort, '127.0.0.1', () => resolve());
    });
  }

  /** Resolves once the DNS host socket is bound. */
  ready(): Promise<void> {
    return this._ready;
  }

  /** Host port standing for device UDP port 53. */
  get dnsPort(): number {
    try {
      return this._dns.address().port;
    } catch {
      return 0;
    }
  }

  /** The device `require('dgram')` module of one boot. */
  module(boot: Boot): unknown {
    const { realm } = boot;
    boot.onEnd(() => {
      this._dnsReceiver = null;
      for (const s of this._extra) s.close();
      this._extra.clear();
    });
    return realm.obj({
      createSocket: () => {
        let host: dgram.Socket | null = null;
        let closed = false;
        const ownSocket = (port: number): dgram.Socket => {
          const s = dgram.createSocket('udp4');
          s.on('error', () => undefined);
          s.on('message', (msg, rinfo) => this._deliver({ boot, socket }, msg, rinfo));
          s.bind(port, '127.0.0.1');
          this._extra.add(s);
          return s;
        };
        const socket: Record<string, any> = realm.obj({
          bind: (port: unknown, bound: unknown) => {
            if (Number(port) === 53) {
              this._dnsReceiver = { boot, socket };
              host = this._dns;
            } else {
              host = ownSocket(0);
            }
            if (realm.isFunction(bound)) boot.defer(() => realm.invoke(bound, socket, []));
            return socket;
          },
          send: (msg: unknown, a: unknown, b: unknown, c: unknown, d: unknown) => {
            if (closed) return;
            const twoArgForm = typeof c === 'number' || (typeof c === 'string' && /^\d+$/.test(c));
            const text = String(msg);
            const data = twoArgForm ? text.substr(Number(a) || 0, Number(b) || 0) : text;
            const port = Number(twoArgForm ? c : a);
            const address = String(twoArgForm ? d : b);
            if (!host) host = ownSocket(0);
            host.send(Buffer.from(data, 'latin1'), port, address);
          },
          close: () => {
            if (closed) return;
            closed = true;
            if (this._dnsReceiver && this._dnsReceiver.socket === socket) this._dnsReceiver = null;
            else if (host && host !== this._dns) {
              this._extra.delete(host);
              host.close();
            }
            boot.defer(() => realm.emit(socket, 'close', []));
          },
        });
        return socket;
      },
    });
  }

  /** Closes every host socket. */
  close(): Promise<void> {
    for (const s of this._extra) s.close();
    this._extra.clear();
    return new Promise((resolve) => {
      try {
        this._dns.close(() => resolve());
      } catch {
        resolve(); // never bound (bind still pending or failed)
      }
    });
  }

  private _deliver(target: Receiver | null, msg: Buffer, rinfo: dgram.RemoteInfo): void {
    if (!target || !target.boot.alive() || !this._reachable()) return;
    const { boot, socket } = target;
    const text = msg.toString('latin1');
    boot.defer(() =>
      boot.realm.emit(socket, 'message', [text, boot.realm.obj({ address: rinfo.address, port: rinfo.port, size: msg.length })]),
    );
  }
}
