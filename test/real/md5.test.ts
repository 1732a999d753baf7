/**
 * lib/md5.ts on the real Espruino interpreters, built as the firmware's
 * Storage modules are built (storage-module.ts), written to Storage and
 * `require`d there: its digests equal Node's for inputs fed in chunks, and on
 * the 1,600-JsVar ESP8266 build (a real ESP8266_4MB's memory) the module's
 * cost while loaded and the extra JsVars while it hashes a 512-byte chunk stay
 * within the limits below, it keeps nothing between chunks, and the console
 * shows no error. Skipped unless ESPRUINO_ESP8266 / ESPRUINO_ESP32 name the
 * interpreters.
 */
import { strict as assert } from 'assert';
import { RFC1321_SUITE, allBytes, md5Ref as ref, randomBytes } from '../unit/md5-data';
import { CHIPS, RealBoard, gatePath, skipUnlessInterpreter } from './harness';
import { MD5_FILE, bytePattern, loadMd5, patternExpr, requireMd5 } from './md5-rig';

/**
 * JsVars the loaded module may cost on the 1,600 build (measured: 61, of
 * which 25 are the round constants' table).
 */
const MODULE_LIMIT = 66;

/**
 * Free JsVars `md5Add` of a 512-byte chunk may need on the 1,600 build: the
 * fewest it runs in (measured: 48).
 */
const HASH_LIMIT = 54;

/**
 * The digest the board computes of `bytes`: written to the Storage file
 * `md5in`, read there (memory-mapped) and fed to one state in chunks whose
 * sizes cycle through `sizes` (0 feeds an empty chunk).
 */
async function boardDigest(board: RealBoard, bytes: string, sizes: number[]): Promise<string> {
  assert.ok(sizes.some((n) => n > 0));
  if (bytes.length) await board.writeFile('md5in', bytes);
  const data = bytes.length ? 'require("Storage").read("md5in")' : '""';
  return board.eval<string>(
    '(function(d,c){var s=M.md5Start();for(var i=0,j=0;i<d.length;j++){var n=c[j%c.length];M.md5Add(s,d.substr(i,n));i+=n;}' +
    `if(!d.length)M.md5Add(s,"");return M.md5Hex(s);})(${data},${JSON.stringify(sizes)})`,
    30000,
  );
}

for (const chip of CHIPS) {
  describe(`real ${chip} interpreter: MD5 from a Storage module`, function () {
    this.timeout(120000);
    skipUnlessInterpreter(chip);

    let board: RealBoard | null = null;
    before(async function () {
      board = new RealBoard();
      await board.start({ chip });
      await loadMd5(board);
    });
    after(async function () {
      if (board) await board.stop();
      board = null;
    });
    afterEach(function () {
      if (board && this.currentTest && this.currentTest.state === 'failed') console.log(board.tail(3000));
    });

    it('gives the digests of the RFC 1321 test suite', async function () {
      const b = board as RealBoard;
      for (const [input, digest] of RFC1321_SUITE) {
        assert.equal(await boardDigest(b, input, [1000]), digest, JSON.stringify(input));
      }
    });

    it('hashes all 256 byte values, whole, a byte at a time and in uneven chunks', async function () {
      const b = board as RealBoard;
      const bytes = allBytes();
      for (const sizes of [[256], [1], [7, 0, 61, 64, 1]]) {
        assert.equal(await boardDigest(b, bytes, sizes), ref(bytes), `chunks of ${sizes}`);
      }
    });

    it('hashes 4 KB fed in 512-byte chunks, and in chunks of 536 and 1460 bytes', async function () {
      const b = board as RealBoard;
      const bytes = randomBytes(4096, 4096);
      for (const size of [512, 536, 1460]) assert.equal(await boardDigest(b, bytes, [size]), ref(bytes), `chunks of ${size}`);
    });

    it('pads right around the 55/56/64-byte boundaries', async function () {
      const b = board as RealBoard;
      for (const len of [55, 56, 57, 63, 64, 65, 119, 120, 121, 128]) {
        const bytes = randomBytes(len, len);
        assert.equal(await boardDigest(b, bytes, [len - 1 || 1, 1]), ref(bytes), `length ${len}`);
      }
    });

    it('shows no error on the console', function () {
      assert.deepEqual((board as RealBoard).errors(), []);
    });
  });
}

