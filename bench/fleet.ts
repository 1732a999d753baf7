/**
 * Bench section 4: a fleet of simulated ESP8266 devices against ONE
 * simulated cloud, then a cloud outage and the reconnection curve.
 *
 * Threads: the simulated cloud runs in the main thread; the devices (with
 * their phones) are spread over `worker_threads` (bench/fleet-worker.ts),
 * each device with its own MAC, so its own AP name and backoff jitter.
 *
 * Provisioning runs on real time: every phone joins its device's access
 * point and provisions it (board_info, Wi-Fi scan, a token from the cloud's
 * HTTP API, /config), with the emulated radio delays at 0. Reported: wall
 * time until every device is RUNNING, devices per second, and host memory
 * per device (process RSS, the workers' V8 heap, the cloud's heap; deltas
 * after a full GC, divided by the number of devices).
 *
 * Outage, on virtual time: devices retry with exponential backoff (5 s
 * doubling to 120 s, spread ±25 % by a jitter derived from the chip id), so a
 * 60 s outage takes minutes. Each worker switches to sinon fake timers at
 * the same instant and virtual time then moves only in lockstep: the main
 * thread advances every worker to the same target (`STEP_MS` at a time,
 * `clock.tickAsync` in each worker, real I/O running between timers) and
 * waits for all before the next step. The main thread's virtual "now" is
 * that target, so the cloud's login log lines are stamped in the same
 * timebase as the devices' own state changes (reported by the workers with
 * their fake `Date.now()`); resolution is one step. The outage stops the
 * whole simulated cloud (every connection dropped, new ones refused) and
 * restarts it on the same ports after the outage's virtual duration; the
 * curve counts logins per virtual second after the cloud returns. The
 * cloud's own timers (its idle timeout) stay on real time, which is harmless
 * while virtual time runs faster than real time (a warning is printed
 * otherwise). Without jitter every device would retry at the same instants
 * (0, 5, 15, 35, 75, 155 s … after the drop): that schedule is computed,
 * not simulated.
 */
import { Worker } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { join } from 'node:path';
import { createCloudServer, type CloudServer } from '../sim/cloud';
import { BACKOFF_MAX_MS, BACKOFF_MIN_MS } from '../lib/machine';
import type { State } from '../lib/types';
import { collectGarbage, FLEET_CHIP, type FleetCommand, type FleetReply, type FleetWorkerData, type StateEvent } from './fleet-worker';
import { bar, fixed, int, stats, type Stats, type Table } from './format';

/** Virtual time per lockstep step. */
export const STEP_MS = 100;
/** Virtual time on the fake clocks before the outage starts. */
const WARMUP_MS = 5000;
/** Virtual time allowed after the cloud returns for every device to be back. */
const HORIZON_MS = 1.25 * BACKOFF_MAX_MS + 60000;
/** Most rows of the reconnection histogram. */
const HISTOGRAM_ROWS = 30;
/** The cloud's log line for a successful device login. */
const ONLINE = /^device \d+: online/;
/** The network the devices join. */
const HOME = { ssid: 'Home', password: 'correct horse', rssi: -48, channel: 6 };
/** The worker module, loaded through tsx's CommonJS hook (a worker cannot start from a .ts file by itself). */
const WORKER_FILE = join(__dirname, 'fleet-worker.ts');

/** Options of the section. */
export interface FleetOptions {
  devices: number;
  workers: number;
  /** Cloud outage, virtual seconds. */
  outageS: number;
  /** Phones provisioning at the same time in each worker. */
  concurrency: number;
}

/** Section result. */
export interface FleetReport {
  chip: typeof FLEET_CHIP;
  devices: number;
  workers: number;
  concurrency: number;
  provision: {
    ok: number;
    failures: string[];
    wallMs: number;
    devicesPerSec: number;
    /** Longest create + bind + boot of a worker, ms. */
    setupMs: number;
    /** Per device: phone joins → RUNNING, ms. */
    perDevice: Stats;
  };
  hostMemory: { rssPerDeviceKb: number; workerHeapPerDeviceKb: number; cloudHeapPerDeviceKb: number };
  outage: {
    timebase: string;
    seconds: number;
    stepMs: number;
    /** Devices that left RUNNING when the cloud went away. */
    dropped: number;
    /** Of those, back in RUNNING before the horizon. */
    back: number;
    /** Virtual seconds from the cloud's return to the last device RUNNING (device view); null if not all came back. */
    allBackAfterS: number | null;
    /** Logins the cloud accepted after its return. */
    logins: number;
    /** Virtual seconds from the cloud's return to its last login. */
    lastLoginAfterS: number | null;
    peakLoginsPerS: number;
    /** Start of the peak second, after the return. */
    peakAtS: number;
    /** Logins per virtual second after the return (index = second). */
    curve: number[];
    histogram: { binS: number; bins: Array<{ fromS: number; toS: number; logins: number }> };
    noJitter: { reconnectAfterS: number; peakLoginsPerS: number };
    /** Real time the virtual phase took, ms. */
    wallMs: number;
    /** Virtual time simulated, ms. */
    virtualMs: number;
  };
}

