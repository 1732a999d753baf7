#!/usr/bin/env node
// @ts-check
/**
 * OTA images for Blynk.Air (docs/ota-image.md): the one file per firmware a
 * maker uploads to the Blynk console. A firmware here is several Storage files
 * (its deployment manifest, `dist/<name>.files.json`): the files of one
 * firmware slot, its boot code `edgent.boot` first, which the device's loader
 * (`.bootcde`, the manifest's `bootCode`) picks and runs. An update writes a
 * slot and never the loader, so the image holds the slot's files alone:
 *   1. the tag Blynk's cloud reads the firmware's identity from, as Blynk's
 *      Edgent firmware embeds it: "blnkinf\0", the pairs mcu, fw-type, build,
 *      blynk as "key\0value\0", one more "\0";
 *   2. the index: "edgota1\0", per file "name\0size\0crc\0" (size in decimal,
 *      CRC-32 as 8 lowercase hex digits), one more "\0": the manifest's Storage
 *      files in manifest order, the boot code "edgent.boot" first; never the
 *      loader, nor any file Espruino runs at boot (".boot…");
 *   3. the bodies: every file's bytes in index order, nothing after the last.
 * Strings are byte strings (latin1), as the board holds and sends them.
 *
 * `buildImage` writes one, `readImage` checks one (every field, the sizes
 * against the length, every CRC) and says what is wrong; `imageFromManifest`
 * makes the image of a manifest, its tag by default what the firmware
 * announces to the cloud (`tagOfFirmware`: the `createEdgent` options in its
 * boot code `edgent.boot`, and the library version). The build writes
 * `dist/<name>.ota` next to every firmware's manifest this way
 * (rollup.config.mjs).
 *
 *   node tools/ota-image.js <manifest.files.json> [--mcu VERSION] [--fw-type TYPE]
 *                           [--build TEXT] [--out FILE]
 * writes the image (default: the manifest's name with .ota for .files.json)
 * and prints its tag and files. Exit status: 0 written; 1 no image (a file
 * missing, a value the format cannot hold); 2 bad arguments.
 */
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const zlib = require('node:zlib');
const acorn = require('acorn');
const walk = require('acorn-walk');
const { readManifest } = require('./flash');

/** Start of the tag (of the `firmwareTag` in Blynk's Edgent firmware). */
const TAG_MAGIC = 'blnkinf\0';
/** The tag's keys, in their order: tag field -> key in the image. */
const TAG_KEYS = /** @type {const} */ ([
  ['mcu', 'mcu'],
  ['fwType', 'fw-type'],
  ['build', 'build'],
  ['blynk', 'blynk'],
]);
/** Start of the index (format version 1). */
const INDEX_MAGIC = 'edgota1\0';
/** The firmware's boot code in its slot: the image's first file, which the loader runs. */
const BOOT_CODE = 'edgent.boot';
/**
 * Start of the Storage files Espruino runs at boot (`.bootcde`, the loader; `.boot0`…): no image holds
 * one, so an update can neither replace the loader nor add code that runs before it.
 */
const BOOT_PREFIX = '.boot';
/** Longest Storage file name (Espruino 2v05 and later). */
const NAME_MAX = 28;
/** Library version the device announces as `blynk` (lib/cloud.ts BLYNK_LIB_VERSION; a test keeps them equal). */
const BLYNK_LIB_VERSION = '1.3.2';

/** Exit statuses. */
const EXIT_OK = 0;
const EXIT_FAILED = 1;
const EXIT_USAGE = 2;

/**
 * @typedef {object} Tag what the cloud reads from the image
 * @property {string} mcu firmware version (`fwVersion`)
 * @property {string} fwType firmware type (`fwType`, by default the template id)
 * @property {string} build build date string ('' when the firmware sets none)
 * @property {string} blynk library version
 */
/** @typedef {{ name: string, data: Buffer }} ImageFile */
/** @typedef {{ name: string, size: number, crc: number, offset: number }} ImageEntry */

