import { strict as assert } from 'assert';
import * as zlib from 'zlib';
import { createStore, MAX_RECORD_BYTES, SaveResult, ConfigStore } from '../../lib/store';
import { defaultRecord } from '../../lib/record';
import { ConfigRecord } from '../../lib/types';
import { FlashPort } from '../../lib/ports';
import { FakeFlash } from '../fakes/flash';

const F0 = 'edgent.cfg0';
const F1 = 'edgent.cfg1';
const TOKEN_1 = 'abcdefghijklmnopqrstuvwxyz012345';
const TOKEN_2 = 'Z-_9Y8X7W6V5U4T3S2R1Q0PONMLKJIHG';

/** UTF-8 bytes of `s` as a byte string, as the board holds it. */
function utf8(s: string): string {
  return Buffer.from(s, 'utf8').toString('latin1');
}

function rec(over: Partial<ConfigRecord>): ConfigRecord {
  return Object.assign(defaultRecord(), over);
}

function defaults(fwVer: string): ConfigRecord {
  return rec({ fwVer });
}

const P1 = rec({ valid: true, ssid: 'Home', pass: 'hunter22', token: TOKEN_1, fwVer: '1.0.0' });
const P2 = rec(Object.assign({}, P1, { ssid: utf8('Café 5G'), pass: utf8('n€w pass') }));
const P3 = rec(Object.assign({}, P2, { lastError: 722 }));
const P4 = rec({
  valid: true, staticIp: true, ssid: 'Office', pass: 'correct horse', token: TOKEN_2,
  host: 'ny3.blynk.cloud', port: 8080, portSsl: 9443,
  ip: '10.0.0.42', mask: '255.255.255.0', gw: '10.0.0.1', dns: '1.1.1.1', dns2: '',
  fwVer: '1.0.1'
});

function le16(n: number): string {
  return String.fromCharCode(n & 255, (n >> 8) & 255);
}

/** Appends the CRC-32 (computed by zlib, little-endian) to a record body. */
function sealed(body: string): string {
  const c = zlib.crc32(Buffer.from(body, 'latin1'));
  return body + String.fromCharCode(c & 255, (c >>> 8) & 255, (c >>> 16) & 255, c >>> 24);
}

interface ImageOptions {
  magic?: string;
  version?: number;
  flags?: number;
  fields?: string;
}

/** The record body exactly as documented in lib/store.ts, built independently. */
function body(r: ConfigRecord, seq: number, o: ImageOptions = {}): string {
  const flags = o.flags !== undefined ? o.flags : (r.valid ? 1 : 0) | (r.staticIp ? 2 : 0);
  let s = (o.magic !== undefined ? o.magic : 'Ec') + String.fromCharCode(o.version !== undefined ? o.version : 1) +
    le16(seq) + String.fromCharCode(flags) + le16(r.port) + le16(r.portSsl) + le16(r.lastError);
  if (o.fields !== undefined) return s + o.fields;
  const names: Array<keyof ConfigRecord> = ['ssid', 'pass', 'token', 'host', 'ip', 'mask', 'gw', 'dns', 'dns2', 'fwVer'];
  for (const n of names) {
    const v = r[n] as string;
    s += String.fromCharCode(v.length) + v;
  }
  return s;
}

function image(r: ConfigRecord, seq: number, o: ImageOptions = {}): string {
  return sealed(body(r, seq, o));
}

/** Deterministic pseudo-random generator (xorshift32). */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    return x;
  };
}

function randomBytes(next: () => number, length: number): string {
  let s = '';
  for (let i = 0; i < length; i++) s += String.fromCharCode(next() & 255);
  return s;
}

function storeOn(flash: FlashPort, lines?: string[]): ConfigStore {
  return createStore({ flash, log: lines ? (l) => { lines.push(l); } : undefined });
}

/** Loads with a fresh store instance, as after a reboot. */
function reload(flash: FlashPort, lines?: string[]): ConfigRecord {
  return storeOn(flash, lines).load();
}