/** One worker and its command/reply channel (one command at a time). */
class Link {
  private readonly waiting: Array<{ ok: (r: FleetReply) => void; fail: (e: Error) => void }> = [];
  private failure: Error | null = null;

  constructor(
    readonly worker: Worker,
    readonly index: number,
  ) {
    worker.on('message', (r: FleetReply) => this.waiting.shift()?.ok(r));
    const fail = (e: Error) => {
      this.failure = e;
      for (const w of this.waiting.splice(0)) w.fail(e);
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`fleet worker ${index} exited (${code})`)));
  }

  /** The next reply. */
  next(): Promise<FleetReply> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise<FleetReply>((ok, fail) => this.waiting.push({ ok, fail })).then((r) => {
      if (r.type === 'error') throw new Error(`fleet worker ${this.index}: ${r.message}`);
      return r;
    });
  }

  /** Sends a command; resolves with its reply. */
  call(cmd: FleetCommand): Promise<FleetReply> {
    const reply = this.next();
    this.worker.postMessage(cmd);
    return reply;
  }
}

/** Attempt times (ms after the drop) without jitter: the first one at or after the cloud's return. */
export function noJitterReconnectMs(outageMs: number): number {
  let t = 0;
  for (let attempt = 1; t < outageMs; attempt++) t += Math.min(BACKOFF_MIN_MS * 2 ** (attempt - 1), BACKOFF_MAX_MS);
  return t;
}

/** Splits n devices over w workers as evenly as possible. */
function split(n: number, w: number): number[] {
  return Array.from({ length: w }, (_, i) => Math.floor(n / w) + (i < n % w ? 1 : 0)).filter((c) => c > 0);
}

/** Logins per second after `returnAt`, from step-end stamps (a login stamped t happened in (t - step, t]). */
function perSecond(stamps: number[], returnAt: number): number[] {
  const curve: number[] = [];
  for (const t of stamps) {
    const s = Math.max(0, Math.ceil((t - returnAt) / 1000) - 1);
    while (curve.length <= s) curve.push(0);
    curve[s]++;
  }
  return curve;
}

/** Sums a per-second curve into at most HISTOGRAM_ROWS bins of whole seconds. */
function histogram(curve: number[]): FleetReport['outage']['histogram'] {
  const binS = Math.max(1, Math.ceil(curve.length / HISTOGRAM_ROWS));
  const bins: Array<{ fromS: number; toS: number; logins: number }> = [];
  for (let s = 0; s < curve.length; s += binS) bins.push({ fromS: s, toS: s + binS, logins: curve.slice(s, s + binS).reduce((a, b) => a + b, 0) });
  return { binS, bins };
}

/** Spawns the workers, each with its share of the devices; resolves once each has loaded (with its heap then). */
async function spawn(o: FleetOptions, data: Omit<FleetWorkerData, 'first' | 'count'>): Promise<{ links: Link[]; heapUsed: number }> {
  const links: Link[] = [];
  let first = 0;
  for (const [i, count] of split(o.devices, o.workers).entries()) {
    const workerData: FleetWorkerData = { ...data, first, count };
    first += count;
    links.push(new Link(new Worker(`require('tsx/cjs'); require(${JSON.stringify(WORKER_FILE)});`, { eval: true, workerData }), i));
  }
  try {
    const loaded = await Promise.all(links.map((l) => l.next()));
    return { links, heapUsed: loaded.reduce((n, r) => n + (r.type === 'loaded' ? r.heapUsed : 0), 0) };
  } catch (e) {
    await Promise.all(links.map((l) => l.worker.terminate()));
    throw e;
  }
}

/**
 * The outage on virtual time: every worker's fake clock starts at the same instant; after a warm-up the cloud
 * stops for `outageS` virtual seconds, then runs until every dropped device is RUNNING again (or the horizon).
 */
