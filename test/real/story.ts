/**
 * The whole life of one device on a real Espruino interpreter, against the
 * simulated Blynk cloud, over real loopback sockets: the firmware of the basic
 * example (`dist/<chip>.files.json`, deployed from flash behind the Wi-Fi
 * stand-ins), provisioned by a phone played from here, online, rebooted,
 * factory-reset; and the two provisioning failures the app reports.
 *
 * `Story` runs the steps one by one on ONE interpreter directory (the
 * `espruino.flash` survives the reboots), checks each against the device
 * contract (docs/edgent-compat.md) and collects memory figures:
 * `process.memory().usage` at rest in each state and, sampled about every
 * `sampleMs` while requests, joins and logins are in flight, the peak; all
 * reported above the stand-ins' own cost (`standinBaseline`).
 *
 * `runStory(chip)` runs every step and resolves with the figures (what the
 * benchmark reuses); `runFailure(chip, kind)` provisions with a token the
 * cloud rejects (703) or a wrong Wi-Fi password (722) and checks that the
 * device comes back in config mode with that `last_error`.
 *
 * Needs the interpreter of the chip (`ESPRUINO_ESP8266` / `ESPRUINO_ESP32`),
 * `npm run build` (the manifests), root (ports 80 and 53 on the loopback) and
 * no other firmware serving those ports meanwhile.
 */
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as http from 'http';
import * as path from 'path';
import { Chip, RealBoard, assertPortsFree, interpreterPath, readManifest, standinBaseline, standins } from './harness';
import { StandinConfig, standinStation } from './standins';
import { CloudServer, createCloudServer, TEST_CA } from '../../sim/cloud';
import { issueToken, signIn } from '../../sim/phone';
import { apSsid, DEFAULT_AP_PREFIX } from '../../lib/apname';

/** The DER bytes of a PEM certificate file (what Espruino's `ca` takes). */
export function der(file: string): Buffer {
  const pem = fs.readFileSync(file, 'latin1');
  return Buffer.from(pem.replace(/-----[A-Z ]+-----|\s/g, ''), 'base64');
}

/** The built firmware manifests and files. */
export const DIST = path.resolve(__dirname, '../../dist');

/** The basic example's product values (examples/basic/app.ts). */
export const PRODUCT = { templateId: 'TMPL4abcd123', templateName: 'My Device', fwVersion: '0.1.0' };

/** The networks around the device: the owner's home Wi-Fi, an open café, a hidden one the portal leaves out. */
export const STORY_WORLD: StandinConfig = {
  networks: [
    { ssid: 'Cafe', rssi: -71, channel: 11, auth: 'open' },
    { ssid: 'Home', password: 'correct horse', rssi: -48, channel: 6, auth: 'wpa2' },
    { ssid: 'Attic', password: 'hidden-one', rssi: -60, channel: 1, auth: 'wpa2', hidden: true }
  ],
  mac: '5c:cf:7f:01:02:03',
  apMac: '5e:cf:7f:01:02:03'
};

/** The phone's Wi-Fi MAC (it joins the device's access point). */
const PHONE_MAC = '02:00:00:00:00:aa';

/** Milliseconds to wait for a state. */
const STATE_MS = 20000;

/** Resolves after `ms` milliseconds. */
function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** One HTTP exchange with the portal. */
export interface PortalReply {
  status: number;
  type: string;
  /** The body as bytes (latin1). */
  body: string;
  ms: number;
}

/** GET `url` with its own connection (`Connection: close`), as a phone's browser does. */
function get(url: string, timeoutMs = 25000): Promise<PortalReply> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, timeout: timeoutMs, headers: { Connection: 'close' } }, (res) => {
      let body = '';
      res.setEncoding('latin1');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode || 0, type: String(res.headers['content-type'] || ''), body, ms: Date.now() - t0 }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url}: no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}

/** A JSON call to the simulated cloud's HTTP API. */
async function api<T = any>(base: string, method: string, p: string, body?: unknown): Promise<T> {
  const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body), 'utf8');
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = data ? { 'Content-Type': 'application/json', 'Content-Length': data.length } : {};
    const req = http.request(base + p, { method, headers, agent: false }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => {
        const text = Buffer.concat(parts).toString('utf8');
        if ((res.statusCode || 0) >= 400) reject(new Error(`${method} ${p}: ${res.statusCode} ${text}`));
        else resolve((text ? JSON.parse(text) : null) as T);
      });
    });
    req.on('error', reject);
    req.end(data);
  });
}

/** The most and the count of `usage` samples taken while something was in flight. */
interface Peak {
  max: number;
  count: number;
}

