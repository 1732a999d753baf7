/**
 * A tiny DNS responder for config mode (contract §2, field lesson 6).
 *
 * - Answers an A/IN query for `name` (default `blynk.setup`, case-insensitive)
 *   with the access point's IP, TTL 300, the answer's name being a pointer to
 *   the question (0xC00C).
 * - In captive mode every A/IN query gets that answer, so phones find the
 *   portal and their connectivity probes reach it.
 * - A query for a served name with another type or class (AAAA, MX, ANY, …)
 *   gets NOERROR with no answer ("no data"): the name exists, only as IPv4, so
 *   clients fall back to the A record at once.
 * - Any other name: SERVFAIL (rcode 2) with the question echoed.
 * - Replies echo the id, the RD bit and the question bytes as received (0x20
 *   case randomisation survives); flags QR, AA and RA are set; additional
 *   records of the query (EDNS) are ignored and not echoed.
 * - Dropped without a reply (never a throw): packets shorter than a header,
 *   responses (QR set), opcodes other than QUERY, QDCOUNT other than 1, labels
 *   running past the packet, names over 255 bytes, compression pointers or
 *   reserved label types in the question, a missing QTYPE/QCLASS.
 * - The responder's state (the socket and the answer's fixed bytes) is one
 *   plain object its owner keeps (`DnsState`): on the board the config mode
 *   loads this module for each datagram (the socket's listener is the
 *   device's resident relay, which calls `dnsMessage`), so none of its
 *   functions is in RAM between datagrams.
 */

import { UdpPeer, UdpPort, UdpSocket } from './ports';

/** Name answered outside captive mode. */
export const DNS_NAME = 'blynk.setup';
/** TTL of the answer, seconds. */
export const DNS_TTL_S = 300;
/** DNS server port. */
export const DNS_PORT = 53;

/** Options of `startDns`: the config-mode options object of the core fits as it is. */
export interface DnsOptions {
  /** The UDP port of the board. */
  hw: { udp: UdpPort };
  /** Access point IPv4 address returned in answers, e.g. `192.168.4.1`. */
  apIp: string;
  /** Answer every A query with `apIp`. @default false */
  captive?: boolean;
  /** Name to answer. @default DNS_NAME */
  name?: string;
  /** Port to bind. @default DNS_PORT */
  port?: number;
}

/** A responder's state, kept by its owner (on the board the module is loaded per datagram: `dnsMessage`). */
export interface DnsState {
  sock?: UdpSocket;
  /** What answers need, fixed at start: the 4 bytes of `apIp`, then the served name in wire form, or nothing more in captive mode. */
  serve: string;
}

/** The state of this module's own responder, for a caller that passes none. */
const OWN: DnsState = { serve: '' };

/** Responder `d` answers one datagram; drops it (never a throw) when it is not a well-formed query. */
export function dnsMessage(d: DnsState, q: string, from: UdpPeer): void {
  const serve = d.serve;
  try {
    if (q.length < 12) return;
    const f1 = q.charCodeAt(2);
    // Byte 2: QR(1) OPCODE(4) AA TC RD. A query has QR=0 and OPCODE=0.
    if ((f1 & 0xf8) !== 0) return;
    if (q.charCodeAt(4) !== 0 || q.charCodeAt(5) !== 1) return;
    let p = 12;
    for (;;) {
      if (p >= q.length) return;
      const len = q.charCodeAt(p);
      if (len === 0) break;
      // 0xC0 = compression pointer, 0x40/0x80 = reserved label types.
      if (len > 63 || p + 1 + len > q.length || p + 1 + len > 12 + 254) return;
      p += 1 + len;
    }
    const served = serve.length === 4 || q.substring(12, p).toLowerCase() === serve.substring(4);
    p++;
    if (p + 4 > q.length) return;
    // QTYPE A (1) and QCLASS IN (1).
    const answer = served && q.charCodeAt(p) === 0 && q.charCodeAt(p + 1) === 1 && q.charCodeAt(p + 2) === 0 && q.charCodeAt(p + 3) === 1;
    p += 4;
    // QR AA RD(copied) | RA, rcode 0 (no error) or 2 (SERVFAIL); QD 1, AN 0 or 1, NS 0, AR 0.
    let out = q.substring(0, 2) + String.fromCharCode(0x84 | (f1 & 1), served ? 0x80 : 0x82, 0, 1, 0, answer ? 1 : 0, 0, 0, 0, 0) +
      q.substring(12, p);
    // Name as a compression pointer (0xC000 | offset 12) to the question; A, IN, TTL, 4 bytes of address.
    if (answer) out += String.fromCharCode(0xc0, 0x0c, 0, 1, 0, 1, 0, 0, DNS_TTL_S >> 8, DNS_TTL_S & 255, 0, 4) + serve.substring(0, 4);
    if (d.sock) d.sock.send(out, from.port, from.address);
  } catch (e) {
    // Never throw into the UDP callback.
  }
}

/**
 * Starts the responder: binds the port (a second call while it runs does
 * nothing). It reads `o` here only and keeps its state in `d` (without: a
 * state of this module's own). Datagrams go to `handler` (without:
 * `dnsMessage` on `d`).
 *
 * @param o UDP port, addresses and mode
 * @throws TypeError if `apIp` is not a dotted-quad IPv4 address (nothing is bound then)
 */
export function startDns(o: DnsOptions, d?: DnsState, handler?: (q: string, from: UdpPeer) => void): void {
  const st = d || OWN;
  if (st.sock) return;
  let s = '';
  let n = 0;
  for (let at = 0, dot = 0; dot >= 0; at = dot + 1) {
    dot = o.apIp.indexOf('.', at);
    const b = parseInt(o.apIp.substring(at, dot < 0 ? o.apIp.length : dot), 10);
    if (!(b >= 0 && b <= 255) || ++n > 4) throw new TypeError('bad apIp');
    s += String.fromCharCode(b);
  }
  if (n !== 4) throw new TypeError('bad apIp');
  if (!o.captive) {
    // The name in wire form: length-prefixed labels, no root label, lower case.
    const text = (o.name || DNS_NAME).toLowerCase();
    for (let at = 0; at < text.length; ) {
      let dot = text.indexOf('.', at);
      if (dot < 0) dot = text.length;
      s += String.fromCharCode(dot - at) + text.substring(at, dot);
      at = dot + 1;
    }
  }
  st.serve = s;
  st.sock = o.hw.udp.bind(o.port || DNS_PORT, handler || function (q: string, from: UdpPeer) {
    dnsMessage(st, q, from);
  });
}

/** Stops responder `d` (without: this module's own) and closes its socket (idempotent). */
export function stopDns(d?: DnsState): void {
  const st = d || OWN;
  const s = st.sock;
  st.sock = undefined;
  if (s) s.close();
}
