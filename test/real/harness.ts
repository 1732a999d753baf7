/**
 * Drives one real Espruino interpreter process (the Linux builds in
 * `../shared/espruino/`, configured like the boards) from mocha tests.
 *
 * A `RealBoard` runs `<interpreter> --telnet` in its own directory (its
 * `espruino.flash` is the board's Storage) with the console on a free
 * loopback port, and collects everything the process prints (stdout, stderr
 * and the telnet stream) into one log. Through the console it evaluates
 * expressions (`eval`), writes Storage files in checked chunks
 * (`writeFile`), deploys a firmware from its manifest `dist/<name>.files.json`
 * the way a board runs it (from flash, then `load()`), and measures memory.
 *
 * Which interpreter runs comes from `ESPRUINO_ESP8266` / `ESPRUINO_ESP32`;
 * `skipUnlessInterpreter` skips a suite when its variable is unset, and one
 * line at the end of the mocha run says how many tests were skipped and why.
 *
 * A "reboot" is a new process on the same directory: `restart()`, or
 * `awaitReboot()` after the firmware asked for one (the stand-ins print
 * `STANDIN REBOOT`, then `E.reboot()` prints `Not implemented` and the process
 * exits).
 */
import { crc32 as crc32Bytes } from '../../sim/espruino/host';
import { ChildProcess, spawn } from 'child_process';
import * as dgram from 'dgram';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { DEFAULT_STANDIN, STANDIN_READ, StandinConfig, standinJson, standinSource } from './standins';

/** The chips the interpreters are built like. */
export type Chip = 'ESP8266' | 'ESP32';

/** Every chip, in the order the suites test them. */
export const CHIPS: Chip[] = ['ESP8266', 'ESP32'];

/** Storage files to write: Storage name -> contents (a latin1 byte string or bytes). */
export type StorageFiles = Record<string, string | Buffer>;

/** Bytes of file data per Storage write line (before base64). */
export const CHUNK_BYTES = 384;

/** Longest Storage file name Espruino accepts. */
const MAX_NAME = 28;

/** Log lines that mean the firmware failed. */
const ERROR_MARKS = ['Uncaught', 'OUT OF MEMORY', 'LOW_MEMORY', 'MEMORY_BUSY'];

/** Log lines that mean the firmware asked for a reboot. */
const REBOOT_MARKS = ['STANDIN REBOOT', 'Not implemented'];

/** The environment variable naming each chip's interpreter. */
const ENV: Record<Chip, string> = { ESP8266: 'ESPRUINO_ESP8266', ESP32: 'ESPRUINO_ESP32' };

/** Where the interpreters live, relative to the repository root (for messages). */
const SHARED_HINT: Record<Chip, string> = {
  ESP8266: '../shared/espruino/espruino-esp8266',
  ESP32: '../shared/espruino/espruino-esp32'
};

/** The absolute path of the file `name` names, or null when it is unset or no file. */
function envFile(name: string): string | null {
  const p = process.env[name];
  if (!p) return null;
  const abs = path.resolve(p);
  try {
    return fs.statSync(abs).isFile() ? abs : null;
  } catch {
    return null;
  }
}

/**
 * The interpreter the flows run on for `chip`: `ESPRUINO_ESP32`; for the
 * ESP8266, the 1600-JsVar build `ESPRUINO_ESP8266` (a real ESP8266_4MB's
 * memory) when it is named, else the 4000-JsVar build `ESPRUINO_ESP8266_4000`
 * (the same layout with more blocks: the measuring tape for code that does
 * not fit); `gatePath()` is the 1600 build.
 *
 * @returns its absolute path, or null when no variable names a file
 */
export function interpreterPath(chip: Chip): string | null {
  const chosen = overrides[chip];
  if (chosen) return chosen;
  if (chip === 'ESP8266') return envFile(ENV.ESP8266) || envFile('ESPRUINO_ESP8266_4000');
  return envFile(ENV[chip]);
}