/**
 * CRC-32 of `data`: zlib's, which is Espruino's E.CRC32 and lib/crc32.ts.
 * @param {Uint8Array} data
 * @returns {number}
 */
function crc32(data) {
  if (typeof zlib.crc32 !== 'function') throw new Error('OTA images need Node.js 20.15 or later (zlib.crc32)');
  return zlib.crc32(data);
}

/**
 * Checks one string the image holds: bytes 1..255 only (NUL ends a field).
 * @param {unknown} value
 * @param {string} what for messages
 * @param {boolean} required true: may not be empty
 * @returns {string}
 */
function checkText(value, what, required) {
  if (typeof value !== 'string') throw new Error(`OTA image: ${what} must be a string, not ${typeof value}`);
  if (required && !value) throw new Error(`OTA image: ${what} is empty`);
  if (value.includes('\0')) throw new Error(`OTA image: ${what} ${JSON.stringify(value)} contains NUL, which ends a field`);
  if (/[^\x01-\xff]/.test(value)) throw new Error(`OTA image: ${what} ${JSON.stringify(value)} has a character the board cannot hold (not one byte)`);
  return value;
}

/**
 * Checks the tag values: mcu and fw-type non-empty, none with NUL.
 * @param {Tag} tag
 */
function checkTag(tag) {
  for (const [field, key] of TAG_KEYS) checkText(tag[field], `tag ${key}`, field === 'mcu' || field === 'fwType');
}

/**
 * Checks the name of the `i`th file: the first is the boot code, no name is a boot file (".boot…"),
 * names are 1..28 bytes and unique.
 * @param {unknown} name
 * @param {number} i
 * @param {Set<string>} seen the names before it (`name` is added)
 */
function checkName(name, i, seen) {
  const n = checkText(name, `file ${i + 1}'s name`, true);
  if (n.length > NAME_MAX) throw new Error(`OTA image: file name ${JSON.stringify(n)} is longer than ${NAME_MAX} bytes (Storage's limit)`);
  if (seen.has(n)) throw new Error(`OTA image: file name ${JSON.stringify(n)} appears twice`);
  if (n.startsWith(BOOT_PREFIX))
    throw new Error(`OTA image: file name ${JSON.stringify(n)} is a file Espruino runs at boot (${BOOT_PREFIX}…): an update never writes the loader or boot files`);
  if (i === 0 && n !== BOOT_CODE) throw new Error(`OTA image: the first file must be the boot code ${JSON.stringify(BOOT_CODE)}, not ${JSON.stringify(n)}`);
  seen.add(n);
}

/**
 * The image of a firmware.
 * @param {Tag & { files: ImageFile[] }} image the tag values and the slot's files, the boot code ("edgent.boot") first
 * @returns {Buffer}
 */
function buildImage(image) {
  checkTag(image);
  const { files } = image;
  if (!Array.isArray(files) || !files.length) throw new Error('OTA image: no files (the boot code at least)');
  /** @type {Set<string>} */
  const seen = new Set();
  let tag = TAG_MAGIC;
  for (const [field, key] of TAG_KEYS) tag += `${key}\0${image[field]}\0`;
  let index = INDEX_MAGIC;
  files.forEach((f, i) => {
    checkName(f.name, i, seen);
    if (!Buffer.isBuffer(f.data)) throw new Error(`OTA image: the data of ${JSON.stringify(f.name)} must be a Buffer`);
    if (!f.data.length) throw new Error(`OTA image: ${JSON.stringify(f.name)} is empty (Storage refuses zero-length files)`);
    index += `${f.name}\0${f.data.length}\0${hex(crc32(f.data))}\0`;
  });
  return Buffer.concat([Buffer.from(tag + '\0' + index + '\0', 'latin1'), ...files.map((f) => f.data)]);
}

/**
 * Reads and checks an image: the tag, the index, the sizes against the image's length, every body's CRC.
 * @param {Buffer} buf
 * @returns {{ tag: Tag, files: ImageEntry[] }} the files with their offsets in `buf`
 */
