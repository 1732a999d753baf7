/**
 * `espruino-edgent`: the simulator's command line. Every command runs
 * without questions; long-running ones (cloud, device) stop on Ctrl-C.
 *
 *   demo       the whole story on the built bundle, then exit
 *   cloud      a simulated Blynk cloud on chosen loopback ports
 *   device     a simulated device (portal, DNS, flash file, networks, cloud)
 *   token      ask the cloud for a device token (user of an organization)
 *   provision  play the phone: board_info, wifi_scan, token, config
 *   state      show a running device's state (from its status port)
 */

import { parseArgs } from 'node:util';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { CloudServer, createCloudServer } from './cloud';
import { createSimDevice, DIST, SimDevice } from './device';
import { releaseImage } from './release';
import { attachLedView, describeLed } from './led-view';
import { http, issueToken, provision, signIn } from './phone';
import type { VirtualAp } from './espruino';
import type { State } from '../lib/types';

const USAGE = `usage: espruino-edgent <command> [options]

commands:
  demo        cloud up, device boots into WAIT_CONFIG, the phone provisions it,
              it joins, logs in, shows RUNNING and sends V1 that the cloud shows
      --board esp32|esp8266     (default esp32)
      --stop-at WAIT_CONFIG     stop there and keep running: use the form at the
                                printed URL or the provision command by hand
      --ota                     then ship it 0.2.0 through Blynk.Air: it downloads
                                the image, reboots into it, and the cloud shows
                                the shipment succeeded
  cloud       run a simulated Blynk cloud until Ctrl-C
      --tcp PORT --tls PORT --http PORT   (default 0 = any free port)
      --data FILE               keep organizations, tokens and devices in FILE
  device      run a simulated device until Ctrl-C
      --board esp32|esp8266     (default esp32)
      --http PORT --dns PORT    host ports of the portal and DNS (default any)
      --flash FILE              flash image, kept across runs
      --network SSID:PASS[:RSSI]  a network in range (repeatable; PASS may be empty)
      --cloud-tcp PORT --cloud-tls PORT   where the simulated cloud listens
      --template ID --name NAME --fw VERSION   product firmware (default: the
                                example bundle, TMPL4abcd123 "My Device" 0.1.0)
      --status PORT             serve the device's state as JSON on this port
      keys (on a terminal): p = short button press, h = hold 10 s, q = quit
  token       print a new device token
      --api URL --org NAME --user EMAIL --template ID
  provision   play the phone against a device in config mode
      --device URL --api URL --org NAME --user EMAIL --ssid SSID --pass PASS
      [--host HOST] [--save]
  state       print a device's state
      --status URL              the device command's --status address
`;

/** A command's outcome: the process exit code. */
type Exit = Promise<number>;

function port(v: string | undefined): number {
  const n = v === undefined ? 0 : Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`invalid port: ${v}`);
  return n;
}

function chip(v: string | undefined): 'ESP32' | 'ESP8266' {
  const b = (v || 'esp32').toLowerCase();
  if (b !== 'esp32' && b !== 'esp8266') throw new Error(`unknown board: ${v} (esp32 or esp8266)`);
  return b === 'esp32' ? 'ESP32' : 'ESP8266';
}

/** Parses `SSID:PASS[:RSSI]` (the last colon-free number is the RSSI). */
export function parseNetwork(spec: string): VirtualAp {
  const m = /^(.*?):(.*?)(?::(-\d+))?$/.exec(spec);
  if (!m || !m[1]) throw new Error(`invalid --network ${JSON.stringify(spec)}: use SSID:PASS[:RSSI]`);
  return { ssid: m[1], password: m[2], rssi: m[3] ? Number(m[3]) : -55, channel: 6 };
}

function need(v: string | undefined, name: string): string {
  if (!v) throw new Error(`--${name} is required`);
  return v;
}

function untilSignal(): Promise<void> {
  return new Promise((ok) => {
    process.once('SIGINT', ok);
    process.once('SIGTERM', ok);
  });
}

