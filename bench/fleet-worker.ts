/**
 * One worker thread of the fleet bench (bench/fleet.ts): a share of the
 * simulated devices, their phones, and the fake clock they run on.
 *
 * Protocol: the main thread sends one command at a time and waits for its
 * reply (`FleetCommand` → `FleetReply`):
 * - `provision` (real time): create the devices (distinct MACs, so distinct
 *   AP names and backoff jitter), bind their ports, boot them, play the phone
 *   for each (join its access point, `provision()` of sim/phone.ts against
 *   the one simulated cloud), wait until every device is RUNNING;
 * - `virtual {now}`: install sinon fake timers at `now` (the same instant in
 *   every worker) and from then on record each device's state changes with
 *   the fake `Date.now()`;
 * - `advance {to}`: `clock.tickAsync` up to `to` and return the state
 *   changes since the last reply: virtual time only moves on these commands,
 *   so every worker and the main thread share one virtual timebase;
 * - `finish`: back to real timers, close every device.
 * The emulated radio delays (`WIFI_TIMING.connectMs`, `dhcpMs`, `scanMs`,
 * `apStartMs`) are 0 in this thread: the fleet measures host cost and
 * reconnection, not Wi-Fi timing.
 */
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import sinon from 'sinon';
import { createSimDevice, radioAp, type SimDevice } from '../sim/device';
import { createRadio, WIFI_TIMING } from '../sim/espruino';
import { http, provision } from '../sim/phone';
import type { State } from '../lib/types';

/** What the main thread gives each worker. */
export interface FleetWorkerData {
  /** Global number of this worker's first device (MACs and logs). */
  first: number;
  /** Devices in this worker. */
  count: number;
  /** Phones provisioning at the same time in this worker. */
  concurrency: number;
  /** The simulated cloud's ports on loopback. */
  cloud: { tcp: number; tls: number; http: number };
  /** Organization and user the phones sign in as (created by the main thread). */
  account: { org: string; user: string };
  /** The network every device joins. */
  home: { ssid: string; password: string; rssi: number; channel: number };
}

/** A device's state change, in virtual time (ms since the epoch of the fake clock). */
export interface StateEvent {
  device: number;
  state: State;
  t: number;
}

/** Commands of the main thread. */
export type FleetCommand = { type: 'provision' } | { type: 'virtual'; now: number } | { type: 'advance'; to: number } | { type: 'finish' };

/** Replies of the worker. */
export type FleetReply =
  | { type: 'loaded'; heapUsed: number }
  | { type: 'provisioned'; heapUsed: number; ok: number; failures: string[]; setupMs: number; provisionMs: number; perDeviceMs: number[] }
  | { type: 'virtual' }
  | { type: 'advanced'; events: StateEvent[] }
  | { type: 'closed' }
  | { type: 'error'; message: string };

/** The chip of every fleet device. */
export const FLEET_CHIP = 'ESP8266' as const;

/** Station MAC of global device number n (ESP8266 OUI, then n + 1 in 24 bits). */
export function fleetMac(n: number): string {
  const v = n + 1;
  return ['5C', 'CF', '7F', (v >> 16) & 255, (v >> 8) & 255, v & 255]
    .map((b) => (typeof b === 'string' ? b : b.toString(16).padStart(2, '0').toUpperCase()))
    .join(':');
}

/** A full garbage collection (V8 flag set at run time; a fresh context exposes `gc`). */
export function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));

/** Runs `jobs` with at most `limit` in flight. */
async function pool<T>(jobs: Array<() => Promise<T>>, limit: number): Promise<T[]> {
  const out: T[] = new Array(jobs.length);
  let next = 0;
  const lane = async () => {
    while (next < jobs.length) {
      const i = next++;
      out[i] = await jobs[i]();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, jobs.length) }, lane));
  return out;
}

/** The worker: its devices and, once virtual, its fake clock. */
class FleetWorker {
  private readonly devices: SimDevice[] = [];
  private clock: sinon.SinonFakeTimers | null = null;
  private events: StateEvent[] = [];

  constructor(private readonly data: FleetWorkerData) {}