function readImage(buf) {
  let at = 0;
  /**
   * The field at `at` (up to its NUL), moving past it.
   * @param {string} part 'tag' or 'index', for messages
   */
  const field = (part) => {
    const end = buf.indexOf(0, at);
    if (end < 0) throw new Error(`OTA image: truncated ${part} (a field at byte ${at} has no NUL)`);
    const s = buf.toString('latin1', at, end);
    at = end + 1;
    return s;
  };
  /**
   * Moves past `magic`, or says why the bytes at `at` are not it.
   * @param {string} magic
   * @param {string} part
   * @param {string} wrong what the image is when the magic differs
   */
  const expect = (magic, part, wrong) => {
    const got = buf.toString('latin1', at, at + magic.length);
    if (got !== magic) throw new Error(magic.startsWith(got) ? `OTA image: truncated ${part} (${buf.length} bytes)` : `OTA image: bad ${part} magic: ${wrong}`);
    at += magic.length;
  };
  /** The byte at `at` is the NUL that ends a list (moving past it), or the start of another entry. */
  const listEnds = (/** @type {string} */ part) => {
    if (at >= buf.length) throw new Error(`OTA image: truncated ${part} (no NUL after its last entry)`);
    if (buf[at] !== 0) return false;
    at++;
    return true;
  };

  expect(TAG_MAGIC, 'tag', 'not an OTA image (it does not start with "blnkinf\\0")');
  const tag = /** @type {Tag} */ ({});
  for (const [fieldName, key] of TAG_KEYS) {
    if (listEnds('tag')) throw new Error(`OTA image: tag ends before key "${key}"`);
    const got = field('tag');
    if (got !== key) throw new Error(`OTA image: tag key ${JSON.stringify(got)} where "${key}" belongs`);
    tag[fieldName] = field('tag');
  }
  if (!listEnds('tag')) throw new Error(`OTA image: tag goes on after "blynk" (key ${JSON.stringify(field('tag'))}) instead of ending with NUL`);
  checkTag(tag);

  expect(INDEX_MAGIC, 'index', 'no index "edgota1\\0" after the tag (not an image of this format or version)');
  /** @type {ImageEntry[]} */
  const files = [];
  /** @type {Set<string>} */
  const seen = new Set();
  while (!listEnds('index')) {
    const name = field('index');
    checkName(name, files.length, seen);
    const size = field('index');
    if (!/^[1-9][0-9]{0,15}$/.test(size) || !Number.isSafeInteger(Number(size)))
      throw new Error(`OTA image: bad size ${JSON.stringify(size)} of ${JSON.stringify(name)} (a decimal number of bytes, 1 or more, no leading zeros)`);
    const crc = field('index');
    if (!/^[0-9a-f]{8}$/.test(crc)) throw new Error(`OTA image: bad CRC ${JSON.stringify(crc)} of ${JSON.stringify(name)} (8 lowercase hex digits)`);
    files.push({ name, size: Number(size), crc: parseInt(crc, 16), offset: 0 });
  }
  if (!files.length) throw new Error('OTA image: the index lists no files');

  const total = files.reduce((sum, f) => sum + f.size, 0);
  const left = buf.length - at;
  if (left < total) throw new Error(`OTA image: truncated bodies: the index lists ${total} bytes, ${left} follow it`);
  if (left > total) throw new Error(`OTA image: trailing bytes: ${left - total} after the last body`);
  for (const f of files) {
    f.offset = at;
    at += f.size;
    const crc = crc32(buf.subarray(f.offset, at));
    if (crc !== f.crc) throw new Error(`OTA image: CRC mismatch in ${JSON.stringify(f.name)}: the index says ${hex(f.crc)}, the body has ${hex(crc)}`);
  }
  return { tag, files };
}

/**
 * A CRC as the index writes it.
 * @param {number} crc
 * @returns {string}
 */
function hex(crc) {
  return crc.toString(16).padStart(8, '0');
}

