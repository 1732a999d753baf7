/**
 * The Blynk.Air OTA image (tools/ota-image.js, docs/ota-image.md): the bytes
 * of a tiny image as the format says, written by hand; a round trip; every
 * kind of corruption refused with its message; no image that would replace
 * the loader (`.bootcde`) or add a boot file; the command line; and the
 * images the build writes (`dist/<name>.ota`), which must hold exactly the
 * slot files of their manifest (`edgent.boot` first, not the loader) and the
 * tag values of their example's app.ts.
 */
import { strict as assert } from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import { pathToFileURL } from 'url';
import { buildImage, readImage, imageFromManifest, tagOfFirmware, main, BOOT_CODE, BLYNK_LIB_VERSION, type Tag, type ImageFile } from '../../tools/ota-image';
import { crc32 } from '../../lib/crc32';
import { BLYNK_LIB_VERSION as LIB_VERSION } from '../../lib/cloud';
import { interpreterPath, readManifest, skipUnlessInterpreter } from '../real/harness';

const ROOT = path.join(__dirname, '../..');
const OTA_IMAGE = path.join(ROOT, 'tools/ota-image.js');

/** The example of docs/ota-image.md. */
const TINY: Tag & { files: ImageFile[] } = {
  mcu: '0.1.0',
  fwType: 'TMPL4abcd123',
  build: '',
  blynk: '1.3.2',
  files: [
    { name: 'edgent.boot', data: Buffer.from('print("hi")', 'latin1') },
    { name: 'edgent.htm', data: Buffer.from('<p>ok</p>', 'latin1') },
  ],
};

/** Its bytes, written from the format by hand: hex, then what it says. */
const TINY_BYTES = Buffer.from(
  [
    '62 6c 6e 6b 69 6e 66 00', // "blnkinf\0"
    '6d 63 75 00', // "mcu\0"
    '30 2e 31 2e 30 00', // "0.1.0\0"
    '66 77 2d 74 79 70 65 00', // "fw-type\0"
    '54 4d 50 4c 34 61 62 63 64 31 32 33 00', // "TMPL4abcd123\0"
    '62 75 69 6c 64 00', // "build\0"
    '00', // "" (empty build), "\0"
    '62 6c 79 6e 6b 00', // "blynk\0"
    '31 2e 33 2e 32 00', // "1.3.2\0"
    '00', // end of the tag
    '65 64 67 6f 74 61 31 00', // "edgota1\0"
    '65 64 67 65 6e 74 2e 62 6f 6f 74 00', // "edgent.boot\0"
    '31 31 00', // "11\0": 11 bytes
    '34 36 66 35 63 64 63 34 00', // "46f5cdc4\0": CRC-32 of print("hi")
    '65 64 67 65 6e 74 2e 68 74 6d 00', // "edgent.htm\0"
    '39 00', // "9\0": 9 bytes
    '30 61 66 32 62 31 62 64 00', // "0af2b1bd\0": CRC-32 of <p>ok</p>, zero-padded
    '00', // end of the index
    '70 72 69 6e 74 28 22 68 69 22 29', // print("hi")
    '3c 70 3e 6f 6b 3c 2f 70 3e', // <p>ok</p>
  ].join(' ').split(' ').map((h) => parseInt(h, 16)),
);

/** The tiny image with its bytes (as latin1) changed by `edit`. */
function corrupt(edit: (s: string) => string): Buffer {
  return Buffer.from(edit(TINY_BYTES.toString('latin1')), 'latin1');
}

/** The bytes of the `hexdump -C` block of a markdown page. */
function hexdumpOf(markdown: string): Buffer {
  const block = /```hexdump\n([\s\S]*?)```/.exec(markdown);
  assert.ok(block, 'no ```hexdump block');
  const bytes: number[] = [];
  for (const line of block[1].trim().split('\n')) {
    const m = /^([0-9a-f]{8})((?: +[0-9a-f]{2})*)(?: +\|.*\|)?$/.exec(line);
    assert.ok(m, `not a hexdump -C line: ${line}`);
    assert.equal(parseInt(m[1], 16), bytes.length, `offset of: ${line}`);
    if (m[2]) bytes.push(...m[2].trim().split(/ +/).map((h) => parseInt(h, 16)));
  }
  return Buffer.from(bytes);
}

