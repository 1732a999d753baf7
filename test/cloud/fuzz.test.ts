/**
 * Fuzzes the cloud client with random and mutated frames over the FakeNet.
 * A seeded PRNG makes every run identical; a failure message names the seed
 * and round. An independent byte-stream oracle (written from the contract)
 * predicts what the client must do with each round's stream: vw deliveries,
 * commands, the exact replies, and whether the link must drop (msg id 0 →
 * `protocol`, body over buff-in → `oversize`) or follow a REDIRECT.
 */
import { strict as assert } from 'assert';
import sinon from 'sinon';
import { createCloud } from '../../lib/cloud';
import { CloudEvent } from '../../lib/types';
import { FakeNet } from '../fakes/net';
import { timerClock } from '../fakes/clock';
import { decodeFrames, encode, encodeResponse, WireFrame } from './wire';

const TOKEN = 'fuzzFUZZfuzz0123456789-_abcdefgh';
const BUFF_IN = 256;
const SEED = 0x5eed1234;
const MIN_FRAMES = 12000;

/** mulberry32: small, fast, seedable. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Expected {
  vws: Array<[number, string[]]>;
  commands: string[];
  replies: string[]; // hex of each RESPONSE the device must write
  end: 'none' | 'protocol' | 'oversize' | 'redirect';
  redirect?: { host: string; port: number };
}

/** The contract applied to a received byte stream while online (TLS link). */
function oracle(stream: Buffer): Expected {
  const e: Expected = { vws: [], commands: [], replies: [], end: 'none' };
  const reply = (id: number, status: number) => e.replies.push(encodeResponse(id, status).toString('hex'));
  let pos = 0;
  while (stream.length - pos >= 5) {
    const type = stream[pos];
    const id = stream.readUInt16BE(pos + 1);
    const len = stream.readUInt16BE(pos + 3);
    if (id === 0) return { ...e, end: 'protocol' };
    if (type === 0) {
      pos += 5; // status only; nothing to do once logged in
      continue;
    }
    if (len > BUFF_IN) return { ...e, end: 'oversize' };
    if (stream.length - pos < 5 + len) break;
    const body = stream.subarray(pos + 5, pos + 5 + len).toString('latin1');
    pos += 5 + len;
    const f = body.split('\0');
    if (type === 6) reply(id, 200);
    else if (type === 41) {
      if (f[0] !== '') {
        const p = parseInt(f[1], 10);
        return { ...e, end: 'redirect', redirect: { host: f[0], port: p > 0 && p <= 65535 ? p : 443 } };
      }
    } else if (type === 20) {
      if (f[0] !== 'vw') reply(id, 2);
      else {
        const pin = parseInt(f[1], 10);
        if (pin >= 0) e.vws.push([pin, f.slice(2)]);
        else reply(id, 11);
      }
    } else if (type === 17) {
      if (f[0] === 'dbg') {
        if (['reboot', 'config start', 'config erase'].includes(f[1])) e.commands.push(f[1]);
        else reply(id, 2);
      } else if (f[0] === 'ota') {
        if (f[1]) e.commands.push('ota ' + f[1]);
        else reply(id, 2);
      }
    } else reply(id, 2);
  }
  return e;
}

