/**
 * The portal's HTML form (lib/form.html, built into dist/form.html) in a real
 * headless Chromium driven by playwright-core, on a phone-sized viewport,
 * against a simulated ESP32 running `dist/esp32.js` on real timers and a
 * simulated cloud: the network list fills from `/wifi_scan.json` (UTF-8 names
 * included), a person picks `Home`, types a password full of characters that
 * need escaping and a token, and submits. The request the browser sends must
 * carry exactly those values, and the device must get them byte-exact: it
 * reaches RUNNING only if the password matches the network's and the token is
 * one the cloud issued. Screenshots of the form before and after submitting go
 * to test-output/browser/.
 *
 * Chromium comes from the npm package `@sparticuz/chromium` (a headless
 * Chromium shipped inside the package, unpacked into the temporary directory
 * at the first launch): `npm ci` is all the test needs.
 */
import { strict as assert } from 'assert';
import { existsSync, mkdirSync } from 'fs';
import { join, resolve } from 'path';
import sparticuz from '@sparticuz/chromium';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createCloudServer, type CloudServer } from '../../sim/cloud';
import { createSimDevice, DIST, utf8Bytes, type SimDevice } from '../../sim/device';
import { http, issueToken, signIn } from '../../sim/phone';

/** Screenshots go here (gitignored). */
const OUT = resolve(__dirname, '..', '..', 'test-output', 'browser');
/** A phone's viewport (iPhone 12-15 class). */
const PHONE = { width: 390, height: 844 };

/** The password a person types: spaces, query delimiters, escapes, quotes, a backslash, markup and a non-ASCII letter. */
const PASSWORD = 'p@ss w0rd&=+%#"\'\\<é';
/** The networks around the device; Home's password is exactly PASSWORD. */
const NETWORKS = [
  { ssid: 'Home', password: PASSWORD, rssi: -45, channel: 6 },
  { ssid: 'Café ☕', password: 'croissant', rssi: -60, channel: 1 },
  { ssid: 'Office', password: 'new-password', rssi: -70, channel: 11 }
];

/** Launches the packaged headless Chromium, offline: no background networking, updates or sync. */
async function launch(): Promise<Browser> {
  const executablePath = await sparticuz.executablePath();
  try {
    return await chromium.launch({
      executablePath,
      timeout: 20000,
      args: sparticuz.args.concat([
        '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'
      ])
    });
  } catch (e) {
    throw new Error(`the headless Chromium of @sparticuz/chromium (${executablePath}) could not be launched: ${(e as Error).message}`);
  }
}

/** The networks offered by the select (option values, without the 'choose' prompt). */
async function networkNames(page: Page): Promise<string[]> {
  const values = await page.locator('select[name=ssid] option').evaluateAll((os) => os.map((o) => (o as unknown as { value: string }).value));
  return values.filter((v) => v !== '');
}

/** Waits until the network select lists every name in `names` (filled from `/wifi_scan.json`). */
async function waitForNetworks(page: Page, names: string[], timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  let seen: string[] = [];
  while (Date.now() < until) {
    seen = await networkNames(page);
    if (names.every((n) => seen.includes(n))) return;
    await page.waitForTimeout(100);
  }
  throw new Error(`the network list did not fill within ${timeoutMs} ms: ${JSON.stringify(seen)}`);
}

