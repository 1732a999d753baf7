/**
 * Builds the Espruino bundles: TypeScript compiled to ES5, bundled by rollup,
 * the library's internal property names shortened in its own modules
 * (tools/short-props.js, one list for every bundle), minified by terser (which
 * shortens `_`-prefixed fields), parameters moved to `arguments`
 * (tools/params-to-arguments.js),
 * then checked against the Espruino rules and the size budget
 * (size-budget.json) by tools/rollup-plugin-espruino.js, which also prints the
 * size table. A bundle is one entry of BUNDLES. Every firmware gets a
 * deployment manifest and a Blynk.Air OTA image (tools/ota-image.js).
 */
import { basename } from 'node:path';
import { readFileSync, writeFileSync } from 'node:fs';
import typescript from '@rollup/plugin-typescript';
import terser from '@rollup/plugin-terser';
import { espruinoCheck } from './tools/rollup-plugin-espruino.js';
import { paramsToArguments } from './tools/params-to-arguments.js';
import { shortProps } from './tools/short-props.js';
import { imageFromManifest } from './tools/ota-image.js';

/**
 * Every bundle the build writes. `tsconfig`: the program it is compiled in
 * (the core alone, or with the board drivers and their Espruino globals).
 * @type {Array<{ input: string, file: string, format: import('rollup').ModuleFormat, name?: string, tsconfig: string, board?: 'ESP32' | 'ESP8266', module?: string, loader?: boolean }>}
 * `board`: a firmware (a slot's `edgent.boot`) for that chip; `module`: the Storage name of a library module;
 * `loader`: the boot code that runs a slot (`LOADER_RUN` is appended to it).
 * Both get a deployment manifest; a firmware also gets its OTA image (`dist/<name>.ota`).
 */
export const BUNDLES = [
  // The board-agnostic core alone, to keep an eye on its size.
  { input: 'lib/index.ts', file: 'dist/edgent-core.js', format: 'cjs', tsconfig: 'tsconfig.json' },
  // The library as an Espruino module: core, board driver, profiles (`require('espruino-edgent')`).
  { input: 'boards/index.ts', file: 'dist/espruino-edgent.js', format: 'cjs', tsconfig: 'tsconfig.boards.json', module: 'espruino-edgent' },
  // Mode modules, `require`d from Storage only while their mode runs (lib/edgent.ts).
  { input: 'lib/mode-config.ts', file: 'dist/edgent-portal.js', format: 'cjs', tsconfig: 'tsconfig.json' },
  { input: 'lib/mode-cloud.ts', file: 'dist/edgent-cloud.js', format: 'cjs', tsconfig: 'tsconfig.json' },
  { input: 'lib/mode-store.ts', file: 'dist/edgent-store.js', format: 'cjs', tsconfig: 'tsconfig.json' },
  // The state machine's steps, `require`d from Storage for each event (lib/machine.ts).
  { input: 'lib/mode-steps.ts', file: 'dist/edgent-steps.js', format: 'cjs', tsconfig: 'tsconfig.json' },
  // The button's gestures, `require`d from Storage for each edge and hold stage (lib/button.ts).
  { input: 'lib/mode-button.ts', file: 'dist/edgent-button.js', format: 'cjs', tsconfig: 'tsconfig.json' },
  // The firmware update, `require`d from Storage for each event of an update, and its body path for each chunk (lib/ota.ts).
  { input: 'lib/mode-ota.ts', file: 'dist/edgent-ota.js', format: 'cjs', tsconfig: 'tsconfig.json' },
  { input: 'lib/mode-otad.ts', file: 'dist/edgent-otad.js', format: 'cjs', tsconfig: 'tsconfig.json' },
  // The product options' checks, `require`d from Storage once at boot (lib/edgent.ts).
  { input: 'lib/mode-setup.ts', file: 'dist/edgent-setup.js', format: 'cjs', tsconfig: 'tsconfig.json' },
  // The board's Wi-Fi port, `require`d from Storage for each use of `hw.wifi()` (boards/driver.ts).
  { input: 'boards/mode-wifi.ts', file: 'dist/edgent-wifi.js', format: 'cjs', tsconfig: 'tsconfig.boards.json' },
  // The boot code of every firmware: picks the slot and runs its `edgent.boot` (boards/loader.ts).
  { input: 'boards/loader.ts', file: 'dist/edgent-loader.js', format: 'iife', tsconfig: 'tsconfig.boards.json', loader: true },
  // Firmware per board (a slot's `edgent.boot`): the basic example with the library's core inlined.
  { input: 'examples/basic/esp32.ts', file: 'dist/esp32.js', format: 'iife', tsconfig: 'tsconfig.boards.json', board: 'ESP32' },
  { input: 'examples/basic/esp8266.ts', file: 'dist/esp8266.js', format: 'iife', tsconfig: 'tsconfig.boards.json', board: 'ESP8266' },
  // The other examples (examples/README.md), built the same way.
  { input: 'examples/rgb-led/esp32.ts', file: 'dist/rgb-led-esp32.js', format: 'iife', tsconfig: 'tsconfig.boards.json', board: 'ESP32' },
  { input: 'examples/rgb-led/esp8266.ts', file: 'dist/rgb-led-esp8266.js', format: 'iife', tsconfig: 'tsconfig.boards.json', board: 'ESP8266' },
  { input: 'examples/sensor/esp32.ts', file: 'dist/sensor-esp32.js', format: 'iife', tsconfig: 'tsconfig.boards.json', board: 'ESP32' },
  { input: 'examples/sensor/esp8266.ts', file: 'dist/sensor-esp8266.js', format: 'iife', tsconfig: 'tsconfig.boards.json', board: 'ESP8266' },
];

