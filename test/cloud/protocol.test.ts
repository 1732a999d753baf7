import { strict as assert } from 'assert';
import sinon from 'sinon';
import * as P from '../../lib/protocol';
import { createCloud } from '../../lib/cloud';
import { FakeNet } from '../fakes/net';
import { timerClock } from '../fakes/clock';
import { bytes, decodeFrames, encode, encodeResponse, hex, toHex } from './wire';

const TOKEN = 'Ab3-_xYz0123456789abcdefghijKLMN';

type Msg = [number, number, string | number];

/**
 * Takes the complete frames off the front of `data` with `frameSize`, the way
 * a connection does, decoding each with Buffer reads (an independent
 * decoder). Returns the messages, the rest to keep, and the error if the
 * stream must be dropped.
 */
function take(data: string, maxBody: number): { msgs: Msg[]; rest: string; error?: string } {
  const msgs: Msg[] = [];
  for (;;) {
    const n = P.frameSize(data, maxBody);
    if (n < 0) return { msgs, rest: '', error: n === P.PARSE_PROTOCOL ? 'protocol' : n === P.PARSE_OVERSIZE ? 'oversize' : 'bad result ' + n };
    if (n === 0) return { msgs, rest: data };
    assert.ok(n <= data.length, 'sized more than given');
    const b = Buffer.from(data.slice(0, n), 'latin1');
    msgs.push([b[0], b.readUInt16BE(1), b[0] === 0 ? b.readUInt16BE(3) : b.subarray(5).toString('latin1')]);
    data = data.slice(n);
  }
}

/**
 * Feeds `chunks` to `take` the way a connection does: a receive buffer of
 * the unparsed rest plus each new chunk; the stream is dropped (and further
 * chunks ignored) on the first error. Checks that the kept rest is never more
 * than one incomplete frame. Returns the messages and errors seen.
 */
function run(chunks: string[], maxBody = 1024): { msgs: Msg[]; errors: string[] } {
  const msgs: Msg[] = [];
  const errors: string[] = [];
  let rest = '';
  for (const c of chunks) {
    if (errors.length) break;
    const r = take(rest + c, maxBody);
    msgs.push(...r.msgs);
    rest = r.rest;
    if (r.error) {
      errors.push(r.error);
    } else {
      assert.ok(rest.length < 5 || rest.length < 5 + ((rest.charCodeAt(3) << 8) | rest.charCodeAt(4)), 'rest holds a complete frame');
      assert.ok(rest.length < 5 + maxBody, 'rest over one frame');
    }
  }
  return { msgs, errors };
}

describe('protocol: constants (contract §6)', () => {
  it('has the contract message types', () => {
    assert.deepEqual(
      [P.MSG_RESPONSE, P.MSG_PING, P.MSG_BRIDGE, P.MSG_HARDWARE_SYNC, P.MSG_INTERNAL, P.MSG_PROPERTY,
        P.MSG_HARDWARE, P.MSG_GROUP, P.MSG_HW_LOGIN, P.MSG_REDIRECT, P.MSG_DEBUG_PRINT, P.MSG_EVENT_LOG,
        P.MSG_EVENT_CLEAR],
      [0, 6, 15, 16, 17, 19, 20, 21, 29, 41, 55, 64, 65]
    );
  });
  it('has the contract status codes', () => {
    assert.deepEqual(
      [P.STATUS_OK, P.STATUS_ALREADY_REGISTERED, P.STATUS_NOT_AUTHENTICATED, P.STATUS_INVALID_TOKEN,
        P.STATUS_ILLEGAL_COMMAND, P.STATUS_ILLEGAL_BODY, P.STATUS_SERVER_EXCEPTION],
      [200, 4, 5, 9, 2, 11, 19]
    );
  });
});

