/**
 * The simulated cloud's device side and its in-process API (Node only).
 *
 * Device connections (TCP or TLS, same protocol):
 * - HW_LOGIN: 200 for a valid token (first use creates the device: self-claim),
 *   9 for an unknown or revoked token (then closes), 4 when the connection is
 *   already logged in. A second login of the same device replaces the first
 *   connection. Anything else before a login → RESPONSE 5.
 * - PING → RESPONSE 200 (same id). INTERNAL info pairs (`mcu`/`ver` …) are
 *   stored; `meta set key value` stores metadata; `rtc sync` is answered with
 *   `rtc <unix seconds>`; HARDWARE `vw pin values…` stores the pin value;
 *   HARDWARE_SYNC `vr pin…` (or an empty body: every pin) sends the stored
 *   values back as HARDWARE `vw`; EVENT_LOG `name[\0description]` is recorded
 *   (the last MAX_EVENTS of each device, in memory) and answered RESPONSE 200
 *   (2 without a name). Other message types → RESPONSE 2.
 * - Blynk.Air (sim/cloud/air.ts): the first info message of a login tells the
 *   shipments the device's version and lets them send their `ota` command;
 *   `sys_ota` events reach them too.
 * - Every accepted connection is logged (`device connection (tls)`: over TLS
 *   once the handshake is done), before any of its frames.
 * - msg id 0 from a device closes its connection. Idle connections (nothing
 *   received for 2 × h-beat + 5 s) are closed.
 *
 * Fault injection, global or per device/token:
 * - persistent until cleared: `refuse-login` (answer logins with `status`,
 *   then close), `no-pong` (PINGs go unanswered), `redirect` (answer logins
 *   with REDIRECT host[\0port] and close; also sent at once to online devices);
 * - one-shot on live connections: `drop` (close them), `oversize` (send a
 *   HARDWARE frame of `size` body bytes, default the device's buff-in + 1).
 */

import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { ApiError, DeviceRecord, Org, Store, TokenRecord, User } from './store';
import { Air, DOWNLOAD_FAULTS, DownloadFault, downloadFault, OtaImage, Shipment, ShipmentRequest } from './air';
import {
  encodeFrame,
  encodeResponse,
  Frame,
  FrameReader,
  splitFields,
  S_ALREADY_REGISTERED,
  S_ILLEGAL_COMMAND,
  S_INVALID_TOKEN,
  S_NOT_AUTHENTICATED,
  S_OK,
  T_EVENT_LOG,
  T_HARDWARE,
  T_HARDWARE_SYNC,
  T_HW_LOGIN,
  T_INTERNAL,
  T_PING,
  T_REDIRECT,
  T_RESPONSE
} from './frames';

/** A fault to inject. */
export type Fault =
  | { type: 'refuse-login'; status: number }
  | { type: 'no-pong' }
  | { type: 'redirect'; host: string; port?: number }
  | { type: 'drop' }
  | { type: 'oversize'; size?: number }
  | DownloadFault;

/** Where a fault applies: one device (by id or token), or everything when empty. */
export interface FaultScope {
  device?: number;
  token?: string;
}

/** Persistent faults of one scope. */
export interface FaultState {
  loginStatus?: number;
  noPong?: boolean;
  redirect?: { host: string; port?: number };
  /** Applied to each firmware download (Blynk.Air) in scope. */
  download?: DownloadFault;
}

/** An event a device logged (EVENT_LOG). */
export interface DeviceEvent {
  name: string;
  description: string;
  /** When it arrived (ISO time). */
  at: string;
}

/** A device as the API shows it. */
export interface DeviceView extends DeviceRecord {
  online: boolean;
}