/** One portal request as the story measured it. */
export interface RequestFigures {
  path: string;
  status: number;
  ms: number;
  /** Highest usage sampled while it was in flight, above the stand-ins. */
  during: number;
  /** Usage once it was answered, above the stand-ins. */
  after: number;
}

/** What `runStory` measured on one chip. JsVar figures are above the stand-ins unless said otherwise. */
export interface StoryFigures {
  chip: Chip;
  /** The interpreter's file name. */
  interpreter: string;
  /** `process.memory().total` of the interpreter. */
  total: number;
  /** Usage of the stand-ins alone (`standinBaseline`), subtracted from every other figure. */
  standins: number;
  /** How the device reached the cloud. */
  transport: 'tcp' | 'tls';
  /** WAIT_CONFIG at rest after the first boot. */
  waitConfig: number;
  /** Each portal request: board_info, wifi_scan, the form, config. */
  requests: RequestFigures[];
  /** RUNNING at rest (between heartbeats) after provisioning. */
  running: number;
  /** RUNNING at rest after the cloud's `vw` V0 and the echo on V1. */
  afterRoundTrip: number;
  /** RUNNING at rest after the reboot. */
  runningAfterReboot: number;
  /** WAIT_CONFIG at rest after the factory reset. */
  waitConfigAfterReset: number;
  /** Highest usage sampled while anything was in flight, and where. */
  peak: number;
  peakWhere: string;
  /** Usage samples taken in flight. */
  samples: number;
  /**
   * JsVars one TLS link to the cloud takes on this build (a bare `tls.connect`
   * from the console, measured in WAIT_CONFIG): on the interpreter mbedtls
   * buffers come from the JsVar pool, on a real ESP32 from the system heap.
   */
  tlsLink?: number;
  /** How the factory reset was triggered. */
  resetBy: 'console factoryReset()' | 'cloud dbg config erase';
  /** Milliseconds per step. */
  ms: Record<string, number>;
}

/** What `runFailure` saw. */
export interface FailureFigures {
  chip: Chip;
  kind: 'token' | 'password';
  /** `last_error` in `/board_info.json` once back in config mode. */
  lastError: number;
  /** The state changes, in order, over every process. */
  states: string[];
  /** The device rebooted on its way back to config mode. */
  rebooted: boolean;
  /** WAIT_CONFIG at rest once back in config mode, above the stand-ins. */
  waitConfig: number;
  ms: number;
}

/** Options of a `Story`. */
export interface StoryOptions {
  /** The stand-ins' networks. @default STORY_WORLD */
  world?: StandinConfig;
  /** Interval of the in-flight memory samples. @default 30 */
  sampleMs?: number;
  /** Progress lines. */
  log?: (line: string) => void;
  /** Where the firmware's manifest `<chip>.files.json` is (a product's build). @default DIST */
  dist?: string;
  /**
   * JsVars the firmware may use above the stand-ins, at every moment: a
   * ballast (`ballastFile`) takes the rest of the pool at every boot, so
   * whatever needs more, even for an instant no sample would catch, ends in
   * OUT OF MEMORY and fails the step. @default none (the whole pool)
   */
  cap?: number;
  /** Blynk.Air's download URLs are `https://` (the simulated cloud's HTTPS port). @default false */
  otaHttps?: boolean;
}

/** Storage name of the ballast: Espruino runs `.boot1` after the stand-ins' `.boot0` and before `.bootcde`. */
export const BALLAST_FILE = '.boot1';

/**
 * The ballast's source: at every boot it fills `blocks` JsVars (one array
 * element each, counted with `process.memory()`), kept in the global
 * `$ballast`.
 */
export function ballastSource(blocks: number): string {
  return `global.$ballast=[];var $b=process.memory().usage+${Math.max(0, Math.floor(blocks))};` +
    'while(process.memory().usage<$b)$ballast.push(0);delete global.$b;';
}

/**
 * One device's story on one interpreter directory, step by step (call the
 * steps in order). Every step throws an assertion error with the interpreter's
 * log tail when the device strays from the contract or prints an error.
 */
export class Story {
  readonly board = new RealBoard();
  readonly chip: Chip;
  readonly world: StandinConfig;
  /** The simulated cloud's log lines. */
  readonly cloudLog: string[] = [];
  /** The device's token (issued by the cloud in `portal`). */
  token = '';
  /** The device's id in the cloud (once it logged in). */
  deviceId = -1;
  /** The device's access point SSID (from `/board_info.json`). */
  apSsid = '';
  private cloud: CloudServer;
  private apiBase = '';
  private baseline = 0;
  private sampleMs: number;
  private log: (line: string) => void;
  private dist: string;
  private cap?: number;
  private peak = { max: 0, where: '' };
  private samples = 0;
  private configFrom = 0;
  private stepStart = 0;
  readonly figures: Partial<StoryFigures> & { requests: RequestFigures[]; ms: Record<string, number> };

