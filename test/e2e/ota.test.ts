/**
 * Over-the-air updates end to end on the built ESP32 and ESP8266 bundles, on
 * the simulated board against the simulated cloud's Blynk.Air: a device at
 * 0.1.0 is shipped 0.2.0 and runs it after its reboot; every broken download
 * or image leaves it running 0.1.0 and reporting why; a 0.2.0 that throws at
 * boot is rolled back after three tries; a power cut at any point of the
 * download or of the switch boots the old firmware or the new one.
 */
import { strict as assert } from 'assert';
import { join } from 'path';
import { readFileSync } from 'fs';
import { setTimeout as realSleep } from 'timers/promises';
import { World, world } from './world';
import { DIST } from '../../sim/device';
import { releaseImage } from '../../sim/release';
import { slotRead } from '../../lib/slots';
import { crc32 } from '../../lib/crc32';
import type { DownloadFault } from '../../sim/cloud';
import { runStory } from '../../sim/cli';

for (const chip of ['ESP32', 'ESP8266'] as const) {
  describe(`Blynk.Air update on the ${chip} bundle`, function () {
    this.timeout(120000);
    const manifest = join(DIST, chip === 'ESP32' ? 'esp32.files.json' : 'esp8266.files.json');
    let w: World;
    let logs: string[];
    afterEach(async () => {
      if (w) await w.close();
    });

    /** A provisioned device online at 0.1.0: its cloud id. */
    async function online(): Promise<number> {
      w = await world({ chip });
      logs = [];
      w.dev.on('log', (l: string) => { logs.push(l); if (process.env.OTA_LOG) console.log(l); });
      const r = await w.phone();
      await w.until('RUNNING');
      return (await w.cloudDevice(r.token)).id;
    }

    function ship(id: number, image: Buffer, fault?: DownloadFault): number {
      const img = w.cloud.api.uploadImage(image);
      return w.cloud.api.startShipment({ image: img.id, device: id, fault }).id;
    }

    /** Runs device time until the shipment's status for `id` is final. */
    async function settled(sid: number, id: number, maxMs = 300000): Promise<{ status: string; reason?: string }> {
      const end = Date.now() + maxMs;
      for (;;) {
        const s = w.cloud.api.getShipment(sid).devices[id];
        if (s.status === 'success' || s.status === 'failed') return s;
        if (Date.now() > end) throw new Error(`shipment still ${s.status}: ${w.dev.states.join(' > ')}`);
        await w.clock.tickAsync(100);
      }
    }

    /** The device's events as the cloud logged them (`name: description`), once `want` is among them or after 4 s of real time (the frame crosses real loopback). */
    async function events(id: number, want: string): Promise<string[]> {
      let list: string[] = [];
      for (let i = 0; i < 200; i++) {
        list = w.cloud.api.listEvents(id).map((e) => `${e.name}: ${e.description}`);
        if (list.includes(want)) break;
        await realSleep(20);
      }
      return list;
    }

    function record() {
      return slotRead((n) => w.dev.board.storage.read(n), crc32);
    }

    it('0.1.0 → 0.2.0 → 0.3.0: each runs after its reboot, the cloud sees each shipment succeed, the credentials stay', async () => {
      const id = await online();
      const before = w.dev.storedConfig();
      let mark = w.dev.states.length;
      let sid = ship(id, releaseImage(manifest, { fwVersion: '0.2.0' }));
      assert.equal((await settled(sid, id)).status, 'success');
      await w.until('RUNNING');
      assert.deepEqual(w.dev.states.slice(mark), ['OTA_UPGRADE', 'CONNECTING_NET', 'CONNECTING_CLOUD', 'RUNNING']);
      assert.equal(w.cloud.api.getDevice(id).info.mcu, '0.2.0');
      assert.ok(w.dev.board.storage.read('~edgent.boot'), 'written into slot 1');
      assert.deepEqual({ a: record().a, t: record().t, w: record().w }, { a: 1, t: 0, w: '' }, 'slot 1, confirmed');
      assert.ok(logs.some((l) => l === 'OTA: firmware 0.2.0 confirmed'), logs.join('\n'));
      const started = await events(id, 'sys_ota: OTA started');
      assert.ok(started.includes('sys_ota: OTA started'), started.join('\n'));
      assert.deepEqual(w.dev.storedConfig(), before);
      assert.ok(!logs.some((l) => /Uncaught|OTA failed/.test(l)), logs.join('\n'));

      mark = w.dev.states.length;
      sid = ship(id, releaseImage(manifest, { fwVersion: '0.3.0' }));
      assert.equal((await settled(sid, id)).status, 'success');
      await w.until('RUNNING');
      assert.equal(w.cloud.api.getDevice(id).info.mcu, '0.3.0');
      assert.equal(record().a, 0, 'back in slot 0');
      assert.ok(!w.dev.states.slice(mark).includes('WAIT_CONFIG'));
    });

    const broken: Array<[string, { fault?: DownloadFault; image?: (img: Buffer) => Buffer; edit?: (n: string, d: Buffer) => Buffer }, RegExp]> = [
      ['an MD5 that does not match', { fault: { type: 'ota-bad-md5' } }, /^bad MD5$/],
      ['a body cut short', { fault: { type: 'ota-short' } }, /^short download: \d+ of \d+ bytes$/],
      ['a 404', { fault: { type: 'ota-404' } }, /^HTTP 404$/],
      ['no Content-Length', { fault: { type: 'ota-no-length' } }, /^no Content-Length$/],
      ['the cloud gone mid-download', { fault: { type: 'ota-drop', after: 20000 } }, /^short download: 20000 of \d+ bytes$/],
      ['an image for another product', {
        edit: (n, d) => (n === 'edgent.boot' ? Buffer.from(d.toString('latin1').replace(/templateId:"[^"]*"/, 'templateId:"TMPLother0001"'), 'latin1') : d)
      }, /^wrong fw-type TMPLother0001$/],
      ['a file damaged in the image', { image: (img) => { img[img.length - 10] ^= 0xff; return img; } }, /^CRC mismatch: edgent\.ca$/],
    ];
    for (const [what, how, why] of broken) {
      it(`${what}: ERROR, the reboot runs 0.1.0 again, and the cloud is told why`, async () => {
        const id = await online();
        const mark = w.dev.states.length;
        let image = releaseImage(manifest, { fwVersion: '0.2.0', edit: how.edit });
        if (how.image) image = how.image(image);
        const sid = ship(id, image, how.fault);
        const s = await settled(sid, id);
        assert.equal(s.status, 'failed');
        await w.until('RUNNING');
        const failed = logs.find((l) => l.startsWith('OTA failed: '));
        assert.ok(failed && why.test(failed.substr(12)), logs.join('\n'));
        assert.deepEqual(w.dev.states.slice(mark, mark + 2), ['OTA_UPGRADE', 'ERROR']);
        assert.equal(w.cloud.api.getDevice(id).info.mcu, '0.1.0');
        assert.equal(record().a, 0);
        const told = await events(id, 'sys_ota: ' + failed);
        assert.ok(told.includes('sys_ota: ' + failed), told.join('\n'));
        assert.equal(record().w, '', 'reported once');
        assert.ok(!logs.some((l) => /Uncaught/.test(l)), logs.join('\n'));
      });
    }

    describe('power cut during the update', () => {
      /** Flash bytes an update writes, from OTA_UPGRADE to the switch to the new slot (measured on a first, uncut update). */
      let total = 0;
      before(async () => {
        const id = await online();
        await w.cloud.api.startShipment({ image: w.cloud.api.uploadImage(releaseImage(manifest, { fwVersion: '0.2.0' })).id, device: id });
        await w.until('OTA_UPGRADE');
        const from = w.dev.board.storage.written();
        while (!logs.some((l) => / written, rebooting into it$/.test(l))) await w.clock.tickAsync(20);
        total = w.dev.board.storage.written() - from;
        await w.close();
      });
      // Across the download (the first file, a file boundary, the middle, the last file), then every byte of the switch.
      const points = (): number[] => {
        const spread = [0, 1, 100, 8000, Math.floor(total / 2), total - 3000];
        const last: number[] = [];
        for (let n = total - 40; n <= total; n++) last.push(n);
        return spread.concat(last);
      };
      it('boots 0.1.0 or 0.2.0 after a cut at any of these flash bytes, never neither, and the cloud still shows it online', async function () {
        this.timeout(600000);
        assert.ok(total > 50000, String(total));
        const seen = new Set<string>();
        for (const n of points()) {
          const id = await online();
          await w.cloud.api.startShipment({ image: w.cloud.api.uploadImage(releaseImage(manifest, { fwVersion: '0.2.0' })).id, device: id });
          await w.until('OTA_UPGRADE');
          w.dev.board.cutPowerAfterFlashBytes(n);
          let off = false;
          w.dev.board.once('off', () => { off = true; });
          for (let i = 0; i < 4000 && !off; i++) await w.clock.tickAsync(20);
          assert.ok(off, `cut at ${n} of ${total}: the power went off`);
          w.dev.board.boot();
          await w.until('RUNNING');
          const mcu = w.cloud.api.getDevice(id).info.mcu;
          seen.add(mcu);
          assert.ok(mcu === '0.1.0' || mcu === '0.2.0', `cut at ${n}: ${mcu}`);
          assert.equal(record().a, mcu === '0.2.0' ? 1 : 0, `cut at ${n}`);
          assert.ok(!logs.some((l) => /Uncaught|boot failed/.test(l)), `cut at ${n}:\n` + logs.join('\n'));
          await w.close();
        }
        assert.deepEqual([...seen].sort(), ['0.1.0', '0.2.0'], 'cuts before and after the switch');
      });
    });

    it('a 0.2.0 that throws at boot is rolled back after three tries, and the cloud is told', async () => {
      const id = await online();
      const sid = ship(id, releaseImage(manifest, { fwVersion: '0.2.0', crash: true }));
      const s = await settled(sid, id);
      assert.equal(s.status, 'failed');
      await w.until('RUNNING');
      assert.equal(w.cloud.api.getDevice(id).info.mcu, '0.1.0');
      assert.equal(logs.filter((l) => /boot failed: Error: release 0\.2\.0 fails at boot/.test(l)).length, 3, logs.join('\n'));
      assert.deepEqual({ a: record().a, t: record().t }, { a: 0, t: 0 });
      const told = await events(id, 'sys_ota: OTA failed: rolled back after 3 boots');
      assert.ok(told.includes('sys_ota: OTA failed: rolled back after 3 boots'), told.join('\n'));
    });
  });
}

describe('the demo with --ota (npm start -- --ota)', function () {
  this.timeout(120000);
  it('provisions the ESP8266 bundle, then updates it from 0.1.0 to 0.2.0 and says so', async () => {
    const lines: string[] = [];
    const code = await runStory({ chip: 'ESP8266', until: 'hello', ota: true, say: (l) => lines.push(l) });
    assert.equal(code, 0, lines.join('\n'));
    assert.ok(lines.includes('demo complete: provisioned end to end'), lines.join('\n'));
    assert.ok(lines.some((l) => /^Blynk\.Air: shipment 1, device \d+: success$/.test(l)), lines.join('\n'));
    assert.ok(lines.some((l) => /^cloud: device \d+ runs 0\.2\.0$/.test(l)), lines.join('\n'));
    assert.equal(lines[lines.length - 1], 'demo complete: updated over the air from 0.1.0 to 0.2.0');
  });
});

describe('Blynk.Air update over HTTPS (ESP32)', function () {
  this.timeout(60000);
  let w: World | undefined;
  afterEach(async () => {
    if (w) await w.close();
    w = undefined;
  });

  function record(x: World) {
    return slotRead((n) => x.dev.board.storage.read(n), crc32);
  }

  async function shipOverHttps(edgentCa?: string): Promise<{ id: number; sid: number; logs: string[] }> {
    w = await world({ chip: 'ESP32', otaHttps: true });
    const logs: string[] = [];
    w.dev.on('log', (l: string) => { logs.push(l); if (process.env.OTA_LOG) console.log(l); });
    const r = await w.phone();
    await w.until('RUNNING');
    const id = (await w.cloudDevice(r.token)).id;
    // The download is checked against the running firmware's edgent.ca: replace it to make the server untrusted.
    if (edgentCa) w.dev.board.storage.write('edgent.ca', edgentCa);
    const image = releaseImage(join(DIST, 'esp32.files.json'), { fwVersion: '0.2.0' });
    return { id, sid: w.cloud.api.startShipment({ image: w.cloud.api.uploadImage(image).id, device: id }).id, logs };
  }

  it('downloads from an https:// URL, checking the server against edgent.ca, and runs 0.2.0', async () => {
    const { id, sid, logs } = await shipOverHttps();
    for (let i = 0; i < 3000 && w!.cloud.api.getShipment(sid).devices[id].status !== 'success'; i++) await w!.clock.tickAsync(100);
    assert.equal(w!.cloud.api.getShipment(sid).devices[id].status, 'success');
    assert.ok(logs.some((l) => /^OTA: downloading https:\/\/127\.0\.0\.1:\d+\/ota\//.test(l)), logs.join('\n'));
  });

  it('refuses a server whose certificate does not chain to edgent.ca: the update fails, 0.1.0 stays', async () => {
    const { id, sid, logs } = await shipOverHttps(readFileSync(join(DIST, 'edgent-ca.der'), 'latin1'));
    for (let i = 0; i < 3000 && !logs.some((l) => l.startsWith('OTA failed: ')); i++) await w!.clock.tickAsync(100);
    assert.ok(logs.some((l) => /^OTA failed: download: /.test(l)), logs.join('\n'));
    assert.equal(record(w!).a, 0, 'still slot 0');
    assert.notEqual(w!.cloud.api.getShipment(sid).devices[id].status, 'success');
  });
});

describe('Blynk.Air update of a firmware without the slot loader', function () {
  this.timeout(60000);
  let w: World | undefined;
  afterEach(async () => {
    if (w) await w.close();
  });

  it('the library as a module under the product\'s own boot code stays RUNNING and tells the cloud it cannot update', async () => {
    w = await world({ chip: 'ESP32', product: { templateId: 'TMPL4abcd123', templateName: 'My Device', fwVersion: '0.1.0' } });
    const logs: string[] = [];
    w.dev.on('log', (l: string) => logs.push(l));
    const r = await w.phone();
    await w.until('RUNNING');
    const id = (await w.cloudDevice(r.token)).id;
    const mark = w.dev.states.length;
    const image = releaseImage(join(DIST, 'esp32.files.json'), { fwVersion: '0.2.0' });
    w.cloud.api.startShipment({ image: w.cloud.api.uploadImage(image).id, device: id });
    for (let i = 0; i < 200 && !w.cloud.api.listEvents(id).length; i++) await realSleep(20);
    assert.deepEqual(w.cloud.api.listEvents(id).map((e) => `${e.name}: ${e.description}`), ['sys_ota: OTA failed: no slot loader in this firmware']);
    await w.clock.tickAsync(20000);
    assert.deepEqual(w.dev.states.slice(mark), [], 'still RUNNING');
    assert.ok(logs.includes('OTA failed: no slot loader in this firmware'), logs.join('\n'));
  });
});
