/**
 * The whole story of one device on the real Espruino interpreters (one
 * interpreter directory per chip, real sockets on 127.0.0.1:80): boot into
 * WAIT_CONFIG and the portal (board_info, wifi_scan, the form, /config with a
 * token from the simulated cloud), online (TCP on ESP8266, TLS on ESP32) with
 * V1 = 'hello', a cloud `vw` echoed back, a reboot straight to RUNNING, a
 * factory reset back to WAIT_CONFIG; then, each on a fresh directory, the two
 * provisioning failures the app shows (703 token rejected, 722 wrong Wi-Fi
 * password). The whole story once more under the memory cap of
 * memory-budget.json, with a ballast taking the rest of the pool: an instant
 * over the cap is OUT OF MEMORY. No error line on the console anywhere. Prints one memory
 * summary line per chip (test/real/story.ts has the figures). Skipped unless
 * ESPRUINO_ESP8266 / ESPRUINO_ESP32 name the interpreters.
 */
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { CHIPS, Chip, interpreterPath, skipUnlessInterpreter } from './harness';
import { Story, runFailure, storySteps, summaryLine } from './story';

/** A recorded budget: JsVars above the stand-ins on one interpreter. */
interface Budget {
  interpreter: string;
  waitConfig: number;
  running: number;
  peak: number;
  /** JsVars above the stand-ins the whole story may need at any instant: it must run with a ballast taking the rest. */
  cap?: number;
}

/** The budget of `chip` measured on `interpreter` (a file name), from memory-budget.json. */
function budgetFor(chip: Chip, interpreter: string): Budget | undefined {
  const all = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../memory-budget.json'), 'utf8')) as { budgets: Record<string, Budget[]> };
  return (all.budgets[chip] || []).find((b) => b.interpreter === interpreter);
}

for (const chip of CHIPS) {
  describe(`real ${chip} interpreter: the whole story`, function () {
    this.timeout(120000);
    skipUnlessInterpreter(chip);

    let story: Story | null = null;
    let broken = false;
    beforeEach(function () {
      if (broken) this.skip();
    });
    afterEach(function () {
      if (!this.currentTest || this.currentTest.state !== 'failed') return;
      broken = true;
      const err = this.currentTest.err;
      if (story && !(err && String(err.message).indexOf('--- interpreter log') >= 0)) console.log(story.tail());
    });
    after(async function () {
      if (!story) return;
      if (!broken) console.log('      ' + summaryLine(story.result()));
      await story.close();
    });

    storySteps(chip).forEach((step, i) => {
      it(`${i + 1}. ${step.title}`, async function () {
        if (!story) story = new Story(chip);
        await step.run(story);
      });
    });

    it('memory stays within the budget recorded in memory-budget.json (the diet only goes down)', function () {
      if (!story) this.skip();
      const f = (story as Story).result();
      const b = budgetFor(chip, f.interpreter);
      if (!b) throw new Error(`memory-budget.json has no budget for ${chip} on ${f.interpreter}`);
      const over = (['waitConfig', 'running', 'peak'] as const).filter((k) => f[k] > b[k]);
      assert.deepEqual(over.map((k) => `${k} ${f[k]} > ${b[k]}`), []);
    });
  });

  describe(`real ${chip} interpreter: the whole story under the memory cap of memory-budget.json`, function () {
    this.timeout(240000);
    skipUnlessInterpreter(chip);

    it('runs every step, with no error line, when a ballast leaves the firmware only its cap at every moment', async function () {
      const b = budgetFor(chip, path.basename(interpreterPath(chip) || ''));
      if (!b || b.cap === undefined) this.skip();
      const s = new Story(chip, { cap: (b as Budget).cap });
      try {
        for (const step of storySteps(chip)) await step.run(s);
      } finally {
        await s.close();
      }
    });
  });

  describe(`real ${chip} interpreter: provisioning failures`, function () {
    this.timeout(120000);
    skipUnlessInterpreter(chip);

    it('a token the cloud rejects: back in WAIT_CONFIG without a reboot, last_error 703', async function () {
      const f = await runFailure(chip, 'token');
      assert.equal(f.lastError, 703);
      assert.equal(f.rebooted, false);
      assert.ok(!f.states.includes('CONNECTING_CLOUD => ERROR'), f.states.join(', '));
    });

    it('a wrong Wi-Fi password: ERROR, a reboot into WAIT_CONFIG, last_error 722', async function () {
      const f = await runFailure(chip, 'password');
      assert.equal(f.lastError, 722);
      assert.equal(f.rebooted, true);
      assert.ok(f.states.includes('CONNECTING_NET => ERROR'), f.states.join(', '));
      assert.ok(f.states.lastIndexOf('BOOT => WAIT_CONFIG') > f.states.indexOf('CONNECTING_NET => ERROR'), f.states.join(', '));
    });
  });
}
