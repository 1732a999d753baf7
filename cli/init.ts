/**
 * `espruino-edgent init [dir]`: starts a product project. Writes
 *   firmware.ts    the basic example as the product's firmware: template id
 *                  and name, firmware version, V0 echoed on V1, 'hello' on V1
 *                  once RUNNING; it exports main(board) for `build`
 *   tsconfig.json  type-checks it against the package's declarations with the
 *                  device compiler options (ES5, no DOM, no Node)
 *   package.json   the scripts build, sim, flash and typecheck (the file is
 *                  created when missing, merged when present)
 * Existing files and scripts are kept unless --force.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { boardName, BoardName, EXIT_OK, parseVerb, UsageError } from './args';
import { ROOT } from './tools';

/** The `--help` text. */
export const INIT_USAGE = `usage: espruino-edgent init [dir] [--board esp32|esp8266] [--force]

Starts a product project in dir (default: the current directory):
  firmware.ts    your firmware: the basic example (template id and name, firmware
                 version, V0 echoed on V1, 'hello' on V1 when RUNNING)
  tsconfig.json  type-checks firmware.ts against espruino-edgent's types
  package.json   scripts: build, sim, flash, typecheck (created, or merged into yours)

options:
  --board esp32|esp8266   the board the scripts build, simulate and flash (default esp32)
  --force                 overwrite firmware.ts, tsconfig.json and scripts of the same names
  --help                  this text

Then: npm run build && npm run sim, and npm run flash -- --port /dev/ttyUSB0.
Exit status: 0 written; 2 bad arguments or a package.json that is not JSON.
`;

/** The starter firmware. */
export const FIRMWARE = `/**
 * The product's firmware: one template, one firmware version, and a virtual
 * pin V0 that the app can switch and the device echoes back on V1. The same
 * code runs on every unit; each gets its own token when its owner activates it.
 *
 *   npm run build        bundles it with espruino-edgent into dist/
 *   npm run sim          runs dist/ on a simulated board, cloud and phone
 *   npm run flash -- --port /dev/ttyUSB0   puts dist/ on a real board
 */
import { createEdgent, createBoard, runAtBoot, BoardProfile, Edgent, State } from 'espruino-edgent';

// The board it runs on and its device. Handlers are module-level functions: on
// the board a function nested in another costs more RAM and keeps that scope alive.
let board: BoardProfile;
let device: Edgent;

/** The app switched V0: echo the value on V1. */
function onWrite(pin: number, values: string[]): void {
  if (pin === 0) device.virtualWrite(1, values[0]);
}

/** Online: say hello on V1. */
function onState(next: State): void {
  if (next === 'RUNNING') device.virtualWrite(1, 'hello');
}

/** Creates and starts the device (at boot, and again after a restart). */
function start(): Edgent {
  device = createEdgent({
    templateId: 'TMPL4abcd123',          // from the Blynk console
    templateName: 'My Device',           // in the access point name and board_info
    fwVersion: '0.1.0'
  }, createBoard(board));
  device.onVirtualWrite(onWrite);
  device.onStateChange(onState);
  device.start();
  return device;
}

/** Starts the product on \`profile\` at every boot (\`espruino-edgent build\` calls it with the board's profile). */
export function main(profile: BoardProfile): void {
  board = profile;
  runAtBoot(start);
}
`;

/** The starter tsconfig.json: the device compiler options, checked against the package's declarations. */
export const TSCONFIG = {
  compilerOptions: {
    target: 'es5',
    lib: ['es5'],
    module: 'esnext',
    moduleResolution: 'bundler',
    strict: true,
    noEmit: true,
    types: [],
    skipLibCheck: true
  },
  include: ['*.ts']
};

/** The npm scripts for `board`. */
export function scriptsFor(board: BoardName): Record<string, string> {
  return {
    build: `espruino-edgent build firmware.ts --board ${board}`,
    sim: `espruino-edgent sim --board ${board}`,
    flash: `espruino-edgent flash --board ${board}`,
    typecheck: 'tsc -p tsconfig.json'
  };
}

/** What `init` did with each file and script, for its report. */
export interface InitReport {
  /** Files written. */
  written: string[];
  /** Files or scripts kept as they were (already present, no --force). */
  kept: string[];
}

/** The package's own name and version (for the dependency a new package.json gets). */
function self(): { name: string; version: string } {
  return JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
}

/** A package name made from a directory name. */
function packageName(dir: string): string {
  return basename(dir).toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^[._-]+/, '') || 'my-product';
}

/**
 * Writes the starter files into `dir` (created when missing).
 * @param dir the project directory
 * @param o board: what the scripts target; force: overwrite what exists
 * @throws UsageError when package.json is there but not a JSON object
 */
export function initProject(dir: string, o: { board: BoardName; force?: boolean }): InitReport {
  const report: InitReport = { written: [], kept: [] };
  mkdirSync(dir, { recursive: true });
  const put = (name: string, text: string) => {
    const file = join(dir, name);
    if (existsSync(file) && !o.force) {
      report.kept.push(name);
      return;
    }
    writeFileSync(file, text);
    report.written.push(name);
  };
  put('firmware.ts', FIRMWARE);
  put('tsconfig.json', JSON.stringify(TSCONFIG, null, 2) + '\n');

  const pkgFile = join(dir, 'package.json');
  let pkg: Record<string, unknown> = {};
  if (existsSync(pkgFile)) {
    try {
      pkg = JSON.parse(readFileSync(pkgFile, 'utf8'));
    } catch (e) {
      throw new UsageError(`${pkgFile} is not JSON (${(e as Error).message}): fix it, then run init again`);
    }
    if (!pkg || typeof pkg !== 'object' || Array.isArray(pkg)) throw new UsageError(`${pkgFile} is not a JSON object`);
  } else {
    pkg = { name: packageName(dir), version: '0.1.0', private: true };
  }
  const scripts = Object.assign({}, pkg.scripts as Record<string, string> | undefined);
  for (const [name, command] of Object.entries(scriptsFor(o.board))) {
    if (scripts[name] !== undefined && scripts[name] !== command && !o.force) report.kept.push(`script "${name}"`);
    else scripts[name] = command;
  }
  pkg.scripts = scripts;
  const { name, version } = self();
  const deps = (pkg.dependencies || {}) as Record<string, string>;
  const devDeps = (pkg.devDependencies || {}) as Record<string, string>;
  if (!deps[name] && !devDeps[name]) pkg.dependencies = Object.assign({}, deps, { [name]: `^${version}` });
  writeFileSync(pkgFile, JSON.stringify(pkg, null, 2) + '\n');
  report.written.push('package.json');
  return report;
}

/** The `init` verb: parses its arguments and writes the project; resolves with the exit code. */
export async function initCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseVerb(args, { board: { type: 'string' }, force: { type: 'boolean' } }, [0, 1]);
  if (values.help) {
    process.stdout.write(INIT_USAGE);
    return EXIT_OK;
  }
  const dir = resolve(positionals[0] || '.');
  const report = initProject(dir, { board: boardName(values.board, 'esp32'), force: !!values.force });
  const say = (l: string) => process.stdout.write(l + '\n');
  say(`espruino-edgent init: ${dir}`);
  for (const f of report.written) say(`  wrote ${f}`);
  for (const f of report.kept) say(`  kept ${f} (already there; --force overwrites it)`);
  say('next: npm run build && npm run sim');
  return EXIT_OK;
}