/** The cloud's operations, in process (the HTTP API maps onto these one to one). */
export interface CloudApi {
  createOrg(name: string): Org;
  listOrgs(): Org[];
  createUser(org: number, email: string): User;
  listUsers(org: number): User[];
  /** A new device token for a template, asked by a user of the organization. */
  issueToken(req: { user: number; org: number; template: string }): { token: string };
  getToken(token: string): TokenRecord;
  listDevices(org: number): DeviceView[];
  getDevice(id: number): DeviceView;
  /** Stores the value and sends it to the device if online. */
  writeVirtual(id: number, pin: number, value: string | number | Array<string | number>): { delivered: boolean };
  /** Sends INTERNAL `dbg <command>`; ApiError 409 if the device is offline. */
  sendCommand(id: number, command: string): void;
  transferDevice(id: number, org: number): DeviceView;
  /** Deletes the device, revokes its token (login → 9) and drops its connection. */
  deleteDevice(id: number): void;
  injectFault(fault: Fault, scope?: FaultScope): { affected: number };
  clearFaults(scope?: FaultScope): void;
  listFaults(): Record<string, FaultState>;
  /** Stores a firmware image (Blynk.Air); ApiError 400 without a valid tag at the start. */
  uploadImage(bytes: Buffer): OtaImage;
  listImages(): OtaImage[];
  /** Ships an image to a device or to every device of a template. */
  startShipment(req: ShipmentRequest): { id: number; image: number; devices: number[] };
  getShipment(id: number): Shipment;
  listShipments(): Shipment[];
  /** The events the device logged, oldest first. */
  listEvents(id: number): DeviceEvent[];
}

/** The device's side of the HTTP port: the firmware download of Blynk.Air. */
export interface DeviceHttp {
  /** Serves `GET /ota/<shipment>/<device>?token=`; throws ApiError before writing anything. */
  download(shipment: number, device: number, token: string, res: ServerResponse): void;
}

const DEFAULT_HEARTBEAT_S = 40;
const DEFAULT_BUFF_IN = 1024;
const GLOBAL = '*';
/** Events kept per device (the oldest go first). */
const MAX_EVENTS = 100;

/** One device connection. */
class Conn {
  readonly reader = new FrameReader();
  private msgId = 0;
  token: string | null = null;
  device: number | null = null;
  /** The login's info message is in. */
  ready = false;

  constructor(
    readonly sock: Socket,
    readonly tls: boolean,
    /** Tells the logins apart. */
    readonly login: number
  ) {}

  send(type: number, body: Buffer | Array<string | number>): void {
    this.msgId = this.msgId >= 0xffff ? 1 : this.msgId + 1;
    if (!this.sock.destroyed) this.sock.write(encodeFrame(type, this.msgId, body));
  }

  respond(id: number, status: number): void {
    if (!this.sock.destroyed) this.sock.write(encodeResponse(id, status));
  }
}

function redact(token: string | null): string {
  return token ? token.slice(0, 4) + '…' : '-';
}

/** Device connections, faults and the CloudApi over a Store. */
export class Hub implements CloudApi, DeviceHttp {
  private readonly conns = new Set<Conn>();
  private readonly online = new Map<number, Conn>();
  private readonly faults = new Map<string, FaultState>();
  private readonly events = new Map<number, DeviceEvent[]>();
  private readonly air: Air;
  private connections = 0;

  /** @param httpBase `http://host:port` of the HTTP port, where devices download firmware */
  constructor(
    private readonly store: Store,
    private readonly log: (line: string) => void,
    httpBase: () => string
  ) {
    this.air = new Air({
      send: (id, fields) => {
        const c = this.online.get(id);
        if (c && c.ready) c.send(T_INTERNAL, fields);
        return !!c && c.ready;
      },
      devices: () => store.allDevices(),
      device: (id) => store.device(id),
      faultOf: (id) => this.faultsFor(store.device(id).token).download,
      baseUrl: httpBase,
      log
    });
  }

