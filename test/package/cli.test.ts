/**
 * The command line's verbs, run in process (cli/main.ts): each takes --help,
 * refuses wrong calls with exit 2 and a message naming the mistake, and does
 * its work: init writes and merges a project, build bundles a firmware into
 * the same kind of manifest the repository's build writes (and fails on code
 * the board cannot run with the rule and the line), sim and flash find the
 * product's dist, check reports hits with file, line and rule, ota uploads,
 * ships and follows firmware on a simulated cloud.
 */
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { createCloudServer, CloudServer } from '../../sim/cloud';
import { closeAllRaw, RawClient, waitFor } from '../cloud/sim-helpers';
import { main } from '../../cli/main';
import { flashArgs } from '../../cli/flash';
import { FIRMWARE } from '../../cli/init';

/** What one command line printed, and its exit status. */
interface Ran {
  code: number;
  out: string;
  err: string;
}

/** Runs `espruino-edgent argv…` in process, capturing what it writes. */
async function run(...argv: string[]): Promise<Ran> {
  const out: string[] = [];
  const err: string[] = [];
  const write = { out: process.stdout.write, err: process.stderr.write };
  process.stdout.write = ((s: string) => out.push(String(s)) > 0) as typeof process.stdout.write;
  process.stderr.write = ((s: string) => err.push(String(s)) > 0) as typeof process.stderr.write;
  try {
    const code = await main(argv);
    return { code, out: out.join(''), err: err.join('') };
  } finally {
    process.stdout.write = write.out;
    process.stderr.write = write.err;
  }
}

