/**
 * The phone's side of provisioning, as the Blynk app plays it: join the
 * device's access point, read `/board_info.json` and `/wifi_scan.json`, ask
 * the cloud for a new token for the device's template (as the signed-in
 * user of an organization), and send Wi-Fi and token to `/config`.
 *
 * Values are sent the way a phone sends them: UTF-8, percent-encoded in the
 * query; replies are read as UTF-8.
 */

import { request } from 'node:http';

/** One HTTP exchange's result. */
export interface HttpResult {
  /** Status code. */
  status: number;
  /** Content-Type header. */
  type: string;
  /** Body decoded as UTF-8. */
  body: string;
}

/** Sends one HTTP request on loopback; `json` is sent as the body (a Buffer as it is, `application/octet-stream`). */
export function http(method: string, url: string, json?: unknown): Promise<HttpResult> {
  return new Promise((ok, fail) => {
    const raw = Buffer.isBuffer(json);
    const body = json === undefined ? undefined : raw ? json : Buffer.from(JSON.stringify(json), 'utf8');
    const headers: Record<string, string | number> = body ? { 'Content-Type': raw ? 'application/octet-stream' : 'application/json', 'Content-Length': body.length } : {};
    const req = request(url, { method, headers }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => ok({ status: res.statusCode || 0, type: String(res.headers['content-type'] || ''), body: Buffer.concat(parts).toString('utf8') }));
      res.on('error', fail);
    });
    req.setTimeout(30000, () => req.destroy(new Error(`${method} ${url}: timed out`)));
    req.on('error', fail);
    req.end(body);
  });
}

async function json(method: string, url: string, body?: unknown): Promise<any> {
  const r = await http(method, url, body);
  if (r.status >= 400) throw new Error(`${method} ${url}: ${r.status} ${r.body}`);
  return r.body ? JSON.parse(r.body) : null;
}

/** The cloud account the phone is signed in with. */
export interface Account {
  /** Organization id. */
  org: string;
  /** User id. */
  user: string;
}

/** Finds or creates the organization `orgName` and its user `email` on the simulated cloud. */
export async function signIn(cloudApi: string, orgName: string, email: string): Promise<Account> {
  const orgs: Array<{ id: string; name: string }> = await json('GET', `${cloudApi}/api/orgs`);
  const org = orgs.find((o) => o.name === orgName) || await json('POST', `${cloudApi}/api/orgs`, { name: orgName });
  const users: Array<{ id: string; email: string }> = await json('GET', `${cloudApi}/api/orgs/${org.id}/users`);
  const user = users.find((u) => u.email === email) || await json('POST', `${cloudApi}/api/orgs/${org.id}/users`, { email });
  return { org: org.id, user: user.id };
}

/** Asks the cloud for a new device token of `template` for the signed-in user. */
export async function issueToken(cloudApi: string, account: Account, template: string): Promise<string> {
  const r = await json('POST', `${cloudApi}/api/tokens`, { user: account.user, org: account.org, template });
  return r.token;
}

/** What `provision` needs. */
export interface ProvisionOptions {
  /** The device portal's base URL (the phone is joined to its access point). */
  device: string;
  /** The simulated cloud's HTTP API base URL. */
  cloudApi: string;
  /** Organization name of the signed-in user. */
  org: string;
  /** The user's e-mail. */
  user: string;
  /** Wi-Fi network for the device. */
  ssid: string;
  /** Its password. */
  pass: string;
  /** Cloud host the device should use. @default the device's default */
  host?: string;
  /** Ask the device to persist before trying (`save=1`). @default false */
  save?: boolean;
  /** Receives one line per step. */
  log?: (line: string) => void;
}

/** What the phone saw. */
export interface ProvisionResult {
  /** `/board_info.json` as parsed. */
  boardInfo: Record<string, unknown>;
  /** `/wifi_scan.json` as parsed. */
  networks: Array<Record<string, unknown>>;
  /** The token the cloud issued. */
  token: string;
  /** The `/config` reply. */
  config: HttpResult;
}

/** Plays the phone: board_info → wifi_scan → token from the cloud → config. */
export async function provision(o: ProvisionOptions): Promise<ProvisionResult> {
  const say = o.log || (() => undefined);
  const info = await http('GET', `${o.device}/board_info.json`);
  const boardInfo = JSON.parse(info.body);
  say(`phone: board_info.json -> ${info.status} ${info.body}`);
  const scan = await http('GET', `${o.device}/wifi_scan.json`);
  const networks = JSON.parse(scan.body);
  say(`phone: wifi_scan.json -> ${scan.status}, ${networks.length} network(s): ${networks.map((n: { ssid: string; rssi: number }) => `${n.ssid} (${n.rssi} dBm)`).join(', ')}`);
  const account = await signIn(o.cloudApi, o.org, o.user);
  const token = await issueToken(o.cloudApi, account, String(boardInfo.tmpl_id));
  say(`phone: cloud issued token ${token.slice(0, 4)}… for template ${boardInfo.tmpl_id} (org ${o.org}, user ${o.user})`);
  const q = [`ssid=${encodeURIComponent(o.ssid)}`, `pass=${encodeURIComponent(o.pass)}`, `blynk=${token}`];
  if (o.host) q.push(`host=${encodeURIComponent(o.host)}`);
  if (o.save) q.push('save=1');
  const config = await http('GET', `${o.device}/config?${q.join('&')}`);
  say(`phone: config -> ${config.status} ${config.body}`);
  return { boardInfo, networks, token, config };
}
