/**
 * createEdgent wired on fake ports: option validation, the whole first
 * provisioning (portal → Wi-Fi → cloud login → RUNNING with the record
 * committed to flash), a rejected token, the button and LED hooks, and
 * virtual pins.
 */
import { strict as assert } from 'assert';
import sinon from 'sinon';
import { createEdgent, Edgent, EdgentOptions } from '../../lib/edgent';
import { Hardware } from '../../lib/ports';
import { createStore } from '../../lib/store';
import { FakeWifi } from '../fakes/wifi';
import { FakeHttp } from '../fakes/http';
import { FakeUdp } from '../fakes/udp';
import { FakeNet } from '../fakes/net';
import { FakeFlash } from '../fakes/flash';
import { createFakeButton } from '../fakes/button';
import { createFakeLed } from '../fakes/led';
import { timerClock } from '../fakes/clock';
import { createFakeModules } from '../fakes/modules';
import { decodeFrames, encode, encodeResponse, fields } from '../cloud/wire';
import { SWITCH_DELAY_MS } from '../../lib/machine';

const TOKEN = 'Zx9_Yw8-Vu7Ts6Rq5Po4Nm3Lk2Ji1Hg0';
const OPTS: EdgentOptions = { templateId: 'TMPL4abcd123', templateName: 'My Device', fwVersion: '0.1.0' };
/** One PEM certificate (the body is not checked here). */
const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

function rig() {
  const hw: any = {
    clock: timerClock,
    radio: new FakeWifi(),
    wifi: () => hw.radio,
    http: new FakeHttp(),
    udp: new FakeUdp(),
    net: new FakeNet(false),
    flash: new FakeFlash(),
    modules: createFakeModules(),
    system: {
      board: 'ESP8266',
      reboots: 0,
      lines: [] as string[],
      reboot: () => { hw.system.reboots++; },
      chipId: () => '\x5c\xcf\x7f\x00\x11\x22',
      log: (l: string) => { hw.system.lines.push(l); }
    },
    button: createFakeButton(),
    led: createFakeLed()
  };
  return hw;
}