describe('command line', function () {
  this.timeout(60000);
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'edgent-cli-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  describe('verbs', () => {
    it('without a command prints the usage and exits 2; --help exits 0; an unknown command exits 2', async () => {
      const none = await run();
      assert.equal(none.code, 2);
      assert.match(none.err, /usage: espruino-edgent <command>/);
      const help = await run('--help');
      assert.equal(help.code, 0);
      for (const verb of ['init', 'build', 'sim', 'flash', 'check', 'demo', 'cloud', 'device', 'token', 'provision', 'state', 'ota']) {
        assert.match(help.out, new RegExp(`^  ${verb} `, 'm'), verb);
      }
      const unknown = await run('bulid');
      assert.equal(unknown.code, 2);
      assert.match(unknown.err, /unknown command "bulid"/);
    });

    for (const verb of ['init', 'build', 'sim', 'flash', 'check', 'demo', 'cloud', 'device', 'token', 'provision', 'state', 'ota']) {
      it(`${verb} --help prints its usage and exits 0`, async () => {
        const r = await run(verb, '--help');
        assert.equal(r.code, 0, r.err);
        assert.match(r.out, new RegExp(`^usage: espruino-edgent ${verb} `, 'im'));
      });
    }

    it('an unknown option or a missing required value exits 2 with the option named', async () => {
      for (const argv of [['init', '--bord', 'esp32'], ['build', 'x.ts', '--board'], ['sim', '--board', 'esp32', '--fast'], ['check', '--all'], ['demo', '--bord', 'x'], ['token', '--org', 'Acme'], ['ota', 'status', '1', '--bord']]) {
        const r = await run(...argv);
        assert.equal(r.code, 2, `${argv.join(' ')}: ${r.err}`);
        assert.match(r.err, /--bord|--board|--fast|--all|--api/, argv.join(' '));
      }
    });
  });

  describe('init', () => {
    it('the starter firmware is the basic example (examples/basic/app.ts), statement for statement', () => {
      // Imports (the package instead of relative paths) and comments may differ; the code may not.
      const code = (src: string) => src.split('\n')
        .map((l) => l.replace(/\s+\/\/.*$/, '').trim())
        .filter((l) => l && !/^(import |\/\/|\/\*\*|\*)/.test(l))
        .join('\n');
      const example = fs.readFileSync(path.resolve(__dirname, '../../examples/basic/app.ts'), 'utf8');
      assert.equal(code(FIRMWARE), code(example));
    });

    it('writes firmware.ts, tsconfig.json and a package.json with the scripts and the dependency', async () => {
      const r = await run('init', dir);
      assert.equal(r.code, 0, r.err);
      assert.equal(fs.readFileSync(path.join(dir, 'firmware.ts'), 'utf8'), FIRMWARE);
      const tsconfig = JSON.parse(fs.readFileSync(path.join(dir, 'tsconfig.json'), 'utf8'));
      assert.deepEqual(tsconfig.compilerOptions.lib, ['es5']);
      const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
      assert.equal(pkg.name, path.basename(dir).toLowerCase());
      assert.equal(pkg.scripts.build, 'espruino-edgent build firmware.ts --board esp32');
      assert.equal(pkg.scripts.sim, 'espruino-edgent sim --board esp32');
      assert.equal(pkg.scripts.flash, 'espruino-edgent flash --board esp32');
      assert.match(pkg.dependencies['espruino-edgent'], /^\^\d+\.\d+\.\d+$/);
    });

    it('merges into an existing package.json, keeping its fields and a script of the same name unless --force', async () => {
      const mine = { name: 'lamp', version: '2.0.0', scripts: { test: 'mocha', build: 'make' }, dependencies: { 'espruino-edgent': 'file:edgent.tgz' } };
      fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify(mine));
      fs.writeFileSync(path.join(dir, 'firmware.ts'), '// mine\n');
      const r = await run('init', dir, '--board', 'esp8266');
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, /kept firmware\.ts/);
      assert.match(r.out, /kept script "build"/);
      assert.equal(fs.readFileSync(path.join(dir, 'firmware.ts'), 'utf8'), '// mine\n');
      let pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
      assert.equal(pkg.name, 'lamp');
      assert.deepEqual(pkg.dependencies, mine.dependencies);
      assert.equal(pkg.scripts.test, 'mocha');
      assert.equal(pkg.scripts.build, 'make');
      assert.equal(pkg.scripts.sim, 'espruino-edgent sim --board esp8266');
      assert.equal((await run('init', dir, '--board', 'esp8266', '--force')).code, 0);
      pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
      assert.equal(pkg.scripts.build, 'espruino-edgent build firmware.ts --board esp8266');
      assert.equal(fs.readFileSync(path.join(dir, 'firmware.ts'), 'utf8'), FIRMWARE);
    });

    it('refuses a package.json that is not JSON, an unknown board and a second directory (exit 2)', async () => {
      fs.writeFileSync(path.join(dir, 'package.json'), '{ "name": ');
      const bad = await run('init', dir);
      assert.equal(bad.code, 2);
      assert.match(bad.err, /package\.json is not JSON/);
      assert.match((await run('init', dir, '--board', 'esp8285')).err, /unknown board "esp8285"/);
      assert.match((await run('init', dir, 'other')).err, /unexpected argument "other"/);
    });
  });

  describe('build', () => {
    /** Writes `name` in the temporary directory and returns its path. */
    function file(name: string, text: string): string {
      const f = path.join(dir, name);
      fs.writeFileSync(f, text);
      return f;
    }

    it('refuses a missing --board, an unknown board, a missing file, a non-script and a profile of the other chip (exit 2)', async () => {
      const fw = file('firmware.ts', FIRMWARE);
      const cases: Array<[string[], RegExp]> = [
        [['build', fw], /missing --board/],
        [['build', fw, '--board', 'esp8285'], /unknown board "esp8285"/],
        [['build', path.join(dir, 'none.ts'), '--board', 'esp32'], /none\.ts not found/],
        [['build', file('firmware.json', '{}'), '--board', 'esp32'], /must be a \.ts or \.js file/],
        [['build', fw, '--board', 'esp32', '--profile', 'WEMOS_D1_MINI'], /WEMOS_D1_MINI is an ESP8266 board, not ESP32/],
        [['build', fw, '--board', 'esp32', '--profile', 'ARDUINO'], /unknown --profile "ARDUINO"/],
        [['build', '--board', 'esp32'], /missing argument/]
      ];
      for (const [argv, message] of cases) {
        const r = await run(...argv);
        assert.equal(r.code, 2, `${argv.join(' ')}: ${r.err}`);
        assert.match(r.err, message);
      }
    });

    it('builds the starter into boot code, manifest and the Storage files the repository build lists, and prints sizes', async () => {
      const fw = file('firmware.ts', FIRMWARE);
      const out = path.join(dir, 'out');
      const r = await run('build', fw, '--board', 'esp8266', '--out', out);
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, /^esp8266\.js +\d+ +\d+ +\d+$/m);
      const manifest = JSON.parse(fs.readFileSync(path.join(out, 'esp8266.files.json'), 'utf8'));
      const repo = JSON.parse(fs.readFileSync(path.join(__dirname, '../../dist/esp8266.files.json'), 'utf8'));
      assert.deepEqual(manifest, repo);
      for (const f of [manifest.bootCode, ...Object.values(manifest.storage) as string[], 'esp8266.ota']) {
        assert.ok(fs.statSync(path.join(out, f)).size > 0, f);
        assert.match(r.out, new RegExp(`${f.replace('.', '\\.')} +\\d+ B`));
      }
      // edgent.boot is this build (not the package's example firmware), and the image carries it.
      assert.equal(manifest.storage['edgent.boot'], 'esp8266.js');
      const { readImage } = require('../../tools/ota-image.js');
      const image = readImage(fs.readFileSync(path.join(out, 'esp8266.ota')));
      const boot = fs.readFileSync(path.join(out, 'esp8266.js'));
      assert.equal(image.files[0].name, 'edgent.boot');
      assert.equal(image.files[0].size, boot.length);
    });

    it('builds JavaScript firmware too', async () => {
      const fw = file('app.js', "import { createEdgent, createBoard, runAtBoot } from 'espruino-edgent';\n" +
        "export function main(board) { runAtBoot(function () { var d = createEdgent({ templateId: 'TMPL4abcd123', templateName: 'Lamp', fwVersion: '1.0.0' }, createBoard(board)); d.start(); return d; }); }\n");
      const r = await run('build', fw, '--board', 'esp32', '--out', path.join(dir, 'out'));
      assert.equal(r.code, 0, r.err);
      assert.ok(fs.existsSync(path.join(dir, 'out', 'esp32.files.json')));
    });

    it('fails (exit 1) on code the board cannot run, naming the rule and the line', async () => {
      const fw = file('firmware.ts', FIRMWARE.replace("device.start();", "device.start();\n    device.virtualWrite(2, Array.prototype.slice.call([board.name]).join());"));
      const r = await run('build', fw, '--board', 'esp32', '--out', path.join(dir, 'out'));
      assert.equal(r.code, 1);
      assert.match(r.err, /esp32\.js breaks 1 Espruino rule/);
      assert.match(r.err, /esp32\.js:\d+:\d+ builtin-prototype /);
      assert.ok(!fs.existsSync(path.join(dir, 'out', 'esp32.files.json')), 'no manifest for a failed build');
    });

    it('fails (exit 1) saying what to add when the firmware does not export main', async () => {
      const fw = file('firmware.ts', FIRMWARE.replace('export function main', 'function boot'));
      const r = await run('build', fw, '--board', 'esp32', '--out', path.join(dir, 'out'));
      assert.equal(r.code, 1);
      assert.match(r.err, /does not export main: add `export function main\(board: BoardProfile\)/);
    });
  });

  describe('sim', () => {
    it('needs --board and a build in --dist, and takes only WAIT_CONFIG for --stop-at (exit 2)', async () => {
      assert.match((await run('sim')).err, /missing --board/);
      const none = await run('sim', '--board', 'esp32', '--dist', dir);
      assert.equal(none.code, 2);
      assert.match(none.err, /esp32\.files\.json not found: run espruino-edgent build <firmware\.ts> --board esp32/);
      const stop = await run('sim', '--board', 'esp32', '--stop-at', 'RUNNING');
      assert.equal(stop.code, 2);
      assert.match(stop.err, /--stop-at takes WAIT_CONFIG, not "RUNNING"/);
    });
  });

  describe('flash', () => {
    it('deploys the product\'s dist by default, or the dist or manifest given', () => {
      assert.deepEqual(flashArgs(['--board', 'esp32', '--port', '/dev/ttyUSB0'], '/p'), ['--dist', path.resolve('/p', 'dist'), '--board', 'esp32', '--port', '/dev/ttyUSB0']);
      assert.deepEqual(flashArgs(['--dist', 'out', '--board', 'esp32'], '/p'), ['--dist', 'out', '--board', 'esp32']);
      assert.deepEqual(flashArgs(['--manifest=m.files.json'], '/p'), ['--manifest=m.files.json']);
    });

    it('refuses a missing --port and a build that is not there (exit 2, nothing sent)', async () => {
      const noPort = await run('flash', '--board', 'esp32', '--dist', dir);
      assert.equal(noPort.code, 2);
      assert.match(noPort.err, /missing --port/);
      const noBuild = await run('flash', '--board', 'esp32', '--port', '/dev/ttyUSB0', '--dist', dir);
      assert.equal(noBuild.code, 2);
      assert.match(noBuild.err, /esp32\.files\.json not found/);
    });
  });

  describe('check', () => {
    it('exits 0 on clean code, 1 with file, line and rule on a hit, 2 without files or on a missing one', async () => {
      const clean = path.join(dir, 'clean.js');
      fs.writeFileSync(clean, 'var a = 1;\nprint(a);\n');
      assert.equal((await run('check', clean)).code, 0);
      const bad = path.join(dir, 'bad.js');
      fs.writeFileSync(bad, 'var a = 1;\nlet b = a;\n');
      const hit = await run('check', clean, bad);
      assert.equal(hit.code, 1);
      assert.match(hit.out, new RegExp(`^${bad.replace(/[\\/.]/g, '\\$&')}:2:\\d+ [a-z0-9-]+ `, 'm'));
      assert.equal((await run('check')).code, 2);
      const missing = await run('check', path.join(dir, 'none.js'));
      assert.equal(missing.code, 2);
      assert.match(missing.err, /none\.js cannot be read: no such file/);
    });

    it('--list-rules prints every rule', async () => {
      const r = await run('check', '--list-rules');
      assert.equal(r.code, 0);
      assert.match(r.out, /^builtin-prototype +\S/m);
    });
  });

  describe('ota', () => {
    let cloud: CloudServer;
    let api: string;
    let token: string;

    /** A firmware image file with the tag; returns its path. */
    function imageFile(mcu: string, name = 'fw.bin'): string {
      const tag = ['blnkinf', 'mcu', mcu, 'fw-type', 'TMPL0001', 'build', 'Jan 1 2025', 'blynk', '1.3.2', ''].join('\0') + '\0';
      const f = path.join(dir, name);
      fs.writeFileSync(f, Buffer.concat([Buffer.from(tag), Buffer.alloc(5000, 7)]));
      return f;
    }

    /** A device logged in over raw frames with its info message. */
    async function online(): Promise<{ c: RawClient; id: number }> {
      const c = await RawClient.connect(cloud.ports.tcp);
      await c.login(token);
      c.send(17, 2, ['mcu', '0.1.0', 'tmpl', 'TMPL0001']);
      const id = cloud.api.getToken(token).device as number;
      await waitFor(() => cloud.api.getDevice(id).info.mcu === '0.1.0');
      return { c, id };
    }

    beforeEach(async () => {
      cloud = createCloudServer();
      await cloud.start();
      api = `http://127.0.0.1:${cloud.ports.http}`;
      const org = cloud.api.createOrg('Acme').id;
      token = cloud.api.issueToken({ user: cloud.api.createUser(org, 'ann@acme.test').id, org, template: 'TMPL0001' }).token;
    });

    afterEach(async () => {
      closeAllRaw();
      await cloud.stop();
    });

    it('uploads an image, ships it to a device and prints where the device stands', async () => {
      const { c, id } = await online();
      const up = await run('ota', 'upload', imageFile('0.2.0'), '--api', api);
      assert.equal(up.code, 0, up.err);
      const img = cloud.api.listImages()[0];
      assert.equal(up.out, `image ${img.id}: mcu 0.2.0, fw-type TMPL0001, build "Jan 1 2025", blynk 1.3.2, ${img.size} bytes, md5 ${img.md5}\n`);

      const ship = await run('ota', 'ship', String(img.id), '--device', String(id), '--api', api + '/');
      assert.equal(ship.code, 0, ship.err);
      const sid = cloud.api.listShipments()[0].id;
      assert.match(ship.out, new RegExp(`^shipment ${sid}: image ${img.id} to 1 device\n  device ${id}: sent since \\S+\n$`));
      await c.next((f) => f.type === 17 && f.body.toString().startsWith('ota\0'));

      const status = await run('ota', 'status', String(sid), '--api', api, '--json');
      assert.equal(status.code, 0, status.err);
      assert.deepEqual(JSON.parse(status.out), cloud.api.getShipment(sid));
    });

    it('ships to a template with a download fault; the device fails and status says why', async () => {
      const { c, id } = await online();
      const img = cloud.api.uploadImage(fs.readFileSync(imageFile('0.2.0'))).id;
      const ship = await run('ota', 'ship', String(img), '--template', 'TMPL0001', '--fault', 'ota-drop', '--after', '10', '--api', api, '--json');
      assert.equal(ship.code, 0, ship.err);
      const started = JSON.parse(ship.out);
      assert.deepEqual(started.devices, [id]);
      c.send(64, 3, ['sys_ota', 'OTA failed: download']);
      await waitFor(() => cloud.api.getShipment(started.id).devices[id].status === 'failed');
      const status = await run('ota', 'status', String(started.id), '--api', api);
      assert.match(status.out, new RegExp(`^  device ${id}: failed \\(download\\) since `, 'm'));
    });

    it('exit 1 with the cloud\'s reason for a file without the tag, an unknown shipment or image, and a cloud that is not there', async () => {
      const untagged = path.join(dir, 'app.js');
      fs.writeFileSync(untagged, 'print(1);\n');
      const cases: Array<[string[], RegExp]> = [
        [['ota', 'upload', untagged, '--api', api], /ota upload: the cloud answered 400: not a firmware image/],
        [['ota', 'status', '42', '--api', api], /ota status: the cloud answered 404: no such shipment/],
        [['ota', 'ship', '42', '--template', 'TMPL0001', '--api', api], /ota ship: the cloud answered 404: no such image/],
        [['ota', 'status', '1', '--api', 'http://127.0.0.1:1'], /cannot reach the cloud at http:\/\/127\.0\.0\.1:1: ECONNREFUSED/]
      ];
      for (const [argv, message] of cases) {
        const r = await run(...argv);
        assert.equal(r.code, 1, `${argv.join(' ')}: ${r.err}`);
        assert.match(r.err, message);
      }
    });

    it('exit 2, nothing sent, for a wrong call', async () => {
      const fw = imageFile('0.2.0');
      const cases: Array<[string[], RegExp]> = [
        [['ota'], /missing command: upload, ship or status/],
        [['ota', 'push', fw, '--api', api], /unknown ota command "push"/],
        [['ota', 'upload', '--api', api], /missing argument: espruino-edgent ota upload <image file>/],
        [['ota', 'upload', fw], /missing --api/],
        [['ota', 'upload', fw, '--api', 'ftp://x'], /--api must be an http:\/\/ URL/],
        [['ota', 'upload', path.join(dir, 'none.bin'), '--api', api], /none\.bin cannot be read: no such file/],
        [['ota', 'upload', fw, '--device', '1', '--api', api], /--device goes with ota ship/],
        [['ota', 'ship', '1', '--api', api], /--device ID or --template ID/],
        [['ota', 'ship', '1', '--device', '1', '--template', 'T', '--api', api], /--device ID or --template ID/],
        [['ota', 'ship', 'one', '--device', '1', '--api', api], /the image id must be a positive integer, not "one"/],
        [['ota', 'ship', '1', '--device', '1', '--fault', 'ota-meteor', '--api', api], /unknown --fault "ota-meteor"/],
        [['ota', 'ship', '1', '--device', '1', '--after', '5', '--api', api], /--after goes with --fault ota-drop/],
        [['ota', 'ship', '1', '--device', '1', '--fault', 'ota-drop', '--after', '1.5', '--api', api], /--after must be a number of bytes/],
        [['ota', 'status', '0', '--api', api], /the shipment id must be a positive integer/]
      ];
      for (const [argv, message] of cases) {
        const r = await run(...argv);
        assert.equal(r.code, 2, `${argv.join(' ')}: ${r.err}`);
        assert.match(r.err, message, argv.join(' '));
      }
      assert.deepEqual([cloud.api.listImages(), cloud.api.listShipments()], [[], []]);
    });
  });
});