/** Options of `runStory`. */
export interface StoryOptions {
  /** The chip whose firmware boots. */
  chip: 'ESP32' | 'ESP8266';
  /** Directory of the built firmware and its manifest `<board>.files.json`. @default DIST (the package's build) */
  dist?: string;
  /** Stop at WAIT_CONFIG and keep running until Ctrl-C. */
  stopAt?: 'WAIT_CONFIG';
  /**
   * When the story has succeeded: `hello`, once the cloud shows V1 = 'hello' (what the example
   * sends when online); `running`, once the device is RUNNING and online in the cloud.
   */
  until: 'hello' | 'running';
  /** Where the story's lines go. */
  say: (line: string) => void;
  /** Once provisioned, update the firmware to 0.2.0 through the simulated Blynk.Air. */
  ota?: boolean;
}

/**
 * The whole story on a built firmware: cloud up, the device boots into WAIT_CONFIG, the phone
 * provisions it, it joins, logs in and shows RUNNING. Resolves with the exit code.
 */
export async function runStory(o: StoryOptions): Exit {
  const { chip: c, stopAt, say } = o;
  const cloud = createCloudServer({});
  await cloud.start();
  const api = `http://127.0.0.1:${cloud.ports.http}`;
  say(`cloud: device ports tcp ${cloud.ports.tcp}, tls ${cloud.ports.tls}; API ${api}`);
  const dev = createSimDevice({
    chip: c,
    dist: o.dist,
    networks: [{ ssid: 'Home', password: 'correct horse', rssi: -48, channel: 6 }, { ssid: 'Neighbour', password: 'x'.repeat(12), rssi: -71, channel: 11 }],
    cloud: { tcp: cloud.ports.tcp, tls: cloud.ports.tls }
  });
  const detach = attachLedView(dev, process.stdout, `[${c}]`);
  try {
    await dev.start();
    await dev.waitFor('WAIT_CONFIG');
    await dev.phoneJoin();
    say(`device: access point up; portal ${dev.portalUrl}/ , DNS on udp ${dev.board.dnsPort}`);
    if (stopAt) {
      say(`stopped at WAIT_CONFIG: open ${dev.portalUrl}/ in a browser, or run\n  espruino-edgent provision --device ${dev.portalUrl} --api ${api} --org Acme --user ann@acme.test --ssid Home --pass 'correct horse'\nCtrl-C to quit.`);
      await untilSignal();
      return 0;
    }
    const r = await provision({ device: dev.portalUrl, cloudApi: api, org: 'Acme', user: 'ann@acme.test', ssid: 'Home', pass: 'correct horse', log: say });
    await dev.waitFor('RUNNING', 30000);
    const token = await http('GET', `${api}/api/tokens/${r.token}`);
    const device = JSON.parse((await http('GET', `${api}/api/devices/${JSON.parse(token.body).device}`)).body);
    const done = () => device.online && (o.until === 'running' ? Object.keys(device.pins || {}).length > 0 : device.pins && device.pins['1']);
    for (let i = 0; i < 50 && !done(); i++) {
      await new Promise((ok) => setTimeout(ok, 100));
      Object.assign(device, JSON.parse((await http('GET', `${api}/api/devices/${device.id}`)).body));
    }
    const pins = Object.keys(device.pins || {}).map((p) => `V${p} = ${JSON.stringify(device.pins[p])}`).join(', ') || 'no virtual pins';
    say(`cloud: device ${device.id} of org ${device.org} online=${device.online}, template ${device.template}, Hotspot Name "${device.metadata['Hotspot Name']}", ${pins}`);
    if (o.until === 'running') {
      say(device.online ? 'sim complete: the firmware is RUNNING and online' : 'sim failed: the device is RUNNING but the cloud does not show it online');
      return device.online ? 0 : 1;
    }
    const ok = device.online && device.pins['1'] && device.pins['1'][0] === 'hello';
    say(ok ? 'demo complete: provisioned end to end' : 'demo failed: the cloud did not see the device value');
    if (!ok || !o.ota) return ok ? 0 : 1;
    return await update(cloud, dev, device.id, o);
  } finally {
    detach();
    await dev.close();
    await cloud.stop();
  }
}