function maxRecord(): ConfigRecord {
  let pass = '\x00\xff';
  for (let i = 0; pass.length < 64; i++) pass += String.fromCharCode((i * 37 + 11) & 255);
  return rec({
    valid: true,
    staticIp: true,
    ssid: utf8('é'.repeat(16)),
    pass,
    token: 'aZ09-_bY18-_cX27-_dW36-_eV45-_fU',
    host: 'a'.repeat(60) + '.com',
    port: 65535,
    portSsl: 1,
    ip: '255.255.255.255',
    mask: '255.255.255.255',
    gw: '192.168.100.254',
    dns: '100.100.100.100',
    dns2: '200.200.200.200',
    lastError: 999,
    fwVer: utf8('1.0.0-') + utf8('ß').repeat(13)
  });
}

describe('config store', () => {
  describe('encoding', () => {
    it('writes the documented byte layout', () => {
      const flash = new FakeFlash();
      assert.equal(storeOn(flash).save(P4), 'saved');
      assert.equal(flash.files.get(F0), image(P4, 1));
      assert.equal(flash.files.has(F1), false);
    });

    it('round-trips every field at its maximum length, UTF-8 and all byte values', () => {
      const r = maxRecord();
      assert.equal(r.ssid.length, 32);
      assert.equal(r.pass.length, 64);
      assert.equal(r.host.length, 64);
      assert.equal(r.fwVer.length, 32);
      const flash = new FakeFlash();
      assert.equal(storeOn(flash).save(r), 'saved');
      assert.equal(flash.files.get(F0)!.length, MAX_RECORD_BYTES);
      assert.equal(MAX_RECORD_BYTES, 325);
      assert.deepEqual(reload(flash), r);
    });

    it('round-trips minimal and typical records', () => {
      const cases = [defaultRecord(), defaults('x'), P1, P2, P3, P4,
        rec({ ssid: utf8('Wi‑Fi “ünïcødé” 🚀'), pass: '', host: 'h', port: 1, portSsl: 65535 })];
      for (const r of cases) {
        const flash = new FakeFlash();
        assert.equal(storeOn(flash).save(r), 'saved');
        assert.deepEqual(reload(flash), r);
      }
    });
  });

  describe('validation', () => {
    const bad: Array<[string, Partial<ConfigRecord>]> = [
      ['ssid of 33 bytes', { ssid: utf8('é'.repeat(16)) + 'x' }],
      ['empty ssid while valid', { ssid: '' }],
      ['ssid with a char above 255', { ssid: 'caf\u0100' }],
      ['pass of 65 bytes', { pass: 'p'.repeat(65) }],
      ['token of 31 chars', { token: TOKEN_1.substr(1) }],
      ['token with a bad char', { token: TOKEN_1.substr(1) + '!' }],
      ['empty token while valid', { token: '' }],
      ['host of 65 bytes', { host: 'h'.repeat(65) }],
      ['empty host', { host: '' }],
      ['port 0', { port: 0 }],
      ['port 65536', { port: 65536 }],
      ['fractional port', { port: 80.5 }],
      ['portSsl 0', { portSsl: 0 }],
      ['bad ip', { staticIp: true, ip: '10.0.0.256', mask: '255.0.0.0', gw: '10.0.0.1', dns: '10.0.0.1' }],
      ['static ip without ip', { staticIp: true, ip: '', mask: '255.0.0.0', gw: '10.0.0.1', dns: '10.0.0.1' }],
      ['bad dns2', { dns2: '1.2.3' }],
      ['lastError 1000', { lastError: 1000 }],
      ['negative lastError', { lastError: -1 }],
      ['fwVer of 33 bytes', { fwVer: 'v'.repeat(33) }],
      ['non-boolean valid', { valid: 1 as unknown as boolean }]
    ];
    for (const [name, over] of bad) {
      it('rejects ' + name + ' with "invalid" and writes nothing', () => {
        const flash = new FakeFlash();
        const store = storeOn(flash);
        assert.equal(store.save(rec(Object.assign({}, P1, over))), 'invalid');
        assert.equal(flash.writes, 0);
        assert.equal(flash.files.size, 0);
        assert.equal(store.save(P1), 'saved');
        const before = new Map(flash.files);
        assert.equal(store.save(rec(Object.assign({}, P1, over))), 'invalid');
        assert.equal(flash.writes, 1);
        assert.deepEqual(flash.files, before);
        assert.deepEqual(reload(flash), P1);
      });
    }

    it('rejects a non-object and a too long firmware version on erase', () => {
      const flash = new FakeFlash();
      const store = storeOn(flash);
      assert.equal(store.save(null as unknown as ConfigRecord), 'invalid');
      assert.equal(store.erase('v'.repeat(33)), 'invalid');
      assert.equal(flash.writes, 0);
    });
  });

  describe('saving', () => {
    it('skips an identical save without touching flash', () => {
      const flash = new FakeFlash();
      const store = storeOn(flash);
      assert.equal(store.save(P1), 'saved');
      assert.equal(flash.writes, 1);
      assert.equal(store.save(rec(Object.assign({}, P1))), 'unchanged');
      assert.equal(storeOn(flash).save(P1), 'unchanged', 'a fresh instance compares with flash');
      assert.equal(flash.writes, 1);
      assert.equal(store.save(P2), 'saved');
      assert.equal(store.save(P1), 'saved', 'the older slot holding P1 does not count');
      assert.equal(flash.writes, 3);
    });

    it('alternates slots and increments the sequence number', () => {
      const flash = new FakeFlash();
      const store = storeOn(flash);
      assert.equal(store.save(P1), 'saved');
      assert.equal(store.save(P2), 'saved');
      assert.equal(flash.files.get(F0), image(P1, 1));
      assert.equal(flash.files.get(F1), image(P2, 2));
      assert.equal(store.save(P3), 'saved');
      assert.equal(flash.files.get(F0), image(P3, 3));
      assert.equal(flash.files.get(F1), image(P2, 2));
      assert.deepEqual(store.load(), P3);
      assert.deepEqual(reload(flash), P3);
    });

    it('continues the sequence of what is on flash after a reboot', () => {
      const flash = new FakeFlash();
      flash.files.set(F0, image(P1, 41));
      flash.files.set(F1, image(P2, 42));
      const store = storeOn(flash);
      assert.deepEqual(store.load(), P2);
      assert.equal(store.save(P3), 'saved');
      assert.equal(flash.files.get(F0), image(P3, 43));
    });

    it('uses custom file names', () => {
      const flash = new FakeFlash();
      const store = createStore({ flash, files: ['a'.repeat(28), 'b'] });
      assert.equal(store.save(P1), 'saved');
      assert.equal(store.save(P2), 'saved');
      assert.deepEqual([...flash.files.keys()].sort(), ['a'.repeat(28), 'b']);
      assert.deepEqual(createStore({ flash, files: ['a'.repeat(28), 'b'] }).load(), P2);
    });

    it('refuses bad file names at construction', () => {
      const flash = new FakeFlash();
      assert.throws(() => createStore({ flash, files: ['x'.repeat(29), 'b'] }), TypeError);
      assert.throws(() => createStore({ flash, files: ['same', 'same'] }), TypeError);
      assert.throws(() => createStore({ flash, files: ['', 'b'] }), TypeError);
    });
  });

  describe('newest selection', () => {
    const cases: Array<[string, number, number, ConfigRecord]> = [
      ['higher sequence in slot 0', 5, 4, P1],
      ['higher sequence in slot 1', 4, 5, P2],
      ['wrap: 0 is newer than 65535 (slot 1)', 0xffff, 0, P2],
      ['wrap: 0 is newer than 65535 (slot 0)', 0, 0xffff, P1],
      ['wrap: 3 is newer than 65534', 65534, 3, P2],
      ['32767 ahead is newer', 0, 0x7fff, P2],
      ['32769 ahead counts as behind', 0, 0x8001, P1],
      ['a tie goes to slot 0', 7, 7, P1]
    ];
    for (const [name, s0, s1, expected] of cases) {
      it(name, () => {
        const flash = new FakeFlash();
        flash.files.set(F0, image(P1, s0));
        flash.files.set(F1, image(P2, s1));
        assert.deepEqual(reload(flash), expected);
      });
    }

    it('saves across the 16-bit wrap and always loads the latest', () => {
      const flash = new FakeFlash();
      flash.files.set(F1, image(P1, 0xfffe));
      const store = storeOn(flash);
      const seq = [P2, P3, P4, P1, P2];
      const expectedSeq = [0xffff, 0, 1, 2, 3];
      for (let i = 0; i < seq.length; i++) {
        assert.equal(store.save(seq[i]), 'saved');
        const name = i % 2 === 0 ? F0 : F1;
        assert.equal(flash.files.get(name), image(seq[i], expectedSeq[i]));
        assert.deepEqual(reload(flash), seq[i]);
      }
    });
  });

  describe('corrupt data', () => {
    const good = image(P4, 9);
    const corruptions: Array<[string, string]> = [];
    corruptions.push(['empty file', '']);
    for (let n = 1; n < good.length; n++) corruptions.push(['truncated to ' + n, good.substr(0, n)]);
    corruptions.push(['bad crc (last byte)', good.substr(0, good.length - 1) + String.fromCharCode(good.charCodeAt(good.length - 1) ^ 1)]);
    corruptions.push(['bad crc (one bit in the ssid)', good.substr(0, 14) + String.fromCharCode(good.charCodeAt(14) ^ 0x80) + good.substr(15)]);
    corruptions.push(['wrong magic', image(P4, 9, { magic: 'eC' })]);
    corruptions.push(['wrong version 2', image(P4, 9, { version: 2 })]);
    corruptions.push(['wrong version 0', image(P4, 9, { version: 0 })]);
    corruptions.push(['unknown flag bit', image(P4, 9, { flags: 7 })]);
    corruptions.push(['absurd ssid length 255', image(P4, 9, { fields: '\xff' + 'x'.repeat(40) })]);
    corruptions.push(['last length running into the crc', sealed(body(P4, 9).slice(0, -6) + '\x09' + '1.0.1')]);
    corruptions.push(['trailing byte after the fields', sealed(body(P4, 9) + '\x00')]);
    corruptions.push(['oversized', sealed(body(P4, 9) + 'x'.repeat(MAX_RECORD_BYTES))]);
    corruptions.push(['huge file', 'Ec\x01' + 'x'.repeat(100000)]);
    corruptions.push(['valid crc, ssid of 33 bytes', image(rec(Object.assign({}, P4, { ssid: 's'.repeat(33) })), 9)]);
    corruptions.push(['valid crc, valid flag without token', image(rec(Object.assign({}, P4, { token: '' })), 9)]);
    corruptions.push(['valid crc, port 0', image(rec(Object.assign({}, P4, { port: 0 })), 9)]);
    corruptions.push(['valid crc, lastError 1000', image(rec(Object.assign({}, P4, { lastError: 1000 })), 9)]);
    corruptions.push(['valid crc, static ip without address', image(rec(Object.assign({}, P4, { ip: '' })), 9)]);
    corruptions.push(['valid crc, empty host', image(rec(Object.assign({}, P4, { host: '' })), 9)]);
    const next = rng(1234);
    for (let i = 0; i < 40; i++) {
      corruptions.push(['random bytes #' + i, randomBytes(next, next() % (MAX_RECORD_BYTES + 60))]);
    }
    corruptions.push(['random bytes behind a valid header', 'Ec\x01' + randomBytes(next, 200)]);

    it('the unmodified image loads (control)', () => {
      const flash = new FakeFlash();
      flash.files.set(F0, good);
      assert.deepEqual(reload(flash), P4);
    });

    it('loads defaults and logs why when both slots are corrupt', () => {
      for (const [name, data] of corruptions) {
        const flash = new FakeFlash();
        flash.files.set(F0, data);
        flash.files.set(F1, data);
        const lines: string[] = [];
        let loaded: ConfigRecord | undefined;
        assert.doesNotThrow(() => { loaded = reload(flash, lines); }, name);
        assert.deepEqual(loaded, defaultRecord(), name);
        assert.ok(lines.some((l) => l.indexOf(F0) >= 0 && l.indexOf('ignored') >= 0), name + ': ' + lines.join(' | '));
      }
    });

    it('loads the good slot when the other is corrupt (either slot)', () => {
      for (const [name, data] of corruptions) {
        for (const bad of [F0, F1]) {
          const flash = new FakeFlash();
          flash.files.set(bad, data);
          flash.files.set(bad === F0 ? F1 : F0, image(P1, 3));
          assert.deepEqual(reload(flash), P1, name + ' in ' + bad);
        }
      }
    });

    it('names the reason in the log', () => {
      const reasons: Array<[string, string]> = [
        [good.substr(0, 10), 'truncated'],
        [image(P4, 9, { magic: 'XX' }), 'bad magic'],
        [image(P4, 9, { version: 2 }), 'version 2'],
        [good.slice(0, -1) + '\x00', 'bad crc'],
        [sealed(body(P4, 9) + '\x00'), 'bad length'],
        [image(rec(Object.assign({}, P4, { port: 0 })), 9), 'invalid port'],
        ['x'.repeat(MAX_RECORD_BYTES + 1), 'oversized']
      ];
      for (const [data, reason] of reasons) {
        const flash = new FakeFlash();
        flash.files.set(F0, data);
        const lines: string[] = [];
        reload(flash, lines);
        assert.ok(lines.some((l) => l.indexOf(reason) >= 0), reason + ': ' + lines.join(' | '));
      }
    });

    it('a save after corruption writes the corrupt slot, not the good one', () => {
      const flash = new FakeFlash();
      flash.files.set(F0, image(P1, 3));
      flash.files.set(F1, 'garbage');
      const store = storeOn(flash);
      assert.deepEqual(store.load(), P1);
      assert.equal(store.save(P2), 'saved');
      assert.equal(flash.files.get(F0), image(P1, 3));
      assert.equal(flash.files.get(F1), image(P2, 4));
    });

    it('a save when a slot went bad after load still keeps the newest copy', () => {
      const flash = new FakeFlash();
      const store = storeOn(flash);
      assert.equal(store.save(P1), 'saved');
      assert.equal(store.save(P2), 'saved');
      flash.files.set(F1, 'rotten');
      assert.equal(store.save(P3), 'saved');
      assert.equal(flash.files.get(F0), image(P1, 1), 'P1 is now the newest valid copy: untouched');
      assert.equal(flash.files.get(F1), image(P3, 2));
      assert.deepEqual(reload(flash), P3);
    });
  });

  describe('erase', () => {
    function noSecrets(flash: FakeFlash, secrets: string[]): void {
      for (const [name, data] of flash.files) {
        for (const s of secrets) assert.equal(data.indexOf(s), -1, name + ' still holds ' + JSON.stringify(s));
      }
    }

    it('writes defaults to both slots, leaving no old secret', () => {
      const flash = new FakeFlash();
      const store = storeOn(flash);
      assert.equal(store.save(P1), 'saved');
      assert.equal(store.save(P4), 'saved');
      assert.equal(store.erase('2.0.0'), 'saved');
      assert.equal(flash.files.size, 2);
      noSecrets(flash, [P1.pass, P1.token, P4.pass, P4.token, P4.ssid]);
      assert.deepEqual(store.load(), defaults('2.0.0'));
      assert.deepEqual(reload(flash), defaults('2.0.0'));
      for (const lost of [F0, F1]) {
        const copy = new FakeFlash();
        copy.files = new Map(flash.files);
        copy.files.set(lost, 'rotten');
        assert.deepEqual(reload(copy), defaults('2.0.0'), 'with ' + lost + ' corrupt');
        copy.files.delete(lost);
        assert.deepEqual(reload(copy), defaults('2.0.0'), 'with ' + lost + ' missing');
      }
    });

    it('works on an empty flash and when one slot is corrupt', () => {
      const flash = new FakeFlash();
      assert.equal(storeOn(flash).erase('1.0.0'), 'saved');
      assert.equal(flash.files.size, 2);
      assert.deepEqual(reload(flash), defaults('1.0.0'));
      flash.files.set(F0, image(P1, 1));
      flash.files.set(F1, 'junk');
      assert.equal(storeOn(flash).erase('1.0.1'), 'saved');
      noSecrets(flash, [P1.pass, P1.token]);
      assert.deepEqual(reload(flash), defaults('1.0.1'));
    });

    it('a save after erase provisions again', () => {
      const flash = new FakeFlash();
      const store = storeOn(flash);
      assert.equal(store.save(P1), 'saved');
      assert.equal(store.erase('1.0.1'), 'saved');
      assert.equal(store.save(defaults('1.0.1')), 'unchanged');
      assert.equal(store.save(P4), 'saved');
      assert.deepEqual(reload(flash), P4);
      noSecrets(flash, [P1.pass, P1.token]);
    });
  });

  describe('flash failures', () => {
    it('reports a refused write as "failed" and keeps the previous record', () => {
      const flash = new FakeFlash();
      const store = storeOn(flash);
      assert.equal(store.save(P1), 'saved');
      const write = flash.write.bind(flash);
      flash.write = () => false;
      assert.equal(store.save(P2), 'failed');
      assert.equal(store.erase('9'), 'failed');
      assert.deepEqual(reload(flash), P1);
      flash.write = write;
      assert.equal(store.save(P2), 'saved');
      assert.deepEqual(reload(flash), P2);
    });

    it('reports a write that reads back wrong as "failed"', () => {
      const flash = new FakeFlash();
      const store = storeOn(flash);
      assert.equal(store.save(P1), 'saved');
      const write = flash.write.bind(flash);
      flash.write = (name, data) => write(name, data.slice(0, -1) + String.fromCharCode(data.charCodeAt(data.length - 1) ^ 4));
      assert.equal(store.save(P2), 'failed');
      assert.deepEqual(reload(flash), P1);
      flash.write = write;
      assert.equal(store.save(P2), 'saved');
      assert.deepEqual(reload(flash), P2);
    });

    it('never throws when the flash throws', () => {
      const broken: FlashPort = {
        read: () => { throw new Error('read'); },
        write: () => { throw new Error('write'); },
        erase: () => { throw new Error('erase'); }
      };
      const lines: string[] = [];
      const store = storeOn(broken, lines);
      assert.deepEqual(store.load(), defaultRecord());
      assert.equal(store.save(P1), 'failed');
      assert.equal(store.erase('1'), 'failed');
      assert.ok(lines.length > 0);
    });

    it('after a write that landed but failed to verify, the next save spares it', () => {
      const flash = new FakeFlash();
      const store = storeOn(flash);
      assert.equal(store.save(P1), 'saved');
      const read = flash.read.bind(flash);
      let failReads = 1;
      flash.read = (name, offset, length) => {
        if (name === F1 && failReads-- > 0) throw new Error('glitch');
        return read(name, offset, length);
      };
      assert.equal(store.save(P2), 'failed');
      assert.equal(flash.files.get(F1), image(P2, 2), 'the write landed');
      flash.cutPowerAfter(10);
      assert.equal(store.save(P3), 'failed');
      flash.powerOn();
      assert.equal(flash.files.get(F1), image(P2, 2), 'the newest copy on flash was not overwritten');
      assert.deepEqual(reload(flash), P2);
    });

    it('erase drops the second slot when its write fails after the first succeeded', () => {
      const flash = new FakeFlash();
      const store = storeOn(flash);
      assert.equal(store.save(P1), 'saved');
      const write = flash.write.bind(flash);
      let n = 0;
      flash.write = (name, data) => (++n === 2 ? false : write(name, data));
      assert.equal(store.erase('2'), 'failed');
      assert.equal(flash.files.has(F0), false, 'the slot that held P1 is gone');
      assert.equal(flash.files.get(F1), image(defaults('2'), 2));
      assert.deepEqual(reload(flash), defaults('2'));
    });
  });

  describe('power cut at every byte', () => {
    interface Op {
      name: string;
      run: (s: ConfigStore) => SaveResult;
      after: ConfigRecord;
    }
    const OPS: Op[] = [
      { name: 'provision', run: (s) => s.save(P1), after: P1 },
      { name: 'change Wi-Fi', run: (s) => s.save(P2), after: P2 },
      { name: 'set last_error', run: (s) => s.save(P3), after: P3 },
      { name: 'erase', run: (s) => s.erase('1.0.1'), after: defaults('1.0.1') },
      { name: 'provision again', run: (s) => s.save(P4), after: P4 }
    ];
    const AFTER_ALL = rec({ valid: true, ssid: 'Later', pass: 'later pass', token: TOKEN_1, fwVer: '1.0.2' });

    interface Outcome {
      flash: FakeFlash;
      /** Index of the interrupted operation, or -1. */
      op: number;
      before: ConfigRecord;
      after: ConfigRecord;
    }

    function isSame(a: ConfigRecord, b: ConfigRecord): boolean {
      try {
        assert.deepEqual(a, b);
        return true;
      } catch (e) {
        return false;
      }
    }

    function replay(cut: number, seed: (f: FakeFlash) => void): Outcome {
      const flash = new FakeFlash();
      seed(flash);
      const store = storeOn(flash);
      let current = store.load();
      flash.cutPowerAfter(cut);
      for (let i = 0; i < OPS.length; i++) {
        const before = current;
        const res = OPS[i].run(store);
        if (!flash.powered) return { flash, op: i, before, after: OPS[i].after };
        assert.equal(res, 'saved', OPS[i].name + ' with cut ' + cut);
        current = OPS[i].after;
      }
      return { flash, op: -1, before: current, after: current };
    }

    const starts: Array<[string, (f: FakeFlash) => void, ConfigRecord]> = [
      ['from an empty flash', () => undefined, defaultRecord()],
      ['from a record about to wrap its sequence', (f) => {
        f.files.set(F0, 'torn');
        f.files.set(F1, image(P4, 0xfffe));
      }, P4]
    ];

    for (const [label, seed, initial] of starts) {
      it(label + ': the load after the cut is the record before or after the interrupted operation', () => {
        const full = replay(Infinity, seed);
        assert.equal(full.op, -1);
        const total = full.flash.bytesWritten;
        assert.ok(total > 5 * 30, 'the sequence writes ' + total + ' bytes');
        let sawBefore = 0;
        let sawAfter = 0;
        for (let cut = 0; cut <= total; cut++) {
          const o = replay(cut, seed);
          const what = 'cut after ' + cut + ' bytes in "' + (o.op >= 0 ? OPS[o.op].name : 'none') + '"';
          assert.ok(o.op >= 0, what + ': the cut must hit an operation');
          assert.equal(o.flash.bytesWritten, cut, what);
          o.flash.powerOn();
          const lines: string[] = [];
          let loaded: ConfigRecord = defaultRecord();
          assert.doesNotThrow(() => { loaded = reload(o.flash, lines); }, what);
          const isBefore = isSame(loaded, o.before);
          const isAfter = isSame(loaded, o.after);
          assert.ok(isBefore || isAfter,
            what + ': loaded ' + JSON.stringify(loaded) + ', expected ' + JSON.stringify(o.before) +
            ' or ' + JSON.stringify(o.after));
          if (isBefore) sawBefore++;
          if (isAfter) sawAfter++;
          if (o.op === 0) assert.ok(isSame(o.before, initial));
          if (o.op > 3) {
            for (const data of o.flash.files.values()) {
              for (const secret of [P1.pass, P2.pass, P1.token]) {
                assert.equal(data.indexOf(secret), -1, what + ': a secret from before the erase survived');
              }
            }
          }
          const store = storeOn(o.flash);
          assert.deepEqual(store.load(), loaded);
          assert.equal(store.save(AFTER_ALL), 'saved', what + ': save after the cut');
          assert.deepEqual(reload(o.flash), AFTER_ALL, what + ': load after the save');
          assert.equal(store.save(o.before), 'saved', what + ': second save after the cut');
          assert.deepEqual(reload(o.flash), o.before, what + ': load after the second save');
        }
        assert.ok(sawBefore > 0 && sawAfter > 0, 'both outcomes occur: ' + sawBefore + ' / ' + sawAfter);
      });
    }
  });
});
