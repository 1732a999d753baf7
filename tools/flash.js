#!/usr/bin/env node
// @ts-check
/**
 * `npm run flash`: puts espruino-edgent on an ESP32 / ESP8266 board running
 * Espruino, through the EspruinoTools CLI (the `espruino` npm package), so that
 * everything runs from flash (docs/espruino-runtime.md: "Uploading", "Memory").
 *
 *   node tools/flash.js --board esp32|esp8266 --port /dev/ttyUSB0|tcp://host:port
 *                       [--baud 115200] [--manifest FILE] [--firmware FILE | --module --firmware FILE]
 *                       [--dist DIR] [--timeout 300] [--verbose] [--dry-run] [--help]
 *
 * What goes on the board is what a deployment manifest says, and nothing
 * else. The build writes one per firmware bundle, `dist/<name>.files.json`:
 *   {"board": "ESP8266", "bootCode": "esp8266.js", "storage": {"edgent.htm": "form.html"}}
 * File names are relative to the manifest's directory. `board`: what the
 * board's process.env.BOARD starts with (absent or null: any supported chip);
 * `bootCode`: the code saved as boot code (null: the product brings its own,
 * --firmware); `storage`: Storage file name -> file, each sent as it is.
 *   --board esp32|esp8266    dist/<board>.files.json (the basic example's firmware)
 *   --manifest FILE          any manifest (another example, a factory image)
 *   --module --firmware FILE dist/espruino-edgent.files.json (the library as the
 *                            Storage module "espruino-edgent" and the files it
 *                            reads), FILE as boot code
 *   --firmware FILE          replaces the manifest's boot code
 * The manifest's board must fit --board (when given) and the board the CLI
 * finds; every `storage` entry becomes a `--storage name:file` argument and
 * the boot code the CLI's code file (what goes where is also in `usage()`).
 *
 * What the espruino CLI (0.1.67) does, and what this script makes it do:
 *   - It connects, waits 200 ms, sends "\n" and expects a ">" prompt (else
 *     Ctrl-C, twice), then asks for the board with
 *     `\x10print("<","<<",JSON.stringify(process.env),">>",">")`.
 *   - With the board name it downloads `BOARD_JSON_URL/<BOARD>.json` (default
 *     http://www.espruino.com/json) and waits for that before uploading.
 *     Offline with no DNS this fails at once with a "getURL(...) error"
 *     line and the upload goes on; on a network that drops packets Node's
 *     request has no timeout, so it waits for the OS connect timeout (minutes).
 *     This script runs a loopback HTTP server and makes it the CLI's proxy
 *     (MODULE_PROXY_ENABLED/_URL/_PORT: every http:// request the CLI makes
 *     goes there, despite the name; an https:// one fails against it at once
 *     with EPROTO), which answers 404 at once. So no internet is ever
 *     touched, nothing waits, and the request tells us the name the board
 *     reports, which must start with the manifest's board (or fit --board
 *     when the manifest names none); checked before anything is written: on
 *     a mismatch the CLI is stopped while it still waits for the answer.
 *     (BOARD_JSON_URL itself cannot point at a loopback port: the CLI passes
 *     "host:port" as the host name, which then fails DNS.)
 *   - `require()`s in the uploaded code are resolved by the CLI: built-ins
 *     from process.env.MODULES, others from ./modules/ (Espruino convention)
 *     or downloaded from MODULE_URL and inlined. MODULE_URL is set empty
 *     (never download; `require('espruino-edgent')` must come from Storage),
 *     so the CLI prints "Module X not found" for what it does not inline,
 *     which is harmless. COMPILATION=false: never post to the online compiler.
 *   - `--no-ble` is required: without it the CLI loads node-ble, which on a
 *     Linux machine without a D-Bus system bus crashes the CLI.
 *   - The upload it sends (each line after a DLE \x10 = no echo; it pauses
 *     250 ms after every reset()/load()/Storage.write line):
 *       \x10reset();            \x10print()
 *       per --storage file (last one first), 384-byte chunks, base64:
 *         require("Storage").write("edgent.htm",atob("…"),0,SIZE)
 *         require("Storage").write("edgent.htm",atob("…"),384)  …
 *       the code with --config SAVE_ON_SEND=1 (on 1v96+), 1024-byte chunks as
 *       JS string literals (\xHH escapes for control and 0xC2..0xF4 bytes):
 *         require("Storage").write(".bootcde","…",0,SIZE);
 *         require("Storage").write(".bootcde","…",1024); …
 *       load()   (restarts the interpreter, which runs the boot code from flash)
 *     ".bootcde" is the file E.setBootCode writes. Only when the board is
 *     older than 1v96, or did not answer the process.env query, does the CLI
 *     fall back to `E.setBootCode("<whole file>")` (one RAM string: fails for
 *     big files on ESP8266); this script stops the CLI when it says so.
 *   - Its exit status is 0 even when it could not connect or the board did not
 *     answer, so this script reads its output: success needs its "Upload
 *     Complete" line and none of the failure messages (FAILURES), and board
 *     output lines ("--] …") with "Uncaught" / "ERROR" fail the run.
 *   - Not used: `-o out.js` (it sets SAVE_ON_SEND=-1, i.e. uploads to RAM),
 *     `--storage .bootcde:FILE` (bypasses the CLI's handling of the code).
 *   - `--storage name:file` splits at ":", so files are passed relative to the
 *     working directory (a Windows path on another drive is refused). The CLI
 *     reads --storage files as bytes (sent exactly, base64) but the code file as
 *     UTF-8 and sends characters U+0080..U+00FF as single bytes: firmware that
 *     is not pure ASCII is not sent byte for byte (a warning says so). ASCII,
 *     control characters included, arrives exactly (escaped in the literals).
 *   - When the code `require()`s a module that is neither built in nor found,
 *     the CLI puts a "\n" before it (boot code = "\n" + file); in --module
 *     mode that is always the case (`require('espruino-edgent')`). Harmless.
 *   - It exits once the board has been quiet for 500 ms after the upload; a new
 *     firmware that logs more often than that would keep it running, so this
 *     script stops it 5 s after its "Upload Complete" (not a failure).
 *   - A watchdog (--timeout) stops the CLI if it never finishes.
 *
 * Exit status: 0 uploaded; 1 the upload failed (or timed out); 2 bad arguments
 * or missing files (nothing was sent).
 */
