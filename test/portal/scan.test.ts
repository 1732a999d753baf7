import { strict as assert } from 'assert';
import sinon from 'sinon';
import { ScanEntry } from '../../lib/ports';
import { MAX_SCAN_RESULTS, SCAN_CACHE_MS, SCAN_TIMEOUT_MS, createScanner, tidyScan } from '../../lib/scan';
import { FakeWifi } from '../fakes/wifi';
import { timerClock } from '../fakes/clock';
import { fakeTimers, net } from './helpers';

describe('shared Wi-Fi scanner', () => {
  let clock: sinon.SinonFakeTimers;
  let wifi: FakeWifi;
  beforeEach(() => {
    clock = fakeTimers();
    wifi = new FakeWifi();
  });
  afterEach(() => {
    clock.restore();
  });

  it('has the contract limits', () => {
    assert.equal(SCAN_TIMEOUT_MS, 20000);
    assert.equal(MAX_SCAN_RESULTS, 15);
  });

  it('de-duplicates by SSID keeping the strongest, sorted by RSSI descending', () => {
    const list = tidyScan([
      net('Home', -80, { bssid: '00:00:00:00:00:01', ch: 1 }),
      net('Office', -60),
      net('Home', -50, { bssid: '00:00:00:00:00:02', ch: 6 }),
      net('Home', -70, { bssid: '00:00:00:00:00:03', ch: 11 }),
      net('Cafe', -90)
    ]);
    assert.deepEqual(list.map((e) => [e.ssid, e.rssi]), [['Home', -50], ['Office', -60], ['Cafe', -90]]);
    assert.equal(list[0].bssid, '00:00:00:00:00:02');
    assert.equal(list[0].ch, 6);
  });

  it('drops hidden and empty SSIDs (and junk entries)', () => {
    const list = tidyScan([
      net('', -20),
      net('Secret', -30, { hidden: true }),
      net('Visible', -40),
      null as unknown as ScanEntry,
      { rssi: -10 } as unknown as ScanEntry
    ]);
    assert.deepEqual(list.map((e) => e.ssid), ['Visible']);
  });

  it('keeps at most 15, the strongest ones', () => {
    const raw: ScanEntry[] = [];
    for (let i = 0; i < 40; i++) raw.push(net('N' + i, -100 + i));
    const list = tidyScan(raw);
    assert.equal(list.length, MAX_SCAN_RESULTS);
    assert.equal(list[0].ssid, 'N39');
    assert.equal(list[14].ssid, 'N25');
    for (let i = 1; i < list.length; i++) assert.ok(list[i - 1].rssi >= list[i].rssi);
  });

  it('counts duplicates once toward the cap of 15', () => {
    const raw: ScanEntry[] = [];
    for (let i = 0; i < 20; i++) raw.push(net('Dup', -30 - i));
    for (let i = 0; i < 20; i++) raw.push(net('N' + i, -60 - i));
    const list = tidyScan(raw);
    assert.equal(list.length, 15);
    assert.deepEqual(list.slice(0, 2).map((e) => e.ssid), ['Dup', 'N0']);
  });

  it('orders equal RSSI by SSID, deterministically', () => {
    const a = tidyScan([net('b', -50), net('a', -50), net('c', -50)]);
    assert.deepEqual(a.map((e) => e.ssid), ['a', 'b', 'c']);
  });

  it('does not modify the input list', () => {
    const raw = [net('b', -60), net('a', -50)];
    tidyScan(raw);
    assert.deepEqual(raw.map((e) => e.ssid), ['b', 'a']);
  });

  it('answers [] when nothing is visible', () => {
    const s = createScanner({ wifi, clock: timerClock });
    let got: ScanEntry[] | null = null;
    s.scan((l) => (got = l));
    assert.deepEqual(got, []);
  });

  it('concurrent callers share one scan', () => {
    wifi.scanMode = 'manual';
    wifi.scanList = [net('A', -40), net('A', -70), net('B', -50)];
    const s = createScanner({ wifi, clock: timerClock });
    const got: ScanEntry[][] = [];
    for (let i = 0; i < 5; i++) s.scan((l) => got.push(l));
    assert.equal(wifi.scans, 1);
    assert.equal(got.length, 0);
    wifi.finishScans();
    assert.equal(got.length, 5);
    for (const l of got) assert.deepEqual(l.map((e) => e.ssid), ['A', 'B']);
    assert.equal(clock.countTimers(), 0, 'cap timer cleared');
  });

  it('reuses a result for SCAN_CACHE_MS, then scans again', () => {
    wifi.scanList = [net('A', -40)];
    const s = createScanner({ wifi, clock: timerClock });
    s.scan(() => undefined);
    s.scan(() => undefined);
    assert.equal(wifi.scans, 1);
    clock.tick(SCAN_CACHE_MS);
    let got: ScanEntry[] = [];
    wifi.scanList = [net('B', -40)];
    s.scan((l) => (got = l));
    assert.equal(wifi.scans, 2);
    assert.equal(got[0].ssid, 'B');
  });

  it('cacheMs: 0 scans every time', () => {
    const s = createScanner({ wifi, clock: timerClock, cacheMs: 0 });
    s.scan(() => undefined);
    s.scan(() => undefined);
    assert.equal(wifi.scans, 2);
  });

  it('caps the wait at 20 s when the radio never calls back: [] first, then the last result', () => {
    wifi.scanList = [net('Old', -50)];
    const s = createScanner({ wifi, clock: timerClock, cacheMs: 0 });
    s.scan(() => undefined);
    wifi.scanMode = 'never';
    let got: ScanEntry[] | null = null;
    let calls = 0;
    s.scan((l) => {
      got = l;
      calls++;
    });
    clock.tick(SCAN_TIMEOUT_MS - 1);
    assert.equal(got, null);
    clock.tick(1);
    assert.deepEqual(got!.map((e) => e.ssid), ['Old']);
    clock.tick(100000);
    assert.equal(calls, 1);

    const w2 = new FakeWifi();
    w2.scanMode = 'never';
    const s2 = createScanner({ wifi: w2, clock: timerClock });
    let got2: ScanEntry[] | null = null;
    s2.scan((l) => (got2 = l));
    clock.tick(SCAN_TIMEOUT_MS);
    assert.deepEqual(got2, []);
  });

  it('after a timed-out scan, a busy radio (throws) still gets callers an answer, and a late result refreshes the cache', () => {
    wifi.scanMode = 'manual';
    wifi.scanList = [net('Late', -40)];
    const s = createScanner({ wifi, clock: timerClock });
    let first: ScanEntry[] | null = null;
    s.scan((l) => (first = l));
    clock.tick(SCAN_TIMEOUT_MS);
    assert.deepEqual(first, []);
    let second: ScanEntry[] | null = null;
    s.scan((l) => (second = l));
    assert.equal(wifi.scans, 2, 'tried again');
    assert.deepEqual(second, [], 'the radio threw: answered at once with what exists');
    wifi.finishScans();
    let third: ScanEntry[] | null = null;
    s.scan((l) => (third = l));
    assert.deepEqual(third!.map((e) => e.ssid), ['Late'], 'late result cached');
    assert.equal(clock.countTimers(), 0);
  });

  it('a caller that throws does not stop the others', () => {
    wifi.scanMode = 'manual';
    const s = createScanner({ wifi, clock: timerClock });
    let ok = false;
    s.scan(() => {
      throw new Error('bad caller');
    });
    s.scan(() => (ok = true));
    assert.doesNotThrow(() => wifi.finishScans());
    assert.equal(ok, true);
  });

  it('stop() clears the timer; no callback after it', () => {
    wifi.scanMode = 'manual';
    const s = createScanner({ wifi, clock: timerClock });
    let calls = 0;
    s.scan(() => calls++);
    assert.equal(clock.countTimers(), 1);
    s.stop();
    assert.equal(clock.countTimers(), 0);
    wifi.finishScans();
    clock.tick(SCAN_TIMEOUT_MS * 2);
    assert.equal(calls, 0);
  });
});
