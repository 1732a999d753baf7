/**
 * `npm run flash` (tools/flash.js): its command line and checks, and real
 * uploads through the espruino CLI to a stand-in board (test/tools/
 * espruino-standin.ts) on a loopback TCP port, checked byte for byte: every
 * Storage file a deployment manifest (`<name>.files.json`) lists, under the
 * name it gives, the boot code (".bootcde"), the reset before and the load()
 * after, and nothing else. The manifests and files are fixtures in a
 * temporary directory, not the build's.
 * Every child process runs in its own process group and is killed (with the
 * espruino CLI it started) if it outlives its time limit.
 */
import { strict as assert } from 'assert';
import { spawn, ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { parseArgs, plan, readManifest, usage, UsageError, PROXY_PORT_PLACEHOLDER, type Manifest } from '../../tools/flash';
import { EspruinoStandin, StandinOptions } from './espruino-standin';

const FLASH = path.join(__dirname, '../../tools/flash.js');
/** Longest a flash.js run may take before the test kills it. */
const RUN_LIMIT_MS = 45000;

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
  killed: boolean;
}

const live = new Set<ChildProcess>();
const standins = new Set<EspruinoStandin>();

/** Kills a child and everything in its process group (the espruino CLI it started). */
function killTree(child: ChildProcess): void {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  try {
    if (process.platform === 'win32') child.kill('SIGKILL');
    else process.kill(-child.pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** Runs `node tools/flash.js ...args` in `cwd`, bounded in time. */
function runFlash(args: string[], cwd: string, limitMs = RUN_LIMIT_MS): Promise<RunResult> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [FLASH, ...args], {
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: process.platform !== 'win32', // its own process group, so the CLI it starts dies with it
    });
    live.add(child);
    let stdout = '';
    let stderr = '';
    let killed = false;
    child.stdout!.setEncoding('latin1').on('data', (d: string) => (stdout += d));
    child.stderr!.setEncoding('latin1').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      killed = true;
      killTree(child);
    }, limitMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      killTree(child); // anything left in its group
      live.delete(child);
      resolve({ code, stdout, stderr, ms: Date.now() - started, killed });
    });
  });
}

async function standin(options: StandinOptions = {}): Promise<EspruinoStandin> {
  const s = new EspruinoStandin(options);
  standins.add(s);
  await s.listen();
  return s;
}

/** A TCP port nothing listens on. */
function deadPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

/** Every byte value, so nothing can be lost in an encoding. */
const ALL_BYTES = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
/** Every ASCII byte value (what the CLI's JS-literal path carries exactly). */
const ASCII_BYTES = Buffer.from(Array.from({ length: 128 }, (_, i) => i));

/** A few KB of ASCII firmware: quotes, backslashes, tabs, CRLF and LF lines, and every ASCII byte in a comment. */
function firmwareFixture(board: string, kb: number): Buffer {
  const parts: Buffer[] = [
    Buffer.from(`// ${board} test firmware\r\nvar wifi = require("Wifi"), http = require('http'), storage = require("Storage");\n`, 'latin1'),
    Buffer.from('/* all ASCII: ', 'latin1'),
    ASCII_BYTES.subarray(0, 0x2a), // stop before "*" so the comment stays open
    ASCII_BYTES.subarray(0x2b),
    Buffer.from(' */\n', 'latin1'),
  ];
  for (let i = 0; parts.reduce((n, b) => n + b.length, 0) < kb * 1024; i++)
    parts.push(Buffer.from(`var s${i} = "line ${i}: \\"quoted\\", back\\\\slash,\ttab, 'single' \\n";${i % 3 ? '\n' : '\r\n'}`, 'latin1'));
  parts.push(Buffer.from(`E.on("init", function () { print("${board} up", storage.read("edgent.htm").length); });\n`, 'latin1'));
  return Buffer.concat(parts);
}

/** Every byte value in a shuffled order (a different file each seed). */
function shuffledBytes(seed: number): Buffer {
  const b = Buffer.from(ALL_BYTES);
  for (let i = b.length - 1, x = seed; i > 0; i--) {
    x = (x * 1103515245 + 12345) >>> 0;
    const j = x % (i + 1);
    [b[i], b[j]] = [b[j], b[i]];
  }
  return b;
}

/** Writes a deployment manifest; returns its path. */
function writeManifest(file: string, m: Partial<Manifest> & Record<string, unknown>): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(m, null, 2) + '\n');
  return file;
}

/** The Storage files of the fixture firmware manifests: Storage name -> file in dist. */
const FIRMWARE_STORAGE = {
  'edgent.htm': 'form.html',
  'edgent-portal': 'edgent-portal.js',
  'edgent-cloud': 'edgent-cloud.js',
  'edgent-store': 'edgent-store.js',
};
/** The Storage files of the fixture library-module manifest. */
const MODULE_STORAGE = { ...FIRMWARE_STORAGE, 'espruino-edgent': 'espruino-edgent.js' };

