/**
 * Simulated Blynk cloud for host tests and demos (Node only, never bundled).
 *
 * `createCloudServer(opts)` serves, on loopback only:
 * - the device protocol (contract §6) on a plain TCP port and a TLS port
 *   (test certificate from `sim/cloud/certs/`, CN `blynk.cloud`, issued by
 *   the test CA `TEST_CA`: not a public CA);
 * - a JSON HTTP API for the phone's side and for tests, and on the same port the
 *   firmware download of Blynk.Air (plain HTTP: an ESP8266 has no TLS); the
 *   same on an HTTPS port (the device certificate), where the download URLs
 *   point with `otaHttps`, as Blynk.Cloud's do.
 * Port 0 (the default) picks a free port; `ports` reports the chosen ones after
 * `start()`. The same operations are available in process as `api`.
 *
 * Model: organizations have users; a user asks for a device token for a
 * template; the first login with that token creates the device in the user's
 * organization (self-claim). Devices can be transferred and deleted (a deleted
 * device's token gets status 9). Data lives in memory, optionally loaded from
 * and saved to `dataFile` (JSON) on every change. Faults, device events and
 * Blynk.Air's images and shipments are not persisted.
 * There is no authentication: this is a loopback test double.
 *
 * HTTP API (JSON bodies; errors are `{"error": "…"}` with the status shown):
 *
 * | Method | Path                          | Body / query                                   | Answer |
 * |--------|-------------------------------|------------------------------------------------|--------|
 * | POST   | /api/orgs                     | `{name}`                                       | 201 `{id, name}` |
 * | GET    | /api/orgs                     |                                                | 200 `[{id, name}]` |
 * | POST   | /api/orgs/:org/users          | `{email}`                                      | 201 `{id, org, email}`; 404 org |
 * | GET    | /api/orgs/:org/users          |                                                | 200 `[user]` |
 * | POST   | /api/tokens                   | `{user, org, template}`                        | 201 `{token}`; 403 user not in org; 404 |
 * | GET    | /api/tokens/:token            |                                                | 200 `{token, org, user, template, device, revoked, issuedAt}` |
 * | GET    | /api/orgs/:org/devices        |                                                | 200 `[device]` |
 * | GET    | /api/devices/:id              |                                                | 200 device: `{id, name, token, org, template, online, createdAt, lastLoginAt, info, metadata, pins}` |
 * | POST   | /api/devices/:id/pins/:pin    | `{value}` string, number or array              | 200 `{delivered}` (stored either way; delivered when online) |
 * | POST   | /api/devices/:id/commands     | `{command}` e.g. `reboot`, `config start`      | 200 `{delivered: true}`; 409 offline |
 * | POST   | /api/devices/:id/transfer     | `{org}`                                        | 200 device |
 * | DELETE | /api/devices/:id              |                                                | 204 (token revoked, link dropped) |
 * | GET    | /api/devices/:id/events       |                                                | 200 `[{name, description, at}]` (EVENT_LOG, oldest first) |
 * | POST   | /api/faults                   | `{type, …params, device?, token?}`             | 200 `{affected}` (live connections hit) |
 * | GET    | /api/faults                   |                                                | 200 `{global?: state, <token>: state}` |
 * | DELETE | /api/faults                   | `?device=` or `?token=` (none: all)            | 204 |
 * | POST   | /api/ota/images               | raw image bytes (≤ 1 MB), starting with the firmware tag | 201 `{id, mcu, fwType, build, blynk, size, md5}`; 400 no valid tag; 413 |
 * | GET    | /api/ota/images               |                                                | 200 `[image]` |
 * | POST   | /api/ota/shipments            | `{image, device}` or `{image, template}`, `fault?` | 201 `{id, image, devices: [id]}`; 404 image, device, no device of the template |
 * | GET    | /api/ota/shipments            |                                                | 200 `[shipment]` |
 * | GET    | /api/ota/shipments/:id        |                                                | 200 `{id, image, devices: {<id>: {status, reason?, at}}}` |
 * | GET    | /ota/:shipment/:device        | `?token=` (the URL the device was sent)        | 200 the image, `Content-Length`, `x-MD5`, `application/octet-stream`; 403 token; 404; 410 update over |
 *
 * Fault types (`device`/`token` select one device, none = every device):
 * `refuse-login {status}`, `no-pong`, `redirect {host, port?}` (persistent
 * until cleared), `drop`, `oversize {size?}` (one-shot on live connections).
 * Firmware download faults, persistent until cleared (one at a time per scope;
 * a shipment's `fault` takes their place for its downloads): `ota-bad-md5`
 * (x-MD5 of other bytes), `ota-short` (Content-Length N, N − 1 bytes sent, then
 * the connection closed), `ota-404`, `ota-no-length` (no Content-Length:
 * chunked), `ota-drop {after?}` (the connection closed after `after` bytes,
 * default 0; the whole image when `after` ≥ its size).
 * `pins` maps pin numbers to value lists (`{"3": ["42"]}`); `info` holds the
 * device's info message (`mcu`, `fw-type`, `build`, `blynk`, `h-beat`,
 * `buff-in`, `dev`, `tmpl`); `metadata` what it set with `meta set`.
 *
 * Blynk.Air (sim/cloud/air.ts): an image is a file that starts with the tag
 * `blnkinf\0` + NUL-separated pairs `mcu`, `fw-type`, `build`, `blynk` + `\0`.
 * A shipment goes to one device or to every device whose info `tmpl` or token
 * template is the one given (an image of another fw-type is sent all the
 * same). A device gets INTERNAL `ota\0http://<host>:<http port>/ota/<shipment>/<device>?token=<random>`
 * after its login's info message: at once if it is online, else at its next
 * login. Status per device: `pending` (not sent yet), `sent`, `downloading`
 * (GET received), `downloaded` (whole body sent), `success` (a login with info
 * `mcu` = the image's), `failed` with a `reason` (a login with another version
 * after the download started, the event `sys_ota` "OTA failed: <reason>", or a
 * download fault that broke the transfer).
 */

