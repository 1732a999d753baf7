import { strict as assert } from 'assert';
import * as zlib from 'zlib';
import { crc32 } from '../../lib/crc32';

/** zlib's CRC-32 of a byte string, as the reference. */
function ref(bytes: string): number {
  return zlib.crc32(Buffer.from(bytes, 'latin1'));
}

/** Deterministic pseudo-random byte string. */
function randomBytes(seed: number, length: number): string {
  let x = seed >>> 0 || 1;
  let s = '';
  for (let i = 0; i < length; i++) {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    s += String.fromCharCode(x & 255);
  }
  return s;
}

describe('crc32', () => {
  it('matches the standard check value of "123456789"', () => {
    assert.equal(crc32('123456789'), 0xcbf43926);
  });

  it('is 0 for the empty string', () => {
    assert.equal(crc32(''), 0);
  });

  it('matches known values for single bytes and all 256 byte values', () => {
    assert.equal(crc32('\x00'), 0xd202ef8d);
    assert.equal(crc32('a'), 0xe8b7be43);
    assert.equal(crc32('\xff'), 0xff000000);
    let all = '';
    for (let i = 0; i < 256; i++) all += String.fromCharCode(i);
    assert.equal(crc32(all), 0x29058c73);
  });

  it('returns an unsigned 32-bit integer', () => {
    const c = crc32('123456789');
    assert.ok(c > 0x7fffffff, 'this vector has the top bit set');
    assert.equal(c % 1, 0);
    assert.ok(c <= 0xffffffff);
  });

  it('handles bytes >= 0x80 exactly like zlib', () => {
    const utf8 = Buffer.from('Café ☕ Wi‑Fi “5G”', 'utf8').toString('latin1');
    assert.equal(crc32(utf8), ref(utf8));
    const high = '\x80\x81\xc3\xa9\xfe\xff';
    assert.equal(crc32(high), ref(high));
  });

  it('agrees with zlib on random data of many lengths', () => {
    for (let len = 0; len < 300; len += 7) {
      const s = randomBytes(len + 1, len);
      assert.equal(crc32(s), ref(s), 'length ' + len);
    }
  });

  it('chains zlib-style: crc32(b, crc32(a)) === crc32(a + b) at every split', () => {
    const s = randomBytes(42, 64);
    for (let k = 0; k <= s.length; k++) {
      const a = s.substr(0, k);
      const b = s.substr(k);
      assert.equal(crc32(b, crc32(a)), crc32(s), 'split at ' + k);
    }
  });

  it('treats seed 0 as a fresh checksum and an empty continuation as identity', () => {
    assert.equal(crc32('abc', 0), crc32('abc'));
    for (const seed of [0, 1, 0x7fffffff, 0x80000000, 0xcbf43926, 0xffffffff]) {
      assert.equal(crc32('', seed), seed);
    }
  });

  it('chains repeatedly on the same input (access-point name suffix)', () => {
    const chipId = '\xa4\xcf\x12\x00\x11\x22';
    let u = 0;
    let expected = 0;
    for (let i = 0; i < 4; i++) {
      u = crc32(chipId, u);
      expected = zlib.crc32(Buffer.from(chipId, 'latin1'), expected);
    }
    assert.equal(u, expected);
    assert.equal(u, ref(chipId + chipId + chipId + chipId));
  });
});
