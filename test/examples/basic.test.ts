/**
 * The basic example (examples/basic) from its own bundles, `dist/esp32.js` and
 * `dist/esp8266.js`, on the simulated board: provisioned by the phone to
 * RUNNING, it greets on V1 and echoes every V0 write from the cloud on V1.
 */
import { strict as assert } from 'assert';
import type { World } from '../e2e/world';
import { CHIPS, bundleOf, cloudPin, eventually, exampleWorld, provisioned, writePin } from './helpers';

for (const chip of CHIPS) {
  describe(`basic example on ${chip} (dist/${bundleOf('basic', chip)})`, function () {
    this.timeout(30000);
    let w: World | undefined;
    afterEach(async () => {
      if (w) await w.close();
      w = undefined;
    });

    it('provisions to RUNNING, says hello on V1 and echoes a cloud V0 write on V1', async () => {
      w = await exampleWorld(bundleOf('basic', chip), { chip });
      const id = await provisioned(w);
      const world = w;
      await eventually(world, () => String(cloudPin(world, id, 1)) === 'hello', 'no hello on V1');
      assert.equal(await writePin(world, id, 0, '42'), true, 'V0 delivered to the online device');
      await eventually(world, () => String(cloudPin(world, id, 1)) === '42', 'V0 was not echoed on V1');
      assert.equal(world.dev.state, 'RUNNING');
      assert.deepEqual(world.dev.board.errors, []);
    });
  });
}