  /** Serves the device protocol on a freshly accepted socket. */
  attach(sock: Socket, tls: boolean): void {
    const c = new Conn(sock, tls, ++this.connections);
    this.conns.add(c);
    // Over TLS only after a completed handshake: before this line no frame can arrive.
    this.log(`device connection (${tls ? 'tls' : 'tcp'})`);
    sock.setNoDelay(true);
    sock.setTimeout((2 * DEFAULT_HEARTBEAT_S + 5) * 1000);
    sock.on('timeout', () => {
      this.log(`device ${redact(c.token)}: idle, closing`);
      sock.destroy();
    });
    sock.on('error', (e) => this.log(`device ${redact(c.token)}: socket error ${(e as NodeJS.ErrnoException).code || e.message}`));
    sock.on('close', () => {
      this.conns.delete(c);
      if (c.device !== null && this.online.get(c.device) === c) {
        this.online.delete(c.device);
        this.log(`device ${c.device}: offline`);
      }
    });
    sock.on('data', (chunk: Buffer) => {
      let frames: Frame[];
      try {
        frames = c.reader.push(chunk);
      } catch {
        this.log(`device ${redact(c.token)}: corrupt stream (msg id 0), closing`);
        sock.destroy();
        return;
      }
      for (const f of frames) {
        if (sock.destroyed) return;
        this.onFrame(c, f);
      }
    });
  }

  /** Destroys every device connection. */
  closeAll(): void {
    for (const c of this.conns) c.sock.destroy();
  }

  // ---- device protocol ----

  private faultsFor(token: string | null): FaultState {
    const own = (token && this.faults.get(token)) || {};
    return { ...(this.faults.get(GLOBAL) || {}), ...own };
  }

  private onFrame(c: Conn, f: Frame): void {
    if (f.type === T_HW_LOGIN) return this.login(c, f);
    if (c.device === null) {
      if (f.type !== T_RESPONSE) c.respond(f.id, S_NOT_AUTHENTICATED);
      return;
    }
    switch (f.type) {
      case T_RESPONSE:
        return;
      case T_PING:
        if (!this.faultsFor(c.token).noPong) c.respond(f.id, S_OK);
        return;
      case T_INTERNAL:
        return this.internal(c, f);
      case T_HARDWARE:
        return this.hardware(c, f);
      case T_HARDWARE_SYNC:
        return this.sync(c, f);
      case T_EVENT_LOG:
        return this.eventLog(c, f);
      default:
        c.respond(f.id, S_ILLEGAL_COMMAND);
    }
  }

  private login(c: Conn, f: Frame): void {
    if (c.device !== null) return c.respond(f.id, S_ALREADY_REGISTERED);
    const token = f.body.toString('latin1');
    const fault = this.faultsFor(token);
    if (fault.redirect) {
      this.log(`login ${redact(token)}: redirect to ${fault.redirect.host}:${fault.redirect.port ?? ''}`);
      c.send(T_REDIRECT, fault.redirect.port ? [fault.redirect.host, fault.redirect.port] : [fault.redirect.host]);
      c.sock.end();
      return;
    }
    if (fault.loginStatus !== undefined) {
      this.log(`login ${redact(token)}: refused with ${fault.loginStatus} (fault)`);
      c.respond(f.id, fault.loginStatus);
      c.sock.end();
      return;
    }
    const d = this.store.claim(token);
    if (!d) {
      this.log(`login ${redact(token)}: invalid token`);
      c.respond(f.id, S_INVALID_TOKEN);
      c.sock.end();
      return;
    }
    const old = this.online.get(d.id);
    if (old && old !== c) old.sock.destroy();
    c.token = token;
    c.device = d.id;
    this.online.set(d.id, c);
    this.store.update(d.id, (x) => (x.lastLoginAt = new Date().toISOString()));
    this.log(`device ${d.id}: online (${c.tls ? 'tls' : 'tcp'}, token ${redact(token)})`);
    c.respond(f.id, S_OK);
  }

