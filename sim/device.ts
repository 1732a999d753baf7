/**
 * A simulated product: a virtual Espruino board (sim/espruino) flashed the way
 * a real unit is, running the very bundles the build writes.
 *
 * - Flash: exactly what a deployment manifest the build writes lists
 *   (sim/manifest.ts), as `npm run flash` uploads it: either the chip's
 *   (`dist/esp32.files.json`, `dist/esp8266.files.json`: the self-contained
 *   basic example as boot code and the Storage files it reads), another
 *   example's, or the library module's (`dist/espruino-edgent.files.json`:
 *   `espruino-edgent` as the Storage file `require` finds, and the files it
 *   reads) with a small product firmware generated from the template id/name
 *   and firmware version as boot code.
 * - The device's cloud connections (`blynk.cloud` or any host, ports 80/8080
 *   and 443/9443) are routed to a simulated cloud on loopback. Its TLS
 *   certificate is issued by a test CA, not a public one, so by default the
 *   Storage file `edgent.ca` (the firmware's default CA, ISRG Root X1 as
 *   shipped) is installed holding that test CA instead (`storageCa`), the way
 *   a fleet on a private cloud would be flashed; `storageCa: 'shipped'`
 *   installs the manifest's file unchanged.
 * - State and LED are read from what the device prints and drives: the
 *   machine's `OLD => NEW` lines and the LED pin / pixel.
 */

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { EventEmitter } from 'node:events';
import { createBoard, createRadio, VirtualBoard, VirtualRadio } from './espruino';
import type { VirtualAp } from './espruino';
import { createStore } from '../lib/store';
import { ConfigRecord, State } from '../lib/types';
import { defaultRecord } from '../lib/record';
import { chipManifest, LIBRARY_MANIFEST, readDeployment } from './manifest';
import { packageRoot } from './root';
import { TEST_CA } from './cloud';

/** Where the build writes the bundles. */
export const DIST = resolve(packageRoot(), 'dist');
/** Storage name of the library module (what `require('espruino-edgent')` finds). */
export const MODULE_FILE = 'espruino-edgent';
/** Storage name of the firmware's default CA certificate (boards/driver.ts `CA_FILE`), DER bytes. */
export const CA_STORAGE = 'edgent.ca';

/** Product settings baked into generated firmware. */
export interface ProductFirmware {
  /** Template id. */
  templateId: string;
  /** Template name. */
  templateName: string;
  /** Firmware version. */
  fwVersion: string;
  /** The product's `tlsCa`: a PEM certificate, or false (not verified). @default none (the board's `edgent.ca`) */
  tlsCa?: string | false;
}

/** Where the device's cloud connections go on the host. */
export interface CloudRoute {
  /** Host port of the simulated cloud's plain TCP server. */
  tcp: number;
  /** Host port of its TLS server. */
  tls: number;
}

/** Options of `createSimDevice`. */
export interface SimDeviceOptions {
  /** Chip to emulate. */
  chip: 'ESP32' | 'ESP8266';
  /** Product firmware from the module bundle (the `espruino-edgent` manifest); absent = the manifest's own boot code. */
  product?: ProductFirmware;
  /**
   * Deployment manifest in `dist` to install (`rgb-led-esp32`, ...; see sim/manifest.ts).
   * @default the chip's (`esp32` / `esp8266`), or `espruino-edgent` with `product`
   */
  manifest?: string;
  /** Networks around the device, SSIDs and passwords as text (sent as UTF-8). */
  networks?: VirtualAp[];
  /** A radio shared with other devices (byte-string SSIDs, see `radioAp`); wins over `networks`. */
  radio?: VirtualRadio;
  /** Flash image file (survives restarts); absent = in memory. */
  flashFile?: string;
  /** Host port for the device's portal (0 = any free port). @default 0 */
  httpPort?: number;
  /** Host UDP port for the device's DNS (0 = any free port). @default 0 */
  dnsPort?: number;
  /** Station MAC. @default per chip */
  mac?: string;
  /** The simulated cloud's ports; absent = the cloud is unreachable. */
  cloud?: CloudRoute | null;
  /** Directory with the built bundles. @default DIST */
  dist?: string;
  /** Device console lines. */
  log?: (line: string) => void;
  /**
   * What the Storage file `edgent.ca` holds when the manifest lists it: a PEM
   * certificate (written as DER, as the build writes the shipped root),
   * `'shipped'` for the manifest's own file, `'none'` to leave the file out.
   * @default the simulated cloud's test CA (`TEST_CA`)
   */
  storageCa?: string | 'shipped' | 'none';
}

