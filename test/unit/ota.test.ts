/**
 * The device's reading of an OTA image head (lib/ota.ts `headField`, `entry`)
 * against the format of docs/ota-image.md as tools/ota-image.js writes it,
 * byte by byte and split at every byte; and the slot record (lib/slots.ts):
 * its text, its CRC, the newer of the two files, a torn write.
 */
import { strict as assert } from 'assert';
import { createRequire } from 'module';
import sinon from 'sinon';
import { entry, headField, otaStart, OtaState } from '../../lib/ota';
import type { Device } from '../../lib/machine';
import { SLOT_FILES, slotRead, slotWrite } from '../../lib/slots';
import { crc32 } from '../../lib/crc32';

const req = createRequire(__filename);
const { buildImage } = req('../../tools/ota-image.js') as typeof import('../../tools/ota-image');

/** A fresh download state, as otaStart makes it. */
function state(): OtaState {
  return { n: 1, p: '~', len: 0, got: 0, m: '', hs: 0, b: '', keys: '', k: '', v: '', ty: '', f: '', o: 0, cnt: 0, sum: 0 };
}

/** Reads `bytes` as the head of an image in chunks of `step`: the error, or the state and where the bodies start. */
function read(bytes: string, step = bytes.length): { K: OtaState; end: number } | string {
  const K = state();
  let at = 0;
  while (at < bytes.length && K.hs < 7) {
    const d = bytes.substr(at, step);
    let i = 0;
    while (K.hs < 7) {
      const e = d.indexOf('\0', i);
      if (e < 0) {
        K.b += d.substr(i);
        break;
      }
      const why = headField(K, K.b + d.substring(i, e));
      K.b = '';
      i = e + 1;
      if (why) return why;
    }
    if (K.hs === 7) return { K, end: at + i };
    at += step;
  }
  return K.hs === 7 ? { K, end: at } : 'incomplete';
}

const EXAMPLE = buildImage({
  mcu: '0.1.0', fwType: 'TMPL4abcd123', build: '', blynk: '1.3.2',
  files: [{ name: 'edgent.boot', data: Buffer.from('print("hi")') }, { name: 'edgent.htm', data: Buffer.from('<p>ok</p>') }]
}).toString('latin1');

describe('OTA image head on the device', () => {
  it('reads the example image of docs/ota-image.md: its tag, its index as text, where the bodies start', () => {
    const r = read(EXAMPLE);
    assert.ok(typeof r !== 'string', String(r));
    const { K, end } = r as { K: OtaState; end: number };
    assert.equal(EXAMPLE.length, 134);
    assert.equal(end, 0x72);
    assert.equal(EXAMPLE.substr(end), 'print("hi")<p>ok</p>');
    assert.deepEqual([K.v, K.ty, K.cnt, K.sum], ['0.1.0', 'TMPL4abcd123', 2, 20]);
    assert.equal(K.f, 'edgent.boot\x0011\x0046f5cdc4\x00edgent.htm\x009\x000af2b1bd\x00');
    const first = entry(K.f, 0);
    assert.deepEqual(first, { n: 'edgent.boot', s: 11, c: '46f5cdc4', r: 24 });
    assert.deepEqual(entry(K.f, 24), { n: 'edgent.htm', s: 9, c: '0af2b1bd', r: K.f.length });
  });

  it('gives the same result whatever the chunks, down to one byte at a time', () => {
    for (let step = 1; step <= EXAMPLE.length; step++) {
      const r = read(EXAMPLE, step);
      assert.ok(typeof r !== 'string', `step ${step}: ${r}`);
      assert.equal((r as { end: number }).end, 0x72, `step ${step}`);
    }
  });

  it('waits for more bytes at every cut of the head', () => {
    for (let n = 0; n < 0x72; n++) assert.equal(read(EXAMPLE.substr(0, n)), 'incomplete', `cut at ${n}`);
  });

  const bad: Array<[string, string, string]> = [
    ['another magic', EXAMPLE.replace('blnkinf', 'blnkinx'), 'bad tag magic'],
    ['a tag key out of place', EXAMPLE.replace('fw-type\0TMPL4abcd123\0build\0\0', 'build\0\0fw-type\0TMPL4abcd123\0'), 'bad tag'],
    ['an empty mcu', EXAMPLE.replace('mcu\x000.1.0', 'mcu\0'), 'bad tag'],
    ['another index version', EXAMPLE.replace('edgota1', 'edgota2'), 'bad index magic'],
    ['a first file other than edgent.boot', EXAMPLE.replace('edgent.boot', 'edgent.bxxx'), 'first file is not edgent.boot'],
    ['a boot file', EXAMPLE.replace('edgent.htm\0', '.bootcde\0\0').replace('.bootcde\0\0', '.bootcde\0'), 'bad file name .bootcde'],
    ['the other slot\'s name', EXAMPLE.replace('edgent.htm\0', '~edgent.ht\0'), 'bad file name ~edgent.ht'],
    ['the slot record', EXAMPLE.replace('edgent.htm\0', 'edgent.ota0\0'), 'bad file name edgent.ota0'],
    ['the config record', EXAMPLE.replace('edgent.htm\0', 'edgent.cfg\0'), 'bad file name edgent.cfg'],
    ['a name twice', EXAMPLE.replace('edgent.htm\0', 'edgent.boot\0').replace(/edgent\.boot\0/, 'edgent.boot\0'), 'bad file name edgent.boot'],
    ['a size with a leading zero', EXAMPLE.replace('\x0011\x00', '\x00011\x00'), 'bad size'],
    ['a size of 0', EXAMPLE.replace('\x009\x00', '\x000\x00'), 'bad size'],
    ['an upper-case CRC', EXAMPLE.replace('0af2b1bd', '0AF2B1BD'), 'bad CRC'],
    ['a short CRC', EXAMPLE.replace('0af2b1bd', 'af2b1bd'), 'bad CRC'],
  ];
  for (const [what, bytes, why] of bad) {
    it(`refuses ${what}: ${why}`, () => {
      assert.equal(read(bytes), why);
    });
  }
});

