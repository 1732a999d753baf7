/**
 * The ESP8266 gate: the basic example on the 1600-JsVar build of the
 * interpreter (an ESP8266_4MB's memory), deployed from flash behind the Wi-Fi
 * stand-ins, must boot into WAIT_CONFIG with the access point and config mode
 * up and no error, quickly and on its own (the whole story runs on this build
 * too: story.test.ts). Skipped unless ESPRUINO_ESP8266 names the 1600 build.
 */
import { strict as assert } from 'assert';
import * as net from 'net';
import * as path from 'path';
import { RealBoard, assertPortsFree, gatePath, standinBaseline, standins, useInterpreter } from './harness';

const DIST = path.resolve(__dirname, '../../dist');

describe('real ESP8266 interpreter, 1600 JsVars: the gate', function () {
  this.timeout(90000);
  let board: RealBoard | null = null;

  before(function () {
    if (!gatePath()) this.skip();
    useInterpreter('ESP8266', gatePath());
  });
  after(async function () {
    useInterpreter('ESP8266', null);
    if (board) await board.stop();
  });

  it('boots from flash into WAIT_CONFIG, config mode up, without running out of memory', async function () {
    const baseline = await standinBaseline('ESP8266');
    await assertPortsFree();
    board = new RealBoard();
    await board.start({ chip: 'ESP8266', files: standins('ESP8266') });
    const from = board.mark();
    await board.deploy(path.join(DIST, 'esp8266.files.json'));
    await board.waitFor('BOOT => WAIT_CONFIG', 20000, from);
    await new Promise((r) => setTimeout(r, 1000));
    assert.deepEqual(board.errors(), []);
    // The portal listens (a connection is accepted; no request is sent).
    await new Promise<void>((resolve, reject) => {
      const c = net.connect(80, '127.0.0.1', () => {
        c.destroy();
        resolve();
      });
      c.on('error', reject);
    });
    const info = await board.memoryInfo();
    assert.equal(info.total, 1600);
    console.log(`      ESP8266 (1600 JsVars): WAIT_CONFIG ${info.usage - baseline} above the stand-ins (${baseline}), ${info.free} free`);
  });
});
