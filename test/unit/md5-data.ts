/**
 * Inputs and reference digests of the MD5 tests (test/unit/md5.test.ts and,
 * on the real interpreters, test/real/md5.test.ts).
 */
import { createHash } from 'crypto';

/** The test suite of RFC 1321 (A.5): input, digest. */
export const RFC1321_SUITE: Array<[string, string]> = [
  ['', 'd41d8cd98f00b204e9800998ecf8427e'],
  ['a', '0cc175b9c0f1b6a831c399e269772661'],
  ['abc', '900150983cd24fb0d6963f7d28e17f72'],
  ['message digest', 'f96b697d7cb7938d525a2f31aaf161d0'],
  ['abcdefghijklmnopqrstuvwxyz', 'c3fcd3d76192e4007dfb496cca67e13b'],
  ['ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789', 'd174ab98d277d9f5a5611c2c9f419d9f'],
  ['1234567890'.repeat(8), '57edf4a22be3c955ac49da2e2107b67a'],
];

/** Node's MD5 of a byte string, as 32 lowercase hex digits: the reference. */
export function md5Ref(bytes: string): string {
  return createHash('md5').update(Buffer.from(bytes, 'latin1')).digest('hex');
}

/** `length` pseudo-random bytes, the same for the same seed (SHA-256 of the seed and a counter). */
export function randomBytes(seed: number, length: number): string {
  let s = '';
  for (let i = 0; s.length < length; i++) s += createHash('sha256').update(`${seed}/${i}`).digest().toString('latin1');
  return s.substr(0, length);
}

/** Every byte value once, 0 to 255. */
export function allBytes(): string {
  let s = '';
  for (let i = 0; i < 256; i++) s += String.fromCharCode(i);
  return s;
}