'use strict';

const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const { spawn } = require('node:child_process');

/** The package root (tools/..). */
const ROOT = path.resolve(__dirname, '..');

/** Storage name of the library module (what `require('espruino-edgent')` finds). */
const STORAGE_MODULE = 'espruino-edgent';

/**
 * The boards: the manifest the build writes for each (in the dist directory), and the
 * process.env.BOARD names that fit it.
 * @type {Record<string, { manifest: string, boardName: RegExp, label: string }>}
 */
const BOARDS = {
  esp32: { manifest: 'esp32.files.json', boardName: /^ESP32/i, label: 'ESP32' },
  esp8266: { manifest: 'esp8266.files.json', boardName: /^ESP8266/i, label: 'ESP8266' },
};

/** The manifest of the library-module bundle (`--module`), in the dist directory: no boot code of its own. */
const MODULE_MANIFEST = 'espruino-edgent.files.json';

/** Longest Storage file name (Espruino 2v05 and later). */
const STORAGE_NAME_MAX = 28;

/** Storage names a manifest may not use: the boot code goes through `bootCode`. */
const RESERVED_NAMES = ['.bootcde', '.bootrst'];

/** Exit statuses. */
const EXIT_OK = 0;
const EXIT_FAILED = 1;
const EXIT_USAGE = 2;

/**
 * Messages of the espruino CLI that mean the upload did not (or will not) work.
 * `stop`: stop the CLI at once (it would go on sending something wrong, or hang).
 * @type {Array<{ pattern: RegExp, message: string, stop: boolean }>}
 */
const FAILURES = [
  { pattern: /Unable to connect!/, message: 'the espruino CLI could not open the port', stop: false },
  { pattern: /RECEIVE ERROR:/, message: 'the connection failed (nothing listening there? wrong host/port?)', stop: true },
  { pattern: /Port ".*" not found/, message: 'no such serial port', stop: false },
  {
    pattern: /Unable to retrieve board information/,
    message:
      'the board did not answer the process.env query (not running Espruino? wrong --baud? busy? try again after pressing reset)',
    stop: true,
  },
  { pattern: /pre-1v96 firmware/, message: 'the board runs Espruino older than 1v96 (no Storage): update its firmware', stop: true },
];

/** Lines of the CLI's output that do not apply here (it always prints them without a board JSON). */
const NOISE = [
  /^\*{20,}$/,
  /^\* No list of built-in modules found/,
  /^\* messages for built-in modules you may want/,
  /^\* with '-p devicePath' or use '--board BOARDNAME'/,
];

/** Board output that means something went wrong on the board. */
const BOARD_ERROR = /Uncaught |^ERROR:|Out of Memory/;

