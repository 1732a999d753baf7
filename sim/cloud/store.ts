/**
 * Data model of the simulated cloud (Node only): organizations, their users,
 * issued device tokens and devices. Kept in memory; with a `dataFile` it is
 * loaded at start and written (atomically: temp file + rename) on every change.
 *
 * - A user of an organization asks for a token for a template; the token is
 *   pending until a device logs in with it, which creates the device in that
 *   organization with that template (self-claim).
 * - Tokens: 32 chars of `[-_a-zA-Z0-9]` from `crypto.randomBytes`, unique.
 * - Deleting a device revokes its token (login → status 9).
 */

import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';

/** An organization. */
export interface Org {
  id: number;
  name: string;
}

/** A user, member of one organization. */
export interface User {
  id: number;
  org: number;
  email: string;
}

/** An issued token. `device` is null until the first login. */
export interface TokenRecord {
  token: string;
  org: number;
  user: number;
  template: string;
  device: number | null;
  revoked: boolean;
  issuedAt: string;
}

/** A device (created by its first login). Pin values are lists of UTF-8 strings. */
export interface DeviceRecord {
  id: number;
  name: string;
  token: string;
  org: number;
  template: string;
  createdAt: string;
  lastLoginAt: string | null;
  /** Info message key/value pairs of the last login (`mcu`, `fw-type`, `tmpl`, …). */
  info: Record<string, string>;
  /** Metadata set by the device (`meta set`), e.g. "Hotspot Name". */
  metadata: Record<string, string>;
  /** Last value of each virtual pin, written by the device or through the API. */
  pins: Record<string, string[]>;
}

interface Data {
  version: 1;
  nextId: number;
  orgs: Org[];
  users: User[];
  tokens: TokenRecord[];
  devices: DeviceRecord[];
}

/** An API failure with its HTTP status. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string
  ) {
    super(message);
  }
}

const TOKEN_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** A new random token: 32 chars of `[-_a-zA-Z0-9]` (64 symbols, 6 random bits each, unbiased). */
export function newToken(): string {
  const b = randomBytes(32);
  let s = '';
  for (let i = 0; i < 32; i++) s += TOKEN_ALPHABET[b[i] & 63];
  return s;
}

/** In-memory records with optional JSON persistence. */
export class Store {
  private data: Data = { version: 1, nextId: 1, orgs: [], users: [], tokens: [], devices: [] };

  constructor(private readonly file?: string) {}

  /** Loads the data file if there is one. */
  load(): void {
    if (!this.file || !existsSync(this.file)) return;
    const d = JSON.parse(readFileSync(this.file, 'utf8')) as Data;
    if (d.version !== 1) throw new Error('unknown data file version');
    this.data = d;
  }

  /** Writes the data file (no-op without one). */
  save(): void {
    if (!this.file) return;
    const tmp = this.file + '.tmp';
    writeFileSync(tmp, JSON.stringify(this.data, null, 1));
    renameSync(tmp, this.file);
  }

  private id(): number {
    return this.data.nextId++;
  }

  createOrg(name: unknown): Org {
    if (typeof name !== 'string' || !name) throw new ApiError(400, 'name required');
    const org = { id: this.id(), name };
    this.data.orgs.push(org);
    this.save();
    return org;
  }

  orgs(): Org[] {
    return this.data.orgs.slice();
  }

  org(id: number): Org {
    const o = this.data.orgs.find((x) => x.id === id);
    if (!o) throw new ApiError(404, 'no such organization');
    return o;
  }

  createUser(org: number, email: unknown): User {
    this.org(org);
    if (typeof email !== 'string' || !email) throw new ApiError(400, 'email required');
    const u = { id: this.id(), org, email };
    this.data.users.push(u);
    this.save();
    return u;
  }

  users(org: number): User[] {
    this.org(org);
    return this.data.users.filter((u) => u.org === org);
  }

  issueToken(user: number, org: number, template: unknown): TokenRecord {
    this.org(org);
    const u = this.data.users.find((x) => x.id === user);
    if (!u) throw new ApiError(404, 'no such user');
    if (u.org !== org) throw new ApiError(403, 'user is not a member of this organization');
    if (typeof template !== 'string' || !template) throw new ApiError(400, 'template required');
    let token = newToken();
    while (this.data.tokens.some((t) => t.token === token)) token = newToken();
    const rec: TokenRecord = { token, org, user, template, device: null, revoked: false, issuedAt: new Date().toISOString() };
    this.data.tokens.push(rec);
    this.save();
    return rec;
  }

  tokenRecord(token: string): TokenRecord | undefined {
    return this.data.tokens.find((t) => t.token === token);
  }

  /** The device of a valid token, created on its first use (self-claim); undefined if the token is unknown or revoked. */
  claim(token: string): DeviceRecord | undefined {
    const t = this.tokenRecord(token);
    if (!t || t.revoked) return undefined;
    if (t.device !== null) return this.device(t.device);
    const now = new Date().toISOString();
    const id = this.id();
    const d: DeviceRecord = {
      id, name: 'Device ' + id, token, org: t.org, template: t.template, createdAt: now, lastLoginAt: null,
      info: {}, metadata: {}, pins: {}
    };
    t.device = id;
    this.data.devices.push(d);
    this.save();
    return d;
  }

  devices(org: number): DeviceRecord[] {
    this.org(org);
    return this.data.devices.filter((d) => d.org === org);
  }

  /** Every device of every organization. */
  allDevices(): DeviceRecord[] {
    return this.data.devices.slice();
  }

  device(id: number): DeviceRecord {
    const d = this.data.devices.find((x) => x.id === id);
    if (!d) throw new ApiError(404, 'no such device');
    return d;
  }

  /** Applies `fn` to a device and saves. */
  update(id: number, fn: (d: DeviceRecord) => void): DeviceRecord {
    const d = this.device(id);
    fn(d);
    this.save();
    return d;
  }

  transfer(id: number, org: number): DeviceRecord {
    this.org(org);
    return this.update(id, (d) => {
      d.org = org;
      const t = this.tokenRecord(d.token);
      if (t) t.org = org;
    });
  }

  remove(id: number): DeviceRecord {
    const d = this.device(id);
    this.data.devices = this.data.devices.filter((x) => x.id !== id);
    const t = this.tokenRecord(d.token);
    if (t) t.revoked = true;
    this.save();
    return d;
  }
}
