import { strict as assert } from 'assert';
import { DNS_NAME, DNS_PORT, DNS_TTL_S, startDns, stopDns } from '../../lib/dns';
import { FakeUdp } from '../fakes/udp';

const b = (...xs: number[]) => String.fromCharCode(...xs);

function qname(name: string): string {
  let s = '';
  for (const l of name.split('.')) s += b(l.length) + l;
  return s + b(0);
}

interface Q {
  id?: number;
  flags?: [number, number];
  qd?: number;
  an?: number;
  ar?: number;
  name?: string;
  rawName?: string;
  qtype?: number;
  qclass?: number;
  tail?: string;
}

function query(q: Q = {}): string {
  const id = q.id ?? 0xbeef;
  const [f1, f2] = q.flags ?? [0x01, 0x00];
  const qd = q.qd ?? 1;
  return b(id >> 8, id & 255, f1, f2, qd >> 8, qd & 255, 0, q.an ?? 0, 0, 0, 0, q.ar ?? 0) +
    (q.rawName ?? qname(q.name ?? 'blynk.setup')) +
    b((q.qtype ?? 1) >> 8, (q.qtype ?? 1) & 255, (q.qclass ?? 1) >> 8, (q.qclass ?? 1) & 255) + (q.tail ?? '');
}

/** The responder on `udp` with these options, stopping the one that ran before (one at a time); not started yet. */
function responder(o: { udp: FakeUdp; apIp: string; name?: string; captive?: boolean; port?: number }) {
  stopDns();
  const opts = { hw: { udp: o.udp }, apIp: o.apIp, name: o.name, captive: o.captive, port: o.port };
  return { start: () => startDns(opts), stop: stopDns };
}

function bytes(s: string): number[] {
  return Array.from(s, (c) => c.charCodeAt(0));
}