  constructor(chip: Chip, o: StoryOptions = {}) {
    this.chip = chip;
    this.world = o.world || STORY_WORLD;
    this.sampleMs = o.sampleMs || 30;
    this.log = o.log || (() => undefined);
    this.dist = o.dist || DIST;
    this.cap = o.cap;
    this.cloud = createCloudServer({ log: (l) => this.cloudLog.push(l), otaHttps: o.otaHttps });
    this.figures = { chip, requests: [], ms: {} };
  }

  /** The interpreter's and the cloud's log ends, for a failure message. */
  tail(n = 6000): string {
    return this.board.tail(n) + '\n--- cloud log (tail) ---\n' + this.cloudLog.slice(-25).join('\n');
  }

  private manifest(): string {
    return path.join(this.dist, `${this.chip.toLowerCase()}.files.json`);
  }

  private begin(): void {
    this.stepStart = Date.now();
  }

  private end(step: string): void {
    this.figures.ms[step] = Date.now() - this.stepStart;
    this.noErrors(step);
    this.log(`${step}: ${this.figures.ms[step]} ms`);
  }

  /** Asserts that the console shows no error line. */
  noErrors(step: string): void {
    const errs = this.board.errors();
    if (errs.length) throw new Error(`${this.chip} ${step}: error lines on the console:\n  ${errs.join('\n  ')}\n${this.tail()}`);
  }

