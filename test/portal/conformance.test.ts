import { strict as assert } from 'assert';
import sinon from 'sinon';
import { ConfigRecord, PortalRequest } from '../../lib/types';
import { defaultRecord } from '../../lib/record';
import {
  CAPTIVE_PATHS, FALLBACK_FORM, FORM_CHUNK_BYTES, FORM_FILE, MAX_BODY_BYTES, MAX_URL_BYTES, PORTAL_URL,
  REQUEST_TIMEOUT_MS, RESPONSE_TIMEOUT_MS
} from '../../lib/portal';
import { SCAN_TIMEOUT_MS } from '../../lib/scan';
import { FORM_HTML, Harness, TOKEN, fakeTimers, harness, net, post } from './helpers';

const OK_TRY = '{"status":"ok","msg":"Trying to connect..."}';
const OK_SAVED = '{"status":"ok","msg":"Configuration saved"}';
const INVALID = '{"status":"error","msg":"Configuration invalid"}';
const PROBES = CAPTIVE_PATHS.split(' ');

function rec(over: Partial<ConfigRecord>): ConfigRecord {
  return Object.assign(defaultRecord(), over);
}

function configOf(h: Harness): PortalRequest | undefined {
  return h.events().find((e) => e.type === 'config');
}

describe('portal conformance (contract §3)', () => {
  let clock: sinon.SinonFakeTimers;
  let h: Harness;
  beforeEach(() => {
    clock = fakeTimers();
    h = harness();
  });
  afterEach(() => {
    h.portal.stop();
    const left = clock.countTimers();
    clock.restore();
    assert.equal(left, 0, 'no timer left after stop');
  });

  it('listens on port 80, start() is idempotent, stop() closes the server', () => {
    assert.equal(h.http.port, 80);
    h.portal.start();
    assert.equal(h.http.listens, 1);
    h.portal.stop();
    assert.equal(h.http.closes, 1);
    assert.equal(h.http.listening, false);
    h.portal.stop();
    assert.equal(h.http.closes, 1);
    h.portal.start();
    assert.equal(h.http.listens, 2);
  });

  it('replays the phone: board_info → wifi_scan → config, byte for byte and in order', () => {
    h.wifi.scanList = [
      net('Office', -70, { bssid: '11:22:33:44:55:66', sec: 'WPA+WPA2', ch: 11 }),
      net('Home', -53, { bssid: 'AA:BB:CC:DD:EE:FF', sec: 'WPA2', ch: 6 }),
      net('Cafe', -80, { bssid: '01:02:03:04:05:06', sec: 'OPEN', ch: 1 })
    ];
    const bi = h.req('/board_info.json');
    assert.equal(bi.status, 200);
    assert.equal(bi.headers['Content-Type'], 'application/json');
    assert.equal(bi.body,
      '{"board":"My Device","tmpl_id":"TMPL4abcd123","fw_type":"TMPL4abcd123","fw_ver":"0.1.0",' +
      '"ssid":"Blynk My Device-W8N4","bssid":"A4:CF:12:00:11:22","mac":"A4:CF:12:00:11:23",' +
      '"last_error":0,"wifi_scan":true,"static_ip":true}');
    assert.deepEqual(JSON.parse(bi.body), h.info);
    assert.equal(bi.headers['Content-Length'], String(bi.body.length));

    const ws = h.req('/wifi_scan.json');
    assert.equal(ws.status, 200);
    assert.equal(ws.headers['Content-Type'], 'application/json');
    assert.equal(ws.body,
      '[{"ssid":"Home","bssid":"AA:BB:CC:DD:EE:FF","rssi":-53,"sec":"WPA2","ch":6},' +
      '{"ssid":"Office","bssid":"11:22:33:44:55:66","rssi":-70,"sec":"WPA+WPA2","ch":11},' +
      '{"ssid":"Cafe","bssid":"01:02:03:04:05:06","rssi":-80,"sec":"OPEN","ch":1}]');
    assert.equal(ws.headers['Content-Length'], String(ws.body.length), 'a short list goes in one piece');

    const cf = h.req('/config?ssid=Home&pass=secret%20pass&blynk=' + TOKEN + '&host=blynk.cloud&port=80&port_ssl=443');
    assert.equal(cf.status, 200);
    assert.equal(cf.headers['Content-Type'], 'application/json');
    assert.equal(cf.body, OK_TRY);

    assert.deepEqual(h.sent.map((s) => s.type), ['activity', 'board_info', 'activity', 'activity', 'config']);
    assert.deepEqual(h.http.timeline, [
      'send activity', 'end 200', 'send board_info',
      'send activity', 'end 200',
      'send activity', 'end 200', 'send config'
    ]);
    assert.deepEqual(configOf(h), {
      type: 'config',
      save: false,
      config: rec({ ssid: 'Home', pass: 'secret pass', token: TOKEN })
    });
    for (const ex of h.http.exchanges) assert.deepEqual(ex.violations, []);
  });

  it('serves board_info strings through the JSON encoder and odd numbers as valid JSON', () => {
    h.info.board = 'Quote " back \\ ctl \x01';
    h.info.last_error = 722;
    const bi = h.req('/board_info.json');
    const parsed = JSON.parse(bi.body);
    assert.equal(parsed.board, 'Quote " back \\ ctl \x01');
    assert.equal(parsed.last_error, 722);
  });

  it('applies defaults: host blynk.cloud, port 80, port_ssl 443, empty pass', () => {
    const cf = h.req('/config?ssid=Net&blynk=' + TOKEN);
    assert.equal(cf.body, OK_TRY);
    assert.deepEqual(configOf(h), { type: 'config', save: false, config: rec({ ssid: 'Net', token: TOKEN }) });
    const c = (configOf(h) as { config: ConfigRecord }).config;
    assert.equal(c.host, 'blynk.cloud');
    assert.equal(c.port, 80);
    assert.equal(c.portSsl, 443);
    assert.equal(c.pass, '');
    assert.equal(c.valid, false, 'the machine sets valid once proven');
  });

  it('takes host, port and port_ssl, and treats an empty host as the default', () => {
    h.req('/config?ssid=Net&blynk=' + TOKEN + '&host=ny3.blynk.cloud&port=8080&port_ssl=9443');
    assert.deepEqual(configOf(h), {
      type: 'config', save: false,
      config: rec({ ssid: 'Net', token: TOKEN, host: 'ny3.blynk.cloud', port: 8080, portSsl: 9443 })
    });
    const h2 = harness();
    h2.req('/config?ssid=Net&blynk=' + TOKEN + '&host=&port=&port_ssl=');
    assert.deepEqual(configOf(h2), { type: 'config', save: false, config: rec({ ssid: 'Net', token: TOKEN }) });
    h2.portal.stop();
  });

  const invalid: Array<[string, string]> = [
    ['missing ssid', '/config?blynk=' + TOKEN],
    ['empty ssid', '/config?ssid=&blynk=' + TOKEN],
    ['missing token', '/config?ssid=Net'],
    ['31-char token', '/config?ssid=Net&blynk=' + TOKEN.slice(1)],
    ['33-char token', '/config?ssid=Net&blynk=' + TOKEN + 'x'],
    ['token with a dot', '/config?ssid=Net&blynk=' + TOKEN.slice(1) + '.'],
    ['port 0', '/config?ssid=Net&blynk=' + TOKEN + '&port=0'],
    ['port 65536', '/config?ssid=Net&blynk=' + TOKEN + '&port=65536'],
    ['port not a number', '/config?ssid=Net&blynk=' + TOKEN + '&port=80x'],
    ['negative port_ssl', '/config?ssid=Net&blynk=' + TOKEN + '&port_ssl=-443'],
    ['host over 64 bytes', '/config?ssid=Net&blynk=' + TOKEN + '&host=' + 'h'.repeat(65)],
    ['if=eth', '/config?ssid=Net&blynk=' + TOKEN + '&if=eth'],
    ['if=WIFI', '/config?ssid=Net&blynk=' + TOKEN + '&if=WIFI'],
    ['static ip without mask', '/config?ssid=Net&blynk=' + TOKEN + '&ip=192.168.1.50&gw=192.168.1.1'],
    ['static ip without gw', '/config?ssid=Net&blynk=' + TOKEN + '&ip=192.168.1.50&mask=255.255.255.0'],
    ['bad static ip', '/config?ssid=Net&blynk=' + TOKEN + '&ip=192.168.1.256&mask=255.255.255.0&gw=192.168.1.1'],
    ['bad dns2', '/config?ssid=Net&blynk=' + TOKEN + '&ip=192.168.1.5&mask=255.255.255.0&gw=192.168.1.1&dns2=8.8.8'],
    ['bad escape %', '/config?ssid=Net%&blynk=' + TOKEN],
    ['bad escape %Z1', '/config?ssid=N%Z1et&blynk=' + TOKEN],
    ['bad escape %1 at end', '/config?blynk=' + TOKEN + '&ssid=Net%1'],
    ['bad escape in an unknown key', '/config?ssid=Net&blynk=' + TOKEN + '&x%G0=1'],
    ['save=1 does not rescue an invalid config', '/config?ssid=Net&blynk=short&save=1']
  ];
  for (const [name, url] of invalid) {
    it('rejects ' + name + ' with the 500 JSON and sends nothing', () => {
      const ex = h.req(url);
      assert.equal(ex.status, 500);
      assert.equal(ex.headers['Content-Type'], 'application/json');
      assert.equal(ex.body, INVALID);
      assert.deepEqual(h.events(), []);
      assert.deepEqual(h.sent, [{ type: 'activity' }]);
      assert.ok(h.logs.some((l) => l.indexOf('config invalid') >= 0));
    });
  }

  const saves: Array<[string, boolean]> = [
    ['', false], ['&save=1', true], ['&save=true', true], ['&save=TRUE', true], ['&save=2', true],
    ['&save=0', false], ['&save=00', false], ['&save=false', false], ['&save=', false], ['&save', false],
    ['&save=yes', false]
  ];
  for (const [q, save] of saves) {
    it('save flag "' + q + '" → save ' + save, () => {
      const ex = h.req('/config?ssid=Net&blynk=' + TOKEN + q);
      assert.equal(ex.status, 200);
      assert.equal(ex.body, save ? OK_SAVED : OK_TRY);
      assert.deepEqual(configOf(h), { type: 'config', save, config: rec({ ssid: 'Net', token: TOKEN }) });
    });
  }

  for (const q of ['', '&if=wifi', '&if=']) {
    it('accepts interface "' + q + '"', () => {
      const ex = h.req('/config?ssid=Net&blynk=' + TOKEN + q);
      assert.equal(ex.body, OK_TRY);
      assert.deepEqual(configOf(h), { type: 'config', save: false, config: rec({ ssid: 'Net', token: TOKEN }) });
    });
  }

  it('lets a non-empty ssidManual override ssid (hidden networks)', () => {
    h.req('/config?ssid=Visible&ssidManual=Hidden%20Net&blynk=' + TOKEN);
    assert.equal((configOf(h) as { config: ConfigRecord }).config.ssid, 'Hidden Net');
    const h2 = harness();
    h2.req('/config?ssid=Visible&ssidManual=&blynk=' + TOKEN);
    assert.equal((configOf(h2) as { config: ConfigRecord }).config.ssid, 'Visible');
    const h3 = harness();
    h3.req('/config?ssidManual=OnlyManual&blynk=' + TOKEN);
    assert.equal((configOf(h3) as { config: ConfigRecord }).config.ssid, 'OnlyManual');
    h2.portal.stop();
    h3.portal.stop();
  });

  it('takes a full static IP configuration', () => {
    h.req('/config?ssid=Net&blynk=' + TOKEN + '&ip=192.168.1.50&mask=255.255.255.0&gw=192.168.1.1&dns=1.1.1.1&dns2=8.8.8.8');
    assert.deepEqual(configOf(h), {
      type: 'config', save: false,
      config: rec({
        ssid: 'Net', token: TOKEN, staticIp: true,
        ip: '192.168.1.50', mask: '255.255.255.0', gw: '192.168.1.1', dns: '1.1.1.1', dns2: '8.8.8.8'
      })
    });
  });

  it('uses the gateway as DNS when a static IP comes without dns', () => {
    h.req('/config?ssid=Net&blynk=' + TOKEN + '&ip=10.0.0.9&mask=255.0.0.0&gw=10.0.0.1');
    assert.deepEqual((configOf(h) as { config: ConfigRecord }).config, rec({
      ssid: 'Net', token: TOKEN, staticIp: true, ip: '10.0.0.9', mask: '255.0.0.0', gw: '10.0.0.1', dns: '10.0.0.1'
    }));
  });

  it('ignores mask/gw/dns without ip (DHCP)', () => {
    h.req('/config?ssid=Net&blynk=' + TOKEN + '&ip=&mask=garbage&gw=1.2.3.4');
    assert.deepEqual((configOf(h) as { config: ConfigRecord }).config, rec({ ssid: 'Net', token: TOKEN }));
  });

  it('reads parameters from a form body, in chunks, merged with the query (body wins)', () => {
    const body = 'ssid=From+Body&pass=p%26ss&blynk=' + TOKEN;
    const ex = h.req(post('/config?ssid=FromQuery&host=q.example', body, [body.slice(0, 7), body.slice(7, 20), body.slice(20)]));
    assert.equal(ex.status, 200);
    assert.equal(ex.body, OK_TRY);
    assert.deepEqual((configOf(h) as { config: ConfigRecord }).config, rec({
      ssid: 'From Body', pass: 'p&ss', token: TOKEN, host: 'q.example'
    }));
    assert.deepEqual(h.http.timeline.slice(-2), ['end 200', 'send config']);
  });

  it('answers a complete body at once, without waiting for the end of the request', () => {
    const body = 'ssid=N&blynk=' + TOKEN;
    const ex = h.req(Object.assign(post('/config', body), { end: false }));
    assert.equal(ex.status, 200);
    assert.equal(configOf(h)?.type, 'config');
  });

  it('ignores a body that is not url-encoded', () => {
    const ex = h.req({
      method: 'POST', url: '/config?ssid=Q&blynk=' + TOKEN,
      headers: { 'content-type': 'text/plain', 'content-length': '9' }, body: ['ssid=Body']
    });
    assert.equal(ex.status, 200);
    assert.equal((configOf(h) as { config: ConfigRecord }).config.ssid, 'Q');
  });

  it('rejects a form body with a bad escape with the 500 JSON', () => {
    const ex = h.req(post('/config?ssid=Q&blynk=' + TOKEN, 'pass=100%'));
    assert.equal(ex.status, 500);
    assert.equal(ex.body, INVALID);
    assert.deepEqual(h.events(), []);
  });

  it('/reset replies then sends reset', () => {
    const ex = h.req('/reset');
    assert.equal(ex.status, 200);
    assert.equal(ex.headers['Content-Type'], 'application/json');
    assert.equal(ex.body, '{"status":"ok","msg":"Configuration reset"}');
    assert.deepEqual(h.events(), [{ type: 'reset' }]);
    assert.deepEqual(h.http.timeline, ['send activity', 'end 200', 'send reset']);
  });

  it('/reboot replies then sends reboot', () => {
    const ex = h.req({ method: 'POST', url: '/reboot' });
    assert.equal(ex.status, 200);
    assert.equal(ex.headers['Content-Type'], 'application/json');
    assert.deepEqual(JSON.parse(ex.body), { status: 'ok', msg: 'Rebooting...' });
    assert.deepEqual(h.events(), [{ type: 'reboot' }]);
    assert.deepEqual(h.http.timeline, ['send activity', 'end 200', 'send reboot']);
  });

  for (const p of ['/update', '/update?x=1', '/nope', '/board_info.json/', '/config/', '/CONFIG', '/index.html', '']) {
    it('answers 404 for "' + p + '" (and still counts as activity)', () => {
      const ex = h.req({ method: 'POST', url: p });
      assert.equal(ex.status, 404);
      assert.deepEqual(h.sent, [{ type: 'activity' }]);
    });
  }

  it('accepts every method on every route', () => {
    for (const m of ['GET', 'POST', 'PUT', 'DELETE', 'HEAD', 'OPTIONS', 'BREW']) {
      assert.equal(h.req({ method: m, url: '/board_info.json' }).status, 200);
    }
    assert.equal(h.events().filter((e) => e.type === 'board_info').length, 7);
  });

  it('answers OS probes with 404 outside captive mode', () => {
    for (const p of PROBES) assert.equal(h.req(p).status, 404, p);
  });

  it('redirects every OS probe to the form in captive mode', () => {
    const c = harness({ captive: true });
    assert.equal(PROBES.length, 9);
    for (const p of PROBES) {
      const ex = c.req(p);
      assert.equal(ex.status, 302, p);
      assert.equal(ex.headers['Location'], PORTAL_URL);
      assert.equal(PORTAL_URL, 'http://192.168.4.1/');
    }
    assert.equal(c.req('/generate_204?x=1').status, 302);
    assert.equal(c.req('/generate_204 /gen_204').status, 404);
    assert.equal(c.req('/elsewhere').status, 404);
    assert.equal(c.req('/board_info.json').status, 200);
    c.portal.stop();
  });

  it('serves the form from flash one chunk at a time, next chunk on drain', () => {
    h.http.autoDrain = false;
    const ex = h.req('/');
    assert.equal(ex.status, 200);
    assert.equal(ex.headers['Content-Type'], 'text/html');
    let guard = 0;
    while (!ex.ended && guard++ < 100) {
      assert.equal(ex.pending, 1, 'one chunk in flight');
      ex.drain();
    }
    assert.equal(ex.body, FORM_HTML);
    const writes = ex.chunks;
    assert.equal(writes.length, Math.ceil(FORM_HTML.length / FORM_CHUNK_BYTES));
    for (const c of writes) assert.ok(c.length <= FORM_CHUNK_BYTES);
    for (const r of h.flash.reads) {
      assert.equal(r.name, FORM_FILE);
      assert.equal(r.length, FORM_CHUNK_BYTES);
    }
    assert.deepEqual(ex.violations, []);
  });

  it('streams the form with a drain that fires inside write (no recursion, no loss)', () => {
    h.flash.files[FORM_FILE] = 'x'.repeat(FORM_CHUNK_BYTES * 40 + 3);
    const ex = h.req('/');
    assert.equal(ex.body, h.flash.files[FORM_FILE]);
    assert.equal(ex.chunks.length, 41);
    assert.ok(ex.ended);
  });

  it('serves the built-in form when the file is missing', () => {
    delete h.flash.files[FORM_FILE];
    const ex = h.req('/');
    assert.equal(ex.status, 200);
    assert.equal(ex.headers['Content-Type'], 'text/html');
    assert.equal(ex.body, FALLBACK_FORM);
    assert.ok(FALLBACK_FORM.length < 512);
    for (const f of ['action="config"', 'name="ssid"', 'name="pass"', 'name="blynk"', 'name="host"', 'name="port_ssl"']) {
      assert.ok(FALLBACK_FORM.indexOf(f) >= 0, f);
    }
  });

  it('uses formFile from the options', () => {
    const c = harness({ formFile: 'other.htm' });
    c.flash.files['other.htm'] = '<p>other</p>';
    assert.equal(c.req('/').body, '<p>other</p>');
    c.portal.stop();
  });

  it('the form (lib/form.html) is a small GET form to config with every field and a scan list', () => {
    // Served from flash in FORM_CHUNK_BYTES pieces, so it costs flash, not RAM: 3 KB keeps it quick over the AP.
    assert.ok(FORM_HTML.length < 3072, 'size ' + FORM_HTML.length);
    assert.ok(/<form [^>]*action="config">/.test(FORM_HTML));
    assert.ok(!/method="post"/i.test(FORM_HTML));
    for (const f of ['ssid', 'ssidManual', 'pass', 'blynk', 'host', 'port_ssl']) {
      assert.ok(new RegExp('name="' + f + '"').test(FORM_HTML), f);
    }
    assert.ok(/<select name="ssid"/.test(FORM_HTML));
    assert.ok(FORM_HTML.indexOf("'wifi_scan.json'") >= 0);
    assert.ok(!/(src|href)=/.test(FORM_HTML), 'no external resources');
  });

  it('streams a long scan list one chunk at a time on drain (a crowded place, 15 long SSIDs)', () => {
    h.http.autoDrain = false;
    for (let i = 0; i < 20; i++) h.wifi.scanList.push(net('A network with a 32-byte name ' + String(i).padStart(2, '0'), -40 - i));
    const ex = h.req('/wifi_scan.json');
    assert.equal(ex.status, 200);
    assert.equal(ex.headers['Content-Type'], 'application/json');
    let guard = 0;
    while (!ex.ended && guard++ < 100) {
      assert.equal(ex.pending, 1, 'one chunk in flight');
      ex.drain();
    }
    const list = JSON.parse(ex.body);
    assert.equal(list.length, 15);
    assert.equal(list[0].ssid, 'A network with a 32-byte name 00');
    assert.equal(list[14].ssid, 'A network with a 32-byte name 14');
    assert.equal(ex.chunks.length, Math.ceil(ex.body.length / FORM_CHUNK_BYTES));
    for (const c of ex.chunks) assert.ok(c.length <= FORM_CHUNK_BYTES);
    assert.deepEqual(ex.violations, []);
  });

  it('a short scan list is one whole reply with Content-Length', () => {
    h.wifi.scanList = [net('A', -40), net('B', -50), net('C', -60)];
    const ex = h.req('/wifi_scan.json');
    assert.equal(ex.chunks.length, 1);
    assert.equal(ex.headers['Content-Type'], 'application/json');
    assert.equal(ex.headers['Content-Length'], String(ex.body.length));
    assert.deepEqual(JSON.parse(ex.body).map((e: { ssid: string }) => e.ssid), ['A', 'B', 'C']);
  });

  it('concurrent scan requests share one scan; the cap timer goes with it', () => {
    h.wifi.scanMode = 'manual';
    h.wifi.scanList = [net('A', -40), net('A', -70), net('B', -50)];
    const exs = [h.req('/wifi_scan.json'), h.req('/wifi_scan.json'), h.req('/wifi_scan.json')];
    assert.equal(h.wifi.scans, 1);
    for (const ex of exs) assert.equal(ex.status, null);
    h.wifi.finishScans();
    for (const ex of exs) assert.deepEqual(JSON.parse(ex.body).map((e: { ssid: string }) => e.ssid), ['A', 'B']);
    assert.equal(clock.countTimers(), 0, 'cap timer cleared');
    h.req('/wifi_scan.json');
    assert.equal(h.wifi.scans, 2, 'every later request scans afresh (no list kept in RAM)');
  });

  it('after a timed-out scan, a busy radio (it throws) gets the next request [] at once, and the late result is dropped', () => {
    h.wifi.scanMode = 'manual';
    h.wifi.scanList = [net('Late', -40)];
    const first = h.req('/wifi_scan.json');
    clock.tick(SCAN_TIMEOUT_MS);
    assert.equal(first.body, '[]');
    const second = h.req('/wifi_scan.json');
    assert.equal(h.wifi.scans, 2, 'tried again');
    assert.equal(second.body, '[]', 'the radio threw: answered at once');
    assert.doesNotThrow(() => h.wifi.finishScans());
    assert.equal(clock.countTimers(), 0);
    for (const ex of [first, second]) assert.deepEqual(ex.violations, []);
  });

  it('scan list: [] when nothing is visible, no "hidden" field, hidden networks left out', () => {
    assert.equal(h.req('/wifi_scan.json').body, '[]');
    const h2 = harness();
    h2.wifi.scanList = [net('', -30, { hidden: true }), net('Seen', -60)];
    const list = JSON.parse(h2.req('/wifi_scan.json').body);
    assert.deepEqual(list, [{ ssid: 'Seen', bssid: list[0].bssid, rssi: -60, sec: 'WPA2', ch: 6 }]);
    h2.portal.stop();
  });

  it('waits at most 20 s for a scan that never finishes, then answers []', () => {
    h.wifi.scanMode = 'never';
    const ex = h.req('/wifi_scan.json');
    assert.equal(ex.status, null);
    clock.tick(SCAN_TIMEOUT_MS - 1);
    assert.equal(ex.status, null);
    clock.tick(1);
    assert.equal(ex.status, 200);
    assert.equal(ex.body, '[]');
    assert.ok(ex.ended);
  });

  it('a streamed reply whose client never drains is cut after RESPONSE_TIMEOUT_MS', () => {
    h.http.autoDrain = false;
    const ex = h.req('/');
    assert.equal(ex.chunks.length, 1);
    clock.tick(RESPONSE_TIMEOUT_MS);
    assert.ok(ex.ended);
    assert.deepEqual(ex.violations, []);
    ex.drain();
    assert.deepEqual(ex.violations, [], 'nothing written after the cut');
  });

  it('rejects a URL over MAX_URL_BYTES with 414 and nothing sent', () => {
    const ex = h.req('/config?ssid=Net&blynk=' + TOKEN + '&pass=' + 'p'.repeat(MAX_URL_BYTES));
    assert.equal(ex.status, 414);
    assert.deepEqual(h.events(), []);
  });

  it('rejects a Content-Length over MAX_BODY_BYTES with 413 before reading it', () => {
    const ex = h.req({ method: 'POST', url: '/config', headers: { 'Content-Length': String(MAX_BODY_BYTES + 1) }, end: false });
    assert.equal(ex.status, 413);
    ex.data('ssid=x');
    ex.end();
    assert.deepEqual(ex.violations, []);
    assert.deepEqual(h.events(), []);
  });

  it('rejects a chunked body that grows over MAX_BODY_BYTES with 413', () => {
    const ex = h.req({ method: 'POST', url: '/config', headers: { 'Transfer-Encoding': 'chunked' }, end: false });
    assert.equal(ex.status, null);
    for (let i = 0; i < 20 && ex.status === null; i++) ex.data('pass=' + 'x'.repeat(95));
    assert.equal(ex.status, 413);
    assert.deepEqual(h.events(), []);
  });

  it('accepts a chunked (length-less) form body once the request ends', () => {
    const ex = h.req({ method: 'POST', url: '/config', headers: { 'Transfer-Encoding': 'chunked' }, body: ['ssid=C&', 'blynk=' + TOKEN] });
    assert.equal(ex.status, 200);
    assert.equal((configOf(h) as { config: ConfigRecord }).config.ssid, 'C');
  });

  it('gives 408 to a body that never completes, after REQUEST_TIMEOUT_MS', () => {
    const ex = h.req({ method: 'POST', url: '/config', headers: { 'Content-Length': '100' }, body: ['ssid=Net&blynk=' + TOKEN], end: false });
    clock.tick(REQUEST_TIMEOUT_MS - 1);
    assert.equal(ex.status, null);
    clock.tick(1);
    assert.equal(ex.status, 408);
    assert.ok(ex.ended);
    ex.data('x'.repeat(100));
    ex.end();
    assert.deepEqual(ex.violations, []);
    assert.deepEqual(h.events(), []);
  });

  it('gives 400 to a body that ends short of its Content-Length (a truncated password is never used)', () => {
    const ex = h.req({ method: 'POST', url: '/config', headers: { 'Content-Length': '60' }, body: ['ssid=Net&blynk=' + TOKEN + '&pass=trunc'] });
    assert.equal(ex.status, 400);
    assert.deepEqual(h.events(), []);
  });

  it('gives 400 to a malformed Content-Length', () => {
    for (const v of ['abc', '-1', '1e3', '']) {
      const ex = h.req({ method: 'POST', url: '/reset', headers: { 'Content-Length': v } });
      assert.equal(ex.status, 400, v);
    }
    assert.deepEqual(h.events(), []);
  });

  it('gives 400 to a bad escape on other routes, and does not act on it', () => {
    assert.equal(h.req('/reset?x=%zz').status, 400);
    assert.equal(h.req('/board_info.json?a=%').status, 400);
    assert.deepEqual(h.events(), []);
  });

  it('answers 500 and logs when info() throws; the next request works', () => {
    const c = harness({ info: () => { throw new Error('boom'); } });
    const ex = c.req('/board_info.json');
    assert.equal(ex.status, 500);
    assert.ok(c.logs.some((l) => l.indexOf('boom') >= 0));
    assert.deepEqual(c.events(), []);
    assert.equal(c.req('/reset').status, 200);
    c.portal.stop();
  });

  it('survives a send() that throws, a log() that throws and a response that throws', () => {
    const c = harness({ send: () => { throw new Error('machine'); }, log: () => { throw new Error('log'); } });
    assert.equal(c.req('/config?ssid=N&blynk=' + TOKEN).status, 200);
    c.portal.stop();
    const d = harness();
    const res = {
      writeHead: () => { throw new Error('socket gone'); },
      write: () => { throw new Error('socket gone'); },
      end: () => { throw new Error('socket gone'); },
      on: () => undefined
    };
    const handler = (d.http as unknown as { handler: (req: unknown, res: unknown) => void }).handler;
    assert.doesNotThrow(() => handler({ method: 'GET', url: '/board_info.json', headers: {}, on() {} }, res));
    assert.doesNotThrow(() => handler({ method: 'GET', url: '/', headers: {}, on() {} }, res));
    d.portal.stop();
  });

  it('stop() during a pending body or scan clears every timer and sends nothing later', () => {
    h.wifi.scanMode = 'manual';
    const a = h.req({ method: 'POST', url: '/config', headers: { 'Content-Length': '50' }, end: false });
    const b = h.req('/wifi_scan.json');
    assert.ok(clock.countTimers() >= 2);
    h.portal.stop();
    assert.equal(clock.countTimers(), 0);
    h.wifi.finishScans();
    a.data('ssid=Net&blynk=' + TOKEN + '&p=1');
    a.end();
    clock.tick(60000);
    assert.equal(a.status, null);
    assert.equal(b.status, null);
    assert.deepEqual(h.events(), []);
  });

  it('never logs parameter values (passwords, tokens)', () => {
    h.req('/config?ssid=MyHomeNet&pass=TopSecret123&blynk=' + TOKEN);
    h.req('/config?ssid=MyHomeNet&pass=TopSecret123&blynk=short');
    h.req(post('/config', 'ssid=MyHomeNet&pass=TopSecret123&blynk=' + TOKEN));
    assert.ok(h.logs.length >= 3);
    for (const l of h.logs) {
      for (const secret of ['TopSecret123', TOKEN, 'MyHomeNet', 'short']) assert.ok(l.indexOf(secret) < 0, l);
    }
  });

  it('sends activity first for every request, even rejected ones', () => {
    h.req('/nope');
    h.req('/config?ssid=x');
    h.req('/reset?%');
    h.req('/' + 'x'.repeat(MAX_URL_BYTES + 1));
    assert.deepEqual(h.sent, [{ type: 'activity' }, { type: 'activity' }, { type: 'activity' }, { type: 'activity' }]);
  });
});