/** The story's update: the built firmware released as 0.2.0, shipped to the device, run after its reboot. */
async function update(cloud: CloudServer, dev: SimDevice, id: number, o: StoryOptions): Exit {
  const { say } = o;
  const manifest = join(o.dist || DIST, `${o.chip === 'ESP32' ? 'esp32' : 'esp8266'}.files.json`);
  const image = cloud.api.uploadImage(releaseImage(manifest, { fwVersion: '0.2.0' }));
  say(`Blynk.Air: image ${image.id} uploaded (mcu ${image.mcu}, fw-type ${image.fwType}, ${image.size} bytes, MD5 ${image.md5})`);
  const sid = cloud.api.startShipment({ image: image.id, device: id }).id;
  say(`Blynk.Air: shipment ${sid} to device ${id}`);
  let last = '';
  for (let i = 0; i < 1200; i++) {
    const st = cloud.api.getShipment(sid).devices[id];
    if (st.status !== last) say(`Blynk.Air: shipment ${sid}, device ${id}: ${(last = st.status)}${st.reason ? ` (${st.reason})` : ''}`);
    if (st.status === 'failed') break;
    if (st.status === 'success' && dev.state === 'RUNNING') {
      say(`cloud: device ${id} runs ${cloud.api.getDevice(id).info.mcu}`);
      say('demo complete: updated over the air from 0.1.0 to 0.2.0');
      return 0;
    }
    await new Promise((ok) => setTimeout(ok, 100));
  }
  say('demo failed: the update did not succeed');
  return 1;
}

async function demo(args: string[]): Exit {
  const { values } = parseArgs({ args, options: { board: { type: 'string' }, 'stop-at': { type: 'string' }, ota: { type: 'boolean' } } });
  const stopAt = values['stop-at'];
  if (stopAt !== undefined && stopAt !== 'WAIT_CONFIG') throw new Error('--stop-at takes WAIT_CONFIG');
  return runStory({ chip: chip(values.board), stopAt, until: 'hello', ota: !!values.ota, say: (l: string) => process.stdout.write(l + '\n') });
}

async function cloudCommand(args: string[]): Exit {
  const { values } = parseArgs({ args, options: { tcp: { type: 'string' }, tls: { type: 'string' }, http: { type: 'string' }, data: { type: 'string' } } });
  const cloud = createCloudServer({ tcpPort: port(values.tcp), tlsPort: port(values.tls), httpPort: port(values.http), dataFile: values.data, log: (l) => process.stdout.write(l + '\n') });
  await cloud.start();
  process.stdout.write(`cloud: tcp ${cloud.ports.tcp} tls ${cloud.ports.tls} api http://127.0.0.1:${cloud.ports.http}\n`);
  await untilSignal();
  await cloud.stop();
  return 0;
}

function statusServer(dev: SimDevice, p: number): Promise<() => void> {
  const srv = createServer((_req, res) => {
    const cfg = dev.storedConfig();
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({
      state: dev.state,
      led: describeLed(dev.state),
      history: dev.states,
      stored: { valid: cfg.valid, ssid: Buffer.from(cfg.ssid, 'latin1').toString('utf8'), token: cfg.token ? cfg.token.slice(0, 4) + '…' : '', host: cfg.host, lastError: cfg.lastError },
      portal: dev.portalUrl
    }));
  });
  return new Promise((ok) => srv.listen(p, '127.0.0.1', () => {
    process.stdout.write(`status: http://127.0.0.1:${(srv.address() as { port: number }).port}/\n`);
    ok(() => srv.close());
  }));
}

function keys(dev: SimDevice, quit: () => void): () => void {
  if (!process.stdin.isTTY) return () => undefined;
  const hold = (ms: number) => {
    dev.board.setPinInput(0, 0);
    setTimeout(() => dev.board.setPinInput(0, 1), ms);
  };
  const onKey = (k: Buffer) => {
    const c = k.toString();
    if (c === 'p') hold(300);
    else if (c === 'h') hold(10500);
    else if (c === 'q' || c === '\u0003') quit();
  };
  process.stdin.setRawMode(true);
  process.stdin.on('data', onKey);
  return () => {
    process.stdin.off('data', onKey);
    process.stdin.setRawMode(false);
    process.stdin.pause();
  };
}

