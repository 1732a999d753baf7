import { strict as assert } from 'assert';
import zlib from 'zlib';
import { AP_SUFFIX_ALPHABET, apSsid, apSuffix, validatePrefix } from '../../lib/apname';
import { fromUtf8, utf8 } from './helpers';

// Independent reference: node's zlib CRC-32 (chained like zlib) and a
// port of the reference firmware's encodeUniquePart.
const ALPHA = '0W8N4Y1HP5DF9K6JM3C2UA7R';

function macBytes(mac: string, esp32 = false): Buffer {
  const b = Buffer.from(mac.split(':').map((x) => parseInt(x, 16)));
  return esp32 ? Buffer.concat([b, Buffer.from([0, 0])]) : b;
}

function refUnique(chip: Buffer): number {
  let u = 0;
  for (let i = 0; i < 4; i++) u = zlib.crc32(chip, u);
  return u;
}

/** Raw base-24 digits, least significant first, before the repeat rule. */
function rawDigits(n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < 4; i++) {
    out.push(n % 24);
    n = (n - (n % 24)) / 24;
  }
  return out;
}

function refSuffix(chip: Buffer): string {
  let prev = '';
  let s = '';
  for (const d of rawDigits(refUnique(chip))) {
    let c = ALPHA[d];
    if (c === prev) c = ALPHA[(d + 1) % 24];
    s += c;
    prev = c;
  }
  return s;
}

/** Reference SSID over JS strings: truncate the UTF-8 name by bytes, dropping a split char. */
function refSsid(prefix: string, name: string, chip: Buffer): string {
  const limit = 31 - 6 - prefix.length;
  let bytes = Buffer.from(name, 'utf8');
  if (bytes.length > limit) {
    let cut = limit;
    while (cut > 0 && (bytes[cut] & 0xc0) === 0x80) cut--;
    bytes = bytes.subarray(0, cut);
  }
  return prefix + ' ' + bytes.toString('utf8') + '-' + refSuffix(chip);
}

const MACS = ['5C:CF:7F:00:11:22', 'A4:CF:12:DE:AD:01', '24:0A:C4:12:34:56', '30:AE:A4:FF:00:7E', 'EC:FA:BC:01:02:03', '00:00:00:00:00:00', 'FF:FF:FF:FF:FF:FF'];