/**
 * The Storage files every firmware needs besides its boot code: Storage name -> file in dist/.
 * Mode modules are `require`d from flash only while their mode runs.
 */
export const STORAGE_FILES = {
  'edgent.htm': 'form.html',
  'edgent-portal': 'edgent-portal.js',
  'edgent-cloud': 'edgent-cloud.js',
  'edgent-store': 'edgent-store.js',
  'edgent-steps': 'edgent-steps.js',
  'edgent-setup': 'edgent-setup.js',
  'edgent-button': 'edgent-button.js',
  'edgent-wifi': 'edgent-wifi.js',
  'edgent-ota': 'edgent-ota.js',
  'edgent-otad': 'edgent-otad.js',
  // The CA certificate TLS connections are verified against unless the product sets `tlsCa`
  // (boards/driver.ts CA_FILE): DER bytes, read memory-mapped at each connect.
  'edgent.ca': 'edgent-ca.der',
};

/** The boot code of every firmware (boards/loader.ts): it runs the active slot's `edgent.boot`. */
export const LOADER_FILE = 'edgent-loader.js';

/**
 * Appended to the loader: evaluates the slot's boot file at the top level (so nothing of the loader's
 * function stays in RAM, and the code keeps its text in flash); a firmware on trial that throws
 * there reboots, which counts one of its trial boots (lib/slots.ts). The chip's own reboot:
 * `E.reboot()` does not exist on ESP8266 (docs/espruino-runtime.md).
 */
export const LOADER_RUN =
  'try{eval(require("Storage").read($slot.p+"edgent.boot"))}catch(e){console.log("boot failed: "+e);' +
  'if($slot.c>1)(typeof ESP32!="undefined"?ESP32:require("ESP8266")).reboot()}';

/**
 * The deployment manifest of a bundle, `dist/<name>.files.json`: what `npm run flash`, the
 * simulated board and the real-interpreter tests put on a board, and nothing else. A firmware's
 * boot code is the loader; the firmware itself is the Storage file `edgent.boot`, the first of its
 * slot's files (the files of an OTA image). A library module goes to Storage, and the product's own
 * code is then the boot code.
 * @param {{ file: string, board?: string, module?: string }} bundle
 * @returns {{ board: string | null, bootCode: string | null, storage: Record<string, string> }}
 */
export function manifestOf(bundle) {
  if (bundle.module) {
    return { board: null, bootCode: null, storage: Object.assign({}, STORAGE_FILES, { [bundle.module]: basename(bundle.file) }) };
  }
  return { board: bundle.board || null, bootCode: LOADER_FILE, storage: Object.assign({ 'edgent.boot': basename(bundle.file) }, STORAGE_FILES) };
}

/**
 * The file next to a bundle with `ending` instead of `.js`: its manifest (`.files.json`), its OTA image (`.ota`).
 * @param {{ file: string }} bundle
 * @param {string} ending
 * @returns {string}
 */
function besideBundle(bundle, ending) {
  return bundle.file.replace(/\.js$/, ending);
}

/**
 * Emits the deployment manifest next to a firmware bundle.
 * @param {{ file: string, board?: string, module?: string }} bundle
 * @returns {import('rollup').Plugin}
 */
function manifestAsset(bundle) {
  return {
    name: 'edgent-manifest',
    generateBundle() {
      const fileName = basename(besideBundle(bundle, '.files.json'));
      this.emitFile({ type: 'asset', fileName, source: JSON.stringify(manifestOf(bundle), null, 2) + '\n' });
    },
  };
}

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