/** The DER bytes (a byte string) of a PEM certificate. */
export function pemToDer(pem: string): string {
  const m = /-----BEGIN CERTIFICATE-----([^-]+)-----END CERTIFICATE-----/.exec(pem);
  if (!m) throw new Error('not a PEM certificate');
  return Buffer.from(m[1].replace(/\s/g, ''), 'base64').toString('latin1');
}

/** Generates product firmware (boot code) that uses the library module. */
export function productFirmware(chip: 'ESP32' | 'ESP8266', p: ProductFirmware): string {
  const board = chip === 'ESP32' ? 'ESP32_DEVKITC' : 'ESP8266_NODEMCU';
  return [
    `var edgent = require(${JSON.stringify(MODULE_FILE)});`,
    'edgent.runAtBoot(function () {',
    `  var d = edgent.createEdgent({ templateId: ${JSON.stringify(p.templateId)}, templateName: ${JSON.stringify(p.templateName)}, fwVersion: ${JSON.stringify(p.fwVersion)}${p.tlsCa !== undefined ? `, tlsCa: ${JSON.stringify(p.tlsCa)}` : ''} }, edgent.createBoard(edgent.${board}));`,
    "  d.onStateChange(function (s) { if (s === 'RUNNING') d.virtualWrite(1, 'hello'); });",
    '  d.onVirtualWrite(function (pin, v) { if (pin === 0) d.virtualWrite(1, v[0]); });',
    '  d.start();',
    '  return d;',
    '});',
    ''
  ].join('\n');
}

/** Routes a device connection to the simulated cloud: 80/8080 → TCP, 443/9443 → TLS, other ports as they are. */
export function cloudResolver(route: CloudRoute | null | undefined) {
  return function (_host: string, port: number): { host: string; port: number } | null {
    if (!route) return null;
    if (port === 80 || port === 8080) return { host: '127.0.0.1', port: route.tcp };
    if (port === 443 || port === 9443) return { host: '127.0.0.1', port: route.tls };
    return { host: '127.0.0.1', port };
  };
}

/** Text to the bytes a radio carries: SSIDs and passwords travel as UTF-8. */
export function utf8Bytes(text: string): string {
  return Buffer.from(text, 'utf8').toString('latin1');
}

/** A network described in text (as a person types it) as the virtual radio's byte-string form. */
export function radioAp(ap: VirtualAp): VirtualAp {
  return Object.assign({}, ap, { ssid: utf8Bytes(ap.ssid), password: utf8Bytes(ap.password) });
}

/** A simulated unit of the product. */
export class SimDevice extends EventEmitter {
  /** The virtual board. */
  readonly board: VirtualBoard;
  /** The radio around it. */
  readonly radio: VirtualRadio;
  /** Every state entered since creation, in order. */
  readonly states: State[] = [];
  /** The board lost power or rebooted after the last transition the firmware logged. */
  private booted = false;
  private _route: CloudRoute | null;

  constructor(readonly opts: SimDeviceOptions) {
    super();
    this.radio = opts.radio || createRadio((opts.networks || []).map(radioAp));
    this._route = opts.cloud || null;
    this.board = createBoard({
      chip: opts.chip,
      radio: this.radio,
      flashFile: opts.flashFile,
      httpPort: opts.httpPort || 0,
      dnsPort: opts.dnsPort || 0,
      mac: opts.mac,
      resolve: (host, port) => cloudResolver(this._route)(host, port),
      log: (line) => this._line(line)
    });
    this.board.on('error', (e) => this.emit('device-error', e));
    // A board that lost power or rebooted is in BOOT until the firmware logs its first transition.
    this.board.on('off', () => { this.booted = true; });
    this.board.on('reboot', () => { this.booted = true; });
  }

