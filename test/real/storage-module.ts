/**
 * Builds one library module the way the build makes the firmware's Storage
 * modules (rollup.config.mjs `bundleOptions`: TypeScript compiled to ES5, the
 * internal property names shortened, terser, parameters moved to `arguments`,
 * the Espruino check), in memory and as CommonJS, so that a real-interpreter
 * test or a benchmark can write it to Storage and `require` it there. The
 * module is not one of the build's BUNDLES: no size budget applies.
 */
import * as path from 'path';
import { pathToFileURL } from 'url';
import { rollup, type OutputOptions, type Plugin, type RollupOptions } from 'rollup';
import { espruinoCheck } from '../../tools/rollup-plugin-espruino';

/** The repository root. */
const ROOT = path.resolve(__dirname, '../..');

/** What this module uses from rollup.config.mjs. */
interface Pipeline {
  bundleOptions(
    bundle: { input: string; file: string; format: 'cjs' },
    options: { tsconfig: string; include: string[]; check: Plugin },
  ): RollupOptions & { output: OutputOptions };
}

/**
 * The minified CommonJS code of the library module `input`.
 *
 * @param input the module's TypeScript source, relative to the repository root (e.g. `lib/md5.ts`)
 * @throws when it does not compile or breaks an Espruino rule
 */
export async function buildStorageModule(input: string): Promise<string> {
  const { bundleOptions } = (await import(pathToFileURL(path.join(ROOT, 'rollup.config.mjs')).href)) as Pipeline;
  const source = path.join(ROOT, input);
  const options = bundleOptions(
    { input: source, file: path.join(ROOT, 'dist', path.basename(input, '.ts') + '.js'), format: 'cjs' },
    { tsconfig: path.join(ROOT, 'tsconfig.json'), include: [source], check: espruinoCheck({ budget: null, log: () => undefined }) },
  );
  const bundle = await rollup({ ...options, onwarn: () => undefined });
  try {
    const { output } = await bundle.generate(options.output);
    return output[0].code;
  } finally {
    await bundle.close();
  }
}
