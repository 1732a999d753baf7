/**
 * `espruino-edgent`: the command line of the package. A product maker's
 * verbs (init, build, sim, flash, check), Blynk.Air on a running simulated
 * cloud (ota) and the simulator's (demo, cloud, device, token, provision,
 * state: sim/cli.ts). Every verb takes --help;
 * errors are printed, never thrown; the exit status is 0 done, 1 failed,
 * 2 a wrong call (nothing was done).
 */
import { EXIT_USAGE, UsageError } from './args';
import { buildCommand } from './build';
import { checkCommand } from './check';
import { flashCommand } from './flash';
import { initCommand } from './init';
import { otaCommand } from './ota';
import { simCommand } from './sim';
import { main as simulatorMain, SIM_COMMANDS } from '../sim/cli';

/** The top-level `--help` text. */
export const USAGE = `usage: espruino-edgent <command> [options]      (espruino-edgent <command> --help)

your product:
  init [dir]                      start a project: firmware.ts, tsconfig.json, npm scripts
  build <firmware.ts|.js> --board esp32|esp8266 [--out dist]
                                  bundle your firmware with the library, check it, print sizes
  sim --board esp32|esp8266 [--dist dist] [--stop-at WAIT_CONFIG]
                                  your built firmware on a simulated board, cloud and phone
  flash --board esp32|esp8266 --port PORT
                                  put your built firmware on a board running Espruino
  check <file.js>... [--list-rules]
                                  the Espruino compatibility check on any file

the simulator:
  demo        the whole story on the package's example firmware
  cloud       a simulated Blynk cloud
  device      a simulated device (portal, DNS, flash file, networks)
  token       ask the cloud for a device token
  provision   play the phone against a device in config mode
  state       show a running device's state
  ota         Blynk.Air on a running cloud: upload a firmware image, ship it
              to a device or a template, follow the shipment
`;

/** The product maker's verbs. */
const VERBS: Record<string, (args: string[]) => Promise<number>> = {
  init: initCommand,
  build: buildCommand,
  sim: simCommand,
  flash: flashCommand,
  check: checkCommand,
  ota: otaCommand
};

/** Runs one command line (the arguments after `espruino-edgent`); resolves with the exit status. */
export async function main(argv: string[]): Promise<number> {
  const [verb, ...rest] = argv;
  if (!verb || verb === '--help' || verb === '-h' || verb === 'help') {
    (verb ? process.stdout : process.stderr).write(USAGE);
    return verb ? 0 : EXIT_USAGE;
  }
  if (SIM_COMMANDS.includes(verb)) return simulatorMain(argv);
  const run = VERBS[verb];
  if (!run) {
    process.stderr.write(`espruino-edgent: unknown command ${JSON.stringify(verb)}\n\n${USAGE}`);
    return EXIT_USAGE;
  }
  try {
    return await run(rest);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`espruino-edgent ${verb}: ${e.message} (see espruino-edgent ${verb} --help)\n`);
      return EXIT_USAGE;
    }
    process.stderr.write(`espruino-edgent ${verb}: ${(e as Error).stack || e}\n`);
    return 1;
  }
}
