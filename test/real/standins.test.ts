/**
 * The Wi-Fi stand-ins and the harness itself on the real interpreters: the
 * callback and event shapes each chip's Wifi module has, the ways joins fail,
 * scans, the access point's password rule, a dropped router, and a reboot
 * (the process ends; a new one on the same flash runs the stand-ins again).
 * Skipped unless ESPRUINO_ESP8266 / ESPRUINO_ESP32 name the interpreters.
 */
import { strict as assert } from 'assert';
import { CHIPS, RealBoard, skipUnlessInterpreter, standins } from './harness';
import { StandinConfig, standinDrop, standinStation } from './standins';

const WORLD: StandinConfig = {
  networks: [
    { ssid: 'Home', password: 'correct horse', rssi: -48, channel: 6, auth: 'wpa2' },
    { ssid: 'Cafe', rssi: -70, channel: 11, auth: 'open' }
  ],
  mac: '5c:cf:7f:01:02:03',
  apMac: '5e:cf:7f:01:02:03'
};

/** Console line that records every Wifi event and callback into `global.L`. */
const RECORD = '(function(){global.L=[];var w=require("Wifi");["associated","connected","disconnected","sta_joined"].forEach(function(n){w.on(n,function(d){L.push([n,d]);});});return 1;})()';

/** Console expression: `Wifi.connect(ssid, {password}, cb)` with the callback's argument recorded. */
function connect(ssid: string, password: string): string {
  return `(function(){require("Wifi").connect(${JSON.stringify(ssid)},{password:${JSON.stringify(password)}},function(e){L.push(["cb",e]);});return 1;})()`;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

for (const chip of CHIPS) {
  const e8 = chip === 'ESP8266';
  describe(`real ${chip} interpreter: Wi-Fi stand-ins`, function () {
    this.timeout(30000);
    skipUnlessInterpreter(chip);

    let board: RealBoard | null = null;
    beforeEach(async function () {
      board = new RealBoard();
      await board.start({ chip, files: Object.assign(standins(chip, WORLD), { '.bootcde': 'var booted=(global.booted||0)+1;' }) });
      await board.load();
      await board.eval(RECORD);
    });
    afterEach(async function () {
      const b = board;
      board = null;
      if (!b) return;
      if (this.currentTest && this.currentTest.state === 'failed') console.log(b.tail(3000));
      await b.stop();
    });

    it('fails joins the way the chip reports them, then joins with the right password', async function () {
      const b = board as RealBoard;
      await b.eval(connect('Home', 'wrong horse'));
      await sleep(100);
      await b.eval(connect('Nowhere', 'x'));
      await sleep(100);
      assert.deepEqual(await b.eval('L'), [['cb', e8 ? 'bad_password' : 'AUTH_FAIL'], ['cb', e8 ? 'no_ap_found' : 'NO_AP_FOUND']]);
      await b.eval('L=[]');
      await b.eval(connect('Home', 'correct horse'));
      await sleep(100);
      const mask = e8 ? { ip: '127.0.0.1', gw: '127.0.0.1', mask: '255.0.0.0' } : { ip: '127.0.0.1', gw: '127.0.0.1', netmask: '255.0.0.0' };
      assert.deepEqual(await b.eval('L'), [
        ['associated', { ssid: 'Home', mac: 'aa:bb:cc:00:00:10', channel: e8 ? 6 : '6' }],
        ['cb', null],
        ['connected', mask]
      ]);
      assert.deepEqual(await b.eval('require("Wifi").getIP()'), { ip: '127.0.0.1', netmask: '255.0.0.0', gw: '127.0.0.1', mac: '5c:cf:7f:01:02:03' });
      await b.eval('require("Wifi").getIP(function(){L=[].slice.call(arguments);})');
      await sleep(50);
      const ip = { ip: '127.0.0.1', netmask: '255.0.0.0', gw: '127.0.0.1', mac: '5c:cf:7f:01:02:03' };
      assert.deepEqual(await b.eval('L'), e8 ? [ip] : [null, ip]);
      await b.eval('L=[]');
      await b.eval(standinDrop(chip));
      await sleep(50);
      assert.deepEqual(await b.eval('L'), [['disconnected', { ssid: 'Home', mac: 'aa:bb:cc:00:00:10', reason: e8 ? 'beacon_timeout' : '200' }]]);
      assert.equal(await b.eval('require("Wifi").getIP().ip'), '0.0.0.0');
      await b.eval('L=[]');
      await b.eval('require("Wifi").disconnect()');
      await b.eval(standinStation('02:00:00:00:00:aa', true));
      await sleep(50);
      assert.deepEqual(await b.eval('L'), [['sta_joined', { mac: '02:00:00:00:00:aa' }]], 'no disconnected event when not joined');
      assert.deepEqual(b.errors(), []);
    });

    it('scans with the chip\'s shapes, refuses a second scan and a short AP password', async function () {
      const b = board as RealBoard;
      const second = await b.eval('(function(){var w=require("Wifi");w.scan(function(l){global.S=l;});try{w.scan(function(){});return "no";}catch(e){return String(e);}})()');
      assert.match(String(second), /scan is already in progress/);
      await sleep(150);
      const list = await b.eval<Array<Record<string, unknown>>>('S');
      assert.equal(list.length, 2);
      assert.deepEqual(list[0], e8
        ? { ssid: 'Home', mac: 'aa:bb:cc:00:00:10', rssi: -48, authMode: 3, channel: 6, isHidden: false }
        : { ssid: 'Home', mac: 'aa:bb:cc:00:00:10', rssi: -48, authMode: 'wpa2', channel: '6' });
      assert.equal(list[1].authMode, e8 ? 0 : 'open');
      assert.match(String(await b.eval('(function(){try{require("Wifi").startAP("X",{password:"short",authMode:"wpa2"});return "no";}catch(e){return String(e);}})()')), /at least 8/);
      await b.eval('require("Wifi").startAP("Blynk X",{password:"longenough",authMode:"wpa2"},function(e){global.A=[e];})');
      await sleep(50);
      assert.deepEqual(await b.eval('A'), [null]);
      assert.equal(await b.eval('require("Wifi").getAPIP().ip'), '192.168.4.1');
      assert.deepEqual(b.errors(), []);
    });

    it('reads a pulled-up input as 1 (a button not pressed), other pins as 0', async function () {
      const b = board as RealBoard;
      assert.deepEqual(await b.eval('(function(){pinMode(0,"input_pullup",false);pinMode(D4,"input_pullup");pinMode(4,"input_pulldown",false);setWatch(function(){},0,{repeat:true,edge:"both"});return [digitalRead(0),digitalRead(D0),digitalRead(4),digitalRead(5)];})()'), [1, 1, 0, 0]);
      assert.deepEqual(b.errors(), []);
    });

    it('reboots: the process ends after the request, and the next boot runs the stand-ins again', async function () {
      const b = board as RealBoard;
      const from = b.mark();
      await b.eval(e8 ? '(function(){require("ESP8266").reboot();return 1;})()' : '(function(){ESP32.reboot();return 1;})()');
      await b.awaitReboot(5000, from);
      assert.deepEqual(b.rebootRequests(from), ['STANDIN REBOOT']);
      const prev = b.runs[b.runs.length - 2].exit;
      assert.ok(prev && prev.rebooted && !prev.killed, `first process: ${JSON.stringify(prev)}`);
      assert.equal(await b.eval('booted'), 1);
      assert.equal(await b.eval('typeof require("Wifi").connect'), 'function');
      assert.deepEqual(b.errors(), []);
    });
  });
}