describe('createEdgent', () => {
  let clock: sinon.SinonFakeTimers;
  let dev: Edgent | null = null;
  beforeEach(() => { clock = sinon.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] }); });
  afterEach(() => {
    if (dev) dev.stop();
    dev = null;
    clock.restore();
  });

  /** The phone sends `/config`; the device switches, the radio joins, and the cloud attempt starts. */
  function toCloud(hw: any): void {
    hw.http.request({ url: `/config?ssid=Home&pass=x&blynk=${TOKEN}` });
    clock.tick(0);
    clock.tick(SWITCH_DELAY_MS);
    hw.radio.finishJoin(null);
    clock.tick(0);
  }

  it('rejects invalid options with TypeError', () => {
    const hw = rig() as unknown as Hardware;
    const bad: Array<Partial<EdgentOptions>> = [
      { templateId: '' }, { templateName: '' }, { fwVersion: '' }, { apPrefix: 'Bad-Prefix!' },
      { apPrefix: 'x'.repeat(21) }, { apPassword: 'short' }, { apPassword: 'p'.repeat(64) }, { tlsCa: 'not a certificate' },
      { tlsCa: PEM + PEM }, { tlsCa: true as unknown as string }, { tlsCa: '' }
    ];
    for (const b of bad) assert.throws(() => createEdgent(Object.assign({}, OPTS, b), hw), TypeError, JSON.stringify(b));
  });

  it('accepts tlsCa as one PEM certificate or false', () => {
    for (const tlsCa of [PEM, PEM.trim(), '\r\n' + PEM.replace(/\n/g, '\r\n'), false]) createEdgent(Object.assign({}, OPTS, { tlsCa }), rig() as unknown as Hardware);
  });

  it('a mode module missing from flash: a clear log line and an error state, never an exception', () => {
    const hw = rig();
    const load = hw.modules.load;
    hw.modules.load = (name: string) => {
      if (name === 'edgent-portal') throw new Error('Module "edgent-portal" not found');
      return load(name);
    };
    const d = createEdgent(OPTS, hw as unknown as Hardware);
    dev = d;
    assert.doesNotThrow(() => d.start());
    assert.equal(d.state(), 'ERROR');
    assert.equal(d.lastError(), 704);
    assert.ok(hw.system.lines.some((l: string) => /config mode failed: .*edgent-portal.* not found/.test(l)), hw.system.lines.join('\n'));
    assert.equal(hw.radio.apUp, false, 'the access point is taken down again');
  });

  it('loads the cloud module for each of its calls and events, and the portal module for each request', () => {
    const hw = rig();
    const d = createEdgent(OPTS, hw as unknown as Hardware);
    dev = d;
    d.start();
    assert.deepEqual(hw.modules.loaded, [], 'config mode between requests: no module (the store was read and dropped)');
    assert.ok(hw.modules.loads.includes('edgent-store'));
    const portalLoads = () => hw.modules.loads.filter((n: string) => n === 'edgent-portal').length;
    const before = portalLoads();
    assert.ok(before >= 1, 'the portal was started');
    assert.equal(JSON.parse(hw.http.request({ url: '/board_info.json' }).body).board, OPTS.templateName);
    assert.equal(portalLoads(), before + 1, 'the request loaded the portal module');
    assert.deepEqual(hw.modules.loaded, [], 'and dropped it');
    assert.equal(d.virtualWrite(1, 'x'), false, 'no cloud client in config mode');
    hw.http.request({ url: `/config?ssid=Home&pass=secret12&blynk=${TOKEN}&host=cloud.local&port=8080` });
    clock.tick(0);
    clock.tick(SWITCH_DELAY_MS);
    assert.deepEqual(hw.modules.loaded, [], 'joining: no mode module');
    hw.radio.finishJoin(null);
    clock.tick(0);
    const cloudLoads = () => hw.modules.loads.filter((n: string) => n === 'edgent-cloud').length;
    assert.ok(cloudLoads() >= 1, 'the connection was opened by the cloud module');
    assert.deepEqual(hw.modules.loaded, [], 'connecting: no module between events');
    let n = cloudLoads();
    hw.net.last.accept();
    assert.equal(cloudLoads(), n + 1, 'the connection event loaded the cloud module');
    hw.net.last.receive(encodeResponse(1, 200));
    clock.tick(0);
    assert.equal(d.state(), 'RUNNING');
    assert.deepEqual(hw.modules.loaded, [], 'running: no module between events');
    n = cloudLoads();
    assert.equal(d.virtualWrite(1, 'x'), true);
    assert.equal(cloudLoads(), n + 1, 'a write loaded the cloud module once');
    assert.deepEqual(hw.modules.loaded, [], 'and dropped it');
    d.reconfigure();
    assert.deepEqual(hw.modules.loaded, [], 'back in config mode');
  });

  it("a write from the product's vw handler uses the cloud module already loaded for the frame", () => {
    const hw = rig();
    const d = createEdgent(OPTS, hw as unknown as Hardware);
    dev = d;
    d.onVirtualWrite((pin, v) => { d.virtualWrite(pin, 'echo ' + v[0]); });
    d.start();
    hw.http.request({ url: `/config?ssid=Home&pass=secret12&blynk=${TOKEN}&host=cloud.local&port=8080` });
    clock.tick(0);
    clock.tick(SWITCH_DELAY_MS);
    hw.radio.finishJoin(null);
    clock.tick(0);
    hw.net.last.accept();
    hw.net.last.receive(encodeResponse(1, 200));
    clock.tick(0);
    assert.equal(d.state(), 'RUNNING');
    const cloudLoads = () => hw.modules.loads.filter((n: string) => n === 'edgent-cloud').length;
    const n = cloudLoads();
    hw.net.last.clearWritten();
    hw.net.last.receive(encode(20, 7, ['vw', '3', 'hi']));
    assert.equal(cloudLoads(), n + 1, 'one load for the frame and the echo');
    assert.deepEqual(decodeFrames(hw.net.last.written()).map((f) => [f.type, ...fields(f)]), [[20, 'vw', '3', 'echo hi']]);
    assert.deepEqual(hw.modules.loaded, []);
  });

  it('provisions end to end on fake ports and commits only after the cloud login', () => {
    const hw = rig();
    const d = createEdgent(OPTS, hw as unknown as Hardware);
    dev = d;
    const states: string[] = [];
    d.onStateChange((s) => states.push(s));
    d.start();
    assert.equal(d.state(), 'WAIT_CONFIG');
    assert.match(d.apSsid, /^Blynk My Device-[0W8N4Y1HP5DF9K6JM3C2UA7R]{4}$/);
    assert.equal(hw.radio.apStarts[0].ssid, d.apSsid);
    assert.equal(hw.http.port, 80);
    assert.equal(hw.udp.port, 53);

    const info = hw.http.request({ url: '/board_info.json' });
    clock.tick(0);
    const board = JSON.parse(info.body);
    assert.equal(board.board, 'My Device');
    assert.equal(board.ssid, d.apSsid);
    assert.equal(board.mac, hw.radio.sta);
    assert.equal(board.bssid, hw.radio.ap);
    assert.equal(board.last_error, 0);
    assert.equal(d.state(), 'CONFIGURING');

    const cfg = hw.http.request({ url: `/config?ssid=Home&pass=secret%2012&blynk=${TOKEN}&host=cloud.local&port=8080` });
    clock.tick(0);
    assert.equal(cfg.status, 200);
    assert.equal(d.state(), 'SWITCH_TO_STA');
    clock.tick(SWITCH_DELAY_MS);
    assert.equal(hw.http.listening, false, 'portal down after the switch');
    assert.equal(hw.udp.bound, false, 'DNS down after the switch');
    assert.equal(hw.radio.apUp, false);
    assert.deepEqual(hw.radio.joins[0], { ssid: 'Home', password: 'secret 12', hostname: d.apSsid.split(' ').join('-'), staticIp: null });
    assert.equal(createStore({ flash: hw.flash }).load().valid, false, 'nothing stored before proven');

    hw.radio.finishJoin(null);
    clock.tick(0);
    assert.equal(d.state(), 'CONNECTING_CLOUD');
    const sock = hw.net.last;
    assert.deepEqual([sock.host, sock.port, sock.tls], ['cloud.local', 8080, false]);
    sock.accept();
    const login = decodeFrames(Buffer.from(sock.writes.join(''), 'latin1'));
    assert.equal(login[0].type, 29);
    assert.equal(login[0].body.toString('latin1'), TOKEN);
    sock.receive(encodeResponse(1, 200));
    clock.tick(1);
    assert.equal(d.state(), 'RUNNING');
    assert.equal(d.isOnline(), true);
    clock.tick(1);
    const stored = createStore({ flash: hw.flash }).load();
    assert.equal(stored.valid, true);
    assert.equal(stored.ssid, 'Home');
    assert.equal(stored.token, TOKEN);
    assert.equal(stored.fwVer, '0.1.0');
    const sent = decodeFrames(Buffer.from(sock.writes.join(''), 'latin1'));
    assert.ok(sent.some((f) => f.type === 17 && fields(f).join('|') === `meta|set|Hotspot Name|${d.apSsid}`));
    assert.deepEqual(states, ['WAIT_CONFIG', 'CONFIGURING', 'SWITCH_TO_STA', 'CONNECTING_NET', 'CONNECTING_CLOUD', 'RUNNING']);

    assert.equal(d.virtualWrite(3, 42), true);
    const vw = decodeFrames(Buffer.from(sock.writes.join(''), 'latin1')).pop()!;
    assert.deepEqual(fields(vw), ['vw', '3', '42']);
  });

  it('the phone sequence drives the machine: board_info, station leaving, invalid and valid config', () => {
    const hw = rig();
    dev = createEdgent(OPTS, hw as unknown as Hardware);
    dev.start();
    hw.radio.fire({ type: 'stations', count: 1 });
    hw.http.request({ url: '/board_info.json' });
    clock.tick(0);
    assert.equal(dev.state(), 'CONFIGURING');
    hw.radio.fire({ type: 'stations', count: 0 });
    assert.equal(dev.state(), 'WAIT_CONFIG');
    hw.http.request({ url: '/board_info.json' });
    clock.tick(0);
    const flashWrites = hw.flash.writes;
    const bad = hw.http.request({ url: `/config?ssid=Home&pass=x&blynk=${TOKEN.slice(1)}` });
    clock.tick(0);
    assert.equal(bad.status, 500);
    assert.equal(bad.body, '{"status":"error","msg":"Configuration invalid"}');
    assert.equal(dev.state(), 'CONFIGURING', 'state unchanged');
    assert.equal(hw.flash.writes, flashWrites, 'nothing stored');
    clock.tick(SWITCH_DELAY_MS * 5);
    assert.equal(hw.radio.joins.length, 0, 'nothing staged: no join');
    const good = hw.http.request({ url: `/config?ssid=Home&pass=x&blynk=${TOKEN}` });
    clock.tick(0);
    assert.equal(good.status, 200);
    assert.equal(dev.state(), 'SWITCH_TO_STA');
  });

  it('a rejected token comes back to config mode with 703 in board_info', () => {
    const hw = rig();
    dev = createEdgent(OPTS, hw as unknown as Hardware);
    dev.start();
    toCloud(hw);
    hw.net.last.accept();
    hw.net.last.receive(encodeResponse(1, 9));
    clock.tick(0);
    assert.equal(dev.state(), 'WAIT_CONFIG');
    assert.equal(JSON.parse(hw.http.request({ url: '/board_info.json' }).body).last_error, 703);
  });

  it('a 10 s button hold erases the stored config; the LED follows the state', () => {
    const hw = rig();
    dev = createEdgent(OPTS, hw as unknown as Hardware);
    dev.start();
    hw.http.request({ url: `/config?ssid=Home&pass=x&blynk=${TOKEN}&save=1` });
    clock.tick(0);
    clock.tick(SWITCH_DELAY_MS);
    assert.equal(createStore({ flash: hw.flash }).load().valid, true);
    hw.led.shows.length = 0;
    hw.button.press();
    clock.tick(10000);
    hw.button.release();
    clock.tick(0);
    assert.equal(dev.state(), 'WAIT_CONFIG');
    assert.equal(createStore({ flash: hw.flash }).load().valid, false);
    const last = hw.led.shows.filter((s: { r: number; g: number; b: number }) => s.r + s.g + s.b > 0).pop()!;
    assert.deepEqual([last.r, last.g, last.b], [0x0d, 0x36, 0xff], 'blue for WAIT_CONFIG');
  });

  it('a short press goes to the product hook and changes nothing else', () => {
    const hw = rig();
    const presses: number[] = [];
    dev = createEdgent(Object.assign({}, OPTS, { onButtonPress: (ms: number) => presses.push(ms) }), hw as unknown as Hardware);
    dev.start();
    hw.button.press();
    clock.tick(300);
    hw.button.release();
    assert.deepEqual(presses, [300]);
    assert.equal(dev.state(), 'WAIT_CONFIG');
  });

  it('tlsCa reaches the TLS connection (a PEM, false, or absent for the board default); plain TCP never carries it', () => {
    for (const tlsCa of [PEM, false, undefined]) {
      for (const tls of [true, false]) {
        const hw = rig();
        hw.net = new FakeNet(tls);
        dev = createEdgent(Object.assign({}, OPTS, { tlsCa }), hw as unknown as Hardware);
        dev.start();
        toCloud(hw);
        assert.equal(hw.net.last.tls, tls);
        // A PEM reaches the board as its DER bytes (what Espruino's tls takes).
        const ca = tlsCa ? Buffer.from('MIIB', 'base64').toString('latin1') : tlsCa;
        assert.equal(hw.net.last.ca, tls ? ca : undefined, `tlsCa ${String(tlsCa)}, tls ${tls}`);
        dev.stop();
        dev = null;
      }
    }
  });

  it('stop releases every port', () => {
    const hw = rig();
    dev = createEdgent(OPTS, hw as unknown as Hardware);
    dev.start();
    dev.stop();
    dev = null;
    assert.equal(hw.http.listening, false);
    assert.equal(hw.udp.bound, false);
    assert.equal(hw.radio.listenerCount, 0);
    assert.equal(hw.button.watchers, 0);
    assert.equal(clock.countTimers(), 0);
  });
});
