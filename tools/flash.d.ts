/** Types of tools/flash.js (`npm run flash`: upload espruino-edgent through the espruino CLI). */

export interface FlashOptions {
  /** esp32 | esp8266 */
  board?: string;
  /** Serial device or tcp://host:port. */
  port?: string;
  baud: number;
  /** Boot code file (default: the board's firmware from dist). */
  firmware?: string;
  /** Upload the library as the Storage module "espruino-edgent". */
  module: boolean;
  /** The build output directory. */
  dist: string;
  /** Seconds before the espruino CLI is stopped. */
  timeout: number;
  verbose: boolean;
  dryRun: boolean;
  help: boolean;
}

/** One file and where it goes. */
export interface Upload {
  role: string;
  /** Absolute path. */
  file: string;
  /** e.g. 'Storage "edgent.htm"' or 'boot code'. */
  target: string;
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
  uploads: Upload[];
  warnings: string[];
  board: { label: string; boardName: RegExp };
}

/** Thrown for bad arguments and missing files (exit status 2). */
export class UsageError extends Error {}

export function parseArgs(argv: string[]): FlashOptions;
export function plan(options: FlashOptions, env?: { cwd?: string; cli?: string }): Plan;
export function formatCommand(plan: Plan, args?: string[]): string;
export function usage(): string;
/** The command line; resolves with the exit status. */
export function main(argv: string[], io?: { out: (s: string) => void; err: (s: string) => void }): Promise<number>;

export const BOARDS: Record<string, { firmware: string; boardName: RegExp; label: string }>;
export const STORAGE_FORM: string;
export const STORAGE_MODULE: string;
export const PROXY_PORT_PLACEHOLDER: string;
