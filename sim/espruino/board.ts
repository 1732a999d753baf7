/**
 * The virtual board: owns the flash image, the radio chip, the pins and the
 * host network endpoints, and runs one boot (a fresh context) at a time.
 *
 * Boot sequence (like Espruino): new context → pins, Wi-Fi (saved config
 * restored), globals, quirks → `.boot0`…`.boot3`, then `.bootrst` or
 * `.bootcde` from Storage (flash-resident code) → `E.on('init')` handlers →
 * 'boot' event. `reboot()` (also `ESP32.reboot()`, `require('ESP8266').reboot()`)
 * tears everything of the boot down (timers, watches, servers, sockets, soft
 * AP, station) and boots again 100 ms later. `powerCut()` does the same
 * teardown with no further flash write and leaves the board off until
 * `boot()`. `cutPowerAfterFlashBytes(n)` arms a cut inside the n-th flash byte
 * (see storage.ts) and emits 'off' with `{cause: 'flash'}`.
 *
 * Uncaught exceptions in device code are printed as Espruino does
 * (`Uncaught Error: …`), recorded in `errors`, emitted as 'error' (only if a
 * listener exists, so the host never crashes) and the board carries on.
 */
import { EventEmitter } from 'events';
import { describeUncaught, type Boot } from './boot';
import { installGlobals } from './globals';
import { TimerGroup, hostNow, parseMac } from './host';
import { HttpHost } from './http';
import { HttpClientHost } from './http-client';
import { SocketHost } from './net';
import { PinBank } from './pins';
import { applyQuirks } from './quirks';
import { Radio } from './radio';
import { Realm } from './realm';
import { FlashImage, deviceBytes, createStorageModule } from './storage';
import { UdpHost } from './dgram';
import { urlParse } from './url';
import { WifiChip } from './wifi';
import type { BoardOptions, HostStorage, OffEvent } from './types';

/** Delay between a reboot request and the next boot, ms. */
export const REBOOT_DELAY_MS = 100;

const DEFAULT_MAC = { ESP8266: '5C:CF:7F:00:00:01', ESP32: '24:0A:C4:00:00:01' };

/** ESP8266 reset causes as `getResetInfo()` reports them. */
const RESET_INFO = { power: { code: 0, reason: 'power on' }, soft: { code: 4, reason: 'restart' } };

interface Running {
  boot: Boot;
  end: () => void;
  evaluate: (code: string) => unknown;
}

/** A simulated Espruino ESP32 / ESP8266 (see {@link createBoard}). */
export class VirtualBoard extends EventEmitter {
  /** Host view of the flash (uploads are never subject to power cuts). */
  readonly storage: HostStorage & { setBootCode(code: string): void };
  /** Every device console line since creation. */
  readonly console: string[] = [];
  /** Every uncaught device exception since creation (device values). */
  readonly errors: unknown[] = [];

  private readonly _opts: BoardOptions;
  private readonly _flash: FlashImage;
  private readonly _pins: PinBank;
  private readonly _wifi: WifiChip;
  private readonly _http: HttpHost;
  private readonly _udp: UdpHost;
  private readonly _sockets: SocketHost;
  private readonly _mac: number[];
  private _running: Running | null = null;
  private _rebootTimer: TimerGroup | null = null;
  private _resetInfo = RESET_INFO.power;
  private _closed = false;

  /** Builds the board; it stays off until {@link VirtualBoard.boot}. */
  constructor(opts: BoardOptions) {
    super();
    if (!(opts.radio instanceof Radio)) throw new TypeError('radio must come from createRadio()');
    this._opts = opts;
    this._mac = parseMac(opts.mac ?? DEFAULT_MAC[opts.chip]);
    this._flash = new FlashImage(opts.chip, opts.flashFile);
    this._pins = new PinBank(opts.chip, (event, payload) => this.emit(event, payload));
    this._sockets = new SocketHost(() => this._wifi.online(), opts.resolve);
    this._wifi = new WifiChip(opts.chip, opts.radio, this._flash, this._mac, () => this._sockets.linkDown());
    const reachable = (): boolean => this._wifi.reachable();
    const client = new HttpClientHost(opts.chip, () => this._wifi.online(), opts.resolve, (fail) => this._sockets.track(fail));
    this._http = new HttpHost(opts.httpPort, reachable, client);
    this._udp = new UdpHost(opts.dnsPort, reachable);
    const flash = this._flash;
    this.storage = {
      read: (name) => flash.read(name),
      write: (name, data) => void flash.write(name, typeof data === 'string' ? deviceBytes(data) : data, 0, 0, false),
      list: () => flash.list(),
      written: () => flash.written,
      erase: (name) => flash.erase(name, false),
      setBootCode: (code) => {
        flash.erase('.bootcde', false);
        flash.erase('.bootrst', false);
        if (code.length) flash.write('.bootcde', deviceBytes(code), 0, 0, false);
      },
    };
  }