describe('OTA image', () => {
  describe('CRC-32', () => {
    it('lib/crc32.ts, zlib and the index agree on the check value of "123456789" and on the tiny image', () => {
      assert.equal(crc32('123456789'), 0xcbf43926);
      assert.equal(zlib.crc32(Buffer.from('123456789')), 0xcbf43926);
      const { files } = readImage(TINY_BYTES);
      assert.deepEqual(files.map((f) => f.crc), TINY.files.map((f) => crc32(f.data.toString('latin1'))));
    });

    describe("on the real interpreter (Espruino's E.CRC32)", () => {
      skipUnlessInterpreter('ESP8266');
      it('gives the same values: the device can check each file against the index', () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ota-crc-'));
        try {
          const script = path.join(dir, 'crc.js');
          fs.writeFileSync(script, 'print("CRC " + [E.CRC32("123456789"), E.CRC32(\'print("hi")\'), E.CRC32("<p>ok</p>")].join(" "));\n');
          const r = spawnSync(interpreterPath('ESP8266') as string, [script], { cwd: dir, encoding: 'latin1', timeout: 20000 });
          const m = /CRC (\d+) (\d+) (\d+)/.exec(r.stdout);
          assert.ok(m, r.stdout + r.stderr);
          assert.deepEqual(m.slice(1).map(Number), [0xcbf43926, ...readImage(TINY_BYTES).files.map((f) => f.crc)]);
        } finally {
          fs.rmSync(dir, { recursive: true, force: true });
        }
      });
    });
  });

  describe('the format', () => {
    it('the tiny image is, byte for byte, what the format says', () => {
      assert.equal(TINY_BYTES.length, 134);
      assert.deepEqual(buildImage(TINY), TINY_BYTES);
    });

    it('reads the tiny image: its tag, and each file with its size, CRC and offset', () => {
      assert.deepEqual(readImage(TINY_BYTES), {
        tag: { mcu: '0.1.0', fwType: 'TMPL4abcd123', build: '', blynk: '1.3.2' },
        files: [
          { name: 'edgent.boot', size: 11, crc: 0x46f5cdc4, offset: 114 },
          { name: 'edgent.htm', size: 9, crc: 0x0af2b1bd, offset: 125 },
        ],
      });
    });

    it('the example hexdump in docs/ota-image.md is the tiny image', () => {
      assert.deepEqual(hexdumpOf(fs.readFileSync(path.join(ROOT, 'docs/ota-image.md'), 'utf8')), TINY_BYTES);
    });

    it('round trip: what buildImage writes, readImage gives back, bodies at their offsets', () => {
      const files: ImageFile[] = [{ name: BOOT_CODE, data: Buffer.from('E.on("init",function(){})') }];
      for (let i = 0; i < 12; i++) files.push({ name: `f${i}`.padEnd(i === 11 ? 28 : 2 + i, 'x'), data: Buffer.from(Array.from({ length: 1 + i * 97 }, (_, k) => (k * 31 + i) & 255)) });
      const tag = { mcu: '2.10.0-rc.1', fwType: 'TMPL4rgbled1-esp8266', build: 'Dec  1 2026 12:00:00 \xe9', blynk: '1.3.2' };
      const image = buildImage({ ...tag, files });
      const read = readImage(image);
      assert.deepEqual(read.tag, tag);
      assert.deepEqual(read.files.map((f) => f.name), files.map((f) => f.name));
      for (const [i, f] of read.files.entries()) {
        assert.equal(f.size, files[i].data.length);
        assert.equal(f.crc, crc32(files[i].data.toString('latin1')));
        assert.deepEqual(image.subarray(f.offset, f.offset + f.size), files[i].data);
      }
      const last = read.files[read.files.length - 1];
      assert.equal(last.offset + last.size, image.length);
    });
  });

  describe('buildImage refuses what the format cannot hold', () => {
    const cases: Array<[string, Partial<Tag & { files: ImageFile[] }>, RegExp]> = [
      ['an empty mcu', { mcu: '' }, /tag mcu is empty/],
      ['an empty fw-type', { fwType: '' }, /tag fw-type is empty/],
      ['a NUL in a value', { build: 'a\0b' }, /tag build "a\\u0000b" contains NUL/],
      ['a character that is not one byte', { mcu: '1.0\u2013beta' }, /tag mcu .*\(not one byte\)/],
      ['a value that is not a string', { blynk: 1 as unknown as string }, /tag blynk must be a string, not number/],
      ['no files', { files: [] }, /no files/],
      ['a first file other than the boot code', { files: [TINY.files[1], TINY.files[0]] }, /first file must be the boot code "edgent\.boot", not "edgent\.htm"/],
      ['the loader .bootcde first (the layout before the slots)', { files: [{ name: '.bootcde', data: Buffer.from('print("hi")') }, TINY.files[1]] }, /file name "\.bootcde" is a file Espruino runs at boot \(\.boot…\): an update never writes the loader or boot files/],
      ['the loader .bootcde after the boot code', { files: [TINY.files[0], { name: '.bootcde', data: Buffer.from('load()') }] }, /file name "\.bootcde" is a file Espruino runs at boot/],
      ['another boot file (.boot0)', { files: [TINY.files[0], TINY.files[1], { name: '.boot0', data: Buffer.from('1') }] }, /file name "\.boot0" is a file Espruino runs at boot/],
      ['a name twice', { files: [TINY.files[0], TINY.files[1], TINY.files[1]] }, /"edgent\.htm" appears twice/],
      ['a name over 28 bytes', { files: [TINY.files[0], { name: 'x'.repeat(29), data: Buffer.from('1') }] }, /longer than 28 bytes/],
      ['an empty name', { files: [TINY.files[0], { name: '', data: Buffer.from('1') }] }, /file 2's name is empty/],
      ['a NUL in a name', { files: [TINY.files[0], { name: 'a\0b', data: Buffer.from('1') }] }, /contains NUL/],
      ['an empty file', { files: [TINY.files[0], { name: 'e', data: Buffer.alloc(0) }] }, /"e" is empty \(Storage refuses zero-length files\)/],
      ['data that is not a Buffer', { files: [{ name: BOOT_CODE, data: 'x' as unknown as Buffer }] }, /must be a Buffer/],
    ];
    for (const [what, change, message] of cases) {
      it(what, () => assert.throws(() => buildImage({ ...TINY, ...change }), (e: Error) => message.test(e.message) && e.message.startsWith('OTA image: ')));
    }
  });

  describe('readImage refuses every kind of corruption, saying which', () => {
    const cases: Array<[string, Buffer, RegExp]> = [
      ['an empty file', Buffer.alloc(0), /^OTA image: truncated tag \(0 bytes\)$/],
      ['a file cut inside the magic', TINY_BYTES.subarray(0, 5), /truncated tag \(5 bytes\)/],
      ['a file cut inside the tag', TINY_BYTES.subarray(0, 20), /truncated tag \(a field at byte 18 has no NUL\)/],
      ['a file cut before the end of the tag', TINY_BYTES.subarray(0, 0x3a), /truncated tag \(no NUL after its last entry\)/],
      ['another kind of file', Buffer.from('PK\x03\x04 a zip file', 'latin1'), /bad tag magic: not an OTA image/],
      ['a tag key out of place', corrupt((s) => s.replace('fw-type', 'fw_type')), /tag key "fw_type" where "fw-type" belongs/],
      ['a tag key missing', corrupt((s) => s.replace('blynk\x001.3.2\0', '')), /tag ends before key "blynk"/],
      ['a tag key too many', corrupt((s) => s.replace('1.3.2\0', '1.3.2\0dev\0ESP32\0')), /tag goes on after "blynk" \(key "dev"\)/],
      ['an empty mcu', corrupt((s) => s.replace('0.1.0', '')), /tag mcu is empty/],
      ['an empty fw-type', corrupt((s) => s.replace('TMPL4abcd123', '')), /tag fw-type is empty/],
      ['a file cut after the tag', TINY_BYTES.subarray(0, 0x3b), /truncated index \(59 bytes\)/],
      ['a file cut inside the index', TINY_BYTES.subarray(0, 0x53), /truncated index \(a field at byte 82 has no NUL\)/],
      ['a file cut before the end of the index', TINY_BYTES.subarray(0, 0x71), /truncated index \(no NUL after its last entry\)/],
      ['another index version', corrupt((s) => s.replace('edgota1', 'edgota2')), /bad index magic: no index "edgota1\\0"/],
      ['an index with no files', corrupt((s) => s.slice(0, 0x43) + '\0'), /the index lists no files/],
      ['a size with a leading zero', corrupt((s) => s.replace('\x0011\0', '\x00011\0')), /bad size "011" of "edgent\.boot"/],
      ['a size of zero', corrupt((s) => s.replace('\x009\0', '\x000\0')), /bad size "0" of "edgent\.htm"/],
      ['a size that is not decimal', corrupt((s) => s.replace('\x0011\0', '\x000xb\0')), /bad size "0xb"/],
      ['an empty size', corrupt((s) => s.replace('\x009\0', '\0\0')), /bad size ""/],
      ['a size past 2^53', corrupt((s) => s.replace('\x009\0', '\x009999999999999999\0')), /bad size "9999999999999999"/],
      ['a CRC in upper case', corrupt((s) => s.replace('46f5cdc4', '46F5CDC4')), /bad CRC "46F5CDC4" of "edgent\.boot" \(8 lowercase hex digits\)/],
      ['a CRC of 7 digits', corrupt((s) => s.replace('0af2b1bd', 'af2b1bd')), /bad CRC "af2b1bd" of "edgent\.htm"/],
      ['a name over 28 bytes', corrupt((s) => s.replace('edgent.htm', 'x'.repeat(29))), /file name "x{29}" is longer than 28 bytes/],
      ['a name twice', corrupt((s) => s.replace('edgent.htm\0', 'edgent.boot\0')), /file name "edgent\.boot" appears twice/],
      ['a first file other than the boot code', corrupt((s) => s.replace('edgent.boot', 'edgent.bool')), /first file must be the boot code "edgent\.boot", not "edgent\.bool"/],
      ['the loader .bootcde first (an image of the layout before the slots)', corrupt((s) => s.replace('edgent.boot\0', '.bootcde\0')), /file name "\.bootcde" is a file Espruino runs at boot \(\.boot…\): an update never writes the loader or boot files/],
      ['the loader .bootcde after the boot code', corrupt((s) => s.replace('edgent.htm\0', '.bootcde\0')), /file name "\.bootcde" is a file Espruino runs at boot/],
      ['another boot file (.bootrst)', corrupt((s) => s.replace('edgent.htm\0', '.bootrst\0')), /file name "\.bootrst" is a file Espruino runs at boot/],
      ['bodies cut short', TINY_BYTES.subarray(0, TINY_BYTES.length - 1), /truncated bodies: the index lists 20 bytes, 19 follow it/],
      ['bytes after the last body', Buffer.concat([TINY_BYTES, Buffer.from('\n')]), /trailing bytes: 1 after the last body/],
      ['a body changed', corrupt((s) => s.replace('"hi"', '"ho"')), /CRC mismatch in "edgent\.boot": the index says 46f5cdc4, the body has [0-9a-f]{8}/],
      ['a CRC changed', corrupt((s) => s.replace('0af2b1bd', '0af2b1be')), /CRC mismatch in "edgent\.htm": the index says 0af2b1be, the body has 0af2b1bd/],
      ['bodies swapped', corrupt((s) => s.slice(0, 114) + '<p>ok</p>' + 'print("hi")'), /CRC mismatch in "edgent\.boot"/],
    ];
    for (const [what, bytes, message] of cases) {
      it(what, () => assert.throws(() => readImage(bytes), (e: Error) => message.test(e.message) && e.message.startsWith('OTA image: ')));
    }
  });

  describe('from a deployment manifest', () => {
    let dir: string;
    /** The loader, the manifest's bootCode: picks the slot and runs its edgent.boot (no createEdgent options in it). */
    const LOADER = 'eval(require("Storage").read("edgent.boot"));';
    /**
     * Writes a manifest of the slot layout and its files into the temporary directory: the loader as
     * bootCode, `firmware` (fw.js) as Storage edgent.boot, first, then `storage`. `firmware` null: the
     * library module's (no boot code, no edgent.boot). Returns the manifest's path.
     */
    function fixture(firmware: string | null, storage: Record<string, string> = { 'edgent.htm': '<p>ok</p>' }): string {
      const names: Record<string, string> = {};
      if (firmware !== null) {
        fs.writeFileSync(path.join(dir, 'fw.js'), firmware, 'latin1');
        fs.writeFileSync(path.join(dir, 'loader.js'), LOADER, 'latin1');
        names['edgent.boot'] = 'fw.js';
      }
      for (const [name, text] of Object.entries(storage)) {
        names[name] = name.replace(/^\./, '_') + '.bin';
        fs.writeFileSync(path.join(dir, names[name]), text, 'latin1');
      }
      return manifest({ board: 'ESP32', bootCode: firmware === null ? null : 'loader.js', storage: names });
    }
    /** Writes `m` as the manifest fw.files.json; returns its path. */
    function manifest(m: { board: string; bootCode: string | null; storage: Record<string, string> }): string {
      const file = path.join(dir, 'fw.files.json');
      fs.writeFileSync(file, JSON.stringify(m));
      return file;
    }
    beforeEach(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ota-image-'));
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    const FIRMWARE = 'var d=function(o,b){return o}({templateId:"TMPL4abcd123",templateName:"My Device",fwVersion:"0.1.0"},{});';

    it('holds the slot\'s files, edgent.boot first, the other Storage files in manifest order, not the loader; its tag what edgent.boot announces', () => {
      const image = imageFromManifest(fixture(FIRMWARE, { 'edgent.htm': '<p>ok</p>', 'edgent.ca': '\x30\x82\xff' }));
      const { tag, files } = readImage(image);
      assert.deepEqual(tag, { mcu: '0.1.0', fwType: 'TMPL4abcd123', build: '', blynk: BLYNK_LIB_VERSION });
      assert.deepEqual(files.map((f) => f.name), [BOOT_CODE, 'edgent.htm', 'edgent.ca']);
      assert.equal(BOOT_CODE, 'edgent.boot');
      assert.deepEqual(image.subarray(files[0].offset, files[0].offset + files[0].size).toString('latin1'), FIRMWARE);
      assert.deepEqual(image.subarray(files[2].offset), Buffer.from([0x30, 0x82, 0xff]));
      assert.ok(!image.includes(LOADER), 'the loader is not in the image');
    });

    it('puts edgent.boot first when the manifest lists it later, the others keeping their order', () => {
      fixture(FIRMWARE, { 'edgent.htm': '<p>ok</p>', 'edgent.ca': 'ca' });
      const file = manifest({ board: 'ESP8266', bootCode: 'loader.js', storage: { 'edgent.htm': 'edgent.htm.bin', 'edgent.boot': 'fw.js', 'edgent.ca': 'edgent.ca.bin' } });
      assert.deepEqual(readImage(imageFromManifest(file)).files.map((f) => f.name), ['edgent.boot', 'edgent.htm', 'edgent.ca']);
    });

    it('the values given replace what the firmware announces', () => {
      const { tag } = readImage(imageFromManifest(fixture(FIRMWARE), { mcu: '0.2.0', build: 'b7' }));
      assert.deepEqual(tag, { mcu: '0.2.0', fwType: 'TMPL4abcd123', build: 'b7', blynk: BLYNK_LIB_VERSION });
    });

    it('needs every value when edgent.boot has no options it can read', () => {
      const file = fixture('print("no options")');
      assert.throws(() => imageFromManifest(file, { mcu: '1.0.0', fwType: 'T' }), /fw\.js \(Storage "edgent\.boot"\): found no createEdgent options .*: give mcu, fwType and build/);
      assert.deepEqual(readImage(imageFromManifest(file, { mcu: '1.0.0', fwType: 'T', build: '' })).tag, { mcu: '1.0.0', fwType: 'T', build: '', blynk: '1.3.2' });
    });

    it('refuses the library module\'s manifest (no boot code), and a file it names that is missing', () => {
      assert.throws(() => imageFromManifest(fixture(null)), /has no boot code: an OTA image is a whole firmware/);
      const file = fixture(FIRMWARE);
      fs.rmSync(path.join(dir, 'edgent.htm.bin'));
      assert.throws(() => imageFromManifest(file), /edgent\.htm\.bin \(Storage "edgent\.htm"\) not found: run npm run build first/);
      assert.throws(() => imageFromManifest(path.join(dir, 'none.files.json')), /none\.files\.json not found/);
    });

    it('refuses a manifest of the layout before the slots: the firmware as bootCode, no edgent.boot', () => {
      fixture(FIRMWARE);
      const file = manifest({ board: 'ESP8266', bootCode: 'fw.js', storage: { 'edgent.htm': 'edgent.htm.bin' } });
      assert.throws(() => imageFromManifest(file), /deployment manifest .*fw\.files\.json has no edgent\.boot: not a slot firmware/);
    });

    it('refuses a manifest whose Storage holds a boot file: an update never replaces the loader', () => {
      assert.throws(() => imageFromManifest(fixture(FIRMWARE, { 'edgent.htm': '<p>ok</p>', '.boot0': 'print(1)' })), /^Error: OTA image: file name "\.boot0" is a file Espruino runs at boot/);
      // .bootcde itself: the manifest is refused before (tools/flash.js: the loader is bootCode).
      assert.throws(() => imageFromManifest(fixture(FIRMWARE, { '.bootcde': LOADER })), /Storage name "\.bootcde" is the boot code: use "bootCode"/);
    });
  });

  describe('what a firmware announces (tagOfFirmware)', () => {
    it('fw-type is fwType when the product sets it, build its build', () => {
      assert.deepEqual(tagOfFirmware('f({"templateId":"TMPL1","fwVersion":"3.0.0",fwType:"lamp",build:"2026-12-01"})'), {
        mcu: '3.0.0', fwType: 'lamp', build: '2026-12-01', blynk: '1.3.2',
      });
    });

    it('refuses code with no such options, with two, or with a build it cannot read', () => {
      assert.throws(() => tagOfFirmware('f({templateId:"T"})'), /found no createEdgent options/);
      assert.throws(() => tagOfFirmware('f({templateId:"T",fwVersion:"1"});f({templateId:"U",fwVersion:"2"})'), /found several createEdgent options/);
      assert.throws(() => tagOfFirmware('f({templateId:"T",fwVersion:"1",build:D})'), /option build is not a string literal/);
    });

    it('announces the library version the device sends (lib/cloud.ts)', () => {
      assert.equal(BLYNK_LIB_VERSION, LIB_VERSION);
    });
  });

  describe('the command line', () => {
    let dir: string;
    let io: { out: (s: string) => void; err: (s: string) => void };
    let out: string;
    let err: string;
    beforeEach(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ota-cli-'));
      out = err = '';
      io = { out: (s) => (out += s), err: (s) => (err += s) };
      fs.writeFileSync(path.join(dir, 'fw.js'), 'f({templateId:"TMPL4abcd123",fwVersion:"0.1.0"})');
      fs.writeFileSync(path.join(dir, 'page.html'), '<p>ok</p>');
      fs.writeFileSync(path.join(dir, 'loader.js'), 'eval(require("Storage").read("edgent.boot"))');
      fs.writeFileSync(path.join(dir, 'lamp.files.json'), JSON.stringify({ board: 'ESP8266', bootCode: 'loader.js', storage: { 'edgent.boot': 'fw.js', 'edgent.htm': 'page.html' } }));
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it('writes <name>.ota next to the manifest and prints its tag and files', () => {
      assert.equal(main([path.join(dir, 'lamp.files.json')], io), 0, err);
      const image = fs.readFileSync(path.join(dir, 'lamp.ota'));
      assert.deepEqual(readImage(image).tag, { mcu: '0.1.0', fwType: 'TMPL4abcd123', build: '', blynk: '1.3.2' });
      assert.match(out, /^ota-image: wrote .*lamp\.ota \(\d+ bytes\): mcu "0\.1\.0", fw-type "TMPL4abcd123", build "", blynk "1\.3\.2"\n/);
      assert.match(out, /^ {2}edgent\.boot +48 bytes {2}crc [0-9a-f]{8}$/m);
      assert.doesNotMatch(out, /bootcde/);
      assert.match(out, /^ {2}edgent\.htm +9 bytes {2}crc 0af2b1bd$/m);
      assert.equal(err, '');
    });

    it('--mcu, --fw-type, --build (also as --opt=value) and --out; a value unlike the firmware\'s is written with a warning', () => {
      const file = path.join(dir, 'x', 'lamp-0.2.0.ota');
      fs.mkdirSync(path.dirname(file));
      assert.equal(main([path.join(dir, 'lamp.files.json'), '--mcu', '0.2.0', '--fw-type=TMPL4abcd123', '--build', '', '--out', file], io), 0, err);
      assert.deepEqual(readImage(fs.readFileSync(file)).tag, { mcu: '0.2.0', fwType: 'TMPL4abcd123', build: '', blynk: '1.3.2' });
      assert.match(err, /warning: the tag's mcu is "0\.2\.0", the firmware announces "0\.1\.0": the device will report that after the update/);
      assert.doesNotMatch(err, /fw-type|build/);
    });

    it('bad arguments: the reason and a usage line, exit status 2, nothing written', () => {
      const manifest = path.join(dir, 'lamp.files.json');
      for (const argv of [[], ['--mcu', '1.0'], [manifest, '--mcu'], [manifest, '--mcu', '--out', 'x'], [manifest, '--board', 'esp32'], [manifest, manifest]]) {
        err = '';
        assert.equal(main(argv, io), 2, argv.join(' '));
        assert.match(err, /^ota-image: .+\nUsage: node tools\/ota-image\.js <manifest\.files\.json> \[--mcu VERSION\]/, argv.join(' '));
      }
      assert.ok(!fs.existsSync(path.join(dir, 'lamp.ota')));
    });

    it('no image (a value the format cannot hold, a manifest missing or of the layout before the slots): the reason, exit status 1', () => {
      assert.equal(main([path.join(dir, 'lamp.files.json'), '--fw-type', ''], io), 1);
      assert.match(err, /^ota-image: OTA image: tag fw-type is empty\n$/);
      assert.ok(!fs.existsSync(path.join(dir, 'lamp.ota')));
      assert.equal(main([path.join(dir, 'none.files.json')], io), 1);
      assert.match(err, /none\.files\.json not found/);
      err = '';
      fs.writeFileSync(path.join(dir, 'old.files.json'), JSON.stringify({ board: 'ESP8266', bootCode: 'fw.js', storage: { 'edgent.htm': 'page.html' } }));
      assert.equal(main([path.join(dir, 'old.files.json')], io), 1);
      assert.match(err, /^ota-image: deployment manifest .*old\.files\.json has no edgent\.boot: not a slot firmware/);
      assert.ok(!fs.existsSync(path.join(dir, 'old.ota')));
    });

    it('runs as a script: exit status 2 on bad arguments, 0 when written', () => {
      const bad = spawnSync(process.execPath, [OTA_IMAGE, '--nope'], { encoding: 'utf8' });
      assert.equal(bad.status, 2);
      assert.match(bad.stderr, /^ota-image: unexpected argument "--nope"\nUsage: /);
      const good = spawnSync(process.execPath, [OTA_IMAGE, path.join(dir, 'lamp.files.json')], { encoding: 'utf8' });
      assert.equal(good.status, 0, good.stderr);
      assert.ok(fs.existsSync(path.join(dir, 'lamp.ota')));
    });
  });

  describe('the build', () => {
    let bundles: Array<{ input: string; file: string; board?: string }>;
    let storageFiles: Record<string, string>;
    before(async function () {
      if (!fs.existsSync(path.join(ROOT, 'dist/esp32.ota'))) this.skip();
      ({ BUNDLES: bundles, STORAGE_FILES: storageFiles } = await import(pathToFileURL(path.join(ROOT, 'rollup.config.mjs')).href));
    });

    /** The createEdgent option `key` of an example's app.ts (a string literal). */
    function optionOf(app: string, key: string): string {
      const m = new RegExp(`^\\s*${key}: '([^']*)',?$`, 'm').exec(app);
      assert.ok(m, `no ${key} in the example`);
      return m[1];
    }

    /** Checks the tag of an image of bundle `b` against its example's app.ts. */
    function assertTagOfApp(tag: Tag, b: { input: string; file: string }): void {
      const app = fs.readFileSync(path.join(ROOT, path.dirname(b.input), 'app.ts'), 'utf8');
      // The examples set no fwType and no build: the device announces the template id and ''.
      assert.doesNotMatch(app, /^\s*(fwType|build):/m, b.input);
      assert.deepEqual(tag, { mcu: optionOf(app, 'fwVersion'), fwType: optionOf(app, 'templateId'), build: '', blynk: LIB_VERSION }, b.file);
    }

    it('writes dist/<name>.ota for every firmware: the slot\'s files of its manifest (edgent.boot, the bundle, first; not the loader), byte for byte, and the tag of its example\'s app.ts', function () {
      const firmwares = bundles.filter((b) => b.board);
      assert.equal(firmwares.length, 6);
      const manifestOf = (b: { file: string }) => path.join(ROOT, b.file.replace(/\.js$/, '.files.json'));
      // dist/ built before the slot layout (the firmware as bootCode) has images of the old format: build again.
      if (firmwares.some((b) => !JSON.parse(fs.readFileSync(manifestOf(b), 'utf8')).storage[BOOT_CODE])) this.skip();
      for (const b of firmwares) {
        const image = fs.readFileSync(path.join(ROOT, b.file.replace(/\.js$/, '.ota')));
        const { tag, files } = readImage(image);
        // What a flash writes: the loader as .bootcde, then the Storage files; an image holds the latter only.
        const slot = readManifest(manifestOf(b)).files.filter((f) => f.name !== '.bootcde');
        assert.deepEqual(files.map((f) => f.name), slot.map((f) => f.name), b.file);
        assert.equal(files[0].name, BOOT_CODE, b.file);
        assert.deepEqual(slot[0].data, fs.readFileSync(path.join(ROOT, b.file)), `${b.file}: edgent.boot is the bundle`);
        for (const [i, f] of files.entries()) {
          const data = slot[i].data;
          assert.deepEqual(image.subarray(f.offset, f.offset + f.size), data, `${b.file}: ${f.name}`);
          assert.equal(f.crc, crc32(data.toString('latin1')), `${b.file}: ${f.name}`);
        }
        assertTagOfApp(tag, b);
      }
    });

    it('the built firmwares in the slot layout (manifests written in a temporary directory): edgent.boot, the Storage files, the tag of app.ts', () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ota-slot-'));
      try {
        fs.writeFileSync(path.join(dir, 'edgent-loader.js'), 'eval(require("Storage").read("edgent.boot"));');
        const dist = (f: string) => path.join(ROOT, 'dist', f);
        const others = Object.entries(storageFiles).filter(([name]) => name !== BOOT_CODE);
        for (const b of bundles.filter((x) => x.board)) {
          const storage = Object.fromEntries([[BOOT_CODE, dist(path.basename(b.file))], ...others.map(([name, f]) => [name, dist(f)])]);
          const file = path.join(dir, path.basename(b.file).replace(/\.js$/, '.files.json'));
          fs.writeFileSync(file, JSON.stringify({ board: b.board, bootCode: 'edgent-loader.js', storage }));
          const image = imageFromManifest(file);
          const { tag, files } = readImage(image);
          assert.deepEqual(files.map((f) => f.name), [BOOT_CODE, ...others.map(([name]) => name)], b.file);
          for (const f of files) assert.deepEqual(image.subarray(f.offset, f.offset + f.size), fs.readFileSync(storage[f.name]), `${b.file}: ${f.name}`);
          assertTagOfApp(tag, b);
        }
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });

    it('writes no image for the library module, which has no boot code', () => {
      assert.ok(!fs.existsSync(path.join(ROOT, 'dist/espruino-edgent.ota')));
    });
  });
});
