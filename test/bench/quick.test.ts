/**
 * Smoke test of the bench: `bench/run.ts --quick` in a child process (bounded
 * time) writing into a temporary directory, then checks that report.json has
 * every section with sane, non-empty figures. Times are checked to be
 * positive finite numbers, never against a limit: the machine is shared.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '../..');
/** The child is killed after this long. */
const LIMIT_MS = 240000;
/** Sizes of `--quick` (bench/run.ts). */
const QUICK = { devices: 20, samples: 20, provisions: 3 };

/** A positive finite number. */
function positive(v: unknown, what: string): void {
  assert.ok(typeof v === 'number' && Number.isFinite(v) && v > 0, `${what}: ${v}`);
}

/** A finite number. */
function finite(v: unknown, what: string): void {
  assert.ok(typeof v === 'number' && Number.isFinite(v), `${what}: ${v}`);
}

/** Runs the quick bench into `dir`; rejects with its output if it fails. */
function runQuick(dir: string): Promise<void> {
  return new Promise((ok, fail) => {
    execFile(
      process.execPath,
      [require.resolve('tsx/cli'), join(ROOT, 'bench', 'run.ts'), '--quick', '--out', dir],
      { cwd: ROOT, timeout: LIMIT_MS, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => (err ? fail(new Error(`bench --quick failed: ${err.message}\n${stdout}\n${stderr}`)) : ok()),
    );
  });
}

describe('bench --quick', function () {
  this.timeout(LIMIT_MS + 30000);
  let dir: string;
  let report: any;

  before(async function () {
    dir = mkdtempSync(join(tmpdir(), 'edgent-bench-'));
    await runQuick(dir);
    report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8'));
  });

  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('writes every section without error, and the Markdown report', () => {
    for (const section of ['size', 'memory', 'latency', 'fleet']) {
      assert.ok(report[section], `no ${section} section`);
      assert.equal(report[section].error, undefined, `${section}: ${report[section].error}`);
    }
    assert.equal(report.meta.quick, true);
    positive(report.meta.machine.cores, 'cores');
    assert.match(readFileSync(join(dir, 'report.md'), 'utf8'), /\| bundle \| raw B \| min B \| gzip B \|/);
  });

  it('size: three bundles, the parts, the reference and both goals', () => {
    const s = report.size;
    assert.deepEqual(s.bundles.map((b: any) => b.file), ['dist/esp32.js', 'dist/esp8266.js', 'dist/espruino-edgent.js']);
    for (const b of s.bundles) assert.ok(b.raw > b.min && b.min > b.gzip && b.gzip > 0, JSON.stringify(b));
    // The boot bundle holds what stays resident: the device core, button + LED, driver, example app.
    assert.ok(s.parts.length >= 4, JSON.stringify(s.parts.map((p: any) => p.name)));
    for (const p of s.parts) positive(p.min, p.name);
    assert.ok(Math.abs(s.parts.reduce((n: number, p: any) => n + p.share, 0) - 1) < 1e-9);
    positive(s.reference.total.min, 'reference min');
    assert.equal(s.goals.length, 2);
    for (const g of s.goals) assert.equal(typeof g.met, 'boolean');
  });

  it('memory: an estimate for WAIT_CONFIG and RUNNING, RAM above flash', () => {
    const m = report.memory;
    assert.deepEqual(m.states.map((s: any) => s.state), ['WAIT_CONFIG', 'RUNNING']);
    for (const s of m.states) {
      positive(s.flash, 'flash blocks');
      assert.ok(s.ram > s.flash);
      positive(s.counts.functions, 'functions walked');
      for (const v of Object.values(s.categories)) finite(v, 'category');
    }
  });

  it('latency: every series has its samples', () => {
    const l = report.latency;
    for (const [key, n] of [['boardInfo', QUICK.samples], ['configInvalid', QUICK.samples], ['configValid', QUICK.provisions], ['configToRunning', QUICK.provisions]] as const) {
      assert.equal(l[key].n, n, key);
      for (const f of ['p50', 'p99', 'mean', 'max']) positive(l[key][f], `${key}.${f}`);
    }
    assert.equal(l.stateAfterInvalid, 'CONFIGURING');
  });

  it('fleet: every device provisioned, dropped by the outage and back', () => {
    const f = report.fleet;
    assert.equal(f.devices, QUICK.devices);
    assert.equal(f.provision.ok, QUICK.devices, f.provision.failures.join('\n'));
    positive(f.provision.devicesPerSec, 'devices per second');
    for (const v of Object.values(f.hostMemory)) finite(v, 'host memory');
    const o = f.outage;
    assert.equal(o.dropped, QUICK.devices);
    assert.equal(o.back, QUICK.devices);
    finite(o.allBackAfterS, 'all back after');
    assert.equal(o.curve.reduce((a: number, b: number) => a + b, 0), o.logins);
    assert.ok(o.logins >= QUICK.devices);
    positive(o.peakLoginsPerS, 'peak');
    assert.ok(o.histogram.bins.length > 0);
  });
});