/** Interpreters chosen by `useInterpreter`, ahead of the environment. */
const overrides: Partial<Record<Chip, string>> = {};

/**
 * Makes `interpreterPath(chip)` (and so every board, baseline and story on
 * that chip) use `file` until called again with null: how the benchmark runs
 * the same story on the 1600 and the 4000 build.
 */
export function useInterpreter(chip: Chip, file: string | null): void {
  if (file) overrides[chip] = path.resolve(file);
  else delete overrides[chip];
}

/** The 1600-JsVar ESP8266 build (a real ESP8266_4MB), `ESPRUINO_ESP8266`, or null. */
export function gatePath(): string | null {
  return envFile(ENV.ESP8266);
}

/** Why `chip` has no interpreter (for the skip summary). */
function missingReason(chip: Chip): string {
  const p = process.env[ENV[chip]];
  return p ? `${ENV[chip]}=${p} is not a file` : `${ENV[chip]} is unset`;
}

const skipped = { count: 0, reasons: new Set<string>() };
let summaryHooked = false;

/** Number of tests in a suite and its sub-suites. */
function countTests(suite: Mocha.Suite): number {
  let n = suite.tests.length;
  for (const s of suite.suites) n += countTests(s);
  return n;
}

/**
 * Registers (once) a root-level mocha `after` hook that prints one line with
 * the number of real-interpreter tests skipped and how to run them. Called
 * when this module is first loaded, which happens while mocha loads the spec
 * files (so the hook lands on the root suite).
 */
export function registerSkipSummary(): void {
  if (summaryHooked || typeof after !== 'function') return;
  summaryHooked = true;
  after(function () {
    if (!skipped.count) return;
    const n = skipped.count;
    console.log(
      `\n  ${n} real-interpreter test${n === 1 ? '' : 's'} skipped: set ESPRUINO_ESP8266, ESPRUINO_ESP8266_4000 and ESPRUINO_ESP32 to ` +
      `${SHARED_HINT.ESP8266}, ${SHARED_HINT.ESP8266}-4000 and ${SHARED_HINT.ESP32} (${Array.from(skipped.reasons).join('; ')})`
    );
  });
}
registerSkipSummary();

/**
 * For use inside a mocha `describe`: skips the suite (every test in it) when
 * `chip` has no interpreter, and counts the skipped tests for the summary line.
 */
export function skipUnlessInterpreter(chip: Chip): void {
  before(function () {
    if (interpreterPath(chip)) return;
    const suite = this.test && this.test.parent;
    skipped.count += suite ? countTests(suite) : 1;
    skipped.reasons.add(missingReason(chip));
    this.skip();
  });
}

/**
 * CRC-32 as zlib computes it (what `E.CRC32` returns, modulo 2^32).
 *
 * @returns the checksum as an unsigned 32-bit number
 */
export function crc32(data: Buffer): number {
  return crc32Bytes(data.toString('latin1'));
}

/** A Storage file of a deployment, with its bytes. */
export interface ManifestFile {
  /** Storage name (`.bootcde` for the boot code). */
  name: string;
  /** The local file it comes from. */
  source: string;
  data: Buffer;
}

/** A deployment manifest `dist/<name>.files.json`, read. */
export interface Manifest {
  board: Chip;
  files: ManifestFile[];
}

/**
 * Reads a deployment manifest (`{"board", "bootCode", "storage": {name: file}}`,
 * file names relative to the manifest) and the bytes of every file it names.
 *
 * @throws when the manifest or one of its files is missing or malformed
 */