/**
 * Seconds the CLI may go on after "Upload Complete": it exits only after the
 * board has been quiet for 500 ms, which a firmware that logs often never is.
 */
const AFTER_UPLOAD_SECONDS = 5;

class UsageError extends Error {}

/**
 * @typedef {object} FlashOptions
 * @property {string} [board] esp32 | esp8266
 * @property {string} [port] serial device or tcp://host:port
 * @property {number} baud
 * @property {string} [firmware] boot code file (default: the manifest's bootCode)
 * @property {boolean} module deploy the library-module manifest (dist/espruino-edgent.files.json)
 * @property {string} [manifest] the deployment manifest to deploy (default: the board's in dist)
 * @property {string} dist the build output directory
 * @property {number} timeout seconds before the CLI is stopped
 * @property {boolean} verbose pass -v to the espruino CLI
 * @property {boolean} dryRun print, do not run
 * @property {boolean} help
 */

/**
 * @typedef {object} Manifest a deployment manifest (`dist/<name>.files.json`)
 * @property {string | null} board what process.env.BOARD starts with, e.g. "ESP32"; null: any supported chip
 * @property {string | null} bootCode the boot code file; null: given with --firmware
 * @property {Record<string, string>} storage Storage file name -> file
 */

/**
 * @typedef {object} Upload one file and where it goes
 * @property {string} role 'storage' or 'boot code'
 * @property {string} file absolute path
 * @property {string} target e.g. 'Storage "edgent.htm"' or 'boot code'
 * @property {string} [storage] the Storage file name (absent for the boot code)
 * @property {number} bytes
 */

/**
 * @typedef {object} Plan everything a run does
 * @property {string} cli the espruino CLI's JS file
 * @property {string[]} args arguments after `node <cli>`; MODULE_PROXY_PORT holds PROXY_PORT_PLACEHOLDER
 * @property {string} cwd where the CLI runs (relative paths in args are relative to it)
 * @property {string} manifest the deployment manifest (absolute path)
 * @property {Upload[]} uploads Storage files in manifest order, then the boot code
 * @property {string[]} warnings
 * @property {{ label: string, boardName: RegExp }} board
 */

/** Stands for the loopback proxy's port until it listens. */
const PROXY_PORT_PLACEHOLDER = '<port>';

/** @returns {string} the --help text */
function usage() {
  return `Usage: npm run flash -- --board esp32|esp8266 --port PORT [options]
       node tools/flash.js --board esp32|esp8266 --port PORT [options]
       node tools/flash.js --manifest FILE --port PORT [options]

Uploads espruino-edgent to an ESP32 / ESP8266 running Espruino (1v96 or later),
through the espruino CLI (node_modules/espruino), so that it runs from flash.
What is uploaded is what a deployment manifest lists, and nothing else.

Options:
  --board esp32|esp8266  The board. Picks dist/esp32.files.json or
                         dist/esp8266.files.json; must fit the manifest's board
                         and what the board reports (process.env.BOARD).
  --port PORT            Serial device (/dev/ttyUSB0, COM3) or tcp://host:port
                         (a board's telnet console; port 23 if omitted).
  --baud N               Serial baud rate (default 115200, Espruino's default on
                         ESP boards; ignored for tcp://).
  --manifest FILE        Deploy this manifest instead (another example's
                         dist/<name>.files.json, a factory image); --board may
                         then be left out when the manifest names its board.
  --firmware FILE        The code saved as boot code, instead of the manifest's
                         bootCode. --module: required, your product code that
                         calls require('${STORAGE_MODULE}').
  --module               Deploy the library as a Storage module: dist/${MODULE_MANIFEST}
                         with --firmware FILE as boot code.
  --dist DIR             Where the build wrote its files and manifests (default:
                         dist/ of this package).
  --timeout SECONDS      Stop the espruino CLI after this long (default 300).
  --verbose              Let the espruino CLI say everything it does (-v).
  --dry-run              Check the inputs, print the files and the exact command,
                         and stop: nothing is sent.
  --help                 This text.

Deployment manifests (what goes where), written by the build next to each
firmware, file names relative to the manifest:
  {"board": "ESP32", "bootCode": "esp32.js", "storage": {"edgent.htm": "form.html", ...}}
    board      what process.env.BOARD must start with (null: either chip)
    bootCode   -> boot code (Storage ".bootcde", as E.setBootCode); null: the
                  product's own firmware, given with --firmware
    storage    each entry: file -> Storage file of that name, byte for byte
  --board esp32|esp8266       dist/<board>.files.json: the basic example's
                              firmware (library inlined) and the files it reads
  --module --firmware app.js  dist/${MODULE_MANIFEST}: the library as Storage
                              file "${STORAGE_MODULE}" (require('${STORAGE_MODULE}')
                              loads it from flash) and the files it reads;
                              app.js -> boot code (your product firmware)
  --manifest FILE             FILE, e.g. dist/rgb-led-esp32.files.json

The board is reset first (reset(): RAM code is cleared, other Storage files
are kept) and restarted at the end (load()), which runs the boot code. Boot
code runs from flash: its function bodies stay in flash, not RAM. The board
must answer the espruino CLI's process.env query; nothing is downloaded from
the internet.

Run "npm run build" first. Exit status: 0 uploaded, 1 upload failed, 2 bad
arguments or missing files (nothing sent).
`;
}

