/**
 * `espruino-edgent build`: a product's firmware, bundled with the library for
 * one board through the repository's own pipeline (rollup.config.mjs
 * `buildOptions`: TypeScript to ES5, rollup, terser, parameters to
 * `arguments`, the Espruino compatibility check), into
 *
 *   <out>/<board>.js          the firmware: Storage `edgent.boot` of slot 0
 *   <out>/<board>.files.json  its deployment manifest (rollup.config.mjs `manifestOf`)
 *   <out>/edgent-loader.js    the boot code, which runs the active slot (boards/loader.ts)
 *   <out>/<file>              every other Storage file the manifest names (form,
 *                             mode modules, CA), copied from the package's prebuilt dist/
 *   <out>/<board>.ota         its OTA image for Blynk.Air (tools/ota-image.js)
 *
 * The firmware is a module that exports `main(board: BoardProfile)`, as the
 * examples' app.ts do; the build generates the entry that calls it with the
 * board's profile (`--profile`, by default the board's common dev kit), and
 * resolves `import … from 'espruino-edgent'` to the library's sources.
 * TypeScript and JavaScript (ES5 plus import/export) firmware both work.
 * Code the board cannot run fails the build with the rule, file and line.
 */
import { copyFileSync, existsSync, mkdtempSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, extname, join, parse, relative, resolve } from 'node:path';
import { rollup, type RollupLog } from 'rollup';
import * as profiles from '../boards/profiles';
import type { BoardProfile } from '../boards/profiles';
import { boardName, BoardName, CHIP_OF, EXIT_FAILED, EXIT_OK, parseVerb, UsageError } from './args';
import { espruinoCheckPlugin, otaImage, pipeline, ROOT } from './tools';

/** The `--help` text. */
export const BUILD_USAGE = `usage: espruino-edgent build <firmware.ts|firmware.js> --board esp32|esp8266 [options]

Bundles your firmware with espruino-edgent for one board: TypeScript to ES5,
rollup, terser and the Espruino compatibility check, as the library's own
bundles are built. Your firmware exports main(board), which the build calls
with the board's profile:

  import { createEdgent, createBoard, runAtBoot, BoardProfile } from 'espruino-edgent';
  export function main(board: BoardProfile): void { runAtBoot(function () { … }); }

Writes <out>/<board>.js (the firmware), <out>/<board>.files.json (the deployment
manifest that sim and flash read), the loader and the Storage files it names
(form, mode modules, CA certificate) and <out>/<board>.ota (the image to upload
to Blynk.Air), and prints their sizes.

options:
  --board esp32|esp8266   the chip (required)
  --out DIR               where to write (default: dist)
  --profile NAME          the board profile main() gets: ${Object.keys(profilesByName()).join(', ')}
                          (default: ESP32_DEVKITC on esp32, ESP8266_NODEMCU on esp8266)
  --help                  this text

Exit status: 0 built; 1 the build failed (an Espruino rule, a syntax error,
main not exported); 2 bad arguments or a missing file.
`;

/** The default profile of each board. */
const DEFAULT_PROFILE: Record<BoardName, string> = { esp32: 'ESP32_DEVKITC', esp8266: 'ESP8266_NODEMCU' };

/** The library's board profiles by their export name. */
function profilesByName(): Record<string, BoardProfile> {
  const all: Record<string, BoardProfile> = {};
  for (const [name, value] of Object.entries(profiles)) {
    if (value && typeof value === 'object' && 'chip' in value) all[name] = value as BoardProfile;
  }
  return all;
}

/** Options of `buildFirmware`. */
export interface BuildOptions {
  /** The firmware module (.ts or .js) exporting `main(board)`. */
  input: string;
  /** The board to build for. */
  board: BoardName;
  /** The output directory. @default 'dist' */
  out?: string;
  /** The board profile `main` gets (an export name of the library's profiles). @default the board's default */
  profile?: string;
  /** Where the size table and the list of files go. @default stdout */
  log?: (line: string) => void;
  /** Where warnings (TypeScript diagnostics) go. @default stderr */
  warn?: (line: string) => void;
}

