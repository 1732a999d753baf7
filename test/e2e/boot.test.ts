/**
 * The firmware's boot discipline on the simulated board: Espruino's `save()`
 * fires `E.on('kill')` before it snapshots RAM and `E.on('init')` after the
 * restore, and a second upload re-runs the code without a reset. Either way
 * exactly one provisioning instance may run: no duplicated timers, watches,
 * servers or state machines.
 */
import { strict as assert } from 'assert';
import { readFileSync } from 'fs';
import { join } from 'path';
import { World, world } from './world';
import { DIST } from '../../sim/device';
import { http } from '../../sim/phone';

describe('boot discipline on the ESP32 bundle', function () {
  this.timeout(30000);
  let w: World;
  afterEach(async () => {
    if (w) await w.close();
  });

  function count(line: string): number {
    return w.dev.board.console.filter((l) => l === line).length;
  }

  async function holdButton(ms: number): Promise<void> {
    w.dev.board.setPinInput(0, 0);
    await w.clock.tickAsync(ms);
    w.dev.board.setPinInput(0, 1);
    await w.clock.tickAsync(100);
  }

  it("E.on('kill') (save) stops everything; E.on('init') starts exactly one instance", async () => {
    w = await world({ chip: 'ESP32' });
    await w.join();
    w.dev.board.evaluate("E.emit('kill')");
    await w.clock.tickAsync(100);
    const pins: number[] = [];
    w.dev.board.on('pin', (e: { value: number }) => pins.push(e.value));
    await w.clock.tickAsync(3000);
    assert.deepEqual(pins, [], 'no LED timer after kill');
    await assert.rejects(http('GET', `${w.dev.portalUrl}/board_info.json`), 'portal closed after kill');
    await holdButton(10500);
    assert.equal(count('WAIT_CONFIG => RESET_CONFIG'), 0, 'no button watch after kill');

    w.dev.board.evaluate("E.emit('init')");
    await w.until('WAIT_CONFIG');
    assert.equal(count('BOOT => WAIT_CONFIG'), 2);
    assert.equal((await w.portal('/board_info.json')).tmpl_id, 'TMPL4abcd123');
    await holdButton(10500);
    assert.equal(count('WAIT_CONFIG => RESET_CONFIG') + count('CONFIGURING => RESET_CONFIG'), 1, 'one instance reacts');
    assert.equal(w.dev.board.errors.length, 0, String(w.dev.board.errors));
  });

  it('uploading the firmware again replaces the running instance', async () => {
    w = await world({ chip: 'ESP32' });
    await w.join();
    w.dev.board.evaluate(readFileSync(join(DIST, 'esp32.js'), 'latin1'));
    await w.clock.tickAsync(500);
    assert.equal(count('BOOT => WAIT_CONFIG'), 2);
    assert.equal((await w.portal('/board_info.json')).tmpl_id, 'TMPL4abcd123');
    await holdButton(10500);
    assert.equal(count('WAIT_CONFIG => RESET_CONFIG') + count('CONFIGURING => RESET_CONFIG'), 1, 'one instance reacts');
    assert.equal(w.dev.board.errors.length, 0, String(w.dev.board.errors));
  });
});