/**
 * Reads the command line.
 * @param {string[]} argv arguments after `node tools/flash.js`
 * @returns {FlashOptions}
 */
function parseArgs(argv) {
  /** @type {FlashOptions} */
  const o = { baud: 115200, module: false, dist: path.join(ROOT, 'dist'), timeout: 300, verbose: false, dryRun: false, help: false };
  for (let i = 0; i < argv.length; i++) {
    let arg = argv[i];
    /** @type {string | undefined} */
    let inline;
    const eq = arg.indexOf('=');
    if (arg.startsWith('--') && eq > 0) {
      inline = arg.slice(eq + 1);
      arg = arg.slice(0, eq);
    }
    const value = () => {
      if (inline !== undefined) return inline;
      const v = argv[++i];
      if (v === undefined || (v.startsWith('--') && v.length > 2)) throw new UsageError(`${arg} needs a value`);
      return v;
    };
    const flag = () => {
      if (inline !== undefined) throw new UsageError(`${arg} takes no value`);
    };
    switch (arg) {
      case '--board':
      case '-B':
        o.board = value().toLowerCase();
        break;
      case '--port':
      case '-p':
        o.port = value();
        break;
      case '--baud':
      case '-b': {
        const v = value();
        o.baud = Number(v);
        if (!/^\d+$/.test(v) || o.baud <= 0) throw new UsageError(`--baud must be a positive whole number, not ${JSON.stringify(v)}`);
        break;
      }
      case '--firmware':
        o.firmware = value();
        break;
      case '--module':
        flag();
        o.module = true;
        break;
      case '--manifest':
        o.manifest = value();
        break;
      case '--dist':
        o.dist = path.resolve(value());
        break;
      case '--timeout': {
        const v = value();
        o.timeout = Number(v);
        if (!(o.timeout > 0)) throw new UsageError(`--timeout must be a number of seconds, not ${JSON.stringify(v)}`);
        break;
      }
      case '--verbose':
      case '-v':
        flag();
        o.verbose = true;
        break;
      case '--dry-run':
      case '-n':
        flag();
        o.dryRun = true;
        break;
      case '--help':
      case '-h':
        flag();
        o.help = true;
        break;
      default:
        throw new UsageError(`unknown argument ${JSON.stringify(argv[i])} (see --help)`);
    }
  }
  return o;
}

/**
 * The espruino CLI's entry script.
 * @returns {string}
 */
function findCli() {
  try {
    return require.resolve('espruino/bin/espruino-cli.js', { paths: [ROOT, process.cwd()] });
  } catch {
    throw new UsageError('the espruino CLI is not installed (npm package "espruino"): run npm install');
  }
}

/**
 * A path as the espruino CLI should get it: relative to `cwd` when possible,
 * never with a ":" (its --storage option splits at ":"), never starting with "-".
 * @param {string} file absolute
 * @param {string} cwd
 * @returns {string}
 */
function cliPath(file, cwd) {
  let rel = path.relative(cwd, file);
  if (rel === '' || path.isAbsolute(rel)) rel = file;
  if (rel.includes(':')) {
    if (!file.includes(':')) rel = file;
    else throw new UsageError(`${file}: the espruino CLI cannot take this path (it contains ":"); run from the same drive or copy the file`);
  }
  if (rel.startsWith('-')) rel = '.' + path.sep + rel;
  return rel;
}

/**
 * Reads and checks a deployment manifest (`dist/<name>.files.json`).
 * @param {string} file absolute path
 * @returns {Manifest}
 */
