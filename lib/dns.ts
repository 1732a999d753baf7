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
 */

import { UdpPeer, UdpPort, UdpSocket } from './ports';

/** Name answered outside captive mode. */
export const DNS_NAME = 'blynk.setup';
/** TTL of the answer, seconds. */
export const DNS_TTL_S = 300;
/** DNS server port. */
export const DNS_PORT = 53;

/** Options of `createDns`. */
export interface DnsOptions {
  /** UDP capability. */
  udp: UdpPort;
  /** Access point IPv4 address returned in answers, e.g. `192.168.4.1`. */
  apIp: string;
  /** Name to answer. @default DNS_NAME */
  name?: string;
  /** Answer every A query with `apIp`. @default false */
  captive?: boolean;
  /** Port to bind. @default DNS_PORT */
  port?: number;
}

/** A DNS responder. */
export interface Dns {
  /** Binds the port (idempotent). */
  start(): void;
  /** Closes the socket (idempotent). */
  stop(): void;
}

function u16(n: number): string {
  return String.fromCharCode((n >> 8) & 255, n & 255);
}

/**
 * Creates the DNS responder.
 *
 * @param opts port, addresses and mode
 * @throws TypeError if `apIp` is not a dotted-quad IPv4 address
 */
export function createDns(opts: DnsOptions): Dns {
  const ipParts = opts.apIp.split('.');
  let ip = '';
  for (let i = 0; i < ipParts.length; i++) {
    const b = parseInt(ipParts[i], 10);
    if (!(b >= 0 && b <= 255)) break;
    ip += String.fromCharCode(b);
  }
  if (ipParts.length !== 4 || ip.length !== 4) throw new TypeError('bad apIp');
  const want = (opts.name || DNS_NAME).toLowerCase().split('.');
  if (want[want.length - 1] === '') want.pop();
  let sock: UdpSocket | null = null;

  /** The reply to a query, or null to drop it. */
  function reply(q: string): string | null {
    if (q.length < 12) return null;
    const f1 = q.charCodeAt(2);
    // Byte 2: QR(1) OPCODE(4) AA TC RD. A query has QR=0 and OPCODE=0.
    if ((f1 & 0xf8) !== 0) return null;
    if (q.charCodeAt(4) !== 0 || q.charCodeAt(5) !== 1) return null;
    let p = 12;
    let labels = 0;
    let match = true;
    for (;;) {
      if (p >= q.length) return null;
      const len = q.charCodeAt(p);
      if (len === 0) break;
      // 0xC0 = compression pointer, 0x40/0x80 = reserved label types.
      if (len > 63 || p + 1 + len > q.length || p + 1 + len > 12 + 254) return null;
      if (labels >= want.length || q.substring(p + 1, p + 1 + len).toLowerCase() !== want[labels]) match = false;
      labels++;
      p += 1 + len;
    }
    p++;
    if (p + 4 > q.length) return null;
    if (labels !== want.length) match = false;
    const qtype = q.charCodeAt(p) * 256 + q.charCodeAt(p + 1);
    const qclass = q.charCodeAt(p + 2) * 256 + q.charCodeAt(p + 3);
    p += 4;
    const served = match || !!opts.captive;
    const answer = served && qtype === 1 && qclass === 1;
    // QR AA RD(copied) | RA, rcode 0 (no error) or 2 (SERVFAIL).
    let out = q.substring(0, 2) + String.fromCharCode(0x84 | (f1 & 1), served ? 0x80 : 0x82) +
      u16(1) + u16(answer ? 1 : 0) + u16(0) + u16(0) + q.substring(12, p);
    // Name as a compression pointer (0xC000 | offset 12) to the question.
    if (answer) out += u16(0xc00c) + u16(1) + u16(1) + u16(0) + u16(DNS_TTL_S) + u16(4) + ip;
    return out;
  }

  function onMessage(data: string, from: UdpPeer) {
    try {
      const r = reply(data);
      if (r !== null && sock !== null) sock.send(r, from.port, from.address);
    } catch (e) {
      // Never throw into the UDP callback.
    }
  }

  return {
    start: function () {
      if (sock === null) sock = opts.udp.bind(opts.port || DNS_PORT, onMessage);
    },
    stop: function () {
      const s = sock;
      sock = null;
      if (s !== null) s.close();
    }
  };
}