export function readManifest(manifestPath: string): Manifest {
  if (!fs.existsSync(manifestPath)) {
    throw new Error(`deployment manifest ${manifestPath} not found (run \`npm run build\` first)`);
  }
  const m = JSON.parse(fs.readFileSync(manifestPath, 'utf8')) as {
    board?: string; bootCode?: string; storage?: Record<string, string>;
  };
  if (m.board !== 'ESP8266' && m.board !== 'ESP32') throw new Error(`${manifestPath}: unknown board ${String(m.board)}`);
  if (!m.bootCode) throw new Error(`${manifestPath}: no bootCode`);
  const dir = path.dirname(manifestPath);
  const entries: Array<[string, string]> = [['.bootcde', m.bootCode]];
  for (const name of Object.keys(m.storage || {})) entries.push([name, (m.storage as Record<string, string>)[name]]);
  const files = entries.map(([name, file]) => {
    const source = path.resolve(dir, file);
    if (!fs.existsSync(source)) throw new Error(`${manifestPath}: ${file} (Storage "${name}") not found`);
    return { name, source, data: fs.readFileSync(source) };
  });
  return { board: m.board, files };
}

/**
 * The Storage files that install the Wi-Fi stand-ins on `chip`: `.boot0`
 * (the stand-ins' source, run before `.bootcde` at every boot) and
 * `standin.json` (their configuration).
 */
export function standins(chip: Chip, config: StandinConfig = DEFAULT_STANDIN): Record<string, string> {
  return { '.boot0': standinSource(chip), 'standin.json': standinJson(config) };
}

/** Resolves with a TCP port that was free on 127.0.0.1 a moment ago. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

/** Why binding `port` failed, in words a test log can act on. */
function busyMessage(what: string, err: NodeJS.ErrnoException): string {
  if (err.code === 'EADDRINUSE') {
    return `${what} on 127.0.0.1 is already in use: a leftover interpreter (or another service) holds it. ` +
      `Find it with \`ss -${what.endsWith('udp') ? 'u' : 't'}lnp 'sport = :${what.split('/')[0]}'\` and stop it by its PID before running the real-interpreter tests.`;
  }
  if (err.code === 'EACCES') return `${what} needs root: the firmware's portal binds it on the loopback.`;
  return `${what}: ${err.message}`;
}

/**
 * Checks that the ports the firmware serves (80/tcp portal, 53/udp DNS) are
 * free on the loopback, so that a leftover process cannot answer in the
 * firmware's place.
 *
 * @throws an Error naming the busy port and how to find its owner
 */
export async function assertPortsFree(): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', (e: NodeJS.ErrnoException) => reject(new Error(busyMessage('80/tcp', e))));
    srv.listen({ port: 80, host: '127.0.0.1', exclusive: true }, () => srv.close(() => resolve()));
  });
  await new Promise<void>((resolve, reject) => {
    const sock = dgram.createSocket('udp4');
    sock.once('error', (e: NodeJS.ErrnoException) => {
      sock.close();
      reject(new Error(busyMessage('53/udp', e)));
    });
    sock.bind({ port: 53, address: '127.0.0.1', exclusive: true }, () => sock.close(() => resolve()));
  });
}

/** How to start a `RealBoard`. */
export interface StartOptions {
  chip: Chip;
  /** An existing directory (a reboot: same `espruino.flash`); default a fresh temp directory. */
  dir?: string;
  /** Storage files to write once the console is up (not loaded: see `load()`). */
  files?: StorageFiles;
  /** The interpreter; default `interpreterPath(chip)`. */
  interpreter?: string;
  /** Milliseconds to wait for the console. @default 10000 */
  timeoutMs?: number;
}

/** How a process of a `RealBoard` ended. */
export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The firmware had asked for a reboot before the process ended. */
  rebooted: boolean;
  /** The harness killed it (`stop`, `restart`). */
  killed: boolean;
}

/** Options of `RealBoard.deploy`. */
export interface DeployOptions {
  /** Stand-in configuration to install first (`.boot0` and `standin.json`); default none. */
  standins?: StandinConfig;
  /** Run `load()` after writing (boot the firmware). @default true */
  load?: boolean;
  /**
   * Check that 80/tcp and 53/udp are free before booting. @default true
   * (pass false when this board's own firmware already runs and holds them)
   */
  checkPorts?: boolean;
}

/** What `RealBoard.deploy` wrote. */
export interface DeployReport {
  files: Array<{ name: string; bytes: number; crc: number }>;
}

