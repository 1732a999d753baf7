/**
 * Verified TLS on the ESP32 bundles. The simulated cloud's certificate is
 * issued by a test CA (sim/cloud/certs), not a public one:
 * - by default the firmware passes the Storage file `edgent.ca` as `ca`: with
 *   the shipped ISRG Root X1 there the cloud is refused (711, reported in
 *   `board_info.json` back in config mode, and no connection ever reached the
 *   cloud's protocol: no token frame); with the test CA there it logs in;
 * - `tlsCa` replaces the file: the test CA logs in, another CA is refused;
 * - `tlsCa: false` logs in unverified with one warning line at every connect;
 * - no `edgent.ca` and no `tlsCa`: refused (fails closed), not unverified;
 * - a provisioned device facing an untrusted certificate keeps retrying with
 *   its backoff and never opens the access point.
 */
import { strict as assert } from 'assert';
import { readFileSync } from 'fs';
import { World, world } from './world';
import { OTHER_CA, TEST_CA } from '../../sim/cloud';
import { CA_STORAGE, DIST, pemToDer } from '../../sim/device';
import { join } from 'path';
import { http } from '../../sim/phone';

const PRODUCT = { templateId: 'TMPL4abcd123', templateName: 'My Device', fwVersion: '1.0.0' };
const TEST_CA_PEM = readFileSync(TEST_CA, 'latin1');
const OTHER_CA_PEM = readFileSync(OTHER_CA, 'latin1');
const WARNING = 'cloud: WARNING: TLS certificate not verified (tlsCa: false)';

