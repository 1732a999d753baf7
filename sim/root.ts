/**
 * Where the package's files are at run time: the directory of its
 * package.json. The Node side runs from its TypeScript sources in the
 * repository (sim/) and compiled from the installed package (build/sim/), so
 * paths to the built bundles (dist/) and the test certificates are found from
 * the package root rather than from the running file.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The closest directory at or above `from` that holds a package.json (the package root). */
export function packageRoot(from: string = __dirname): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json at or above ${from}`);
  }
}
