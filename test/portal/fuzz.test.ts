import { strict as assert } from 'assert';
import sinon from 'sinon';
import { ConfigRecord, PortalRequest } from '../../lib/types';
import { CAPTIVE_PATHS, MAX_BODY_BYTES, MAX_URL_BYTES, REQUEST_TIMEOUT_MS } from '../../lib/portal';
import { FakeRequestSpec } from '../fakes/http';
import { Harness, TOKEN, fakeTimers, harness, net } from './helpers';

// ---------------------------------------------------------------------------
// Reproducible PRNG (mulberry32) and generators.

function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  return {
    int,
    chance: (p: number) => next() < p,
    pick: <T>(xs: T[]): T => xs[int(xs.length)]
  };
}
type Rng = ReturnType<typeof prng>;

const SAFE = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.~';

function randBytes(r: Rng, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) {
    const k = r.int(10);
    s += String.fromCharCode(k < 5 ? SAFE.charCodeAt(r.int(SAFE.length)) : k < 7 ? 32 + r.int(95) : k < 9 ? 128 + r.int(128) : r.int(32));
  }
  return s;
}

/** Percent-encodes bytes, choosing per byte between literal (when safe), `+`, upper and lower hex. */
function enc(r: Rng, s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ch = s.charAt(i);
    if (SAFE.indexOf(ch) >= 0 && r.chance(0.8)) out += ch;
    else if (c === 32 && r.chance(0.5)) out += '+';
    else {
      const h = (c < 16 ? '0' : '') + c.toString(16);
      out += '%' + (r.chance(0.5) ? h.toUpperCase() : h);
    }
  }
  return out;
}

function randIp(r: Rng): string {
  if (r.chance(0.1)) return r.pick(['1.2.3', '256.1.1.1', '01.2.3.4', 'a.b.c.d', '1.2.3.4.5', '', ' 1.2.3.4']);
  return [r.int(256), r.int(256), r.int(256), r.int(256)].join('.');
}

function randToken(r: Rng): string {
  const A = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_';
  let t = '';
  const n = r.chance(0.9) ? 32 : r.pick([0, 31, 33, 40]);
  for (let i = 0; i < n; i++) t += A.charAt(r.int(A.length));
  if (r.chance(0.05) && n > 0) t = t.slice(1) + r.pick(['.', ' ', '+', '/', '\xe9']);
  return t;
}

/** A (mostly) valid list of /config parameters. */
function configParams(r: Rng): Array<[string, string]> {
  const p: Array<[string, string]> = [];
  p.push(['ssid', randBytes(r, r.chance(0.9) ? 1 + r.int(32) : r.int(36))]);
  if (r.chance(0.2)) p.push(['ssidManual', randBytes(r, r.int(34))]);
  if (r.chance(0.9)) p.push(['pass', randBytes(r, r.chance(0.9) ? r.int(65) : 60 + r.int(10))]);
  p.push(['blynk', randToken(r)]);
  if (r.chance(0.5)) p.push(['host', r.chance(0.8) ? 'blynk.cloud' : randBytes(r, r.int(70))]);
  if (r.chance(0.3)) p.push(['port', r.chance(0.8) ? String(1 + r.int(65535)) : r.pick(['0', '65536', '-1', '80a', '', '000080', '1e3'])]);
  if (r.chance(0.3)) p.push(['port_ssl', r.chance(0.8) ? String(1 + r.int(65535)) : r.pick(['0', '99999', 'x', ''])]);
  if (r.chance(0.2)) {
    p.push(['ip', randIp(r)]);
    if (r.chance(0.9)) p.push(['mask', randIp(r)]);
    if (r.chance(0.9)) p.push(['gw', randIp(r)]);
    if (r.chance(0.6)) p.push(['dns', randIp(r)]);
    if (r.chance(0.4)) p.push(['dns2', randIp(r)]);
  }
  if (r.chance(0.3)) p.push(['save', r.pick(['1', '0', 'true', 'false', 'TRUE', '', '2', 'yes', '00', '-1'])]);
  if (r.chance(0.2)) p.push(['if', r.pick(['wifi', '', 'eth', 'WIFI', 'wifi '])]);
  if (r.chance(0.1)) p.push([randBytes(r, 1 + r.int(6)), randBytes(r, r.int(10))]);
  // Shuffle.
  for (let i = p.length - 1; i > 0; i--) {
    const j = r.int(i + 1);
    const t = p[i];
    p[i] = p[j];
    p[j] = t;
  }
  return p;
}

function encodeParams(r: Rng, p: Array<[string, string]>): string {
  return p.map(([k, v]) => (r.chance(0.02) ? enc(r, k) : enc(r, k)) + (v === '' && r.chance(0.3) ? '' : '=' + enc(r, v))).join('&');
}

