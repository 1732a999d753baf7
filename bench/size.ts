/**
 * Bench section 1: the size of each board bundle and what it is made of.
 *
 * - Bundles are rebuilt in memory with the project's own rollup options
 *   (`bundleOptions` from rollup.config.mjs): the TypeScript of the three
 *   bundles is compiled once by the typescript plugin instance of those
 *   options (they share one tsconfig) and its output recorded; each bundle
 *   is then built from that output (the same text the plugin gives a build),
 *   with the options' terser plugin and output flags, the Espruino check
 *   plugin swapped for a recorder of the unminified chunk (raw) and the
 *   terser output (min). Sizes are bytes; gzip is level 9 of min, as in
 *   tools/bundle-report.js. Each built bundle is compared with the file in
 *   `dist/` (the simulated devices run `dist/`), reported stale if it differs.
 * - Shares: each part's modules are bundled alone (rollup, ES module output)
 *   from the recorded TypeScript output, keeping exactly the exports
 *   the board bundle uses (`renderedExports`), the other parts external, and
 *   minified by a terser plugin instance made by `bundleOptions` (same
 *   settings). The `import`/`export` statements of that output are linkage
 *   a real bundle does not have, so they are subtracted (measured with
 *   acorn). The raw column is the module code inside the real bundle
 *   (rollup's `renderedLength`). Parts minified alone sum to a little more
 *   than the bundle: names shared across parts cannot be mangled or inlined.
 * - Reference: the official `blynk-library` npm package (`blynk.js` +
 *   `blynk-espruino.js`), a cloud-only client with no provisioning, minified
 *   with the same terser plugin as a CommonJS chunk (like
 *   `dist/espruino-edgent.js`).
 */
