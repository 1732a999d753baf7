/**
 * FakeUdp: an in-memory UdpPort. A test delivers datagrams to the bound
 * handler and reads what the code under test sent back.
 */

import { UdpPeer, UdpPort, UdpSocket } from '../../lib/ports';

/** A datagram sent by the code under test. */
export interface SentDatagram {
  data: string;
  port: number;
  address: string;
}

/** In-memory UdpPort with one socket at a time. */
export class FakeUdp implements UdpPort {
  /** Bound port, or null. */
  port: number | null = null;
  /** Number of `bind` calls. */
  binds = 0;
  /** Number of `close` calls. */
  closes = 0;
  /** Every datagram sent. */
  sent: SentDatagram[] = [];
  private handler: ((data: string, from: UdpPeer) => void) | null = null;

  bind(port: number, onMessage: (data: string, from: UdpPeer) => void): UdpSocket {
    if (this.handler) throw new Error('port in use');
    this.port = port;
    this.handler = onMessage;
    this.binds++;
    return {
      send: (data: string, p: number, address: string) => {
        this.sent.push({ data, port: p, address });
      },
      close: () => {
        this.closes++;
        this.handler = null;
        this.port = null;
      }
    };
  }

  /** True while a socket is bound. */
  get bound(): boolean {
    return this.handler !== null;
  }

  /** Delivers a datagram; returns what was sent in reply to it (if anything). */
  deliver(data: string, from: UdpPeer = { address: '192.168.4.2', port: 5353 }): SentDatagram | undefined {
    if (!this.handler) throw new Error('not bound');
    const before = this.sent.length;
    this.handler(data, from);
    if (this.sent.length > before + 1) throw new Error('more than one reply');
    return this.sent.length > before ? this.sent[before] : undefined;
  }
}
