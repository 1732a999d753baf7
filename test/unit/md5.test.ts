import { strict as assert } from 'assert';
import { md5Add, md5Hex, md5Start } from '../../lib/md5';
import { RFC1321_SUITE, allBytes, md5Ref as ref, randomBytes } from './md5-data';

/** The digest of `chunks` fed one after the other to one state. */
function digestOf(chunks: string[]): string {
  const st = md5Start();
  for (const c of chunks) md5Add(st, c);
  return md5Hex(st);
}

/** `bytes` cut into pieces of pseudo-random sizes from 0 to `max` bytes (empty pieces included). */
function randomSplit(bytes: string, seed: number, max: number): string[] {
  const r = randomBytes(seed, 2 * bytes.length + 64);
  const parts: string[] = [];
  for (let i = 0, k = 0; i < bytes.length; k = (k + 2) % r.length) {
    const n = ((r.charCodeAt(k) << 8) | r.charCodeAt(k + 1)) % (max + 1);
    parts.push(bytes.substr(i, n));
    i += n;
  }
  return parts;
}

/** `bytes` in pieces of `size` bytes. */
function fixedSplit(bytes: string, size: number): string[] {
  const parts: string[] = [];
  for (let i = 0; i < bytes.length; i += size) parts.push(bytes.substr(i, size));
  return parts;
}

const ALL_BYTES = allBytes();

describe('md5', () => {
  it('gives the digests of the RFC 1321 test suite (A.5)', () => {
    for (const [input, digest] of RFC1321_SUITE) {
      assert.equal(digestOf([input]), digest, JSON.stringify(input));
      assert.equal(digestOf(input.split('')), digest, JSON.stringify(input) + ' a byte at a time');
    }
  });

  it('returns 32 lowercase hex digits', () => {
    for (let len = 0; len < 70; len++) assert.match(digestOf([randomBytes(len + 7, len)]), /^[0-9a-f]{32}$/);
  });

  it('agrees with Node on every length from 0 to 300 bytes, fed whole and in random pieces', () => {
    for (let len = 0; len <= 300; len++) {
      const s = randomBytes(len + 1, len);
      const want = ref(s);
      assert.equal(digestOf([s]), want, `length ${len}, whole`);
      assert.equal(digestOf(randomSplit(s, 1000 + len, 9)), want, `length ${len}, pieces of 0..9 bytes`);
      assert.equal(digestOf(randomSplit(s, 2000 + len, 130)), want, `length ${len}, pieces of 0..130 bytes`);
    }
  });

  it('agrees with Node on a few KB fed in pieces of many sizes', () => {
    for (const len of [1000, 4096, 4097, 9999, 20000]) {
      const s = randomBytes(len, len);
      const want = ref(s);
      assert.equal(digestOf([s]), want, `length ${len}, whole`);
      for (const size of [1, 3, 63, 64, 65, 512, 536, 1460]) {
        assert.equal(digestOf(fixedSplit(s, size)), want, `length ${len}, pieces of ${size}`);
      }
      assert.equal(digestOf(randomSplit(s, len + 7, 3000)), want, `length ${len}, pieces of 0..3000 bytes`);
    }
  });

  it('pads right around the 55/56/64-byte boundaries', () => {
    for (const base of [0, 64, 128, 960]) {
      for (let d = -10; d <= 10; d++) {
        const len = base + 56 + d;
        if (len < 0) continue;
        const s = randomBytes(3 * len + 5, len);
        const want = ref(s);
        assert.equal(digestOf([s]), want, `length ${len}`);
        assert.equal(digestOf(s.split('')), want, `length ${len}, a byte at a time`);
        for (let cut = 0; cut <= len; cut += 7) {
          assert.equal(digestOf([s.substr(0, cut), '', s.substr(cut)]), want, `length ${len}, cut at ${cut}`);
        }
      }
    }
  });

  it('hashes every byte value, high bytes included', () => {
    assert.equal(digestOf([ALL_BYTES]), ref(ALL_BYTES));
    assert.equal(digestOf([ALL_BYTES]), 'e2c865db4162bed963bfaa9ef6ac18f0');
    const reversed = ALL_BYTES.split('').reverse().join('');
    assert.equal(digestOf(fixedSplit(reversed, 5)), ref(reversed));
    const many = ALL_BYTES.repeat(17);
    assert.equal(digestOf(randomSplit(many, 99, 200)), ref(many));
    assert.equal(digestOf(['\xff'.repeat(64)]), ref('\xff'.repeat(64)));
    assert.equal(digestOf(['\0'.repeat(64)]), ref('\0'.repeat(64)));
  });

  it('keeps its state a plain object of numbers and a short string', () => {
    const st = md5Start();
    md5Add(st, randomBytes(5, 200));
    for (const key of Object.keys(st)) {
      const v = (st as unknown as Record<string, unknown>)[key];
      assert.ok(typeof v === 'number' || typeof v === 'string', `${key} is ${typeof v}`);
      if (typeof v === 'string') assert.ok(v.length < 64, `${key} holds ${v.length} bytes`);
    }
    assert.equal(Object.getPrototypeOf(st), Object.prototype);
    assert.deepEqual(JSON.parse(JSON.stringify(st)), st);
  });

  it('keeps separate states apart', () => {
    const a = md5Start();
    const b = md5Start();
    md5Add(a, 'message ');
    md5Add(b, 'abc');
    md5Add(a, 'digest');
    assert.equal(md5Hex(b), '900150983cd24fb0d6963f7d28e17f72');
    assert.equal(md5Hex(a), 'f96b697d7cb7938d525a2f31aaf161d0');
  });
});