/** One process of a board: its PID, where its output starts in the log, how it ended (undefined while running). */
export interface Run {
  pid: number;
  logStart: number;
  exit?: ExitInfo;
}

/** Every board with a live process, killed if the test process exits first. */
const live = new Set<RealBoard>();
process.on('exit', () => {
  for (const b of live) {
    b.killNow();
    b.removeDirNow();
  }
});

/** Removes the ANSI escapes and carriage returns of console output. */
function plain(s: string): string {
  return s.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '').replace(/\r/g, '');
}

/** Resolves after `ms` milliseconds. */
function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** One real Espruino interpreter process, driven over its telnet console. */
export class RealBoard {
  /** The chip the interpreter is built like. */
  chip: Chip = 'ESP8266';
  /** The interpreter's directory (holds `espruino.flash`). */
  dir = '';
  /** The telnet console's port. */
  port = 0;
  /** Every process this board ran, in order. */
  readonly runs: Run[] = [];

  private interp = '';
  private proc: ChildProcess | null = null;
  private sock: net.Socket | null = null;
  private text = '';
  private tel = '';
  private seq = 0;
  private ownDir = false;
  private killing = false;
  private exitWaiters: Array<() => void> = [];
  private extraErrors: string[] = [];

  /**
   * Starts the interpreter: makes (or reuses) the directory, spawns
   * `<interpreter> --telnet` there with the console on a free port, connects,
   * waits for the prompt and writes `files`. Espruino autoloads `.boot0` and
   * `.bootcde` from an existing `espruino.flash` as it starts.
   *
   * @throws when the interpreter is missing, exits, or its console does not answer
   */
  async start(o: StartOptions): Promise<void> {
    if (this.proc) throw new Error('RealBoard already started');
    const interp = o.interpreter || interpreterPath(o.chip);
    if (!interp) throw new Error(`no interpreter for ${o.chip}: ${missingReason(o.chip)}`);
    this.chip = o.chip;
    this.interp = interp;
    if (o.dir) {
      fs.mkdirSync(o.dir, { recursive: true });
      this.dir = o.dir;
    } else {
      this.dir = fs.mkdtempSync(path.join(os.tmpdir(), `espruino-${o.chip.toLowerCase()}-`));
      this.ownDir = true;
    }
    try {
      await this.spawnProcess(o.timeoutMs ?? 10000);
      if (o.files) {
        for (const name of Object.keys(o.files)) await this.writeFile(name, o.files[name]);
      }
    } catch (e) {
      await this.stop();
      throw e;
    }
  }

