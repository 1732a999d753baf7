/**
 * Firmware releases for the simulated Blynk.Air (Node only): the OTA image of
 * a built firmware (`dist/<name>.files.json`, docs/ota-image.md) as a new
 * version, the way a maker raises `fwVersion` in app.ts and rebuilds. The
 * firmware's `fwVersion` string is replaced in its `edgent.boot`, so the
 * device announces the new version after the update, as the image's tag says.
 * `crash` makes a release whose boot code throws before it starts anything
 * (a broken build), for the loader's rollback. Its `edgent.ca` is the one a
 * simulated device is installed with (the simulated cloud's test CA, unless
 * `ca` says otherwise), so the new firmware reaches the same cloud.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { packageRoot } from './root';
import { CA_STORAGE, pemToDer } from './device';
import { TEST_CA } from './cloud';

const req = createRequire(__filename);
const { buildImage, tagOfFirmware } = req(join(packageRoot(), 'tools', 'ota-image.js')) as typeof import('../tools/ota-image');

/** Options of `releaseImage`. */
export interface ReleaseOptions {
  /** The version the release announces. */
  fwVersion: string;
  /** Its boot code throws at once (a firmware that crashes at boot). @default false */
  crash?: boolean;
  /** Replaces bytes of a Storage file of the release (after the version change). */
  edit?: (name: string, data: Buffer) => Buffer;
  /** The release's `edgent.ca`: a PEM certificate, or `shipped` (the build's). @default the simulated cloud's test CA */
  ca?: string;
}

/** The OTA image of the firmware of `manifestPath` released as `o.fwVersion`. */
export function releaseImage(manifestPath: string, o: ReleaseOptions): Buffer {
  const m = JSON.parse(readFileSync(manifestPath, 'utf8')) as { storage: Record<string, string> };
  const dir = dirname(manifestPath);
  const files = Object.entries(m.storage).map(([name, file]) => {
    let data = readFileSync(join(dir, file));
    if (name === CA_STORAGE && o.ca !== 'shipped') data = Buffer.from(pemToDer(o.ca || readFileSync(TEST_CA, 'latin1')), 'latin1');
    if (name === 'edgent.boot') {
      const code = data.toString('latin1');
      const old = tagOfFirmware(code).mcu;
      let next = code.split(`fwVersion:${JSON.stringify(old)}`).join(`fwVersion:${JSON.stringify(o.fwVersion)}`);
      if (next === code) throw new Error(`${manifestPath}: no fwVersion:"${old}" in edgent.boot`);
      if (o.crash) next = `throw new Error("release ${o.fwVersion} fails at boot");\n` + next;
      data = Buffer.from(next, 'latin1');
    }
    return { name, data: o.edit ? o.edit(name, data) : data };
  });
  const tag = tagOfFirmware(files[0].data.toString('latin1'));
  return buildImage({ ...tag, files });
}