/** A file the build wrote. */
export interface BuiltFile {
  /** Path. */
  file: string;
  /** Its Storage name on the board, or `boot code`, or `manifest`. */
  role: string;
  bytes: number;
}

/** A forward-slash path for a TypeScript import. */
function importPath(file: string): string {
  return file.replace(/\\/g, '/').replace(/\.(ts|js)$/, '');
}

/** Checks the build's inputs; throws UsageError naming what is wrong. */
function checkInputs(o: BuildOptions): { input: string; profile: string } {
  const input = resolve(o.input);
  const ext = extname(input);
  if (ext !== '.ts' && ext !== '.js') throw new UsageError(`${o.input}: the firmware must be a .ts or .js file`);
  if (/\.d\.ts$/.test(input)) throw new UsageError(`${o.input} is a declaration file, not firmware`);
  if (!existsSync(input) || !statSync(input).isFile()) throw new UsageError(`${o.input} not found`);
  const profile = o.profile || DEFAULT_PROFILE[o.board];
  const known = profilesByName();
  if (!known[profile]) throw new UsageError(`unknown --profile ${JSON.stringify(profile)}: one of ${Object.keys(known).join(', ')}`);
  if (known[profile].chip !== CHIP_OF[o.board]) throw new UsageError(`--profile ${profile} is an ${known[profile].chip} board, not ${CHIP_OF[o.board]} (--board ${o.board})`);
  for (const f of ['tsconfig.boards.json', join('dist', 'form.html')]) {
    if (!existsSync(join(ROOT, f))) throw new UsageError(`${join(ROOT, f)} is missing: the espruino-edgent package is incomplete (in its repository: npm run build)`);
  }
  return { input, profile };
}

/** The TypeScript program of the build: the device compiler options, the firmware, and `espruino-edgent` mapped to the library's sources. */
function writeProgram(dir: string, input: string, board: BoardName, profile: string, out: string): { entry: string; tsconfig: string } {
  const entry = join(dir, `${board}.ts`);
  writeFileSync(entry, [
    `// The entry of the ${board} firmware: ${basename(input)}'s main() on the ${profile} profile.`,
    `import { main } from ${JSON.stringify(importPath(input))};`,
    `import { ${profile} } from 'espruino-edgent';`,
    `main(${profile});`,
    ''
  ].join('\n'));
  const types = dirname(dirname(require.resolve('@types/espruino/package.json', { paths: [ROOT] })));
  const tsconfig = join(dir, 'tsconfig.json');
  writeFileSync(tsconfig, JSON.stringify({
    extends: join(ROOT, 'tsconfig.boards.json'),
    compilerOptions: {
      allowJs: true,
      // Where rollup writes: the TypeScript plugin wants its (never written) output inside it.
      outDir: out,
      // The firmware and the library may live in unrelated directories: a fixed root keeps the
      // names of TypeScript's (in-memory) output stable as the plugin discovers files.
      rootDir: parse(input).root,
      typeRoots: [types],
      paths: { 'espruino-edgent': [join(ROOT, 'boards', 'index.ts')] }
    },
    include: [entry, input, join(ROOT, 'types', 'espruino-env.d.ts'), join(ROOT, 'boards', 'espruino-extra.d.ts')]
  }, null, 2));
  return { entry, tsconfig };
}

/** A rollup error as one message: the Espruino check's list of hits, or what went wrong where. */
function buildError(e: RollupLog & Error, input: string): string {
  if (e.code === 'MISSING_EXPORT' && /"main"/.test(e.message)) {
    return `${input} does not export main: add \`export function main(board: BoardProfile): void { … }\` (see espruino-edgent build --help)`;
  }
  const where = e.loc && e.loc.file && !/\(\d+:\d+\)/.test(e.message) ? `${e.loc.file}:${e.loc.line}:${e.loc.column}: ` : '';
  return where + e.message.replace(/^\[plugin [^\]]+\] /, '');
}

