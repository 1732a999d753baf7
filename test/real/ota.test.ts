/**
 * Over-the-air updates on the real interpreters, with exactly the files a
 * board gets (the loader as `.bootcde`, the firmware's slot): a device at
 * 0.1.0, told by the simulated Blynk.Air to update, downloads 0.2.0 into its
 * other slot over Espruino's own HTTP client, reboots (a new interpreter
 * process on the same flash) into it, and the cloud sees the shipment
 * succeed; every broken download leaves it running 0.1.0 and reporting why;
 * a 0.2.0 that throws at boot is rolled back after three boots. On the
 * 1,600-block ESP8266 build the update also runs under its memory cap
 * (memory-budget.json `capUpdate`), and its sampled peak is printed.
 */
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { CHIPS, Chip, skipUnlessInterpreter } from './harness';
import { DIST, Story } from './story';
import { releaseImage } from '../../sim/release';
import type { DownloadFault } from '../../sim/cloud';

const BUDGET = JSON.parse(fs.readFileSync(path.join(__dirname, '../../memory-budget.json'), 'utf8'));
/** The budget of the 1,600-block ESP8266 build (the gate). */
const GATE = BUDGET.budgets.ESP8266.find((b: { interpreter: string }) => b.interpreter === 'espruino-esp8266');

/** How long an update may take on the interpreter (the MD5 in JavaScript runs at about 10 KB/s of host time). */
const UPDATE_MS = 60000;

function manifest(chip: Chip): string {
  return path.join(DIST, chip === 'ESP32' ? 'esp32.files.json' : 'esp8266.files.json');
}

/** A story provisioned and online at 0.1.0 (Blynk.Air's downloads over HTTPS on ESP32, as Blynk.Cloud's). */
async function online(chip: Chip, cap?: number): Promise<Story> {
  const s = new Story(chip, { cap, otaHttps: chip === 'ESP32' });
  await s.boot();
  await s.portal();
  await s.online();
  await s.cloudDevice();
  return s;
}

function ship(s: Story, image: Buffer, fault?: DownloadFault): number {
  return s.air.startShipment({ image: s.air.uploadImage(image).id, device: s.deviceId, fault }).id;
}

