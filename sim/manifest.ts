/**
 * Deployment manifests: what the build says goes on a board, and nothing
 * else. Next to every firmware bundle the build writes `<name>.files.json`:
 *
 *   {"board": "ESP8266", "bootCode": "esp8266.js", "storage": {"edgent.htm": "form.html"}}
 *
 * File names are relative to the manifest's directory. `board`: what the
 * board's `process.env.BOARD` starts with (null: either chip); `bootCode`: the
 * file saved as boot code (null: the product brings its own firmware, as with
 * the library module's `espruino-edgent.files.json`); `storage`: Storage file
 * name -> file. The simulated board (sim/device.ts) installs from these the
 * way `npm run flash` (tools/flash.js, which reads them on its own) uploads to
 * hardware.
 */

import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/** A deployment manifest as the build writes it. */
export interface Manifest {
  /** What `process.env.BOARD` starts with, e.g. "ESP32"; null: either chip. */
  board: string | null;
  /** The boot code file; null: the product's own firmware is the boot code. */
  bootCode: string | null;
  /** Storage file name -> file. */
  storage: Record<string, string>;
}

/** A manifest with its files read (as device byte strings, one char per byte). */
export interface Deployment {
  /** The manifest file. */
  file: string;
  manifest: Manifest;
  /** The boot code's bytes; null when the manifest has none. */
  bootCode: string | null;
  /** Storage file name -> bytes, in manifest order. */
  storage: Array<{ name: string; data: string }>;
}

/** Name of the library module's manifest (the product's own firmware is its boot code). */
export const LIBRARY_MANIFEST = 'espruino-edgent';

/** Longest Storage file name (Espruino 2v05 and later). */
const STORAGE_NAME_MAX = 28;

/** Name of the manifest of a chip's self-contained firmware (the basic example). */
export function chipManifest(chip: 'ESP32' | 'ESP8266'): string {
  return chip === 'ESP32' ? 'esp32' : 'esp8266';
}

/** Path of manifest `name` ("esp32", or "esp32.files.json") in `dist`. */
export function manifestPath(dist: string, name: string): string {
  return resolve(dist, name.endsWith('.files.json') ? name : `${name}.files.json`);
}

/**
 * Reads and checks manifest `name` ("esp32", "espruino-edgent", "rgb-led-esp8266", ...) in `dist`.
 * Throws, naming the file, when it is missing (run `npm run build` first) or malformed.
 */
export function readManifest(dist: string, name: string): Manifest {
  const file = manifestPath(dist, name);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(`deployment manifest ${file} not found: run \`npm run build\` first`);
    throw new Error(`deployment manifest ${file} cannot be read: ${(e as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`deployment manifest ${file} is not JSON (${(e as Error).message}): run \`npm run build\` again`);
  }
  const bad = (why: string) => new Error(`deployment manifest ${file}: ${why}`);
  if (!json || typeof json !== 'object' || Array.isArray(json)) throw bad('not a JSON object');
  const m = json as Record<string, unknown>;
  const board = m.board ?? null;
  if (board !== null && (typeof board !== 'string' || !board)) throw bad('"board" must be a board name such as "ESP32", or null');
  const bootCode = m.bootCode ?? null;
  if (bootCode !== null && (typeof bootCode !== 'string' || !bootCode)) throw bad('"bootCode" must be a file name or null');
  if (!m.storage || typeof m.storage !== 'object' || Array.isArray(m.storage)) throw bad('"storage" must be an object: Storage name -> file');
  const storage: Record<string, string> = {};
  for (const [key, f] of Object.entries(m.storage as Record<string, unknown>)) {
    if (!key || key.length > STORAGE_NAME_MAX) throw bad(`Storage name ${JSON.stringify(key)} must be 1 to ${STORAGE_NAME_MAX} characters`);
    if (key === '.bootcde' || key === '.bootrst') throw bad(`Storage name ${JSON.stringify(key)} is the boot code: use "bootCode"`);
    if (typeof f !== 'string' || !f) throw bad(`Storage ${JSON.stringify(key)} must name a file`);
    storage[key] = f;
  }
  return { board, bootCode, storage };
}

/** Reads manifest `name` in `dist` and every file it names; throws, naming the file, when one is missing. */
export function readDeployment(dist: string, name: string): Deployment {
  const file = manifestPath(dist, name);
  const manifest = readManifest(dist, name);
  const dir = dirname(file);
  const read = (f: string, what: string): string => {
    try {
      return readFileSync(resolve(dir, f), 'latin1');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(`${resolve(dir, f)} (${what}, named by ${file}) not found: run \`npm run build\` first`);
      throw e;
    }
  };
  return {
    file,
    manifest,
    bootCode: manifest.bootCode === null ? null : read(manifest.bootCode, 'boot code'),
    storage: Object.entries(manifest.storage).map(([key, f]) => ({ name: key, data: read(f, `Storage "${key}"`) })),
  };
}