/**
 * Builds a firmware for one board; resolves with the files written. Throws
 * UsageError for a bad input, and an Error with the check's hits (rule, file,
 * line) or the compiler's message when the code cannot be built.
 */
export async function buildFirmware(o: BuildOptions): Promise<BuiltFile[]> {
  const log = o.log || ((l: string) => process.stdout.write(l + '\n'));
  const warn = o.warn || ((l: string) => process.stderr.write(l + '\n'));
  const { input, profile } = checkInputs(o);
  const out = resolve(o.out || 'dist');
  mkdirSync(out, { recursive: true });
  const dir = mkdtempSync(join(tmpdir(), 'espruino-edgent-build-'));
  try {
    const { entry, tsconfig } = writeProgram(dir, input, o.board, profile, out);
    const { STORAGE_FILES, manifestOf, buildOptions } = await pipeline();
    const bundle = { input: entry, file: join(out, `${o.board}.js`), format: 'iife' as const, tsconfig, board: CHIP_OF[o.board] };
    const check = espruinoCheckPlugin().espruinoCheck({ budget: null, log });
    const include = [join(dir, '*.ts'), input, join(dirname(input), '**', '*.ts'), ...['lib', 'boards', 'types'].map((d) => join(ROOT, d, '**', '*.ts'))];
    const [options] = buildOptions([bundle], { check, assets: false, include });
    let built;
    try {
      built = await rollup({ ...options, onwarn: (w) => warn(`warning: ${buildError(w as RollupLog & Error, o.input)}`) });
      await built.write(options.output);
    } catch (e) {
      throw new Error(buildError(e as RollupLog & Error, o.input));
    } finally {
      if (built) await built.close();
    }
    const files: BuiltFile[] = [{ file: bundle.file, role: 'Storage "edgent.boot" (the firmware)', bytes: statSync(bundle.file).size }];
    const manifest = manifestOf(bundle);
    // The loader (the boot code) and the library's Storage files come prebuilt with the package; edgent.boot is the bundle just built.
    const copies: Array<[string, string, string]> = [['boot code (the slot loader)', manifest.bootCode as string, manifest.bootCode as string]];
    for (const [name, f] of Object.entries(manifest.storage)) if (name !== 'edgent.boot') copies.push([`Storage "${name}"`, STORAGE_FILES[name] || f, f]);
    for (const [role, src, f] of copies) {
      const from = join(ROOT, 'dist', src);
      const to = join(out, f);
      if (resolve(from) !== resolve(to)) copyFileSync(from, to);
      files.push({ file: to, role, bytes: statSync(to).size });
    }
    const manifestFile = join(out, `${o.board}.files.json`);
    files.push({ file: manifestFile, role: 'manifest', bytes: statSync(manifestFile).size });
    // The Blynk.Air image of this build (docs/ota-image.md): its tag is what the firmware announces.
    const imageFile = join(out, `${o.board}.ota`);
    writeFileSync(imageFile, otaImage().imageFromManifest(manifestFile));
    files.push({ file: imageFile, role: 'OTA image for Blynk.Air', bytes: statSync(imageFile).size });
    const width = Math.max(...files.map((f) => relative(process.cwd(), f.file).length));
    for (const f of files) log(`${relative(process.cwd(), f.file).padEnd(width)}  ${String(f.bytes).padStart(6)} B  ${f.role}`);
    return files;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The `build` verb: parses its arguments and builds; resolves with the exit code. */
export async function buildCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseVerb(args, { board: { type: 'string' }, out: { type: 'string' }, profile: { type: 'string' } }, [1, 1]);
  if (values.help) {
    process.stdout.write(BUILD_USAGE);
    return EXIT_OK;
  }
  const board = boardName(values.board);
  try {
    await buildFirmware({ input: positionals[0], board, out: values.out, profile: values.profile });
  } catch (e) {
    if (e instanceof UsageError) throw e;
    process.stderr.write(`espruino-edgent build: ${(e as Error).message}\n`);
    return EXIT_FAILED;
  }
  return EXIT_OK;
}
