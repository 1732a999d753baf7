/**
 * `espruino-edgent sim`: the product's built firmware (`<dist>/<board>.files.json`,
 * as `build` writes it) on the simulated board, with the simulated cloud and
 * phone: the whole story, ending with exit 0 once the device is RUNNING and
 * online (or left waiting in WAIT_CONFIG with --stop-at).
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { runStory } from '../sim/cli';
import { boardName, CHIP_OF, EXIT_OK, parseVerb, UsageError } from './args';

/** The `--help` text. */
export const SIM_USAGE = `usage: espruino-edgent sim --board esp32|esp8266 [--dist dist] [--stop-at WAIT_CONFIG]

Runs your built firmware (<dist>/<board>.files.json, written by build) on a
simulated Espruino board with a simulated Blynk cloud, and plays the phone:
the device boots into WAIT_CONFIG, gets Wi-Fi and a token from the portal,
joins, logs in to the cloud and shows RUNNING. Prints every state with its LED.

options:
  --board esp32|esp8266   the chip (required)
  --dist DIR              where build wrote the firmware (default: dist)
  --stop-at WAIT_CONFIG   stop there and keep running: use the form at the
                          printed URL, or the provision command; Ctrl-C quits
  --help                  this text

Exit status: 0 RUNNING and online; 1 the story failed; 2 bad arguments or no build.
`;

/** The `sim` verb: parses its arguments and runs the story; resolves with the exit code. */
export async function simCommand(args: string[]): Promise<number> {
  const { values } = parseVerb(args, { board: { type: 'string' }, dist: { type: 'string' }, 'stop-at': { type: 'string' } }, [0, 0]);
  if (values.help) {
    process.stdout.write(SIM_USAGE);
    return EXIT_OK;
  }
  const board = boardName(values.board);
  const stopAt = values['stop-at'];
  if (stopAt !== undefined && stopAt !== 'WAIT_CONFIG') throw new UsageError(`--stop-at takes WAIT_CONFIG, not ${JSON.stringify(stopAt)}`);
  const dist = resolve(values.dist || 'dist');
  const manifest = join(dist, `${board}.files.json`);
  if (!existsSync(manifest)) throw new UsageError(`${manifest} not found: run espruino-edgent build <firmware.ts> --board ${board}${values.dist ? ` --out ${values.dist}` : ''} first`);
  return runStory({ chip: CHIP_OF[board], dist, stopAt, until: 'running', say: (l) => process.stdout.write(l + '\n') });
}