describe('real ESP8266 interpreter, 1600 JsVars: MD5 memory', function () {
  this.timeout(120000);
  skipUnlessInterpreter('ESP8266');
  before(function () {
    if (!gatePath()) this.skip();
  });

  /** The 512-byte chunk the memory tests hash, built on the board as `C` (a string in RAM). */
  const CHUNK = bytePattern(512, 7);
  /**
   * Defines `T(k)` on the board: fills memory until at most `k` JsVars are free, feeds `C` to the
   * state `S` and returns how many were free when it started (the filler goes with the call).
   */
  const FILL = 'global.T=function(k){var f=[],m=process.memory,r;while(m(false).free>k)f.push(0);r=m(false).free;M.md5Add(S,C);return r;}';

  /** The boards of the running test, stopped after it. */
  const boards: RealBoard[] = [];
  afterEach(async function () {
    const failed = this.currentTest && this.currentTest.state === 'failed';
    for (const b of boards.splice(0)) {
      if (failed) console.log(b.tail(3000));
      await b.stop();
    }
  });

  /** A board of the 1,600 build with the module in Storage, `C` in RAM and `M`, `S` defined (the module not loaded). */
  async function gateBoard(): Promise<RealBoard> {
    const b = new RealBoard();
    boards.push(b);
    await b.start({ chip: 'ESP8266', interpreter: gatePath() as string });
    await loadMd5(b, false);
    await b.eval(`(global.C=${patternExpr(512, 7)},global.M=0,global.S=0,1)`);
    return b;
  }

  it(`costs at most ${MODULE_LIMIT} JsVars loaded, hashes a 512-byte chunk with ${HASH_LIMIT} free and keeps nothing between chunks`, async function () {
    const b = await gateBoard();
    const before = await b.memory();
    await requireMd5(b);
    const loaded = (await b.memory()) - before;

    // Two chunks first: a byte count of 1,024 or more takes a block of its own in the state.
    await b.eval(`(S=M.md5Start(),M.md5Add(S,C),M.md5Add(S,C),${FILL},1)`);
    const atRest = await b.memory();
    for (let i = 0; i < 5; i++) await b.eval('(M.md5Add(S,C),1)');
    const kept = (await b.memory()) - atRest;
    const free = await b.eval<number>(`T(${HASH_LIMIT})`, 30000);
    assert.equal(await b.eval('M.md5Hex(S)'), ref(CHUNK.repeat(8)), 'digest of 8 chunks, the last one hashed with little memory');

    console.log(`      ESP8266 (1600 JsVars): ${MD5_FILE} loaded ${loaded} JsVars (limit ${MODULE_LIMIT}), ` +
      `5 more chunks of 512 bytes kept ${kept}, a chunk hashed with ${free} free (limit ${HASH_LIMIT})`);
    assert.ok(loaded <= MODULE_LIMIT, `the loaded module costs ${loaded} JsVars, over the limit of ${MODULE_LIMIT}`);
    assert.equal(kept, 0, 'whole 64-byte blocks leave nothing in the state, and hashing leaks nothing');
    assert.ok(free <= HASH_LIMIT && free >= HASH_LIMIT - 2, `filled memory to ${free} free JsVars, not ${HASH_LIMIT}`);
    assert.deepEqual(b.errors(), []);
  });

  it(`needs at most ${HASH_LIMIT} free JsVars to hash a 512-byte chunk (the fewest it runs in, searched)`, async function () {
    // Runs out of memory on purpose: its own board, whose OUT OF MEMORY lines are expected.
    const b = await gateBoard();
    await requireMd5(b);
    await b.eval(`(${FILL},1)`);
    const want = ref(CHUNK);
    /** Whether the chunk hashes right with at most `k` JsVars free; the free count it started with. */
    const attempt = async (k: number): Promise<{ ok: boolean; free: number }> => {
      await b.eval('(S=M.md5Start(),1)');
      const from = b.mark();
      // Out of memory, the interpreter interrupts the call and never answers the line.
      const free = await Promise.race([
        b.eval<number>(`T(${k})`, 10000),
        b.waitFor('Execution Interrupted', 10000, from, false).then(() => -1),
      ]).catch(() => -1);
      const failed = /OUT OF MEMORY|LOW_MEMORY/.test(b.plainLog().slice(from));
      const ok = free >= 0 && !failed && (await b.eval('M.md5Hex(S)')) === want;
      return { ok, free };
    };
    let lo = 0;
    let hi = 4 * HASH_LIMIT;
    const roomy = await attempt(hi);
    assert.ok(roomy.ok, `the chunk does not hash with ${hi} JsVars free`);
    let need = roomy.free;
    while (hi - lo > 1) {
      const k = (lo + hi) >> 1;
      const r = await attempt(k);
      if (r.ok) {
        hi = k;
        need = r.free;
      } else lo = k;
    }
    console.log(`      ESP8266 (1600 JsVars): md5Add of 512 bytes runs in ${need} free JsVars (limit ${HASH_LIMIT})`);
    assert.ok(need <= HASH_LIMIT, `md5Add of a 512-byte chunk needs ${need} free JsVars, over the limit of ${HASH_LIMIT}`);
  });
});
