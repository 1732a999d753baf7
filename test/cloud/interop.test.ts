/**
 * Interoperability over loopback:
 * - the official `blynk-library` npm client (0.5.4, code we did not write)
 *   logs in to the simulated cloud, over TCP and TLS, and pin values travel
 *   both ways — so the cloud speaks the real protocol;
 * - our device client (lib/cloud.ts) runs against the same server through a
 *   NetPort adapter over node:net / node:tls (bytes as latin1).
 */
import { strict as assert } from 'assert';
import { connect as tcpConnect, Socket as NodeSocket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { join } from 'node:path';
import { createCloudServer, CloudServer } from '../../sim/cloud';
import { createCloud, CloudClient } from '../../lib/cloud';
import { NetPort } from '../../lib/ports';
import { CloudEvent } from '../../lib/types';
import { closeAllRaw, TEST_CA, waitFor } from './sim-helpers';
import { bytes, utf8 } from './wire';

// eslint-disable-next-line @typescript-eslint/no-var-requires
const BlynkLib = require('blynk-library');

/** NetPort over node:net / node:tls; TLS trusts only the test certificate (CN blynk.cloud). */
function nodeNet(): NetPort & { open: Set<NodeSocket> } {
  const open = new Set<NodeSocket>();
  return {
    tls: true,
    open,
    connect(o, h) {
      const sock: NodeSocket = o.tls
        ? tlsConnect({ host: o.host, port: o.port, ca: TEST_CA, servername: 'blynk.cloud' })
        : tcpConnect({ host: o.host, port: o.port });
      open.add(sock);
      // Espruino's events: the socket, byte strings, {code, message} with Espruino's texts, a boolean.
      const s = {
        write: (d: string) => {
          if (!sock.destroyed) sock.write(Buffer.from(d, 'latin1'));
        },
        end: () => sock.destroy(),
        removeAllListeners: () => { h = () => {}; }
      };
      sock.on(o.tls ? 'secureConnect' : 'connect', () => h(s));
      sock.on('data', (b: Buffer) => h(b.toString('latin1')));
      sock.on('error', (e: NodeJS.ErrnoException) => {
        const code = e.code || '';
        h({
          code: -1,
          message: code === 'ENOTFOUND' || code === 'EAI_AGAIN' ? 'not found'
            : code === 'ECONNREFUSED' ? 'no connection'
              : /CERT|SSL|TLS|SELF_SIGNED/.test(code + e.message) ? 'SSL handshake failed'
                : code
        });
      });
      sock.on('close', (hadError: boolean) => {
        open.delete(sock);
        h(hadError);
      });
      return s;
    }
  };
}

const realClock = {
  now: () => Date.now(),
  setTimeout: (fn: () => void, ms: number) => setTimeout(fn, ms),
  clearTimeout: (id: unknown) => clearTimeout(id as NodeJS.Timeout)
};

describe('interop over loopback', function () {
  this.timeout(15000);
  let cloud: CloudServer;
  let org: number;
  let user: number;

  beforeEach(async () => {
    cloud = createCloudServer();
    await cloud.start();
    org = cloud.api.createOrg('Interop').id;
    user = cloud.api.createUser(org, 'dev@interop.test').id;
  });

  afterEach(async () => {
    closeAllRaw();
    await cloud.stop();
  });

  describe('official blynk-library 0.5.4 client', () => {
    let blynk: any;
    let logSpy: typeof console.log;

    beforeEach(() => {
      logSpy = console.log;
      console.log = () => {}; // the library prints a banner and chatter
    });

    afterEach(() => {
      if (blynk) {
        clearInterval(blynk.timerConn);
        blynk.disconnect(false);
        blynk = undefined;
      }
      console.log = logSpy;
    });

    async function run(connector: unknown, token: string): Promise<any> {
      blynk = new BlynkLib.Blynk(token, { connector });
      blynk.on('error', () => {});
      await new Promise<void>((resolve) => blynk.once('connect', () => resolve()));
      return blynk;
    }

    for (const tls of [false, true]) {
      it(`logs in over ${tls ? 'TLS' : 'TCP'}, its pin write shows up in the HTTP API, and a cloud write reaches it`, async () => {
        const { token } = cloud.api.issueToken({ user, org, template: 'TMPLjs' });
        const connector = tls
          ? new BlynkLib.SslClient({ addr: '127.0.0.1', port: cloud.ports.tls, ca: [join(__dirname, '../../sim/cloud/certs/ca.pem')], servername: 'blynk.cloud' })
          : new BlynkLib.TcpClient({ addr: '127.0.0.1', port: cloud.ports.tcp });
        const b = await run(connector, token);
        const [dev] = cloud.api.listDevices(org);
        assert.equal(dev.template, 'TMPLjs', 'self-claimed into the organization');
        assert.equal(dev.online, true);

        const v5 = new b.VirtualPin(5);
        const got: string[][] = [];
        v5.on('write', (values: string[]) => got.push(values));
        new b.VirtualPin(3).write(42);
        await waitFor(() => !!cloud.api.getDevice(dev.id).pins['3'], 3000, 'pin 3 stored');
        assert.deepEqual(cloud.api.getDevice(dev.id).pins['3'], ['42']);
        await waitFor(() => cloud.api.getDevice(dev.id).info.dev === 'js', 3000, 'info stored');
        assert.equal(cloud.api.getDevice(dev.id).info.ver, '0.5.4');

        assert.deepEqual(cloud.api.writeVirtual(dev.id, 5, ['on', 7]), { delivered: true });
        await waitFor(() => got.length > 0, 3000, 'vw delivered to the official client');
        assert.deepEqual(got, [['on', '7']]);
      });
    }

    it('gets status 9 for a deleted device', async () => {
      const { token } = cloud.api.issueToken({ user, org, template: 'T' });
      await run(new BlynkLib.TcpClient({ addr: '127.0.0.1', port: cloud.ports.tcp }), token);
      const [dev] = cloud.api.listDevices(org);
      clearInterval(blynk.timerConn);
      blynk.disconnect(false);
      cloud.api.deleteDevice(dev.id);
      const errors: string[] = [];
      blynk = new BlynkLib.Blynk(token, { connector: new BlynkLib.TcpClient({ addr: '127.0.0.1', port: cloud.ports.tcp }) });
      blynk.on('error', (e: string) => errors.push(e));
      await waitFor(() => errors.length > 0, 3000, 'login error');
      assert.deepEqual(errors, ['INVALID_TOKEN']);
    });
  });

  describe('our device client (lib/cloud.ts)', () => {
    let net: ReturnType<typeof nodeNet>;
    let client: CloudClient;
    let events: CloudEvent[];
    let got: Array<[number, string[]]>;
    let logs: string[];

    beforeEach(() => {
      net = nodeNet();
      events = [];
      got = [];
      logs = [];
      client = createCloud({
        net,
        clock: realClock,
        info: { fwVer: '0.1.0', fwType: 'TMPLours', tmplId: 'TMPLours', build: 'Jan 1 2025', dev: 'ESP32' },
        log: (l) => logs.push(l),
        onEvent: (e) => events.push(e),
        onWrite: (pin, values) => got.push([pin, values])
      });
    });

    afterEach(async () => {
      client.disconnect();
      for (const s of net.open) s.destroy();
      await waitFor(() => net.open.size === 0, 2000, 'sockets closed');
    });

    for (const tls of [false, true]) {
      it(`logs in over ${tls ? 'TLS' : 'TCP'}, sends info and metadata, vw both ways, dbg command`, async () => {
        const { token } = cloud.api.issueToken({ user, org, template: 'TMPLours' });
        client.connect({ host: '127.0.0.1', port: tls ? cloud.ports.tls : cloud.ports.tcp, tls, token });
        await waitFor(() => events.length > 0, 5000, 'login');
        assert.deepEqual(events, [{ type: 'online' }]);
        const [dev] = cloud.api.listDevices(org);

        await waitFor(() => !!cloud.api.getDevice(dev.id).info.tmpl, 2000, 'info');
        assert.deepEqual(cloud.api.getDevice(dev.id).info, {
          mcu: '0.1.0', 'fw-type': 'TMPLours', build: 'Jan 1 2025', blynk: '1.3.2', 'h-beat': '40', 'buff-in': '1024', dev: 'ESP32', tmpl: 'TMPLours'
        });

        client.setMeta('Hotspot Name', bytes('Blynk Caf\u00e9-0W8N'));
        assert.equal(client.virtualWrite(2, bytes('h\u00e9llo \u2713')), true);
        await waitFor(() => !!cloud.api.getDevice(dev.id).pins['2'], 2000, 'vw stored');
        const d = cloud.api.getDevice(dev.id);
        assert.deepEqual(d.pins['2'], ['h\u00e9llo \u2713']);
        assert.equal(d.metadata['Hotspot Name'], 'Blynk Caf\u00e9-0W8N');

        cloud.api.writeVirtual(dev.id, 9, ['caf\u00e9', 3]);
        await waitFor(() => got.length > 0, 2000, 'vw to the device');
        assert.deepEqual(got.map(([p, v]) => [p, v.map(utf8)]), [[9, ['caf\u00e9', '3']]]);

        client.syncVirtual([9]);
        await waitFor(() => got.length > 1, 2000, 'sync');
        assert.deepEqual(got[1], got[0]);

        cloud.api.sendCommand(dev.id, 'config erase');
        await waitFor(() => events.length > 1, 2000, 'command');
        assert.deepEqual(events[1], { type: 'command', command: 'config erase' });
        assert.ok(!logs.some((l) => l.includes(token.slice(0, 5))), 'token not logged');
      });
    }

    it('is rejected with 9 for an unknown token', async () => {
      client.connect({ host: '127.0.0.1', port: cloud.ports.tcp, tls: false, token: 'unknownTOKENunknownTOKENunknown0' });
      await waitFor(() => events.length > 0, 5000, 'reply');
      assert.deepEqual(events, [{ type: 'rejected', status: 9 }]);
    });

    it('follows a REDIRECT to a second cloud and logs in there', async () => {
      const second = createCloudServer();
      await second.start();
      try {
        const o2 = second.api.createOrg('Region');
        const u2 = second.api.createUser(o2.id, 'r@x.test');
        const { token } = second.api.issueToken({ user: u2.id, org: o2.id, template: 'TMPLr' });
        cloud.api.injectFault({ type: 'redirect', host: '127.0.0.1', port: second.ports.tls });
        client.connect({ host: '127.0.0.1', port: cloud.ports.tls, tls: true, token });
        await waitFor(() => events.length > 0, 5000, 'login');
        assert.deepEqual(events, [{ type: 'online' }]);
        assert.equal(second.api.listDevices(o2.id)[0].online, true);
        assert.deepEqual(cloud.api.listDevices(org), []);
      } finally {
        client.disconnect();
        await second.stop();
      }
    });

    it('reports oversize and drop faults as offline, and reconnects afterwards', async () => {
      const { token } = cloud.api.issueToken({ user, org, template: 'T' });
      const target = { host: '127.0.0.1', port: cloud.ports.tcp, tls: false, token };
      client.connect(target);
      await waitFor(() => events.length === 1, 5000, 'login');
      const [dev] = cloud.api.listDevices(org);
      await waitFor(() => !!cloud.api.getDevice(dev.id).info['buff-in'], 2000, 'info');
      cloud.api.injectFault({ type: 'oversize' }, { device: dev.id });
      await waitFor(() => events.length === 2, 2000, 'oversize drop');
      assert.deepEqual(events[1], { type: 'offline', reason: 'oversize' });

      client.connect(target);
      await waitFor(() => events.length === 3, 5000, 'relogin');
      assert.deepEqual(events[2], { type: 'online' });
      cloud.api.injectFault({ type: 'drop' }, { device: dev.id });
      await waitFor(() => events.length === 4, 2000, 'drop');
      assert.deepEqual(events[3], { type: 'offline', reason: 'closed' });
    });

    it('reports a TLS failure as tls when the certificate is not trusted', async () => {
      const strictNet: NetPort = {
        tls: true,
        connect(o, h) {
          const sock = tlsConnect({ host: o.host, port: o.port, servername: 'blynk.cloud' }); // system CAs only
          const s = { write: (d: string) => { sock.write(Buffer.from(d, 'latin1')); }, end: () => sock.destroy(), removeAllListeners: () => {} };
          sock.on('secureConnect', () => h(s));
          sock.on('error', () => h({ code: -13, message: 'SSL handshake failed' }));
          sock.on('close', (hadError: boolean) => h(hadError));
          return s;
        }
      };
      const ev: CloudEvent[] = [];
      const c = createCloud({
        net: strictNet,
        clock: realClock,
        info: { fwVer: '1', fwType: 'T', tmplId: 'T', build: 'b', dev: 'ESP32' },
        onEvent: (e) => ev.push(e)
      });
      c.connect({ host: '127.0.0.1', port: cloud.ports.tls, tls: true, token: 'x'.repeat(32) });
      await waitFor(() => ev.length > 0, 5000, 'tls failure');
      assert.deepEqual(ev, [{ type: 'offline', reason: 'tls' }]);
      c.disconnect();
    });
  });
});
