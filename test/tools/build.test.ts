/**
 * The build pipeline: a tiny TypeScript input goes through the plugin chain of
 * rollup.config.mjs (TypeScript -> terser -> espruino-check). Clean code
 * builds and is measured; code the board cannot run, or a bundle over budget,
 * fails the build. The bundle in dist, when built, passes the check.
 */
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { pathToFileURL } from 'url';
import { rollup, type OutputOptions, type Plugin, type RollupOptions } from 'rollup';
import { check } from '../../tools/espruino-check';
import { espruinoCheck } from '../../tools/rollup-plugin-espruino';
import type { Budget } from '../../tools/bundle-report';

const ROOT = path.join(__dirname, '../..');

describe('build pipeline', () => {
  let dir: string;
  /** rollup.config.mjs's options for one bundle. */
  let bundleOptions: (
    bundle: { input: string; file: string; format: 'cjs' },
    options: { tsconfig: string; include: string[]; check: Plugin },
  ) => RollupOptions & { output: OutputOptions };
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'espruino-build-'));
    // The device compiler options, with the temporary input as the only source.
    const tsconfig = { extends: path.join(ROOT, 'tsconfig.json'), include: ['*.ts'] };
    fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify(tsconfig));
    ({ bundleOptions } = await import(pathToFileURL(path.join(ROOT, 'rollup.config.mjs')).href));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** Builds `source` into `file` in the temporary directory, through the chain of rollup.config.mjs. */
  async function build(source: string, check = checkPlugin(), file = 'out.js'): Promise<void> {
    const input = path.join(dir, 'in.ts');
    fs.writeFileSync(input, source);
    const options = bundleOptions(
      { input, file: path.join(dir, file), format: 'cjs' },
      { tsconfig: path.join(dir, 'tsconfig.json'), include: [path.join(dir, '*.ts')], check },
    );
    const bundle = await rollup({ ...options, onwarn: () => {} });
    try {
      await bundle.write(options.output);
    } finally {
      await bundle.close();
    }
  }

  /** The check plugin with `budget`, printing its tables into `tables`. */
  function checkPlugin(budget: Budget = { 'out.js': { min: 10000, gzip: 10000 } }, tables: string[] = [], expect?: string[]) {
    return espruinoCheck({ budget, expect, log: (text) => tables.push(text) });
  }

  const CLEAN = 'export function add(first: number, second: number): number { return first + second; }\n';

  it('builds clean code and prints its sizes', async () => {
    const tables: string[] = [];
    await build(CLEAN, checkPlugin(undefined, tables));
    assert.equal(tables.length, 1);
    assert.match(tables[0], /^out\.js +\d+ +\d+ +\d+ +10000 +10000 +ok$/m);
    const out = fs.readFileSync(path.join(dir, 'out.js'), 'utf8');
    assert.match(out, /^exports\.add=function/);
    assert.deepEqual(check(out), []);
  });

  it('prints one table for all expected bundles when the plugin is shared', async () => {
    const tables: string[] = [];
    const shared = checkPlugin({ 'a.js': { min: 1000, gzip: 1000 }, 'b.js': { min: 1000, gzip: 1000 } }, tables, ['a.js', 'b.js']);
    await build(CLEAN, shared, 'a.js');
    assert.deepEqual(tables, []);
    await build(CLEAN, shared, 'b.js');
    assert.equal(tables.length, 1);
    assert.match(tables[0], /^a\.js .* ok\nb\.js .* ok$/m);
  });

  const forbidden: Array<[string, string, string]> = [
    ['a built-in prototype method', 'builtin-prototype', 'export function args(): unknown[] { return Array.prototype.slice.call(arguments); }\n'],
    ['spread, whose TypeScript helper calls Array.prototype.slice', 'builtin-prototype', 'export function more(list: number[]): number[] { return [...list, 1]; }\n'],
    ['a label', 'label', 'export function find(rows: number[][]): number {\n  outer: for (const row of rows) { for (const cell of row) { if (cell < 0) break outer; if (cell > 9) return cell; } }\n  return -1;\n}\n'],
    ['a missing global', 'missing-global', 'export function frozen(list: string[]): readonly string[] { return Object.freeze(list); }\n'],
  ];
  for (const [what, rule, source] of forbidden) {
    it(`fails on ${what}`, async () => {
      await assert.rejects(build(source), (err: Error) => {
        assert.match(err.message, new RegExp(`out\\.js:\\d+:\\d+ ${rule} `));
        return true;
      });
    });
  }

  it('fails when the bundle is over budget or missing from it', async () => {
    await assert.rejects(build(CLEAN, checkPlugin({ 'out.js': { min: 10, gzip: 10000 } })), /out\.js: min \d+ B is over the budget of 10 B/);
    await assert.rejects(build(CLEAN, checkPlugin({})), /out\.js: no entry in the size budget/);
  });

  it('ships the root certificate as DER in Storage edgent.ca of every manifest, and the driver reads that file', async function () {
    const dist = path.join(ROOT, 'dist');
    if (!fs.existsSync(path.join(dist, 'edgent-ca.der'))) this.skip();
    const { pemToDer, STORAGE_FILES, BUNDLES } = await import(pathToFileURL(path.join(ROOT, 'rollup.config.mjs')).href);
    const der: Buffer = pemToDer(fs.readFileSync(path.join(ROOT, 'boards/certs/isrg-root-x1.pem'), 'latin1'));
    assert.equal(der.length, 1391);
    assert.deepEqual(fs.readFileSync(path.join(dist, 'edgent-ca.der')), der);
    assert.equal(STORAGE_FILES['edgent.ca'], 'edgent-ca.der');
    for (const b of BUNDLES as Array<{ file: string; board?: string; module?: string }>) {
      if (!b.board && !b.module) continue;
      const m = JSON.parse(fs.readFileSync(path.join(ROOT, b.file.replace(/\.js$/, '.files.json')), 'utf8'));
      assert.equal(m.storage['edgent.ca'], 'edgent-ca.der', b.file);
    }
    // The board's TCP/TLS port (the driver, in every firmware's boot code) reads it at each connect.
    for (const b of BUNDLES as Array<{ file: string; board?: string }>) {
      // Under the running slot's prefix (lib/slots.ts): the minifier keeps the name as a constant of its own.
      if (b.board) assert.ok(fs.readFileSync(path.join(ROOT, b.file), 'latin1').includes('"edgent.ca"'), b.file);
    }
    assert.throws(() => pemToDer('no certificate'), /expected one PEM certificate, found 0/);
  });

  it('leaves a dist/edgent-core.js that passes the check', function () {
    const file = path.join(ROOT, 'dist/edgent-core.js');
    if (!fs.existsSync(file)) this.skip();
    assert.deepEqual(check(fs.readFileSync(file, 'utf8'), { filename: file }), []);
  });
});