  private internal(c: Conn, f: Frame): void {
    const v = splitFields(f.body);
    const id = c.device as number;
    if (v[0] === 'meta') {
      if (v[1] === 'set' && v.length >= 3) this.store.update(id, (d) => (d.metadata[v[2]] = v[3] ?? ''));
      return;
    }
    if (v[0] === 'rtc') {
      if (v[1] === 'sync') c.send(T_INTERNAL, ['rtc', Math.floor(Date.now() / 1000)]);
      return;
    }
    if (['utc', 'dbg', 'ota'].includes(v[0])) return;
    const info: Record<string, string> = {};
    for (let i = 0; i + 1 < v.length; i += 2) info[v[i]] = v[i + 1];
    this.store.update(id, (d) => (d.info = info));
    const hb = Number(info['h-beat']) || DEFAULT_HEARTBEAT_S;
    c.sock.setTimeout((2 * hb + 5) * 1000);
    if (c.ready) return;
    c.ready = true;
    this.air.onLogin(id, info.mcu, c.login);
  }

  private eventLog(c: Conn, f: Frame): void {
    const [name, ...rest] = splitFields(f.body);
    if (!name) return c.respond(f.id, S_ILLEGAL_COMMAND);
    const id = c.device as number;
    const description = rest.join('\0');
    const list = this.events.get(id) || [];
    list.push({ name, description, at: new Date().toISOString() });
    if (list.length > MAX_EVENTS) list.shift();
    this.events.set(id, list);
    c.respond(f.id, S_OK);
    this.air.onEvent(id, name, description, c.login);
  }

  private hardware(c: Conn, f: Frame): void {
    const v = splitFields(f.body);
    const pin = Number(v[1]);
    if (v[0] !== 'vw' || !Number.isInteger(pin) || pin < 0) return c.respond(f.id, S_ILLEGAL_COMMAND);
    this.store.update(c.device as number, (d) => (d.pins[String(pin)] = v.slice(2)));
  }

  private sync(c: Conn, f: Frame): void {
    const d = this.store.device(c.device as number);
    const v = f.body.length ? splitFields(f.body) : ['vr'];
    if (v[0] !== 'vr') return c.respond(f.id, S_ILLEGAL_COMMAND);
    const pins = v.length > 1 ? v.slice(1) : Object.keys(d.pins);
    for (const p of pins) {
      const val = d.pins[String(Number(p))];
      if (val) c.send(T_HARDWARE, ['vw', Number(p), ...val]);
    }
  }

  // ---- CloudApi ----

  private view(d: DeviceRecord): DeviceView {
    return { ...(JSON.parse(JSON.stringify(d)) as DeviceRecord), online: this.online.has(d.id) };
  }

  createOrg(name: string): Org {
    return this.store.createOrg(name);
  }

  listOrgs(): Org[] {
    return this.store.orgs();
  }

  createUser(org: number, email: string): User {
    return this.store.createUser(org, email);
  }

  listUsers(org: number): User[] {
    return this.store.users(org);
  }

  issueToken(req: { user: number; org: number; template: string }): { token: string } {
    const t = this.store.issueToken(req.user, req.org, req.template);
    this.log(`token ${redact(t.token)} issued for template ${t.template}, org ${t.org}`);
    return { token: t.token };
  }

  getToken(token: string): TokenRecord {
    const t = this.store.tokenRecord(token);
    if (!t) throw new ApiError(404, 'no such token');
    return { ...t };
  }

  listDevices(org: number): DeviceView[] {
    return this.store.devices(org).map((d) => this.view(d));
  }

  getDevice(id: number): DeviceView {
    return this.view(this.store.device(id));
  }

  writeVirtual(id: number, pin: number, value: string | number | Array<string | number>): { delivered: boolean } {
    if (!Number.isInteger(pin) || pin < 0 || pin > 255) throw new ApiError(400, 'pin must be 0..255');
    const values = (Array.isArray(value) ? value : [value]).map(String);
    this.store.update(id, (d) => (d.pins[String(pin)] = values));
    const c = this.online.get(id);
    if (c) c.send(T_HARDWARE, ['vw', pin, ...values]);
    return { delivered: !!c };
  }

  sendCommand(id: number, command: string): void {
    this.store.device(id);
    if (typeof command !== 'string' || !command) throw new ApiError(400, 'command required');
    const c = this.online.get(id);
    if (!c) throw new ApiError(409, 'device is offline');
    c.send(T_INTERNAL, ['dbg', command]);
  }