import { createServer as createHttpServer, Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createTcpServer, AddressInfo, Server as TcpServer, Socket } from 'node:net';
import { createServer as createTlsServer, Server as TlsServer } from 'node:tls';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Store } from './store';
import { CloudApi, Hub } from './hub';
import { httpHandler } from './http';
import { packageRoot } from '../root';

export type { CloudApi, DeviceEvent, DeviceView, Fault, FaultScope, FaultState } from './hub';
export type { DownloadFault, OtaDeviceStatus, OtaImage, OtaStatus, Shipment, ShipmentRequest } from './air';
export type { Org, User, TokenRecord, DeviceRecord } from './store';
export { ApiError, newToken } from './store';

/** Options of `createCloudServer`. */
export interface CloudServerOptions {
  /** Plain TCP device port. @default 0 (ephemeral) */
  tcpPort?: number;
  /** TLS device port. @default 0 (ephemeral) */
  tlsPort?: number;
  /** HTTP API port. @default 0 (ephemeral) */
  httpPort?: number;
  /** The same API over HTTPS (the device certificate), where Blynk.Air's downloads go with `otaHttps`. @default 0 (ephemeral) */
  httpsPort?: number;
  /** Blynk.Air sends `https://` download URLs, on the HTTPS port (as Blynk.Cloud does; an ESP8266 fetches them as `http://`). @default false: plain HTTP */
  otaHttps?: boolean;
  /** Address to bind: loopback only. @default '127.0.0.1' */
  host?: string;
  /** JSON file to load at start and save on every change. @default none (memory only) */
  dataFile?: string;
  /** Log sink. @default none */
  log?: (line: string) => void;
}

/** A running (or startable) simulated cloud. */
export interface CloudServer {
  /** Listens on every port; loads `dataFile`. */
  start(): Promise<void>;
  /** Drops every connection and stops listening. */
  stop(): Promise<void>;
  /** The ports in use (the chosen ones after `start()` when 0 was asked). */
  readonly ports: { tcp: number; tls: number; http: number; https: number };
  /** The operations of the HTTP API, in process. */
  readonly api: CloudApi;
}

/** Path of the shipped test certificate directory. */
export const CERT_DIR = join(packageRoot(), 'sim', 'cloud', 'certs');
/** The test CA that issued the simulated cloud's TLS certificate (PEM file): what a device must trust. */
export const TEST_CA = join(CERT_DIR, 'ca.pem');
/** A CA that did not issue it (PEM file): a device trusting only this one refuses the cloud. */
export const OTHER_CA = join(CERT_DIR, 'other-ca.pem');

const LOOPBACK = ['127.0.0.1', '::1', 'localhost'];

function listen(server: TcpServer | TlsServer | HttpServer, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function close(server: TcpServer | TlsServer | HttpServer): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
  });
}

/** Creates the simulated cloud (not yet listening). */
export function createCloudServer(opts: CloudServerOptions = {}): CloudServer {
  const host = opts.host ?? '127.0.0.1';
  if (!LOOPBACK.includes(host)) throw new Error('the simulated cloud listens on loopback only');
  const log = opts.log ?? (() => {});
  const store = new Store(opts.dataFile);
  const ports = { tcp: opts.tcpPort ?? 0, tls: opts.tlsPort ?? 0, http: opts.httpPort ?? 0, https: opts.httpsPort ?? 0 };
  const name = host === '::1' ? '[::1]' : host;
  const hub = new Hub(store, log, () => (opts.otaHttps ? `https://${name}:${ports.https}` : `http://${name}:${ports.http}`));

  const tcp = createTcpServer((sock) => hub.attach(sock, false));
  const keys = { key: readFileSync(join(CERT_DIR, 'key.pem')), cert: readFileSync(join(CERT_DIR, 'cert.pem')) };
  const tls = createTlsServer(keys, (sock) => hub.attach(sock, true));
  tls.on('tlsClientError', (e) => log('tls handshake failed: ' + e.message));
  // Every accepted socket, TLS handshakes in progress included, so stop() leaves none open.
  const accepted = new Set<Socket>();
  for (const server of [tcp, tls]) {
    server.on('connection', (s: Socket) => {
      accepted.add(s);
      s.on('close', () => accepted.delete(s));
    });
  }
  const http = createHttpServer(httpHandler(hub, hub));
  http.keepAliveTimeout = 1000;
  const https = createHttpsServer(keys, httpHandler(hub, hub));
  https.keepAliveTimeout = 1000;

  return {
    ports,
    api: hub,
    async start() {
      store.load();
      ports.tcp = await listen(tcp, ports.tcp, host);
      ports.tls = await listen(tls, ports.tls, host);
      ports.http = await listen(http, ports.http, host);
      ports.https = await listen(https, ports.https, host);
      log(`cloud listening on ${host}: tcp ${ports.tcp}, tls ${ports.tls}, http ${ports.http}, https ${ports.https}`);
    },
    async stop() {
      hub.closeAll();
      for (const s of accepted) s.destroy();
      http.closeAllConnections();
      https.closeAllConnections();
      await Promise.all([close(tcp), close(tls), close(http), close(https)]);
      log('cloud stopped');
    }
  };
}
