/**
 * Fakes around the state machine for its unit tests: a radio whose joins the
 * test answers, a cloud link the test drives, an in-memory store, a service
 * spy and a system port counting reboots.
 */
import sinon from 'sinon';
import { createMachine, Device, Machine, MachineOptions, BUTTON_MODULE, CLOUD_MODULE, CONFIG_MODULE, STEPS_MODULE, STORE_MODULE } from '../../lib/machine';
import * as steps from '../../lib/steps';
import { use, RecordOp } from '../../lib/record-ops';
import { ConfigStore } from '../../lib/store';
import { ButtonState } from '../../lib/button';
import { copyRecord, defaultRecord } from '../../lib/record';
import { CloudEvent, CloudTarget, ConfigRecord } from '../../lib/types';
import { FakeWifi } from '../fakes/wifi';
import { timerClock } from '../fakes/clock';

/** A valid 32-char token. */
export const TOKEN = 'abcdefghijklmnopqrstuvwxyzAB-_01';

/** A stored, provisioned record. */
export function provisioned(over?: Partial<ConfigRecord>): ConfigRecord {
  return Object.assign(defaultRecord(), { valid: true, ssid: 'Home', pass: 'secret12', token: TOKEN, fwVer: '1.0.0' }, over || {});
}

/** A cloud client the test drives; the machine creates it through the cloud module. */
export class RigCloud {
  targets: CloudTarget[] = [];
  connected = false;
  meta: Array<[string, string]> = [];
  /** Cloud clients the machine has created (one per stretch in the cloud states). */
  created = 0;
  /** The client's state as the device sees it: `phase` 2 while online. */
  state = { phase: 0 };
  private fn: ((ev: CloudEvent) => void) | null = null;

  /** The cloud module's exports, as the device calls them. */
  module(): Record<string, Function> {
    return {
      cloudState: (opts: { onEvent: (ev: CloudEvent) => void }) => {
        this.created++;
        this.fn = opts.onEvent;
        this.state = { phase: 0 };
        return this.state;
      },
      cloudConnect: (_k: unknown, t: CloudTarget) => this.connect(t),
      cloudDrop: () => this.disconnect(),
      cloudMeta: (_k: unknown, key: string, value: string) => { this.meta.push([key, value]); },
      cloudPins: () => this.connected
    };
  }
  connect(t: CloudTarget): void {
    this.targets.push(t);
    this.connected = true;
    this.state.phase = 0;
  }
  disconnect(): void {
    this.connected = false;
    this.state.phase = 0;
  }
  /** Reports an event as the real client would (only while a link is wanted). */
  emit(ev: CloudEvent): void {
    if (!this.connected || !this.fn) return;
    if (ev.type !== 'online' && ev.type !== 'command') this.disconnect();
    if (ev.type === 'online') this.state.phase = 2;
    this.fn(ev);
  }
}

/** An in-memory store with the real store's result codes. */
export class RigStore {
  record: ConfigRecord;
  saves: ConfigRecord[] = [];
  erases = 0;
  failErase = false;
  constructor(initial?: ConfigRecord) { this.record = initial ? copyRecord(initial) : defaultRecord(); }
  load(): ConfigRecord { return copyRecord(this.record); }
  save(rec: ConfigRecord): string {
    if (JSON.stringify(rec) === JSON.stringify(this.record)) return 'unchanged';
    this.record = copyRecord(rec);
    this.saves.push(copyRecord(rec));
    return 'saved';
  }
  erase(fwVer: string): string {
    if (this.failErase) return 'failed';
    this.erases++;
    this.record = Object.assign(defaultRecord(), { fwVer });
    return 'saved';
  }
}

/** Everything around one machine. */
export interface MachineRig {
  machine: Machine;
  options: MachineOptions;
  wifi: FakeWifi;
  cloud: RigCloud;
  store: RigStore;
  service: { running: boolean };
  log: string[];
  reboots: number;
  held: boolean;
  /** The steps started the button's watch (and have not stopped it since). */
  buttonWatched: boolean;
  /** Advances fake time in `step` ms until the radio is asked to join again. */
  waitJoin(clock: sinon.SinonFakeTimers, step?: number): void;
}

/** Builds a machine on fakes; `stored` is the record in flash at boot. */
export function rig(stored?: ConfigRecord, opts?: Partial<MachineOptions>, chipId?: string): MachineRig {
  const wifi = new FakeWifi();
  wifi.sta = '24:0A:C4:00:11:22';
  wifi.ap = '26:0A:C4:00:11:22';
  const cloud = new RigCloud();
  const store = new RigStore(stored);
  const service = { running: false };
  const r = {
    wifi, cloud, store, service, log: [] as string[], reboots: 0, held: false, buttonWatched: false
  } as MachineRig;
  const options: MachineOptions = Object.assign({
    hw: {
      clock: timerClock,
      wifi: () => wifi,
      http: { listen: () => ({ close() {} }) },
      udp: { bind: () => ({ send() {}, close() {} }) },
      net: { tls: false, connect: () => ({ write() {}, close() {} }) },
      flash: { read: () => undefined, write: () => true, erase() {} },
      system: {
        board: 'ESP32',
        reboot: () => { r.reboots++; },
        chipId: () => chipId || '\x24\x0a\xc4\x00\x11\x22',
        log: (l: string) => { r.log.push(l); }
      },
      modules: {
        load: (name: string) => {
          if (name === STEPS_MODULE) return steps;
          if (name === STORE_MODULE) return { use: (dev: Device, op: RecordOp, arg?: ConfigRecord) => use(dev, op, arg, store as unknown as ConfigStore) };
          if (name === BUTTON_MODULE) return { buttonStart: () => { r.buttonWatched = true; }, buttonStop: () => { r.buttonWatched = false; } };
          if (name === CLOUD_MODULE) return cloud.module();
          if (name === CONFIG_MODULE) {
            return {
              startConfigMode: () => {
                service.running = true;
                return {};
              },
              stopConfigMode: () => { service.running = false; }
            };
          }
          throw new Error('Module ' + name + ' not found');
        },
        unload: () => {}
      }
    },
    templateId: 'TMPL4test',
    templateName: 'Test',
    fwType: 'TMPL4test',
    fwVer: '1.0.0',
    build: '',
    apSsid: 'Blynk Test-4KN8',
    apPassword: '',
    tls: false,
    // The watcher's state as the steps read it (a press in progress: since >= 0); the button module itself is lib/button.ts's, tested there.
    button: { get since() { return r.held ? 0 : -1; } } as unknown as ButtonState,
    debug: true
  }, opts || {});
  r.options = options;
  r.machine = createMachine(options);
  r.waitJoin = (clock, step) => {
    const n = wifi.joins.length;
    for (let i = 0; i < 100000 && wifi.joins.length === n; i++) clock.tick(step || 100);
    if (wifi.joins.length === n) throw new Error('no new join attempt');
  };
  return r;
}
