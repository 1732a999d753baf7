/**
 * JSON HTTP API of the simulated cloud (Node only); the routes are listed in
 * sim/cloud/index.ts. Request bodies are JSON objects (at most 64 KB), except
 * a firmware upload (raw bytes, at most MAX_IMAGE_BYTES); every answer is JSON
 * (`{"error": "…"}` on failure) except 204 and a firmware download
 * (`GET /ota/<shipment>/<device>?token=`, the device's side, served by the hub).
 */

import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError } from './store';
import { CloudApi, DeviceHttp, Fault, FaultScope } from './hub';
import { DownloadFault, MAX_IMAGE_BYTES } from './air';

const MAX_BODY = 65536;
const DOWNLOAD = /^\/ota\/(\d+)\/(\d+)$/;

type Body = Record<string, unknown>;
/** A route; with `rawLimit` its body is raw bytes (`raw`) of at most that size instead of JSON. */
type Route = [
  method: string,
  pattern: RegExp,
  run: (api: CloudApi, m: string[], body: Body, q: URLSearchParams, raw: Buffer) => [number, unknown],
  rawLimit?: number
];

function int(v: unknown, name: string): number {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n)) throw new ApiError(400, name + ' must be an integer');
  return n;
}

function scopeOf(src: { device?: unknown; token?: unknown }): FaultScope {
  const s: FaultScope = {};
  if (src.device !== undefined && src.device !== null) s.device = int(src.device, 'device');
  if (typeof src.token === 'string') s.token = src.token;
  return s;
}

const ROUTES: Route[] = [
  ['GET', /^\/api\/orgs$/, (api) => [200, api.listOrgs()]],
  ['POST', /^\/api\/orgs$/, (api, _m, b) => [201, api.createOrg(b.name as string)]],
  ['GET', /^\/api\/orgs\/(\d+)\/users$/, (api, m) => [200, api.listUsers(int(m[1], 'org'))]],
  ['POST', /^\/api\/orgs\/(\d+)\/users$/, (api, m, b) => [201, api.createUser(int(m[1], 'org'), b.email as string)]],
  ['GET', /^\/api\/orgs\/(\d+)\/devices$/, (api, m) => [200, api.listDevices(int(m[1], 'org'))]],
  [
    'POST', /^\/api\/tokens$/,
    (api, _m, b) => [201, api.issueToken({ user: int(b.user, 'user'), org: int(b.org, 'org'), template: b.template as string })]
  ],
  ['GET', /^\/api\/tokens\/([-_A-Za-z0-9]+)$/, (api, m) => [200, api.getToken(m[1])]],
  ['GET', /^\/api\/devices\/(\d+)$/, (api, m) => [200, api.getDevice(int(m[1], 'device'))]],
  ['DELETE', /^\/api\/devices\/(\d+)$/, (api, m) => (api.deleteDevice(int(m[1], 'device')), [204, null])],
  [
    'POST', /^\/api\/devices\/(\d+)\/pins\/(\d+)$/,
    (api, m, b) => {
      const v = b.value;
      const ok = typeof v === 'string' || typeof v === 'number' || (Array.isArray(v) && v.every((x) => typeof x === 'string' || typeof x === 'number'));
      if (!ok) throw new ApiError(400, 'value must be a string, a number or an array of them');
      return [200, api.writeVirtual(int(m[1], 'device'), int(m[2], 'pin'), v as string | number | Array<string | number>)];
    }
  ],
  [
    'POST', /^\/api\/devices\/(\d+)\/commands$/,
    (api, m, b) => (api.sendCommand(int(m[1], 'device'), b.command as string), [200, { delivered: true }])
  ],
  ['POST', /^\/api\/devices\/(\d+)\/transfer$/, (api, m, b) => [200, api.transferDevice(int(m[1], 'device'), int(b.org, 'org'))]],
  ['GET', /^\/api\/faults$/, (api) => [200, api.listFaults()]],
  [
    'POST', /^\/api\/faults$/,
    (api, _m, b) => {
      const { device, token, ...fault } = b;
      return [200, api.injectFault(fault as unknown as Fault, scopeOf({ device, token }))];
    }
  ],
  [
    'DELETE', /^\/api\/faults$/,
    (api, _m, _b, q) => (api.clearFaults(scopeOf({ device: q.get('device') ?? undefined, token: q.get('token') ?? undefined })), [204, null])
  ],
  ['GET', /^\/api\/devices\/(\d+)\/events$/, (api, m) => [200, api.listEvents(int(m[1], 'device'))]],
  ['GET', /^\/api\/ota\/images$/, (api) => [200, api.listImages()]],
  ['POST', /^\/api\/ota\/images$/, (api, _m, _b, _q, raw) => [201, api.uploadImage(raw)], MAX_IMAGE_BYTES],
  ['GET', /^\/api\/ota\/shipments$/, (api) => [200, api.listShipments()]],
  [
    'POST', /^\/api\/ota\/shipments$/,
    (api, _m, b) => {
      if (b.template !== undefined && typeof b.template !== 'string') throw new ApiError(400, 'template must be a string');
      return [201, api.startShipment({
        image: int(b.image, 'image'),
        device: b.device === undefined ? undefined : int(b.device, 'device'),
        template: b.template as string | undefined,
        fault: b.fault as DownloadFault | undefined
      })];
    }
  ],
  ['GET', /^\/api\/ota\/shipments\/(\d+)$/, (api, m) => [200, api.getShipment(int(m[1], 'shipment'))]]
];

function reply(res: ServerResponse, status: number, value: unknown): void {
  if (status === 204) {
    res.writeHead(204).end();
    return;
  }
  const text = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** Request handler for node:http serving the CloudApi, and the firmware download of `devices`. */
export function httpHandler(api: CloudApi, devices: DeviceHttp): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const url = new URL(req.url || '/', 'http://sim');
    const matching = ROUTES.filter((r) => r[1].test(url.pathname));
    const route = matching.find((r) => r[0] === req.method);
    const limit = route?.[3] ?? MAX_BODY;
    const chunks: Buffer[] = [];
    let size = 0;
    let tooBig = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) tooBig = true;
      else chunks.push(c);
    });
    req.on('end', () => {
      try {
        if (tooBig) throw new ApiError(413, 'body too large');
        const download = DOWNLOAD.exec(url.pathname);
        if (download) {
          if (req.method !== 'GET') throw new ApiError(405, 'method not allowed');
          return devices.download(int(download[1], 'shipment'), int(download[2], 'device'), url.searchParams.get('token') ?? '', res);
        }
        if (!matching.length) throw new ApiError(404, 'no such route');
        if (!route) throw new ApiError(405, 'method not allowed');
        const raw = Buffer.concat(chunks);
        let body: Body = {};
        const text = route[3] ? '' : raw.toString('utf8');
        if (text.trim()) {
          try {
            body = JSON.parse(text);
          } catch {
            throw new ApiError(400, 'invalid JSON');
          }
          if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new ApiError(400, 'body must be a JSON object');
        }
        const [status, value] = route[2](api, route[1].exec(url.pathname) as unknown as string[], body, url.searchParams, raw);
        reply(res, status, value);
      } catch (e) {
        if (e instanceof ApiError) reply(res, e.status, { error: e.message });
        else reply(res, 500, { error: String(e) });
      }
    });
  };
}
