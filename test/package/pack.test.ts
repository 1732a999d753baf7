/**
 * What a new user does, from the tarball: `npm pack` the package, install it
 * into an empty project OFFLINE, `init`, type-check the starter with the
 * installed TypeScript, `build` it for both boards, and `sim` it to RUNNING;
 * with ESPRUINO_ESP8266_4000 / ESPRUINO_ESP32 set, the built firmware also
 * runs its whole story from flash on the real interpreter.
 *
 * Offline on a clean machine: after `npm ci` the npm cache holds the tarball
 * of every package in package-lock.json, but none of the registry's package
 * documents that resolving a version range needs. So the project gets the
 * repository's package-lock.json next to its package.json: npm then takes
 * each dependency of the tarball at its locked version (straight from the
 * cache, by integrity) and prunes what only the repository uses, without
 * asking the registry anything (`--offline` makes any such question an error).
 *
 * Needs `npm run build` first (the tarball is packed with --ignore-scripts, so
 * that this test does not rebuild what `npm test` just built).
 */
import { strict as assert } from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runStory } from '../real/story';
import { assertPortsFree, Chip } from '../real/harness';

const ROOT = path.join(__dirname, '../..');

/** The environment for npm and the installed command line: the caller's, without what an enclosing `npm run` set. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k) || /^npm_config_cache$/i.test(k)) env[k] = v;
  return env;
}

/** Runs a command; fails with its output unless it exits 0. */
function sh(cmd: string, args: string[], cwd: string): string {
  const r = spawnSync(cmd, args, { cwd, env: cleanEnv(), encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const out = `${r.stdout || ''}${r.stderr || ''}`;
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')} (in ${cwd}) exited ${r.status}${r.error ? ` (${r.error.message})` : ''}:\n${out.slice(-6000)}`);
  return out;
}

/** The interpreter a chip's story runs on here: for the ESP8266 the 1,600-block build, as on a real board. */
function interpreter(chip: Chip): string | null {
  const file = process.env[chip === 'ESP32' ? 'ESPRUINO_ESP32' : 'ESPRUINO_ESP8266'];
  return file && fs.existsSync(file) ? file : null;
}

describe('the package, as a new user gets it', function () {
  this.timeout(600000);
  let dir: string;
  let project: string;
  let tarball: string;
  let files: string[];
  const bin = () => path.join(project, 'node_modules', '.bin', 'espruino-edgent');

  before(function () {
    for (const f of ['dist/form.html', 'dist/esp32.js', 'build/cli/main.js', 'build/types/boards/index.d.ts']) {
      assert.ok(fs.existsSync(path.join(ROOT, f)), `${f} is missing: run \`npm run build\` first`);
    }
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'edgent-pack-'));
    project = path.join(dir, 'my-product');
    fs.mkdirSync(project);
    const packed = JSON.parse(sh('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', project], ROOT).replace(/^[^[]*/, ''));
    tarball = packed[0].filename;
    files = packed[0].files.map((f: { path: string }) => f.path);
  });
  after(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('the tarball holds the command line, the simulator, the bundles, the declarations and the sources the build compiles, and no tests', () => {
    for (const f of ['LICENSE', 'README.md', 'package.json', 'bin/espruino-edgent.js', 'build/cli/main.js', 'build/sim/device.js',
      'build/types/boards/index.d.ts', 'dist/form.html', 'dist/edgent-portal.js', 'dist/edgent-ca.der', 'dist/esp32.files.json',
      'lib/edgent.ts', 'boards/driver.ts', 'rollup.config.mjs', 'tools/espruino-check.js', 'sim/cloud/certs/ca.pem']) {
      assert.ok(files.includes(f), `${f} in the tarball`);
    }
    for (const f of files) assert.doesNotMatch(f, /^(test|bench|examples|docs)\/|^sim\/.*\.ts$|^cli\/|\.test\./, f);
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    assert.ok(!pkg.dependencies.tsx, 'tsx is not a runtime dependency');
  });

  it('installs offline from the tarball, inits, type-checks, builds for both boards and simulates to RUNNING', () => {
    fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'my-product', version: '1.0.0', private: true, dependencies: { 'espruino-edgent': `file:${tarball}` } }, null, 2));
    fs.copyFileSync(path.join(ROOT, 'package-lock.json'), path.join(project, 'package-lock.json'));
    sh('npm', ['install', '--offline', '--no-audit', '--no-fund'], project);
    assert.ok(!fs.existsSync(path.join(project, 'node_modules', 'tsx')), 'tsx not installed');
    assert.ok(!fs.existsSync(path.join(project, 'node_modules', 'mocha')), 'the repository\'s test tools pruned');

    assert.match(sh(bin(), ['init'], project), /wrote firmware\.ts/);
    const pkg = JSON.parse(fs.readFileSync(path.join(project, 'package.json'), 'utf8'));
    assert.equal(pkg.dependencies['espruino-edgent'], `file:${tarball}`);
    assert.equal(pkg.scripts.sim, 'espruino-edgent sim --board esp32');
    sh(process.execPath, [path.join(project, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], project);

    for (const board of ['esp32', 'esp8266']) {
      const out = sh(bin(), ['build', 'firmware.ts', '--board', board], project);
      assert.match(out, new RegExp(`^${board}\\.js +\\d+ +\\d+ +\\d+$`, 'm'));
      const manifest = JSON.parse(fs.readFileSync(path.join(project, 'dist', `${board}.files.json`), 'utf8'));
      assert.deepEqual(manifest, JSON.parse(fs.readFileSync(path.join(ROOT, 'dist', `${board}.files.json`), 'utf8')));
      const sim = sh(bin(), ['sim', '--board', board], project);
      assert.match(sim, / RUNNING +LED green breathing/);
      assert.match(sim, /V1 = \["hello"\]/);
      assert.match(sim, /sim complete: the firmware is RUNNING and online/);
    }
    assert.match(sh('npm', ['run', 'sim', '--silent'], project), /sim complete/);
  });

  for (const chip of ['ESP8266', 'ESP32'] as Chip[]) {
    it(`the built ${chip} firmware runs its whole story from flash on the real interpreter`, async function () {
      const file = interpreter(chip);
      if (!file) this.skip();
      assert.ok(fs.existsSync(path.join(project, 'dist', `${chip.toLowerCase()}.files.json`)), 'built by the test before');
      await assertPortsFree();
      // The story of test/real, on the interpreter named for the chip (for the ESP8266 the 1,600-block build).
      const figures = await runStory(chip, { dist: path.join(project, 'dist') });
      assert.equal(figures.chip, chip);
    });
  }
});