describe('protocol: encoding', () => {
  it('builds the login frame: 1d 00 01 00 20 + token bytes', () => {
    const f = Buffer.from(P.frame(P.MSG_HW_LOGIN, 1, TOKEN), 'latin1');
    assert.equal(toHex(f.subarray(0, 5)), '1d 00 01 00 20');
    assert.equal(f.subarray(5).toString('ascii'), TOKEN);
    assert.equal(f.length, 37);
  });

  it('builds RESPONSE 200 for id 1 as 00 00 01 00 c8 (status in the length field, no body)', () => {
    assert.equal(toHex(Buffer.from(P.response(1, 200), 'latin1')), '00 00 01 00 c8');
    assert.equal(toHex(Buffer.from(P.response(0x1234, 2), 'latin1')), '00 12 34 00 02');
  });

  it('builds an empty PING', () => {
    assert.equal(toHex(Buffer.from(P.frame(P.MSG_PING, 5, ''), 'latin1')), '06 00 05 00 00');
  });

  it('counts body bytes, not characters (UTF-8 vw value)', () => {
    const body = bytes('vw\u00001\u0000h\u00e9llo \u2713'); // é = 2 bytes, ✓ = 3 bytes
    const f = Buffer.from(P.frame(P.MSG_HARDWARE, 7, body), 'latin1');
    assert.equal(
      toHex(f),
      '14 00 07 00 0f 76 77 00 31 00 68 c3 a9 6c 6c 6f 20 e2 9c 93'
    );
    assert.deepEqual(f, encode(20, 7, ['vw', 1, 'h\u00e9llo \u2713']));
  });

  it('writes msg id and length big-endian, including 65535', () => {
    const f = Buffer.from(P.frame(P.MSG_INTERNAL, 65535, 'x'.repeat(0x1234)), 'latin1');
    assert.equal(toHex(f.subarray(0, 5)), '11 ff ff 12 34');
  });

  it('wraps msg ids 65535 → 1 and never yields 0', () => {
    assert.equal(P.nextId(1), 2);
    assert.equal(P.nextId(65534), 65535);
    assert.equal(P.nextId(65535), 1);
    assert.equal(P.nextId(0), 1);
    let id = 1;
    const seen = new Set<number>();
    for (let i = 0; i < 70000; i++) {
      id = P.nextId(id);
      assert.ok(id >= 1 && id <= 65535, 'id out of range: ' + id);
      seen.add(id);
    }
    assert.equal(seen.size, 65535);
  });

  it('sends the exact info message after login', () => {
    const clock = sinon.useFakeTimers();
    try {
      const net = new FakeNet();
      const cloud = createCloud({
        net,
        clock: timerClock,
        info: { fwVer: '0.1.0', fwType: 'TMPLab', tmplId: 'TMPLab', build: 'Jan 1 2025', dev: 'ESP32' },
        onEvent: () => {}
      });
      cloud.connect({ host: 'blynk.cloud', port: 443, tls: true, token: TOKEN });
      net.last.accept();
      net.last.clearWritten();
      net.last.receive(hex('00 00 01 00 c8'));
      const expected = hex(
        '11 00 02 00 62' + // INTERNAL id 2, 98 body bytes
          '6d 63 75 00 30 2e 31 2e 30 00' + // mcu 0.1.0
          '66 77 2d 74 79 70 65 00 54 4d 50 4c 61 62 00' + // fw-type TMPLab
          '62 75 69 6c 64 00 4a 61 6e 20 31 20 32 30 32 35 00' + // build Jan 1 2025
          '62 6c 79 6e 6b 00 31 2e 33 2e 32 00' + // blynk 1.3.2
          '68 2d 62 65 61 74 00 34 30 00' + // h-beat 40
          '62 75 66 66 2d 69 6e 00 31 30 32 34 00' + // buff-in 1024
          '64 65 76 00 45 53 50 33 32 00' + // dev ESP32
          '74 6d 70 6c 00 54 4d 50 4c 61 62' // tmpl TMPLab (last, no trailing NUL)
      );
      assert.equal(toHex(net.last.written()), toHex(expected));
      cloud.disconnect();
    } finally {
      clock.restore();
    }
  });
});

