/**
 * Blynk.Air in the simulated cloud, with the test as the device (raw frames
 * over TCP) and as the console (HTTP API): images with the firmware tag,
 * shipments to a device or a template, the `ota` command byte for byte, the
 * download over node:http, the status of each device, the download faults and
 * the devices' event log.
 */
import { strict as assert } from 'assert';
import { createHash, randomBytes } from 'node:crypto';
import { createCloudServer, CloudServer } from '../../sim/cloud';
import { api, closeAllRaw, rawHttp, RawClient, sleep, waitFor } from './sim-helpers';
import { fields, WireFrame } from './wire';

const T_INTERNAL = 17;
const T_EVENT_LOG = 64;

/** A firmware image: the tag our image files start with, then `payload`. */
function image(mcu: string, fwType = 'TMPL0001', payload: Buffer = randomBytes(2000)): Buffer {
  const tag = ['blnkinf', 'mcu', mcu, 'fw-type', fwType, 'build', 'Jan  1 2025 10:00:00', 'blynk', '1.3.2', ''].join('\0') + '\0';
  return Buffer.concat([Buffer.from(tag, 'utf8'), payload]);
}

function md5(b: Buffer): string {
  return createHash('md5').update(b).digest('hex');
}

describe('simulated cloud: Blynk.Air', function () {
  this.timeout(10000);
  let cloud: CloudServer;
  let http: number;
  let org: number;
  let user: number;
  let logs: string[];

  beforeEach(async () => {
    logs = [];
    cloud = createCloudServer({ log: (l) => logs.push(l) });
    await cloud.start();
    http = cloud.ports.http;
    org = cloud.api.createOrg('Acme').id;
    user = cloud.api.createUser(org, 'ann@acme.test').id;
  });

  afterEach(async () => {
    closeAllRaw();
    await cloud.stop();
  });

  /** Uploads raw bytes over HTTP; resolves with status and parsed answer. */
  async function upload(bytes: Buffer): Promise<{ status: number; body: any }> {
    const r = await rawHttp('POST', `http://127.0.0.1:${http}/api/ota/images`, bytes);
    return { status: r.status, body: JSON.parse(r.body.toString('utf8')) };
  }

  /** A device's token, issued for `template`. */
  function issue(template = 'TMPL0001'): string {
    return cloud.api.issueToken({ user, org, template }).token;
  }

  /** Logs in with `token` and sends the info message with `mcu` (unless null); resolves with the client and the device id. */
  async function login(token: string, mcu: string | null = '0.1.0', tmpl = 'TMPL0001'): Promise<{ c: RawClient; id: number }> {
    const c = await RawClient.connect(cloud.ports.tcp);
    assert.equal((await c.login(token)).len, 200);
    if (mcu !== null) c.send(T_INTERNAL, 2, ['mcu', mcu, 'fw-type', tmpl, 'build', 'Jan 1 2025', 'blynk', '1.3.2', 'h-beat', '40', 'buff-in', '1024', 'dev', 'ESP32', 'tmpl', tmpl]);
    const id = cloud.api.getToken(token).device as number;
    if (mcu !== null) await waitFor(() => cloud.api.getDevice(id).info.mcu === mcu, 2000, 'info');
    return { c, id };
  }

  /** Waits for the `ota` command; returns the frame and its URL. */
  async function otaCommand(c: RawClient, from = 0): Promise<{ f: WireFrame; url: string }> {
    const f = await c.next((x) => x.type === T_INTERNAL && fields(x)[0] === 'ota', 2000, from);
    return { f, url: fields(f)[1] };
  }

  function status(shipment: number, device: number): { status: string; reason?: string; at: string } {
    return cloud.api.getShipment(shipment).devices[device];
  }

  /** The statuses device `device` went through in shipment `shipment`, as the cloud logged them. */
  function history(shipment: number, device: number): string[] {
    const re = new RegExp(`^ota: shipment ${shipment} device ${device}: (\\w+)`);
    return logs.map((l) => re.exec(l)).filter((m): m is RegExpExecArray => !!m).map((m) => m[1]);
  }

  describe('images', () => {
    it('takes a tagged image of a few hundred KB, answers its tag, size and MD5, and lists it', async () => {
      const bytes = image('0.2.0', 'TMPL0001', randomBytes(300 * 1024));
      const r = await upload(bytes);
      assert.equal(r.status, 201, JSON.stringify(r.body));
      assert.deepEqual(r.body, { id: r.body.id, mcu: '0.2.0', fwType: 'TMPL0001', build: 'Jan  1 2025 10:00:00', blynk: '1.3.2', size: bytes.length, md5: md5(bytes) });
      assert.deepEqual((await api(http, 'GET', '/api/ota/images')).body, [r.body]);
      assert.deepEqual(cloud.api.listImages(), [r.body]);
    });

    it('refuses an upload without a valid tag at the start (400, saying why) and one over 1 MB (413)', async () => {
      const tag = (pairs: string[]) => Buffer.from(['blnkinf', ...pairs, ''].join('\0') + '\0', 'utf8');
      const cases: Array<[Buffer, RegExp]> = [
        [Buffer.alloc(0), /must start with the tag blnkinf/],
        [Buffer.concat([Buffer.from('xx'), image('1.0.0')]), /must start with the tag blnkinf/],
        [Buffer.from('blnkinf\0mcu\x001.0.0\0fw-type\0T', 'utf8'), /not ended by an empty key/],
        [Buffer.concat([Buffer.from('blnkinf\0mcu\0'), Buffer.alloc(2000, 0x41)]), /not ended by an empty key within 1024 bytes/],
        [tag(['mcu', '1.0.0', 'fw-type', 'T']), /lacks build, blynk/],
        [tag(['mcu', '', 'fw-type', 'T', 'build', 'b', 'blynk', '1']), /empty mcu/]
      ];
      for (const [bytes, message] of cases) {
        const r = await upload(bytes);
        assert.equal(r.status, 400, bytes.toString('latin1').slice(0, 40));
        assert.match(r.body.error, message);
      }
      assert.equal((await upload(image('1.0.0', 'T', Buffer.alloc(1024 * 1024)))).status, 413);
      assert.deepEqual(cloud.api.listImages(), []);
      // Other routes keep their 64 KB limit.
      assert.equal((await api(http, 'POST', '/api/orgs', { name: 'x'.repeat(70000) })).status, 413);
    });
  });

  describe('a shipment to a device', () => {
    it('sends the online device INTERNAL ota\\0<url>, serves the image there, and moves sent → downloading → downloaded → success', async () => {
      const { c, id } = await login(issue(), '0.1.0');
      const bytes = image('0.2.0', 'TMPL0001', randomBytes(100 * 1024));
      const img = cloud.api.uploadImage(bytes);
      const r = await api(http, 'POST', '/api/ota/shipments', { image: img.id, device: id });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      assert.deepEqual(r.body, { id: r.body.id, image: img.id, devices: [id] });
      const sid = r.body.id;

      const { f, url } = await otaCommand(c);
      const m = new RegExp(`^http://127\\.0\\.0\\.1:${http}/ota/${sid}/${id}\\?token=([-_A-Za-z0-9]{32})$`).exec(url);
      assert.ok(m, url);
      const body = Buffer.from(`ota\0http://127.0.0.1:${http}/ota/${sid}/${id}?token=${m[1]}`, 'latin1');
      assert.deepEqual([f.type, f.len], [T_INTERNAL, body.length]);
      assert.ok(f.id > 0);
      assert.ok(f.body.equals(body), 'the body byte for byte');
      assert.equal(status(sid, id).status, 'sent');

      // What the device does: event "OTA started", disconnect, download.
      c.send(T_EVENT_LOG, 9, ['sys_ota', 'OTA started']);
      assert.equal((await c.next((x) => x.type === 0 && x.id === 9)).len, 200);
      c.close();
      const got = await rawHttp('GET', url);
      assert.equal(got.status, 200);
      assert.equal(got.headers['content-length'], String(bytes.length));
      assert.equal(got.headers['x-md5'], md5(bytes));
      assert.equal(got.headers['content-type'], 'application/octet-stream');
      assert.ok(got.complete && got.body.equals(bytes), 'the image bytes');
      await waitFor(() => status(sid, id).status === 'downloaded', 2000, 'downloaded');

      await login(cloud.api.getDevice(id).token, '0.2.0');
      await waitFor(() => status(sid, id).status === 'success', 2000, 'success');
      assert.deepEqual(history(sid, id), ['sent', 'downloading', 'downloaded', 'success']);
      const shipment = (await api(http, 'GET', `/api/ota/shipments/${sid}`)).body;
      assert.deepEqual(Object.keys(shipment), ['id', 'image', 'devices']);
      assert.deepEqual(shipment.devices[id].status, 'success');
      assert.ok(!Number.isNaN(Date.parse(shipment.devices[id].at)));
      assert.equal(shipment.devices[id].reason, undefined);
      assert.deepEqual((await api(http, 'GET', '/api/ota/shipments')).body, [shipment]);
      assert.equal((await rawHttp('GET', url)).status, 410, 'the update is over');
    });

    it('fails when the device comes back with another version after the download', async () => {
      const token = issue();
      const { c, id } = await login(token, '0.1.0');
      const sid = cloud.api.startShipment({ image: cloud.api.uploadImage(image('0.2.0')).id, device: id }).id;
      const { url } = await otaCommand(c);
      c.close();
      assert.equal((await rawHttp('GET', url)).status, 200);
      await waitFor(() => status(sid, id).status === 'downloaded');
      await login(token, '0.1.0');
      await waitFor(() => status(sid, id).status === 'failed');
      assert.equal(status(sid, id).reason, 'logged in with mcu 0.1.0, not 0.2.0');
    });

    it('fails with the reason of a sys_ota "OTA failed: …" event, also right after the login that came back old', async () => {
      const token = issue();
      const { c, id } = await login(token, '0.1.0');
      const img = cloud.api.uploadImage(image('0.2.0')).id;
      const one = cloud.api.startShipment({ image: img, device: id }).id;
      await otaCommand(c);
      c.send(T_EVENT_LOG, 5, ['sys_ota', 'OTA failed: fw-type']);
      await waitFor(() => status(one, id).status === 'failed');
      assert.equal(status(one, id).reason, 'fw-type', 'refused before the download');

      const two = cloud.api.startShipment({ image: img, device: id, fault: { type: 'ota-bad-md5' } }).id;
      const { url } = await otaCommand(c, c.frames.length);
      c.close();
      const got = await rawHttp('GET', url);
      assert.notEqual(got.headers['x-md5'], md5(got.body));
      const again = await login(token, '0.1.0');
      again.c.send(T_EVENT_LOG, 3, ['sys_ota', 'OTA failed: md5']);
      assert.equal((await again.c.next((x) => x.type === 0 && x.id === 3)).len, 200);
      await waitFor(() => status(two, id).reason === 'md5', 2000, 'reason md5');
      assert.equal(status(two, id).status, 'failed');
      assert.equal(status(one, id).reason, 'fw-type', 'a final status stays');
    });

    it('sends an offline device the command at its next login, after its info message, and again at later logins until it downloads', async () => {
      const token = issue();
      const first = await login(token, '0.1.0');
      first.c.close();
      await waitFor(() => !cloud.api.getDevice(first.id).online);
      const sid = cloud.api.startShipment({ image: cloud.api.uploadImage(image('0.2.0')).id, device: first.id }).id;
      assert.equal(status(sid, first.id).status, 'pending');

      const { c } = await login(token, null);
      await sleep(100);
      assert.equal(c.frames.filter((f) => f.type === T_INTERNAL).length, 0, 'nothing before the info message');
      assert.equal(status(sid, first.id).status, 'pending');
      c.send(T_INTERNAL, 2, ['mcu', '0.1.0', 'tmpl', 'TMPL0001']);
      const { url } = await otaCommand(c);
      assert.equal(status(sid, first.id).status, 'sent');
      c.send(T_INTERNAL, 3, ['mcu', '0.1.0', 'tmpl', 'TMPL0001']);
      await sleep(100);
      assert.equal(c.frames.filter((f) => f.type === T_INTERNAL).length, 1, 'once per login');
      c.close();

      const next = await login(token, '0.1.0');
      assert.equal((await otaCommand(next.c)).url, url, 'sent again: it had not started the download');
      assert.equal(status(sid, first.id).status, 'sent');
    });
  });

  describe('a shipment to a template', () => {
    it('goes to every device of the template, by info tmpl or token template, online now or at its next login; the fw-type is not checked', async () => {
      const online = await login(issue('TMPLA'), '0.1.0', 'TMPLA');
      const byInfo = await login(issue('TMPLold'), '0.1.0', 'TMPLA');
      const offlineToken = issue('TMPLA');
      const offline = await login(offlineToken, '0.1.0', 'TMPLA');
      offline.c.close();
      const other = await login(issue('TMPLB'), '0.1.0', 'TMPLB');
      await waitFor(() => !cloud.api.getDevice(offline.id).online);

      const img = cloud.api.uploadImage(image('0.3.0', 'TMPLB')).id;
      assert.equal((await api(http, 'POST', '/api/ota/shipments', { image: img, template: 'TMPLnone' })).status, 404);
      const r = await api(http, 'POST', '/api/ota/shipments', { image: img, template: 'TMPLA' });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      assert.deepEqual([...r.body.devices].sort(), [online.id, byInfo.id, offline.id].sort());
      await otaCommand(online.c);
      await otaCommand(byInfo.c);
      await sleep(100);
      assert.equal(other.c.frames.some((f) => f.type === T_INTERNAL), false, 'not the other template');
      const devices = (await api(http, 'GET', `/api/ota/shipments/${r.body.id}`)).body.devices;
      assert.deepEqual([devices[online.id].status, devices[byInfo.id].status, devices[offline.id].status], ['sent', 'sent', 'pending']);
      const later = await login(offlineToken, '0.1.0', 'TMPLA');
      await otaCommand(later.c);
      assert.equal(status(r.body.id, offline.id).status, 'sent');
    });

    it('refuses a shipment without an image, with both or neither target, or of an unknown image or device', async () => {
      const { id } = await login(issue());
      const img = cloud.api.uploadImage(image('1.0.0')).id;
      const cases: Array<[unknown, number]> = [
        [{ device: id }, 400],
        [{ image: img }, 400],
        [{ image: img, device: id, template: 'TMPL0001' }, 400],
        [{ image: 999, device: id }, 404],
        [{ image: img, device: 999 }, 404],
        [{ image: img, template: 7 }, 400],
        [{ image: img, device: id, fault: { type: 'ota-meteor' } }, 400],
        [{ image: img, device: id, fault: { type: 'ota-drop', after: -1 } }, 400]
      ];
      for (const [body, code] of cases) assert.equal((await api(http, 'POST', '/api/ota/shipments', body)).status, code, JSON.stringify(body));
      assert.deepEqual(cloud.api.listShipments(), []);
      assert.equal((await api(http, 'GET', '/api/ota/shipments/42')).status, 404);
    });
  });

  describe('the download', () => {
    /** A device with a shipment of a 4000-byte image sent to it: the URL and ids. */
    async function shipped(fault?: Parameters<CloudServer['api']['startShipment']>[0]['fault']) {
      const { c, id } = await login(issue(), '0.1.0');
      const bytes = image('0.2.0', 'TMPL0001', randomBytes(4000));
      const sid = cloud.api.startShipment({ image: cloud.api.uploadImage(bytes).id, device: id, fault }).id;
      const { url } = await otaCommand(c);
      return { c, id, sid, url, bytes };
    }

    it('answers a wrong token 403, an unknown download 404, another method 405, and changes nothing', async () => {
      const { id, sid, url } = await shipped();
      const base = url.replace(/\?.*/, '');
      assert.equal((await rawHttp('GET', base + '?token=' + 'A'.repeat(32))).status, 403);
      assert.equal((await rawHttp('GET', base)).status, 403);
      assert.equal((await rawHttp('GET', `http://127.0.0.1:${http}/ota/${sid}/999?token=x`)).status, 404);
      assert.equal((await rawHttp('GET', `http://127.0.0.1:${http}/ota/999/${id}?token=x`)).status, 404);
      assert.equal((await rawHttp('POST', url, Buffer.from('x'))).status, 405);
      assert.equal(status(sid, id).status, 'sent');
    });

    it('ota-bad-md5 (faults API, one device): x-MD5 of other bytes; other devices get the right one', async () => {
      const a = await shipped();
      const b = await shipped();
      const r = await api(http, 'POST', '/api/faults', { type: 'ota-bad-md5', device: a.id });
      assert.deepEqual(r, { status: 200, body: { affected: 0 } });
      assert.deepEqual(cloud.api.listFaults()[cloud.api.getDevice(a.id).token], { download: { type: 'ota-bad-md5' } });
      const bad = await rawHttp('GET', a.url);
      assert.ok(bad.complete && bad.body.equals(a.bytes), 'the whole image');
      assert.match(String(bad.headers['x-md5']), /^[0-9a-f]{32}$/);
      assert.notEqual(bad.headers['x-md5'], md5(a.bytes));
      assert.equal((await rawHttp('GET', b.url)).headers['x-md5'], md5(b.bytes));
      await waitFor(() => status(a.sid, a.id).status === 'downloaded', 2000, 'downloaded: the device has to find out');
    });

    it('ota-short (global): Content-Length N, N − 1 bytes, then the connection closes; failed', async () => {
      const { id, sid, url, bytes } = await shipped();
      cloud.api.injectFault({ type: 'ota-short' });
      const got = await rawHttp('GET', url);
      assert.equal(got.status, 200);
      assert.equal(got.headers['content-length'], String(bytes.length));
      assert.equal(got.complete, false);
      assert.ok(got.body.equals(bytes.subarray(0, bytes.length - 1)));
      await waitFor(() => status(sid, id).status === 'failed');
      assert.equal(status(sid, id).reason, `download cut after ${bytes.length - 1} of ${bytes.length} bytes (fault ota-short)`);
    });

    it('ota-404 (by token): 404 and failed', async () => {
      const { id, sid, url } = await shipped();
      await api(http, 'POST', '/api/faults', { type: 'ota-404', token: cloud.api.getDevice(id).token });
      const got = await rawHttp('GET', url);
      assert.equal(got.status, 404);
      assert.equal(status(sid, id).status, 'failed');
      assert.equal(status(sid, id).reason, 'download answered 404 (fault ota-404)');
      assert.equal((await rawHttp('GET', url)).status, 410);
    });

    it('ota-no-length: chunked, no Content-Length, the whole image; downloaded', async () => {
      const { id, sid, url, bytes } = await shipped();
      await api(http, 'POST', '/api/faults', { type: 'ota-no-length', device: id });
      const got = await rawHttp('GET', url);
      assert.equal(got.status, 200);
      assert.equal(got.headers['content-length'], undefined);
      assert.equal(got.headers['transfer-encoding'], 'chunked');
      assert.equal(got.headers['x-md5'], md5(bytes));
      assert.ok(got.complete && got.body.equals(bytes));
      await waitFor(() => status(sid, id).status === 'downloaded');
    });

    it('ota-drop {after}: the connection closes after that many bytes (default 0); failed', async () => {
      const one = await shipped();
      await api(http, 'POST', '/api/faults', { type: 'ota-drop', after: 100, device: one.id });
      const got = await rawHttp('GET', one.url);
      assert.deepEqual([got.status, got.complete, got.body.length], [200, false, 100]);
      assert.ok(got.body.equals(one.bytes.subarray(0, 100)));
      assert.equal(status(one.sid, one.id).reason, `download cut after 100 of ${one.bytes.length} bytes (fault ota-drop)`);
      assert.equal((await api(http, 'DELETE', `/api/faults?device=${one.id}`)).status, 204);

      const two = await shipped({ type: 'ota-drop' });
      const none = await rawHttp('GET', two.url);
      assert.deepEqual([none.status, none.complete, none.body.length], [200, false, 0]);
      assert.equal(status(two.sid, two.id).status, 'failed');
    });

    it('a shipment\'s own fault takes the place of the faults API\'s, for its downloads only', async () => {
      cloud.api.injectFault({ type: 'ota-404' });
      const own = await shipped({ type: 'ota-no-length' });
      const got = await rawHttp('GET', own.url);
      assert.deepEqual([got.status, got.headers['content-length'], got.complete], [200, undefined, true]);
      const plain = await shipped();
      assert.equal((await rawHttp('GET', plain.url)).status, 404);
      assert.equal((await api(http, 'POST', '/api/faults', { type: 'ota-drop', after: 1.5 })).status, 400);
      cloud.api.clearFaults();
      assert.deepEqual(cloud.api.listFaults(), {});
    });

    it('a download the cloud cut stays failed with its reason when the device comes back', async () => {
      const { id, sid, url } = await shipped();
      cloud.api.injectFault({ type: 'ota-drop', after: 10 }, { device: id });
      await rawHttp('GET', url);
      const { c } = await login(cloud.api.getDevice(id).token, '0.1.0');
      await sleep(50);
      assert.match(status(sid, id).reason as string, /^download cut after 10 of/);
      assert.equal(c.frames.some((f) => f.type === T_INTERNAL), false, 'no command again');
    });
  });

  describe('events', () => {
    it('records every EVENT_LOG message, answers RESPONSE 200 (2 without a name), and lists them per device', async () => {
      const { c, id } = await login(issue());
      const other = await login(issue());
      c.send(T_EVENT_LOG, 4, ['sys_ota', 'OTA started']);
      c.send(T_EVENT_LOG, 5, ['door_open']);
      c.send(T_EVENT_LOG, 6, ['', 'nameless']);
      c.send(T_EVENT_LOG, 7, ['caf\u00e9', 'd\u00e9j\u00e0 vu']);
      for (const [msg, code] of [[4, 200], [5, 200], [6, 2], [7, 200]]) assert.equal((await c.next((f) => f.type === 0 && f.id === msg)).len, code);
      const r = await api(http, 'GET', `/api/devices/${id}/events`);
      assert.equal(r.status, 200);
      assert.deepEqual(r.body.map((e: any) => [e.name, e.description]), [['sys_ota', 'OTA started'], ['door_open', ''], ['caf\u00e9', 'd\u00e9j\u00e0 vu']]);
      for (const e of r.body) assert.ok(!Number.isNaN(Date.parse(e.at)));
      assert.deepEqual(cloud.api.listEvents(other.id), []);
      assert.equal((await api(http, 'GET', '/api/devices/999/events')).status, 404);
    });
  });
});
