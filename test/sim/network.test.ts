/**
 * Networking of the virtual board over real loopback sockets (real timers,
 * every wait bounded): the HTTP server sees raw request bytes, DNS datagrams
 * round-trip, device TCP/TLS sockets reach host servers through `resolve`
 * only while the station is joined.
 */
import { strict as assert } from 'assert';
import dgram from 'dgram';
import net from 'net';
import { HOME, makeBoard, printed, rawRequest, waitFor } from './helpers';
import { createRadio, type VirtualBoard, type VirtualRadio } from '../../sim/espruino';

const AP_AND_SERVER = `
var Wifi = require('Wifi'), got = null, order = [];
Wifi.startAP('prov', {password: 'longenough'});
require('http').createServer(function (req, res) {
  var body = '';
  req.on('data', function (d) { body += d; });
  req.on('close', function () { order.push('req close'); });
  req.on('end', function () {
    order.push('req end');
    got = {method: req.method, url: req.url, raw: req.headers['X-Raw'], host: req.headers.Host, body: body};
    res.writeHead(req.url === '/missing' ? 404 : 200, {'Content-Type': 'text/plain'});
    res.end('ok \\xe9');
  });
}).listen(80);
`;

describe('sim network', () => {
  let board: VirtualBoard;
  let radio: VirtualRadio;
  const ev = (code: string): any => board.evaluate(code);

  afterEach(() => board.close());

  describe('http server', () => {
    beforeEach(async () => {
      board = makeBoard({ chip: 'ESP8266' });
      await board.ready();
      board.setBootCode(AP_AND_SERVER);
      board.boot();
    });

    it('hands device code the raw request bytes and sends its bytes back as latin1', async () => {
      const body = 'ssid=a+b%41&p=\xe9';
      const request =
        'POST /save?ssid=caf%C3%A9+x&k=\xe9 HTTP/1.1\r\nHost: 192.168.4.1\r\nX-Raw: v\xe9 \r\nX-Raw: second\r\n' +
        `Content-Length: ${body.length}\r\n\r\n${body}`;
      const response = await rawRequest(board.httpPort, request);
      assert.equal(
        response,
        'HTTP/1.1 200 OK\r\nServer: Espruino 2v29\r\nConnection: close\r\nContent-Type: text/plain\r\n\r\nok \xe9',
      );
      const got = ev('got');
      assert.equal(got.method, 'POST');
      assert.equal(got.url, '/save?ssid=caf%C3%A9+x&k=\xe9');
      assert.equal(got.raw, 'v\xe9 ', 'first of a repeated header, bytes untouched');
      assert.equal(got.host, '192.168.4.1');
      assert.equal(got.body, body);
      await waitFor(() => ev('order.length') === 2);
      assert.deepEqual(Array.from(ev('order')), ['req end', 'req close']);
    });

    it("always says 'OK' after the status code", async () => {
      const response = await rawRequest(board.httpPort, 'GET /missing HTTP/1.1\r\n\r\n');
      assert.ok(response.startsWith('HTTP/1.1 404 OK\r\n'), response);
    });

    it('refuses connections when the device is on no network, or after a power cut', async () => {
      ev("require('Wifi').stopAP()");
      assert.equal(await rawRequest(board.httpPort, 'GET / HTTP/1.1\r\n\r\n'), '');
      ev("require('Wifi').startAP('prov', {password: 'longenough'})");
      assert.notEqual(await rawRequest(board.httpPort, 'GET / HTTP/1.1\r\n\r\n'), '');
      board.powerCut();
      assert.equal(await rawRequest(board.httpPort, 'GET / HTTP/1.1\r\n\r\n'), '');
    });
  });

  describe('dgram', () => {
    it('a socket bound to 53 receives byte strings on dnsPort and replies to the sender', async () => {
      board = makeBoard({ chip: 'ESP32' });
      await board.ready();
      board.setBootCode(`
        require('Wifi').startAP('prov', {password: 'longenough'});
        var s = require('dgram').createSocket('udp4');
        s.on('message', function (msg, rinfo) {
          console.log('udp ' + msg.length + ' ' + rinfo.size + ' ' + (rinfo.address === '127.0.0.1'));
          s.send(msg.split('').reverse().join(''), rinfo.port, rinfo.address);
          s.send('xx' + msg + 'yy', 2, msg.length, rinfo.port, rinfo.address);
        });
        s.bind(53);
      `);
      board.boot();
      await waitFor(() => ev("require('Wifi').getAPDetails().ssid") === 'prov');
      const client = dgram.createSocket('udp4');
      const replies: string[] = [];
      client.on('message', (m) => replies.push(m.toString('latin1')));
      await new Promise<void>((r) => client.bind(0, '127.0.0.1', () => r()));
      client.send(Buffer.from('\x12\x34\xe9ab', 'latin1'), board.dnsPort, '127.0.0.1');
      try {
        await waitFor(() => replies.length === 2);
      } finally {
        client.close();
      }
      assert.deepEqual(replies, ['ba\xe9\x34\x12', '\x12\x34\xe9ab']);
      assert.deepEqual(printed(board, 'udp '), ['5 5 true']);
    });
  });

  describe('net / tls sockets', () => {
    let echo: net.Server;
    let echoPort: number;

    beforeEach(async () => {
      echo = net.createServer((s) => s.pipe(s));
      await new Promise<void>((r) => echo.listen(0, '127.0.0.1', () => r()));
      echoPort = (echo.address() as net.AddressInfo).port;
      radio = createRadio([{ ...HOME }]);
      board = makeBoard({
        chip: 'ESP32',
        radio,
        resolve: (host, port) => (host === 'blynk.cloud' && port === 80 ? { host: '127.0.0.1', port: echoPort } : null),
      });
      board.setBootCode(`
        var E_ = [];
        function open(host, lib) {
          var s = require(lib || 'net').connect({host: host, port: 80}, function () { E_.push('connect'); s.write('hi\\xe9'); });
          s.on('data', function (d) { E_.push('data ' + d); });
          s.on('error', function (e) { E_.push('error ' + e.code + ' ' + e.message); });
          s.on('close', function (hadError) { E_.push('close ' + hadError); });
          return s;
        }
      `);
      board.boot();
    });
    afterEach(() => new Promise<void>((r) => echo.close(() => r())));

    const events = (): string[] => Array.from(ev('E_'));

    it('fail with no route while the station is not joined', async () => {
      ev("open('blynk.cloud')");
      await waitFor(() => events().length === 2);
      assert.deepEqual(events(), ['error -4 no route', 'close true']);
    });

    it('reach the host server through resolve() while joined; die when the AP goes down', async () => {
      ev("require('Wifi').connect('home', {password: 'secret123'}, function (err) { E_.push('wifi ' + err); })");
      await waitFor(() => events().includes('wifi null'));
      ev("open('blynk.cloud')");
      await waitFor(() => events().includes('data hi\xe9'));
      assert.deepEqual(events(), ['wifi null', 'connect', 'data hi\xe9']);
      radio.setUp('home', false);
      await waitFor(() => events().length === 5);
      assert.deepEqual(events().slice(3), ['error -9 connection reset', 'close true']);
    });

    it("report 'not found' for names resolve() does not know, and a TLS handshake failure", async () => {
      ev("require('Wifi').connect('home', {password: 'secret123'}, function (err) { E_.push('wifi ' + err); })");
      await waitFor(() => events().includes('wifi null'));
      ev("open('nowhere.example')");
      await waitFor(() => events().length === 3);
      assert.deepEqual(events().slice(1), ['error -6 not found', 'close true']);
      ev("E_ = []; open('blynk.cloud', 'tls')");
      await waitFor(() => events().length === 2);
      assert.deepEqual(events(), ['error -13 SSL handshake failed', 'close true']);
    });

    it("tls takes ca as DER bytes: PEM text throws Espruino's 'Invalid format'", () => {
      const pem = "'-----BEGIN CERTIFICATE-----\\nMIIB\\n-----END CERTIFICATE-----\\n'";
      ev(`E_ = []; try { require('tls').connect({host: 'blynk.cloud', port: 443, ca: ${pem}}); } catch (e) { E_.push(e.message); }`);
      assert.deepEqual(events(), ["HTTPS init failed! mbedtls_x509_crt_parse of 'ca': Invalid format"]);
    });
  });
});
