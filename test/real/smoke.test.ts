/**
 * The firmware on the real Espruino interpreters: deployed from flash like on
 * a board (`dist/<chip>.files.json`), behind the Wi-Fi stand-ins, it must boot
 * into WAIT_CONFIG, serve `/board_info.json` on port 80 of the loopback, and
 * print no error. Reports the JsVars it uses in WAIT_CONFIG above the
 * stand-ins' own cost. Skipped unless ESPRUINO_ESP8266 / ESPRUINO_ESP32 name
 * the interpreters (`npm run build` writes the manifests).
 */
import { strict as assert } from 'assert';
import * as http from 'http';
import * as path from 'path';
import { CHIPS, RealBoard, assertPortsFree, interpreterPath, skipUnlessInterpreter, standinBaseline, standins } from './harness';
import { StandinConfig } from './standins';

const DIST = path.resolve(__dirname, '../../dist');

/** One network in range: the owner's home Wi-Fi. */
const WORLD: StandinConfig = {
  networks: [{ ssid: 'Home', password: 'correct horse', rssi: -48, channel: 6, auth: 'wpa2' }],
  mac: '5c:cf:7f:01:02:03',
  apMac: '5e:cf:7f:01:02:03'
};

/** GET `url` with Node's http; resolves with status and body. */
function get(url: string, timeoutMs = 5000): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('latin1');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode || 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url}: no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}

for (const chip of CHIPS) {
  describe(`real ${chip} interpreter: firmware from flash`, function () {
    this.timeout(90000);
    skipUnlessInterpreter(chip);

    let board: RealBoard | null = null;
    afterEach(async function () {
      const b = board;
      board = null;
      if (!b) return;
      if (this.currentTest && this.currentTest.state === 'failed') console.log(b.tail(6000));
      await b.stop();
    });

    it('boots into WAIT_CONFIG and serves /board_info.json, without errors', async function () {
      const baseline = await standinBaseline(chip, WORLD);
      await assertPortsFree();
      board = new RealBoard();
      await board.start({ chip, files: standins(chip, WORLD) });
      const from = board.mark();
      await board.deploy(path.join(DIST, `${chip.toLowerCase()}.files.json`));
      await board.waitFor('BOOT => WAIT_CONFIG', 20000, from);
      await new Promise((r) => setTimeout(r, 500));
      if (board.errors().length) throw new Error(`firmware failed in WAIT_CONFIG:\n  ${board.errors().join('\n  ')}`);
      const used = await board.memory();
      const total = (await board.memoryInfo()).total;

      const res = await get('http://127.0.0.1:80/board_info.json');
      assert.equal(res.status, 200, `GET /board_info.json: status ${res.status}\n${res.body}`);
      let info: { tmpl_id?: string };
      try {
        info = JSON.parse(res.body);
      } catch (e) {
        throw new Error(`/board_info.json is not JSON: ${JSON.stringify(res.body.slice(0, 300))}`);
      }
      assert.equal(info.tmpl_id, 'TMPL4abcd123');

      console.log(`      ${chip} (${path.basename(interpreterPath(chip) || '')}): ${used - baseline} JsVars in WAIT_CONFIG ` +
        `above the stand-ins (${used} used of ${total}, stand-ins alone ${baseline})`);
      assert.deepEqual(board.errors(), []);
    });
  });
}