async function outage(links: Link[], cloud: CloudServer, o: FleetOptions, loginStamps: { stamp: number | null; times: number[] }): Promise<FleetReport['outage']> {
  // A whole second just ahead of the real clock: device time never goes back.
  let now = Math.ceil(Date.now() / 1000) * 1000 + 1000;
  await Promise.all(links.map((l) => l.call({ type: 'virtual', now })));
  const v0 = now;
  const w0 = performance.now();
  const state = new Map<number, State>();
  const dropped = new Set<number>();
  const backAt = new Map<number, number>();
  let outageAt: number | null = null;
  let returnAt: number | null = null;
  const onEvent = (e: StateEvent) => {
    state.set(e.device, e.state);
    if (outageAt === null) return;
    if (e.state !== 'RUNNING') dropped.add(e.device);
    else if (returnAt !== null && dropped.has(e.device) && !backAt.has(e.device)) backAt.set(e.device, e.t);
  };
  const allBack = () => dropped.size > 0 && backAt.size === dropped.size && [...dropped].every((d) => state.get(d) === 'RUNNING');
  const runUntil = async (target: number, done: () => boolean = () => false) => {
    while (now < target && !done()) {
      now = Math.min(target, now + STEP_MS);
      if (loginStamps.stamp !== null) loginStamps.stamp = now;
      for (const r of await Promise.all(links.map((l) => l.call({ type: 'advance', to: now })))) {
        if (r.type === 'advanced') r.events.forEach(onEvent);
      }
    }
  };
  await runUntil(v0 + WARMUP_MS);
  outageAt = now;
  await cloud.stop();
  await runUntil(outageAt + o.outageS * 1000);
  await cloud.start();
  returnAt = now;
  loginStamps.stamp = now;
  await runUntil(returnAt + HORIZON_MS, allBack);
  const curve = perSecond(loginStamps.times, returnAt);
  const peak = Math.max(0, ...curve);
  const lastBack = backAt.size ? Math.max(...backAt.values()) : null;
  const noJitterMs = noJitterReconnectMs(o.outageS * 1000);
  return {
    timebase: 'virtual (simulated) seconds: lockstep fake clocks in every worker, cloud logins stamped with the same clock',
    seconds: o.outageS,
    stepMs: STEP_MS,
    dropped: dropped.size,
    back: backAt.size,
    allBackAfterS: allBack() && lastBack !== null ? (lastBack - returnAt) / 1000 : null,
    logins: loginStamps.times.length,
    lastLoginAfterS: loginStamps.times.length ? (Math.max(...loginStamps.times) - returnAt) / 1000 : null,
    peakLoginsPerS: peak,
    peakAtS: curve.indexOf(peak),
    curve,
    histogram: histogram(curve),
    noJitter: { reconnectAfterS: (noJitterMs - o.outageS * 1000) / 1000, peakLoginsPerS: dropped.size },
    wallMs: performance.now() - w0,
    virtualMs: now - v0,
  };
}

/** Runs the fleet section. */
export async function runFleet(o: FleetOptions): Promise<FleetReport> {
  // The cloud's successful logins, stamped with the lockstep virtual clock once the cloud returns from the outage.
  const logins = { stamp: null as number | null, times: [] as number[] };
  const cloud = createCloudServer({ log: (line) => void (logins.stamp !== null && ONLINE.test(line) && logins.times.push(logins.stamp)) });
  await cloud.start();
  let links: Link[] = [];
  try {
    const org = cloud.api.createOrg('Fleet');
    const user = cloud.api.createUser(org.id, 'fleet@example.test');
    const spawned = await spawn(o, { concurrency: o.concurrency, cloud: cloud.ports, account: { org: org.name, user: user.email }, home: HOME });
    links = spawned.links;
    collectGarbage();
    const before = process.memoryUsage();
    const t0 = performance.now();
    const provisioned = (await Promise.all(links.map((l) => l.call({ type: 'provision' })))).filter(
      (r): r is Extract<FleetReply, { type: 'provisioned' }> => r.type === 'provisioned',
    );
    const wallMs = performance.now() - t0;
    collectGarbage();
    const after = process.memoryUsage();
    const ok = provisioned.reduce((n, r) => n + r.ok, 0);
    const kbPerDevice = (bytes: number) => bytes / 1024 / o.devices;
    return {
      chip: FLEET_CHIP,
      devices: o.devices,
      workers: links.length,
      concurrency: o.concurrency,
      provision: {
        ok,
        failures: provisioned.flatMap((r) => r.failures),
        wallMs,
        devicesPerSec: ok / (wallMs / 1000),
        setupMs: Math.max(...provisioned.map((r) => r.setupMs)),
        perDevice: stats(provisioned.flatMap((r) => r.perDeviceMs)),
      },
      hostMemory: {
        rssPerDeviceKb: kbPerDevice(after.rss - before.rss),
        workerHeapPerDeviceKb: kbPerDevice(provisioned.reduce((n, r) => n + r.heapUsed, 0) - spawned.heapUsed),
        cloudHeapPerDeviceKb: kbPerDevice(after.heapUsed - before.heapUsed),
      },
      outage: await outage(links, cloud, o, logins),
    };
  } finally {
    await Promise.allSettled(links.map((l) => l.call({ type: 'finish' })));
    await Promise.all(links.map((l) => l.worker.terminate()));
    await cloud.stop();
  }
}