describe('tools/flash.js (npm run flash)', function () {
  this.timeout(RUN_LIMIT_MS + 15000);

  let tmp: string;
  let dist: string;
  /** A manifest outside dist (a factory image): its own board, names and sub-directories. */
  let factory: string;
  const files: Record<string, Buffer> = {};

  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'edgent-flash-'));
    dist = path.join(tmp, 'dist');
    fs.mkdirSync(dist);
    files['form.html'] = Buffer.concat([
      Buffer.from('<!DOCTYPE html><html><body><form action="config">\r\n<input name="ssid">\n', 'latin1'),
      ALL_BYTES,
      Buffer.from('\n<script>var a="\\"",b=\'<\\/script>\';</script></form></body></html>', 'latin1'),
      Buffer.from('x'.repeat(900), 'latin1'),
    ]);
    files['esp32.js'] = firmwareFixture('ESP32', 3);
    files['esp8266.js'] = Buffer.concat([Buffer.from('var esp = require("ESP8266");\n'), firmwareFixture('ESP8266', 2)]);
    files['espruino-edgent.js'] = Buffer.concat([
      Buffer.from('exports.start = function (o) { return { stop: function () {} }; };\n/* ', 'latin1'),
      ALL_BYTES,
      Buffer.from(' */\n' + 'exports.x = "' + 'y'.repeat(1500) + '";\n', 'latin1'),
    ]);
    ['edgent-portal.js', 'edgent-cloud.js', 'edgent-store.js'].forEach((name, i) => {
      files[name] = Buffer.concat([Buffer.from(`exports.mode = ${JSON.stringify(name)};\n/* `, 'latin1'), shuffledBytes(i + 1), Buffer.from(' */\n', 'latin1')]);
    });
    for (const [name, data] of Object.entries(files)) fs.writeFileSync(path.join(dist, name), data);
    writeManifest(path.join(dist, 'esp32.files.json'), { board: 'ESP32', bootCode: 'esp32.js', storage: FIRMWARE_STORAGE });
    writeManifest(path.join(dist, 'esp8266.files.json'), { board: 'ESP8266', bootCode: 'esp8266.js', storage: FIRMWARE_STORAGE });
    writeManifest(path.join(dist, 'espruino-edgent.files.json'), { board: null, bootCode: null, storage: MODULE_STORAGE });

    files['app.js'] = Buffer.from(
      'var edgent = require("espruino-edgent");\nvar app = edgent.start({ board: "esp32", template: "TMPL1234" });\n' +
        'setInterval(function () { app.virtualWrite(1, getTime()); }, 10000);\n',
      'latin1',
    );
    fs.writeFileSync(path.join(tmp, 'app.js'), files['app.js']);
    fs.writeFileSync(path.join(tmp, 'accent.js'), 'var s = "caf\u00e9";\n', 'utf8');

    files['factory/fw/product.js'] = firmwareFixture('factory', 1);
    files['factory/data/calib.bin'] = Buffer.concat([shuffledBytes(7), shuffledBytes(8)]);
    files['factory/data/labels.txt'] = Buffer.from('serial=0001\r\nmodel=aquarium\n', 'latin1');
    for (const name of ['factory/fw/product.js', 'factory/data/calib.bin', 'factory/data/labels.txt']) {
      fs.mkdirSync(path.dirname(path.join(tmp, name)), { recursive: true });
      fs.writeFileSync(path.join(tmp, name), files[name]);
    }
    factory = writeManifest(path.join(tmp, 'factory', 'unit.files.json'), {
      board: 'ESP8266',
      bootCode: 'fw/product.js',
      storage: { calib: 'data/calib.bin', 'labels.txt': 'data/labels.txt' },
    });
  });

  afterEach(async () => {
    for (const child of live) killTree(child);
    for (const s of standins) await s.close();
    standins.clear();
  });

  after(() => {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  describe('command line', () => {
    it('--help explains every option, the manifests and what goes where', async () => {
      const r = await runFlash(['--help'], tmp);
      assert.equal(r.code, 0);
      for (const s of ['--board', '--port', '--baud', '--manifest', '--firmware', '--module', '--dist', '--timeout', '--verbose', '--dry-run', '--help'])
        assert.ok(r.stdout.includes(s), `help mentions ${s}`);
      assert.match(r.stdout, /tcp:\/\/host:port/);
      assert.match(r.stdout, /dist\/esp32\.files\.json/);
      assert.match(r.stdout, /dist\/<board>\.files\.json/);
      assert.match(r.stdout, /dist\/espruino-edgent\.files\.json/);
      assert.match(r.stdout, /"bootCode"/);
      assert.match(r.stdout, /-> boot code/);
      assert.match(r.stdout, /Storage file of that name, byte for byte/);
      assert.equal(r.stdout, usage());
    });

    it('reads options, with --name=value too', () => {
      const o = parseArgs(['--board', 'ESP32', '--port=tcp://h:23', '--baud', '9600', '--module', '--firmware', 'a.js', '--timeout=5', '--dry-run']);
      assert.equal(o.board, 'esp32');
      assert.equal(o.port, 'tcp://h:23');
      assert.equal(o.baud, 9600);
      assert.equal(o.module, true);
      assert.equal(o.firmware, 'a.js');
      assert.equal(o.timeout, 5);
      assert.equal(o.dryRun, true);
      assert.equal(parseArgs(['--manifest=x/y.files.json']).manifest, 'x/y.files.json');
      assert.equal(parseArgs([]).baud, 115200);
      assert.equal(parseArgs([]).manifest, undefined);
      assert.throws(() => parseArgs(['--baud', 'fast']), UsageError);
      assert.throws(() => parseArgs(['--port']), /--port needs a value/);
      assert.throws(() => parseArgs(['--manifest']), /--manifest needs a value/);
      assert.throws(() => parseArgs(['--bored', 'esp32']), /unknown argument "--bored"/);
    });

    it('builds the espruino CLI command: code file first, offline settings, one --storage per manifest entry, -p last', () => {
      const p = plan({ ...parseArgs(['--board', 'esp8266', '--port', '/dev/ttyUSB0', '--module', '--firmware', 'app.js']), dist }, { cwd: tmp });
      assert.equal(p.manifest, path.join(dist, 'espruino-edgent.files.json'));
      assert.equal(p.args[0], 'app.js');
      assert.deepEqual(p.args.slice(-2), ['-p', '/dev/ttyUSB0']);
      const at = (a: string) => p.args.indexOf(a);
      assert.ok(at('--no-ble') > 0);
      assert.equal(p.args[at('-b') + 1], '115200');
      const configs = p.args.filter((_, i) => p.args[i - 1] === '--config');
      assert.deepEqual(configs, [
        'SAVE_ON_SEND=1',
        'MODULE_PROXY_ENABLED=true',
        'MODULE_PROXY_URL=127.0.0.1',
        `MODULE_PROXY_PORT=${PROXY_PORT_PLACEHOLDER}`,
        'MODULE_URL=',
        'COMPILATION=false',
      ]);
      const storage = p.args.filter((_, i) => p.args[i - 1] === '--storage');
      assert.deepEqual(
        storage,
        Object.entries(MODULE_STORAGE).map(([name, f]) => `${name}:${path.join('dist', f)}`),
      );
      assert.deepEqual(
        p.uploads.map((u) => [path.basename(u.file), u.target, u.storage]),
        [
          ...Object.entries(MODULE_STORAGE).map(([name, f]) => [f, `Storage "${name}"`, name]),
          ['app.js', 'boot code', undefined],
        ],
      );
      assert.equal(p.board.label, 'ESP8266', 'the library manifest names no board: --board decides');
    });

    it('--board picks dist/<board>.files.json; its board is what the board must report', () => {
      const p = plan({ ...parseArgs(['--board', 'esp32', '--port', 'tcp://h']), dist }, { cwd: tmp });
      assert.equal(p.manifest, path.join(dist, 'esp32.files.json'));
      assert.equal(p.args[0], path.join('dist', 'esp32.js'));
      assert.deepEqual(
        p.uploads.map((u) => [path.relative(tmp, u.file), u.storage]),
        [...Object.entries(FIRMWARE_STORAGE).map(([name, f]) => [path.join('dist', f), name]), [path.join('dist', 'esp32.js'), undefined]],
      );
      assert.equal(p.board.label, 'ESP32');
      assert.ok(p.board.boardName.test('ESP32') && p.board.boardName.test('ESP32_DEVKITC') && !p.board.boardName.test('ESP8266'));
    });

    it('--manifest FILE: any manifest, names and files relative to it, board from the manifest', () => {
      const p = plan({ ...parseArgs(['--manifest', path.relative(tmp, factory), '--port', 'tcp://h']), dist }, { cwd: tmp });
      assert.equal(p.manifest, factory);
      assert.equal(p.args[0], path.join('factory', 'fw', 'product.js'));
      assert.deepEqual(p.args.filter((_, i) => p.args[i - 1] === '--storage'), [
        `calib:${path.join('factory', 'data', 'calib.bin')}`,
        `labels.txt:${path.join('factory', 'data', 'labels.txt')}`,
      ]);
      assert.equal(p.board.label, 'ESP8266');
      assert.ok(p.board.boardName.test('ESP8266_4MB') && !p.board.boardName.test('ESP32'));
      assert.equal(plan({ ...parseArgs(['--manifest', factory, '--board', 'esp8266', '--port', 'tcp://h']), dist }, { cwd: tmp }).board.label, 'ESP8266');
      assert.deepEqual(readManifest(factory), {
        board: 'ESP8266',
        bootCode: 'fw/product.js',
        storage: { calib: 'data/calib.bin', 'labels.txt': 'data/labels.txt' },
      });
    });

    it("the manifest's board must fit --board; a board-less manifest needs --board: exit 2", async () => {
      const r = await runFlash(['--manifest', factory, '--board', 'esp32', '--port', 'tcp://127.0.0.1:1'], tmp);
      assert.equal(r.code, 2);
      assert.ok(r.stderr.includes(`${factory} is for ESP8266, not ESP32 (--board esp32)`), r.stderr);
      const m = await runFlash(['--manifest', path.join(dist, 'espruino-edgent.files.json'), '--firmware', 'app.js', '--port', 'tcp://127.0.0.1:1'], tmp);
      assert.equal(m.code, 2);
      assert.match(m.stderr, /espruino-edgent\.files\.json names no board: give --board esp32 or --board esp8266/);
      const odd = writeManifest(path.join(tmp, 'other', 'nrf.files.json'), { board: 'PUCKJS', bootCode: 'x.js', storage: {} });
      assert.throws(() => plan({ ...parseArgs(['--manifest', odd, '--port', 'tcp://h']), dist }, { cwd: tmp }), /is for board "PUCKJS": not an ESP32 or ESP8266/);
    });

    it('a manifest without boot code needs --firmware; --module with --manifest is refused', () => {
      const lib = path.join(dist, 'espruino-edgent.files.json');
      assert.throws(
        () => plan({ ...parseArgs(['--manifest', lib, '--board', 'esp32', '--port', 'tcp://h']), dist }, { cwd: tmp }),
        /has no boot code \("bootCode": null\): give --firmware FILE/,
      );
      assert.equal(plan({ ...parseArgs(['--manifest', lib, '--board', 'esp32', '--firmware', 'app.js', '--port', 'tcp://h']), dist }, { cwd: tmp }).args[0], 'app.js');
      assert.throws(
        () => plan({ ...parseArgs(['--manifest', lib, '--module', '--firmware', 'app.js', '--board', 'esp32', '--port', 'tcp://h']), dist }, { cwd: tmp }),
        /either --module or --manifest FILE, not both/,
      );
    });

    it('refuses manifests that are not JSON or not of the right shape', () => {
      const dir = path.join(tmp, 'bad');
      fs.mkdirSync(dir, { recursive: true });
      const cases: Array<[string, RegExp]> = [
        ['{"board": "ESP32", "bootCode": "a.js", ', /is not JSON/],
        ['[]', /not a JSON object/],
        ['{"board": "ESP32", "bootCode": "a.js"}', /"storage" must be an object/],
        ['{"board": 7, "bootCode": "a.js", "storage": {}}', /"board" must be a board name/],
        ['{"board": "ESP32", "bootCode": 1, "storage": {}}', /"bootCode" must be a file name or null/],
        ['{"board": "ESP32", "bootCode": "a.js", "storage": {"a:b": "f"}}', /contains ":"/],
        ['{"board": "ESP32", "bootCode": "a.js", "storage": {".bootcde": "f"}}', /is the boot code: use "bootCode"/],
        [`{"board": "ESP32", "bootCode": "a.js", "storage": {"${'n'.repeat(29)}": "f"}}`, /must be 1 to 28 characters/],
        ['{"board": "ESP32", "bootCode": "a.js", "storage": {"x": ""}}', /Storage "x" must name a file/],
      ];
      cases.forEach(([text, re], i) => {
        const file = path.join(dir, `m${i}.files.json`);
        fs.writeFileSync(file, text);
        assert.throws(() => readManifest(file), (e: Error) => e instanceof UsageError && re.test(e.message) && e.message.includes(file), text);
      });
    });

    it('refuses a path the CLI would split at ":"', () => {
      const odd = path.join(tmp, 'di:st');
      fs.mkdirSync(odd, { recursive: true });
      for (const f of ['form.html', 'esp32.js']) fs.writeFileSync(path.join(odd, f), files[f]);
      writeManifest(path.join(odd, 'esp32.files.json'), { board: 'ESP32', bootCode: 'esp32.js', storage: { 'edgent.htm': 'form.html' } });
      assert.throws(() => plan({ ...parseArgs(['--board', 'esp32', '--port', 'tcp://h']), dist: odd }, { cwd: '/' }), /contains ":"/);
    });

    it('unknown board: exit 2 with a clear message', async () => {
      const r = await runFlash(['--board', 'esp01', '--port', 'tcp://127.0.0.1:1', '--dist', dist], tmp);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /unknown board "esp01": use --board esp32 or --board esp8266/);
      assert.doesNotMatch(r.stdout, /Running/);
    });

    it('missing port or board: exit 2', async () => {
      const r = await runFlash(['--board', 'esp32', '--dist', dist], tmp);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /missing --port/);
      const r2 = await runFlash(['--port', 'tcp://127.0.0.1:1', '--dist', dist], tmp);
      assert.equal(r2.code, 2);
      assert.match(r2.stderr, /missing --board/);
    });

    it('missing manifest: exit 2 naming it, "run npm run build first"', async () => {
      const empty = path.join(tmp, 'empty-dist');
      fs.mkdirSync(empty, { recursive: true });
      const r = await runFlash(['--board', 'esp32', '--port', 'tcp://127.0.0.1:1', '--dist', empty], tmp);
      assert.equal(r.code, 2);
      assert.ok(r.stderr.includes(`${path.join(empty, 'esp32.files.json')} not found: run npm run build first`), r.stderr);
      const m = await runFlash(['--board', 'esp32', '--port', 'tcp://127.0.0.1:1', '--dist', empty, '--module', '--firmware', 'app.js'], tmp);
      assert.equal(m.code, 2);
      assert.ok(m.stderr.includes(`${path.join(empty, 'espruino-edgent.files.json')} not found: run npm run build first`), m.stderr);
      const f = await runFlash(['--manifest', 'nope.files.json', '--port', 'tcp://127.0.0.1:1'], tmp);
      assert.equal(f.code, 2);
      assert.ok(f.stderr.includes(`${path.join(tmp, 'nope.files.json')} not found: run npm run build first`), f.stderr);
      assert.doesNotMatch(r.stdout + m.stdout + f.stdout, /Running/);
    });

    it('a manifest naming a missing file: exit 2 naming the file, "run npm run build first", nothing sent', async () => {
      const board = await standin();
      const part = path.join(tmp, 'partial-dist');
      fs.mkdirSync(part, { recursive: true });
      for (const f of ['form.html', 'esp32.js']) fs.writeFileSync(path.join(part, f), files[f]);
      writeManifest(path.join(part, 'esp32.files.json'), { board: 'ESP32', bootCode: 'esp32.js', storage: FIRMWARE_STORAGE });
      const r = await runFlash(['--board', 'esp32', '--port', `tcp://127.0.0.1:${board.port}`, '--dist', part], tmp);
      assert.equal(r.code, 2);
      const missing = ['edgent-portal.js', 'edgent-cloud.js', 'edgent-store.js'].map((f) => path.join(part, f)).join(', ');
      assert.ok(r.stderr.includes(`${missing} not found (named by ${path.join(part, 'esp32.files.json')}): run npm run build first`), r.stderr);
      writeManifest(path.join(part, 'esp8266.files.json'), { board: 'ESP8266', bootCode: 'esp8266.js', storage: { 'edgent.htm': 'form.html' } });
      const b = await runFlash(['--board', 'esp8266', '--port', `tcp://127.0.0.1:${board.port}`, '--dist', part], tmp);
      assert.equal(b.code, 2);
      assert.ok(b.stderr.includes(`${path.join(part, 'esp8266.js')} not found (named by ${path.join(part, 'esp8266.files.json')})`), b.stderr);
      await new Promise((res) => setTimeout(res, 200));
      assert.equal(board.connections, 0);
    });

    it('--module without --firmware, or a missing --firmware file: exit 2', async () => {
      const r = await runFlash(['--board', 'esp32', '--port', 'tcp://127.0.0.1:1', '--dist', dist, '--module'], tmp);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /--module needs --firmware FILE/);
      const r2 = await runFlash(['--board', 'esp32', '--port', 'tcp://127.0.0.1:1', '--dist', dist, '--firmware', 'nope.js'], tmp);
      assert.equal(r2.code, 2);
      assert.match(r2.stderr, /firmware .*nope\.js not found/);
    });

    it('--dry-run prints the manifest, the files and the exact command and sends nothing', async () => {
      const board = await standin();
      const before = fs.readdirSync(tmp).sort();
      const r = await runFlash(['--board', 'esp32', '--port', `tcp://127.0.0.1:${board.port}`, '--dist', dist, '--dry-run'], tmp);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /flash: dist\/esp32\.files\.json, board ESP32/);
      for (const [name, f] of Object.entries(FIRMWARE_STORAGE))
        assert.match(r.stdout, new RegExp(`storage\\s+dist/${f.replace('.', '\\.')} \\(${files[f].length} bytes\\) -> Storage "${name.replace('.', '\\.')}"`));
      assert.match(r.stdout, new RegExp(`boot code\\s+dist/esp32\\.js \\(${files['esp32.js'].length} bytes\\) -> boot code`));
      const cmd = /Would run: (.*)/.exec(r.stdout)![1];
      assert.ok(cmd.startsWith(process.execPath + ' '), cmd);
      assert.match(cmd, /espruino-cli\.js dist\/esp32\.js --no-ble -b 115200 --config SAVE_ON_SEND=1 /);
      assert.match(
        cmd,
        / --storage edgent\.htm:dist\/form\.html --storage edgent-portal:dist\/edgent-portal\.js --storage edgent-cloud:dist\/edgent-cloud\.js --storage edgent-store:dist\/edgent-store\.js -p tcp:\/\/127\.0\.0\.1:\d+$/,
      );
      assert.match(r.stdout, /nothing was sent/);
      await new Promise((res) => setTimeout(res, 200));
      assert.equal(board.connections, 0);
      assert.equal(board.raw.length, 0);
      assert.deepEqual(fs.readdirSync(tmp).sort(), before);
    });

    it('warns that non-ASCII firmware is not sent byte for byte', async () => {
      const r = await runFlash(['--board', 'esp32', '--port', 'tcp://127.0.0.1:1', '--dist', dist, '--firmware', 'accent.js', '--dry-run'], tmp);
      assert.equal(r.code, 0);
      assert.match(r.stderr, /warning: .*accent\.js is not pure ASCII \(byte 0xc3 at offset 12\)/);
    });
  });

  describe('the stand-in board', () => {
    /** Sends `data` to a stand-in and returns what it printed once it is quiet. */
    async function session(board: EspruinoStandin, data: string): Promise<string> {
      const socket = net.connect(board.port, '127.0.0.1');
      let got = '';
      socket.setEncoding('latin1').on('data', (d: string) => (got += d));
      await new Promise<void>((res) => socket.once('connect', () => res()));
      socket.write(Buffer.from(data, 'latin1'));
      for (let quiet = 0, last = -1; quiet < 3; ) {
        await new Promise((res) => setTimeout(res, 50));
        quiet = got.length === last ? quiet + 1 : 0;
        last = got.length;
      }
      socket.destroy();
      return got;
    }

    it("answers the CLI's prompt and process.env queries and runs the CLI's old-style E.setBootCode upload", async () => {
      const board = await standin({ board: 'ESP8266', version: '2v29' });
      // Recorded from the espruino CLI uploading to a board whose process.env it could not read.
      const out = await session(
        board,
        '\n\x03\x03\x10print("<","<<",JSON.stringify(process.env),">>",">")\n\n\x03\x03\x10reset();\n\x10print()\n' +
          '\x10E.setBootCode("var x = 1;\\nconsole.log(\\"hi\\");\\n");\n\x10load()\n\n',
      );
      const env = JSON.parse(/< << (.*) >> >/.exec(out)![1]);
      assert.equal(env.BOARD, 'ESP8266');
      assert.equal(env.VERSION, '2v29');
      assert.match(env.MODULES, /Wifi/);
      assert.deepEqual(board.bootCode(), Buffer.from('var x = 1;\nconsole.log("hi");\n'));
      assert.deepEqual(board.ofType('set-boot-code'), [{ type: 'set-boot-code', length: 30, alwaysExec: false }]);
      assert.deepEqual(
        board.events.map((e) => e.type),
        ['prompt', 'ctrl-c', 'ctrl-c', 'env', 'prompt', 'ctrl-c', 'ctrl-c', 'reset', 'print', 'set-boot-code', 'load', 'prompt'],
      );
    });

    it("decodes the CLI's string escapes and atob, and checks Storage writes like the board", async () => {
      const board = await standin();
      const out = await session(
        board,
        '\x10require("Storage").write("f","\\0\\1\\x0a\\x01\\7A\\x7f\\xc3\\t\\\\\\"",0,13)\n' +
          '\x10require("Storage").write("f",atob("/w=="),12)\n' +
          '\x10require("Storage").write("f","x",12)\n' + // byte 12 again
          '\x10require("Storage").write("g","")\n' + // zero length
          '\x10require("Storage").write("nope","x",5)\n' + // offset write to a missing file
          '\x10require("Storage").write("f","xy",12)\n' + // past the end
          '\x10foo()\n',
      );
      assert.deepEqual(board.file('f'), Buffer.from([0, 1, 10, 1, 7, 0x41, 0x7f, 0xc3, 9, 0x5c, 0x22, 0xff, 0xff]));
      assert.deepEqual(
        board.ofType('error').map((e) => e.message.replace(/ ".*/, '')),
        ['Byte 12 of', 'Zero-length files are not allowed', 'File', 'Too much data for file size', 'Stand-in cannot run'],
      );
      assert.equal(board.ofType('unknown').length, 1);
      assert.equal((out.match(/Uncaught Error/g) || []).length, 5);
    });
  });

  describe('uploads to a stand-in board (espruino CLI over tcp://)', () => {
    /** Checks the order of what the board was asked to do, and that nothing unexpected came. */
    function assertUploadSequence(board: EspruinoStandin, storageNames: string[]): void {
      const kinds = board.events.map((e) => e.type);
      assert.deepEqual(board.ofType('unknown'), []);
      assert.deepEqual(board.ofType('error'), []);
      assert.deepEqual(board.ofType('set-boot-code'), [], 'boot code written in Storage chunks, not one E.setBootCode string');
      assert.deepEqual(board.ofType('module'), [], 'no module inlined into the boot code');
      const env = kinds.indexOf('env');
      const reset = kinds.indexOf('reset');
      const firstWrite = kinds.indexOf('storage-write');
      const load = kinds.lastIndexOf('load');
      assert.ok(env >= 0 && env < reset, 'board asked for process.env before the reset');
      assert.equal(kinds.filter((k) => k === 'reset').length, 1);
      assert.ok(reset < firstWrite, 'reset() before the first write');
      assert.ok(load > kinds.lastIndexOf('storage-write'), 'load() after the last write');
      assert.deepEqual(board.ofType('load'), [{ type: 'load' }], 'one load() of the boot code');
      assert.deepEqual([...board.storage.keys()].sort(), [...storageNames, '.bootcde'].sort(), 'the manifest files and the boot code, nothing else');
      // The boot code: 1024-byte JS string literals; the other files: 384-byte base64 chunks.
      for (const w of board.ofType('storage-write')) {
        if (w.name === '.bootcde') assert.ok(!w.base64 && w.length <= 1024);
        else assert.ok(w.base64 && w.length <= 384);
      }
      const writes = board.ofType('storage-write').map((w) => w.name);
      const firstBoot = writes.indexOf('.bootcde');
      assert.ok(firstBoot >= 0 && writes.slice(firstBoot).every((n) => n === '.bootcde'), 'the boot code after the Storage files');
    }

    /** Checks that every Storage file of a manifest arrived byte for byte, under its name. */
    function assertStorage(board: EspruinoStandin, storage: Record<string, string>, dir: string): void {
      for (const [name, f] of Object.entries(storage)) {
        const want = fs.readFileSync(path.join(dir, f));
        assert.ok(board.file(name), `Storage "${name}" written`);
        assert.ok(board.file(name)!.equals(want), `Storage "${name}" is ${f}, byte for byte`);
      }
    }

    it('--board esp32: every Storage file of dist/esp32.files.json, its boot code, then load()', async () => {
      const board = await standin({ board: 'ESP32' });
      const r = await runFlash(['--board', 'esp32', '--port', `tcp://127.0.0.1:${board.port}`, '--dist', dist], tmp);
      assert.equal(r.killed, false, 'finished in time');
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /the board reports ESP32/);
      assert.match(r.stdout, /Upload Complete/);
      assert.match(r.stdout, /done \(ESP32\)/);
      assertStorage(board, FIRMWARE_STORAGE, dist);
      assert.deepEqual(board.bootCode(), files['esp32.js']);
      assertUploadSequence(board, Object.keys(FIRMWARE_STORAGE));
      assert.equal(board.connections, 1);
    });

    it('--board esp8266: the ESP8266 manifest', async () => {
      const board = await standin({ board: 'ESP8266_4MB' });
      const r = await runFlash(['--board', 'esp8266', '--port', `tcp://127.0.0.1:${board.port}`, '--dist', dist], tmp);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assertStorage(board, FIRMWARE_STORAGE, dist);
      assert.deepEqual(board.bootCode(), files['esp8266.js']);
      assertUploadSequence(board, Object.keys(FIRMWARE_STORAGE));
    });

    it('--module: every Storage file of espruino-edgent.files.json (library included), product firmware -> boot code', async () => {
      const board = await standin({ board: 'ESP32' });
      const r = await runFlash(['--board', 'esp32', '--port', `tcp://127.0.0.1:${board.port}`, '--dist', dist, '--module', '--firmware', 'app.js'], tmp);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /espruino-edgent\.files\.json \(module mode\)/);
      assertStorage(board, MODULE_STORAGE, dist);
      assert.deepEqual(board.file('espruino-edgent'), files['espruino-edgent.js']);
      // The CLI could not inline require("espruino-edgent") (the board loads it from Storage),
      // and for an unresolved require it puts a newline before the code.
      assert.deepEqual(board.bootCode(), Buffer.concat([Buffer.from('\n'), files['app.js']]));
      assertUploadSequence(board, Object.keys(MODULE_STORAGE));
      assert.match(r.stderr, /Module espruino-edgent not found/);
      assert.match(r.stderr, /loads "espruino-edgent" from Storage/);
    });

    it('--manifest FILE: a manifest outside dist, its board, names and sub-directories', async () => {
      const board = await standin({ board: 'ESP8266_4MB' });
      const r = await runFlash(['--manifest', path.relative(tmp, factory), '--port', `tcp://127.0.0.1:${board.port}`], tmp);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /flash: factory\/unit\.files\.json, board ESP8266/);
      assert.match(r.stdout, /the board reports ESP8266_4MB/);
      assert.deepEqual(board.file('calib'), files['factory/data/calib.bin']);
      assert.deepEqual(board.file('labels.txt'), files['factory/data/labels.txt']);
      assert.deepEqual(board.bootCode(), files['factory/fw/product.js']);
      assertUploadSequence(board, ['calib', 'labels.txt']);
    });

    it("--manifest for another chip than the board reports: exit 1 before anything is written", async () => {
      const board = await standin({ board: 'ESP32' });
      const r = await runFlash(['--manifest', factory, '--port', `tcp://127.0.0.1:${board.port}`], tmp);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /FAILED: the board reports ESP32, not ESP8266/);
      assert.deepEqual(board.ofType('reset'), []);
      assert.equal(board.storage.size, 0);
    });

    it("--firmware FILE replaces the manifest's boot code, the Storage files stay; non-ASCII is re-encoded by the CLI", async () => {
      const board = await standin({ board: 'ESP32' });
      const r = await runFlash(['--board', 'esp32', '--port', `tcp://127.0.0.1:${board.port}`, '--dist', dist, '--firmware', 'accent.js'], tmp);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stderr, /not pure ASCII/);
      // The file holds UTF-8 "é" (C3 A9); the CLI sends U+00E9 as the single byte E9.
      assert.deepEqual(board.bootCode(), Buffer.from('var s = "caf\xe9";\n', 'latin1'));
      assertStorage(board, FIRMWARE_STORAGE, dist);
      assertUploadSequence(board, Object.keys(FIRMWARE_STORAGE));
    });

    it('a board that reports another chip: exit 1 before anything is written', async () => {
      const board = await standin({ board: 'ESP32' });
      const r = await runFlash(['--board', 'esp8266', '--port', `tcp://127.0.0.1:${board.port}`, '--dist', dist], tmp);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /FAILED: the board reports ESP32, not ESP8266/);
      assert.deepEqual(board.ofType('reset'), []);
      assert.equal(board.storage.size, 0);
    });

    it('a board that does not answer: exit 1, nothing written', async () => {
      const board = await standin({ silent: true });
      const r = await runFlash(['--board', 'esp32', '--port', `tcp://127.0.0.1:${board.port}`, '--dist', dist], tmp);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /FAILED: the board did not answer the process\.env query/);
      assert.equal(board.storage.size, 0);
      assert.deepEqual(board.ofType('set-boot-code'), []);
    });

    it('nothing listening on the port: exit 1 (the espruino CLI itself exits 0)', async () => {
      const port = await deadPort();
      const r = await runFlash(['--board', 'esp32', '--port', `tcp://127.0.0.1:${port}`, '--dist', dist], tmp);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /ECONNREFUSED/);
      assert.match(r.stderr, /FAILED: the connection failed/);
    });

    it('errors the board prints (Storage full): exit 1', async () => {
      const stored = Object.values(FIRMWARE_STORAGE).reduce((n, f) => n + files[f].length, 0);
      const board = await standin({ board: 'ESP32', storageFree: stored + 100 });
      const r = await runFlash(['--board', 'esp32', '--port', `tcp://127.0.0.1:${board.port}`, '--dist', dist], tmp);
      assert.equal(r.code, 1);
      assert.match(r.stdout, /--\] Uncaught Error: Not enough free space/);
      assert.match(r.stderr, /FAILED: the board reported errors \(during the upload[^)]*\): Uncaught Error: Not enough free space/);
      assertStorage(board, FIRMWARE_STORAGE, dist);
      assert.equal(board.bootCode(), undefined);
    });

    it('a new firmware that keeps printing: stops listening 5 s after the upload, exit 0', async () => {
      const board = await standin({ board: 'ESP32', chatter: { text: '[edgent] waiting for config', every: 200 } });
      const r = await runFlash(['--board', 'esp32', '--port', `tcp://127.0.0.1:${board.port}`, '--dist', dist], tmp);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /--\] [^\n]*\[edgent\] waiting for config/);
      assert.match(r.stdout, /the board is still printing 5 s after the upload; not listening any more/);
      assert.deepEqual(board.bootCode(), files['esp32.js']);
      assert.ok(r.ms < 20000, `took ${r.ms} ms`);
    });

    it('--timeout stops the espruino CLI: exit 1', async () => {
      const board = await standin({ silent: true });
      const r = await runFlash(['--board', 'esp32', '--port', `tcp://127.0.0.1:${board.port}`, '--dist', dist, '--timeout', '1'], tmp);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /FAILED: the espruino CLI did not finish within 1 s/);
      assert.ok(r.ms < 10000, `took ${r.ms} ms`);
    });
  });
});