/** The root certificate shipped as the default `ca` (boards/certs/README.md), written as DER. */
const CA = { source: 'boards/certs/isrg-root-x1.pem', fileName: 'edgent-ca.der' };

/**
 * The DER bytes of the one certificate in a PEM file (Espruino's `tls` takes one certificate, as DER).
 * @param {string} pem
 * @returns {Buffer}
 */
export function pemToDer(pem) {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g) || [];
  if (blocks.length !== 1) throw new Error(`expected one PEM certificate, found ${blocks.length}`);
  const der = Buffer.from(blocks[0].replace(/-----[A-Z ]+-----|\s/g, ''), 'base64');
  if (der[0] !== 0x30) throw new Error('not a DER certificate (no ASN.1 SEQUENCE)');
  return der;
}

/**
 * Emits the shipped root certificate, as DER, as an asset of the bundle it is attached to.
 * @returns {import('rollup').Plugin}
 */
function caAsset() {
  return {
    name: 'edgent-ca',
    generateBundle() {
      this.emitFile({ type: 'asset', fileName: CA.fileName, source: pemToDer(readFileSync(CA.source, 'latin1')) });
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
export function bundleOptions({ input, file, format, name, tsconfig: own, loader }, { tsconfig = own || 'tsconfig.json', include = SOURCES, check = espruinoCheck() } = {}) {
  return {
    input,
    output: { file, format, name, esModule: false, generatedCode: 'es5', strict: false, freeze: false, footer: loader ? LOADER_RUN : undefined },
    plugins: [
      typescript({
        tsconfig,
        include,
        compilerOptions: { noEmit: false, declaration: false, module: 'esnext', target: 'es5' },
      }),
      // Every property name costs RAM, a second block past 4 characters: the internal names listed in
      // tools/short-props.js get short ones in the library's own modules, the same in every bundle
      // (objects cross bundles); product code is left as it is.
      shortProps(),
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
      // Parameters cost RAM for as long as their function exists, `var`s only during a call.
      paramsToArguments(),
      check,
    ],
  };
}

/**
 * The rollup options of a whole build: every bundle through `bundleOptions`, a deployment manifest
 * next to each firmware and module, and (unless `assets` is false) the form and the CA certificate
 * written with the first bundle. `rollup -c` builds BUNDLES this way; `espruino-edgent build`
 * (cli/build.ts) builds a product's firmware through the very same function.
 * @param {Array<(typeof BUNDLES)[number]>} bundles
 * @param {{ check: import('rollup').Plugin, assets?: boolean, include?: string[] }} options
 *   check: the espruino-check plugin instance, shared by every bundle; assets: write the form and
 *   the CA (default true); include: the TypeScript to compile (default SOURCES)
 * @returns {Array<import('rollup').RollupOptions & { output: import('rollup').OutputOptions }>}
 */
export function buildOptions(bundles, { check, assets = true, include }) {
  return bundles.map((bundle, i) => {
    const options = bundleOptions(bundle, { check, include });
    if (assets && i === 0) options.plugins.push(formAsset(), caAsset());
    if (bundle.board || bundle.module) options.plugins.push(manifestAsset(bundle));
    return options;
  });
}

/**
 * Writes the Blynk.Air OTA image of every firmware of `bundles`, `dist/<name>.ota` next to its
 * manifest, once the last of `bundles` is written: an image holds every file its manifest names, and
 * those come from several bundles. Its tag is what the firmware announces (docs/ota-image.md): the
 * `createEdgent` options in its boot code, so the values stay in the example's app.ts alone.
 * @param {Array<(typeof BUNDLES)[number]>} bundles
 * @returns {import('rollup').Plugin} one instance, shared by every bundle
 */
function otaImages(bundles) {
  const unwritten = new Set(bundles.map((bundle) => bundle.file));
  return {
    name: 'edgent-ota',
    writeBundle(output) {
      unwritten.delete(/** @type {string} */ (output.file));
      if (unwritten.size) return;
      for (const bundle of bundles) {
        if (bundle.board) writeFileSync(besideBundle(bundle, '.ota'), imageFromManifest(besideBundle(bundle, '.files.json')));
      }
    },
  };
}

/** What `rollup -c` builds: BUNDLES, with one size table checked against size-budget.json, and the OTA images. */
export default function repositoryBuild() {
  const check = espruinoCheck({ budget: 'size-budget.json', expect: BUNDLES.map((bundle) => basename(bundle.file)) });
  const images = otaImages(BUNDLES);
  return buildOptions(BUNDLES, { check }).map((options) => ({ ...options, plugins: [...options.plugins, images] }));
}