/**
 * What a firmware announces to the cloud (`mcu`, `fw-type`, `build`, `blynk` of its info message), read
 * from its built code: the `createEdgent` options, the one object literal with `templateId` and
 * `fwVersion` as strings. `fw-type` is its `fwType`, else the template id; `build` its `build`, else ''
 * (lib/steps.ts); `blynk` the library's version.
 * @param {string} code the boot code (`edgent.boot`)
 * @returns {Tag}
 * @throws when the code has no such object, more than one, or one whose value is not a string literal
 */
function tagOfFirmware(code) {
  /** @type {Array<Record<string, unknown>>} */
  const found = [];
  walk.simple(acorn.parse(code, { ecmaVersion: 'latest' }), {
    ObjectExpression(node) {
      /** @type {Record<string, unknown>} */
      const props = {};
      for (const p of /** @type {import('acorn').ObjectExpression} */ (node).properties) {
        if (p.type !== 'Property' || p.computed) continue;
        const key = p.key.type === 'Identifier' ? p.key.name : p.key.type === 'Literal' ? String(p.key.value) : '';
        props[key] = p.value.type === 'Literal' ? p.value.value : p.value;
      }
      if (typeof props.templateId === 'string' && typeof props.fwVersion === 'string') found.push(props);
    },
  });
  if (found.length !== 1)
    throw new Error(`found ${found.length ? 'several' : 'no'} createEdgent options (templateId and fwVersion as strings) in the boot code`);
  const o = found[0];
  for (const key of ['fwType', 'build']) {
    if (o[key] !== undefined && typeof o[key] !== 'string') throw new Error(`the boot code's createEdgent option ${key} is not a string literal`);
  }
  return { mcu: String(o.fwVersion), fwType: String(o.fwType || o.templateId), build: String(o.build || ''), blynk: BLYNK_LIB_VERSION };
}

/**
 * The image of a deployment manifest: its Storage files (the slot's), "edgent.boot" first, the others in
 * manifest order; not its `bootCode` (the loader, which no update replaces).
 * @param {string} manifestPath `dist/<name>.files.json`
 * @param {Partial<Tag>} [values] the tag; a value left out is what the firmware announces (`tagOfFirmware`)
 * @returns {Buffer}
 */
function imageFromManifest(manifestPath, values = {}) {
  const file = path.resolve(manifestPath);
  const manifest = readManifest(file);
  if (!manifest.bootCode) throw new Error(`deployment manifest ${file} has no boot code: an OTA image is a whole firmware`);
  const boot = manifest.storage[BOOT_CODE];
  if (boot === undefined)
    throw new Error(`deployment manifest ${file} has no ${BOOT_CODE}: not a slot firmware (its boot code goes to Storage "${BOOT_CODE}", the loader to "bootCode")`);
  /** @type {Array<[string, string]>} */
  const entries = [[BOOT_CODE, boot], ...Object.entries(manifest.storage).filter(([name]) => name !== BOOT_CODE)];
  const source = (/** @type {string} */ f) => path.resolve(path.dirname(file), f);
  const files = entries.map(([name, f]) => {
    if (!fs.existsSync(source(f))) throw new Error(`${source(f)} (Storage ${JSON.stringify(name)}) not found: run npm run build first`);
    return { name, data: fs.readFileSync(source(f)) };
  });
  /** @type {Partial<Tag>} */
  let announced = { blynk: BLYNK_LIB_VERSION };
  if (values.mcu === undefined || values.fwType === undefined || values.build === undefined) {
    try {
      announced = tagOfFirmware(files[0].data.toString('latin1'));
    } catch (e) {
      throw new Error(`${source(boot)} (Storage "${BOOT_CODE}"): ${/** @type {Error} */ (e).message}: give mcu, fwType and build (--mcu, --fw-type, --build)`);
    }
  }
  return buildImage({ ...announced, ...definedOf(values), files });
}

/**
 * `values` without its undefined fields.
 * @param {Partial<Tag>} values
 * @returns {Partial<Tag>}
 */
function definedOf(values) {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined));
}

/** The command line, in one line. */
const USAGE = 'Usage: node tools/ota-image.js <manifest.files.json> [--mcu VERSION] [--fw-type TYPE] [--build TEXT] [--out FILE]';