/** Damages an encoded string the ways broken clients and attackers do. */
function mutate(r: Rng, s: string): string {
  const n = 1 + r.int(3);
  for (let i = 0; i < n; i++) {
    const at = r.int(s.length + 1);
    switch (r.int(8)) {
      case 0: s = s.slice(0, at) + String.fromCharCode(r.int(256)) + s.slice(at + 1); break;
      case 1: s = s.slice(0, at); break;
      case 2: s = s.slice(0, at) + '%' + s.slice(at); break;
      case 3: s = s.slice(0, at) + r.pick(['&', '=', '+', '%2', '%zz', '&&', '=&=']) + s.slice(at); break;
      case 4: { const parts = s.split('&'); s = s + '&' + r.pick(parts); break; }
      case 5: s = s + '&' + r.pick(['pass', 'ssid', 'blynk', 'host']) + '=' + 'A'.repeat(r.int(1200)); break;
      case 6: s = s.slice(0, at) + s.slice(at + 1 + r.int(5)); break;
      default: s = s.slice(0, at) + s.slice(at).toUpperCase(); break;
    }
  }
  return s;
}

function chunk(r: Rng, body: string): string[] {
  const out: string[] = [];
  let rest = body;
  while (rest.length > 0) {
    const k = 1 + r.int(Math.min(rest.length, 200));
    out.push(rest.slice(0, k));
    rest = rest.slice(k);
  }
  if (r.chance(0.1)) out.splice(r.int(out.length + 1), 0, '');
  return out;
}

const PATHS = ['/config', '/board_info.json', '/wifi_scan.json', '/reset', '/reboot', '/', '/update', '/generate_204', '/hotspot-detect.html', '/nope', '/config/', '/Config', '//config', '/config.json'];

function makeRequest(r: Rng): FakeRequestSpec {
  const method = r.chance(0.8) ? r.pick(['GET', 'POST']) : r.pick(['PUT', 'DELETE', 'HEAD', 'OPTIONS', 'PATCH', randBytes(r, 1 + r.int(8))]);
  const kind = r.int(10);
  let path: string;
  let query = '';
  let body = '';
  if (kind < 6) {
    path = '/config';
    const encoded = encodeParams(r, configParams(r));
    const damaged = r.chance(0.4) ? mutate(r, encoded) : encoded;
    if (r.chance(0.7)) query = damaged;
    else {
      body = damaged;
      if (r.chance(0.3)) query = encodeParams(r, configParams(r).slice(0, 2));
    }
  } else if (kind < 9) {
    path = r.pick(PATHS);
    if (r.chance(0.3)) query = r.chance(0.5) ? encodeParams(r, configParams(r)) : randBytes(r, r.int(40));
    if (r.chance(0.2)) body = randBytes(r, r.int(300));
  } else {
    path = r.chance(0.5) ? '/' + randBytes(r, r.int(60)) : randBytes(r, r.int(60));
    if (r.chance(0.3)) query = randBytes(r, r.int(100));
  }
  let url = path + (query !== '' || r.chance(0.1) ? '?' + query : '');
  if (r.chance(0.02)) url += 'x'.repeat(MAX_URL_BYTES);
  const headers: { [k: string]: string } = {};
  let chunks: string[] = [];
  let end = true;
  if (body !== '' || r.chance(0.05)) {
    const ctName = r.pick(['Content-Type', 'content-type', 'CONTENT-TYPE']);
    const ct = r.int(10);
    if (ct < 6) headers[ctName] = r.pick(['application/x-www-form-urlencoded', 'application/x-www-form-urlencoded; charset=UTF-8', 'Application/X-WWW-Form-Urlencoded']);
    else if (ct < 8) headers[ctName] = r.pick(['text/plain', 'application/json', 'multipart/form-data; boundary=x']);
    const framing = r.int(10);
    if (framing < 6) headers[r.pick(['Content-Length', 'content-length'])] = String(body.length);
    else if (framing < 7) headers['Content-Length'] = String(Math.max(0, body.length + r.int(40) - 20));
    else if (framing < 8) headers['Content-Length'] = r.pick(['abc', '-5', '1e2', ' 12 ', '99999999999', String(MAX_BODY_BYTES + 1), '']);
    else if (framing < 9) headers['Transfer-Encoding'] = 'chunked';
    chunks = chunk(r, body);
    if (r.chance(0.1)) end = false;
  }
  return { method, url, headers, body: chunks, end };
}

// ---------------------------------------------------------------------------
// The oracle: an independent model of what the portal must do.