describe('OTA image head on the device, fuzzed', () => {
  it('never throws on 5,000 mutated heads, and accepts only heads that the tool reads the same way', () => {
    const { readImage } = req('../../tools/ota-image.js') as typeof import('../../tools/ota-image');
    let seed = 12345;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n);
    for (let round = 0; round < 5000; round++) {
      const b = EXAMPLE.split('');
      for (let k = 1 + rnd(3); k > 0; k--) {
        const at = rnd(0x72);
        const op = rnd(3);
        if (op === 0) b[at] = String.fromCharCode(rnd(256));
        else if (op === 1) b.splice(at, 1);
        else b.splice(at, 0, String.fromCharCode(rnd(2) ? 0 : rnd(256)));
      }
      const bytes = b.join('');
      const r = read(bytes, 1 + rnd(64));
      if (typeof r === 'string') continue;
      // Accepted: the tool must read the same index from the same bytes (its own checks may go further: bodies, CRCs).
      let tool: ReturnType<typeof readImage> | null = null;
      try {
        tool = readImage(Buffer.from(bytes, 'latin1'));
      } catch (e) {
        if (!/truncated bodies|trailing bytes|CRC mismatch/.test(String(e))) throw new Error(`round ${round}: the device accepted what the tool refuses (${e})`);
        continue;
      }
      assert.equal(r.K.cnt, tool.files.length, `round ${round}`);
      assert.equal(r.K.ty, tool.tag.fwType, `round ${round}`);
    }
  });
});

