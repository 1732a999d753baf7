/**
 * Benchmark (not a test): MD5 throughput of lib/md5.ts on the real ESP8266
 * interpreter (the 1,600-JsVar build), in KB/s of the interpreter's host time
 * on this machine, not a board's. The module is built as the firmware's
 * Storage modules are built and `require`d from Storage
 * (test/real/md5-rig.ts); a chunk made in RAM, as the HTTP client delivers
 * data, is fed again and again to one state, timed on the board with
 * `getTime()`, and the digest is checked against Node's.
 *
 *   npx tsx bench/md5.ts [--kb N] [--runs N]
 *
 * The interpreter is `ESPRUINO_ESP8266`, else ../shared/espruino/espruino-esp8266.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fixed, int, textTable, type Table } from './format';
import { RealBoard, gatePath } from '../test/real/harness';
import { bytePattern, loadMd5, md5Module, patternExpr } from '../test/real/md5-rig';

/** The interpreter when `ESPRUINO_ESP8266` is unset. */
const SHARED = resolve(__dirname, '../../shared/espruino/espruino-esp8266');

/** Chunk sizes fed: a small one, the real-interpreter test's, a TCP segment's. */
const CHUNKS = [64, 512, 1460];

/** One chunk size's figures. */
interface Row {
  chunk: number;
  bytes: number;
  /** KB/s of the fastest and the median run. */
  best: number;
  median: number;
}

/** Reads `--name N` from the command line. */
function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!(v > 0)) throw new Error(`${name} takes a positive number`);
  return v;
}

/** Times `runs` digests of `kb` KB fed in chunks of `chunk` bytes on `board` (module loaded as `M`). */
async function measure(board: RealBoard, chunk: number, kb: number, runs: number): Promise<Row> {
  const count = Math.ceil((kb * 1024) / chunk);
  const want = createHash('md5').update(Buffer.from(bytePattern(chunk, 7).repeat(count), 'latin1')).digest('hex');
  await board.eval(`(global.C=${patternExpr(chunk, 7)},1)`);
  const seconds: number[] = [];
  for (let r = 0; r < runs; r++) {
    const [digest, s] = await board.eval<[string, number]>(
      `(function(){var s=M.md5Start(),t=getTime();for(var i=0;i<${count};i++)M.md5Add(s,C);var h=M.md5Hex(s);return [h,getTime()-t];})()`,
      300000,
    );
    if (digest !== want) throw new Error(`chunks of ${chunk}: the board's digest ${digest} is not Node's ${want}`);
    seconds.push(s);
  }
  seconds.sort((a, b) => a - b);
  const bytes = count * chunk;
  return { chunk, bytes, best: bytes / 1024 / seconds[0], median: bytes / 1024 / seconds[runs >> 1] };
}

async function main(): Promise<void> {
  const kb = option('--kb', 8);
  const runs = option('--runs', 5);
  const interpreter = gatePath() || (existsSync(SHARED) ? SHARED : null);
  if (!interpreter) {
    console.log('no interpreter: set ESPRUINO_ESP8266 to ../shared/espruino/espruino-esp8266');
    return;
  }
  const board = new RealBoard();
  await board.start({ chip: 'ESP8266', interpreter });
  try {
    await loadMd5(board);
    const rows: Row[] = [];
    for (const chunk of CHUNKS) rows.push(await measure(board, chunk, kb, runs));
    if (board.errors().length) throw new Error(`the interpreter reported errors:\n  ${board.errors().join('\n  ')}`);
    const table: Table = {
      title: `MD5 (lib/md5.ts) on the ESP8266 interpreter, 1,600 JsVars: KB/s of host time, ${runs} runs`,
      head: ['chunk (bytes)', 'bytes per run', 'best KB/s', 'median KB/s'],
      rows: rows.map((r) => [int(r.chunk), int(r.bytes), fixed(r.best, 1), fixed(r.median, 1)]),
      notes: [
        `host time of the interpreter on this machine, not a board's; module ${(await md5Module()).length} bytes in Storage`,
      ],
    };
    console.log(textTable(table));
  } finally {
    await board.stop();
  }
}

main().catch((e: Error) => {
  console.error(e.stack || e.message);
  process.exit(1);
});
