/**
 * What the MD5 test and benchmark on the real interpreters share: the module
 * lib/md5.ts built once (storage-module.ts) and loaded on a board from
 * Storage as the global `M`, and a byte pattern both Node and the board can
 * make (the board makes it in RAM, as the HTTP client delivers data).
 */
import type { RealBoard } from './harness';
import { buildStorageModule } from './storage-module';

/** The Storage file the module is written to and `require`d from. */
export const MD5_FILE = 'edgent-md5';

let built: Promise<string> | null = null;

/** The built module's code (built once per process). */
export function md5Module(): Promise<string> {
  if (!built) built = buildStorageModule('lib/md5.ts');
  return built;
}

/**
 * Writes the module to `board`'s Storage; `require`s it into the global `M`
 * unless `load` is false.
 *
 * @throws when the file does not land intact or `require` fails
 */
export async function loadMd5(board: RealBoard, load = true): Promise<void> {
  await board.writeFile(MD5_FILE, await md5Module());
  if (load) await requireMd5(board);
}

/**
 * `require`s the module, already in Storage, into the global `M`.
 *
 * @throws when `require` fails or gives no `md5Add`
 */
export async function requireMd5(board: RealBoard): Promise<void> {
  const ok = await board.eval(`(global.M=require(${JSON.stringify(MD5_FILE)}),typeof M.md5Add)`);
  if (ok !== 'function') throw new Error(`require("${MD5_FILE}") gave no md5Add (${JSON.stringify(ok)})`);
}

/** `n` bytes, byte i being `(i * k + (i >> 3)) & 255`. */
export function bytePattern(n: number, k: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += String.fromCharCode((i * k + (i >> 3)) & 255);
  return s;
}

/** A one-line Espruino expression whose value is `bytePattern(n, k)`, built in RAM. */
export function patternExpr(n: number, k: number): string {
  return `(function(n,k){var s="";for(var i=0;i<n;i++)s+=String.fromCharCode((i*k+(i>>3))&255);return s;})(${n},${k})`;
}