/** True if the cloud accepted a device connection (after a TLS handshake) or saw a login. */
function cloudSawDevice(w: World): boolean {
  return w.cloudLog.some((l) => /^device connection|^login |: online \(/.test(l));
}

/** Waits (device time) until the cloud has logged a refused TLS handshake; false if it never does. */
async function handshakeRefused(w: World): Promise<boolean> {
  for (let i = 0; i < 100; i++) {
    if (w.cloudLog.some((l) => l.startsWith('tls handshake failed'))) return true;
    await w.clock.tickAsync(50);
  }
  return false;
}

/** Console lines of the device that match `re`. */
function lines(w: World, re: RegExp): string[] {
  return w.dev.board.console.filter((l) => re.test(l));
}

describe('verified TLS on the ESP32', function () {
  this.timeout(60000);
  let w: World;
  afterEach(async () => {
    if (w) await w.close();
  });

  it('default firmware, edgent.ca holding the test CA: online over verified TLS, no warning', async () => {
    w = await world({ chip: 'ESP32' });
    assert.equal(w.dev.board.storage.read(CA_STORAGE), pemToDer(TEST_CA_PEM), 'the board got the test CA as edgent.ca (DER)');
    await w.phone();
    await w.until('RUNNING');
    assert.ok(lines(w, / tls token /).length >= 1);
    assert.deepEqual(lines(w, /WARNING/), []);
    assert.ok(w.cloudLog.some((l) => / online \(tls,/.test(l)));
  });

  it('default firmware as shipped (ISRG Root X1): refused with 711, no token frame, 711 in board_info back in config mode', async () => {
    w = await world({ chip: 'ESP32', storageCa: 'shipped' });
    const shipped = readFileSync(join(DIST, 'edgent-ca.der'), 'latin1');
    assert.equal(w.dev.board.storage.read(CA_STORAGE), shipped);
    const r = await w.phone();
    await w.until('ERROR', 120000);
    assert.equal(w.dev.storedConfig().valid, false, 'nothing committed');
    assert.equal(w.dev.storedConfig().lastError, 711);
    await w.until('WAIT_CONFIG', 60000);
    assert.equal((await w.portal('/board_info.json')).last_error, 711);
    assert.ok(await handshakeRefused(w), w.cloudLog.join('\n'));
    assert.equal(cloudSawDevice(w), false, 'no connection reached the protocol: no token frame was sent');
    assert.equal(await w.cloudDevice(r.token), null, 'the token was never used');
  });

  it('tlsCa replaces edgent.ca: the product trusting the test CA logs in while edgent.ca holds ISRG Root X1', async () => {
    w = await world({ chip: 'ESP32', storageCa: 'shipped', product: Object.assign({ tlsCa: TEST_CA_PEM }, PRODUCT) });
    await w.phone();
    await w.until('RUNNING');
    assert.deepEqual(lines(w, /WARNING/), []);
  });

  it('tlsCa of another CA: refused with 711, nothing committed, no token frame', async () => {
    w = await world({ chip: 'ESP32', product: Object.assign({ tlsCa: OTHER_CA_PEM }, PRODUCT) });
    await w.phone();
    await w.until('ERROR', 120000);
    assert.ok(!w.dev.states.includes('RUNNING'));
    assert.equal(w.dev.storedConfig().valid, false);
    assert.equal(w.dev.storedConfig().lastError, 711);
    assert.ok(await handshakeRefused(w), w.cloudLog.join('\n'));
    assert.equal(cloudSawDevice(w), false, 'no token frame was sent');
  });

  it('tlsCa: false: online without verification, one warning line at every connect', async () => {
    w = await world({ chip: 'ESP32', storageCa: 'shipped', product: Object.assign({ tlsCa: false as const }, PRODUCT) });
    const r = await w.phone();
    await w.until('RUNNING');
    assert.equal(lines(w, /WARNING/).length, 1);
    // The link drops; the reconnection warns again.
    const device = await w.cloudDevice(r.token);
    await http('POST', `${w.api}/api/faults`, { type: 'drop', device: device.id });
    for (let i = 0; i < 400 && lines(w, /^cloud: connecting /).length < 2; i++) await w.clock.tickAsync(50);
    await w.until('RUNNING');
    const connects = lines(w, /^cloud: connecting /).length;
    assert.ok(connects >= 2, w.dev.board.console.slice(-10).join('\n'));
    assert.deepEqual(lines(w, /WARNING/), new Array(connects).fill(WARNING));
  });

  it('no edgent.ca and no tlsCa: refused with 711 (fails closed), never unverified', async () => {
    w = await world({ chip: 'ESP32', storageCa: 'none' });
    await w.phone();
    await w.until('ERROR', 120000);
    assert.equal(w.dev.storedConfig().lastError, 711);
    assert.equal(await handshakeRefused(w), false, 'no connection was even attempted');
    assert.equal(cloudSawDevice(w), false);
  });

  it('a provisioned device facing an untrusted certificate retries with backoff, never opens the access point, and recovers', async () => {
    w = await world({ chip: 'ESP32' });
    await w.phone();
    await w.until('RUNNING');
    // A rogue server now answers for the cloud: the device's CA no longer fits its certificate.
    w.dev.board.storage.write(CA_STORAGE, pemToDer(OTHER_CA_PEM));
    const from = w.dev.states.length;
    const attempts: number[] = [];
    const onLog = (l: string) => {
      if (/^cloud: connecting /.test(l)) attempts.push(Date.now());
    };
    w.dev.on('log', onLog);
    await http('POST', `${w.api}/api/faults`, { type: 'drop' });
    const t0 = Date.now();
    while (Date.now() - t0 < 10 * 60000) await w.clock.tickAsync(1000);
    w.dev.off('log', onLog);
    const states = w.dev.states.slice(from);
    assert.ok(!states.includes('WAIT_CONFIG') && !states.includes('ERROR') && !states.includes('RUNNING'), states.join(' > '));
    assert.ok(attempts.length >= 5, `attempts in 10 min: ${attempts.length}`);
    const gaps = attempts.slice(1).map((t, i) => t - attempts[i]);
    // 5 s doubling to 2 min, ±25 %.
    assert.ok(gaps[0] >= 3000 && gaps[0] <= 8000, gaps.join(', '));
    for (let i = 1; i < gaps.length; i++) assert.ok(gaps[i] >= gaps[i - 1] * 0.9 || gaps[i] >= 90000, gaps.join(', '));
    assert.equal(w.dev.storedConfig().valid, true, 'the stored configuration stays');
    // The rogue server is gone: the next attempt logs in.
    w.dev.board.storage.write(CA_STORAGE, pemToDer(TEST_CA_PEM));
    await w.until('RUNNING', 5 * 60000);
  });
});