function odecode(s: string): Map<string, string> | null {
  const m = new Map<string, string>();
  for (const part of s.split('&')) {
    if (part === '') continue;
    const i = part.indexOf('=');
    const k = ounescape(i < 0 ? part : part.slice(0, i));
    const v = ounescape(i < 0 ? '' : part.slice(i + 1));
    if (k === null || v === null) return null;
    if (k !== '' && k !== '__proto__') m.set(k, v);
  }
  return m;
}

function ounescape(s: string): string | null {
  if (/%(?![0-9a-fA-F]{2})/.test(s)) return null;
  return s.replace(/\+/g, ' ').replace(/%([0-9a-fA-F]{2})/g, (_, h) => String.fromCharCode(parseInt(h, 16)));
}

const IP_RE = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]\d|\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]\d|\d)){3}$/;

function oport(s: string, def: number): number | null {
  if (s === '') return def;
  if (!/^\d{1,5}$/.test(s)) return null;
  const n = Number(s);
  return n >= 1 && n <= 65535 ? n : null;
}

/** The record a /config should produce, or null if it must be rejected. */
function orecord(m: Map<string, string>): { rec: ConfigRecord; save: boolean } | null {
  const g = (k: string) => m.get(k) ?? '';
  const ssid = g('ssidManual') !== '' ? g('ssidManual') : g('ssid');
  if (ssid.length < 1 || ssid.length > 32) return null;
  if (g('pass').length > 64) return null;
  if (!/^[-_a-zA-Z0-9]{32}$/.test(g('blynk'))) return null;
  const host = g('host') === '' ? 'blynk.cloud' : g('host');
  if (host.length > 64) return null;
  const port = oport(g('port'), 80);
  const portSsl = oport(g('port_ssl'), 443);
  if (port === null || portSsl === null) return null;
  if (g('if') !== '' && g('if') !== 'wifi') return null;
  const rec: ConfigRecord = {
    valid: false, staticIp: false, ssid, pass: g('pass'), token: g('blynk'), host, port, portSsl,
    ip: '', mask: '', gw: '', dns: '', dns2: '', lastError: 0, fwVer: ''
  };
  if (g('ip') !== '') {
    rec.staticIp = true;
    rec.ip = g('ip');
    rec.mask = g('mask');
    rec.gw = g('gw');
    rec.dns = g('dns') !== '' ? g('dns') : g('gw');
    rec.dns2 = g('dns2');
    for (const v of [rec.ip, rec.mask, rec.gw, rec.dns]) if (!IP_RE.test(v)) return null;
    if (rec.dns2 !== '' && !IP_RE.test(rec.dns2)) return null;
  }
  const sv = g('save');
  const save = /^true$/i.test(sv) || (/^\d+$/.test(sv) && Number(sv) > 0);
  return { rec, save };
}

interface Expect {
  status: number;
  events: PortalRequest[];
}

function getHeader(h: { [k: string]: string }, name: string): string | undefined {
  for (const k of Object.keys(h)) if (k.toLowerCase() === name) return h[k];
  return undefined;
}

function oracle(spec: FakeRequestSpec, captive: boolean): Expect {
  const ev: PortalRequest[] = [{ type: 'activity' }];
  const url = spec.url;
  if (url.length > MAX_URL_BYTES) return { status: 414, events: ev };
  const h = spec.headers || {};
  const cl = getHeader(h, 'content-length');
  const te = getHeader(h, 'transfer-encoding');
  const all = (spec.body || []).join('');
  let body = '';
  if (cl !== undefined) {
    if (!/^\d{1,9}$/.test(cl.trim())) return { status: 400, events: ev };
    const n = Number(cl.trim());
    if (n > MAX_BODY_BYTES) return { status: 413, events: ev };
    if (n > 0) {
      if (all.length >= n) body = all.slice(0, n);
      else return { status: spec.end === false ? 408 : 400, events: ev };
    }
  } else if (te !== undefined) {
    if (all.length > MAX_BODY_BYTES) return { status: 413, events: ev };
    if (spec.end === false) return { status: 408, events: ev };
    body = all;
  }
  const qi = url.indexOf('?');
  const path = qi < 0 ? url : url.slice(0, qi);
  const query = qi < 0 ? '' : url.slice(qi + 1);
  if (path === '/config') {
    const q = odecode(query);
    const ct = getHeader(h, 'content-type');
    const isForm = ct === undefined || ct.toLowerCase().includes('application/x-www-form-urlencoded');
    const b = body !== '' && isForm ? odecode(body) : new Map<string, string>();
    if (q === null || b === null) return { status: 500, events: ev };
    for (const [k, v] of b) q.set(k, v);
    const want = orecord(q);
    if (want === null) return { status: 500, events: ev };
    return { status: 200, events: ev.concat([{ type: 'config', config: want.rec, save: want.save }]) };
  }
  if (odecode(query) === null) return { status: 400, events: ev };
  switch (path) {
    case '/board_info.json': return { status: 200, events: ev.concat([{ type: 'board_info' }]) };
    case '/wifi_scan.json': return { status: 200, events: ev };
    case '/': return { status: 200, events: ev };
    case '/reset': return { status: 200, events: ev.concat([{ type: 'reset' }]) };
    case '/reboot': return { status: 200, events: ev.concat([{ type: 'reboot' }]) };
  }
  if (captive && CAPTIVE_PATHS.split(' ').includes(path)) return { status: 302, events: ev };
  return { status: 404, events: ev };
}

