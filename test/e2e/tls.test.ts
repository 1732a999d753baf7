/**
 * Verified TLS on the ESP32: with `tlsCa` the device logs in only to a cloud
 * whose certificate chains to that CA; a server it does not trust is refused
 * with 711 and the credentials are not committed.
 */
import { strict as assert } from 'assert';
import { readFileSync } from 'fs';
import { join } from 'path';
import { World, world } from './world';
import { CERT_DIR } from '../../sim/cloud';

const PRODUCT = { templateId: 'TMPL4abcd123', templateName: 'My Device', fwVersion: '1.0.0' };

describe('verified TLS on the ESP32', function () {
  this.timeout(30000);
  let w: World;
  afterEach(async () => {
    if (w) await w.close();
  });

  it('trusting the cloud CA: online over verified TLS', async () => {
    w = await world({ chip: 'ESP32', product: Object.assign({ tlsCa: readFileSync(join(CERT_DIR, 'cert.pem'), 'latin1') }, PRODUCT) });
    await w.phone();
    await w.until('RUNNING');
    assert.ok(w.dev.board.console.some((l) => / tls token /.test(l)));
  });

  it('trusting another CA: the cloud is refused with 711, nothing committed', async () => {
    w = await world({ chip: 'ESP32', product: Object.assign({ tlsCa: readFileSync(join(CERT_DIR, 'other-ca.pem'), 'latin1') }, PRODUCT) });
    await w.phone();
    await w.until('ERROR', 120000);
    assert.ok(!w.dev.states.includes('RUNNING'));
    assert.equal(w.dev.storedConfig().valid, false);
    assert.equal(w.dev.storedConfig().lastError, 711);
  });
});
