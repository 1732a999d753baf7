import { strict as assert } from 'assert';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { connect as tcpConnect, Socket } from 'node:net';
import { join } from 'node:path';
import { createCloudServer, CloudServer } from '../../sim/cloud';
import { api, closeAllRaw, RawClient, sleep, waitFor } from './sim-helpers';
import { fields } from './wire';

const TOKEN_RE = /^[-_a-zA-Z0-9]{32}$/;

describe('simulated cloud', function () {
  this.timeout(10000);
  let cloud: CloudServer;
  let http: number;
  let org: number;
  let user: number;

  /** A token issued over HTTP for `template`. */
  async function issue(template = 'TMPL0001'): Promise<string> {
    const r = await api(http, 'POST', '/api/tokens', { user, org, template });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return r.body.token;
  }

  /** Logs a raw client in with a fresh token; returns it, the token and the device id. */
  async function device(template = 'TMPL0001', tls = false): Promise<{ c: RawClient; token: string; id: number }> {
    const token = await issue(template);
    const c = await RawClient.connect(tls ? cloud.ports.tls : cloud.ports.tcp, tls);
    const rsp = await c.login(token);
    assert.deepEqual([rsp.type, rsp.id, rsp.len], [0, 1, 200]);
    return { c, token, id: cloud.api.getToken(token).device as number };
  }

  beforeEach(async () => {
    cloud = createCloudServer();
    await cloud.start();
    http = cloud.ports.http;
    org = (await api(http, 'POST', '/api/orgs', { name: 'Acme' })).body.id;
    user = (await api(http, 'POST', `/api/orgs/${org}/users`, { email: 'ann@acme.test' })).body.id;
  });

  afterEach(async () => {
    closeAllRaw();
    await cloud.stop();
  });

  describe('HTTP API and model', () => {
    it('reports the ephemeral ports it chose', () => {
      for (const p of [cloud.ports.tcp, cloud.ports.tls, cloud.ports.http]) assert.ok(p > 0);
      assert.equal(new Set([cloud.ports.tcp, cloud.ports.tls, cloud.ports.http]).size, 3);
    });

    it('creates organizations and users', async () => {
      assert.deepEqual((await api(http, 'GET', '/api/orgs')).body, [{ id: org, name: 'Acme' }]);
      assert.deepEqual((await api(http, 'GET', `/api/orgs/${org}/users`)).body, [{ id: user, org, email: 'ann@acme.test' }]);
      assert.equal((await api(http, 'POST', '/api/orgs/999/users', { email: 'x' })).status, 404);
      assert.equal((await api(http, 'POST', '/api/orgs', {})).status, 400);
    });

    it('issues 32-char [-_a-zA-Z0-9] tokens, all different, covering the alphabet', async () => {
      const tokens = new Set<string>();
      for (let i = 0; i < 1000; i++) tokens.add(cloud.api.issueToken({ user, org, template: 'T' }).token);
      assert.equal(tokens.size, 1000);
      for (const t of tokens) assert.match(t, TOKEN_RE);
      const chars = new Set([...tokens].join(''));
      assert.equal(chars.size, 64, 'every symbol of the alphabet appears');
      assert.match(await issue(), TOKEN_RE);
    });

    it('refuses tokens for a user outside the organization, unknown users, missing template', async () => {
      const other = (await api(http, 'POST', '/api/orgs', { name: 'Other' })).body.id;
      assert.equal((await api(http, 'POST', '/api/tokens', { user, org: other, template: 'T' })).status, 403);
      assert.equal((await api(http, 'POST', '/api/tokens', { user: 4242, org, template: 'T' })).status, 404);
      assert.equal((await api(http, 'POST', '/api/tokens', { user, org })).status, 400);
    });

    it('answers unknown routes 404, wrong methods 405, bad JSON 400', async () => {
      assert.equal((await api(http, 'GET', '/nope')).status, 404);
      assert.equal((await api(http, 'PATCH', '/api/orgs')).status, 405);
      const bad = await api(http, 'POST', '/api/orgs', undefined, '{nope');
      assert.deepEqual([bad.status, bad.body], [400, { error: 'invalid JSON' }]);
    });

    it('a token is pending until the first login, which claims the device for the org and template', async () => {
      const token = await issue('TMPLabc');
      assert.equal((await api(http, 'GET', `/api/tokens/${token}`)).body.device, null);
      assert.deepEqual((await api(http, 'GET', `/api/orgs/${org}/devices`)).body, []);
      const c = await RawClient.connect(cloud.ports.tcp);
      const rsp = await c.login(token);
      assert.deepEqual([rsp.type, rsp.id, rsp.len], [0, 1, 200]);
      const list = (await api(http, 'GET', `/api/orgs/${org}/devices`)).body;
      assert.equal(list.length, 1);
      assert.equal(list[0].template, 'TMPLabc');
      assert.equal(list[0].org, org);
      assert.equal(list[0].online, true);
      assert.equal((await api(http, 'GET', `/api/tokens/${token}`)).body.device, list[0].id);
      c.close();
      await waitFor(() => !cloud.api.getDevice(list[0].id).online, 2000, 'offline');
      const again = await RawClient.connect(cloud.ports.tcp);
      await again.login(token);
      assert.equal((await api(http, 'GET', `/api/orgs/${org}/devices`)).body.length, 1, 'same device on the next login');
    });

    it('transfers a device to another organization', async () => {
      const { id } = await device();
      const other = (await api(http, 'POST', '/api/orgs', { name: 'Buyer' })).body.id;
      const r = await api(http, 'POST', `/api/devices/${id}/transfer`, { org: other });
      assert.equal(r.status, 200);
      assert.equal(r.body.org, other);
      assert.deepEqual((await api(http, 'GET', `/api/orgs/${org}/devices`)).body, []);
      assert.deepEqual((await api(http, 'GET', `/api/orgs/${other}/devices`)).body.map((d: any) => d.id), [id]);
      assert.equal((await api(http, 'POST', `/api/devices/${id}/transfer`, { org: 777 })).status, 404);
    });

    it('deleting a device drops its link and its token then gets status 9', async () => {
      const { c, token, id } = await device();
      assert.equal((await api(http, 'DELETE', `/api/devices/${id}`)).status, 204);
      await c.waitClosed();
      assert.equal((await api(http, 'GET', `/api/devices/${id}`)).status, 404);
      const c2 = await RawClient.connect(cloud.ports.tcp);
      const rsp = await c2.login(token);
      assert.deepEqual([rsp.type, rsp.len], [0, 9]);
      await c2.waitClosed();
      assert.equal(cloud.api.getToken(token).revoked, true);
    });

    it('rejects an unknown token with status 9 and closes', async () => {
      const c = await RawClient.connect(cloud.ports.tcp);
      const rsp = await c.login('0123456789abcdefghijABCDEFGHIJ-_');
      assert.deepEqual([rsp.type, rsp.id, rsp.len], [0, 1, 9]);
      await c.waitClosed();
    });

    it('persists through the data file', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'simcloud-'));
      const file = join(dir, 'cloud.json');
      try {
        const a = createCloudServer({ dataFile: file });
        await a.start();
        const o = a.api.createOrg('Persisted');
        const u = a.api.createUser(o.id, 'p@x.test');
        const { token } = a.api.issueToken({ user: u.id, org: o.id, template: 'TMPLp' });
        const c = await RawClient.connect(a.ports.tcp);
        await c.login(token);
        c.send(17, 2, ['mcu', '1.0', 'tmpl', 'TMPLp']);
        c.send(20, 3, ['vw', 4, 'kept']);
        const id = a.api.getToken(token).device as number;
        await waitFor(() => !!a.api.getDevice(id).pins['4']);
        c.close();
        await a.stop();
        assert.ok(JSON.parse(readFileSync(file, 'utf8')).devices.length === 1);

        const b = createCloudServer({ dataFile: file });
        await b.start();
        try {
          const d = b.api.getDevice(id);
          assert.deepEqual([d.org, d.template, d.pins['4'], d.info.mcu, d.online], [o.id, 'TMPLp', ['kept'], '1.0', false]);
          assert.deepEqual(b.api.listOrgs().map((x) => x.name), ['Persisted']);
          const c2 = await RawClient.connect(b.ports.tcp);
          const rsp = await c2.login(token);
          assert.equal(rsp.len, 200, 'the token is still valid');
          const t2 = b.api.issueToken({ user: u.id, org: o.id, template: 'T' }).token;
          assert.notEqual(t2, token);
          assert.ok(b.api.createOrg('next').id > d.id, 'ids keep counting');
        } finally {
          closeAllRaw();
          await b.stop();
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('stop() closes open connections, even a TLS handshake that never finishes', async () => {
      const { c } = await device();
      const half = await new Promise<Socket>((resolve) => {
        const s = tcpConnect({ host: '127.0.0.1', port: cloud.ports.tls }, () => resolve(s));
      });
      const halfClosed = new Promise((r) => half.on('close', r));
      half.on('error', () => {});
      const t0 = Date.now();
      await cloud.stop();
      await halfClosed;
      await c.waitClosed();
      assert.ok(Date.now() - t0 < 1000);
    });

    it('refuses to listen on a non-loopback address', () => {
      assert.throws(() => createCloudServer({ host: '0.0.0.0' }), /loopback/);
    });
  });

  describe('device protocol', () => {
    it('answers PING with RESPONSE 200 and the same id', async () => {
      const { c } = await device();
      c.send(6, 0x2345);
      const r = await c.next((f) => f.type === 0 && f.id === 0x2345);
      assert.equal(r.len, 200);
    });

    it('answers anything but a login with status 5 before login', async () => {
      const c = await RawClient.connect(cloud.ports.tcp);
      c.send(6, 7);
      assert.equal((await c.next((f) => f.id === 7)).len, 5);
    });

    it('answers a second login on the same connection with 4', async () => {
      const { c, token } = await device();
      c.send(29, 9, token);
      assert.equal((await c.next((f) => f.id === 9)).len, 4);
    });

    it('a second connection of the same device replaces the first', async () => {
      const { c, token, id } = await device();
      const c2 = await RawClient.connect(cloud.ports.tcp);
      assert.equal((await c2.login(token)).len, 200);
      await c.waitClosed();
      assert.equal(cloud.api.getDevice(id).online, true);
    });

    it('stores the info message, metadata and vw values (UTF-8)', async () => {
      const { c, id } = await device();
      c.send(17, 2, ['mcu', '0.1.0', 'fw-type', 'TMPL1', 'build', 'Jan 1', 'blynk', '1.3.2', 'h-beat', '40', 'buff-in', '1024', 'dev', 'ESP32', 'tmpl', 'TMPL1']);
      c.send(17, 3, ['meta', 'set', 'Hotspot Name', 'Blynk Caf\u00e9-0W8N']);
      c.send(20, 4, ['vw', 7, 'h\u00e9llo \u2713', '2']);
      await waitFor(() => !!cloud.api.getDevice(id).pins['7']);
      const d = (await api(http, 'GET', `/api/devices/${id}`)).body;
      assert.deepEqual(d.info, { mcu: '0.1.0', 'fw-type': 'TMPL1', build: 'Jan 1', blynk: '1.3.2', 'h-beat': '40', 'buff-in': '1024', dev: 'ESP32', tmpl: 'TMPL1' });
      assert.deepEqual(d.metadata, { 'Hotspot Name': 'Blynk Caf\u00e9-0W8N' });
      assert.deepEqual(d.pins, { '7': ['h\u00e9llo \u2713', '2'] });
    });

    it('sends HTTP pin writes to the online device and stores them for later', async () => {
      const { c, id } = await device();
      const r = await api(http, 'POST', `/api/devices/${id}/pins/3`, { value: ['on', 2] });
      assert.deepEqual(r.body, { delivered: true });
      const f = await c.next((x) => x.type === 20);
      assert.deepEqual(fields(f), ['vw', '3', 'on', '2']);
      assert.ok(f.id > 0);
      c.close();
      await waitFor(() => !cloud.api.getDevice(id).online);
      assert.deepEqual((await api(http, 'POST', `/api/devices/${id}/pins/5`, { value: 1.5 })).body, { delivered: false });
      assert.deepEqual(cloud.api.getDevice(id).pins, { '3': ['on', '2'], '5': ['1.5'] });
      assert.equal((await api(http, 'POST', `/api/devices/${id}/pins/5`, { value: { a: 1 } })).status, 400);
    });

    it('HARDWARE_SYNC resends the stored values of the asked pins, or all of them', async () => {
      const { c, id } = await device();
      cloud.api.writeVirtual(id, 1, 'one');
      cloud.api.writeVirtual(id, 2, ['two', 'b']);
      await c.next((f) => f.type === 20 && fields(f)[1] === '2');
      const n = c.frames.length;
      c.send(16, 10, ['vr', 2, 9]);
      const f = await c.next((x) => x.type === 20, 2000, n);
      assert.deepEqual(fields(f), ['vw', '2', 'two', 'b']);
      await sleep(50);
      assert.equal(c.frames.length, n + 1, 'pin 9 has no value, nothing sent');
      c.send(16, 11);
      await c.next(() => true, 2000, n + 2);
      assert.deepEqual(c.frames.slice(n + 1).map((x) => fields(x)[1]).sort(), ['1', '2']);
    });

    it('sends dbg commands to an online device, 409 when offline', async () => {
      const { c, id } = await device();
      assert.deepEqual((await api(http, 'POST', `/api/devices/${id}/commands`, { command: 'config start' })).body, { delivered: true });
      const f = await c.next((x) => x.type === 17);
      assert.deepEqual(fields(f), ['dbg', 'config start']);
      c.close();
      await waitFor(() => !cloud.api.getDevice(id).online);
      assert.equal((await api(http, 'POST', `/api/devices/${id}/commands`, { command: 'reboot' })).status, 409);
    });

    it('answers unknown message types and sub-commands with status 2', async () => {
      const { c } = await device();
      c.send(65, 12, ['event', 'x']);
      c.send(20, 13, ['dw', 1, 1]);
      assert.equal((await c.next((f) => f.id === 12)).len, 2);
      assert.equal((await c.next((f) => f.id === 13)).len, 2);
    });

    it('closes a connection that sends msg id 0', async () => {
      const { c } = await device();
      c.sendRaw(Buffer.from([6, 0, 0, 0, 0]));
      await c.waitClosed();
    });

    it('speaks the same protocol over TLS', async () => {
      const { c, id } = await device('TMPLtls', true);
      c.send(20, 2, ['vw', 1, 'secure']);
      await waitFor(() => !!cloud.api.getDevice(id).pins['1']);
      assert.equal(cloud.api.getDevice(id).template, 'TMPLtls');
    });
  });

  describe('fault injection', () => {
    it('refuse-login for one device answers its logins with the status; others log in', async () => {
      const { c, token, id } = await device();
      c.close();
      await api(http, 'POST', '/api/faults', { type: 'refuse-login', status: 19, device: id });
      const a = await RawClient.connect(cloud.ports.tcp);
      assert.equal((await a.login(token)).len, 19);
      await a.waitClosed();
      const other = await device();
      assert.ok(other.id !== id);
      assert.equal((await api(http, 'DELETE', `/api/faults?device=${id}`)).status, 204);
      const b = await RawClient.connect(cloud.ports.tcp);
      assert.equal((await b.login(token)).len, 200);
    });

    it('a global refuse-login hits every token, until cleared', async () => {
      const token = await issue();
      cloud.api.injectFault({ type: 'refuse-login', status: 9 });
      assert.deepEqual((await api(http, 'GET', '/api/faults')).body, { global: { loginStatus: 9 } });
      const a = await RawClient.connect(cloud.ports.tcp);
      assert.equal((await a.login(token)).len, 9);
      await api(http, 'DELETE', '/api/faults');
      const b = await RawClient.connect(cloud.ports.tcp);
      assert.equal((await b.login(token)).len, 200);
    });

    it('drop closes the live connections in scope only', async () => {
      const one = await device();
      const two = await device();
      const r = await api(http, 'POST', '/api/faults', { type: 'drop', device: one.id });
      assert.deepEqual(r.body, { affected: 1 });
      await one.c.waitClosed();
      await sleep(50);
      assert.equal(two.c.closed, false);
      await api(http, 'POST', '/api/faults', { type: 'drop' });
      await two.c.waitClosed();
    });

    it('no-pong leaves PINGs unanswered', async () => {
      const { c, id } = await device();
      await api(http, 'POST', '/api/faults', { type: 'no-pong', device: id });
      c.send(6, 21);
      c.send(20, 22, ['dw', 1]); // still talking otherwise
      await c.next((f) => f.id === 22);
      await sleep(100);
      assert.equal(c.frames.some((f) => f.id === 21), false);
    });

    it('redirect answers logins with REDIRECT host\\0port and is sent to online devices', async () => {
      const { c, token, id } = await device();
      const r = await api(http, 'POST', '/api/faults', { type: 'redirect', host: '127.0.0.1', port: 4321, device: id });
      assert.deepEqual(r.body, { affected: 1 });
      const live = await c.next((f) => f.type === 41);
      assert.deepEqual(fields(live), ['127.0.0.1', '4321']);
      await c.waitClosed();
      const a = await RawClient.connect(cloud.ports.tcp);
      const f = await a.login(token);
      assert.equal(f.type, 41);
      assert.deepEqual(fields(f), ['127.0.0.1', '4321']);
      await a.waitClosed();
      cloud.api.injectFault({ type: 'redirect', host: 'fra1.blynk.cloud' }, { token });
      const b = await RawClient.connect(cloud.ports.tcp);
      assert.deepEqual(fields(await b.login(token)), ['fra1.blynk.cloud'], 'no port field when none given');
    });

    it('oversize sends a HARDWARE body one byte over the device’s buff-in (or the given size)', async () => {
      const { c, id } = await device();
      c.send(17, 2, ['mcu', '1', 'buff-in', '512', 'tmpl', 'T']);
      await waitFor(() => cloud.api.getDevice(id).info['buff-in'] === '512');
      assert.deepEqual(cloud.api.injectFault({ type: 'oversize' }, { device: id }), { affected: 1 });
      const f = await c.next((x) => x.type === 20);
      assert.equal(f.len, 513);
      assert.equal(f.body.length, 513);
      cloud.api.injectFault({ type: 'oversize', size: 3000 }, { device: id });
      assert.equal((await c.next((x) => x.type === 20 && x.len === 3000)).body.length, 3000);
    });

    it('rejects unknown fault types', async () => {
      assert.equal((await api(http, 'POST', '/api/faults', { type: 'meteor' })).status, 400);
    });
  });
});
