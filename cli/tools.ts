/**
 * The package's build tools as the command line loads them: tools/*.js
 * (plain JavaScript, shipped as it is) and rollup.config.mjs (the build
 * pipeline), found from the package root, so that the same paths hold when
 * the command line runs from its sources (cli/) and compiled (build/cli/).
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ModuleFormat, OutputOptions, Plugin, RollupOptions } from 'rollup';
import { packageRoot } from '../sim/root';

/** The package root: where package.json, dist/, lib/, boards/ and tools/ are. */
export const ROOT = packageRoot();

/** The Espruino compatibility check (tools/espruino-check.js). */
export function espruinoChecker(): typeof import('../tools/espruino-check') {
  return require(join(ROOT, 'tools', 'espruino-check.js'));
}

/** The rollup plugin that runs the check and prints sizes (tools/rollup-plugin-espruino.js). */
export function espruinoCheckPlugin(): typeof import('../tools/rollup-plugin-espruino') {
  return require(join(ROOT, 'tools', 'rollup-plugin-espruino.js'));
}

/** The OTA image tool (tools/ota-image.js). */
export function otaImage(): typeof import('../tools/ota-image') {
  return require(join(ROOT, 'tools', 'ota-image.js'));
}

/** The flash command (tools/flash.js). */
export function flashTool(): typeof import('../tools/flash') {
  return require(join(ROOT, 'tools', 'flash.js'));
}

/** One bundle of the build, as rollup.config.mjs describes it. */
export interface Bundle {
  /** The entry module. */
  input: string;
  /** The file written. */
  file: string;
  /** `iife` for a firmware, `cjs` for a module. */
  format: ModuleFormat;
  /** The tsconfig whose program it is compiled in. */
  tsconfig: string;
  /** A firmware (boot code) for that chip. */
  board?: 'ESP32' | 'ESP8266';
}

/** What rollup.config.mjs exports (the parts the command line uses). */
export interface Pipeline {
  /** Storage name -> file in dist/ of the files every firmware needs besides its boot code. */
  STORAGE_FILES: Record<string, string>;
  /** The deployment manifest of a bundle. */
  manifestOf(bundle: Bundle): { board: string | null; bootCode: string | null; storage: Record<string, string> };
  /** The rollup options of a build: every bundle through the plugin chain, with its manifest. */
  buildOptions(bundles: Bundle[], options: { check: Plugin; assets?: boolean; include?: string[] }): Array<RollupOptions & { output: OutputOptions }>;
}

/** Loads the build pipeline (an ES module). */
export async function pipeline(): Promise<Pipeline> {
  return import(pathToFileURL(join(ROOT, 'rollup.config.mjs')).href);
}
