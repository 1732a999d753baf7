/**
 * `espruino-edgent flash`: deploys a built firmware's manifest
 * (`<dist>/<board>.files.json`) to a board running Espruino through the
 * EspruinoTools CLI, exactly as the repository's `npm run flash`
 * (tools/flash.js) does, with the product's `dist` in the working directory as
 * the default instead of the package's own.
 */
import { resolve } from 'node:path';
import { flashTool } from './tools';

/** Options of tools/flash.js that pick what is deployed; without one of them, `--dist dist` is added. */
const CHOOSES_FILES = ['--dist', '--manifest'];

/**
 * The arguments tools/flash.js gets for `espruino-edgent flash args…`: the
 * same, plus `--dist <cwd>/dist` unless a dist or a manifest is given.
 */
export function flashArgs(args: string[], cwd: string = process.cwd()): string[] {
  const chosen = args.some((a) => CHOOSES_FILES.includes(a) || CHOOSES_FILES.some((o) => a.startsWith(o + '=')));
  return chosen ? args.slice() : ['--dist', resolve(cwd, 'dist'), ...args];
}

/** The `flash` verb: resolves with tools/flash.js's exit status (0 uploaded, 1 failed, 2 bad arguments). */
export async function flashCommand(args: string[]): Promise<number> {
  const tool = flashTool();
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(tool.usage().replace(/^Usage: npm run flash -- /, 'Usage: espruino-edgent flash ').replace(/Run "npm run build" first/, 'Run "espruino-edgent build" first (--dist defaults to ./dist here)'));
    return 0;
  }
  return tool.main(flashArgs(args));
}