  /** Resolves when the host ports (HTTP, DNS) are bound. */
  async ready(): Promise<void> {
    await Promise.all([this._http.ready(), this._udp.ready()]);
  }

  /** Host TCP port where device port 80 is served. */
  get httpPort(): number {
    return this._http.hostPort(80) ?? 0;
  }

  /** Host UDP port where device port 53 is served. */
  get dnsPort(): number {
    return this._udp.dnsPort;
  }

  /** Host port serving another device HTTP port (listen(8080) etc.), if listening. */
  hostPort(devicePort: number): number | undefined {
    return this._http.hostPort(devicePort);
  }

  /** True while a boot is running. */
  get isOn(): boolean {
    return this._running !== null;
  }

  /** Current output levels by pin number. */
  get pins(): Record<number, number> {
    return Object.fromEntries(this._pins.levels);
  }

  /** Same as `storage.setBootCode`: what `E.setBootCode` / "save on send" stores. */
  setBootCode(code: string): void {
    this.storage.setBootCode(code);
  }

  /**
   * Runs code as if sent to the REPL over serial (held in RAM). Uncaught
   * exceptions are printed and reported like any device exception, not thrown.
   * Returns the completion value (a device value). Throws if the board is off.
   */
  evaluate(code: string): unknown {
    if (!this._running) throw new Error('board is off');
    return this._running.evaluate(code);
  }

  /** Powers on (or resets, if running) and runs the boot sequence synchronously. */
  boot(): void {
    if (this._closed) throw new Error('board is closed');
    if (this._running) this._teardown();
    this._rebootTimer?.close();
    this._rebootTimer = null;
    this._start();
  }

  /** What `ESP32.reboot()` does: teardown now, boot again after {@link REBOOT_DELAY_MS}. */
  reboot(): void {
    if (!this._running) return;
    this._teardown();
    this._resetInfo = RESET_INFO.soft;
    this.emit('reboot');
    const timer = new TimerGroup();
    this._rebootTimer = timer;
    timer.after(REBOOT_DELAY_MS, () => {
      this._rebootTimer = null;
      if (!this._closed && !this._running) this._start();
    });
  }

  /** Cuts the power now: teardown, no more flash writes, off until `boot()`. */
  powerCut(): void {
    this._rebootTimer?.close();
    this._rebootTimer = null;
    if (!this._running) return;
    this._off('power');
  }

  /** Cuts the power when `n` more device flash bytes have been written (emits 'off' {cause:'flash'}). */
  cutPowerAfterFlashBytes(n: number): void {
    this._flash.armCut(n, () => this._off('flash'));
  }

  /** Drives an input pin (a button) honouring watches' edge and debounce. */
  setPinInput(pin: number | string, value: boolean | number): void {
    this._pins.setInput(pin, value);
  }

  /** A phone joins the device's soft AP; returns its MAC, or false if the AP is down or full. */
  phoneJoin(mac?: string): string | false {
    return this._wifi.phoneJoin(mac);
  }

  /** A phone leaves the soft AP (default: the last one); false if it was not joined. */
  phoneLeave(mac?: string): boolean {
    return this._wifi.phoneLeave(mac);
  }

  /** Stops everything and releases the host ports. */
  async close(): Promise<void> {
    this._closed = true;
    this._rebootTimer?.close();
    if (this._running) this._teardown();
    await Promise.all([this._http.close(), this._udp.close()]);
  }