async function deviceCommand(args: string[]): Exit {
  const { values } = parseArgs({
    args,
    options: {
      board: { type: 'string' }, http: { type: 'string' }, dns: { type: 'string' }, flash: { type: 'string' },
      network: { type: 'string', multiple: true }, 'cloud-tcp': { type: 'string' }, 'cloud-tls': { type: 'string' },
      template: { type: 'string' }, name: { type: 'string' }, fw: { type: 'string' }, status: { type: 'string' }
    }
  });
  const c = chip(values.board);
  const product = values.template || values.name || values.fw
    ? { templateId: values.template || 'TMPL4abcd123', templateName: values.name || 'My Device', fwVersion: values.fw || '0.1.0' }
    : undefined;
  const cloud = values['cloud-tcp'] || values['cloud-tls'] ? { tcp: port(values['cloud-tcp']), tls: port(values['cloud-tls']) } : null;
  const dev = createSimDevice({
    chip: c, product, flashFile: values.flash, httpPort: port(values.http), dnsPort: port(values.dns),
    networks: (values.network || []).map(parseNetwork), cloud,
    log: (l) => { if (!/ => /.test(l)) process.stdout.write(`  ${l}\n`); }
  });
  const detach = attachLedView(dev, process.stdout, `[${c}]`);
  await dev.start();
  process.stdout.write(`device: portal ${dev.portalUrl}/  DNS udp ${dev.board.dnsPort}\n`);
  const closeStatus = values.status !== undefined ? await statusServer(dev, port(values.status)) : () => undefined;
  const stop = untilSignal();
  const undoKeys = keys(dev, () => process.emit('SIGINT'));
  dev.board.phoneJoin();
  dev.on('state', (s: State) => { if (s === 'WAIT_CONFIG') setTimeout(() => dev.board.phoneJoin(), 200); });
  await stop;
  undoKeys();
  closeStatus();
  detach();
  await dev.close();
  return 0;
}

async function tokenCommand(args: string[]): Exit {
  const { values } = parseArgs({ args, options: { api: { type: 'string' }, org: { type: 'string' }, user: { type: 'string' }, template: { type: 'string' } } });
  const api = need(values.api, 'api');
  const account = await signIn(api, need(values.org, 'org'), need(values.user, 'user'));
  process.stdout.write((await issueToken(api, account, need(values.template, 'template'))) + '\n');
  return 0;
}

async function provisionCommand(args: string[]): Exit {
  const { values } = parseArgs({
    args,
    options: {
      device: { type: 'string' }, api: { type: 'string' }, org: { type: 'string' }, user: { type: 'string' },
      ssid: { type: 'string' }, pass: { type: 'string' }, host: { type: 'string' }, save: { type: 'boolean' }
    }
  });
  const r = await provision({
    device: need(values.device, 'device'), cloudApi: need(values.api, 'api'), org: need(values.org, 'org'),
    user: need(values.user, 'user'), ssid: need(values.ssid, 'ssid'), pass: values.pass || '', host: values.host,
    save: !!values.save, log: (l) => process.stdout.write(l + '\n')
  });
  return r.config.status === 200 ? 0 : 1;
}

async function stateCommand(args: string[]): Exit {
  const { values } = parseArgs({ args, options: { status: { type: 'string' } } });
  const r = await http('GET', need(values.status, 'status'));
  process.stdout.write(r.body + '\n');
  return r.status === 200 ? 0 : 1;
}

const COMMANDS: Record<string, (args: string[]) => Exit> = {
  demo, cloud: cloudCommand, device: deviceCommand, token: tokenCommand, provision: provisionCommand, state: stateCommand
};

/** Runs one command; resolves to the exit code. Errors are printed, never thrown. */
export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    process.stdout.write(USAGE);
    return cmd ? 0 : 2;
  }
  const run = COMMANDS[cmd];
  if (!run) {
    process.stderr.write(`unknown command: ${cmd}\n${USAGE}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(helpOf(cmd));
    return 0;
  }
  try {
    return await run(rest);
  } catch (e) {
    process.stderr.write(`espruino-edgent ${cmd}: ${(e as Error).message}\n`);
    // An unknown option or a missing value (Node's parseArgs) is a wrong call, as is a missing required option.
    const code = (e as NodeJS.ErrnoException).code;
    return (code && code.startsWith('ERR_PARSE_ARGS_')) || / is required$/.test((e as Error).message) ? 2 : 1;
  }
}

/** The `--help` text of one command: its lines of USAGE. */
export function helpOf(cmd: string): string {
  const lines = USAGE.split('\n');
  const start = lines.findIndex((l) => l.startsWith(`  ${cmd} `));
  let end = start + 1;
  while (end < lines.length && !/^  [a-z]/.test(lines[end]) && lines[end] !== '') end++;
  return `usage: espruino-edgent ${cmd} [options]\n\n${lines.slice(start, end).join('\n')}\n`;
}

/** The simulator's commands (what `main` runs). */
export const SIM_COMMANDS = Object.keys(COMMANDS);