describe('access point SSID (contract §2)', () => {
  it('uses the contract alphabet, base 24', () => {
    assert.equal(AP_SUFFIX_ALPHABET, ALPHA);
    assert.equal(new Set(ALPHA).size, 24);
  });

  for (const mac of MACS) {
    it('ESP8266 MAC ' + mac + ' → same SSID as the reference', () => {
      const chip = macBytes(mac);
      const want = refSsid('Blynk', 'My Device', chip);
      assert.equal(apSsid({ prefix: 'Blynk', templateName: 'My Device', chipId: chip.toString('latin1') }), want);
      assert.match(want, /^Blynk My Device-[0W8N4Y1HP5DF9K6JM3C2UA7R]{4}$/);
    });
    it('ESP32 efuse value of ' + mac + ' (MAC + 2 zero bytes) → same SSID as the reference', () => {
      const chip = macBytes(mac, true);
      assert.equal(chip.length, 8);
      assert.equal(apSuffix(chip.toString('latin1')), refSuffix(chip));
    });
  }

  it('pins golden SSIDs (so a change of the CRC or encoding cannot go unnoticed)', () => {
    const golden: Array<[string, string]> = [
      ['5C:CF:7F:00:11:22', 'P8D5'], ['A4:CF:12:DE:AD:01', 'W863'], ['24:0A:C4:12:34:56', '2U07'],
      ['30:AE:A4:FF:00:7E', '3R9R'], ['EC:FA:BC:01:02:03', '3W0R']
    ];
    for (const [mac, suffix] of golden) {
      assert.equal(apSsid({ prefix: 'Blynk', templateName: 'My Device', chipId: macBytes(mac).toString('latin1') }), 'Blynk My Device-' + suffix);
    }
  });

  it('different chips get different suffixes', () => {
    const seen = new Set(MACS.map((m) => apSuffix(macBytes(m).toString('latin1'))));
    assert.equal(seen.size, MACS.length);
  });

  it('applies the repeated-digit rule (found by search over MACs)', () => {
    let found: Buffer | null = null;
    for (let i = 0; i < 100000 && !found; i++) {
      const chip = Buffer.from([0x5c, 0xcf, 0x7f, (i >> 16) & 255, (i >> 8) & 255, i & 255]);
      const d = rawDigits(refUnique(chip));
      if (d[1] === d[0]) found = chip;
    }
    assert.ok(found, 'a MAC with equal first two digits exists');
    const d = rawDigits(refUnique(found!));
    const naive = d.map((x) => ALPHA[x]).join('');
    const got = apSuffix(found!.toString('latin1'));
    assert.equal(got, refSuffix(found!));
    assert.notEqual(got, naive);
    assert.equal(got[0], ALPHA[d[0]]);
    assert.equal(got[1], ALPHA[(d[1] + 1) % 24], 'second digit replaced by the next alphabet entry');
    for (let i = 1; i < 4; i++) assert.notEqual(got[i], got[i - 1]);
  });

  it('compares with the previously emitted (replaced) char, not the raw digit', () => {
    // Search a chip whose raw digits are a, a, a+1: the rule turns the second into a+1,
    // and the third then equals the emitted second and becomes a+2.
    let found: Buffer | null = null;
    for (let i = 0; i < 2000000 && !found; i++) {
      const chip = Buffer.from([0x24, 0x0a, 0xc4, (i >> 16) & 255, (i >> 8) & 255, i & 255]);
      const d = rawDigits(refUnique(chip));
      if (d[1] === d[0] && d[2] === (d[0] + 1) % 24) found = chip;
    }
    assert.ok(found);
    const d = rawDigits(refUnique(found!));
    const got = apSuffix(found!.toString('latin1'));
    assert.equal(got.slice(0, 3), ALPHA[d[0]] + ALPHA[(d[0] + 1) % 24] + ALPHA[(d[0] + 2) % 24]);
    assert.equal(got, refSuffix(found!));
  });

  it('truncates a long template name to 31 − 6 − len(prefix) bytes; total ≤ 31', () => {
    const chip = macBytes(MACS[0]).toString('latin1');
    const name = 'Greenhouse Climate Controller Pro Max';
    const s = apSsid({ prefix: 'Blynk', templateName: name, chipId: chip });
    assert.equal(s, 'Blynk ' + name.slice(0, 20) + '-' + apSuffix(chip));
    assert.equal(s.length, 31);
    const s2 = apSsid({ prefix: 'ACME Industrial Ltd', templateName: name, chipId: chip });
    assert.equal(s2, 'ACME Industrial Ltd ' + name.slice(0, 6) + '-' + apSuffix(chip));
    assert.equal(s2.length, 31);
    assert.equal(apSsid({ prefix: 'Blynk', templateName: 'x'.repeat(20), chipId: chip }).length, 31);
    assert.equal(apSsid({ prefix: 'Blynk', templateName: '', chipId: chip }), 'Blynk -' + apSuffix(chip));
  });

  it('keeps a UTF-8 template name intact when it fits', () => {
    const chip = macBytes(MACS[1]);
    const name = 'Température ☀';
    const s = apSsid({ prefix: 'Blynk', templateName: utf8(name), chipId: chip.toString('latin1') });
    assert.equal(fromUtf8(s), refSsid('Blynk', name, chip));
    assert.equal(fromUtf8(s), 'Blynk ' + name + '-' + refSuffix(chip));
  });

  it('never cuts a UTF-8 char in half when truncating', () => {
    const chip = macBytes(MACS[2]);
    for (let pad = 0; pad < 8; pad++) {
      for (const ch of ['é', '€', '😀']) {
        const name = 'a'.repeat(pad) + ch.repeat(12);
        const s = apSsid({ prefix: 'Blynk', templateName: utf8(name), chipId: chip.toString('latin1') });
        assert.ok(s.length <= 31, 'bytes ' + s.length);
        assert.ok(s.length >= 31 - 3, 'drops at most one partial char');
        const text = fromUtf8(s);
        assert.ok(!text.includes('\uFFFD'), 'valid UTF-8: ' + JSON.stringify(text));
        assert.equal(text, refSsid('Blynk', name, chip));
      }
    }
  });

  it('throws TypeError for an invalid prefix', () => {
    assert.throws(() => apSsid({ prefix: '', templateName: 'x', chipId: 'abcdef' }), TypeError);
    assert.throws(() => apSsid({ prefix: 'Bad-Prefix', templateName: 'x', chipId: 'abcdef' }), TypeError);
  });

  it('validates prefixes: 1..20 letters, digits, spaces', () => {
    for (const p of ['Blynk', 'A', 'My Brand 2', 'x'.repeat(20), '   ', '0123456789']) assert.equal(validatePrefix(p), true, p);
    for (const p of ['', 'x'.repeat(21), 'Blynk-', 'Blynk_', 'Tëst', 'a.b', 'tab\t', 'new\nline', utf8('Ölçer')]) {
      assert.equal(validatePrefix(p), false, JSON.stringify(p));
    }
    assert.equal(validatePrefix(undefined as unknown as string), false);
  });
});
