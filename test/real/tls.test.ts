/**
 * Verified TLS on the real ESP32 interpreter: the default firmware
 * (`dist/esp32.files.json`, deployed from flash behind the Wi-Fi stand-ins)
 * against the simulated cloud, whose certificate is issued by the test CA
 * (sim/cloud/certs), provisioned through the portal (test/real/story.ts):
 * - with the test CA in the Storage file `edgent.ca` (where the build ships
 *   ISRG Root X1) it logs in over TLS;
 * - with a CA that did not issue the cloud's certificate it must send no
 *   token and report 711 in `board_info.json` once back in config mode.
 *   Espruino 2v29 hands `ca` to mbedtls but runs it with
 *   MBEDTLS_SSL_VERIFY_NONE (libs/network/network.c), so the handshake
 *   completes whatever the certificate: a console probe checks whether this
 *   interpreter verifies at all, and the test is reported pending (with the
 *   probe's finding) when it does not;
 * - what `ca` costs: JsVars of one open TLS link (on this build mbedtls takes
 *   its buffers from the JsVar pool) and the time to a login reply, with the
 *   shipped root as `ca` and without; printed for the README.
 * Skipped unless ESPRUINO_ESP32 names the interpreter (`npm run build` first).
 */
import { strict as assert } from 'assert';
import { skipUnlessInterpreter } from './harness';
import { Story, der } from './story';
import { OTHER_CA, TEST_CA } from '../../sim/cloud';


/** The simulated cloud's TLS port, from the story's `/config` query. */
function tlsPort(story: Story): number {
  return Number(/port_ssl=(\d+)/.exec(story.configQuery('x', 'x', 'x'))![1]);
}

/**
 * Console source of `$m(ca, port)`: opens one TLS link (with `ca` the Storage
 * file `edgent.ca`), sends a login with a token the cloud does not know and,
 * at its reply, sets `$r` to [ms since connect(), JsVars above the usage
 * before connect()]; on a socket error `$r` = ['error', message].
 */
const MEASURE = 'global.$m=function(ca,port){var o={host:"127.0.0.1",port:port};if(ca)o.ca=require("Storage").read("edgent.ca");' +
  'global.$r=null;var u0=process.memory().usage;var t0=getTime();var s=require("tls").connect(o,function(){' +
  's.write(String.fromCharCode(29,0,1,0,32)+"ZqxxxxxxxxxxxxxxxxxxxxxxxxxxFake");});' +
  's.on("data",function(){if(!$r)$r=[Math.round((getTime()-t0)*1000),process.memory().usage-u0];s.end();});' +
  's.on("error",function(e){if(!$r)$r=["error",e.message];});return 1;}';

/** Runs `$m` once and waits for its result. */
async function measureOnce(story: Story, ca: boolean): Promise<[number | string, number | string]> {
  await story.board.eval(`$m(${ca},${tlsPort(story)})`);
  const deadline = Date.now() + 15000;
  for (;;) {
    const r = await story.board.eval<[number | string, number | string] | null>('$r');
    if (r) return r;
    if (Date.now() > deadline) throw new Error(`no reply on the console's TLS link\n${story.tail()}`);
    await new Promise((ok) => setTimeout(ok, 20));
  }
}

/** The median of `xs`. */
function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

describe('real ESP32 interpreter: verified TLS', function () {
  this.timeout(180000);
  skipUnlessInterpreter('ESP32');

  let story: Story | null = null;
  afterEach(async function () {
    const s = story;
    story = null;
    if (!s) return;
    if (this.currentTest && this.currentTest.state === 'failed') console.log(s.tail());
    await s.close();
  });

  it('trusting the test CA (edgent.ca): provisioned through the portal, logs in over TLS', async function () {
    story = new Story('ESP32');
    await story.boot();
    await story.board.writeFile('edgent.ca', der(TEST_CA));
    await story.portal();
    await story.online();
    assert.ok(!/WARNING: TLS certificate not verified/.test(story.board.plainLog()));
  });

  it('an untrusted certificate: no token sent, 711 in board_info back in config mode', async function () {
    story = new Story('ESP32');
    await story.boot();
    await story.board.writeFile('edgent.ca', der(OTHER_CA));
    // Does this interpreter's tls refuse a certificate that does not chain to ca?
    await story.board.eval(MEASURE);
    const probe = await measureOnce(story, true);
    await story.board.eval('(function(){delete global.$m;delete global.$r;return 1;})()');
    if (probe[0] !== 'error') {
      console.log('      the interpreter completed a TLS handshake with a certificate that does not chain to its ca ' +
        `(login reply after ${probe[0]} ms): this build does not verify server certificates (mbedtls VERIFY_NONE); ` +
        'the firmware cannot refuse an untrusted server on it');
      this.skip();
    }
    const from = story.cloudLog.length;
    const mark = story.board.mark();
    await story.portal();
    await story.reach('ERROR', mark, 60000);
    assert.ok(!story.states(mark).includes('CONNECTING_CLOUD => RUNNING'), story.states(mark).join(', '));
    assert.deepEqual(story.cloudLog.slice(from).filter((l) => /^device connection \(tls\)|^login |online \(tls/.test(l)), [], 'no token frame reached the cloud');
    await story.board.awaitReboot(20000, mark);
    await story.reach('WAIT_CONFIG', story.board.runs[story.board.runs.length - 1].logStart);
    await story.phoneJoins();
    assert.equal((await story.boardInfo()).last_error, 711);
  });

  it('what verification costs: JsVars of one TLS link and time to the login reply, with and without ca', async function () {
    story = new Story('ESP32');
    await story.boot();
    await story.board.eval(MEASURE);
    const runs: Record<'none' | 'ca', Array<[number, number]>> = { none: [], ca: [] };
    for (let i = 0; i < 5; i++) {
      for (const k of ['none', 'ca'] as const) {
        const r = await measureOnce(story, k === 'ca');
        assert.equal(typeof r[0], 'number', `${k}: ${r.join(' ')}`);
        runs[k].push(r as [number, number]);
        await new Promise((ok) => setTimeout(ok, 300));
      }
    }
    const vars = (k: 'none' | 'ca') => median(runs[k].map((r) => r[1]));
    const ms = (k: 'none' | 'ca') => median(runs[k].map((r) => r[0]));
    console.log(`      ESP32 TLS link: ${vars('none')} JsVars without ca, ${vars('ca')} with ISRG Root X1 as ca (+${vars('ca') - vars('none')}); ` +
      `login reply after ${ms('none')} ms without, ${ms('ca')} ms with (host time, median of 5)`);
    assert.ok(vars('ca') >= vars('none'));
    story.noErrors('tls cost');
  });
});