  private async spawnProcess(timeoutMs: number): Promise<void> {
    this.port = await freePort();
    this.tel = '';
    this.killing = false;
    this.append(`[harness] start ${path.basename(this.interp)} in ${this.dir}, console on port ${this.port}\n`);
    const proc = spawn(this.interp, ['--telnet'], {
      cwd: this.dir,
      env: Object.assign({}, process.env, { ESPRUINO_TELNET_PORT: String(this.port) }),
      stdio: ['ignore', 'pipe', 'pipe']
    });
    this.proc = proc;
    const run: Run = { pid: proc.pid || 0, logStart: this.text.length };
    this.runs.push(run);
    live.add(this);
    proc.stdout!.on('data', (d: Buffer) => this.append(d.toString('latin1')));
    proc.stderr!.on('data', (d: Buffer) => this.append(d.toString('latin1')));
    proc.on('error', (e) => this.append(`[harness] spawn error: ${e.message}\n`));
    proc.on('close', (code: number | null, signal: NodeJS.Signals | null) => {
      const rebooted = this.rebootRequests(run.logStart).length > 0;
      run.exit = { code, signal, rebooted, killed: this.killing };
      if (!this.killing && !rebooted) {
        const msg = `[harness] interpreter exited unexpectedly (${signal ? 'signal ' + signal : 'code ' + code})`;
        this.extraErrors.push(msg);
        this.append(msg + '\n');
      } else if (rebooted && !this.killing) {
        this.append(`[harness] interpreter exited after a reboot request (code ${code}): rebooted\n`);
      }
      if (this.proc === proc) this.proc = null;
      live.delete(this);
      const w = this.exitWaiters;
      this.exitWaiters = [];
      for (const f of w) f();
    });

    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (!this.proc) {
        // The firmware asked for a reboot while it booted (one on trial that throws): `awaitReboot` starts the next process.
        const last = this.runs[this.runs.length - 1];
        if (last.exit && last.exit.rebooted) return;
        throw new Error(`interpreter exited before its console opened\n${this.tail()}`);
      }
      try {
        this.sock = await this.connect();
        break;
      } catch {
        if (Date.now() > deadline) throw new Error(`console on port ${this.port} did not open\n${this.tail()}`);
        await sleep(50);
      }
    }
    try {
      await this.until(() => this.tel.indexOf('>') >= 0, Math.max(1000, deadline - Date.now()), 'the console prompt');
      const one = await this.eval('1', Math.max(1000, deadline - Date.now()));
      if (one !== 1) throw new Error(`console answered ${JSON.stringify(one)} to 1`);
    } catch (e) {
      // As above: a reboot asked for while the console was opening.
      const last = this.runs[this.runs.length - 1];
      if (last.exit && last.exit.rebooted) return;
      throw e;
    }
  }

  private connect(): Promise<net.Socket> {
    return new Promise((resolve, reject) => {
      const s = net.connect(this.port, '127.0.0.1');
      s.once('error', reject);
      s.once('connect', () => {
        s.removeListener('error', reject);
        s.on('error', (e) => this.append(`[harness] console socket error: ${e.message}\n`));
        s.on('data', (d: Buffer) => {
          const t = d.toString('latin1');
          this.tel += t;
          this.append(t);
        });
        s.on('close', () => {
          if (this.sock === s) this.sock = null;
        });
        resolve(s);
      });
    });
  }

  private append(s: string): void {
    this.text += s;
  }

  /** Everything the interpreter printed so far (all processes of this board), raw. */
  log(): string {
    return this.text;
  }

  /** The log without ANSI escapes and carriage returns. */
  plainLog(): string {
    return plain(this.text);
  }

  /** The current end of the log, to wait for output that comes after it. */
  mark(): number {
    return this.text.length;
  }

  /**
   * The end of the log for error messages: cleaned, without the lines of the
   * harness's own console traffic (`<<Rn>>…<<RnE>>` answers), at most `n`
   * characters.
   */
  tail(n = 2000): string {
    const lines = plain(this.text).split('\n').filter((l) => !/^>?<<R[0-9]+>>.*<<R[0-9]+E>>$/.test(l) && l !== '>');
    return '--- interpreter log (tail) ---\n' + lines.join('\n').slice(-n) + '\n--- end of log ---';
  }

  private lines(marks: string[], from = 0): string[] {
    // A line printed while the console shows its prompt starts with that prompt (`>`): it is not part of the line.
    return plain(this.text.slice(from)).split('\n').filter((l) => marks.some((m) => l.indexOf(m) >= 0)).map((l) => l.replace(/^>+/, '').trim());
  }

  /**
   * Every log line that shows a failure: `Uncaught`, `OUT OF MEMORY`,
   * `LOW_MEMORY`, `MEMORY_BUSY`, and a note for a process that died without
   * being asked to (a crash). Reboot requests are not errors.
   */
  errors(): string[] {
    return this.lines(ERROR_MARKS).concat(this.extraErrors);
  }

  /** Log lines (from `from`) where the firmware asked for a reboot (`STANDIN REBOOT`, `Not implemented`). */
  rebootRequests(from = 0): string[] {
    return this.lines(REBOOT_MARKS, from);
  }

  /** True while the interpreter process runs. */
  get running(): boolean {
    return this.proc !== null;
  }

  private async until(pred: () => boolean, timeoutMs: number, what: string, failOnExit = true): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pred()) {
      if (failOnExit && !this.proc) throw new Error(`interpreter exited while waiting for ${what}\n${this.tail()}`);
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${this.tail()}`);
      await sleep(5);
    }
  }

  /**
   * Waits until the log (from offset `from`) contains `pattern`.
   *
   * @param failOnError reject as soon as `errors()` reports a failure line
   * @returns the log offset just after the match
   * @throws on timeout, on process exit, or (with failOnError) on an error line
   */
  async waitFor(pattern: string | RegExp, timeoutMs = 10000, from = 0, failOnError = true): Promise<number> {
    let end = -1;
    const find = (): boolean => {
      const s = this.text.slice(from);
      if (typeof pattern === 'string') {
        const i = s.indexOf(pattern);
        if (i >= 0) end = from + i + pattern.length;
      } else {
        const m = pattern.exec(s);
        if (m) end = from + m.index + m[0].length;
      }
      if (end < 0 && failOnError && this.errors().length) {
        throw new Error(`firmware failed while waiting for ${String(pattern)}:\n  ${this.errors().join('\n  ')}\n${this.tail()}`);
      }
      return end >= 0;
    };
    await this.until(find, timeoutMs, String(pattern));
    return end;
  }

  /**
   * Evaluates `expr` (one line of Espruino JavaScript, an expression) on the
   * console without echo and resolves with its value, passed through
   * `JSON.stringify` and framed by unique markers, so console output from the
   * firmware around it does not matter. `undefined` comes back as undefined.
   *
   * @throws on timeout, on process exit, or when the line threw (`Uncaught`)
   */
  async eval<T = unknown>(expr: string, timeoutMs = 5000): Promise<T> {
    if (/[\r\n]/.test(expr)) throw new Error('eval: the expression must be one line');
    if (!this.sock || !this.proc) throw new Error(`eval(${expr.slice(0, 60)}): the interpreter is not running\n${this.tail()}`);
    const id = ++this.seq;
    const open = `<<R${id}>>`;
    const close = `<<R${id}E>>`;
    const from = this.tel.length;
    this.sock.write(Buffer.from(`\x10print("<<"+"R${id}>>"+JSON.stringify(${expr})+"<<"+"R${id}E>>")\n`, 'latin1'));
    let threwAt = 0;
    await this.until(() => {
      const s = this.tel.slice(from);
      const a = s.indexOf(open);
      if (a >= 0 && s.indexOf(close, a) >= 0) return true;
      if (a < 0 && s.indexOf('Uncaught') >= 0) {
        if (!threwAt) threwAt = Date.now();
        else if (Date.now() - threwAt > 100) {
          const l = plain(s.slice(s.indexOf('Uncaught'))).split('\n').slice(0, 3).join(' | ');
          throw new Error(`eval(${expr.slice(0, 120)}) threw: ${l}`);
        }
      }
      return false;
    }, timeoutMs, `the value of ${expr.slice(0, 120)}`);
    const s = this.tel.slice(from);
    const a = s.indexOf(open) + open.length;
    const body = s.slice(a, s.indexOf(close, a));
    if (body === 'undefined') return undefined as T;
    try {
      return JSON.parse(body) as T;
    } catch {
      throw new Error(`eval(${expr.slice(0, 120)}): cannot parse ${JSON.stringify(body.slice(0, 200))}`);
    }
  }

  /**
   * Writes one Storage file in chunks of `CHUNK_BYTES` (base64 through
   * `atob`, so every byte lands exactly; the first chunk creates the file at
   * its full size), checking that each write returned true, then checks the
   * length and `E.CRC32` of what is in Storage against the local bytes.
   *
   * @throws on a refused write or a length/CRC mismatch
   */
  async writeFile(name: string, contents: string | Buffer): Promise<{ bytes: number; crc: number }> {
    const data = typeof contents === 'string' ? Buffer.from(contents, 'latin1') : contents;
    if (!name.length || name.length > MAX_NAME) throw new Error(`Storage name "${name}" must be 1..${MAX_NAME} characters`);
    if (!data.length) throw new Error(`Storage file "${name}": Espruino refuses zero-length files`);
    const n = JSON.stringify(name);
    for (let off = 0; off < data.length; off += CHUNK_BYTES) {
      const b64 = data.subarray(off, off + CHUNK_BYTES).toString('base64');
      const call = off === 0
        ? `require("Storage").write(${n},atob("${b64}"),0,${data.length})`
        : `require("Storage").write(${n},atob("${b64}"),${off})`;
      const ok = await this.eval(call, 10000);
      if (ok !== true) throw new Error(`Storage.write("${name}") at offset ${off} of ${data.length} returned ${JSON.stringify(ok)}`);
    }
    const got = await this.eval<[number, number]>(`[require("Storage").read(${n}).length,E.CRC32(require("Storage").read(${n}))]`, 10000);
    const crc = crc32(data);
    if (!Array.isArray(got) || got[0] !== data.length || ((got[1] % 2 ** 32) + 2 ** 32) % 2 ** 32 !== crc) {
      throw new Error(`Storage file "${name}" does not match what was sent: ` +
        `length ${got && got[0]} / CRC32 ${got && got[1]} on the board, ${data.length} / ${crc} locally`);
    }
    return { bytes: data.length, crc };
  }

  /**
   * Installs (or replaces) the Wi-Fi stand-ins: `.boot0` and `standin.json`.
   * They take effect at the next `load()` or boot.
   */
  async installStandins(config: StandinConfig = DEFAULT_STANDIN): Promise<void> {
    const files = standins(this.chip, config);
    for (const name of Object.keys(files)) await this.writeFile(name, files[name]);
  }

  /** Rewrites `standin.json` and has the running stand-ins read it again. */
  async setStandin(config: StandinConfig): Promise<void> {
    await this.writeFile('standin.json', standinJson(config));
    await this.eval(`(__standin.c=${STANDIN_READ},0)`);
  }

  /**
   * Deploys a firmware from its manifest (`dist/<name>.files.json`): writes
   * the boot code to `.bootcde` and every Storage file it lists, each checked
   * by length and CRC, then (unless `load: false`) `load()`s it.
   *
   * @throws when the manifest is for another chip, a file does not land intact,
   *   a firmware port is busy, or the console does not come back
   */
  async deploy(manifestPath: string, opts: DeployOptions = {}): Promise<DeployReport> {
    const m = readManifest(manifestPath);
    if (m.board !== this.chip) throw new Error(`${manifestPath} is ${m.board} firmware; this board runs the ${this.chip} interpreter`);
    if (opts.standins) await this.installStandins(opts.standins);
    const report: DeployReport = { files: [] };
    for (const f of m.files) {
      const r = await this.writeFile(f.name, f.data);
      report.files.push({ name: f.name, bytes: r.bytes, crc: r.crc });
    }
    if (opts.load !== false) {
      if (opts.checkPorts !== false) await assertPortsFree();
      await this.load();
    }
    return report;
  }

  /**
   * `load()`: clears the interpreter and runs `.boot0` and `.bootcde` from
   * flash (then `E.on('init')` handlers); resolves once the console answers
   * again.
   */
  async load(timeoutMs = 15000): Promise<void> {
    if (!this.sock) throw new Error(`load(): the console is not connected\n${this.tail()}`);
    this.sock.write('\x10load()\n');
    const one = await this.eval('1', timeoutMs);
    if (one !== 1) throw new Error(`console answered ${JSON.stringify(one)} after load()`);
  }

  /** `process.memory().usage`: JsVars in use (Espruino garbage-collects first). */
  async memory(): Promise<number> {
    return this.eval<number>('process.memory().usage');
  }

  /** `process.memory()` in full (`free`, `usage`, `total`, `blocksize`, …). */
  async memoryInfo(): Promise<{ free: number; usage: number; total: number; blocksize: number; history: number }> {
    return this.eval('process.memory()');
  }

  /**
   * A reboot by hand: kills the process (if it still runs) and starts a new
   * one on the same directory, which autoloads `.boot0` and `.bootcde`.
   */
  async restart(timeoutMs = 10000): Promise<void> {
    await this.kill();
    this.append('[harness] --- restart on the same flash ---\n');
    await this.spawnProcess(timeoutMs);
  }

  /**
   * Waits until the firmware has asked for a reboot and the process has ended
   * (the stand-ins' `reboot()` runs `E.reboot()`, which exits), then starts
   * the next process on the same flash.
   *
   * @throws when no reboot request comes within `timeoutMs`
   */
  async awaitReboot(timeoutMs = 10000, from = 0): Promise<void> {
    const run = this.runs[this.runs.length - 1];
    const start = Math.max(from, run.logStart);
    await this.until(() => this.rebootRequests(start).length > 0, timeoutMs, 'a reboot request', false);
    await this.until(() => !!run.exit, 3000, 'the process to end after its reboot request', false);
    await this.restart();
  }

  /** Resolves when the current process has ended (at once if none runs). */
  exited(timeoutMs = 5000): Promise<ExitInfo | undefined> {
    const run = this.runs[this.runs.length - 1];
    if (!this.proc) return Promise.resolve(run && run.exit);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`interpreter still running after ${timeoutMs} ms\n${this.tail()}`)), timeoutMs);
      this.exitWaiters.push(() => {
        clearTimeout(t);
        resolve(run.exit);
      });
    });
  }

  /** Sends SIGKILL to the running process at once (the interpreter ignores SIGTERM). */
  killNow(): void {
    if (!this.proc || this.proc.pid === undefined) return;
    this.killing = true;
    try {
      process.kill(this.proc.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }

  /** Removes the board's own temporary directory (used when the test process exits). */
  removeDirNow(): void {
    if (!this.ownDir || !this.dir) return;
    try {
      fs.rmSync(this.dir, { recursive: true, force: true });
    } catch {
      // Best effort at exit.
    }
  }

  private async kill(): Promise<void> {
    if (this.sock) {
      this.sock.destroy();
      this.sock = null;
    }
    if (!this.proc || this.proc.pid === undefined) return;
    this.killing = true;
    const done = this.exited(5000);
    try {
      process.kill(this.proc.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
    await done;
  }

  /**
   * Stops the board: SIGKILL by PID, closes the console, and removes the
   * temporary directory unless `keepDir` (to start again on the same flash,
   * e.g. `new RealBoard().start({ chip, dir })`). Safe to call more than once
   * and on a board that never started.
   */
  async stop(opts: { keepDir?: boolean } = {}): Promise<void> {
    await this.kill();
    live.delete(this);
    if (!opts.keepDir && this.ownDir && this.dir) {
      fs.rmSync(this.dir, { recursive: true, force: true });
      this.ownDir = false;
    }
  }
}

const baselines = new Map<string, number>();

/**
 * JsVars in use on a fresh interpreter for `chip` that runs only the Wi-Fi
 * stand-ins (`.boot0`) and `.bootcde` = `var x=0;`, after `load()`: the
 * figure firmware usage is reported above. Measured once per interpreter.
 */
export async function standinBaseline(chip: Chip, config: StandinConfig = DEFAULT_STANDIN): Promise<number> {
  const interp = interpreterPath(chip);
  if (!interp) throw new Error(`no interpreter for ${chip}: ${missingReason(chip)}`);
  const key = interp + '\n' + JSON.stringify(config);
  const known = baselines.get(key);
  if (known !== undefined) return known;
  const board = new RealBoard();
  try {
    await board.start({ chip, files: Object.assign({}, standins(chip, config), { '.bootcde': 'var x=0;' }) });
    await board.load();
    const used = await board.memory();
    const errs = board.errors();
    if (errs.length) throw new Error(`the stand-ins alone failed on ${chip}:\n  ${errs.join('\n  ')}\n${board.tail()}`);
    baselines.set(key, used);
    return used;
  } finally {
    await board.stop();
  }
}
