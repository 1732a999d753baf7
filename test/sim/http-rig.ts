/**
 * What the HTTP-client tests on the simulated board and on the real
 * interpreters share: a raw HTTP server on 127.0.0.1 (every answer written
 * byte for byte, so both clients see the same bytes; plus the same routes over
 * TLS with the test certificate of sim/cloud/certs), the requests it saw, and
 * a one-line Espruino probe that records a request's events in `$E`.
 */
import fs from 'fs';
import net from 'net';
import path from 'path';
import tls from 'tls';

const CERTS = path.resolve(__dirname, '../../sim/cloud/certs');

/** The 3000-byte body of `/ok`: A..Z repeated. */
export const OK_BODY = Array.from({ length: 3000 }, (_, i) => String.fromCharCode(65 + (i % 26))).join('');

/** The head of `/ok` (headers as a firmware download gets them, plus repeats and oddities). */
export const OK_HEAD =
  'HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: 3000\r\nx-MD5: 0123456789abcdef0123456789abcdef\r\n' +
  'Set-Cookie: a=1\r\nSet-Cookie: b=2\r\nset-cookie: c=3\r\nX-Empty:\r\nX-Spaces:   v  \r\n\r\n';

/** A raw HTTP server (plain and TLS) and what it received. */
export interface RawServer {
  port: number;
  tlsPort: number;
  /** Every request head (and body bytes that came with it), latin1. */
  seen: string[];
  close(): Promise<void>;
}

/** Answers one connection by the request path. */
function answer(sock: net.Socket, seen: string[]): void {
  let buf = '';
  sock.on('error', () => undefined);
  sock.on('data', (d) => {
    if (!buf.length && !d.length) return;
    buf += d.toString('latin1');
    if (buf.indexOf('\r\n\r\n') < 0) return;
    const request = buf;
    buf = '';
    seen.push(request);
    const route = request.split(' ')[1] || '';
    const w = (s: string): void => void sock.write(Buffer.from(s, 'latin1'));
    if (route === '/ok') {
      w(OK_HEAD);
      w(OK_BODY);
      sock.end();
    } else if (route === '/keep') {
      w('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello');
      setTimeout(() => sock.end(), 1500);
    } else if (route === '/404') {
      w('HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nnot found');
      sock.end();
    } else if (route === '/chunked') {
      w('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n7\r\n world!\r\n0\r\n\r\n');
      sock.end();
    } else if (route === '/short') {
      w('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n' + 'x'.repeat(50));
      setTimeout(() => sock.end(), 200);
    } else if (route === '/slow') {
      w('HTTP/1.1 200 Fine Thanks\r\nContent-Length: 10\r\n\r\n');
      setTimeout(() => w('12345'), 300);
      setTimeout(() => {
        w('67890');
        sock.end();
      }, 600);
    } else if (route === '/drop') {
      sock.destroy();
    } else {
      w('HTTP/1.1 500 Err\r\n\r\n');
      sock.end();
    }
  });
}

/** Starts the raw server on ephemeral loopback ports. */
export async function startRawServer(): Promise<RawServer> {
  const seen: string[] = [];
  const plain = net.createServer((s) => answer(s, seen));
  const secure = tls.createServer(
    { key: fs.readFileSync(path.join(CERTS, 'key.pem')), cert: fs.readFileSync(path.join(CERTS, 'cert.pem')) },
    (s) => answer(s, seen),
  );
  secure.on('tlsClientError', () => undefined);
  await new Promise<void>((r) => plain.listen(0, '127.0.0.1', () => r()));
  await new Promise<void>((r) => secure.listen(0, '127.0.0.1', () => r()));
  return {
    port: (plain.address() as net.AddressInfo).port,
    tlsPort: (secure.address() as net.AddressInfo).port,
    seen,
    close: async () => {
      await Promise.all([plain, secure].map((s) => new Promise<void>((r) => s.close(() => r()))));
    },
  };
}

/** A certificate file's DER bytes as a byte string. */
export function derOf(file: 'ca.pem' | 'other-ca.pem'): string {
  const pem = fs.readFileSync(path.join(CERTS, file), 'latin1');
  return Buffer.from(pem.replace(/-----[A-Z ]+-----|\s/g, ''), 'base64').toString('latin1');
}

/**
 * One line of Espruino code defining `$p(options, method)`: runs
 * `require('http')[method || 'get'](options, cb)` (calling `end()` after
 * `request`) and records into the global `$E`: `threw <error>`, `cb <typeof
 * statusCode> <statusCode> <statusMessage> <httpVersion> <name=value|… of every header key>
 * <this is req>`, `data <bytes>` only while a chunk is over 536 bytes
 * (`big`), `end <total> <body or its length>`, `close <hadError>`,
 * `error <code> <message>`, `req close`.
 */
export const PROBE =
  'global.$p=function(o,m){var E=[],b="",r;global.$E=E;try{r=require("http")[m||"get"](o,function(res){' +
  'E.push("cb "+typeof res.statusCode+" "+res.statusCode+" "+res.statusMessage+" "+res.httpVersion+" "+Object.keys(res.headers).map(function(k){return k+"="+res.headers[k];}).join("|")+" "+(this===r));' +
  'res.on("data",function(d){if(d.length>536)E.push("big "+d.length);b+=d;});' +
  'res.on("end",function(){E.push("end "+b.length+" "+(b.length>40?b.substr(0,8)+".."+b.substr(b.length-8):b));});' +
  'res.on("close",function(e){E.push("close "+e);});});if(m)r.end();}catch(e){E.push("threw "+e);return;}' +
  'r.on("error",function(e){E.push("error "+e.code+" "+e.message+" "+(e instanceof Error));});r.on("close",function(){E.push("req close");});}';

/** True once `$E` holds a final event (close, error, threw). */
export function finished(events: string[]): boolean {
  return events.some((e) => /^(close|error|threw) /.test(e));
}