  /** Creates, boots and provisions every device of this worker (real time). */
  async provision(): Promise<FleetReply> {
    const d = this.data;
    const radio = createRadio([radioAp(d.home)]);
    const route = { tcp: d.cloud.tcp, tls: d.cloud.tls };
    const t0 = performance.now();
    for (let i = 0; i < d.count; i++) {
      this.devices.push(createSimDevice({ chip: FLEET_CHIP, radio, mac: fleetMac(d.first + i), cloud: route }));
    }
    await Promise.all(this.devices.map((dev) => dev.prepare()));
    for (const dev of this.devices) dev.board.boot();
    await Promise.all(this.devices.map((dev) => dev.waitFor('WAIT_CONFIG', 60000)));
    const t1 = performance.now();
    const failures: string[] = [];
    const perDeviceMs: number[] = [];
    const running: Array<Promise<void>> = [];
    await pool(
      this.devices.map((dev, i) => async () => {
        const start = performance.now();
        try {
          await dev.phoneJoin(30000);
          await this.portalUp(dev);
          await provision({ device: dev.portalUrl, cloudApi: `http://127.0.0.1:${d.cloud.http}`, org: d.account.org, user: d.account.user, ssid: d.home.ssid, pass: d.home.password });
          running.push(
            dev.waitFor('RUNNING', 60000).then(
              () => void perDeviceMs.push(performance.now() - start),
              (e: Error) => void failures.push(`device ${d.first + i}: ${e.message}`),
            ),
          );
        } catch (e) {
          failures.push(`device ${d.first + i}: ${(e as Error).message}`);
        }
      }),
      d.concurrency,
    );
    await Promise.all(running);
    const t2 = performance.now();
    collectGarbage();
    return {
      type: 'provisioned',
      heapUsed: process.memoryUsage().heapUsed,
      ok: perDeviceMs.length,
      failures,
      setupMs: t1 - t0,
      provisionMs: t2 - t1,
      perDeviceMs,
    };
  }

  /** Waits until the device's portal answers (its services start once the access point is up). */
  private async portalUp(dev: SimDevice): Promise<void> {
    for (let i = 0; i < 200; i++) {
      const up = await http('GET', `${dev.portalUrl}/probe`).then(
        (r) => r.status === 404,
        () => false,
      );
      if (up) return;
      await sleep(25);
    }
    throw new Error('portal did not come up');
  }

  /** Switches to the fake clock at `now` and starts recording state changes. */
  virtual(now: number): FleetReply {
    this.clock = sinon.useFakeTimers({ now, toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
    this.devices.forEach((dev, i) => dev.on('state', (state: State) => this.events.push({ device: this.data.first + i, state, t: Date.now() })));
    return { type: 'virtual' };
  }

  /** Advances virtual time to `to` (timers fire in order, I/O runs between them). */
  async advance(to: number): Promise<FleetReply> {
    if (!this.clock) throw new Error('advance before virtual');
    if (to > this.clock.now) await this.clock.tickAsync(to - this.clock.now);
    const events = this.events;
    this.events = [];
    return { type: 'advanced', events };
  }

  /** Back to real timers; closes every device. */
  async finish(): Promise<FleetReply> {
    this.clock?.restore();
    this.clock = null;
    await Promise.all(this.devices.map((dev) => dev.close()));
    return { type: 'closed' };
  }
}

/** Wires the worker to its parent port. */
function main(port: NonNullable<typeof parentPort>): void {
  for (const k of ['connectMs', 'dhcpMs', 'scanMs', 'apStartMs'] as const) WIFI_TIMING[k] = 0;
  const worker = new FleetWorker(workerData as FleetWorkerData);
  port.on('message', (cmd: FleetCommand) => {
    const run = async (): Promise<FleetReply> => {
      if (cmd.type === 'provision') return worker.provision();
      if (cmd.type === 'virtual') return worker.virtual(cmd.now);
      if (cmd.type === 'advance') return worker.advance(cmd.to);
      return worker.finish();
    };
    run().then(
      (reply) => port.postMessage(reply),
      (e: Error) => port.postMessage({ type: 'error', message: e.stack || e.message } satisfies FleetReply),
    );
  });
  collectGarbage();
  port.postMessage({ type: 'loaded', heapUsed: process.memoryUsage().heapUsed } satisfies FleetReply);
}

// The main thread imports this module for its types and helpers only.
if (!isMainThread && parentPort) main(parentPort);
