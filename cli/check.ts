/**
 * `espruino-edgent check <file.js>…`: the Espruino compatibility check
 * (tools/espruino-check.js) on any Espruino code: every hit is printed as
 * `file:line:column rule message`; `--list-rules` prints the rules.
 */
import { EXIT_FAILED, EXIT_OK, parseVerb, readInput, UsageError } from './args';
import { espruinoChecker } from './tools';

/** The `--help` text. */
export const CHECK_USAGE = `usage: espruino-edgent check <file.js>... | --list-rules

Checks JavaScript meant for Espruino against what the interpreter can run
(ES5 syntax, no hoisting, the globals and methods it has, its regular
expressions, ...), as the build does for every bundle. Prints one line per
hit: file:line:column rule message.

options:
  --list-rules   print every rule with what it catches
  --help         this text

Exit status: 0 no hits; 1 hits; 2 bad arguments or a file that cannot be read.
`;

/** Checks `files`; prints every hit with `out`; resolves with the number of hits. */
export function checkFiles(files: string[], out: (line: string) => void): number {
  const { check, formatHit } = espruinoChecker();
  let hits = 0;
  for (const file of files) {
    for (const hit of check(readInput(file).toString('utf8'), { filename: file })) {
      out(formatHit(hit));
      hits++;
    }
  }
  return hits;
}

/** The `check` verb: resolves with the exit code. */
export async function checkCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseVerb(args, { 'list-rules': { type: 'boolean' } }, [0, Infinity]);
  const say = (l: string) => process.stdout.write(l + '\n');
  if (values.help) {
    process.stdout.write(CHECK_USAGE);
    return EXIT_OK;
  }
  if (values['list-rules']) {
    say(espruinoChecker().formatRules());
    return EXIT_OK;
  }
  if (positionals.length === 0) throw new UsageError('missing file: espruino-edgent check <file.js>...');
  const hits = checkFiles(positionals, say);
  if (hits) process.stderr.write(`espruino-edgent check: ${hits} hit${hits === 1 ? '' : 's'}\n`);
  return hits ? EXIT_FAILED : EXIT_OK;
}
