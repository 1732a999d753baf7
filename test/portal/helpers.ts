/**
 * Shared set-up for the portal tests: byte-string helpers, a read-only
 * in-memory flash, and a portal wired to fakes that records every `send`.
 */

import fs from 'fs';
import sinon from 'sinon';
import path from 'path';
import { FlashPort, ScanEntry } from '../../lib/ports';
import { BoardInfo, PortalRequest } from '../../lib/types';
import { startPortal, stopPortal } from '../../lib/portal';
import { FakeHttp, FakeRequestSpec, FakeExchange } from '../fakes/http';
import { FakeWifi } from '../fakes/wifi';
import { timerClock } from '../fakes/clock';

/**
 * Fake timers for setTimeout/clearTimeout/setInterval/Date only: faking
 * nextTick/microtasks would capture mocha's own stream writes.
 */
export function fakeTimers(): sinon.SinonFakeTimers {
  return sinon.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
}

/** UTF-8 bytes of a JS string, as a byte string (what the board holds). */
export function utf8(s: string): string {
  return Buffer.from(s, 'utf8').toString('latin1');
}

/** A JS string from a byte string holding UTF-8. */
export function fromUtf8(b: string): string {
  return Buffer.from(b, 'latin1').toString('utf8');
}

/** A syntactically valid AuthToken. */
export const TOKEN = 'abcDEF0123456789-_abcdefghijklmn';

/** The form as written by the build (the source is close enough for the portal). */
export const FORM_HTML = fs.readFileSync(path.join(__dirname, '../../lib/form.html'), 'latin1');

/** A read-only flash holding named files; counts reads and their sizes. */
export class MemFlash implements FlashPort {
  files: { [name: string]: string } = {};
  reads: Array<{ name: string; offset?: number; length?: number }> = [];
  writes = 0;
  read(name: string, offset?: number, length?: number): string | undefined {
    this.reads.push({ name, offset, length });
    if (!Object.prototype.hasOwnProperty.call(this.files, name)) return undefined;
    const f = this.files[name];
    const o = offset || 0;
    return length === undefined ? f.substring(o) : f.substring(o, o + length);
  }
  write(name: string, data: string): boolean {
    this.writes++;
    this.files[name] = data;
    return true;
  }
  erase(name: string): void {
    this.writes++;
    delete this.files[name];
  }
}

/** Board info used by the tests. */
export function sampleInfo(): BoardInfo {
  return {
    board: 'My Device',
    tmpl_id: 'TMPL4abcd123',
    fw_type: 'TMPL4abcd123',
    fw_ver: '0.1.0',
    ssid: 'Blynk My Device-W8N4',
    bssid: 'A4:CF:12:00:11:22',
    mac: 'A4:CF:12:00:11:23',
    last_error: 0,
    wifi_scan: true,
    static_ip: true
  };
}

/** A scan entry with defaults. */
export function net(ssid: string, rssi: number, extra: Partial<ScanEntry> = {}): ScanEntry {
  return Object.assign({ ssid, bssid: 'AA:BB:CC:DD:EE:' + (100 + (rssi & 0x3f)).toString(16).slice(-2).toUpperCase(), rssi, sec: 'WPA2', ch: 6, hidden: false }, extra) as ScanEntry;
}

/** Start and stop of the portal a harness runs (there is one portal at a time). */
export interface Portal {
  /** Starts it again (after `stop`). */
  start(): void;
  stop(): void;
}

/** A portal on fakes, with everything it sends recorded. */
export interface Harness {
  portal: Portal;
  http: FakeHttp;
  wifi: FakeWifi;
  flash: MemFlash;
  info: BoardInfo;
  /** Every request sent to the machine, in order. */
  sent: PortalRequest[];
  /** Sent requests other than `activity`. */
  events(): PortalRequest[];
  logs: string[];
  /** Shortcut for `http.request`. */
  req(spec: FakeRequestSpec | string): FakeExchange;
}

/** What a test may change in a harness's portal options. */
export interface HarnessOptions {
  captive?: boolean;
  formFile?: string;
  info?: () => BoardInfo;
  send?: (r: PortalRequest) => void;
  log?: (line: string) => void;
}

/** Builds and starts a portal on fakes (stopping the one that ran before: one portal at a time). */
export function harness(over: HarnessOptions = {}): Harness {
  stopPortal();
  const http = new FakeHttp();
  const wifi = new FakeWifi();
  const flash = new MemFlash();
  flash.files['edgent.htm'] = FORM_HTML;
  const sent: PortalRequest[] = [];
  const logs: string[] = [];
  const info = sampleInfo();
  const opts = {
    hw: { http, clock: timerClock, flash, wifi: () => wifi, system: { log: over.log || ((l: string) => logs.push(l)) } },
    info: over.info || (() => info),
    send: over.send || ((r: PortalRequest) => {
      sent.push(r);
      http.timeline.push('send ' + r.type);
    }),
    captive: over.captive,
    formFile: over.formFile
  };
  startPortal(opts);
  return {
    portal: { start: () => startPortal(opts), stop: stopPortal },
    http, wifi, flash, info, sent, logs,
    events: () => sent.filter((r) => r.type !== 'activity'),
    req: (spec) => http.request(typeof spec === 'string' ? { url: spec } : spec)
  };
}

/** A form-encoded POST spec with a correct Content-Length. */
export function post(url: string, body: string, chunks?: string[]): FakeRequestSpec {
  return {
    method: 'POST',
    url,
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': String(body.length) },
    body: chunks || [body]
  };
}