describe('slot record', () => {
  function flash() {
    const files: Record<string, string> = {};
    return {
      files,
      read: (n: string) => files[n],
      write: (n: string, d: string) => { files[n] = d; return true; }
    };
  }

  it('is slot 0, confirmed, with nothing to report when neither file is there', () => {
    assert.deepEqual(slotRead(flash().read, crc32), { q: 0, a: 0, t: 0, w: '' });
  });

  it('is written as "q a t w", a newline and the CRC-32 of that text, alternating between its two files', () => {
    const f = flash();
    assert.equal(slotWrite(f.write, crc32, { q: 0, a: 1, t: 1, w: '' }), true);
    assert.equal(f.files[SLOT_FILES[1]], '1 1 1 \n' + crc32('1 1 1 ').toString(16));
    const r = slotRead(f.read, crc32);
    assert.deepEqual(r, { q: 1, a: 1, t: 1, w: '' });
    r.w = 'bad MD5: twice over';
    slotWrite(f.write, crc32, r);
    assert.ok(f.files[SLOT_FILES[0]].startsWith('2 1 1 bad MD5: twice over\n'));
    assert.deepEqual(slotRead(f.read, crc32), { q: 2, a: 1, t: 1, w: 'bad MD5: twice over' });
  });

  it('keeps the previous record when the newer file is torn or its CRC is wrong', () => {
    const f = flash();
    slotWrite(f.write, crc32, { q: 0, a: 0, t: 0, w: '' });
    slotWrite(f.write, crc32, { q: 1, a: 1, t: 1, w: '' });
    const whole = f.files[SLOT_FILES[0]];
    for (let n = 0; n < whole.length; n++) {
      f.files[SLOT_FILES[0]] = whole.substr(0, n);
      assert.deepEqual(slotRead(f.read, crc32), { q: 1, a: 0, t: 0, w: '' }, `torn at ${n}`);
    }
    f.files[SLOT_FILES[0]] = whole.replace('2 1 1', '2 0 1');
    assert.equal(slotRead(f.read, crc32).q, 1);
  });
});

describe('otaStart', () => {
  /** A device in OTA_UPGRADE on fakes: `tls` as the board has it, the loader's slot `p`. */
  function device(tls: boolean, slot?: { p: string; c: number }) {
    const on = sinon.spy();
    const get = sinon.stub().returns({ on });
    const putOff = sinon.spy();
    const log: string[] = [];
    const S = {
      epoch: 3, o: { templateId: 'TMPL4abcd123', fwVer: '0.1.0' },
      hw: {
        net: { tls }, http: { get },
        flash: { getStats: () => ({ freeBytes: 1e6, trashBytes: 0 }), read: () => undefined, write: () => true },
        system: { slot, crc: crc32, log: (l: string) => log.push(l) },
        clock: { setTimeout: () => 1, clearTimeout: () => undefined }
      },
      h: { use: function () { return undefined; }, putOff }
    } as unknown as Device;
    return { S, get, on, putOff, log };
  }

  it('fetches an https:// URL as http:// on a board without TLS (ESP8266), as Blynk\'s firmware does', () => {
    const { S, get, on } = device(false, { p: '', c: 0 });
    otaStart(S, 'https://fra1.blynk.cloud/ota/fw?token=x');
    assert.equal(get.firstCall.args[0], 'http://fra1.blynk.cloud/ota/fw?token=x');
    assert.equal(on.firstCall.args[0], 'error');
    assert.equal(S.ota!.p, '~', 'writes into slot 1 while slot 0 runs');
    assert.equal(S.ota!.n, 3);
  });

  it('keeps https:// where the board has TLS (ESP32), and writes into slot 0 while slot 1 runs', () => {
    const { S, get } = device(true, { p: '~', c: 0 });
    otaStart(S, 'https://fra1.blynk.cloud/ota/fw');
    assert.equal(get.firstCall.args[0], 'https://fra1.blynk.cloud/ota/fw');
    assert.equal(S.ota!.p, '');
  });

  it('fails at once, downloading nothing, without the slot loader', () => {
    const { S, get, putOff, log } = device(true);
    otaStart(S, 'https://fra1.blynk.cloud/ota/fw');
    assert.equal(get.callCount, 0);
    assert.deepEqual(putOff.firstCall.args, ['update_failed']);
    assert.deepEqual(log, ['OTA failed: no slot loader in this firmware']);
  });

  it('fails as a download error when the board cannot reach the host (Espruino\'s get throws)', () => {
    const { S, putOff, log, get } = device(true, { p: '', c: 0 });
    get.throws(new Error('Unable to locate host'));
    otaStart(S, 'https://nowhere.invalid/fw');
    assert.deepEqual(putOff.firstCall.args, ['update_failed']);
    assert.ok(log.includes('OTA failed: download: Error: Unable to locate host'), log.join('\n'));
    assert.equal(S.ota, undefined);
  });
});