describe('cloud client fuzz', function () {
  this.timeout(60000);

  it(`survives ≥ ${MIN_FRAMES} random and mutated frames and drops exactly when the contract says`, () => {
    const clock = sinon.useFakeTimers();
    const rnd = prng(SEED);
    const int = (n: number) => Math.floor(rnd() * n);
    const pick = <T>(xs: T[]): T => xs[int(xs.length)];
    const randBytes = (n: number, noNul = false) => {
      const b = Buffer.alloc(n);
      for (let i = 0; i < n; i++) b[i] = noNul ? 1 + int(255) : int(256);
      return b;
    };
    const randText = () => pick(['', '0', '1', '-1', '3.14', 'on', 'h\u00e9llo \u2713', randBytes(int(12), true).toString('latin1')]);
    const id = () => 1 + int(65535);

    function randomFrame(): Buffer {
      const r = rnd();
      if (r < 0.12) return encodeResponse(id(), pick([200, 4, 9, 2, int(65536)]));
      if (r < 0.22) return encode(6, id());
      if (r < 0.45) {
        const sub = pick(['vw', 'vw', 'vw', 'dw', 'aw', 'vr', 'pm', '']);
        const pin = pick([String(int(256)), String(int(256)), 'x', '', '-3', 'V1']);
        const vals: string[] = [];
        for (let i = int(4); i > 0; i--) vals.push(randText());
        return encode(20, id(), Buffer.from([sub, pin, ...vals].join('\0'), 'latin1'));
      }
      if (r < 0.65) {
        const f = pick([
          ['dbg', 'reboot'], ['dbg', 'config start'], ['dbg', 'config erase'], ['dbg', 'help'], ['dbg'],
          ['ota', 'http://x/fw.bin'], ['rtc', '1700000000'], ['utc', '0', '3600'], ['meta', 'k', 'v'], [randText()]
        ]);
        return encode(17, id(), Buffer.from(f.join('\0'), 'latin1'));
      }
      if (r < 0.67) return encode(41, id(), Buffer.from(pick(['', 'fra1.blynk.cloud', 'h\u00000', 'h\u00008443', 'h\u000099999']), 'latin1'));
      if (r < 0.70) return encode(20, id(), randBytes(BUFF_IN + 1 + int(100))); // oversize
      const t = pick([15, 16, 19, 21, 29, 55, 64, 65, int(256)]);
      return encode(t === 0 ? 1 : t, id(), randBytes(int(BUFF_IN + 1)));
    }

    function mutate(b: Buffer): Buffer {
      const m = Buffer.from(b);
      const r = rnd();
      if (r < 0.35) m[int(m.length)] ^= 1 << int(8); // bit flip anywhere
      else if (r < 0.5) m[int(Math.min(5, m.length))] = int(256); // random header byte
      else if (r < 0.58) m.writeUInt16BE(0, 1); // msg id 0
      else if (r < 0.7) m.writeUInt16BE(BUFF_IN + 1 + int(60000), 3); // length over buff-in
      else if (r < 0.85) return Buffer.concat([m, randBytes(1 + int(8))]); // junk after
      else return m.subarray(0, int(m.length)); // truncated
      return m;
    }

    const net = new FakeNet();
    const events: CloudEvent[] = [];
    const got: Array<[number, string[]]> = [];
    const cloud = createCloud({
      net,
      clock: timerClock,
      buffIn: BUFF_IN,
      info: { fwVer: '1', fwType: 'T', tmplId: 'T', build: 'b', dev: 'ESP32' },
      onEvent: (ev) => events.push(ev),
      onWrite: (pin, values) => got.push([pin, values])
    });

    let frames = 0;
    let round = 0;
    const ends = { none: 0, protocol: 0, oversize: 0, redirect: 0 };
    try {
      while (frames < MIN_FRAMES) {
        round++;
        const where = `seed ${SEED} round ${round}`;
        // A fresh link: connect() must work after every drop.
        events.length = 0;
        got.length = 0;
        const before = net.sockets.length;
        cloud.connect({ host: 'blynk.cloud', port: 443, tls: true, token: TOKEN });
        const s = net.last;
        assert.equal(net.sockets.length, before + 1, where);
        s.accept();
        s.receive(encodeResponse(1, 200));
        assert.deepEqual(events, [{ type: 'online' }], where);
        events.length = 0;
        const sentAtLogin = s.writes.length;

        const parts: Buffer[] = [];
        const n = 1 + int(20);
        for (let i = 0; i < n; i++) {
          const f = randomFrame();
          parts.push(rnd() < 0.3 ? mutate(f) : f);
        }
        frames += n;
        const stream = Buffer.concat(parts);
        const want = oracle(stream);
        ends[want.end]++;

        // Deliver in random splits with small clock steps (well under any timeout).
        let pos = 0;
        while (pos < stream.length) {
          const k = 1 + int(Math.min(stream.length - pos, rnd() < 0.5 ? 8 : 400));
          s.receive(stream.subarray(pos, pos + k));
          pos += k;
          if (rnd() < 0.2) clock.tick(int(100));
        }

        const replies = decodeFrames(Buffer.from(s.writes.slice(sentAtLogin).join(''), 'latin1'));
        assert.deepEqual(replies.map((f: WireFrame) => encodeResponse(f.id, f.len).toString('hex')), want.replies, where + ' replies');
        assert.ok(replies.every((f) => f.type === 0), where + ' only replies written');
        assert.deepEqual(got, want.vws, where + ' vw');
        const commands = events.filter((e) => e.type === 'command' || e.type === 'ota')
          .map((e) => (e.type === 'ota' ? 'ota ' + e.url : (e as { command: string }).command));
        assert.deepEqual(commands, want.commands, where + ' commands');
        const finals = events.filter((e) => e.type !== 'command' && e.type !== 'ota');
        assert.deepEqual(s.lateWrites, [], where + ' no writes after close');

        if (want.end === 'protocol' || want.end === 'oversize') {
          assert.deepEqual(finals, [{ type: 'offline', reason: want.end }], where);
          assert.equal(s.closed, true, where + ' socket closed');
          assert.equal(cloud.isOnline(), false, where);
          assert.equal(net.sockets.length, before + 1, where + ' no reconnect by itself');
        } else if (want.end === 'redirect') {
          assert.deepEqual(finals, [], where);
          assert.equal(s.closed, true, where + ' old socket closed');
          assert.equal(net.sockets.length, before + 2, where + ' redirected');
          assert.deepEqual([net.last.host, net.last.port], [want.redirect!.host, want.redirect!.port], where);
          cloud.disconnect();
        } else {
          assert.deepEqual(finals, [], where);
          assert.equal(s.closed, false, where + ' still open');
          assert.equal(cloud.isOnline(), true, where);
          cloud.disconnect();
          assert.equal(s.closed, true, where);
        }
      }
    } finally {
      cloud.disconnect();
      clock.restore();
    }
    assert.ok(frames >= MIN_FRAMES);
    // The generator must really reach every outcome, or the test proves little.
    assert.ok(ends.protocol > 50 && ends.oversize > 50 && ends.redirect > 20 && ends.none > 50, JSON.stringify(ends));
  });
});
