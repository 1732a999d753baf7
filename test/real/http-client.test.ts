/**
 * Espruino's HTTP client on the real interpreters (the facts
 * sim/espruino/http-client.ts emulates): the probe of test/sim/http-rig.ts
 * runs each request against a raw loopback server on the interpreter and on
 * the simulated board, and the two event logs must be equal; the failures the
 * simulated board cannot reproduce (a refused connection throws from `get`;
 * a `ca` that did not issue the certificate is accepted) are checked on the
 * interpreter alone; on the 1,600-JsVar ESP8266 build the JsVars of an open
 * request are printed. Skipped unless ESPRUINO_ESP8266 / ESPRUINO_ESP32 name
 * the interpreters.
 */
import { strict as assert } from 'assert';
import { CHIPS, RealBoard, skipUnlessInterpreter, type Chip } from './harness';
import { PROBE, derOf, finished, startRawServer, type RawServer } from '../sim/http-rig';
import { makeBoard, waitFor } from '../sim/helpers';
import type { VirtualBoard } from '../../sim/espruino';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Runs `$p(arg)` on the interpreter; resolves with `$E` once final (plus a grace period). */
async function onReal(board: RealBoard, arg: string): Promise<string[]> {
  await board.eval(`($p(${arg}),1)`);
  const deadline = Date.now() + 10000;
  for (;;) {
    const e = await board.eval<string[]>('$E');
    if (finished(e)) break;
    if (Date.now() > deadline) throw new Error(`no final event for ${arg}: ${JSON.stringify(e)}\n${board.tail()}`);
    await sleep(20);
  }
  await sleep(300);
  return board.eval<string[]>('$E');
}

/** The same on the simulated board. */
async function onSim(board: VirtualBoard, arg: string): Promise<string[]> {
  board.evaluate(`$p(${arg})`);
  const events = (): string[] => Array.from(board.evaluate('$E') as string[]);
  await waitFor(() => finished(events()), 10000);
  await sleep(300);
  return events();
}