  transferDevice(id: number, org: number): DeviceView {
    return this.view(this.store.transfer(id, org));
  }

  deleteDevice(id: number): void {
    this.store.remove(id);
    const c = this.online.get(id);
    if (c) c.sock.destroy();
    this.log(`device ${id}: deleted`);
  }

  private scopeKey(scope?: FaultScope): string {
    if (scope?.device !== undefined) return this.store.device(scope.device).token;
    if (scope?.token !== undefined) return scope.token;
    return GLOBAL;
  }

  private scoped(key: string): Conn[] {
    return [...this.conns].filter((c) => key === GLOBAL || c.token === key);
  }

  injectFault(fault: Fault, scope?: FaultScope): { affected: number } {
    const key = this.scopeKey(scope);
    const state = this.faults.get(key) || {};
    this.log(`fault ${fault.type} on ${key === GLOBAL ? 'all devices' : redact(key)}`);
    if (DOWNLOAD_FAULTS.includes(fault.type)) {
      state.download = downloadFault(fault);
      this.faults.set(key, state);
      return { affected: 0 };
    }
    switch (fault.type) {
      case 'refuse-login':
        if (!Number.isInteger(fault.status) || fault.status < 0 || fault.status > 0xffff) throw new ApiError(400, 'status must be 0..65535');
        state.loginStatus = fault.status;
        this.faults.set(key, state);
        return { affected: 0 };
      case 'no-pong':
        state.noPong = true;
        this.faults.set(key, state);
        return { affected: 0 };
      case 'redirect': {
        if (typeof fault.host !== 'string' || !fault.host) throw new ApiError(400, 'host required');
        state.redirect = { host: fault.host, port: fault.port };
        this.faults.set(key, state);
        const live = this.scoped(key).filter((c) => c.device !== null);
        for (const c of live) {
          c.send(T_REDIRECT, fault.port ? [fault.host, fault.port] : [fault.host]);
          c.sock.end();
        }
        return { affected: live.length };
      }
      case 'drop': {
        const live = this.scoped(key);
        for (const c of live) c.sock.destroy();
        return { affected: live.length };
      }
      case 'oversize': {
        const live = this.scoped(key).filter((c) => c.device !== null);
        for (const c of live) {
          const buffIn = Number(this.store.device(c.device as number).info['buff-in']) || DEFAULT_BUFF_IN;
          const size = Math.min(fault.size ?? buffIn + 1, 0xffff);
          const body = Buffer.alloc(size, 0x78); // 'x'
          body.write('vw\u00001\u0000', 0, 'latin1');
          c.send(T_HARDWARE, body);
        }
        return { affected: live.length };
      }
      default:
        throw new ApiError(400, 'unknown fault type');
    }
  }

  clearFaults(scope?: FaultScope): void {
    if (!scope || (scope.device === undefined && scope.token === undefined)) this.faults.clear();
    else this.faults.delete(this.scopeKey(scope));
  }

  listFaults(): Record<string, FaultState> {
    const out: Record<string, FaultState> = {};
    for (const [k, v] of this.faults) out[k === GLOBAL ? 'global' : k] = { ...v };
    return out;
  }

  uploadImage(bytes: Buffer): OtaImage {
    return this.air.upload(bytes);
  }

  listImages(): OtaImage[] {
    return this.air.listImages();
  }

  startShipment(req: ShipmentRequest): { id: number; image: number; devices: number[] } {
    return this.air.ship(req);
  }

  getShipment(id: number): Shipment {
    return this.air.getShipment(id);
  }

  listShipments(): Shipment[] {
    return this.air.listShipments();
  }

  listEvents(id: number): DeviceEvent[] {
    this.store.device(id);
    return (this.events.get(id) || []).map((e) => ({ ...e }));
  }

  download(shipment: number, device: number, token: string, res: ServerResponse): void {
    this.air.download(shipment, device, token, res);
  }
}