  /**
   * Writes what the deployment manifest lists into flash, like `npm run flash` does on hardware:
   * every Storage file (`edgent.ca` as `storageCa` says), and its boot code (or, with `product`,
   * the generated product firmware).
   * Throws, naming the file, when the manifest or a file it names is missing or is for another chip.
   */
  install(): void {
    const { chip, product } = this.opts;
    const d = readDeployment(this.opts.dist || DIST, this.opts.manifest || (product ? LIBRARY_MANIFEST : chipManifest(chip)));
    const board = d.manifest.board;
    if (board !== null && !board.toUpperCase().startsWith(chip)) throw new Error(`deployment manifest ${d.file} is for ${board}, not ${chip}`);
    const bootCode = product ? productFirmware(chip, product) : d.bootCode;
    if (bootCode === null) throw new Error(`deployment manifest ${d.file} has no boot code ("bootCode": null): give the device a product firmware`);
    const ca = this.opts.storageCa === undefined ? readFileSync(TEST_CA, 'latin1') : this.opts.storageCa;
    for (const f of d.storage) {
      if (f.name !== CA_STORAGE || ca === 'shipped') this.board.storage.write(f.name, f.data);
      else if (ca !== 'none') this.board.storage.write(f.name, pemToDer(ca));
    }
    this.board.setBootCode(bootCode);
  }

  /** Installs if the flash holds no firmware yet and binds the host ports (board still off). */
  async prepare(): Promise<void> {
    if (this.board.storage.read('.bootcde') === undefined) this.install();
    await this.board.ready();
  }

  /** `prepare()`, then power on. */
  async start(): Promise<void> {
    await this.prepare();
    this.board.boot();
  }

  /** The current state (BOOT at first, and after a reboot or a power cut until the next transition). */
  get state(): State {
    return this.states.length && !this.booted ? this.states[this.states.length - 1] : 'BOOT';
  }

  /** Base URL of the device's portal on the host. */
  get portalUrl(): string {
    return `http://127.0.0.1:${this.board.httpPort}`;
  }

  /** Changes where the cloud is (null: unreachable, like a cloud outage). */
  setCloud(route: CloudRoute | null): void {
    this._route = route;
  }

  /** The config record in the device's flash, read with the library's own store. */
  storedConfig(): ConfigRecord {
    return createStore({ flash: hostFlash(this.board) }).load();
  }

  /** Writes a config record into flash (a unit provisioned earlier); call before `start()`. */
  provisionFlash(over: Partial<ConfigRecord>): void {
    createStore({ flash: hostFlash(this.board) }).save(Object.assign(defaultRecord(), over));
  }

  /** Resolves when the device enters `state` (now or later); rejects after `timeoutMs` of host time. */
  waitFor(state: State, timeoutMs = 10000): Promise<void> {
    if (this.state === state) return Promise.resolve();
    return new Promise((ok, fail) => {
      const timer = setTimeout(() => {
        this.off('state', on);
        fail(new Error(`device did not reach ${state} within ${timeoutMs} ms (now ${this.state}; ${this.states.join(' > ')})`));
      }, timeoutMs);
      const on = (s: State) => {
        if (s !== state) return;
        clearTimeout(timer);
        this.off('state', on);
        ok();
      };
      this.on('state', on);
    });
  }

  /** A phone joins the device's access point once it is up (polls every 50 ms); returns the phone's MAC. */
  async phoneJoin(timeoutMs = 10000): Promise<string> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const mac = this.board.phoneJoin();
      if (mac) return mac;
      if (Date.now() > until) throw new Error(`the device's access point did not come up (state ${this.state})`);
      await new Promise((ok) => setTimeout(ok, 50));
    }
  }

  /** Stops the board and releases the host ports. */
  async close(): Promise<void> {
    await this.board.close();
  }

  private _line(line: string): void {
    const m = / => ([A-Z_]+)$/.exec(line);
    if (m) {
      this.booted = false;
      this.states.push(m[1] as State);
      this.emit('state', m[1] as State);
    }
    this.emit('log', line);
    if (this.opts.log) this.opts.log(line);
  }
}

/** A FlashPort over the host's view of a board's flash (for reading and seeding records). */
export function hostFlash(board: VirtualBoard) {
  return {
    read(name: string, offset?: number, length?: number): string | undefined {
      const d = board.storage.read(name);
      if (d === undefined) return undefined;
      const from = offset || 0;
      return d.substring(from, length === undefined ? d.length : from + length);
    },
    write(name: string, data: string): boolean {
      board.storage.write(name, data);
      return true;
    },
    erase(name: string): void {
      board.storage.erase(name);
    }
  };
}

/** Creates a simulated device (call `start()` to power it on). */
export function createSimDevice(opts: SimDeviceOptions): SimDevice {
  return new SimDevice(opts);
}