for (const chip of CHIPS) {
  describe(`real ${chip} interpreter: the HTTP client`, function () {
    this.timeout(120000);
    skipUnlessInterpreter(chip);

    let srv: RawServer;
    let board: RealBoard | null = null;
    let sim: VirtualBoard | null = null;
    before(async function () {
      srv = await startRawServer();
      board = new RealBoard();
      await board.start({ chip });
      await board.eval(`(${PROBE},1)`);
      sim = makeBoard({ chip: chip as Chip, resolve: (host, port) => (host === '127.0.0.1' ? { host, port } : null) });
      await sim.ready();
      sim.boot();
      sim.evaluate("require('Wifi').connect('home', {password: 'secret123'}, function (err) { global.W = err; })");
      await waitFor(() => (sim as VirtualBoard).evaluate('global.W') === null);
      sim.evaluate(PROBE);
    });
    after(async function () {
      if (board) await board.stop();
      if (sim) await sim.close();
      board = null;
      sim = null;
      if (srv) await srv.close();
    });
    afterEach(function () {
      if (board && this.currentTest && this.currentTest.state === 'failed') console.log(board.tail(3000));
    });

    const url = (route: string, secure = false): string => JSON.stringify(`${secure ? 'https' : 'http'}://127.0.0.1:${secure ? srv.tlsPort : srv.port}${route}`);

    it('gives the same event log as the simulated board: 200 with body, Content-Length, 404, chunked, short body, slow body, no answer, unknown host', async function () {
      const b = board as RealBoard;
      for (const arg of [url('/ok'), url('/keep'), url('/404'), url('/chunked'), url('/short'), url('/slow'), url('/drop'), '"http://no-such-host.invalid/x"']) {
        const real = await onReal(b, arg);
        const simulated = await onSim(sim as VirtualBoard, arg);
        assert.deepEqual(simulated, real, `${arg}: the simulated board differs from the interpreter`);
      }
      assert.deepEqual(await onReal(b, url('/ok')), [
        'cb string 200 OK 1.1 Content-Type=application/octet-stream|Content-Length=3000|x-MD5=0123456789abcdef0123456789abcdef|Set-Cookie=a=1|set-cookie=c=3|X-Spaces=v   true',
        'end 3000 ABCDEFGH..CDEFGHIJ',
        'close false',
      ]);
      assert.deepEqual(await onReal(b, url('/drop')), ['error -15 no response false']);
      assert.ok(srv.seen.includes(`GET /ok HTTP/1.1\r\nUser-Agent: Espruino 2v29.277\r\nConnection: close\r\nHost: 127.0.0.1:${srv.port}\r\n\r\n`));
      assert.deepEqual(b.errors(), []);
    });

    it('a refused connection: prints "Connect failed (err 111)" and get() throws (the simulated board emits error -9)', async function () {
      const b = board as RealBoard;
      const from = b.mark();
      assert.deepEqual(await onReal(b, '"http://127.0.0.1:1/x"'), ['threw InternalError: Unable to create socket']);
      assert.ok(b.plainLog().slice(from).includes('ERROR: Connect failed (err 111)') || b.plainLog().includes('Connect failed (err 111)'));
    });

    if (chip === 'ESP32') {
      it('https: the same event log as the simulated board without ca; with ca; a ca that did not issue the certificate still connects on 2v29', async function () {
        const b = board as RealBoard;
        for (const arg of [url('/keep', true), url('/404', true)]) {
          assert.deepEqual(await onSim(sim as VirtualBoard, arg), await onReal(b, arg), arg);
        }
        assert.deepEqual(await onReal(b, url('/404', true)), ['cb string 404 Not Found 1.1 Content-Length=9 true', 'end 9 not found', 'error -30848 unknown error false', 'close true']);
        await b.eval(`(global.$CA=atob(${JSON.stringify(Buffer.from(derOf('ca.pem'), 'latin1').toString('base64'))}),1)`);
        await b.eval(`(global.$OCA=atob(${JSON.stringify(Buffer.from(derOf('other-ca.pem'), 'latin1').toString('base64'))}),1)`);
        const opts = (ca: string): string => `{protocol:"https:",host:"127.0.0.1",port:${srv.tlsPort},path:"/keep",ca:${ca}}`;
        assert.deepEqual(await onReal(b, opts('$CA')), ['cb string 200 OK 1.1 Content-Length=5 true', 'end 5 hello', 'close false']);
        assert.deepEqual(await onReal(b, opts('$OCA')), ['cb string 200 OK 1.1 Content-Length=5 true', 'end 5 hello', 'close false'], '2v29 runs mbedtls with VERIFY_NONE');
        assert.deepEqual(await onReal(b, opts('"short.pem"')), ['threw Error: Could not open file : UNKNOWN']);
      });
    } else {
      it('no TLS: an https URL is plain HTTP on its port (the same on the simulated board)', async function () {
        const arg = url('/keep', true);
        const real = await onReal(board as RealBoard, arg);
        assert.deepEqual(real, ['error -15 no response false']);
        assert.deepEqual(await onSim(sim as VirtualBoard, arg), real);
      });

      it('memory: JsVars of one open request (printed for the record)', async function () {
        const b = board as RealBoard;
        await b.eval('(global.$M=[],1)');
        await b.eval(
          `(function(){var u0=process.memory().usage;var r=require("http").get(${url('/slow')},function(res){$M.push(process.memory().usage-u0);` +
            'res.on("data",function(){if($M.length<3)$M.push(process.memory().usage-u0);});res.on("close",function(){$M.push("closed");});});$M.push(process.memory().usage-u0);return 1;})()',
        );
        const deadline = Date.now() + 5000;
        let m: Array<number | string> = [];
        while (Date.now() < deadline) {
          m = await b.eval<Array<number | string>>('$M');
          if (m.includes('closed')) break;
          await sleep(50);
        }
        console.log(`      ESP8266 (1,600 vars): an open request costs ${m[0]} JsVars after get() (the head still queued), ${m[1]} in its callback, ${m[2]} in its first data event (above the usage before get(), listener closures included)`);
        assert.ok(m.includes('closed'), JSON.stringify(m));
        assert.ok((m[0] as number) < 200);
      });
    }
  });
}
