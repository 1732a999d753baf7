/**
 * What every verb of the command line shares: its exit codes, the error for a
 * wrong call (printed with a pointer to `--help`, exit 2), option parsing on
 * Node's `parseArgs` with every mistake turned into that error, reading an
 * input file, and the board names.
 */
import { readFileSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** Exit code: done. */
export const EXIT_OK = 0;
/** Exit code: the work failed (a build error, a story that did not reach RUNNING, rule hits). */
export const EXIT_FAILED = 1;
/** Exit code: the verb was called wrongly or an input is missing; nothing was done. */
export const EXIT_USAGE = 2;

/** A wrong call: unknown or missing option, bad value, missing file. */
export class UsageError extends Error {}

/** The boards a firmware is built for, as the command line names them. */
export type BoardName = 'esp32' | 'esp8266';

/** The chip of each board name (what a manifest's `board` and the simulator call it). */
export const CHIP_OF: Record<BoardName, 'ESP32' | 'ESP8266'> = { esp32: 'ESP32', esp8266: 'ESP8266' };

/** The option table of one verb, as Node's `parseArgs` takes it. */
export type Options = NonNullable<ParseArgsConfig['options']>;

/** The values `parseVerb` returns: a string per string option, a boolean per flag, `help` always there. */
export type Values<O extends Options> = { [K in keyof O]?: O[K]['type'] extends 'boolean' ? boolean : string } & { help?: boolean };

/**
 * Parses a verb's arguments strictly: an unknown option, a missing value or
 * too many or too few positionals throws UsageError naming it.
 * @param args the arguments after the verb
 * @param options the verb's options (`help` is added)
 * @param positionals how many positionals it takes, `[min, max]`
 */
export function parseVerb<O extends Options>(args: string[], options: O, positionals: [number, number]): { values: Values<O>; positionals: string[] } {
  let parsed;
  try {
    parsed = parseArgs({ args, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError((e as Error).message.replace(/\. To specify a positional argument.*$/s, ''));
  }
  const [min, max] = positionals;
  const n = parsed.positionals.length;
  const values = parsed.values as Values<O>;
  if (!values.help) {
    if (n < min) throw new UsageError(`missing argument${min - n > 1 ? 's' : ''}`);
    if (n > max) throw new UsageError(`unexpected argument ${JSON.stringify(parsed.positionals[max])}`);
  }
  return { values, positionals: parsed.positionals };
}

/** The bytes of an input file; UsageError saying why it cannot be read. */
export function readInput(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (e) {
    throw new UsageError(`${file} cannot be read: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
}

/**
 * Reads a `--board` value.
 * @param value what was given
 * @param fallback used when nothing was given; undefined: `--board` is required
 */
export function boardName(value: string | undefined, fallback?: BoardName): BoardName {
  if (value === undefined) {
    if (fallback) return fallback;
    throw new UsageError('missing --board (esp32 or esp8266)');
  }
  const b = value.toLowerCase();
  if (b !== 'esp32' && b !== 'esp8266') throw new UsageError(`unknown board ${JSON.stringify(value)}: use --board esp32 or --board esp8266`);
  return b;
}
