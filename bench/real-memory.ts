/**
 * Bench section: memory MEASURED on the real Espruino interpreters
 * (`../shared/espruino/`, named by ESPRUINO_ESP8266, ESPRUINO_ESP8266_4000 and
 * ESPRUINO_ESP32). From one run per chip of the real-interpreter story
 * (test/real/story.ts: the basic example deployed from flash behind the Wi-Fi
 * stand-ins, provisioned, online, a `vw` round trip, a reboot, a factory
 * reset) it reports WAIT_CONFIG, RUNNING and the peak sampled while requests,
 * joins and logins were in flight, above the stand-ins, and for the ESP8266
 * what the busiest instant needs (the least cap under which the story runs,
 * by bisection); next to it, from the
 * same bench run, the official cloud-only client `blynk-espruino.js`
 * (blynk-library 0.5.4) logged in (test/real/anchor.ts), the anchor.
 *
 * The ESP8266 figures come from the 1600-JsVar build (a real ESP8266_4MB)
 * when the firmware runs there; when it runs out of memory, the section says
 * so and measures on the 4000-JsVar build (same layout, more blocks: a
 * measuring tape that counts a little low). Without any interpreter the
 * section reports nothing and says why (bench/memory.ts keeps the older
 * estimate from the simulated board, labelled as such).
 */
import { basename } from 'node:path';
import { existsSync } from 'node:fs';
import { int, type Table } from './format';
import { gatePath, useInterpreter, type Chip } from '../test/real/harness';
import { capNeeded, runStory, type StoryFigures } from '../test/real/story';
import { measureAnchor, type AnchorFigures } from '../test/real/anchor';

/** The limits for the ESP8266 basic example, in JsVars above the stand-ins. */
export const ESP8266_LIMITS = { waitConfig: 450, running: 350, peak: 700 };

/** One chip's measurement. */
export interface ChipMemory {
  chip: Chip;
  /** The story's figures, or null when it could not run on any interpreter of the chip. */
  story: StoryFigures | null;
  /** The anchor logged in on the same interpreter, or null. */
  anchor: AnchorFigures | null;
  /**
   * ESP8266: the least cap (JsVars above the stand-ins, to 25) under which the
   * whole story runs with a ballast taking the rest, and the cap it failed at.
   */
  cap?: { fits: number; failsAt: number };
  /** Why a figure is missing or came from the measuring tape. */
  notes: string[];
}

/** The section's result. */
export interface RealMemoryReport {
  chips: ChipMemory[];
}

/** The interpreter files to try for `chip`, in order: for the ESP8266 the 1600 build, then the 4000 build. */
function interpreters(chip: Chip): string[] {
  const files = chip === 'ESP8266' ? [gatePath() || '', process.env.ESPRUINO_ESP8266_4000 || ''] : [process.env.ESPRUINO_ESP32 || ''];
  return files.filter((p) => p && existsSync(p));
}

/** Runs `fn` with every board of `chip` on the interpreter `file`. */
async function withInterpreter<T>(chip: Chip, file: string, fn: () => Promise<T>): Promise<T> {
  useInterpreter(chip, file);
  try {
    return await fn();
  } finally {
    useInterpreter(chip, null);
  }
}

/** Measures every chip that has an interpreter. */
export async function runRealMemory(): Promise<RealMemoryReport> {
  const chips: ChipMemory[] = [];
  for (const chip of ['ESP8266', 'ESP32'] as Chip[]) {
    const r: ChipMemory = { chip, story: null, anchor: null, notes: [] };
    const files = interpreters(chip);
    if (!files.length) r.notes.push(`no interpreter: set ESPRUINO_${chip} (../shared/espruino/)`);
    for (const file of files) {
      try {
        r.story = await withInterpreter(chip, file, () => runStory(chip));
        r.anchor = await withInterpreter(chip, file, () => measureAnchor(chip));
        const st = r.story;
        // What the busiest instant needs (a sample every 30 ms misses a module loaded for a millisecond).
        if (chip === 'ESP8266') r.cap = await withInterpreter(chip, file, () => capNeeded(chip, st.peak, st.total - st.standins));
        break;
      } catch (e) {
        const msg = String((e as Error).message || e);
        r.notes.push(`${basename(file)}: ${/OUT OF MEMORY|LOW_MEMORY/.test(msg) ? 'runs out of memory' : 'failed: ' + msg.split('\n')[0]}`);
      }
    }
    chips.push(r);
  }
  return { chips };
}

/** The section's table: the library in each state next to the anchor, per chip. */
export function realMemoryTables(r: RealMemoryReport): Table[] {
  const rows: string[][] = [];
  for (const c of r.chips) {
    const s = c.story;
    const where = s ? `${s.interpreter} (${int(s.total)})` : '-';
    rows.push([
      c.chip,
      where,
      s ? int(s.waitConfig) : '-',
      s ? int(s.running) : '-',
      s ? int(s.peak) : '-',
      c.cap ? `${int(c.cap.fits)} (not ${int(c.cap.failsAt)})` : '-',
      c.anchor ? int(c.anchor.running) : '-',
      s ? int(s.standins) : '-',
    ]);
  }
  const notes = [
    'JsVars in use (process.memory().usage) above the Wi-Fi stand-ins, basic example deployed from flash; peak: highest sample taken about every 30 ms while requests, joins and logins were in flight',
    'whole story needs: the least cap, to 25 JsVars, under which the whole story runs while a ballast boot file takes the rest of the pool (any instant over it is OUT OF MEMORY), and the cap it failed at',
    `anchor: blynk-espruino.js (blynk-library 0.5.4, cloud only, no provisioning) logged in to the simulated cloud on the same interpreter`,
    `ESP8266 limits of the diet: WAIT_CONFIG <= ${ESP8266_LIMITS.waitConfig}, RUNNING <= ${ESP8266_LIMITS.running}, peak <= ${ESP8266_LIMITS.peak}`,
  ];
  for (const c of r.chips) {
    for (const n of c.notes) notes.push(`${c.chip}: ${n}`);
    if (c.story && c.story.peakWhere) notes.push(`${c.chip}: peak during ${c.story.peakWhere}`);
    if (c.story && c.story.tlsLink !== undefined) notes.push(`${c.chip}: over TLS; one TLS link takes ${int(c.story.tlsLink)} JsVars on this build (a real ESP32 keeps them in its heap)`);
  }
  return [{
    title: 'Memory on the real Espruino interpreters (JsVars, measured)',
    head: ['chip', 'interpreter (JsVars)', 'WAIT_CONFIG', 'RUNNING', 'peak', 'whole story needs', 'anchor logged in', 'stand-ins'],
    rows,
    notes,
  }];
}