/** Options of the command line: option -> tag field (or `out`). */
const OPTIONS = /** @type {const} */ ({ '--mcu': 'mcu', '--fw-type': 'fwType', '--build': 'build', '--out': 'out' });

/**
 * Reads the command line.
 * @param {string[]} argv arguments after `node tools/ota-image.js`
 * @returns {{ manifest: string, values: Partial<Tag>, out?: string, help: boolean } | string} the options, or what is wrong
 */
function parseArgs(argv) {
  /** @type {{ manifest: string, values: Partial<Tag>, out?: string, help: boolean }} */
  const o = { manifest: '', values: {}, help: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    if (arg === '--help' || arg === '-h') o.help = true;
    else if (Object.hasOwn(OPTIONS, name)) {
      const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
      if (value === undefined || (eq < 0 && value.startsWith('--'))) return `${name} needs a value`;
      const key = OPTIONS[/** @type {keyof typeof OPTIONS} */ (name)];
      if (key === 'out') o.out = value;
      else o.values[key] = value;
    } else if (arg.startsWith('-') || o.manifest) return `unexpected argument ${JSON.stringify(arg)}`;
    else o.manifest = arg;
  }
  if (!o.manifest && !o.help) return 'missing the deployment manifest (dist/<name>.files.json)';
  return o;
}

/**
 * The command line: writes the image and prints what it holds.
 * @param {string[]} argv arguments after `node tools/ota-image.js`
 * @param {{ out: (s: string) => void, err: (s: string) => void }} [io]
 * @returns {number} exit status
 */
function main(argv, io = { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) }) {
  const o = parseArgs(argv);
  if (typeof o === 'string') {
    io.err(`ota-image: ${o}\n${USAGE}\n`);
    return EXIT_USAGE;
  }
  if (o.help) {
    io.out(`${USAGE}\nWrites the Blynk.Air OTA image of a firmware's deployment manifest (docs/ota-image.md); a value not given is what the firmware's boot code (${BOOT_CODE}) announces.\n`);
    return EXIT_OK;
  }
  const out = o.out || o.manifest.replace(/(\.files)?\.json$|$/, '.ota');
  try {
    const image = imageFromManifest(o.manifest, o.values);
    const { tag, files } = readImage(image);
    fs.writeFileSync(out, image);
    io.out(`ota-image: wrote ${out} (${image.length} bytes): ${TAG_KEYS.map(([f, key]) => `${key} ${JSON.stringify(tag[f])}`).join(', ')}\n`);
    const width = Math.max(...files.map((f) => f.name.length));
    for (const f of files) io.out(`  ${f.name.padEnd(width)} ${String(f.size).padStart(7)} bytes  crc ${hex(f.crc)}\n`);
    warnIfUnlike(files, image, tag, io);
  } catch (e) {
    io.err(`ota-image: ${/** @type {Error} */ (e).message}\n`);
    return EXIT_FAILED;
  }
  return EXIT_OK;
}

/**
 * Warns about tag values other than what the boot code (`edgent.boot`, the first file) announces: after the update the device reports
 * its own, and the cloud compares them with the image's.
 * @param {ImageEntry[]} files
 * @param {Buffer} image
 * @param {Tag} tag
 * @param {{ err: (s: string) => void }} io
 */
function warnIfUnlike(files, image, tag, io) {
  /** @type {Tag} */
  let announced;
  try {
    announced = tagOfFirmware(image.toString('latin1', files[0].offset, files[0].offset + files[0].size));
  } catch {
    return;
  }
  for (const [f, key] of TAG_KEYS) {
    if (announced[f] !== tag[f])
      io.err(`ota-image: warning: the tag's ${key} is ${JSON.stringify(tag[f])}, the firmware announces ${JSON.stringify(announced[f])}: the device will report that after the update\n`);
  }
}

module.exports = { buildImage, readImage, imageFromManifest, tagOfFirmware, main, BOOT_CODE, BLYNK_LIB_VERSION };

if (require.main === module) process.exitCode = main(process.argv.slice(2));