  private _off(cause: OffEvent['cause']): void {
    this._teardown();
    this._resetInfo = RESET_INFO.power;
    const payload: OffEvent = { cause };
    this.emit('off', payload);
  }

  private _log(line: string): void {
    this.console.push(line);
    this._opts.log?.(line);
    this.emit('log', line);
  }

  private _report(err: unknown, prefix?: string): void {
    this._log(describeUncaught(err, prefix));
    this.errors.push(err);
    if (this.listenerCount('error')) this.emit('error', err);
  }

  private _teardown(): void {
    const running = this._running;
    if (!running) return;
    this._running = null;
    running.end();
  }

  private _start(): void {
    const chip = this._opts.chip;
    const token = { alive: true };
    const timers = new TimerGroup();
    const endFns: (() => void)[] = [];
    let realmRef: Realm | null = null;
    const defer = (fn: () => void, ms = 0): void => {
      if (ms === 0 && realmRef && !realmRef.busy) {
        if (token.alive) fn();
        return;
      }
      timers.after(ms, () => {
        if (token.alive) fn();
      });
    };
    const report = (err: unknown, prefix?: string): void => {
      if (token.alive) this._report(err, prefix);
    };
    const realm = new Realm({ alive: () => token.alive, defer, report, now: hostNow }, this._pins.preludeHost());
    realmRef = realm;
    const boot: Boot = {
      chip,
      realm,
      timers,
      alive: () => token.alive,
      defer,
      log: (line) => this._log(line),
      report,
      onEnd: (fn) => endFns.push(fn),
    };
    let evaluate: (code: string) => unknown = () => undefined;
    this._running = {
      boot,
      evaluate: (code) => evaluate(code),
      end: () => {
        token.alive = false;
        timers.close();
        for (const fn of endFns) fn();
        this._pins.detach();
        this._wifi.detach();
      },
    };
    this._pins.attach(boot);
    this._pins.install(boot);
    this._wifi.attach(boot);
    const reboot = (): never => {
      this.reboot();
      throw realm.error('The board has been reset');
    };
    if (chip === 'ESP32') realm.global.ESP32 = realm.obj({ reboot });
    realm.global.url = realm.obj({ parse: (u: unknown, q: unknown) => urlParse(realm, u, q) });
    const esp8266 =
      chip === 'ESP8266' ? realm.obj({ reboot, getResetInfo: () => ({ ...this._resetInfo, exccause: 0, epc1: 0, epc2: 0, epc3: 0, excvaddr: 0, depc: 0 }) }) : undefined;
    const builtins: Record<string, () => unknown> = {
      Wifi: () => this._wifi.module,
      Storage: () => createStorageModule(realm, this._flash),
      http: () => this._http.module(boot),
      net: () => this._sockets.module(boot, false),
      dgram: () => this._udp.module(boot),
      neopixel: () => this._pins.neopixelModule(boot),
    };
    if (chip === 'ESP32') {
      builtins.tls = () => this._sockets.module(boot, true);
      builtins.ESP32 = () => realm.global.ESP32;
    } else {
      builtins.ESP8266 = () => esp8266;
    }
    const globals = installGlobals(boot, {
      flash: this._flash,
      builtin: (name) => (Object.prototype.hasOwnProperty.call(builtins, name) ? builtins[name]() : undefined),
      serial: this._serial(),
    });
    evaluate = (code) => globals.runRamCode(code, 'REPL');
    applyQuirks(realm);
    for (const name of ['.boot0', '.boot1', '.boot2', '.boot3']) {
      const code = this._flash.read(name);
      if (code !== undefined && token.alive) globals.runFlashCode(code, name);
    }
    const bootCode = this._flash.read('.bootrst') ?? this._flash.read('.bootcde');
    if (bootCode !== undefined && token.alive) globals.runFlashCode(bootCode, '.bootcde');
    if (token.alive) realm.emit(globals.E, 'init', []);
    if (token.alive) this.emit('boot');
  }

  private _serial(): string {
    const hex = this._mac.map((b) => b.toString(16).padStart(2, '0'));
    return hex.slice(0, 4).join('') + '-' + hex.slice(4).join('');
  }
}