  /** The state changes (`OLD => NEW`) the firmware logged from log offset `from`. */
  states(from = 0): string[] {
    const out: string[] = [];
    const re = /([A-Z_]+) => ([A-Z_]+)/g;
    const raw = this.board.log().slice(from).replace(/\x1b\[[0-9;]*[A-Za-z]/g, '').replace(/\r/g, '');
    let m: RegExpExecArray | null;
    while ((m = re.exec(raw))) out.push(m[1] + ' => ' + m[2]);
    return out;
  }

  /** Waits for the transition into `state` logged after `from`; returns the log offset after it. */
  async reach(state: string, from: number, timeoutMs = STATE_MS): Promise<number> {
    try {
      return await this.board.waitFor(new RegExp(`[A-Z_]+ => ${state}\\b`), timeoutMs, from);
    } catch (e) {
      throw new Error(`${this.chip}: no "=> ${state}" (states so far: ${this.states(from).join(', ') || 'none'})\n${(e as Error).message.split('\n')[0]}\n${this.tail()}`);
    }
  }

  /** Usage above the stand-ins, now (after Espruino's garbage collection). */
  async usage(): Promise<number> {
    return (await this.board.memory()) - this.baseline;
  }

  /** Usage at rest: after `settleMs` without a request of ours, the steady level (`steady`). */
  async rest(settleMs = 600): Promise<number> {
    await sleep(settleMs);
    return this.steady();
  }

  /** The least of three usage readings 100 ms apart: the level without the LED's and the console's passing blocks. */
  async steady(): Promise<number> {
    let least = Infinity;
    for (let i = 0; i < 3; i++) {
      await sleep(100);
      least = Math.min(least, await this.usage());
    }
    return least;
  }

  /**
   * Runs `work` while sampling usage every `sampleMs` on the console; the
   * samples feed the story's peak (labelled `where`).
   */
  async sampled<T>(where: string, work: () => Promise<T>): Promise<{ value: T; peak: Peak }> {
    const peak: Peak = { max: -Infinity, count: 0 };
    let on = true;
    const loop = (async () => {
      while (on) {
        try {
          const u = await this.usage();
          peak.count++;
          this.samples++;
          if (u > peak.max) peak.max = u;
          if (u > this.peak.max) this.peak = { max: u, where };
        } catch {
          if (!this.board.running) return;
        }
        await sleep(this.sampleMs);
      }
    })();
    // An error line on the console ends the wait at once (a request to a crashed portal would only time out).
    let watch: NodeJS.Timeout | undefined;
    const failed = new Promise<never>((_, reject) => {
      watch = setInterval(() => {
        const errs = this.board.errors();
        if (errs.length) reject(new Error(`${this.chip} ${where}: error lines on the console:\n  ${errs.join('\n  ')}\n${this.tail()}`));
      }, 20);
    });
    failed.catch(() => undefined);
    try {
      const value = await Promise.race([work(), failed]);
      return { value, peak };
    } finally {
      clearInterval(watch);
      on = false;
      await loop;
    }
  }

  /** The phone joins the device's access point (the stand-in's `sta_joined`). */
  async phoneJoins(): Promise<void> {
    await this.board.eval(standinStation(PHONE_MAC, true));
  }

  /** GET a portal path while sampling; records the request's figures. */
  async request(p: string): Promise<PortalReply> {
    const { value: reply, peak } = await this.sampled(p.split('?')[0], () => get('http://127.0.0.1:80' + p));
    const after = await this.rest(100);
    this.figures.requests.push({ path: p.split('?')[0], status: reply.status, ms: reply.ms, during: Math.max(peak.max, after), after });
    return reply;
  }

  /** GET `/board_info.json`, parsed. */
  async boardInfo(): Promise<Record<string, unknown>> {
    const r = await this.request('/board_info.json');
    assert.equal(r.status, 200, `/board_info.json: ${r.status} ${r.body}`);
    assert.match(r.type, /application\/json/);
    try {
      return JSON.parse(r.body);
    } catch {
      throw new Error(`/board_info.json is not JSON: ${JSON.stringify(r.body.slice(0, 300))}`);
    }
  }

  /** The device's record in the cloud. */
  async cloudDevice(): Promise<any> {
    if (this.deviceId < 0) {
      const t = await api(this.apiBase, 'GET', `/api/tokens/${this.token}`);
      if (t.device === null || t.device === undefined) return null;
      this.deviceId = t.device;
    }
    return api(this.apiBase, 'GET', `/api/devices/${this.deviceId}`);
  }

  /** The simulated cloud's API, in process (Blynk.Air's images and shipments, the device's events). */
  get air(): CloudServer['api'] {
    return this.cloud.api;
  }

  /** Polls the cloud until `pred(device)` holds. */
  async cloudUntil(what: string, pred: (d: any) => boolean, timeoutMs = 10000): Promise<any> {
    const deadline = Date.now() + timeoutMs;
    let d: any = null;
    for (;;) {
      d = await this.cloudDevice();
      if (d && pred(d)) return d;
      if (Date.now() > deadline) throw new Error(`${this.chip}: the cloud never saw ${what}: ${JSON.stringify(d)}\n${this.tail()}`);
      await sleep(50);
    }
  }

  /** A new token for the product's template, from the cloud's HTTP API (as the phone's app asks for it). */
  async newToken(): Promise<string> {
    const account = await signIn(this.apiBase, 'Acme', 'ann@acme.test');
    return issueToken(this.apiBase, account, PRODUCT.templateId);
  }

  /** The `/config` query for `ssid`/`pass`/`token`, pointing the device at the simulated cloud. */
  configQuery(ssid: string, pass: string, token: string): string {
    const q = [
      'ssid=' + encodeURIComponent(ssid), 'pass=' + encodeURIComponent(pass), 'blynk=' + token,
      'host=127.0.0.1', 'port=' + this.cloud.ports.tcp, 'port_ssl=' + this.cloud.ports.tls
    ];
    return '/config?' + q.join('&');
  }

  /**
   * Step 1a: starts the cloud and a fresh interpreter, installs the stand-ins,
   * deploys the firmware from flash and waits for BOOT => WAIT_CONFIG.
   */
  async boot(): Promise<void> {
    this.begin();
    const interp = interpreterPath(this.chip);
    if (!interp) throw new Error(`no interpreter for ${this.chip}`);
    readManifest(this.manifest());
    this.baseline = await standinBaseline(this.chip, this.world);
    this.figures.standins = this.baseline;
    this.figures.interpreter = path.basename(interp);
    await assertPortsFree();
    await this.cloud.start();
    this.apiBase = `http://127.0.0.1:${this.cloud.ports.http}`;
    await this.board.start({ chip: this.chip, files: standins(this.chip, this.world) });
    if (this.cap !== undefined) {
      const total = (await this.board.memoryInfo()).total;
      await this.board.writeFile(BALLAST_FILE, ballastSource(total - this.baseline - this.cap));
    }
    const from = this.board.mark();
    await this.board.deploy(this.manifest());
    // The simulated cloud's certificate chains to the test CA, not to the shipped root: trust it the way
    // a product with its own server would (the firmware reads edgent.ca when it connects).
    if (this.chip === 'ESP32') await this.board.writeFile('edgent.ca', der(TEST_CA));
    await this.reach('WAIT_CONFIG', from);
    assert.deepEqual(this.states(from), ['BOOT => WAIT_CONFIG']);
    this.figures.total = (await this.board.memoryInfo()).total;
    this.figures.waitConfig = await this.rest();
    this.end('boot');
  }

  /**
   * Step 1b: the phone joins the access point and plays the portal:
   * `/board_info.json` (every contract field), `/wifi_scan.json` (the
   * stand-ins' visible networks, strongest first), `/` (the form from
   * Storage `edgent.htm`), then `/config` with the home Wi-Fi and a token
   * from the cloud → 200.
   */
  async portal(): Promise<void> {
    this.begin();
    await this.phoneJoins();
    const from = this.board.mark();
    const info = await this.boardInfo();
    const chipId = this.world.mac!.split(':').map((h) => String.fromCharCode(parseInt(h, 16))).join('') + (this.chip === 'ESP32' ? '\x00\x00' : '');
    assert.deepEqual(info, {
      board: PRODUCT.templateName,
      tmpl_id: PRODUCT.templateId,
      fw_type: PRODUCT.templateId,
      fw_ver: PRODUCT.fwVersion,
      ssid: apSsid({ prefix: DEFAULT_AP_PREFIX, templateName: PRODUCT.templateName, chipId }),
      bssid: this.world.apMac!.toUpperCase(),
      mac: this.world.mac!.toUpperCase(),
      last_error: 0,
      wifi_scan: true,
      static_ip: true
    });
    assert.match(String(info.ssid), /^Blynk My Device-[0W8N4Y1HP5DF9K6JM3C2UA7R]{4}$/);
    this.apSsid = String(info.ssid);
    await this.reach('CONFIGURING', from);

    const scan = await this.request('/wifi_scan.json');
    assert.equal(scan.status, 200, `/wifi_scan.json: ${scan.status} ${scan.body}`);
    assert.match(scan.type, /application\/json/);
    const networks = JSON.parse(scan.body) as Array<Record<string, unknown>>;
    const visible = this.world.networks.filter((n) => !n.hidden).sort((a, b) => b.rssi - a.rssi);
    assert.deepEqual(networks.map((n) => [n.ssid, n.rssi, n.ch, n.sec]), visible.map((n) => [n.ssid, n.rssi, n.channel, n.auth === 'open' ? 'OPEN' : 'WPA2']));
    for (const n of networks) assert.match(String(n.bssid), /^([0-9A-F]{2}:){5}[0-9A-F]{2}$/);

    const form = await this.request('/');
    assert.equal(form.status, 200, `/: ${form.status}`);
    assert.match(form.type, /text\/html/);
    const m = readManifest(this.manifest());
    const htm = m.files.find((f) => f.name === 'edgent.htm');
    assert.ok(htm, 'the manifest has edgent.htm');
    assert.equal(form.body, htm!.data.toString('latin1'), '/ serves the form from Storage edgent.htm byte for byte');

    this.token = await this.newToken();
    const home = this.world.networks.find((n) => n.ssid === 'Home')!;
    this.configFrom = this.board.mark();
    const cfg = await this.request(this.configQuery(home.ssid, home.password || '', this.token));
    assert.equal(cfg.status, 200, `/config: ${cfg.status} ${cfg.body}`);
    assert.deepEqual(JSON.parse(cfg.body), { status: 'ok', msg: 'Trying to connect...' });
    this.end('portal');
  }

  /**
   * Step 2: the device leaves config mode, joins the stand-in Wi-Fi, logs in
   * to the simulated cloud (TLS where the firmware uses it: ESP32) and
   * reaches RUNNING; the cloud sees it online in the organization with its
   * info and metadata, and V1 = 'hello'.
   */
  async online(): Promise<void> {
    this.begin();
    const from = this.configFrom;
    await this.sampled('switch, join and login', async () => {
      await this.reach('RUNNING', from);
    });
    assert.deepEqual(this.states(from), ['CONFIGURING => SWITCH_TO_STA', 'SWITCH_TO_STA => CONNECTING_NET', 'CONNECTING_NET => CONNECTING_CLOUD', 'CONNECTING_CLOUD => RUNNING']);
    const tls = this.chip === 'ESP32';
    this.figures.transport = tls ? 'tls' : 'tcp';
    const port = tls ? this.cloud.ports.tls : this.cloud.ports.tcp;
    assert.ok(this.board.plainLog().indexOf(`cloud: connecting 127.0.0.1:${port}${tls ? ' tls' : ''} token ${this.token.slice(0, 4)}...`) >= 0,
      `the device connects to 127.0.0.1:${port}${tls ? ' over TLS' : ''}\n${this.tail()}`);
    // The access point's name comes with the commit, a step after the login's: wait for it too.
    const d = await this.cloudUntil("V1 = 'hello' and the Hotspot Name", (x) => x.online && x.pins && x.pins['1'] && x.pins['1'][0] === 'hello' &&
      x.metadata && x.metadata['Hotspot Name'] !== undefined);
    assert.deepEqual(d.pins['1'], ['hello']);
    assert.equal(d.info.dev, this.chip);
    assert.equal(d.info.tmpl, PRODUCT.templateId);
    assert.equal(d.info.mcu, PRODUCT.fwVersion);
    assert.equal(d.metadata['Hotspot Name'], this.apSsid, 'the first login tells the cloud the access point name');
    assert.ok(this.cloudLog.some((l) => l.indexOf(`device ${d.id}: online (${tls ? 'tls' : 'tcp'}`) >= 0), `the cloud saw a ${tls ? 'TLS' : 'TCP'} login`);
    this.figures.running = await this.rest(1000);
    this.end('online');
  }

  /**
   * Step 3: the cloud writes V0 (its HTTP API sends HARDWARE `vw 0 <value>`
   * on the live link); the product's handler echoes it on V1 and the cloud
   * stores it.
   */
  async roundTrip(): Promise<void> {
    this.begin();
    const value = 'echo-' + (Date.now() % 100000);
    await this.sampled('vw round trip', async () => {
      const r = await api<{ delivered: boolean }>(this.apiBase, 'POST', `/api/devices/${this.deviceId}/pins/0`, { value });
      assert.equal(r.delivered, true, 'the cloud delivered V0 to the online device');
      await this.cloudUntil(`V1 = '${value}'`, (x) => x.pins['1'] && x.pins['1'][0] === value);
    });
    this.figures.afterRoundTrip = await this.rest(300);
    this.end('round trip');
  }

  /**
   * Step 4: a reboot (a new interpreter process on the same flash) comes
   * straight back to RUNNING from the stored record, without the access
   * point; the product writes V1 = 'hello' again.
   */
  async reboot(): Promise<void> {
    this.begin();
    const from = this.board.mark();
    await this.board.restart();
    await this.sampled('reboot, join and login', async () => {
      await this.reach('RUNNING', from);
    });
    assert.deepEqual(this.states(from), ['BOOT => CONNECTING_NET', 'CONNECTING_NET => CONNECTING_CLOUD', 'CONNECTING_CLOUD => RUNNING']);
    assert.ok(!/=> WAIT_CONFIG/.test(this.board.log().slice(from)), 'no access point after the reboot');
    await this.cloudUntil("V1 = 'hello' again", (x) => x.online && x.pins['1'] && x.pins['1'][0] === 'hello');
    this.figures.runningAfterReboot = await this.rest(1000);
    this.end('reboot');
  }

  /**
   * Step 5: `factoryReset()` on the device object, from the console: the
   * example keeps it only in the closure of `global.$edgent.up` (boards/boot.ts),
   * which Espruino exposes as that function's hidden scope (`"\xFFsco"`: the
   * scope object, or the chain of them, innermost last). When
   * it cannot be found there, the cloud's `dbg config erase` (contract §6)
   * takes the same path. RUNNING => RESET_CONFIG => WAIT_CONFIG; the access
   * point is back with last_error 0, the cloud sees the device offline, and
   * the next boot stays in config mode (the record was erased).
   */
  async factoryReset(): Promise<void> {
    this.begin();
    const from = this.board.mark();
    const called = await this.board.eval<string | null>(
      '(function(c){var i,k,v;if(!c)return null;if(!(c instanceof Array))c=[c];for(i=c.length-1;i>=0;i--)for(k in c[i]){v=c[i][k];' +
      'if(v&&typeof v.factoryReset=="function"&&typeof v.virtualWrite=="function"){v.factoryReset();return k;}}return null;})(global.$edgent&&$edgent.up["\\xFFsco"])'
    );
    if (called) {
      this.figures.resetBy = 'console factoryReset()';
    } else {
      this.figures.resetBy = 'cloud dbg config erase';
      await api(this.apiBase, 'POST', `/api/devices/${this.deviceId}/commands`, { command: 'config erase' });
    }
    this.log(`factory reset by ${this.figures.resetBy}`);
    await this.sampled('factory reset', async () => {
      await this.reach('WAIT_CONFIG', from);
    });
    assert.deepEqual(this.states(from), ['RUNNING => RESET_CONFIG', 'RESET_CONFIG => WAIT_CONFIG']);
    await this.cloudUntil('the device offline', (x) => !x.online);
    this.figures.waitConfigAfterReset = await this.rest();
    await this.phoneJoins();
    const info = await this.boardInfo();
    assert.equal(info.last_error, 0);
    const again = this.board.mark();
    await this.board.restart();
    await this.reach('WAIT_CONFIG', again);
    assert.deepEqual(this.states(again), ['BOOT => WAIT_CONFIG'], 'the erased record boots into config mode');
    this.end('factory reset');
  }

  /**
   * The ESP32 build only: JsVars that one bare TLS link to the cloud takes
   * (opened from the console in WAIT_CONFIG, measured, closed).
   */
  async measureTlsLink(): Promise<void> {
    if (this.chip !== 'ESP32') return;
    this.begin();
    const before = await this.steady();
    await this.board.eval(`(function(){global.$tl=0;global.$ts=require("tls").connect({host:"127.0.0.1",port:${this.cloud.ports.tls}},function(){$tl=1;});return 1;})()`);
    const deadline = Date.now() + 10000;
    while ((await this.board.eval('$tl')) !== 1) {
      if (Date.now() > deadline) throw new Error(`the console's TLS link did not connect\n${this.tail()}`);
      await sleep(50);
    }
    const open = await this.steady();
    await this.board.eval('(function(){$ts.end();delete global.$ts;delete global.$tl;return 1;})()');
    await sleep(300);
    this.figures.tlsLink = open - before;
    this.end('tls link');
  }

  /** The figures of a complete run. */
  result(): StoryFigures {
    const f = this.figures;
    f.peak = Math.max(this.peak.max, f.waitConfig || 0, f.running || 0);
    f.peakWhere = this.peak.where;
    f.samples = this.samples;
    return f as StoryFigures;
  }

  /** Stops the interpreter (removing its directory) and the cloud. */
  async close(): Promise<void> {
    await this.board.stop();
    await this.cloud.stop();
  }
}

/** One step of the story: what it shows, and how to run it on the story's device. */
export interface StoryStep {
  title: string;
  /** The chips it applies to. @default every chip */
  chips?: Chip[];
  run(story: Story): Promise<void>;
}

/** The story's steps, in the order they must run (`runStory` and the tests share them). */
export const STORY_STEPS: StoryStep[] = [
  { title: 'boots from flash into WAIT_CONFIG', run: (s) => s.boot() },
  { title: 'one bare TLS link measured from the console', chips: ['ESP32'], run: (s) => s.measureTlsLink() },
  { title: 'the portal answers board_info, wifi_scan, the form and /config', run: (s) => s.portal() },
  { title: 'joins the Wi-Fi, logs in to the cloud, RUNNING; the cloud sees V1 = hello', run: (s) => s.online() },
  { title: 'a cloud vw to V0 comes back on V1', run: (s) => s.roundTrip() },
  { title: 'a reboot comes straight back to RUNNING without the access point', run: (s) => s.reboot() },
  { title: 'factoryReset() returns to WAIT_CONFIG, and the next boot stays there', run: (s) => s.factoryReset() }
];

/** The story's steps for `chip`, in order. */
export function storySteps(chip: Chip): StoryStep[] {
  return STORY_STEPS.filter((s) => !s.chips || s.chips.indexOf(chip) >= 0);
}

/**
 * The summary line of a run:
 * `ESP8266: WAIT_CONFIG n, RUNNING n, peak n JsVars above the stand-ins (stand-ins n, total n)`,
 * with the transport and, over TLS, what one TLS link takes on the build.
 */
export function summaryLine(f: StoryFigures): string {
  let s = `${f.chip}: WAIT_CONFIG ${f.waitConfig}, RUNNING ${f.running}, peak ${f.peak} JsVars above the stand-ins ` +
    `(stand-ins ${f.standins}, total ${f.total})`;
  s += `; ${f.interpreter}, cloud over ${f.transport.toUpperCase()}`;
  if (f.tlsLink !== undefined) {
    s += ` (one TLS link takes ${f.tlsLink} of them on this build, a real ESP32 keeps those in its heap: RUNNING ${f.running - f.tlsLink} without them)`;
  }
  return s;
}

/** `e` with the interpreter's log tail appended (once). */
function withTail(e: unknown, story: Story): Error {
  const err = e as Error;
  if (err.message.indexOf('--- interpreter log') < 0) err.message += '\n' + story.tail();
  return err;
}

/**
 * The whole story on one interpreter directory: boot into WAIT_CONFIG and the
 * portal, online, the `vw` round trip, a reboot straight to RUNNING, a factory
 * reset back to WAIT_CONFIG; with memory figures.
 *
 * @throws an assertion error (with the logs) at the first step that strays from the contract
 */
export async function runStory(chip: Chip, o: StoryOptions = {}): Promise<StoryFigures> {
  const story = new Story(chip, o);
  try {
    for (const step of storySteps(chip)) await step.run(story);
    return story.result();
  } catch (e) {
    throw withTail(e, story);
  } finally {
    await story.close();
  }
}

/**
 * Whether the whole story runs under `cap` (StoryOptions.cap): true when every
 * step passes, false when it ran out of memory (an OUT OF MEMORY or LOW_MEMORY
 * line on the console). Any other failure is thrown.
 */
export async function storyFits(chip: Chip, cap: number): Promise<boolean> {
  const story = new Story(chip, { cap });
  try {
    for (const step of storySteps(chip)) await step.run(story);
    return true;
  } catch (e) {
    if (story.board.errors().some((l) => /OUT OF MEMORY|LOW_MEMORY/.test(l))) return false;
    throw withTail(e, story);
  } finally {
    await story.close();
  }
}

/**
 * The least cap (to `step` JsVars) under which the whole story runs, searched
 * between `below` (assumed too little) and `enough` (must fit): what the
 * firmware needs at its busiest instant, above the stand-ins.
 */
export async function capNeeded(chip: Chip, below: number, enough: number, step = 25): Promise<{ fits: number; failsAt: number }> {
  let lo = below;
  let hi = enough;
  if (!(await storyFits(chip, hi))) throw new Error(`${chip}: the story does not run even with ${hi} JsVars above the stand-ins`);
  while (hi - lo > step) {
    const mid = Math.round((lo + hi) / 2 / step) * step;
    if (mid <= lo || mid >= hi) break;
    if (await storyFits(chip, mid)) hi = mid;
    else lo = mid;
  }
  return { fits: hi, failsAt: lo };
}

/**
 * A first provisioning that fails, on a fresh interpreter directory:
 * - `token`: a well-formed token the cloud never issued; the cloud answers the
 *   login with status 9 and the device goes back to WAIT_CONFIG with 703,
 *   without a reboot (contract §1), and keeps 703 across a reboot;
 * - `password`: the home Wi-Fi with a wrong password; the join fails with 722,
 *   the device goes to ERROR, reboots 10 s later (the stand-in's reboot ends
 *   the process; a new one starts on the same flash) into WAIT_CONFIG.
 * Either way `/board_info.json` then reports that `last_error`.
 */
export async function runFailure(chip: Chip, kind: 'token' | 'password', o: StoryOptions = {}): Promise<FailureFigures> {
  const story = new Story(chip, o);
  const t0 = Date.now();
  try {
    await story.boot();
    await story.phoneJoins();
    const home = story.world.networks.find((n) => n.ssid === 'Home')!;
    const token = kind === 'token' ? 'Zq' + 'x'.repeat(26) + 'Fake' : await story.newToken();
    const pass = kind === 'password' ? 'wrong horse' : home.password || '';
    const from = story.board.mark();
    await story.boardInfo();
    const r = await story.request(story.configQuery(home.ssid, pass, token));
    assert.equal(r.status, 200, `/config: ${r.status} ${r.body}`);
    let rebooted = false;
    const code = kind === 'token' ? 703 : 722;
    if (kind === 'token') {
      const at = await story.reach('CONNECTING_CLOUD', from);
      await story.reach('WAIT_CONFIG', at);
      assert.deepEqual(story.states(from), ['WAIT_CONFIG => CONFIGURING', 'CONFIGURING => SWITCH_TO_STA', 'SWITCH_TO_STA => CONNECTING_NET',
        'CONNECTING_NET => CONNECTING_CLOUD', 'CONNECTING_CLOUD => WAIT_CONFIG']);
      assert.ok(story.cloudLog.some((l) => l.indexOf('invalid token') >= 0), 'the cloud rejected the token');
      assert.deepEqual(story.board.rebootRequests(from), [], '703 needs no reboot');
    } else {
      await story.reach('ERROR', from);
      const states = story.states(from);
      assert.equal(states[states.length - 1], 'CONNECTING_NET => ERROR', states.join(', '));
      await story.board.awaitReboot(20000, from);
      rebooted = true;
      await story.reach('WAIT_CONFIG', story.board.runs[story.board.runs.length - 1].logStart);
    }
    const waitConfig = await story.rest();
    await story.phoneJoins();
    const info = await story.boardInfo();
    assert.equal(info.last_error, code, `last_error after the failure: ${JSON.stringify(info)}`);
    if (kind === 'token') {
      // last_error is persisted: a reboot keeps it.
      const again = story.board.mark();
      await story.board.restart();
      await story.reach('WAIT_CONFIG', again);
      await story.phoneJoins();
      assert.equal((await story.boardInfo()).last_error, code, 'last_error survives a reboot');
    }
    story.noErrors(kind);
    return { chip, kind, lastError: Number(info.last_error), states: story.states(0), rebooted, waitConfig, ms: Date.now() - t0 };
  } catch (e) {
    throw withTail(e, story);
  } finally {
    await story.close();
  }
}
