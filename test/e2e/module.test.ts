/**
 * The library deployed as an Espruino module: `dist/espruino-edgent.js` in the
 * Storage file that `require('espruino-edgent')` finds, and a product's own
 * firmware (its template and version) as boot code, provisioned end to end.
 */
import { strict as assert } from 'assert';
import { World, world } from './world';
import { MODULE_FILE } from '../../sim/device';

for (const chip of ['ESP32', 'ESP8266'] as const) {
  describe(`the library as a Storage module on ${chip}`, function () {
    this.timeout(30000);
    let w: World;
    afterEach(async () => {
      if (w) await w.close();
    });

    it('product firmware requires it from flash and provisions with its own template', async () => {
      w = await world({ chip, product: { templateId: 'TMPL7product', templateName: 'Aquarium Light', fwVersion: '2.1.0' } });
      assert.ok(w.dev.board.storage.list().includes(MODULE_FILE));
      assert.ok(!/createEdgent=|function createEdgent/.test(w.dev.board.storage.read('.bootcde') || ''), 'boot code holds only the product');
      const r = await w.phone();
      assert.equal(r.boardInfo.tmpl_id, 'TMPL7product');
      assert.equal(r.boardInfo.fw_ver, '2.1.0');
      assert.match(String(r.boardInfo.ssid), /^Blynk Aquarium Light-[0-9A-Z]{4}$/);
      await w.until('RUNNING');
      const device = await w.cloudDevice(r.token);
      assert.equal(device.template, 'TMPL7product');
      assert.equal(device.info.mcu, '2.1.0');
      assert.equal(device.info.dev, chip);
      assert.equal(w.dev.board.errors.length, 0, String(w.dev.board.errors));
    });
  });
}