describe('protocol: streaming parser', () => {
  const stream = Buffer.concat([
    encodeResponse(1, 200),
    encode(6, 2),
    encode(20, 3, ['vw', 4, 'h\u00e9llo \u2713', '']),
    encode(17, 4, ['dbg', 'reboot']),
    encodeResponse(65535, 9),
    encode(41, 5, ['fra1.blynk.cloud', '443'])
  ]).toString('latin1');
  const expected: Msg[] = [
    [0, 1, 200],
    [6, 2, ''],
    [20, 3, bytes('vw\u00004\u0000h\u00e9llo \u2713\u0000')],
    [17, 4, 'dbg\u0000reboot'],
    [0, 65535, 9],
    [41, 5, 'fra1.blynk.cloud\u0000443']
  ];

  it('decodes merged frames from one chunk', () => {
    assert.deepEqual(run([stream]), { msgs: expected, errors: [] });
  });

  it('decodes the same frames split at every byte position', () => {
    for (let i = 0; i <= stream.length; i++) {
      assert.deepEqual(run([stream.slice(0, i), stream.slice(i)]), { msgs: expected, errors: [] }, 'split at ' + i);
    }
  });

  it('decodes the same frames split at every pair of positions', () => {
    for (let i = 0; i <= stream.length; i += 3) {
      for (let j = i; j <= stream.length; j += 2) {
        const r = run([stream.slice(0, i), stream.slice(i, j), stream.slice(j)]);
        assert.deepEqual(r.msgs, expected, `split at ${i},${j}`);
      }
    }
  });

  it('decodes one byte at a time', () => {
    assert.deepEqual(run(stream.split('')), { msgs: expected, errors: [] });
  });

  it('accepts a body of exactly maxBody bytes', () => {
    const f = encode(20, 9, Buffer.alloc(16, 0x41)).toString('latin1');
    assert.deepEqual(run([f], 16), { msgs: [[20, 9, 'A'.repeat(16)]], errors: [] });
  });

  it('reports oversize as soon as the header arrives, before any body byte', () => {
    const header = hex('14 00 09 00 11').toString('latin1'); // 17 > 16
    const r = run([header], 16);
    assert.deepEqual(r, { msgs: [], errors: ['oversize'] });
  });

  it('does not treat a RESPONSE status as a body length', () => {
    assert.deepEqual(run([encodeResponse(3, 200).toString('latin1')], 16), { msgs: [[0, 3, 200]], errors: [] });
  });

  it('reports msg id 0 as a corrupt stream, after the frames before it, and nothing after it', () => {
    const r = take(encode(6, 7).toString('latin1') + hex('14 00 00 00 02 41 42').toString('latin1') + encode(6, 8).toString('latin1'), 1024);
    assert.deepEqual(r, { msgs: [[6, 7, '']], rest: '', error: 'protocol' });
    assert.deepEqual(run([encode(6, 7).toString('latin1') + hex('14 00 00').toString('latin1'), hex('00 00').toString('latin1'), encode(6, 9).toString('latin1')]), {
      msgs: [[6, 7, '']],
      errors: ['protocol']
    });
  });

  it('reports oversize after the frames before it', () => {
    const r = take(encode(6, 7).toString('latin1') + hex('14 00 09 00 11').toString('latin1'), 16);
    assert.deepEqual(r, { msgs: [[6, 7, '']], rest: '', error: 'oversize' });
  });

  it('sizes only the frame at the front: header plus body, a RESPONSE its header alone, 0 while incomplete', () => {
    const data = Buffer.concat([encode(6, 1), encodeResponse(2, 200), encode(20, 3, ['vw', 1, 'a']), encode(6, 4)]).toString('latin1');
    assert.equal(P.frameSize(data, 1024), 5);
    assert.equal(P.frameSize(data.slice(5), 1024), 5);
    assert.equal(P.frameSize(data.slice(10), 1024), 5 + 6);
    assert.equal(P.frameSize(data.slice(10, 20), 1024), 0, 'body not complete yet');
    assert.equal(P.frameSize('', 1024), 0);
    assert.equal(P.frameSize(data.slice(0, 4), 1024), 0);
    assert.equal(P.frameSize(hex('00 00 07 ff ff').toString('latin1'), 16), 5, 'a status is no length');
  });

  it('reports a RESPONSE with msg id 0 as corrupt', () => {
    assert.deepEqual(run([hex('00 00 00 00 c8').toString('latin1')]), { msgs: [], errors: ['protocol'] });
  });

  it('reports an error only once', () => {
    const r = run([hex('14 ff ff ff ff').toString('latin1'), hex('00 00 00 00 c8').toString('latin1')], 100);
    assert.deepEqual(r.errors, ['oversize']);
  });

  it('decodes many frames merged in one large chunk', () => {
    const parts: Buffer[] = [];
    for (let i = 1; i <= 2000; i++) parts.push(encode(20, i, ['vw', i % 7, String(i)]));
    const r = run([Buffer.concat(parts).toString('latin1')]);
    assert.equal(r.msgs.length, 2000);
    assert.deepEqual(r.msgs[1999], [20, 2000, 'vw\u00005\u00002000']);
    assert.deepEqual(decodeFrames(Buffer.concat(parts)).length, 2000);
  });
});
