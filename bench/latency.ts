/**
 * Bench section 3: portal latency of the simulated ESP8266 over loopback, on
 * real time (no fake timers).
 *
 * - The emulated radio delays (`WIFI_TIMING.connectMs`, `dhcpMs`, `scanMs`,
 *   `apStartMs`; the fields are writable) are set to 0 for the section and
 *   restored after it, so what remains is host work, loopback I/O and the
 *   firmware's own delays. The failure-path periods (ESP8266 retry and DHCP
 *   timeout) are left as they are: no request here reaches them.
 * - `/board_info.json` and `/config` with an invalid token (answered 500,
 *   no state change) are each requested N times, one after another, each
 *   on a new connection (as a phone on the device's access point does).
 * - A valid `/config` changes the state, so each sample is a freshly booted
 *   device: the reply time, and the time from sending `/config` to the
 *   device printing `=> RUNNING` (Wi-Fi join, DHCP, cloud connect and login
 *   on loopback, plus the firmware's fixed `SWITCH_DELAY_MS` in SWITCH_TO_STA
 *   so that the reply leaves before the access point goes down).
 */
import { request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { createCloudServer, type CloudServer } from '../sim/cloud';
import { createSimDevice, type SimDevice } from '../sim/device';
import { WIFI_TIMING } from '../sim/espruino';
import { SWITCH_DELAY_MS } from '../lib/machine';
import { fixed, int, stats, type Stats, type Table } from './format';

/** The chip of the simulated device. */
export const CHIP = 'ESP8266' as const;
/** The emulated radio delays zeroed for the section. */
const ZEROED: Array<keyof typeof WIFI_TIMING> = ['connectMs', 'dhcpMs', 'scanMs', 'apStartMs'];
/** The home network the device joins. */
const HOME = { ssid: 'Home', password: 'correct horse', rssi: -48, channel: 6 };
/** A token of the wrong length: `/config` answers 500 and changes nothing. */
const INVALID_TOKEN = 'not-a-token';

/** Options of the section. */
export interface LatencyOptions {
  /** Requests per endpoint. */
  samples: number;
  /** Freshly booted devices provisioned with a valid `/config`. */
  provisions: number;
}

/** Section result (milliseconds). */
export interface LatencyReport {
  chip: typeof CHIP;
  wifiTiming: Record<string, number>;
  switchDelayMs: number;
  boardInfo: Stats;
  configInvalid: Stats;
  configValid: Stats;
  configToRunning: Stats;
  /** `configToRunning` minus the firmware's SWITCH_DELAY_MS. */
  configToRunningBeyondSwitch: Stats;
  /** State after the invalid `/config` requests (unchanged by them). */
  stateAfterInvalid: string;
}

/** One GET on a new connection; resolves with its status, body (latin1) and duration. */
function timedGet(url: string): Promise<{ status: number; body: string; ms: number }> {
  return new Promise((ok, fail) => {
    const t0 = performance.now();
    const req = request(url, { agent: false }, (res) => {
      let body = '';
      res.setEncoding('latin1');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => ok({ status: res.statusCode ?? 0, body, ms: performance.now() - t0 }));
      res.on('error', fail);
    });
    req.setTimeout(30000, () => req.destroy(new Error(`GET ${url}: timed out`)));
    req.on('error', fail);
    req.end();
  });
}

/** Boots a device and joins the phone to its access point; resolves once the portal answers. */
async function bootDevice(cloud: CloudServer): Promise<SimDevice> {
  const dev = createSimDevice({ chip: CHIP, networks: [HOME], cloud: { tcp: cloud.ports.tcp, tls: cloud.ports.tls } });
  await dev.start();
  await dev.waitFor('WAIT_CONFIG');
  await dev.phoneJoin();
  for (let i = 0; i < 100; i++) {
    const r = await timedGet(`${dev.portalUrl}/probe`).catch(() => null);
    if (r && r.status === 404) return dev;
    await new Promise((ok) => setTimeout(ok, 20));
  }
  throw new Error('the portal did not come up');
}

