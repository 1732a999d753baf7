/**
 * FakeWifi: an in-memory WifiPort. The test sets the scan list and how scans
 * complete (at once, when the test says, never, or by throwing when one is
 * already running, as the ESP radio does), records startAP/join calls, answers
 * joins when told and fires radio events.
 */

import { ApOptions, JoinFailure, JoinOptions, ScanEntry, Undo, WifiEvent, WifiPort } from '../../lib/ports';

/** How `scan` completes. */
export type ScanMode = 'sync' | 'manual' | 'never';

/** In-memory WifiPort. */
export class FakeWifi implements WifiPort {
  /** Networks the next scans report. */
  scanList: ScanEntry[] = [];
  /** `sync`: callback inside `scan`; `manual`: on `finishScans()`; `never`: no callback. */
  scanMode: ScanMode = 'sync';
  /** Throw when a scan starts while another is running (ESP behaviour). */
  throwOnConcurrentScan = true;
  /** Number of `scan` calls (including ones that threw). */
  scans = 0;
  /** Every `startAP` call. */
  apStarts: ApOptions[] = [];
  /** Number of `stopAP` calls. */
  apStops = 0;
  /** Every `join` call. */
  joins: JoinOptions[] = [];
  /** Number of `leave` calls. */
  leaves = 0;
  /** Result of `startAP` (null = success), delivered synchronously. */
  apError: string | null = null;
  /** True between a successful `startAP` and `stopAP`. */
  apUp = false;
  /** Station MAC. */
  sta = '5C:CF:7F:00:11:22';
  /** Access point MAC. */
  ap = '5E:CF:7F:00:11:22';
  joined = false;
  private pendingScans: Array<(list: ScanEntry[]) => void> = [];
  private joinCbs: Array<((err: JoinFailure | null) => void) | null> = [];
  private listeners: Array<(ev: WifiEvent) => void> = [];

  startAP(opts: ApOptions, cb: (err: string | null) => void): void {
    this.apStarts.push(opts);
    if (!this.apError) this.apUp = true;
    cb(this.apError);
  }

  stopAP(): void {
    this.apStops++;
    this.apUp = false;
  }

  join(opts: JoinOptions, cb: (err: JoinFailure | null) => void): void {
    this.joins.push(opts);
    this.joinCbs.push(cb);
  }

  /**
   * Answers join number `index` of `joins` (default: the oldest unanswered
   * one), even one the code under test has given up on.
   */
  finishJoin(err: JoinFailure | null, index?: number): void {
    const i = index === undefined ? this.joinCbs.findIndex((cb) => cb !== null) : index;
    const cb = i >= 0 ? this.joinCbs[i] : null;
    if (!cb) throw new Error('no pending join');
    this.joinCbs[i] = null;
    this.joined = err === null;
    cb(err);
  }

  leave(): void {
    this.leaves++;
    this.joined = false;
  }

  isJoined(): boolean {
    return this.joined;
  }

  scan(cb: (list: ScanEntry[]) => void): void {
    this.scans++;
    if (this.throwOnConcurrentScan && this.pendingScans.length > 0) throw new Error('Scan in progress');
    if (this.scanMode === 'sync') {
      cb(this.scanList.slice());
      return;
    }
    this.pendingScans.push(cb);
  }

  /** Scans started and not yet answered. */
  get scansRunning(): number {
    return this.pendingScans.length;
  }

  /** Answers every pending scan with the current list. */
  finishScans(): void {
    const cbs = this.pendingScans;
    this.pendingScans = [];
    for (const cb of cbs) cb(this.scanList.slice());
  }

  staMac(): string {
    return this.sta;
  }

  apMac(): string {
    return this.ap;
  }

  onEvent(fn: (ev: WifiEvent) => void): Undo {
    this.listeners.push(fn);
    return () => {
      const i = this.listeners.indexOf(fn);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  /** Fires a radio event to every listener (`lost` also drops the station link). */
  fire(ev: WifiEvent): void {
    if (ev.type === 'lost') this.joined = false;
    for (const fn of this.listeners.slice()) fn(ev);
  }

  /** Number of event listeners (to check that undo works). */
  get listenerCount(): number {
    return this.listeners.length;
  }
}