import { readFileSync, existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { rollup } from 'rollup';
import type { ModuleFormat, OutputOptions, Plugin, RenderedModule, RollupOptions } from 'rollup';
import * as acorn from 'acorn';
import { int, pct, type Table } from './format';

/** Repository root. */
export const ROOT = resolve(__dirname, '..');

/** The bundles measured, by output file (entries of rollup.config.mjs `BUNDLES`). */
export const MEASURED = ['dist/esp32.js', 'dist/esp8266.js', 'dist/espruino-edgent.js'];
/** The bundle the goals and the shares are about. */
export const GOAL_BUNDLE = 'dist/esp8266.js';
/** Goal: the ESP8266 firmware at most this many minified bytes (12 KB). */
export const GOAL_MAX_MIN_BYTES = 12 * 1024;

/** Parts of the library, each a set of source files (paths from the repository root). */
export const PARTS: Array<{ name: string; files: RegExp }> = [
  { name: 'core state machine', files: /^lib\/(machine|steps|setup|edgent|types|ports|mode-steps|mode-setup)\.ts$/ },
  { name: 'portal + DNS + AP name + scan + bytes', files: /^lib\/(portal|dns|apname|scan|bytes)\.ts$/ },
  { name: 'store + CRC + record', files: /^lib\/(store|crc32|record)\.ts$/ },
  { name: 'cloud client + protocol', files: /^lib\/(cloud|protocol)\.ts$/ },
  { name: 'button + LED', files: /^lib\/(button|led)\.ts$/ },
  { name: 'board driver', files: /^boards\// },
  { name: 'example app', files: /^examples\// },
];
/** Row for modules no part claims (a new file: add it to PARTS). */
const OTHER_PART = 'other (not in PARTS)';

/** The cloud-only client compared against. */
export const REFERENCE = {
  name: 'blynk-library',
  version: '0.5.4',
  dir: 'node_modules/blynk-library',
  files: ['blynk.js', 'blynk-espruino.js'],
};

/** One entry of rollup.config.mjs `BUNDLES`. */
interface BundleSpec {
  input: string;
  file: string;
  format: ModuleFormat;
  name?: string;
  tsconfig: string;
}

/** What the bench uses from rollup.config.mjs. */
interface RollupConfig {
  BUNDLES: BundleSpec[];
  bundleOptions(bundle: BundleSpec, options?: { check?: Plugin }): RollupOptions & { output: OutputOptions };
}

/** Sizes of one file, bytes. */
export interface Sizes {
  file: string;
  raw: number;
  min: number;
  gzip: number;
}

/** A bundle built in memory. */
interface Built extends Sizes {
  /** The minified code. */
  code: string;
  /** Modules of the chunk (rendered code, exports kept). */
  modules: Record<string, RenderedModule>;
}

/** One part's share of the goal bundle. */
export interface PartShare {
  name: string;
  files: string[];
  /** Bytes of its modules' code inside the unminified bundle. */
  raw: number;
  /** Bytes of its modules bundled and minified alone, linkage removed. */
  min: number;
  /** `min` over the sum of every part's `min`. */
  share: number;
}

/** A goal and whether it is met. */
export interface Goal {
  goal: string;
  limit: number;
  actual: number;
  met: boolean;
}

/** Section result: JSON for the report and the tables to print. */
export interface SizeReport {
  bundles: Array<Sizes & { dist: 'fresh' | 'stale' | 'missing' }>;
  sharesOf: string;
  parts: PartShare[];
  partsSum: number;
  reference: { name: string; version: string; files: Sizes[]; total: Sizes };
  goals: Goal[];
  rollupWarnings: number;
}

/** Bytes of code that is ASCII (terser's ascii_only) or byte strings. */
const byteLength = (s: string) => Buffer.byteLength(s, 'latin1');
/** Bytes of `s` compressed with gzip -9. */
const gzipBytes = (s: string) => gzipSync(Buffer.from(s, 'latin1'), { level: 9 }).length;

/** Imports rollup.config.mjs (its paths are relative to the repository root, the working directory). */
async function loadConfig(): Promise<RollupConfig> {
  return (await import(pathToFileURL(join(ROOT, 'rollup.config.mjs')).href)) as RollupConfig;
}

/**
 * Compiles the TypeScript of every given bundle once, with the typescript plugin of `bundleOptions`
 * (one program for all: they share a tsconfig); returns each module's output by absolute id.
 */
async function compile(config: RollupConfig, specs: BundleSpec[]): Promise<{ transformed: Map<string, string>; warnings: number }> {
  const tsconfigs = new Set(specs.map((s) => s.tsconfig));
  if (tsconfigs.size !== 1) throw new Error(`the measured bundles use several tsconfigs (${[...tsconfigs].join(', ')}): compile them apart`);
  const transformed = new Map<string, string>();
  const recorder: Plugin = {
    name: 'bench-ts-recorder',
    transform(code, id) {
      transformed.set(id, code);
      return null;
    },
  };
  const ts = pluginOf(config.bundleOptions(specs[0], { check: { name: 'bench-no-check' } }), 'typescript');
  let warnings = 0;
  const build = await rollup({ input: specs.map((s) => s.input), plugins: [ts, recorder], onwarn: () => void warnings++ });
  await build.close();
  return { transformed, warnings };
}

/** Serves recorded TypeScript output in place of the typescript plugin (same text, no second compile). */
function recordedSource(transformed: Map<string, string>, external: (id: string) => boolean = () => false): Plugin {
  return {
    name: 'bench-recorded-source',
    resolveId(spec, importer) {
      const id = spec.startsWith('\0') ? spec : resolveRecorded(transformed, importer ? dirname(importer) : ROOT, spec);
      return external(id) ? { id, external: true } : id;
    },
    load(id) {
      return transformed.get(id) ?? null;
    },
  };
}

/** Builds one bundle with its rollup options (TypeScript output from `compile`) and records raw and min. */
async function buildBundle(config: RollupConfig, spec: BundleSpec, transformed: Map<string, string>): Promise<Built> {
  let raw = '';
  let chunk: { code: string; modules: Record<string, RenderedModule> } | null = null;
  const recorder: Plugin = {
    name: 'bench-recorder',
    renderChunk: {
      order: 'pre',
      handler(code) {
        raw = code;
        return null;
      },
    },
    generateBundle(_options, bundle) {
      for (const out of Object.values(bundle)) if (out.type === 'chunk') chunk = out;
    },
  };
  const options = config.bundleOptions(spec, { check: recorder });
  const plugins = [recordedSource(transformed), ...(options.plugins as Plugin[]).filter((p) => p.name !== 'typescript')];
  const build = await rollup({ input: options.input, plugins, onwarn: () => undefined });
  try {
    await build.generate(options.output);
  } finally {
    await build.close();
  }
  const done = chunk as { code: string; modules: Record<string, RenderedModule> } | null;
  if (!done) throw new Error(`${spec.file}: rollup produced no chunk`);
  return { file: spec.file, raw: byteLength(raw), min: byteLength(done.code), gzip: gzipBytes(done.code), code: done.code, modules: done.modules };
}

/** The plugin called `name` in a bundle's rollup options (its settings are the build's). */
function pluginOf(options: RollupOptions, name: string): Plugin {
  const plugin = (options.plugins as Plugin[]).find((p) => p && p.name === name);
  if (!plugin) throw new Error(`rollup.config.mjs: bundleOptions has no ${name} plugin`);
  return plugin;
}

/** Bytes of `import`/`export` statements in minified ES module code (what a part alone has and a bundle has not). */
function linkageBytes(code: string): number {
  const ast = acorn.parse(code, { ecmaVersion: 'latest', sourceType: 'module' }) as unknown as { body: acorn.AnyNode[] };
  let n = 0;
  for (const node of ast.body) {
    if (node.type === 'ImportDeclaration' || node.type === 'ExportAllDeclaration') n += node.end - node.start;
    else if (node.type === 'ExportNamedDeclaration') n += node.declaration ? node.declaration.start - node.start : node.end - node.start;
    else if (node.type === 'ExportDefaultDeclaration') n += node.declaration.start - node.start;
  }
  return n;
}

/** Resolves an import (relative to `dir`) to the id of a recorded module: as is, `.ts` or `/index.ts`. */
function resolveRecorded(transformed: Map<string, string>, dir: string, source: string): string {
  const base = resolve(dir, source);
  for (const id of [base, base + '.ts', join(base, 'index.ts')]) if (transformed.has(id)) return id;
  return base;
}

/**
 * Bundles the given modules of a built bundle alone (other modules external) and minifies them with `terser`;
 * returns the minified bytes without the import/export linkage.
 */
async function buildPart(built: Built, transformed: Map<string, string>, ids: string[], terser: Plugin, output: OutputOptions): Promise<number> {
  const ENTRY = '\0bench-part';
  const own = new Set(ids);
  const entry = ids
    .map((id) => {
      const names = built.modules[id].renderedExports;
      return names.length ? `export { ${names.join(', ')} } from ${JSON.stringify(id)};` : `import ${JSON.stringify(id)};`;
    })
    .join('\n');
  const source = recordedSource(new Map([...transformed, [ENTRY, entry]]), (id) => id !== ENTRY && !own.has(id));
  const build = await rollup({ input: ENTRY, plugins: [source, terser], onwarn: () => undefined });
  try {
    const { output: chunks } = await build.generate({ ...output, file: undefined, name: undefined, format: 'es' });
    const code = chunks[0].code;
    return byteLength(code) - linkageBytes(code);
  } finally {
    await build.close();
  }
}

/** Splits the goal bundle into PARTS and measures each part. */
async function measureParts(config: RollupConfig, spec: BundleSpec, built: Built, transformed: Map<string, string>): Promise<PartShare[]> {
  const groups = new Map<string, string[]>();
  for (const id of Object.keys(built.modules)) {
    const path = relative(ROOT, id).split('\\').join('/');
    const part = PARTS.find((p) => p.files.test(path))?.name ?? OTHER_PART;
    groups.set(part, [...(groups.get(part) ?? []), id]);
  }
  const names = [...PARTS.map((p) => p.name), OTHER_PART].filter((name) => groups.has(name));
  const rows: PartShare[] = await Promise.all(
    names.map(async (name) => {
      const ids = groups.get(name) as string[];
      const options = config.bundleOptions(spec, { check: { name: 'bench-no-check' } });
      return {
        name,
        files: ids.map((id) => relative(ROOT, id).split('\\').join('/')),
        raw: ids.reduce((n, id) => n + built.modules[id].renderedLength, 0),
        min: await buildPart(built, transformed, ids, pluginOf(options, 'terser'), options.output),
        share: 0,
      };
    }),
  );
  const sum = rows.reduce((n, r) => n + r.min, 0);
  for (const r of rows) r.share = sum ? r.min / sum : 0;
  return rows;
}

/** Minifies the reference client with the project's terser settings (as a CommonJS chunk). */
async function measureReference(config: RollupConfig, spec: BundleSpec): Promise<SizeReport['reference']> {
  const options = config.bundleOptions(spec, { check: { name: 'bench-no-check' } });
  const render = pluginOf(options, 'terser').renderChunk as (code: string, chunk: unknown, out: OutputOptions) => Promise<string | { code: string }>;
  const files: Sizes[] = [];
  for (const name of REFERENCE.files) {
    const path = join(ROOT, REFERENCE.dir, name);
    if (!existsSync(path)) throw new Error(`${path} is missing: the bench needs the ${REFERENCE.name} ${REFERENCE.version} dev dependency`);
    const code = readFileSync(path, 'latin1');
    const out = await render(code, {}, { ...options.output, format: 'cjs' });
    const min = typeof out === 'string' ? out : out.code;
    files.push({ file: `${REFERENCE.dir}/${name}`, raw: byteLength(code), min: byteLength(min), gzip: gzipBytes(min) });
  }
  const total = files.reduce((t, f) => ({ file: 'total', raw: t.raw + f.raw, min: t.min + f.min, gzip: t.gzip + f.gzip }), { file: 'total', raw: 0, min: 0, gzip: 0 });
  return { name: REFERENCE.name, version: REFERENCE.version, files, total };
}

/** Runs the size section. */
export async function runSize(): Promise<SizeReport> {
  const config = await loadConfig();
  const specs = MEASURED.map((file) => {
    const spec = config.BUNDLES.find((b) => b.file === file);
    if (!spec) throw new Error(`rollup.config.mjs BUNDLES has no ${file}`);
    return spec;
  });
  const { transformed, warnings } = await compile(config, specs);
  // Concurrent: each terser plugin instance minifies in its own worker threads.
  const built = await Promise.all(specs.map((spec) => buildBundle(config, spec, transformed)));
  const goalIndex = MEASURED.indexOf(GOAL_BUNDLE);
  const goal = built[goalIndex];
  const [parts, reference] = await Promise.all([measureParts(config, specs[goalIndex], goal, transformed), measureReference(config, specs[goalIndex])]);
  const bundles = built.map((b) => {
    const path = join(ROOT, b.file);
    const dist: 'fresh' | 'stale' | 'missing' = !existsSync(path) ? 'missing' : readFileSync(path, 'latin1') === b.code ? 'fresh' : 'stale';
    return { file: b.file, raw: b.raw, min: b.min, gzip: b.gzip, dist };
  });
  return {
    bundles,
    sharesOf: GOAL_BUNDLE,
    parts,
    partsSum: parts.reduce((n, p) => n + p.min, 0),
    reference,
    goals: [
      { goal: `${GOAL_BUNDLE} min < ${REFERENCE.name} ${REFERENCE.version} min`, limit: reference.total.min, actual: goal.min, met: goal.min < reference.total.min },
      { goal: `${GOAL_BUNDLE} min <= 12 KB (12,288 B)`, limit: GOAL_MAX_MIN_BYTES, actual: goal.min, met: goal.min <= GOAL_MAX_MIN_BYTES },
    ],
    rollupWarnings: warnings,
  };
}

/** The section's tables. */
export function sizeTables(r: SizeReport): Table[] {
  const goalMin = r.bundles.find((b) => b.file === r.sharesOf)?.min ?? 0;
  const sizeRows = r.bundles.map((b) => [b.file, int(b.raw), int(b.min), int(b.gzip), b.dist]);
  for (const f of r.reference.files) sizeRows.push([`${f.file} (reference)`, int(f.raw), int(f.min), int(f.gzip), '-']);
  sizeRows.push([`${r.reference.name} ${r.reference.version} total (reference)`, int(r.reference.total.raw), int(r.reference.total.min), int(r.reference.total.gzip), '-']);
  const sizeNotes = [
    'bytes; raw = rollup output before terser, min = terser output (what is flashed), gzip = min at level 9',
    `reference = ${r.reference.name} ${r.reference.version} (cloud client only, no provisioning), minified with the same terser settings; blynk.js is its core shared with Node and browsers`,
  ];
  if (r.bundles.some((b) => b.dist !== 'fresh')) sizeNotes.push('dist/ differs from the sources for the bundles marked stale/missing: run `npm run build` (memory, latency and fleet run dist/)');
  if (r.rollupWarnings) sizeNotes.push(`${r.rollupWarnings} rollup warning(s) while building: see \`npm run build\``);
  const partRows = r.parts.map((p) => [p.name, int(p.raw), int(p.min), pct(p.min, r.partsSum)]);
  partRows.push(['sum of parts', int(r.parts.reduce((n, p) => n + p.raw, 0)), int(r.partsSum), '100.0 %']);
  partRows.push([`${r.sharesOf} as built`, '-', int(goalMin), pct(goalMin, r.partsSum)]);
  return [
    { title: 'Bundle sizes', head: ['bundle', 'raw B', 'min B', 'gzip B', 'dist/'], rows: sizeRows, notes: sizeNotes },
    {
      title: `Share of each part in ${r.sharesOf}`,
      head: ['part', 'raw B (in bundle)', 'min B (alone)', 'share of min'],
      rows: partRows,
      notes: [
        "raw (in bundle) = the part's code as rendered into the unminified bundle (before the bundle's indentation and wrapper)",
        "min (alone) = the part's modules bundled and minified alone with the build's settings, keeping the exports the bundle uses, import/export linkage subtracted",
        "parts alone sum to more than the bundle: names shared between parts are neither mangled nor inlined",
        ...r.parts.map((p) => `${p.name}: ${p.files.join(', ')}`),
      ],
    },
    {
      title: 'Size goals',
      head: ['goal', 'limit B', 'actual B', 'status'],
      rows: r.goals.map((g) => [g.goal, int(g.limit), int(g.actual), g.met ? 'met' : `NOT MET (${int(g.actual - g.limit)} B over, -${((100 * (g.actual - g.limit)) / g.actual).toFixed(0)} % needed)`]),
    },
  ];
}