describe('portal form in Chromium', function () {
  this.timeout(60000);
  let cloud: CloudServer | undefined;
  let dev: SimDevice | undefined;
  let browser: Browser | undefined;

  after(async () => {
    if (browser) await browser.close();
    if (dev) await dev.close();
    if (cloud) await cloud.stop();
  });

  it('a person picks Home, types a password with special characters and a token, and the device gets them byte-exact', async () => {
    mkdirSync(OUT, { recursive: true });
    assert.ok(existsSync(join(DIST, 'esp32.js')) && existsSync(join(DIST, 'form.html')), 'run `npm run build` first');
    // Playwright gives the browser a fresh temporary profile of its own.
    browser = await launch();
    cloud = createCloudServer();
    await cloud.start();
    const api = `http://127.0.0.1:${cloud.ports.http}`;
    const lines: string[] = [];
    dev = createSimDevice({
      chip: 'ESP32',
      networks: NETWORKS,
      cloud: { tcp: cloud.ports.tcp, tls: cloud.ports.tls },
      log: (line) => lines.push(line)
    });
    await dev.start();
    await dev.waitFor('WAIT_CONFIG');
    await dev.phoneJoin();

    // The token the app would get from the cloud for this device's template.
    const info = JSON.parse((await http('GET', `${dev.portalUrl}/board_info.json`)).body);
    const token = await issueToken(api, await signIn(api, 'Acme', 'ann@acme.test'), info.tmpl_id);
    assert.equal(token.length, 32);

    const page = await browser.newPage({ viewport: PHONE, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
    const configUrls: string[] = [];
    page.on('request', (req) => {
      if (new URL(req.url()).pathname === '/config') configUrls.push(req.url());
    });

    await page.goto(`${dev.portalUrl}/`);
    await waitForNetworks(page, NETWORKS.map((n) => n.ssid), 20000);
    // Strongest first, names decoded as UTF-8.
    assert.deepEqual(await networkNames(page), NETWORKS.map((n) => n.ssid));
    await page.screenshot({ path: join(OUT, 'form.png'), fullPage: true });

    await page.selectOption('select[name=ssid]', 'Home');
    // Typed key by key, as on a phone's keyboard.
    await page.locator('input[name=pass]').pressSequentially(PASSWORD);
    assert.equal(await page.inputValue('input[name=pass]'), PASSWORD);
    await page.fill('input[name=blynk]', token);
    const reply = page.waitForResponse((r) => new URL(r.url()).pathname === '/config');
    await page.click('#c');
    const res = await reply;
    assert.equal(res.status(), 200);
    assert.equal(await res.text(), '{"status":"ok","msg":"Trying to connect..."}');
    await page.waitForFunction("/Saved\\./.test(document.getElementById('m').textContent)");
    await page.screenshot({ path: join(OUT, 'after-submit.png'), fullPage: true });

    // What the browser sent: UTF-8, percent-encoded, spaces as '+'.
    assert.equal(configUrls.length, 1, configUrls.join('\n'));
    assert.ok(configUrls[0].includes(new URLSearchParams({ pass: PASSWORD }).toString()), `form-encoded password in ${configUrls[0]}`);
    const sent = new URL(configUrls[0]).searchParams;
    assert.equal(sent.get('ssid'), 'Home');
    assert.equal(sent.get('ssidManual'), '');
    assert.equal(sent.get('pass'), PASSWORD);
    assert.equal(sent.get('blynk'), token);
    assert.equal(sent.get('host'), 'blynk.cloud');
    assert.equal(sent.get('port_ssl'), '443');

    // What the device made of it: Home joined with that exact password, the cloud accepted that exact token.
    await dev.waitFor('RUNNING', 30000);
    const tail = dev.states.slice(dev.states.indexOf('CONFIGURING'));
    assert.deepEqual(tail, ['CONFIGURING', 'SWITCH_TO_STA', 'CONNECTING_NET', 'CONNECTING_CLOUD', 'RUNNING'], dev.states.join(' > '));
    assert.ok(lines.includes('CONFIGURING => SWITCH_TO_STA'), 'the console shows the staged config being applied');
    // The device commits the credentials in a step of its own, right after the first login.
    for (let i = 0; i < 100 && !dev.storedConfig().valid; i++) await new Promise((r) => setTimeout(r, 20));
    const stored = dev.storedConfig();
    assert.equal(stored.ssid, 'Home');
    assert.equal(stored.pass, utf8Bytes(PASSWORD));
    assert.equal(stored.token, token);
    const id = cloud.api.getToken(token).device;
    assert.ok(id !== null && cloud.api.getDevice(id).online, 'the device is online in the cloud with the typed token');
    assert.deepEqual(dev.board.errors, []);
  });
});
