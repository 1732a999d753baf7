/**
 * `npm run bench`: sizes, memory estimate, portal latency and a fleet with a
 * cloud outage, printed as tables and written to `report.json` and
 * `report.md` (Markdown tables for the README) in the output directory.
 *
 *   tsx bench/run.ts [--quick] [--devices N] [--outage S] [--workers W]
 *                    [--samples N] [--provisions N] [--out DIR]
 *
 * --quick       small everything (20 devices, 5 s outage, 20 latency samples)
 * --devices N   fleet size (default 500)
 * --outage S    cloud outage in virtual seconds (default 60)
 * --workers W   fleet worker threads (default: number of CPU cores)
 * --samples N   requests per portal endpoint (default 200)
 * --provisions N  freshly booted devices for the valid /config timing (default 10)
 * --out DIR     where report.json and report.md go (default bench/)
 *
 * The bench prints figures and never asserts times. A section that fails is
 * reported (`error` in its JSON) and the exit code is 1. The simulated
 * devices run the bundles in dist/: run `npm run build` first.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, platform, release, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { DIST } from '../sim/device';
import { chipManifest, readDeployment } from '../sim/manifest';
import { markdownTable, textTable, type Table } from './format';
import { ROOT, runSize, sizeTables } from './size';
import { memoryTables, runMemory } from './memory';
import { realMemoryTables, runRealMemory } from './real-memory';
import { interpreterPath } from '../test/real/harness';
import { latencyTables, runLatency } from './latency';
import { fleetTables, runFleet } from './fleet';

/** Command-line options. */
interface Options {
  quick: boolean;
  devices: number;
  outageS: number;
  workers: number;
  samples: number;
  provisions: number;
  out: string;
}

/** Phones provisioning at the same time in each fleet worker. */
const PHONES_PER_WORKER = 16;

/** Parses argv (numbers must be positive integers; unknown flags are errors). */
function parseArgs(argv: string[]): Options {
  const quick = argv.includes('--quick');
  const o: Options = {
    quick,
    devices: quick ? 20 : 500,
    outageS: quick ? 5 : 60,
    workers: cpus().length,
    samples: quick ? 20 : 200,
    provisions: quick ? 3 : 10,
    out: join(ROOT, 'bench'),
  };
  const numeric: Record<string, keyof Options> = { '--devices': 'devices', '--outage': 'outageS', '--workers': 'workers', '--samples': 'samples', '--provisions': 'provisions' };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    if (flag === '--quick') continue;
    const value = argv[i + 1];
    if (flag === '--out' && value) {
      o.out = resolve(value);
      i++;
    } else if (numeric[flag] && value && /^[1-9]\d*$/.test(value)) {
      (o[numeric[flag]] as number) = Number(value);
      i++;
    } else {
      throw new Error(`bad argument '${flag}${value ? ' ' + value : ''}' (see bench/run.ts)`);
    }
  }
  return o;
}

/** The machine the figures come from. */
function machine() {
  const cpu = cpus();
  return {
    cpu: cpu[0]?.model.trim() ?? 'unknown',
    cores: cpu.length,
    ramGb: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    os: `${platform()} ${release()}`,
  };
}

/** A section: its name in the report, its runner and its tables. */
interface Section {
  name: string;
  /** Runs the section; resolves with its JSON result and tables. */
  run(): Promise<{ result: object; tables: Table[] }>;
}

/** A section from a runner and the function that turns its result into tables. */
function section<T extends object>(name: string, run: () => Promise<T>, tables: (result: T) => Table[]): Section {
  return {
    name,
    run: async () => {
      const result = await run();
      return { result, tables: tables(result) };
    },
  };
}

/** Runs every section in turn (each alone on the machine), prints and writes the report; resolves with the exit code. */
async function main(): Promise<number> {
  const o = parseArgs(process.argv.slice(2));
  process.chdir(ROOT);
  // The simulated devices install what the chips' manifests list; the size section measures the library module too.
  for (const chip of ['ESP8266', 'ESP32'] as const) readDeployment(DIST, chipManifest(chip));
  if (!existsSync(join(DIST, 'espruino-edgent.js'))) throw new Error('dist/ is incomplete: run `npm run build` first (the simulated devices run dist/)');
  const m = machine();
  const date = new Date().toISOString();
  const header = `espruino-edgent bench, ${date}, ${m.cpu}, ${m.cores} cores, ${m.ramGb} GB RAM, Node ${m.node}, ${m.os}${o.quick ? ' (QUICK: small sizes)' : ''}`;
  console.log(header + '\n');
  const sections: Section[] = [
    section('size', runSize, sizeTables),
    // Memory is measured on the real interpreters; the simulated board's estimate is only the fallback
    // without them (and in --quick runs, which check that the bench works, not the figures).
    !o.quick && (interpreterPath('ESP8266') || interpreterPath('ESP32') || process.env.ESPRUINO_ESP8266_4000)
      ? section('memory', runRealMemory, realMemoryTables)
      : section('memory', runMemory, memoryTables),
    section('latency', () => runLatency({ samples: o.samples, provisions: o.provisions }), latencyTables),
    section('fleet', () => runFleet({ devices: o.devices, workers: o.workers, outageS: o.outageS, concurrency: PHONES_PER_WORKER }), fleetTables),
  ];
  const report: Record<string, unknown> = { meta: { date, machine: m, quick: o.quick, options: { ...o, out: undefined } } };
  const markdown = ['## Bench', '', header, ''];
  let failed = false;
  for (const s of sections) {
    const t0 = Date.now();
    try {
      const { result, tables } = await s.run();
      report[s.name] = { ...result, seconds: (Date.now() - t0) / 1000 };
      for (const t of tables) {
        console.log(textTable(t) + '\n');
        markdown.push(markdownTable(t), '');
      }
    } catch (e) {
      failed = true;
      const message = (e as Error).stack || String(e);
      report[s.name] = { error: message };
      console.error(`[${s.name}] FAILED: ${message}\n`);
      markdown.push(`### ${s.name}: FAILED`, '', '```', message, '```', '');
    }
  }
  mkdirSync(o.out, { recursive: true });
  writeFileSync(join(o.out, 'report.json'), JSON.stringify(report, null, 2) + '\n');
  writeFileSync(join(o.out, 'report.md'), markdown.join('\n'));
  console.log(`report: ${join(o.out, 'report.json')}, ${join(o.out, 'report.md')}`);
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e: Error) => {
    console.error(e.message);
    process.exit(2);
  },
);
