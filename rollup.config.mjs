/**
 * Builds the Espruino bundles: TypeScript compiled to ES5, bundled by rollup,
 * minified by terser, then checked against the Espruino rules and the size
 * budget (size-budget.json) by tools/rollup-plugin-espruino.js, which also
 * prints the size table. A bundle is one entry of BUNDLES.
 */
import { basename } from 'node:path';
import { readFileSync } from 'node:fs';
import typescript from '@rollup/plugin-typescript';
import terser from '@rollup/plugin-terser';
import { espruinoCheck } from './tools/rollup-plugin-espruino.js';

/**
 * Every bundle the build writes. `tsconfig`: the program it is compiled in
 * (the core alone, or with the board drivers and their Espruino globals).
 * @type {Array<{ input: string, file: string, format: import('rollup').ModuleFormat, name?: string, tsconfig: string }>}
 */
export const BUNDLES = [
  // The board-agnostic core alone, to keep an eye on its size.
  { input: 'lib/index.ts', file: 'dist/edgent-core.js', format: 'cjs', tsconfig: 'tsconfig.json' },
  // The library as an Espruino module: core, board driver, profiles (`require('espruino-edgent')`).
  { input: 'boards/index.ts', file: 'dist/espruino-edgent.js', format: 'cjs', tsconfig: 'tsconfig.boards.json' },
  // Self-contained firmware per board: the basic example with the library inlined.
  { input: 'examples/basic/esp32.ts', file: 'dist/esp32.js', format: 'iife', tsconfig: 'tsconfig.boards.json' },
  { input: 'examples/basic/esp8266.ts', file: 'dist/esp8266.js', format: 'iife', tsconfig: 'tsconfig.boards.json' },
  // The other examples (examples/README.md), self-contained the same way.
  { input: 'examples/rgb-led/esp32.ts', file: 'dist/rgb-led-esp32.js', format: 'iife', tsconfig: 'tsconfig.boards.json' },
  { input: 'examples/rgb-led/esp8266.ts', file: 'dist/rgb-led-esp8266.js', format: 'iife', tsconfig: 'tsconfig.boards.json' },
  { input: 'examples/sensor/esp32.ts', file: 'dist/sensor-esp32.js', format: 'iife', tsconfig: 'tsconfig.boards.json' },
  { input: 'examples/sensor/esp8266.ts', file: 'dist/sensor-esp8266.js', format: 'iife', tsconfig: 'tsconfig.boards.json' },
];

/** The portal's HTML form: written next to the bundles, whitespace between tags removed. */
const FORM = { source: 'lib/form.html', fileName: 'form.html' };

/**
 * Emits the form as an asset of the bundle it is attached to.
 * @returns {import('rollup').Plugin}
 */
function formAsset() {
  return {
    name: 'edgent-form',
    generateBundle() {
      const html = readFileSync(FORM.source, 'latin1').replace(/>\s+</g, '><').replace(/\n\s*/g, '\n').trim();
      this.emitFile({ type: 'asset', fileName: FORM.fileName, source: Buffer.from(html, 'latin1') });
    },
  };
}

/** The TypeScript the build compiles. */
const SOURCES = ['lib/**/*.ts', 'boards/**/*.ts', 'examples/**/*.ts', 'types/**/*.ts'];

/**
 * The rollup options for one bundle: the plugin chain every bundle goes through.
 * @param {(typeof BUNDLES)[number]} bundle
 * @param {{ tsconfig?: string, include?: string[], check?: import('rollup').Plugin }} [options]
 *   tsconfig: its compiler options and root files (default tsconfig.json); include: the TypeScript
 *   to compile (default SOURCES); check: the espruino-check plugin instance
 * @returns {import('rollup').RollupOptions & { output: import('rollup').OutputOptions }}
 */
export function bundleOptions({ input, file, format, name, tsconfig: own }, { tsconfig = own || 'tsconfig.json', include = SOURCES, check = espruinoCheck() } = {}) {
  return {
    input,
    output: { file, format, name, esModule: false, generatedCode: 'es5', strict: false, freeze: false },
    plugins: [
      typescript({
        tsconfig,
        include,
        compilerOptions: { noEmit: false, declaration: false, module: 'esnext', target: 'es5' },
      }),
      terser({
        ecma: 5,
        // Espruino does not hoist: function declarations go first in their scope. Vars stay where they
        // are (hoisting them would stop terser inlining constants: ~80 fewer variables on the board);
        // the compatibility check fails the build on any var used before its declaration runs.
        compress: { passes: 2, hoist_funs: true },
        // Internal fields start with `_`: Espruino keeps every property name in RAM.
        mangle: { properties: { regex: /^_/ } },
        // ascii_only: the board has no Unicode; a literal byte must stay one byte (\xNN).
        format: { comments: false, ascii_only: true },
      }),
      check,
    ],
  };
}

const check = espruinoCheck({ budget: 'size-budget.json', expect: BUNDLES.map((bundle) => basename(bundle.file)) });

export default BUNDLES.map((bundle, i) => {
  const options = bundleOptions(bundle, { check });
  if (i === 0) options.plugins.push(formAsset());
  return options;
});