/** The section's tables. */
export function fleetTables(r: FleetReport): Table[] {
  const p = r.provision;
  const m = r.hostMemory;
  const out = r.outage;
  const maxBin = Math.max(0, ...out.histogram.bins.map((b) => b.logins / r.outage.histogram.binS));
  return [
    {
      title: `Fleet: ${r.devices} simulated ${r.chip} devices, one simulated cloud, ${r.workers} worker thread(s)`,
      head: ['measure', 'value'],
      rows: [
        ['provisioned (RUNNING)', `${int(p.ok)} / ${int(r.devices)}`],
        ['wall time, create + boot + provision all', `${fixed(p.wallMs / 1000, 2)} s`],
        ['  of which create + bind + boot (slowest worker)', `${fixed(p.setupMs / 1000, 2)} s`],
        ['devices per second', fixed(p.devicesPerSec, 1)],
        ['per device, phone joins -> RUNNING: p50', `${fixed(p.perDevice.p50, 0)} ms`],
        ['per device, phone joins -> RUNNING: p99', `${fixed(p.perDevice.p99, 0)} ms`],
        ['host RSS per device', `${fixed(m.rssPerDeviceKb, 0)} KB`],
        ['device-side V8 heap per device (workers)', `${fixed(m.workerHeapPerDeviceKb, 0)} KB`],
        ['cloud-side V8 heap per device (main thread)', `${fixed(m.cloudHeapPerDeviceKb, 1)} KB`],
      ],
      notes: [
        `real time; ${r.concurrency} phones at a time per worker; emulated radio delays 0; memory = delta after a full GC / ${int(r.devices)} devices`,
        ...p.failures.slice(0, 5).map((f) => `failure: ${f}`),
        ...(p.failures.length > 5 ? [`… ${p.failures.length - 5} more failure(s)`] : []),
      ],
    },
    {
      title: `Cloud outage of ${out.seconds} s and reconnection (virtual seconds)`,
      head: ['measure', 'with jitter (simulated)', 'without jitter (computed)'],
      rows: [
        ['devices dropped by the outage', int(out.dropped), int(out.dropped)],
        ['devices back in RUNNING', int(out.back), int(out.dropped)],
        ['logins accepted after the cloud returned', int(out.logins), int(out.dropped)],
        ['first login after the return', out.curve.findIndex((c) => c > 0) >= 0 ? `${out.curve.findIndex((c) => c > 0)} s` : '-', `${fixed(out.noJitter.reconnectAfterS, 0)} s`],
        ['all devices back after the return', out.allBackAfterS === null ? 'NOT ALL BACK' : `${fixed(out.allBackAfterS, 1)} s`, `${fixed(out.noJitter.reconnectAfterS, 0)} s`],
        ['peak logins per second', `${int(out.peakLoginsPerS)}/s`, `${int(out.noJitter.peakLoginsPerS)}/s`],
        ['peak second (after the return)', `${out.peakAtS} s`, `${fixed(out.noJitter.reconnectAfterS, 0)} s`],
      ],
      notes: [
        `timebase: ${out.timebase}; step ${out.stepMs} ms`,
        `virtual phase: ${fixed(out.virtualMs / 1000, 0)} s simulated in ${fixed(out.wallMs / 1000, 1)} s of real time`,
        'without jitter: every device dropped at the same instant retries at 0, 5, 15, 35, 75, 155 s … after the drop, so all log in at the same instant',
        ...(out.virtualMs < out.wallMs ? ["WARNING: virtual time ran slower than real time; the cloud's idle timeout runs on real time and may have dropped devices"] : []),
      ],
    },
    {
      title: `Reconnection curve: logins per virtual second after the cloud returned (${out.histogram.binS} s bins)`,
      head: ['seconds after return', 'logins', 'logins/s', ''],
      rows: out.histogram.bins.map((b) => [
        `+${b.fromS} .. +${b.toS}`,
        int(b.logins),
        fixed(b.logins / out.histogram.binS, 1),
        bar(b.logins / out.histogram.binS, maxBin),
      ]),
    },
  ];
}
