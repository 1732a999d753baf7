/**
 * Wifi module of the virtual board, per chip, on fake timers: connect
 * success/failure reasons, AP down/up, DHCP timeout, scan, soft AP and
 * phones, saved configuration.
 */
import { strict as assert } from 'assert';
import sinon from 'sinon';
import { HOME, makeBoard } from './helpers';
import { ESP32_CONNECT_ATTEMPTS, MAX_AP_STATIONS, REBOOT_DELAY_MS, WIFI_TIMING, createRadio, type VirtualBoard, type VirtualRadio } from '../../sim/espruino';

const SETUP = `
var W = require('Wifi'), L = [];
['associated', 'connected', 'disconnected', 'dhcp_timeout', 'sta_joined', 'sta_left'].forEach(function (e) {
  W.on(e, function (d) { L.push([e, d]); });
});
function cb(tag) { return function () { L.push([tag, [].slice.call(arguments)]); }; }
`;

describe('sim Wifi', () => {
  let clock: sinon.SinonFakeTimers;
  let board: VirtualBoard;
  let radio: VirtualRadio;
  const ev = (code: string): any => board.evaluate(code);
  const log = (): [string, any][] => JSON.parse(ev('JSON.stringify(L)'));
  const names = (): string[] => log().map((e) => e[0]);
  const start = (chip: 'ESP32' | 'ESP8266', aps = [{ ...HOME }]): void => {
    radio = createRadio(aps);
    board = makeBoard({ chip, radio });
    board.boot();
    ev(SETUP);
  };

  beforeEach(() => {
    clock = sinon.useFakeTimers();
  });
  afterEach(async () => {
    clock.restore();
    await board.close();
  });

  describe('ESP8266', () => {
    it('connects: cb(null), associated {channel: number}, connected {ip, mask, gw}', () => {
      start('ESP8266');
      ev("W.connect('home', {password: 'secret123'}, cb('cb'))");
      clock.tick(WIFI_TIMING.connectMs + WIFI_TIMING.dhcpMs);
      assert.deepEqual(log(), [
        ['associated', { ssid: 'home', mac: radio.list()[0].bssid, channel: 6 }],
        ['cb', [null]],
        ['connected', { ip: '192.168.1.50', mask: '255.255.255.0', gw: '192.168.1.1' }],
      ]);
      assert.equal(ev('W.getDetails().status'), 'connected');
    });

    it("wrong password: cb('bad_password') and no retry", () => {
      start('ESP8266');
      ev("W.connect('home', {password: 'nope'}, cb('cb'))");
      clock.tick(WIFI_TIMING.connectMs + 5 * WIFI_TIMING.esp8266RetryMs);
      assert.deepEqual(log(), [
        ['cb', ['bad_password']],
        ['disconnected', { ssid: 'home', mac: radio.list()[0].bssid, reason: '4way_handshake_timeout' }],
      ]);
    });

    it("no such AP: cb('no_ap_found'), keeps retrying, joins when the AP comes up", () => {
      start('ESP8266', [{ ...HOME, up: false }]);
      ev("W.connect('home', {password: 'secret123'}, cb('cb'))");
      clock.tick(WIFI_TIMING.connectMs + 2 * WIFI_TIMING.esp8266RetryMs);
      assert.deepEqual(log().slice(0, 2), [
        ['cb', ['no_ap_found']],
        ['disconnected', { ssid: 'home', mac: '00:00:00:00:00:00', reason: 'no_ap_found' }],
      ]);
      assert.deepEqual(names(), ['cb', 'disconnected', 'disconnected', 'disconnected']);
      radio.setUp('home', true);
      clock.tick(WIFI_TIMING.esp8266RetryMs + WIFI_TIMING.dhcpMs);
      assert.deepEqual(names().slice(-2), ['associated', 'connected']);
    });

    it("an enterprise network fails with cb('connect_failed')", () => {
      start('ESP8266', [{ ...HOME, sec: 'WPA2-EAP' }]);
      ev("W.connect('home', {password: 'secret123'}, cb('cb'))");
      clock.tick(WIFI_TIMING.connectMs);
      assert.deepEqual(log()[0], ['cb', ['connect_failed']]);
    });

    it('AP without DHCP: associated, then dhcp_timeout (null), never a callback', () => {
      start('ESP8266', [{ ...HOME, dhcp: false }]);
      ev("W.connect('home', {password: 'secret123'}, cb('cb'))");
      clock.tick(WIFI_TIMING.connectMs + 2 * WIFI_TIMING.esp8266DhcpTimeoutMs);
      assert.deepEqual(names(), ['associated', 'dhcp_timeout', 'dhcp_timeout']);
      assert.equal(log()[1][1], null);
    });

    it('AP going down: disconnected beacon_timeout, reconnects when it is back', () => {
      start('ESP8266');
      ev("W.connect('home', {password: 'secret123'})");
      clock.tick(WIFI_TIMING.connectMs + WIFI_TIMING.dhcpMs);
      radio.setUp('home', false);
      clock.tick(0);
      assert.deepEqual(log()[2], ['disconnected', { ssid: 'home', mac: radio.list()[0].bssid, reason: 'beacon_timeout' }]);
      radio.setUp('home', true);
      clock.tick(WIFI_TIMING.esp8266RetryMs + WIFI_TIMING.dhcpMs);
      assert.deepEqual(names().slice(-2), ['associated', 'connected']);
    });

    it('scan: one argument, numeric authMode, hidden SSID empty; a second scan throws', () => {
      start('ESP8266', [{ ...HOME }, { ssid: 'cafe', password: '', rssi: -70, channel: 1 }, { ssid: 'ghost', password: 'x', rssi: -60, channel: 11, hidden: true }]);
      ev("W.scan(function (list) { L.push(['scan', arguments.length, list]); })");
      assert.equal(ev("try { W.scan(function () {}); 'ok' } catch (e) { e.message }"), 'A scan is already in progress.');
      clock.tick(WIFI_TIMING.scanMs);
      const [tag, argc, list] = log()[0] as unknown as [string, number, any[]];
      assert.equal(tag, 'scan');
      assert.equal(argc, 1);
      assert.deepEqual(list.map((a: any) => [a.ssid, a.authMode, a.isHidden, a.channel, a.rssi]), [
        ['home', 3, false, 6, -50],
        ['cafe', 0, false, 1, -70],
        ['', 3, true, 11, -60],
      ]);
      assert.deepEqual(Object.keys(list[0]).sort(), ['authMode', 'channel', 'isHidden', 'mac', 'rssi', 'ssid']);
    });

    it("disconnect(cb) when connected: 'disconnected' assoc_leave, then cb", () => {
      start('ESP8266');
      ev("W.connect('home', {password: 'secret123'})");
      clock.tick(WIFI_TIMING.connectMs + WIFI_TIMING.dhcpMs);
      ev("W.disconnect(cb('bye'))");
      clock.tick(0);
      assert.deepEqual(log().slice(2), [['disconnected', { ssid: 'home', mac: radio.list()[0].bssid, reason: 'assoc_leave' }], ['bye', []]]);
      assert.equal(ev('W.getDetails().status'), 'off');
    });

    it('setIP gives a static address (no DHCP needed), calls back {success: true}; hostname round-trips', () => {
      start('ESP8266', [{ ...HOME, dhcp: false }]);
      ev("W.setIP({ip: '10.0.0.9', gw: '10.0.0.1', netmask: '255.0.0.0'}, cb('ip')); W.setHostname('blynk-dev');");
      assert.equal(ev('W.getHostname()'), 'blynk-dev');
      ev("W.connect('home', {password: 'secret123'}, cb('cb'))");
      clock.tick(WIFI_TIMING.connectMs + WIFI_TIMING.dhcpMs);
      assert.deepEqual(log(), [
        ['ip', [{ success: true }]],
        ['associated', { ssid: 'home', mac: radio.list()[0].bssid, channel: 6 }],
        ['cb', [null]],
        ['connected', { ip: '10.0.0.9', mask: '255.0.0.0', gw: '10.0.0.1' }],
      ]);
      assert.equal(ev('W.getIP().ip'), '10.0.0.9');
    });

    it("boots with the default soft AP 'ESP_XXXXXX' when no Wifi config was saved", () => {
      start('ESP8266');
      const d = ev('W.getAPDetails()');
      assert.equal(d.status, 'enabled');
      assert.equal(d.ssid, 'ESP_000001');
      assert.equal(d.authMode, 'open');
    });

    it('getIP(cb) calls back with one argument', () => {
      start('ESP8266');
      ev("W.getIP(cb('ip'))");
      clock.tick(0);
      const [, args] = log()[0];
      assert.equal(args.length, 1);
      assert.equal(args[0].mac, '5c:cf:7f:00:00:01');
    });

    it('phones join/leave the soft AP: sta_joined/sta_left {mac}, stations listed, at most 4', () => {
      start('ESP8266');
      ev("W.startAP('provision', {password: 'longenough'})");
      const macs = Array.from({ length: MAX_AP_STATIONS }, () => board.phoneJoin());
      assert.ok(macs.every((m) => typeof m === 'string'));
      assert.equal(board.phoneJoin(), false);
      clock.tick(0);
      assert.equal(ev('W.getAPDetails().stations.length'), MAX_AP_STATIONS);
      assert.equal(board.phoneLeave(macs[0] as string), true);
      clock.tick(0);
      assert.deepEqual(log().slice(-1), [['sta_left', { mac: macs[0] }]]);
      assert.deepEqual(names().filter((n) => n === 'sta_joined').length, MAX_AP_STATIONS);
      ev('W.stopAP()');
      assert.equal(board.phoneJoin(), false);
    });
  });

  describe('ESP32', () => {
    it('connects: cb(null), associated {channel: string}, connected {ip, netmask, gw}', () => {
      start('ESP32');
      ev("W.connect('home', {password: 'secret123'}, cb('cb'))");
      clock.tick(WIFI_TIMING.connectMs + WIFI_TIMING.dhcpMs);
      assert.deepEqual(log(), [
        ['associated', { ssid: 'home', mac: radio.list()[0].bssid, channel: '6' }],
        ['cb', [null]],
        ['connected', { ip: '192.168.1.50', netmask: '255.255.255.0', gw: '192.168.1.1' }],
      ]);
    });

    it("wrong password: after 3 attempts cb('AUTH_FAIL') and disconnected {reason: '202'}", () => {
      start('ESP32');
      ev("W.connect('home', {password: 'nope'}, cb('cb'))");
      clock.tick(WIFI_TIMING.connectMs * (ESP32_CONNECT_ATTEMPTS - 1));
      assert.deepEqual(log(), []);
      clock.tick(WIFI_TIMING.connectMs);
      assert.deepEqual(log(), [
        ['disconnected', { ssid: 'home', mac: radio.list()[0].bssid, reason: '202', msg: 'AUTH_FAIL' }],
        ['cb', ['AUTH_FAIL']],
      ]);
    });

    it("no such AP: cb('NO_AP_FOUND')", () => {
      start('ESP32', [{ ...HOME, up: false }]);
      ev("W.connect('home', {password: 'secret123'}, cb('cb'))");
      clock.tick(WIFI_TIMING.connectMs * ESP32_CONNECT_ATTEMPTS);
      assert.deepEqual(log().map((e) => e[1]), [
        { ssid: 'home', mac: '00:00:00:00:00:00', reason: '201', msg: 'NO_AP_FOUND' },
        ['NO_AP_FOUND'],
      ]);
    });

    it('AP without DHCP: associated only, no callback, no dhcp_timeout', () => {
      start('ESP32', [{ ...HOME, dhcp: false }]);
      ev("W.connect('home', {password: 'secret123'}, cb('cb'))");
      clock.tick(60_000);
      assert.deepEqual(names(), ['associated']);
    });

    it('AP going down: silent retries from the budget left by connect(), then one disconnected', () => {
      start('ESP32');
      ev("W.connect('home', {password: 'secret123'})");
      clock.tick(WIFI_TIMING.connectMs + WIFI_TIMING.dhcpMs);
      radio.setUp('home', false);
      clock.tick(WIFI_TIMING.connectMs);
      radio.setUp('home', true);
      clock.tick(WIFI_TIMING.connectMs + WIFI_TIMING.dhcpMs);
      assert.deepEqual(names(), ['associated', 'connected', 'associated', 'connected']);
      // two of the three attempts are spent: the next loss is reported at once
      radio.setUp('home', false);
      assert.deepEqual(log().slice(-1), [['disconnected', { ssid: 'home', mac: radio.list()[0].bssid, reason: '200', msg: 'BEACON_TIMEOUT' }]]);
      clock.tick(WIFI_TIMING.connectMs * ESP32_CONNECT_ATTEMPTS);
      assert.equal(names().length, 5);
    });

    it("disconnect(cb): cb at once, then 'disconnected' {reason: '8', msg: 'ASSOC_LEAVE'}", () => {
      start('ESP32');
      ev("W.connect('home', {password: 'secret123'})");
      clock.tick(WIFI_TIMING.connectMs + WIFI_TIMING.dhcpMs);
      ev("W.disconnect(cb('bye'))");
      clock.tick(0);
      assert.deepEqual(log().slice(2), [['bye', []], ['disconnected', { ssid: 'home', mac: radio.list()[0].bssid, reason: '8', msg: 'ASSOC_LEAVE' }]]);
      assert.equal(ev('W.getDetails().status'), 'ASSOC_LEAVE');
    });

    it('scan: string authMode and channel, strongest first; a second scan throws', () => {
      start('ESP32', [{ ssid: 'weak', password: '', rssi: -80, channel: 1 }, { ...HOME }]);
      ev("W.scan(function (list) { L.push(['scan', list]); })");
      assert.equal(ev("try { W.scan(function () {}); 'ok' } catch (e) { e.message }"), 'A scan is already in progress');
      clock.tick(WIFI_TIMING.scanMs);
      const list = log()[0][1];
      assert.deepEqual(list.map((a: any) => [a.ssid, a.authMode, a.channel]), [['home', 'wpa2', '6'], ['weak', 'open', '1']]);
    });

    it('getIP(cb) calls back (null, info); getAPIP gives 192.168.4.1 and the AP MAC', () => {
      start('ESP32');
      ev("W.getIP(cb('ip'))");
      clock.tick(0);
      assert.deepEqual(log()[0][1], [null, { ip: '0.0.0.0', netmask: '0.0.0.0', gw: '0.0.0.0', mac: '24:0a:c4:00:00:01' }]);
      assert.deepEqual({ ...ev('W.getAPIP()') }, { ip: '192.168.4.1', netmask: '255.255.255.0', gw: '192.168.4.1', mac: '26:0a:c4:00:00:01' });
    });

    it('startAP throws for a short password; starts asynchronously otherwise', () => {
      start('ESP32');
      assert.equal(ev("try { W.startAP('x', {password: 'short'}); 'ok' } catch (e) { e.message }"), 'Password must be string of at least 8 characters');
      ev("W.startAP('prov', {password: 'longenough', authMode: 'wpa2'}, cb('ap'))");
      assert.equal(board.phoneJoin(), false);
      clock.tick(WIFI_TIMING.apStartMs);
      assert.deepEqual(log(), [['ap', [null]]]);
      assert.equal(typeof board.phoneJoin('AA:BB:CC:00:00:09'), 'string');
      clock.tick(0);
      assert.deepEqual(log()[1], ['sta_joined', { mac: 'aa:bb:cc:00:00:09' }]);
      assert.equal(ev('W.getAPDetails().authMode'), 'wpa2');
    });

    it("save() writes '.wificfg'; after reboot the station reconnects by itself", () => {
      start('ESP32');
      ev("W.connect('home', {password: 'secret123'})");
      clock.tick(WIFI_TIMING.connectMs + WIFI_TIMING.dhcpMs);
      ev('W.save()');
      assert.ok(board.storage.list().includes('.wificfg'));
      board.reboot();
      clock.tick(REBOOT_DELAY_MS);
      ev(SETUP);
      clock.tick(WIFI_TIMING.connectMs + WIFI_TIMING.dhcpMs);
      assert.deepEqual(names(), ['associated', 'connected']);
      ev("W.save('clear')");
      assert.ok(!board.storage.list().includes('.wificfg'));
    });
  });
});
