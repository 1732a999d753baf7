/**
 * The whole flow end to end on the built ESP32 and ESP8266 bundles, on the
 * simulated board against the simulated cloud: first provisioning, every
 * provisioning failure the app reports, power cuts, a router that stays down
 * for an hour, the factory-reset button, reconfiguration from the cloud and a
 * cloud redirect.
 */
import { strict as assert } from 'assert';
import { HOME, World, world } from './world';
import { createCloudServer } from '../../sim/cloud';
import { http } from '../../sim/phone';
import { mkdtempSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { setTimeout as realSleep } from 'timers/promises';

const TOKEN_LIKE = 'A'.repeat(32);

for (const chip of ['ESP32', 'ESP8266'] as const) {
  describe(`end to end on the ${chip} bundle`, function () {
    this.timeout(60000);
    let w: World;
    afterEach(async () => {
      if (w) await w.close();
    });

    async function provisioned(): Promise<string> {
      const r = await w.phone();
      await w.until('RUNNING');
      return r.token;
    }

    it('first provisioning: WAIT_CONFIG → RUNNING, committed, claimed by the org, value visible in the cloud', async () => {
      w = await world({ chip });
      const r = await w.phone();
      assert.equal(r.boardInfo.tmpl_id, 'TMPL4abcd123');
      assert.match(String(r.boardInfo.ssid), /^Blynk My Device-[0W8N4Y1HP5DF9K6JM3C2UA7R]{4}$/);
      assert.deepEqual(r.networks.map((n) => n.ssid), ['Home']);
      assert.equal(r.config.status, 200);
      await w.until('RUNNING');
      assert.deepEqual(w.dev.states, ['WAIT_CONFIG', 'CONFIGURING', 'SWITCH_TO_STA', 'CONNECTING_NET', 'CONNECTING_CLOUD', 'RUNNING']);
      const stored = w.dev.storedConfig();
      assert.equal(stored.valid, true);
      assert.equal(stored.ssid, 'Home');
      assert.equal(stored.token, r.token);
      let device = await w.cloudDevice(r.token);
      for (let i = 0; i < 40 && !(device.pins && device.pins['1']); i++) {
        await w.clock.tickAsync(50);
        device = await w.cloudDevice(r.token);
      }
      assert.equal(device.online, true);
      assert.equal(device.info.dev, chip);
      assert.equal(device.info.tmpl, 'TMPL4abcd123');
      assert.equal(device.metadata['Hotspot Name'], r.boardInfo.ssid);
      assert.deepEqual(device.pins['1'], ['hello']);
      assert.equal(w.dev.board.errors.length, 0, String(w.dev.board.errors));
    });

    it('wrong password: 722 in board_info after the reboot, and a retry without reset works', async () => {
      w = await world({ chip });
      await w.phone({ pass: 'wrong password' });
      await w.until('ERROR');
      assert.equal(w.dev.storedConfig().lastError, 722);
      assert.equal(w.dev.storedConfig().valid, false);
      await w.until('WAIT_CONFIG');
      assert.equal((await w.portal('/board_info.json')).last_error, 722);
      await provisioned();
      assert.equal(w.dev.storedConfig().lastError, 0);
    });

    it('unknown network: 720', async () => {
      w = await world({ chip });
      await w.phone({ ssid: 'Nowhere' });
      await w.until('ERROR');
      await w.until('WAIT_CONFIG');
      assert.equal((await w.portal('/board_info.json')).last_error, 720);
    });

    it('cloud down: 702 and nothing stored', async () => {
      const dead = createCloudServer({});
      await dead.start();
      const ports = dead.ports;
      await dead.stop();
      w = await world({ chip, cloud: { tcp: ports.tcp, tls: ports.tls } });
      await w.phone();
      await w.until('ERROR', 200000);
      await w.until('WAIT_CONFIG');
      assert.equal((await w.portal('/board_info.json')).last_error, 702);
      assert.equal(w.dev.storedConfig().valid, false);
    });

    it('token rejected by the cloud: 703, back to WAIT_CONFIG without a reboot', async () => {
      w = await world({ chip });
      await w.until('WAIT_CONFIG');
      const reboots = () => w.dev.states.filter((s) => s === 'WAIT_CONFIG').length;
      assert.equal((await w.get(`/config?ssid=Home&pass=correct%20horse&blynk=${TOKEN_LIKE}`)).status, 200);
      await w.until('CONNECTING_CLOUD');
      await w.until('WAIT_CONFIG');
      assert.ok(!w.dev.states.includes('ERROR'));
      assert.equal(reboots(), 2);
      assert.equal((await w.portal('/board_info.json')).last_error, 703);
      assert.equal(w.dev.storedConfig().valid, false);
    });

    it('power cut before the first login: the device comes back unprovisioned', async () => {
      w = await world({ chip });
      await w.phone();
      await w.until('CONNECTING_CLOUD');
      w.dev.board.powerCut();
      w.dev.board.boot();
      await w.until('WAIT_CONFIG');
      assert.equal(w.dev.storedConfig().valid, false);
    });

    it('power cut while running: back online without the access point', async () => {
      w = await world({ chip });
      await provisioned();
      w.dev.board.powerCut();
      const mark = w.dev.states.length;
      w.dev.board.boot();
      await w.until('RUNNING');
      assert.deepEqual(w.dev.states.slice(mark), ['CONNECTING_NET', 'CONNECTING_CLOUD', 'RUNNING']);
    });

    for (const n of [0, 3, 4, 20, 36, 60, 120, 200]) {
      it(`power cut ${n} bytes into the commit: the old or the new record, never garbage`, async () => {
        w = await world({ chip });
        await w.phone();
        await w.until('CONNECTING_CLOUD');
        w.dev.board.cutPowerAfterFlashBytes(n);
        let off = false;
        w.dev.board.once('off', () => { off = true; });
        for (let i = 0; i < 400 && !off && w.dev.state !== 'RUNNING'; i++) await w.clock.tickAsync(25);
        if (w.dev.board.isOn) w.dev.board.powerCut();
        const stored = w.dev.storedConfig();
        assert.ok(stored.valid === false || (stored.ssid === 'Home' && stored.token.length === 32), JSON.stringify(stored));
        const mark = w.dev.states.length;
        w.dev.board.boot();
        if (stored.valid) {
          await w.until('RUNNING');
          assert.ok(!w.dev.states.slice(mark).includes('WAIT_CONFIG'));
        } else {
          await w.until('WAIT_CONFIG');
          await provisioned();
        }
      });
    }

    it('router down at boot for a simulated hour: never the access point, online once it returns', async () => {
      w = await world({ chip });
      await provisioned();
      w.dev.radio.setUp('Home', false);
      w.dev.board.powerCut();
      const mark = w.dev.states.length;
      w.dev.board.boot();
      const hour = Date.now() + 3600 * 1000;
      while (Date.now() < hour) {
        await w.clock.tickAsync(60 * 1000);
        assert.equal(w.dev.board.phoneJoin(), false, 'no access point');
      }
      const seen = w.dev.states.slice(mark);
      assert.ok(!seen.includes('WAIT_CONFIG') && !seen.includes('CONFIGURING'), seen.join(' > '));
      assert.ok(seen.filter((s) => s === 'CONNECTING_NET').length >= 1);
      w.dev.radio.setUp('Home', true);
      await w.until('RUNNING', 10 * 60 * 1000);
      assert.equal(w.dev.storedConfig().valid, true);
    });

    it('an hour online: heartbeats keep the link, no state change, no stray timers', async () => {
      w = await world({ chip });
      const token = await provisioned();
      const mark = w.dev.states.length;
      const timers = w.clock.countTimers();
      // 5 s of device time, then a few real milliseconds for the loopback replies to the pings.
      for (let t = 0; t < 720; t++) {
        await w.clock.tickAsync(5000);
        await realSleep(5);
      }
      assert.deepEqual(w.dev.states.slice(mark), [], 'stayed RUNNING');
      assert.equal((await w.cloudDevice(token)).online, true);
      assert.ok(w.clock.countTimers() <= timers + 2, `timers ${timers} -> ${w.clock.countTimers()}`);
      assert.equal(w.dev.board.errors.length, 0, String(w.dev.board.errors));
    });

    it('a 10 s button hold erases token and Wi-Fi and returns to WAIT_CONFIG', async () => {
      w = await world({ chip });
      await provisioned();
      w.dev.board.setPinInput(0, 0);
      await w.clock.tickAsync(10200);
      w.dev.board.setPinInput(0, 1);
      await w.until('WAIT_CONFIG');
      assert.ok(w.dev.states.includes('RESET_CONFIG'));
      const stored = w.dev.storedConfig();
      assert.equal(stored.valid, false);
      assert.equal(stored.token, '');
      assert.equal(stored.pass, '');
    });

    it('a short press changes nothing', async () => {
      w = await world({ chip });
      await provisioned();
      w.dev.board.setPinInput(0, 0);
      await w.clock.tickAsync(500);
      w.dev.board.setPinInput(0, 1);
      await w.clock.tickAsync(2000);
      assert.equal(w.dev.state, 'RUNNING');
    });

    it('dbg "config start" from the cloud reconfigures without erasing; the new Wi-Fi takes over', async () => {
      w = await world({ chip, networks: [HOME, { ssid: 'Office', password: 'new-password', rssi: -60, channel: 1 }] });
      const token = await provisioned();
      const device = await w.cloudDevice(token);
      await http('POST', `${w.api}/api/devices/${device.id}/commands`, { command: 'config start' });
      await w.until('WAIT_CONFIG');
      assert.equal(w.dev.storedConfig().valid, true, 'nothing erased');
      await w.phone({ ssid: 'Office', pass: 'new-password' });
      await w.until('RUNNING');
      assert.equal(w.dev.storedConfig().ssid, 'Office');
    });

    it('REDIRECT: the device follows the cloud to another server with the same token', async () => {
      const data = join(mkdtempSync(join(tmpdir(), 'edgent-e2e-')), 'cloud.json');
      w = await world({ chip, cloudData: data });
      const token = await provisioned();
      const other = createCloudServer({ dataFile: data });
      await other.start();
      try {
        const port = chip === 'ESP32' ? other.ports.tls : other.ports.tcp;
        await http('POST', `${w.api}/api/faults`, { type: 'redirect', host: 'fra1.blynk.cloud', port });
        let there: any = null;
        for (let i = 0; i < 200 && !(there && there.online); i++) {
          await w.clock.tickAsync(50);
          const t = other.api.getToken(token);
          there = t.device === null ? null : other.api.getDevice(t.device as number);
        }
        assert.ok(there && there.online, w.dev.board.console.slice(-6).join('\n'));
        assert.ok(w.dev.board.console.includes(`cloud: connecting fra1.blynk.cloud:${port}${chip === 'ESP32' ? ' tls' : ''} token ${token.slice(0, 4)}...`));
        assert.equal(w.dev.state, 'RUNNING');
      } finally {
        await other.stop();
      }
    });
  });
}