function readManifest(file) {
  /** @type {string} */
  let text;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    const code = /** @type {NodeJS.ErrnoException} */ (e).code;
    if (code === 'ENOENT') throw new UsageError(`deployment manifest ${file} not found: run npm run build first (it writes the manifests)`);
    if (code === 'EISDIR') throw new UsageError(`deployment manifest ${file} is a directory, not a file`);
    throw new UsageError(`deployment manifest ${file} cannot be read: ${/** @type {Error} */ (e).message}`);
  }
  /** @type {unknown} */
  let json;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`deployment manifest ${file} is not JSON (${/** @type {Error} */ (e).message}): run npm run build again`);
  }
  const bad = (/** @type {string} */ why) => new UsageError(`deployment manifest ${file}: ${why}`);
  if (!json || typeof json !== 'object' || Array.isArray(json)) throw bad('not a JSON object');
  const m = /** @type {Record<string, unknown>} */ (json);
  const board = m.board === undefined ? null : m.board;
  if (board !== null && (typeof board !== 'string' || !board)) throw bad('"board" must be a board name such as "ESP32", or null');
  const bootCode = m.bootCode === undefined ? null : m.bootCode;
  if (bootCode !== null && (typeof bootCode !== 'string' || !bootCode)) throw bad('"bootCode" must be a file name or null');
  if (!m.storage || typeof m.storage !== 'object' || Array.isArray(m.storage)) throw bad('"storage" must be an object: Storage name -> file');
  /** @type {Record<string, string>} */
  const storage = {};
  for (const [name, f] of Object.entries(/** @type {Record<string, unknown>} */ (m.storage))) {
    if (!name || name.length > STORAGE_NAME_MAX) throw bad(`Storage name ${JSON.stringify(name)} must be 1 to ${STORAGE_NAME_MAX} characters`);
    if (name.includes(':')) throw bad(`Storage name ${JSON.stringify(name)} contains ":" (the espruino CLI's --storage splits at ":")`);
    if (RESERVED_NAMES.includes(name)) throw bad(`Storage name ${JSON.stringify(name)} is the boot code: use "bootCode"`);
    if (typeof f !== 'string' || !f) throw bad(`Storage ${JSON.stringify(name)} must name a file`);
    storage[name] = f;
  }
  return { board: /** @type {string | null} */ (board), bootCode: /** @type {string | null} */ (bootCode), storage };
}

/**
 * Checks the inputs and works out the command.
 * @param {FlashOptions} o
 * @param {{ cwd?: string, cli?: string }} [env]
 * @returns {Plan}
 */
