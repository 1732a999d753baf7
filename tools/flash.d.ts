/** Types of tools/flash.js (`npm run flash`: upload espruino-edgent through the espruino CLI). */

export interface FlashOptions {
  /** esp32 | esp8266 */
  board?: string;
  /** Serial device or tcp://host:port. */
  port?: string;
  baud: number;
  /** Boot code file (default: the manifest's bootCode). */
  firmware?: string;
  /** Deploy the library-module manifest (`espruino-edgent.files.json` in `dist`). */
  module: boolean;
  /** The deployment manifest to deploy (default: the board's in `dist`). */
  manifest?: string;
  /** The build output directory. */
  dist: string;
  /** Seconds before the espruino CLI is stopped. */
  timeout: number;
  verbose: boolean;
  dryRun: boolean;
  help: boolean;
}

/** A deployment manifest (`dist/<name>.files.json`); file names are relative to its directory. */
export interface Manifest {
  /** What process.env.BOARD starts with, e.g. "ESP32"; null: any supported chip. */
  board: string | null;
  /** The boot code file; null: the product's own, given with --firmware. */
  bootCode: string | null;
  /** Storage file name -> file. */
  storage: Record<string, string>;
}

/** One file and where it goes. */
export interface Upload {
  /** 'storage', 'boot code' (the manifest's) or 'firmware' (--firmware). */
  role: string;
  /** Absolute path. */
  file: string;
  /** e.g. 'Storage "edgent.htm"' or 'boot code'. */
  target: string;
  /** The Storage file name; absent for the boot code. */
  storage?: string;
  bytes: number;
}

/** Everything a run does. */
export interface Plan {
  /** The espruino CLI's entry script. */
  cli: string;
  /** Arguments after `node <cli>`; MODULE_PROXY_PORT holds PROXY_PORT_PLACEHOLDER. */
  args: string[];
  /** Where the CLI runs. */
  cwd: string;
  /** The deployment manifest (absolute path). */
  manifest: string;
  /** Storage files in manifest order, then the boot code. */
  uploads: Upload[];
  warnings: string[];
  board: { label: string; boardName: RegExp };
}

/** Thrown for bad arguments and missing files (exit status 2). */
export class UsageError extends Error {}

export function parseArgs(argv: string[]): FlashOptions;
/** Reads and checks a manifest (absolute path); throws UsageError. */
export function readManifest(file: string): Manifest;
export function plan(options: FlashOptions, env?: { cwd?: string; cli?: string }): Plan;
export function formatCommand(plan: Plan, args?: string[]): string;
export function usage(): string;
/** The command line; resolves with the exit status. */
export function main(argv: string[], io?: { out: (s: string) => void; err: (s: string) => void }): Promise<number>;

export const BOARDS: Record<string, { manifest: string; boardName: RegExp; label: string }>;
/** File name of the library-module bundle's manifest in the dist directory. */
export const MODULE_MANIFEST: string;
export const STORAGE_MODULE: string;
export const PROXY_PORT_PLACEHOLDER: string;
