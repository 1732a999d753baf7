/**
 * A world for end-to-end tests on the built bundles: a simulated cloud, a
 * simulated device flashed with `dist/` bundles, and sinon fake timers that
 * advance with real time (so loopback I/O flows) and can jump ahead
 * (`clock.tickAsync`) over long waits such as the ERROR reboot or an hour
 * without a router. Host ports are bound before the fake clock is installed,
 * and released after it is restored, as the virtual board requires.
 * `E2E_CLOUD_LOG=1` prints the simulated cloud's log (with device time).
 */
import sinon from 'sinon';
import { createCloudServer, CloudServer } from '../../sim/cloud';
import { createSimDevice, SimDevice, SimDeviceOptions } from '../../sim/device';
import { provision, ProvisionOptions, ProvisionResult, http, HttpResult } from '../../sim/phone';
import type { VirtualAp } from '../../sim/espruino';
import type { State } from '../../lib/types';

/** The phone's Wi-Fi MAC. */
const PHONE_MAC = '02:00:00:00:00:aa';

/** The home network every test uses unless it says otherwise. */
export const HOME: VirtualAp = { ssid: 'Home', password: 'correct horse', rssi: -48, channel: 6 };

/** One test's cloud, device and clock. */
export interface World {
  cloud: CloudServer;
  /** Every line the cloud logged (TLS handshakes it refused, logins, devices online). */
  cloudLog: string[];
  dev: SimDevice;
  clock: sinon.SinonFakeTimers;
  /** The cloud's HTTP API base URL. */
  api: string;
  /** The phone joins the device's access point once it is up. */
  join(): Promise<void>;
  /** Plays the phone against the device (joins its AP first). */
  phone(over?: Partial<ProvisionOptions>): Promise<ProvisionResult>;
  /** GET a portal path (the phone joins first). */
  get(path: string): Promise<HttpResult>;
  /** GET a portal path, parsed as JSON. */
  portal(path: string): Promise<any>;
  /** Advances device time until `state` is reached (or throws after `maxMs` of device time). */
  until(state: State, maxMs?: number): Promise<void>;
  /** The cloud's view of the device holding `token`. */
  cloudDevice(token: string): Promise<any>;
  /** Stops everything. */
  close(): Promise<void>;
}

/** Options of `world`. */
export interface WorldOptions extends Partial<SimDeviceOptions> {
  /** Boot right away. @default true */
  boot?: boolean;
  /** The cloud keeps its data in this JSON file. @default memory only */
  cloudData?: string;
  /** Blynk.Air's download URLs are `https://` (the cloud's HTTPS port). @default false */
  otaHttps?: boolean;
}

/** Builds and (by default) boots a world. */
export async function world(o: WorldOptions): Promise<World> {
  const cloudLog: string[] = [];
  const cloud = createCloudServer({
    dataFile: o.cloudData,
    otaHttps: o.otaHttps,
    log: (l) => {
      cloudLog.push(l);
      if (process.env.E2E_CLOUD_LOG) console.log('CLOUD', Date.now() % 10000000, l);
    }
  });
  await cloud.start();
  const api = `http://127.0.0.1:${cloud.ports.http}`;
  const dev = createSimDevice(Object.assign({
    chip: 'ESP32' as const,
    networks: [HOME],
    cloud: { tcp: cloud.ports.tcp, tls: cloud.ports.tls }
  }, o));
  await dev.prepare();
  const clock = sinon.useFakeTimers({
    shouldAdvanceTime: true,
    advanceTimeDelta: 5,
    toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date']
  });
  if (o.boot !== false) dev.board.boot();

  async function until(state: State, maxMs = 120000): Promise<void> {
    const start = Date.now();
    while (dev.state !== state) {
      if (Date.now() - start > maxMs) {
        throw new Error(`no ${state} within ${maxMs} ms of device time: ${dev.states.join(' > ')}`);
      }
      await clock.tickAsync(50);
    }
  }

  /** Awaits `p` while device time runs ahead (a scan or a reply does not wait for real time). */
  async function drive<T>(p: Promise<T>): Promise<T> {
    let done = false;
    p.then(() => { done = true; }, () => { done = true; });
    while (!done) await clock.tickAsync(20);
    return p;
  }

  /** The phone joins the device's access point and waits until the portal answers. */
  async function join(): Promise<void> {
    for (let i = 0; i < 200; i++) {
      dev.board.phoneJoin(PHONE_MAC);
      const up = await drive(http('GET', `${dev.portalUrl}/probe`).then((r) => r.status === 404, () => false));
      if (up) return;
      await clock.tickAsync(50);
    }
    throw new Error(`the portal did not come up (${dev.state})`);
  }

  return {
    join,
    cloud,
    cloudLog,
    dev,
    clock,
    api,
    async phone(over) {
      await until(dev.state === 'CONFIGURING' ? 'CONFIGURING' : 'WAIT_CONFIG');
      await join();
      return drive(provision(Object.assign({
        device: dev.portalUrl, cloudApi: api, org: 'Acme', user: 'ann@acme.test', ssid: HOME.ssid, pass: HOME.password
      }, over)));
    },
    async get(path) {
      await join();
      return drive(http('GET', dev.portalUrl + path));
    },
    async portal(path) {
      await join();
      return JSON.parse((await drive(http('GET', dev.portalUrl + path))).body);
    },
    until,
    async cloudDevice(token) {
      const t = JSON.parse((await http('GET', `${api}/api/tokens/${token}`)).body);
      if (t.device === null || t.device === undefined) return null;
      return JSON.parse((await http('GET', `${api}/api/devices/${t.device}`)).body);
    },
    async close() {
      clock.restore();
      await dev.close();
      await cloud.stop();
    }
  };
}