describe('config-mode DNS', () => {
  let udp: FakeUdp;
  let dns: ReturnType<typeof responder>;
  beforeEach(() => {
    udp = new FakeUdp();
    dns = responder({ udp, apIp: '192.168.4.1' });
    dns.start();
  });
  afterEach(() => dns.stop());

  it('binds port 53; start/stop are idempotent', () => {
    assert.equal(DNS_PORT, 53);
    assert.equal(udp.port, 53);
    dns.start();
    assert.equal(udp.binds, 1);
    dns.stop();
    dns.stop();
    assert.equal(udp.closes, 1);
    assert.equal(udp.bound, false);
    dns.start();
    assert.equal(udp.binds, 2);
  });

  it('answers blynk.setup A/IN with the AP IP, TTL 300, name pointer — every byte', () => {
    const q = query({ id: 0x1234 });
    const r = udp.deliver(q, { address: '192.168.4.2', port: 40000 });
    assert.ok(r);
    assert.equal(r.port, 40000);
    assert.equal(r.address, '192.168.4.2');
    assert.equal(DNS_TTL_S, 300);
    assert.deepEqual(bytes(r.data), [
      0x12, 0x34, // id
      0x85, 0x80, // QR, opcode 0, AA, RD copied | RA, rcode 0
      0, 1, 0, 1, 0, 0, 0, 0, // QD 1, AN 1, NS 0, AR 0
      5, 98, 108, 121, 110, 107, 5, 115, 101, 116, 117, 112, 0, // blynk.setup
      0, 1, 0, 1, // A IN
      0xc0, 0x0c, // pointer to the question name
      0, 1, 0, 1, // A IN
      0, 0, 1, 44, // TTL 300
      0, 4, 192, 168, 4, 1
    ]);
  });

  it('copies RD as received (clear here)', () => {
    const r = udp.deliver(query({ flags: [0x00, 0x00] }));
    assert.equal(r!.data.charCodeAt(2), 0x84);
  });

  it('matches case-insensitively and echoes the question as received', () => {
    const q = query({ name: 'BlYnK.SETUP' });
    const r = udp.deliver(q)!;
    assert.equal(r.data.charCodeAt(3) & 15, 0);
    assert.equal(r.data.substring(12, q.length), q.substring(12));
    assert.equal(r.data.slice(-4), b(192, 168, 4, 1));
  });

  it('uses the configured AP IP, name and port', () => {
    const u2 = new FakeUdp();
    const d2 = responder({ udp: u2, apIp: '10.1.2.3', name: 'Setup.Local.', port: 5353 });
    d2.start();
    assert.equal(u2.port, 5353);
    assert.equal(u2.deliver(query({ name: 'setup.local' }))!.data.slice(-4), b(10, 1, 2, 3));
    assert.equal(u2.deliver(query())!.data.charCodeAt(3), 0x82);
    d2.stop();
  });

  it('rejects a bad AP IP at start, binding nothing', () => {
    for (const ip of ['192.168.4', '192.168.4.256', 'a.b.c.d', '', '1.2.3.4.5']) {
      const u = new FakeUdp();
      assert.throws(() => responder({ udp: u, apIp: ip }).start(), TypeError, ip);
      assert.equal(u.binds, 0, 'nothing bound');
    }
  });

  for (const name of ['example.com', 'blynk.setup.com', 'setup', 'blynk', 'xblynk.setup', 'connectivitycheck.gstatic.com']) {
    it('answers ' + name + ' with SERVFAIL and the question echoed', () => {
      const q = query({ name, id: 0x0a0b });
      const r = udp.deliver(q)!;
      assert.deepEqual(bytes(r.data), [0x0a, 0x0b, 0x85, 0x82, 0, 1, 0, 0, 0, 0, 0, 0, ...bytes(q.substring(12))]);
    });
  }

  it('does not match a single label that contains a dot', () => {
    const r = udp.deliver(query({ rawName: b(11) + 'blynk.setup' + b(0) }))!;
    assert.equal(r.data.charCodeAt(3), 0x82);
  });

  it('answers AAAA (and other types/classes) for the name with NOERROR and no answer', () => {
    for (const [qtype, qclass] of [[28, 1], [15, 1], [255, 1], [16, 1], [1, 3]]) {
      const q = query({ qtype, qclass });
      const r = udp.deliver(q)!;
      assert.deepEqual(bytes(r.data), [0xbe, 0xef, 0x85, 0x80, 0, 1, 0, 0, 0, 0, 0, 0, ...bytes(q.substring(12))], qtype + '/' + qclass);
    }
  });

  it('ignores EDNS additional records: answers without echoing them', () => {
    const opt = b(0, 0, 41, 0x10, 0, 0, 0, 0, 0, 0, 0);
    const q = query({ ar: 1, tail: opt });
    const r = udp.deliver(q)!;
    assert.equal(r.data.charCodeAt(11), 0);
    assert.equal(r.data.length, q.length - opt.length + 16);
    assert.equal(r.data.slice(-4), b(192, 168, 4, 1));
  });

  describe('captive mode', () => {
    let u2: FakeUdp;
    let d2: ReturnType<typeof responder>;
    beforeEach(() => {
      u2 = new FakeUdp();
      d2 = responder({ udp: u2, apIp: '192.168.4.1', captive: true });
      d2.start();
    });
    afterEach(() => d2.stop());

    for (const name of ['connectivitycheck.gstatic.com', 'captive.apple.com', 'www.msftconnecttest.com', 'example.com', DNS_NAME, 'a']) {
      it('answers every A query: ' + name, () => {
        const q = query({ name });
        const r = u2.deliver(q)!;
        assert.deepEqual(bytes(r.data), [
          0xbe, 0xef, 0x85, 0x80, 0, 1, 0, 1, 0, 0, 0, 0, ...bytes(q.substring(12)),
          0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 1, 44, 0, 4, 192, 168, 4, 1
        ]);
      });
    }

    it('answers AAAA for any name with NOERROR and no answer', () => {
      const r = u2.deliver(query({ name: 'example.com', qtype: 28 }))!;
      assert.equal(r.data.charCodeAt(3), 0x80);
      assert.equal(r.data.charCodeAt(7), 0);
    });

    it('still drops malformed packets', () => {
      assert.equal(u2.deliver(query({ flags: [0x81, 0x80] })), undefined);
    });
  });

  const long63 = 'a'.repeat(63);
  const malformed: Array<[string, string]> = [
    ['empty', ''],
    ['11 bytes', query().substring(0, 11)],
    ['header only', query().substring(0, 12)],
    ['a response (QR set)', query({ flags: [0x81, 0x80] })],
    ['opcode IQUERY', query({ flags: [0x09, 0x00] })],
    ['opcode STATUS', query({ flags: [0x11, 0x00] })],
    ['opcode NOTIFY', query({ flags: [0x21, 0x00] })],
    ['opcode UPDATE', query({ flags: [0x29, 0x00] })],
    ['QDCOUNT 0', query({ qd: 0 })],
    ['QDCOUNT 2', query({ qd: 2 })],
    ['QDCOUNT 256', query({ qd: 256 })],
    ['label running past the end', query().substring(0, 12) + b(40) + 'blynk'],
    ['label length 64 (reserved type 01)', query({ rawName: b(64) + 'a'.repeat(64) + b(0) })],
    ['label type 10', query({ rawName: b(0x80) + b(0) })],
    ['compression pointer in the question', query({ rawName: b(0xc0, 0x0c) })],
    ['pointer after a label', query({ rawName: b(5) + 'blynk' + b(0xc0, 0x0c) })],
    ['no terminating zero', query().substring(0, 12) + b(5) + 'blynk' + b(5) + 'setup'],
    ['missing QTYPE/QCLASS', query().slice(0, -4)],
    ['QCLASS cut by 1 byte', query().slice(0, -1)],
    ['QCLASS cut by 3 bytes', query().slice(0, -3)],
    ['name over 255 bytes', query({ rawName: (b(63) + long63).repeat(4) + b(3) + 'abc' + b(0) })]
  ];
  for (const [name, pkt] of malformed) {
    it('drops ' + name + ' without a reply or a throw', () => {
      assert.doesNotThrow(() => assert.equal(udp.deliver(pkt), undefined));
    });
  }

  it('accepts a name of exactly 255 bytes', () => {
    const raw = (b(63) + long63).repeat(3) + b(61) + 'a'.repeat(61) + b(0);
    assert.equal(raw.length, 255);
    assert.equal(udp.deliver(query({ rawName: raw }))!.data.charCodeAt(3), 0x82);
  });

  it('survives 20,000 random and mutated packets; replies only to well-formed queries', () => {
    let seed = 12345;
    const rnd = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    const base = [query(), query({ name: 'example.com' }), query({ qtype: 28 })];
    let replies = 0;
    for (let i = 0; i < 20000; i++) {
      let p: string;
      if (i % 3 === 0) {
        p = '';
        const n = rnd(60);
        for (let k = 0; k < n; k++) p += b(rnd(256));
      } else {
        const a = bytes(base[rnd(3)]);
        const flips = 1 + rnd(4);
        for (let k = 0; k < flips; k++) a[rnd(a.length)] = rnd(256);
        p = b(...a.slice(0, rnd(3) === 0 ? rnd(a.length + 1) : a.length));
      }
      const r = udp.deliver(p);
      if (r) {
        replies++;
        assert.equal(r.data.substring(0, 2), p.substring(0, 2), 'id echoed');
        assert.equal(r.data.charCodeAt(2) & 0xf8, 0x80, 'a response to a standard query');
        assert.equal(p.charCodeAt(2) & 0xf8, 0, 'only queries are answered');
        assert.equal(p.charCodeAt(4) * 256 + p.charCodeAt(5), 1);
        assert.equal(r.data.substring(4, 6), b(0, 1));
      }
    }
    assert.ok(replies > 1000, 'mutations that stay valid are answered: ' + replies);
  });

  it('does not reply once stopped', () => {
    dns.stop();
    assert.equal(udp.bound, false);
    assert.throws(() => udp.deliver(query()), /not bound/);
    assert.equal(udp.sent.length, 0);
  });
});
