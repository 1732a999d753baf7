/**
 * `require('net').connect` and (ESP32 only) `require('tls').connect`: device
 * TCP/TLS client sockets carried by real host sockets.
 *
 * - `connect({host, port}, cb)` returns the socket at once; `cb(socket)` is a
 *   'connect' listener. Events: 'connect', 'data' (byte strings, at most 536
 *   bytes each), 'drain', 'error' ({code, message}, Espruino's negative codes),
 *   'end', 'close' (hadError);
 * - sockets only work while the station has an IP on an AP that is up:
 *   otherwise 'error' {code:-4, message:'no route'} then 'close'(true);
 * - the destination goes through the board's `resolve(host, port)`; null =>
 *   'error' {code:-6, message:'not found'}; a refused connection =>
 *   {code:-9, message:'connection reset'}; a failed TLS handshake =>
 *   {code:-13, message:'SSL handshake failed'};
 * - when the joined AP goes down or the station disconnects, open sockets get
 *   'error' {code:-9, message:'connection reset'} then 'close'(true);
 * - TLS: `ca` is the DER bytes of one certificate, as Espruino takes it; a
 *   `ca` that is not DER (PEM text, say) throws, as Espruino's "HTTPS init
 *   failed! mbedtls_x509_crt_parse of 'ca': Invalid format" does. With a `ca`
 *   the server's certificate must chain to it (and name the host), else the
 *   handshake fails; without, it is not verified. `servername` is the
 *   original host.
 * - Not like the real interpreter: Espruino 2v29 (libs/network/network.c)
 *   parses `ca` but runs mbedtls with MBEDTLS_SSL_VERIFY_NONE, so on a board
 *   the handshake completes whatever the certificate. The simulated board
 *   verifies, as the `ca` option promises: what the library does with a
 *   refused certificate is tested here, not whether the firmware checks it.
 */
import net from 'net';
import tls from 'tls';
import { SOCKET_CHUNK_BYTES } from './http';
import { urlParse } from './url';
import type { Boot } from './boot';
import type { BoardOptions } from './types';

/** Espruino socket error codes used by the emulation. */
export const SOCKET_ERRORS = {
  timeout: -3,
  noRoute: -4,
  notFound: -6,
  reset: -9,
  sslHandshake: -13,
} as const;

const MESSAGES: Record<number, string> = {
  [-3]: 'timeout',
  [-4]: 'no route',
  [-6]: 'not found',
  [-9]: 'connection reset',
  [-13]: 'SSL handshake failed',
};

/** A certificate's DER bytes (a byte string) as PEM text. */
function derToPem(der: string): string {
  const b64 = Buffer.from(der, 'latin1').toString('base64').replace(/(.{64})/g, '$1\n');
  return `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`;
}

/** Client sockets of the board (all boots), closed on link loss. */
export class SocketHost {
  private readonly _open = new Set<(code: number) => void>();

  /**
   * @param _online true while the station has an IP on an AP that is up
   * @param _resolve the board's resolver
   */
  constructor(
    private readonly _online: () => boolean,
    private readonly _resolve: BoardOptions['resolve'],
  ) {}

  /** The station lost its network: every open socket fails. */
  linkDown(): void {
    for (const fail of Array.from(this._open)) fail(SOCKET_ERRORS.reset);
  }

  /** Registers another client (the HTTP client) to fail on link loss; returns its unregister function. */
  track(fail: () => void): () => void {
    const f = (): void => fail();
    this._open.add(f);
    return () => void this._open.delete(f);
  }

  /** The device module (`net` or `tls`) of one boot. */
  module(boot: Boot, secure: boolean): unknown {
    return boot.realm.obj({ connect: (options: unknown, cb: unknown) => this._connect(boot, secure, options, cb) });
  }

  private _connect(boot: Boot, secure: boolean, options: unknown, cb: unknown): unknown {
    const { realm } = boot;
    const opts = (typeof options === 'string' ? urlParse(realm, options, false) : options) as Record<string, unknown>;
    if (!opts || typeof opts !== 'object') throw new Error(`Expecting Options to be an Object but it was ${typeof options}`);
    if (cb !== undefined && !realm.isFunction(cb)) throw new Error(`Expecting Callback Function but got ${typeof cb}`);
    const host = opts.host === undefined ? 'localhost' : String(opts.host);
    // A DER certificate is an ASN.1 SEQUENCE (0x30); mbedtls refuses anything else here.
    if (secure && opts.ca !== undefined && String(opts.ca).charCodeAt(0) !== 0x30) {
      throw new Error("HTTPS init failed! mbedtls_x509_crt_parse of 'ca': Invalid format");
    }
    const port = Number(opts.port) || (secure ? 443 : 0);
    let sock: net.Socket | null = null;
    let connected = false;
    let finished = false;
    let pending = '';
    let ending = false;

    const device: Record<string, any> = realm.obj({
      write: (data: unknown) => {
        const s = data === undefined ? '' : String(data);
        if (finished) return false;
        if (sock && connected) sock.write(Buffer.from(s, 'latin1'));
        else pending += s;
        return true;
      },
      end: (data: unknown) => {
        if (data !== undefined) (device.write as (d: unknown) => boolean)(data);
        ending = true;
        if (sock && connected) sock.end();
      },
    });
    if (cb !== undefined) device.on('connect', cb);

    const finish = (code: number | null): void => {
      if (finished) return;
      finished = true;
      this._open.delete(fail);
      if (sock) sock.destroy();
      boot.defer(() => {
        if (code !== null) realm.emit(device, 'error', [realm.obj({ code, message: MESSAGES[code] })]);
        realm.emit(device, 'end', []);
        realm.emit(device, 'close', [code !== null]);
      });
    };
    const fail = (code: number): void => finish(code);
    this._open.add(fail);
    boot.onEnd(() => {
      finished = true;
      this._open.delete(fail);
      if (sock) sock.destroy();
    });

    if (!this._online()) {
      finish(SOCKET_ERRORS.noRoute);
      return device;
    }
    const target = this._resolve ? this._resolve(host, port) : null;
    if (!target) {
      finish(SOCKET_ERRORS.notFound);
      return device;
    }
    const onConnect = (): void => {
      connected = true;
      if (pending) (sock as net.Socket).write(Buffer.from(pending, 'latin1'));
      pending = '';
      if (ending) (sock as net.Socket).end();
      boot.defer(() => {
        realm.emit(device, 'connect', [device]);
        realm.emit(device, 'drain', [device]);
      });
    };
    sock = secure
      ? tls.connect(
          {
            host: target.host,
            port: target.port,
            servername: host,
            rejectUnauthorized: opts.ca !== undefined,
            // Espruino takes the CA as the certificate's decoded (DER) bytes; Node wants PEM.
            ...(opts.ca !== undefined ? { ca: derToPem(String(opts.ca)) } : {}),
          },
          onConnect,
        )
      : net.connect({ host: target.host, port: target.port }, onConnect);
    sock.on('data', (d: Buffer) => {
      const s = d.toString('latin1');
      for (let i = 0; i < s.length; i += SOCKET_CHUNK_BYTES) {
        const piece = s.substr(i, SOCKET_CHUNK_BYTES);
        boot.defer(() => realm.emit(device, 'data', [piece]));
      }
    });
    sock.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'ETIMEDOUT') finish(SOCKET_ERRORS.timeout);
      else if (secure && !connected && e.code !== 'ECONNREFUSED') finish(SOCKET_ERRORS.sslHandshake);
      else finish(SOCKET_ERRORS.reset);
    });
    sock.on('close', () => finish(null));
    return device;
  }
}