// ---------------------------------------------------------------------------

describe('portal fuzz', () => {
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => {
    clock = fakeTimers();
  });
  afterEach(() => {
    clock.restore();
  });

  function run(seed: number, count: number, captive: boolean) {
    const r = prng(seed);
    const h: Harness = harness({ captive });
    h.wifi.scanList = [net('Home', -50), net('Cafe \xc3\xa9', -70), net('Home', -80)];
    let configs = 0;
    let rejectedConfigs = 0;
    const statuses = new Map<number, number>();
    const pending: Array<{ ex: ReturnType<Harness['req']>; want: Expect; spec: FakeRequestSpec }> = [];
    const check = (ex: ReturnType<Harness['req']>, want: Expect, spec: FakeRequestSpec, got: PortalRequest[]) => {
      const label = JSON.stringify(spec).slice(0, 400);
      assert.equal(ex.status, want.status, label);
      assert.ok(ex.ended, 'response ended: ' + label);
      assert.deepEqual(ex.violations, [], label);
      assert.deepEqual(got, want.events, label);
      statuses.set(want.status, (statuses.get(want.status) || 0) + 1);
      if (want.events.some((e) => e.type === 'config')) configs++;
      else if (spec.url.startsWith('/config')) rejectedConfigs++;
    };
    for (let i = 0; i < count; i++) {
      const spec = makeRequest(r);
      const want = oracle(spec, captive);
      const before = h.sent.length;
      let ex;
      try {
        ex = h.req(spec);
      } catch (e) {
        assert.fail('exception escaped for ' + JSON.stringify(spec) + ': ' + e);
      }
      if (want.status === 408) {
        assert.equal(ex.status, null, 'still waiting for the body');
        pending.push({ ex, want, spec });
        assert.deepEqual(h.sent.slice(before), want.events);
      } else {
        check(ex, want, spec, h.sent.slice(before));
      }
      if (pending.length > 0 && (r.chance(0.05) || i === count - 1)) {
        const mark = h.sent.length;
        clock.tick(REQUEST_TIMEOUT_MS);
        assert.equal(h.sent.length, mark, 'a timeout sends nothing');
        for (const p of pending.splice(0)) check(p.ex, p.want, p.spec, p.want.events);
      }
    }
    assert.equal(clock.countTimers(), 0, 'every request finished, no timer left');
    h.portal.stop();
    assert.equal(clock.countTimers(), 0);
    for (const l of h.logs) assert.ok(l.startsWith('portal: '));
    return { configs, rejectedConfigs, statuses };
  }

  it('12,000 random and mutated requests match the oracle (not captive)', function () {
    this.timeout(60000);
    const res = run(20240611, 12000, false);
    if (process.env.FUZZ_STATS) console.log(res);
    assert.ok(res.configs > 500, 'enough valid configs: ' + res.configs);
    assert.ok(res.rejectedConfigs > 1500, 'enough invalid configs: ' + res.rejectedConfigs);
    for (const s of [200, 400, 404, 408, 413, 414, 500]) assert.ok((res.statuses.get(s) || 0) > 10, 'status ' + s + ' exercised: ' + res.statuses.get(s));
  });

  it('3,000 more in captive mode', function () {
    this.timeout(60000);
    const res = run(7, 3000, true);
    assert.ok((res.statuses.get(302) || 0) > 10, '302 exercised');
  });

  it('stop() with requests in flight leaves no timer and no later callback', () => {
    const r = prng(99);
    const h = harness();
    h.wifi.scanMode = 'manual';
    const open: Array<ReturnType<Harness['req']>> = [];
    for (let i = 0; i < 50; i++) {
      const spec = makeRequest(r);
      spec.end = false;
      open.push(h.req(spec));
    }
    open.push(h.req('/wifi_scan.json'));
    h.portal.stop();
    assert.equal(clock.countTimers(), 0);
    const mark = h.sent.length;
    h.wifi.finishScans();
    for (const ex of open) {
      ex.data('ssid=x&blynk=' + TOKEN);
      ex.end();
      ex.drain();
    }
    clock.tick(120000);
    assert.equal(h.sent.length, mark);
    for (const ex of open) assert.deepEqual(ex.violations, []);
  });
});
