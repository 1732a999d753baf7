/**
 * Helpers for the example tests: an end-to-end world (test/e2e/world.ts:
 * simulated cloud, simulated device, fake clock running with real time) whose
 * device is flashed with what one example's deployment manifest in `dist/`
 * lists, plus a few waits and cloud look-ups the example tests share.
 */
import { setTimeout as sleep } from 'timers/promises';
import { DIST } from '../../sim/device';
import { readDeployment } from '../../sim/manifest';
import { http } from '../../sim/phone';
import { World, WorldOptions, world } from '../e2e/world';

/** The chips every example is built for. */
export const CHIPS = ['ESP32', 'ESP8266'] as const;

/** The built bundle of `example` for `chip` (the basic example's are `esp32.js` / `esp8266.js`). */
export function bundleOf(example: 'basic' | 'rgb-led' | 'sensor', chip: 'ESP32' | 'ESP8266'): string {
  const file = chip === 'ESP32' ? 'esp32.js' : 'esp8266.js';
  return example === 'basic' ? file : `${example}-${file}`;
}

/**
 * A world whose device is flashed with the deployment manifest of `bundle` (a
 * file in `dist/`; its manifest `dist/<name>.files.json` has it as boot code,
 * plus the Storage files it reads), booted. Fails with a hint when the bundle
 * has not been built.
 */
export async function exampleWorld(bundle: string, o: WorldOptions = {}): Promise<World> {
  const manifest = bundle.replace(/\.js$/, '');
  readDeployment(DIST, manifest); // throws, naming what is missing, before the world starts
  return world(Object.assign({}, o, { manifest }));
}

/** Advances device time in 50 ms steps, letting host I/O run between them, until `ok()` holds; throws `what` after `maxMs` of device time. */
export async function eventually(w: World, ok: () => boolean, what: string, maxMs = 10000): Promise<void> {
  const until = Date.now() + maxMs;
  while (!ok()) {
    if (Date.now() > until) throw new Error(`${what} (not within ${maxMs} ms; states ${w.dev.states.join(' > ')})`);
    await w.clock.tickAsync(50);
    await hostIo();
  }
}

/** Lets the host's loopback I/O (cloud and device sockets, TLS) run for a moment of real time: `tickAsync` only runs timers. */
function hostIo(): Promise<void> {
  return sleep(2);
}

/** Provisions the device with the phone (Home network) and waits for RUNNING; returns the cloud's device id. */
export async function provisioned(w: World): Promise<number> {
  const r = await w.phone();
  await w.until('RUNNING');
  const id = w.cloud.api.getToken(r.token).device;
  if (id === null || id === undefined) throw new Error('the cloud has no device for the issued token');
  return id;
}

/** The values the cloud holds for virtual pin `pin` of device `id` (undefined if never written). */
export function cloudPin(w: World, id: number, pin: number): string[] | undefined {
  return w.cloud.api.getDevice(id).pins[String(pin)];
}

/** Writes virtual pin `pin` of device `id` from the cloud side, as the app does; true if delivered live. */
export async function writePin(w: World, id: number, pin: number, value: string): Promise<boolean> {
  const r = await http('POST', `${w.api}/api/devices/${id}/pins/${pin}`, { value });
  if (r.status !== 200) throw new Error(`pin write: ${r.status} ${r.body}`);
  return JSON.parse(r.body).delivered;
}
