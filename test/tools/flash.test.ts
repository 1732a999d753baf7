/**
 * `npm run flash` (tools/flash.js): its command line and checks, and real
 * uploads through the espruino CLI to a stand-in board (test/tools/
 * espruino-standin.ts) on a loopback TCP port, checked byte for byte: the form
 * in Storage "edgent.htm", the library in Storage "espruino-edgent", the
 * firmware as boot code (".bootcde"), the reset before and the load() after.
 * Every child process runs in its own process group and is killed (with the
 * espruino CLI it started) if it outlives its time limit.
 */
import { strict as assert } from 'assert';
import { spawn, ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { parseArgs, plan, usage, UsageError, PROXY_PORT_PLACEHOLDER } from '../../tools/flash';
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

describe('tools/flash.js (npm run flash)', function () {
  this.timeout(RUN_LIMIT_MS + 15000);

  let tmp: string;
  let dist: string;
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
    for (const [name, data] of Object.entries(files)) fs.writeFileSync(path.join(dist, name), data);
    files['app.js'] = Buffer.from(
      'var edgent = require("espruino-edgent");\nvar app = edgent.start({ board: "esp32", template: "TMPL1234" });\n' +
        'setInterval(function () { app.virtualWrite(1, getTime()); }, 10000);\n',
      'latin1',
    );
    fs.writeFileSync(path.join(tmp, 'app.js'), files['app.js']);
    fs.writeFileSync(path.join(tmp, 'accent.js'), 'var s = "caf\u00e9";\n', 'utf8');
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
    it('--help explains every option, both modes and what goes where', async () => {
      const r = await runFlash(['--help'], tmp);
      assert.equal(r.code, 0);
      for (const s of ['--board', '--port', '--baud', '--firmware', '--module', '--dist', '--timeout', '--verbose', '--dry-run', '--help'])
        assert.ok(r.stdout.includes(s), `help mentions ${s}`);
      assert.match(r.stdout, /tcp:\/\/host:port/);
      assert.match(r.stdout, /firmware \(default\)/);
      assert.match(r.stdout, /dist\/form\.html\s+-> Storage file "edgent\.htm"/);
      assert.match(r.stdout, /dist\/espruino-edgent\.js\s+-> Storage file "espruino-edgent"/);
      assert.match(r.stdout, /-> boot code/);
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
      assert.equal(parseArgs([]).baud, 115200);
      assert.throws(() => parseArgs(['--baud', 'fast']), UsageError);
      assert.throws(() => parseArgs(['--port']), /--port needs a value/);
      assert.throws(() => parseArgs(['--bored', 'esp32']), /unknown argument "--bored"/);
    });

    it('builds the espruino CLI command: code file first, offline settings, Storage files, -p last', () => {
      const p = plan({ ...parseArgs(['--board', 'esp8266', '--port', '/dev/ttyUSB0', '--module', '--firmware', 'app.js']), dist }, { cwd: tmp });
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
      assert.deepEqual(storage, [`espruino-edgent:${path.join('dist', 'espruino-edgent.js')}`, `edgent.htm:${path.join('dist', 'form.html')}`]);
      assert.deepEqual(
        p.uploads.map((u) => [path.basename(u.file), u.target]),
        [
          ['espruino-edgent.js', 'Storage "espruino-edgent"'],
          ['form.html', 'Storage "edgent.htm"'],
          ['app.js', 'boot code'],
        ],
      );
    });

    it('refuses a path the CLI would split at ":"', () => {
      const odd = path.join(tmp, 'di:st');
      fs.mkdirSync(odd, { recursive: true });
      for (const f of ['form.html', 'esp32.js']) fs.writeFileSync(path.join(odd, f), files[f]);
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

    it('missing dist files: exit 2, "run npm run build first"', async () => {
      const empty = path.join(tmp, 'empty-dist');
      fs.mkdirSync(empty, { recursive: true });
      const r = await runFlash(['--board', 'esp32', '--port', 'tcp://127.0.0.1:1', '--dist', empty], tmp);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /form\.html.*esp32\.js not found: run npm run build first/);
      const m = await runFlash(['--board', 'esp32', '--port', 'tcp://127.0.0.1:1', '--dist', empty, '--module', '--firmware', 'app.js'], tmp);
      assert.equal(m.code, 2);
      assert.match(m.stderr, /espruino-edgent\.js.*form\.html not found: run npm run build first/);
    });

    it('--module without --firmware, or a missing --firmware file: exit 2', async () => {
      const r = await runFlash(['--board', 'esp32', '--port', 'tcp://127.0.0.1:1', '--dist', dist, '--module'], tmp);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /--module needs --firmware FILE/);
      const r2 = await runFlash(['--board', 'esp32', '--port', 'tcp://127.0.0.1:1', '--dist', dist, '--firmware', 'nope.js'], tmp);
      assert.equal(r2.code, 2);
      assert.match(r2.stderr, /firmware .*nope\.js not found/);
    });

    it('--dry-run prints the files and the exact command and sends nothing', async () => {
      const board = await standin();
      const before = fs.readdirSync(tmp).sort();
      const r = await runFlash(['--board', 'esp32', '--port', `tcp://127.0.0.1:${board.port}`, '--dist', dist, '--dry-run'], tmp);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /firmware mode, board ESP32/);
      assert.match(r.stdout, new RegExp(`portal form\\s+dist/form\\.html \\(${files['form.html'].length} bytes\\) -> Storage "edgent\\.htm"`));
      assert.match(r.stdout, new RegExp(`firmware\\s+dist/esp32\\.js \\(${files['esp32.js'].length} bytes\\) -> boot code`));
      const cmd = /Would run: (.*)/.exec(r.stdout)![1];
      assert.ok(cmd.startsWith(process.execPath + ' '), cmd);
      assert.match(cmd, /espruino-cli\.js dist\/esp32\.js --no-ble -b 115200 --config SAVE_ON_SEND=1 /);
      assert.match(cmd, /--storage edgent\.htm:dist\/form\.html -p tcp:\/\/127\.0\.0\.1:\d+$/);
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
      assert.deepEqual([...board.storage.keys()].sort(), [...storageNames].sort());
      // The boot code: 1024-byte JS string literals; the other files: 384-byte base64 chunks.
      for (const w of board.ofType('storage-write')) {
        if (w.name === '.bootcde') assert.ok(!w.base64 && w.length <= 1024);
        else assert.ok(w.base64 && w.length <= 384);
      }
    }

    it('default mode (ESP32): form -> Storage "edgent.htm", firmware -> boot code, then load()', async () => {
      const board = await standin({ board: 'ESP32' });
      const r = await runFlash(['--board', 'esp32', '--port', `tcp://127.0.0.1:${board.port}`, '--dist', dist], tmp);
      assert.equal(r.killed, false, 'finished in time');
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /the board reports ESP32/);
      assert.match(r.stdout, /Upload Complete/);
      assert.match(r.stdout, /done \(ESP32\)/);
      assert.deepEqual(board.file('edgent.htm'), files['form.html']);
      assert.deepEqual(board.bootCode(), files['esp32.js']);
      assertUploadSequence(board, ['edgent.htm', '.bootcde']);
      assert.equal(board.connections, 1);
    });

    it('default mode (ESP8266): the ESP8266 firmware', async () => {
      const board = await standin({ board: 'ESP8266_4MB' });
      const r = await runFlash(['--board', 'esp8266', '--port', `tcp://127.0.0.1:${board.port}`, '--dist', dist], tmp);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.deepEqual(board.file('edgent.htm'), files['form.html']);
      assert.deepEqual(board.bootCode(), files['esp8266.js']);
      assertUploadSequence(board, ['edgent.htm', '.bootcde']);
    });

    it('--module: library -> Storage "espruino-edgent", form -> "edgent.htm", product firmware -> boot code', async () => {
      const board = await standin({ board: 'ESP32' });
      const r = await runFlash(['--board', 'esp32', '--port', `tcp://127.0.0.1:${board.port}`, '--dist', dist, '--module', '--firmware', 'app.js'], tmp);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /module mode/);
      assert.deepEqual(board.file('espruino-edgent'), files['espruino-edgent.js']);
      assert.deepEqual(board.file('edgent.htm'), files['form.html']);
      // The CLI could not inline require("espruino-edgent") (the board loads it from Storage),
      // and for an unresolved require it puts a newline before the code.
      assert.deepEqual(board.bootCode(), Buffer.concat([Buffer.from('\n'), files['app.js']]));
      assertUploadSequence(board, ['espruino-edgent', 'edgent.htm', '.bootcde']);
      assert.match(r.stderr, /Module espruino-edgent not found/);
      assert.match(r.stderr, /loads "espruino-edgent" from Storage/);
    });

    it('--firmware FILE replaces the board firmware in default mode; non-ASCII is re-encoded by the CLI', async () => {
      const board = await standin({ board: 'ESP32' });
      const r = await runFlash(['--board', 'esp32', '--port', `tcp://127.0.0.1:${board.port}`, '--dist', dist, '--firmware', 'accent.js'], tmp);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stderr, /not pure ASCII/);
      // The file holds UTF-8 "é" (C3 A9); the CLI sends U+00E9 as the single byte E9.
      assert.deepEqual(board.bootCode(), Buffer.from('var s = "caf\xe9";\n', 'latin1'));
      assertUploadSequence(board, ['edgent.htm', '.bootcde']);
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
      const board = await standin({ board: 'ESP32', storageFree: files['form.html'].length + 100 });
      const r = await runFlash(['--board', 'esp32', '--port', `tcp://127.0.0.1:${board.port}`, '--dist', dist], tmp);
      assert.equal(r.code, 1);
      assert.match(r.stdout, /--\] Uncaught Error: Not enough free space/);
      assert.match(r.stderr, /FAILED: the board reported errors \(during the upload[^)]*\): Uncaught Error: Not enough free space/);
      assert.deepEqual(board.file('edgent.htm'), files['form.html']);
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
