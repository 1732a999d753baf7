/**
 * The memory anchor: the official cloud-only client, `blynk-espruino.js` of
 * `blynk-library` 0.5.4 (no provisioning), deployed from flash as a Storage
 * module behind the same Wi-Fi stand-ins, logged in to the simulated cloud
 * over plain TCP. Its JsVars above the stand-ins are what this library's
 * RUNNING figure is compared with.
 */
import * as path from 'path';
import { createCloudServer } from '../../sim/cloud';
import { Chip, RealBoard, standinBaseline } from './harness';

/** The anchor's file in node_modules. */
const BLYNK_ESPRUINO = path.join(path.dirname(require.resolve('blynk-library/package.json')), 'blynk-espruino.js');

/** Boot code that logs the anchor in with `token` to `port` on the loopback. */
function anchorBoot(token: string, port: number): string {
  return 'var B=require("blynk-espruino");' +
    `var blynk=new B.Blynk(${JSON.stringify(token)},{addr:"127.0.0.1",port:${port}});` +
    'blynk.on("connect",function(){print("ANCHOR ONLINE")});';
}

/** What the anchor measurement gives. */
export interface AnchorFigures {
  /** JsVars in use once logged in, above the stand-ins. */
  running: number;
  /** The stand-ins' own JsVars on this interpreter. */
  standins: number;
}

/**
 * Measures the anchor on `chip`'s interpreter: deploys it, logs in, waits
 * two seconds and reads `process.memory().usage`.
 *
 * @throws when it does not log in or prints an error
 */
export async function measureAnchor(chip: Chip): Promise<AnchorFigures> {
  const cloud = createCloudServer();
  await cloud.start();
  const board = new RealBoard();
  try {
    const org = cloud.api.createOrg('Anchor');
    const user = cloud.api.createUser(org.id, 'anchor@example.test');
    const { token } = cloud.api.issueToken({ user: user.id, org: org.id, template: 'TMPL4anchor' });
    const base = await standinBaseline(chip);
    await board.start({ chip });
    await board.installStandins();
    await board.writeFile('blynk-espruino', require('fs').readFileSync(BLYNK_ESPRUINO));
    await board.writeFile('.bootcde', anchorBoot(token, cloud.ports.tcp));
    const from = board.mark();
    await board.load();
    await board.waitFor('ANCHOR ONLINE', 20000, from);
    await new Promise((r) => setTimeout(r, 2000));
    if (board.errors().length) throw new Error('anchor failed:\n  ' + board.errors().join('\n  '));
    return { running: (await board.memory()) - base, standins: base };
  } finally {
    await board.stop();
    await cloud.stop();
  }
}
