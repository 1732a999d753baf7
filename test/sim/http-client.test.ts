/**
 * The simulated board's HTTP client (`require('http').get` / `request`)
 * against a raw Node server on loopback (test/sim/http-rig.ts), checked
 * against what Espruino 2v29 does (sim/espruino/http-client.ts): string
 * statusCode, headers as sent, body in chunks of at most 536 bytes, 404,
 * chunked, short body, the failures (no answer, refused, unknown host, no IP),
 * a reboot in mid-download, https on the ESP32 only.
 */
import { strict as assert } from 'assert';
import { makeBoard, sleep, waitFor } from './helpers';
import { OK_BODY, PROBE, derOf, finished, startRawServer, type RawServer } from './http-rig';
import type { VirtualBoard } from '../../sim/espruino';

describe('sim http client', () => {
  let srv: RawServer;
  let board: VirtualBoard;
  const ev = (code: string): any => board.evaluate(code);
  const events = (): string[] => Array.from(ev('$E') as string[]);

  before(async () => {
    srv = await startRawServer();
  });
  after(() => srv.close());
  afterEach(() => board.close());

  /** A booted, joined board whose resolver maps `files.example` and 127.0.0.1 to the raw server. */
  async function joined(chip: 'ESP8266' | 'ESP32', join = true): Promise<void> {
    board = makeBoard({
      chip,
      resolve: (host, port) => {
        if (host === 'files.example') return { host: '127.0.0.1', port: port === 443 ? srv.tlsPort : srv.port };
        if (host === 'blynk.cloud') return { host: '127.0.0.1', port: srv.tlsPort };
        return host === '127.0.0.1' ? { host, port } : null;
      },
    });
    await board.ready();
    board.boot();
    if (join) {
      ev("require('Wifi').connect('home', {password: 'secret123'}, function (err) { global.W = err; })");
      await waitFor(() => ev('global.W') === null);
    }
    ev(PROBE);
  }

  /** Runs `$p(arg, method)` and resolves with its events once final (plus a grace period for stragglers). */
  async function probe(arg: string, method?: string): Promise<string[]> {
    ev(`$p(${arg}${method ? `, ${JSON.stringify(method)}` : ''})`);
    await waitFor(() => finished(events()), 5000);
    await sleep(200);
    return events();
  }

  for (const chip of ['ESP8266', 'ESP32'] as const) {
    describe(chip, () => {
      beforeEach(() => joined(chip));

      it('GET: string statusCode, headers as sent (first of a repeat), body in reads of at most 536 bytes, Content-Length ends it', async () => {
        ev(
          'global.$C=[];require("http").get("http://files.example/ok",function(res){$C.push(typeof res.statusCode,res.statusCode,res.headers["x-MD5"],res.headers["Content-Length"]);' +
            'res.on("data",function(d){$C.push(d.length)});res.on("close",function(e){$C.push("close",e)})})',
        );
        await waitFor(() => (ev('$C') as unknown[]).includes('close'), 5000);
        const c = Array.from(ev('$C') as unknown[]);
        assert.deepEqual(c.slice(0, 4), ['string', '200', '0123456789abcdef0123456789abcdef', '3000']);
        const sizes = c.slice(4, -2) as number[];
        assert.equal(sizes.reduce((a, b) => a + b, 0), 3000);
        assert.ok(sizes.every((n) => n > 0 && n <= 536), JSON.stringify(sizes));
        assert.deepEqual(c.slice(-2), ['close', false]);
        assert.ok(srv.seen.some((r) => r === 'GET /ok HTTP/1.1\r\nUser-Agent: Espruino 2v29\r\nConnection: close\r\nHost: files.example\r\n\r\n'));
        const all = await probe(`"http://files.example/ok"`);
        assert.deepEqual(all, [
          'cb string 200 OK 1.1 Content-Type=application/octet-stream|Content-Length=3000|x-MD5=0123456789abcdef0123456789abcdef|Set-Cookie=a=1|set-cookie=c=3|X-Spaces=v   true',
          `end 3000 ${OK_BODY.substr(0, 8)}..${OK_BODY.substr(-8)}`,
          'close false',
        ]);
      });

      it('closes at Content-Length even while the server keeps the connection; 404 delivers its body', async () => {
        const t0 = Date.now();
        assert.deepEqual(await probe(`"http://files.example/keep"`), ['cb string 200 OK 1.1 Content-Length=5 true', 'end 5 hello', 'close false']);
        assert.ok(Date.now() - t0 < 1000, 'did not wait for the server to close');
        assert.deepEqual(await probe(`"http://files.example/404"`), ['cb string 404 Not Found 1.1 Content-Length=9 true', 'end 9 not found', 'close false']);
      });

      it('chunked: chunk-size lines removed; a short body ends without error', async () => {
        assert.deepEqual(await probe(`"http://files.example/chunked"`), ['cb string 200 OK 1.1 Transfer-Encoding=chunked true', 'end 12 hello world!', 'close false']);
        assert.deepEqual(await probe(`"http://files.example/short"`), ['cb string 200 OK 1.1 Content-Length=100 true', `end 50 ${'x'.repeat(8)}..${'x'.repeat(8)}`, 'close false']);
      });

      it('request() sends nothing before end(); an options object; get() of an object sends GET', async () => {
        const before = srv.seen.length;
        ev('global.$R=require("http").request({host:"files.example",path:"/404",method:"POST",headers:{"Content-Length":3}},function(res){global.$S=res.statusCode;})');
        await sleep(200);
        assert.equal(srv.seen.length, before);
        ev('$R.write("abc"); $R.end()');
        await waitFor(() => ev('global.$S') === '404', 3000);
        assert.equal(srv.seen[srv.seen.length - 1], 'POST /404 HTTP/1.1\r\nUser-Agent: Espruino 2v29\r\nConnection: close\r\nContent-Length: 3\r\nHost: files.example\r\n\r\nabc');
        assert.deepEqual((await probe(`{host: "files.example", port: 8080, path: "/keep"}`)).slice(-1), ['close false']);
        assert.equal(srv.seen[srv.seen.length - 1], 'GET /keep HTTP/1.1\r\nUser-Agent: Espruino 2v29\r\nConnection: close\r\nHost: files.example:8080\r\n\r\n');
      });

      it('no answer: req error -15 only; unknown host throws; refused: error -9 (2v29 throws)', async () => {
        assert.deepEqual(await probe(`"http://files.example/drop"`), ['error -15 no response false']);
        assert.deepEqual(await probe(`"http://nowhere.example/x"`), ['threw InternalError: Unable to locate host']);
        assert.deepEqual(await probe(`"http://127.0.0.1:1/x"`), ['error -9 connection reset false']);
        assert.ok(board.console.includes('ERROR: Connect failed (err 111)'));
      });

      it('a late data listener gets the bytes that waited (available/read)', async () => {
        ev('global.$L=[];require("http").get("http://files.example/404",function(res){$L.push(res.available());setTimeout(function(){res.on("data",function(d){$L.push(d)});res.on("close",function(){$L.push("close")})},300)})');
        await waitFor(() => (ev('$L') as unknown[]).includes('close'), 3000);
        assert.deepEqual(Array.from(ev('$L') as unknown[]), [9, 'not found', 'close']);
      });

      it('a reboot in mid-download: no event after it', async () => {
        ev('require("http").get("http://files.example/slow",function(res){console.log("D cb");res.on("data",function(d){console.log("D "+d)});res.on("close",function(){console.log("D close")})})');
        await waitFor(() => board.console.includes('D cb'), 3000);
        const logs = board.console.length;
        board.reboot();
        await sleep(900);
        assert.ok(board.isOn, 'booted again');
        assert.deepEqual(board.console.slice(logs).filter((l) => /^D |Uncaught/.test(l)), []);
        assert.equal(board.errors.length, 0);
      });
    });
  }

  it('station not joined: a host name throws "Unable to locate host", an IP "Unable to create socket"', async () => {
    await joined('ESP32', false);
    assert.deepEqual(await probe(`"http://files.example/ok"`), ['threw InternalError: Unable to locate host']);
    assert.deepEqual(await probe(`"http://10.1.2.3/ok"`), ['threw InternalError: Unable to create socket']);
    assert.ok(board.console.includes('ERROR: Connect failed (err 113)'));
  });

  describe('https', () => {
    it('ESP32: without ca; with the issuing ca; a TLS server closing first is error -30848', async () => {
      await joined('ESP32');
      assert.deepEqual(await probe(`"https://blynk.cloud/keep"`), ['cb string 200 OK 1.1 Content-Length=5 true', 'end 5 hello', 'close false']);
      ev(`global.$CA=${JSON.stringify(derOf('ca.pem'))}`);
      assert.deepEqual(await probe(`{protocol: "https:", host: "blynk.cloud", path: "/keep", ca: $CA}`), [
        'cb string 200 OK 1.1 Content-Length=5 true',
        'end 5 hello',
        'close false',
      ]);
      assert.deepEqual(await probe(`"https://blynk.cloud/404"`), [
        'cb string 404 Not Found 1.1 Content-Length=9 true',
        'end 9 not found',
        'error -30848 unknown error false',
        'close true',
      ]);
    });

    it('ESP32: a ca that did not issue the certificate fails the handshake (2v29 does not verify); bad ca strings throw', async () => {
      await joined('ESP32');
      ev(`global.$OCA=${JSON.stringify(derOf('other-ca.pem'))}`);
      assert.deepEqual(await probe(`{protocol: "https:", host: "blynk.cloud", path: "/keep", ca: $OCA}`), ['error -13 SSL handshake failed false']);
      assert.deepEqual(await probe(`{protocol: "https:", host: "blynk.cloud", path: "/keep", ca: "short.pem"}`), ['threw Error: Could not open file : UNKNOWN']);
      assert.ok(board.console.includes('WARNING: File "short.pem" not found'));
      const pem = JSON.stringify('-----BEGIN CERTIFICATE-----\n' + 'A'.repeat(120) + '\n-----END CERTIFICATE-----\n');
      assert.deepEqual(await probe(`{protocol: "https:", host: "blynk.cloud", path: "/keep", ca: ${pem}}`), [
        "threw InternalError: HTTPS init failed! mbedtls_x509_crt_parse of 'ca': Invalid format",
      ]);
    });

    it('ESP8266 has no TLS: an https URL is plain HTTP on its port', async () => {
      await joined('ESP8266');
      assert.deepEqual(await probe(`"https://127.0.0.1:${srv.tlsPort}/keep"`), ['error -15 no response false']);
      assert.deepEqual(await probe(`"https://127.0.0.1:${srv.port}/keep"`), ['cb string 200 OK 1.1 Content-Length=5 true', 'end 5 hello', 'close false']);
    });
  });
});
