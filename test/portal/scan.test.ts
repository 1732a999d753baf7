import { strict as assert } from 'assert';
import { ScanEntry } from '../../lib/ports';
import { MAX_SCAN_RESULTS, SCAN_TIMEOUT_MS, scanJson } from '../../lib/scan';
import { net } from './helpers';

/** The list `scanJson` writes, parsed back. */
function tidy(list: ScanEntry[]): Array<{ ssid: string; bssid: string; rssi: number; sec: string; ch: number }> {
  return JSON.parse(scanJson(list));
}

describe('scan list (/wifi_scan.json body)', () => {
  it('has the contract limits', () => {
    assert.equal(SCAN_TIMEOUT_MS, 20000);
    assert.equal(MAX_SCAN_RESULTS, 15);
  });

  it('writes the entry fields, in order, and no "hidden" field', () => {
    assert.equal(scanJson([net('Home', -53, { bssid: 'AA:BB:CC:DD:EE:FF', sec: 'WPA2', ch: 6 })]),
      '[{"ssid":"Home","bssid":"AA:BB:CC:DD:EE:FF","rssi":-53,"sec":"WPA2","ch":6}]');
  });

  it('de-duplicates by SSID keeping the strongest, sorted by RSSI descending', () => {
    const list = tidy([
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

  it('tells SSIDs apart that only a JSON escape or a prefix tells apart', () => {
    const list = tidy([net('a"b', -40), net('a\\"b', -41), net('a', -42), net('ab', -43), net('a"b', -44), net('a', -45)]);
    assert.deepEqual(list.map((e) => e.ssid), ['a"b', 'a\\"b', 'a', 'ab']);
  });

  it('drops hidden and empty SSIDs, junk entries and entries without a finite RSSI', () => {
    const list = tidy([
      net('', -20),
      net('Secret', -30, { hidden: true }),
      net('Visible', -40),
      null as unknown as ScanEntry,
      { rssi: -10 } as unknown as ScanEntry,
      net('NoSignal', NaN),
      net('Strange', undefined as unknown as number)
    ]);
    assert.deepEqual(list.map((e) => e.ssid), ['Visible']);
  });

  it('keeps at most 15, the strongest ones', () => {
    const raw: ScanEntry[] = [];
    for (let i = 0; i < 40; i++) raw.push(net('N' + i, -100 + i));
    const list = tidy(raw);
    assert.equal(list.length, MAX_SCAN_RESULTS);
    assert.equal(list[0].ssid, 'N39');
    assert.equal(list[14].ssid, 'N25');
    for (let i = 1; i < list.length; i++) assert.ok(list[i - 1].rssi >= list[i].rssi);
  });

  it('counts duplicates once toward the cap of 15', () => {
    const raw: ScanEntry[] = [];
    for (let i = 0; i < 20; i++) raw.push(net('Dup', -30 - i));
    for (let i = 0; i < 20; i++) raw.push(net('N' + i, -60 - i));
    const list = tidy(raw);
    assert.equal(list.length, 15);
    assert.deepEqual(list.slice(0, 2).map((e) => e.ssid), ['Dup', 'N0']);
  });

  it('orders equal RSSI by SSID, deterministically, and writes exact duplicates once', () => {
    assert.deepEqual(tidy([net('b', -50), net('a', -50), net('c', -50), net('a', -50)]).map((e) => e.ssid), ['a', 'b', 'c']);
  });

  it('does not modify the input list', () => {
    const raw = [net('b', -60), net('a', -50)];
    scanJson(raw);
    assert.deepEqual(raw.map((e) => e.ssid), ['b', 'a']);
  });

  it('answers [] when nothing is visible', () => {
    assert.equal(scanJson([]), '[]');
    assert.equal(scanJson([net('', -40), net('Hidden', -50, { hidden: true })]), '[]');
  });
});