function plan(o, env = {}) {
  const cwd = env.cwd || process.cwd();
  if (o.board !== undefined && !BOARDS[o.board])
    throw new UsageError(`unknown board ${JSON.stringify(o.board)}: use --board esp32 or --board esp8266`);
  if (!o.board && !o.manifest) throw new UsageError(`missing --board (esp32 or esp8266), or --manifest FILE`);
  if (!o.port) throw new UsageError('missing --port: a serial device (/dev/ttyUSB0, COM3) or tcp://host:port');
  if (o.port.startsWith('-') || o.port.toLowerCase().includes('.js'))
    throw new UsageError(`--port ${JSON.stringify(o.port)}: the espruino CLI does not accept a port that starts with "-" or contains ".js"`);
  if (o.module && o.manifest)
    throw new UsageError(`--module deploys ${MODULE_MANIFEST} from --dist: give either --module or --manifest FILE, not both`);
  if (o.module && !o.firmware)
    throw new UsageError("--module needs --firmware FILE: your product code (it calls require('espruino-edgent')), saved as boot code");

  const manifestFile = o.manifest
    ? path.resolve(cwd, o.manifest)
    : path.join(o.dist, o.module ? MODULE_MANIFEST : BOARDS[/** @type {string} */ (o.board)].manifest);
  const manifest = readManifest(manifestFile);
  const manifestDir = path.dirname(manifestFile);

  /** @type {{ label: string, boardName: RegExp }} */
  let board;
  if (manifest.board) {
    const mb = manifest.board;
    const key = Object.keys(BOARDS).find((k) => BOARDS[k].boardName.test(mb));
    if (!key) throw new UsageError(`deployment manifest ${manifestFile} is for board ${JSON.stringify(mb)}: not an ESP32 or ESP8266`);
    if (o.board && o.board !== key)
      throw new UsageError(`deployment manifest ${manifestFile} is for ${mb}, not ${BOARDS[o.board].label} (--board ${o.board}): wrong --board or wrong manifest?`);
    board = { label: mb, boardName: new RegExp('^' + mb.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&'), 'i') };
  } else {
    if (!o.board) throw new UsageError(`deployment manifest ${manifestFile} names no board: give --board esp32 or --board esp8266`);
    const b = BOARDS[o.board];
    board = { label: b.label, boardName: b.boardName };
  }
  if (!manifest.bootCode && !o.firmware)
    throw new UsageError(`deployment manifest ${manifestFile} has no boot code ("bootCode": null): give --firmware FILE, your product firmware`);

  /** @type {string[]} */
  const missingBuild = [];
  /** @type {string[]} */
  const warnings = [];
  /**
   * @param {string} role
   * @param {string} file absolute
   * @param {string | undefined} storage the Storage name (undefined: boot code)
   * @param {boolean} fromBuild named by the manifest
   * @returns {Upload | null}
   */
  const input = (role, file, storage, fromBuild) => {
    const target = storage === undefined ? 'boot code' : `Storage "${storage}"`;
    let stat;
    try {
      stat = fs.statSync(file);
    } catch {
      if (fromBuild) {
        missingBuild.push(file);
        return null;
      }
      throw new UsageError(`${role} ${file} not found`);
    }
    if (!stat.isFile()) throw new UsageError(`${role} ${file} is not a file`);
    if (stat.size === 0) throw new UsageError(`${role} ${file} is empty (Storage refuses zero-length files)`);
    /** @type {Upload} */
    const u = { role, file, target, bytes: stat.size };
    if (storage !== undefined) u.storage = storage;
    return u;
  };

  /** @type {Array<Upload | null>} */
  const list = [];
  for (const [name, f] of Object.entries(manifest.storage)) list.push(input('storage', path.resolve(manifestDir, f), name, true));
  list.push(
    o.firmware
      ? input('firmware', path.resolve(cwd, o.firmware), undefined, false)
      : input('boot code', path.resolve(manifestDir, /** @type {string} */ (manifest.bootCode)), undefined, true),
  );
  if (missingBuild.length)
    throw new UsageError(
      `${missingBuild.join(', ')} not found (named by ${manifestFile}): run npm run build first` + (o.manifest || o.dist !== path.join(ROOT, 'dist') ? ' (or check the manifest / --dist)' : ''),
    );
  const uploads = /** @type {Upload[]} */ (list);
  const firmware = uploads[uploads.length - 1];

  const code = fs.readFileSync(firmware.file);
  const nonAscii = code.findIndex((b) => b > 0x7f);
  if (nonAscii >= 0)
    warnings.push(
      `${firmware.file} is not pure ASCII (byte 0x${code[nonAscii].toString(16)} at offset ${nonAscii}): the espruino CLI reads code as UTF-8 ` +
        'and sends U+0080..U+00FF as single bytes, so the boot code will differ from the file; write such characters as \\xNN escapes',
    );
  if (o.firmware && manifest.storage[STORAGE_MODULE] !== undefined && !/require\s*\(\s*["']espruino-edgent["']\s*\)/.test(code.toString('latin1')))
    warnings.push(`${firmware.file} does not call require('espruino-edgent'): is it the product firmware for the library module?`);

  const args = [cliPath(firmware.file, cwd), '--no-ble', '-b', String(o.baud)];
  if (o.verbose) args.push('-v');
  args.push(
    '--config', 'SAVE_ON_SEND=1',
    '--config', 'MODULE_PROXY_ENABLED=true',
    '--config', 'MODULE_PROXY_URL=127.0.0.1',
    '--config', `MODULE_PROXY_PORT=${PROXY_PORT_PLACEHOLDER}`,
    '--config', 'MODULE_URL=',
    '--config', 'COMPILATION=false',
  );
  for (const u of uploads) if (u.storage !== undefined) args.push('--storage', `${u.storage}:${cliPath(u.file, cwd)}`);
  // -p last: the CLI takes every following argument without "-" or ".js" as another port.
  args.push('-p', o.port);
  return { cli: env.cli || findCli(), args, cwd, manifest: manifestFile, uploads, warnings, board };
}

/**
 * One argument, quoted for a POSIX shell when it needs it.
 * @param {string} s
 * @returns {string}
 */
function shellQuote(s) {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * The command a plan runs, for people.
 * @param {Plan} p
 * @param {string[]} [args] the arguments (default: the plan's, with the proxy port placeholder)
 * @returns {string}
 */
function formatCommand(p, args = p.args) {
  const rel = path.relative(p.cwd, p.cli);
  return [process.execPath, rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : p.cli, ...args].map(shellQuote).join(' ');
}

/**
 * What a plan does, for people.
 * @param {Plan} p
 * @param {FlashOptions} o
 * @returns {string}
 */
function describe(p, o) {
  const rel = (/** @type {string} */ f) => path.relative(p.cwd, f) || f;
  const mode = o.module ? ' (module mode)' : o.firmware ? ' (boot code from --firmware)' : '';
  const lines = [`espruino-edgent flash: ${rel(p.manifest)}${mode}, board ${p.board.label}, port ${o.port}`];
  for (const u of p.uploads) lines.push(`  ${u.role.padEnd(10)} ${rel(u.file)} (${u.bytes} bytes) -> ${u.target}`);
  lines.push('  then load(): the board restarts and runs the boot code');
  return lines.join('\n');
}

/**
 * The loopback HTTP proxy the espruino CLI sends its web requests to: answers
 * 404 at once, and reports the board name of a board-JSON request.
 * @param {(board: string, respond: () => void) => void} onBoard
 * @returns {Promise<{ port: number, close: () => void }>}
 */
function proxyServer(onBoard) {
  const server = http.createServer((req, res) => {
    const m = /\/json\/([^/?]+)\.json(?:\?.*)?$/.exec(req.url || '');
    const respond = () => {
      res.writeHead(404, { 'content-type': 'text/plain', connection: 'close' });
      res.end('espruino-edgent flash: nothing is downloaded\n');
    };
    if (m) onBoard(decodeURIComponent(m[1]), respond);
    else respond();
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      resolve({
        port: /** @type {import('node:net').AddressInfo} */ (server.address()).port,
        close: () => {
          server.closeAllConnections();
          server.close();
        },
      });
    });
  });
}

/**
 * Calls `onLine` for every complete line of a stream (and the rest at its end).
 * @param {NodeJS.ReadableStream} stream
 * @param {(line: string) => void} onLine
 */
function lines(stream, onLine) {
  let rest = '';
  stream.setEncoding('utf8'); // the CLI writes text as UTF-8 (board bytes as U+0000..U+00FF)
  stream.on('data', (/** @type {string} */ chunk) => {
    rest += chunk;
    let i;
    while ((i = rest.indexOf('\n')) >= 0) {
      onLine(rest.slice(0, i).replace(/\r$/, ''));
      rest = rest.slice(i + 1);
    }
  });
  stream.on('end', () => {
    if (rest) onLine(rest);
    rest = '';
  });
}

/**
 * Runs the espruino CLI for a plan, streaming its output, and decides whether the upload worked.
 * @param {Plan} p
 * @param {FlashOptions} o
 * @param {{ out: (s: string) => void, err: (s: string) => void }} io
 * @returns {Promise<number>} exit status
 */
async function run(p, o, io) {
  /** @type {string[]} */
  const problems = [];
  /** @type {string[]} */
  const boardErrors = [];
  let complete = false;
  /** @type {string[]} */
  const missingModules = [];
  let reportedBoard = '';
  /** @type {import('node:child_process').ChildProcess | undefined} */
  let child;
  let stopped = false;
  /** The CLI was stopped after its upload completed: not a failure. */
  let detached = false;
  const kill = () => {
    if (child && child.exitCode === null && child.signalCode === null && !stopped) {
      stopped = true;
      child.kill('SIGTERM');
      setTimeout(() => child && child.exitCode === null && child.signalCode === null && child.kill('SIGKILL'), 2000).unref();
    }
  };
  const stop = (/** @type {string} */ why) => {
    if (!problems.includes(why)) problems.push(why);
    kill();
  };

  const server = await proxyServer((board, respond) => {
    reportedBoard = board;
    if (p.board.boardName.test(board)) {
      io.out(`espruino-edgent flash: the board reports ${board}\n`);
      respond();
    } else {
      // The CLI waits for this answer before it sends anything: stop it now.
      stop(`the board reports ${board}, not ${p.board.label}: wrong --board or wrong port? nothing was written`);
    }
  });
  const args = p.args.map((a) => a.replace(PROXY_PORT_PLACEHOLDER, String(server.port)));
  io.out(`Running: ${formatCommand(p, args)}\n`);

  /** @param {string} line @param {boolean} isErr */
  const onLine = (line, isErr) => {
    if (NOISE.some((re) => re.test(line))) return;
    (isErr ? io.err : io.out)(line + '\n');
    if (line.startsWith('--] ')) {
      if (BOARD_ERROR.test(line.slice(4))) boardErrors.push(line.slice(4));
      return;
    }
    if (/^Upload Complete/.test(line) && !complete) {
      complete = true;
      setTimeout(() => {
        if (stopped || !child || child.exitCode !== null || child.signalCode !== null) return;
        io.out(`espruino-edgent flash: the board is still printing ${AFTER_UPLOAD_SECONDS} s after the upload; not listening any more\n`);
        detached = true;
        kill();
      }, AFTER_UPLOAD_SECONDS * 1000).unref();
    }
    const missing = /^Module (.*) not found/.exec(line);
    if (missing && !missingModules.includes(missing[1])) missingModules.push(missing[1]);
    for (const f of FAILURES) {
      if (!f.pattern.test(line)) continue;
      if (f.stop) stop(f.message);
      else if (!problems.includes(f.message)) problems.push(f.message);
    }
  };

  /** @type {{ code: number | null, signal: NodeJS.Signals | null }} */
  const end = await new Promise((resolve) => {
    child = spawn(process.execPath, [p.cli, ...args], { cwd: p.cwd, stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });
    const c = child;
    lines(/** @type {NodeJS.ReadableStream} */ (c.stdout), (l) => onLine(l, false));
    lines(/** @type {NodeJS.ReadableStream} */ (c.stderr), (l) => onLine(l, true));
    const watchdog = setTimeout(() => stop(`the espruino CLI did not finish within ${o.timeout} s`), o.timeout * 1000);
    const onSignal = () => stop('interrupted');
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    c.on('error', (e) => {
      problems.push(`could not start the espruino CLI: ${e.message}`);
    });
    c.on('close', (code, signal) => {
      clearTimeout(watchdog);
      process.removeListener('SIGINT', onSignal);
      process.removeListener('SIGTERM', onSignal);
      resolve({ code, signal });
    });
  });
  server.close();

  if (end.code !== 0 && !stopped) problems.push(`the espruino CLI ${end.signal ? `was killed (${end.signal})` : `exited with status ${end.code}`}`);
  if (stopped && !detached && !problems.length) problems.push('the espruino CLI was stopped');
  if (!complete && !problems.length) problems.push('the espruino CLI ended without completing the upload');
  if (boardErrors.length)
    problems.push(`the board reported errors (during the upload, or from the new code as it started): ${boardErrors.join(' | ')}`);
  if (missingModules.length) {
    const fromStorage = missingModules.filter((m) => p.uploads.some((u) => u.storage === m));
    io.err(
      'espruino-edgent flash: note: "Module … not found" only means the espruino CLI did not bundle that module into the upload;\n' +
        `  the board provides its built-in modules${fromStorage.length ? ` and loads ${fromStorage.map((m) => JSON.stringify(m)).join(', ')} from Storage` : ''}.\n`,
    );
  }
  if (problems.length) {
    for (const m of problems) io.err(`espruino-edgent flash: FAILED: ${m}\n`);
    return EXIT_FAILED;
  }
  io.out(`espruino-edgent flash: done${reportedBoard ? ` (${reportedBoard})` : ''}: ${p.uploads.map((u) => `${path.basename(u.file)} -> ${u.target}`).join(', ')}\n`);
  return EXIT_OK;
}

/**
 * The command line.
 * @param {string[]} argv arguments after `node tools/flash.js`
 * @param {{ out: (s: string) => void, err: (s: string) => void }} [io]
 * @returns {Promise<number>} exit status
 */
async function main(argv, io = { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) }) {
  /** @type {FlashOptions} */
  let o;
  /** @type {Plan} */
  let p;
  try {
    o = parseArgs(argv);
    if (o.help) {
      io.out(usage());
      return EXIT_OK;
    }
    p = plan(o);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.err(`espruino-edgent flash: ${e.message}\n`);
    return EXIT_USAGE;
  }
  io.out(describe(p, o) + '\n');
  for (const w of p.warnings) io.err(`espruino-edgent flash: warning: ${w}\n`);
  if (o.dryRun) {
    io.out(`Would run: ${formatCommand(p)}\n`);
    io.out(`  (${PROXY_PORT_PLACEHOLDER}: the port of a loopback HTTP proxy this script runs for the CLI's web requests; see tools/flash.js)\n`);
    io.out('Dry run: nothing was sent.\n');
    return EXIT_OK;
  }
  return run(p, o, io);
}

module.exports = {
  parseArgs,
  readManifest,
  plan,
  formatCommand,
  usage,
  main,
  UsageError,
  BOARDS,
  MODULE_MANIFEST,
  STORAGE_MODULE,
  PROXY_PORT_PLACEHOLDER,
};

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (status) => {
      process.exitCode = status;
    },
    (e) => {
      process.stderr.write(`espruino-edgent flash: ${e && e.stack ? e.stack : e}\n`);
      process.exitCode = EXIT_FAILED;
    },
  );
}