/** Requests `path` n times in a row; throws on a status other than `expect`. */
async function series(dev: SimDevice, path: string, n: number, expect: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const r = await timedGet(dev.portalUrl + path);
    if (r.status !== expect) throw new Error(`GET ${path}: ${r.status}, expected ${expect}`);
    out.push(r.ms);
  }
  return out;
}

/** Runs the latency section. */
export async function runLatency(o: LatencyOptions): Promise<LatencyReport> {
  const saved = Object.fromEntries(ZEROED.map((k) => [k, WIFI_TIMING[k]]));
  for (const k of ZEROED) WIFI_TIMING[k] = 0;
  const cloud = createCloudServer();
  await cloud.start();
  try {
    const org = cloud.api.createOrg('Bench');
    const user = cloud.api.createUser(org.id, 'bench@example.test');
    const dev = await bootDevice(cloud);
    let boardInfo: number[];
    let configInvalid: number[];
    let stateAfterInvalid: string;
    try {
      const query = `ssid=${encodeURIComponent(HOME.ssid)}&pass=${encodeURIComponent(HOME.password)}`;
      await series(dev, '/board_info.json', 5, 200); // warm-up
      boardInfo = await series(dev, '/board_info.json', o.samples, 200);
      configInvalid = await series(dev, `/config?${query}&blynk=${INVALID_TOKEN}`, o.samples, 500);
      stateAfterInvalid = dev.state;
    } finally {
      await dev.close();
    }
    const configValid: number[] = [];
    const configToRunning: number[] = [];
    for (let i = 0; i < o.provisions; i++) {
      const d = await bootDevice(cloud);
      try {
        const info = JSON.parse((await timedGet(`${d.portalUrl}/board_info.json`)).body);
        const { token } = cloud.api.issueToken({ user: user.id, org: org.id, template: String(info.tmpl_id) });
        const running = d.waitFor('RUNNING', 30000);
        const t0 = performance.now();
        const r = await timedGet(`${d.portalUrl}/config?ssid=${encodeURIComponent(HOME.ssid)}&pass=${encodeURIComponent(HOME.password)}&blynk=${token}`);
        if (r.status !== 200) throw new Error(`valid /config answered ${r.status}`);
        configValid.push(r.ms);
        await running;
        configToRunning.push(performance.now() - t0);
      } finally {
        await d.close();
      }
    }
    return {
      chip: CHIP,
      wifiTiming: { ...WIFI_TIMING },
      switchDelayMs: SWITCH_DELAY_MS,
      boardInfo: stats(boardInfo),
      configInvalid: stats(configInvalid),
      configValid: stats(configValid),
      configToRunning: stats(configToRunning),
      configToRunningBeyondSwitch: stats(configToRunning.map((ms) => ms - SWITCH_DELAY_MS)),
      stateAfterInvalid,
    };
  } finally {
    await cloud.stop();
    Object.assign(WIFI_TIMING, saved);
  }
}

/** The section's tables. */
export function latencyTables(r: LatencyReport): Table[] {
  const row = (name: string, s: Stats) => [name, int(s.n), fixed(s.p50, 2), fixed(s.p99, 2), fixed(s.mean, 2), fixed(s.max, 2)];
  return [
    {
      title: `Portal latency: simulated ${r.chip} over loopback (ms, real time)`,
      head: ['request', 'n', 'p50', 'p99', 'mean', 'max'],
      rows: [
        row('GET /board_info.json', r.boardInfo),
        row('GET /config, invalid token (500)', r.configInvalid),
        row('GET /config, valid token (200)', r.configValid),
        row('/config sent -> RUNNING', r.configToRunning),
        row(`  of which beyond SWITCH_DELAY_MS (${r.switchDelayMs} ms)`, r.configToRunningBeyondSwitch),
      ],
      notes: [
        `emulated radio delays set to 0 (${ZEROED.map((k) => `WIFI_TIMING.${k}`).join(', ')}); each request on a new connection`,
        `invalid /config requests left the device in ${r.stateAfterInvalid}; each valid /config sample is a freshly booted device`,
        `/config -> RUNNING includes the firmware's fixed ${r.switchDelayMs} ms in SWITCH_TO_STA, the join, DHCP and the cloud login on loopback`,
      ],
    },
  ];
}