/** Waits until the shipment's status for the device is final. */
async function settled(s: Story, sid: number, timeoutMs = UPDATE_MS): Promise<{ status: string; reason?: string }> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const st = s.air.getShipment(sid).devices[s.deviceId];
    if (st.status === 'success' || st.status === 'failed') return st;
    if (Date.now() > end) throw new Error(`shipment still ${st.status}\n${s.tail()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Waits until the device's events (`name: description`) include `want`. */
async function told(s: Story, want: string, timeoutMs = 20000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const list = s.air.listEvents(s.deviceId).map((e) => `${e.name}: ${e.description}`);
    if (list.includes(want)) return;
    if (Date.now() > end) throw new Error(`no event "${want}": ${list.join(' | ')}\n${s.tail()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** From log mark `from`: the firmware reboots (into the slot the record names) and logs in again. */
async function backOnline(s: Story, from: number, timeoutMs = UPDATE_MS): Promise<void> {
  await s.board.awaitReboot(timeoutMs, from);
  await s.reach('RUNNING', from, timeoutMs);
}

for (const chip of CHIPS) {
  describe(`real ${chip} interpreter: Blynk.Air update`, function () {
    skipUnlessInterpreter(chip);
    this.timeout(600000);
    let s: Story | undefined;
    afterEach(async () => {
      if (s) await s.close();
      s = undefined;
    });

    it('0.1.0 → 0.2.0: downloaded into the other slot, the reboot runs 0.2.0, the shipment succeeds, no error line', async () => {
      s = await online(chip);
      const st = s;
      const from = st.board.mark();
      const sid = ship(st, releaseImage(manifest(chip), { fwVersion: '0.2.0' }));
      const { peak } = await st.sampled('update download', async () => {
        await st.board.waitFor(/OTA: 0\.2\.0 written, rebooting into it/, UPDATE_MS, from);
      });
      await backOnline(st, from);
      assert.equal((await settled(st, sid)).status, 'success');
      const d = await st.cloudUntil('mcu 0.2.0', (x) => x.online && x.info.mcu === '0.2.0');
      assert.equal(d.info.mcu, '0.2.0');
      await st.board.waitFor('OTA: firmware 0.2.0 confirmed', 10000, from);
      if (chip === 'ESP32') assert.match(st.board.plainLog().slice(0), /OTA: downloading https:\/\//, 'over HTTPS');
      assert.deepEqual(st.board.errors(), []);
      const running = await st.rest(1000);
      console.log(`      ${chip}: update download peak ${peak.max} JsVars above the stand-ins (${peak.count} samples); RUNNING at 0.2.0 ${running}`);
      if (chip === 'ESP8266') assert.ok(running <= GATE.running, `RUNNING after the update ${running} > ${GATE.running}`);
    });

    if (chip === 'ESP8266') {
      it('the whole update fits its memory cap of memory-budget.json (capUpdate): no OUT OF MEMORY at any instant', async () => {
        s = await online(chip, GATE.capUpdate);
        const from = s.board.mark();
        const sid = ship(s, releaseImage(manifest(chip), { fwVersion: '0.2.0' }));
        await s.board.waitFor(/OTA: 0\.2\.0 written, rebooting into it/, UPDATE_MS, from);
        await backOnline(s, from);
        assert.equal((await settled(s, sid)).status, 'success');
        assert.deepEqual(s.board.errors(), []);
      });
    }

    it('broken downloads and images: each leaves 0.1.0 running and reporting why', async () => {
      s = await online(chip);
      const cases: Array<[string, Buffer, DownloadFault | undefined, RegExp]> = [
        ['bad MD5', releaseImage(manifest(chip), { fwVersion: '0.2.0' }), { type: 'ota-bad-md5' }, /^bad MD5$/],
        ['short body', releaseImage(manifest(chip), { fwVersion: '0.2.0' }), { type: 'ota-short' }, /^short download: /],
        ['404', releaseImage(manifest(chip), { fwVersion: '0.2.0' }), { type: 'ota-404' }, /^HTTP 404$/],
        ['cloud gone mid-download', releaseImage(manifest(chip), { fwVersion: '0.2.0' }), { type: 'ota-drop', after: 20000 }, /^short download: 20000 of /],
        ['wrong fw-type', releaseImage(manifest(chip), {
          fwVersion: '0.2.0',
          edit: (n, d) => (n === 'edgent.boot' ? Buffer.from(d.toString('latin1').replace(/templateId:"[^"]*"/, 'templateId:"TMPLother0001"'), 'latin1') : d)
        }), undefined, /^wrong fw-type TMPLother0001$/],
      ];
      for (const [what, image, fault, why] of cases) {
        const from = s.board.mark();
        const sid = ship(s, image, fault);
        await s.board.waitFor(/OTA failed: /, UPDATE_MS, from);
        const line = s.board.log().slice(from).split(/\r?\n/).find((l) => l.indexOf('OTA failed: ') >= 0) as string;
        const reason = line.slice(line.indexOf('OTA failed: ') + 12).trim();
        assert.match(reason, why, what);
        await s.reach('ERROR', from);
        await backOnline(s, from);
        assert.equal((await settled(s, sid)).status, 'failed', what);
        await told(s, 'sys_ota: OTA failed: ' + reason);
        assert.equal((await s.cloudDevice()).info.mcu, '0.1.0', what);
        assert.deepEqual(s.board.errors(), [], what);
      }
    });

    it('a 0.2.0 that throws at boot is rolled back after three boots, and the cloud is told', async () => {
      s = await online(chip);
      const from = s.board.mark();
      const sid = ship(s, releaseImage(manifest(chip), { fwVersion: '0.2.0', crash: true }));
      await s.board.waitFor(/OTA: 0\.2\.0 written, rebooting into it/, UPDATE_MS, from);
      // The reboot into 0.2.0, then one per failed boot.
      for (let i = 0; i < 4; i++) await s.board.awaitReboot(20000, from);
      await s.reach('RUNNING', from, UPDATE_MS);
      const log = s.board.log().slice(from);
      assert.equal(log.split('boot failed: Error: release 0.2.0 fails at boot').length - 1, 3, log);
      assert.equal((await settled(s, sid)).status, 'failed');
      await told(s, 'sys_ota: OTA failed: rolled back after 3 boots');
      assert.equal((await s.cloudDevice()).info.mcu, '0.1.0');
    });
  });
}
