/**
 * Blynk.Air in the simulated cloud (Node only): firmware images, shipments,
 * the download the device makes, and each device's update as the cloud sees it.
 *
 * - An image is a file that starts with the firmware tag
 *   `blnkinf\0mcu\0<version>\0fw-type\0<type>\0build\0<date>\0blynk\0<version>\0\0`
 *   (NUL-separated pairs ended by an empty key); the rest of the file is
 *   opaque. An upload without a valid tag at the start is refused (400).
 * - A shipment sends one image to one device or to every device of a template
 *   (its `tmpl` info or the template of its token). The fw-type is not checked
 *   against the devices: a device that gets an image of another type refuses it.
 * - The command is INTERNAL `ota\0<url>`, sent to a device once its login's info
 *   message is in: at once to a device online now, otherwise at its next login
 *   (and again at each later login while the device has not started the
 *   download), as long as its part of the shipment is open.
 * - The URL is plain HTTP on the cloud's API port,
 *   `http://<host>:<port>/ota/<shipment>/<device>?token=<download token>` (an
 *   ESP8266 has no TLS); the download token is random, one per device of a
 *   shipment. The answer has `Content-Type: application/octet-stream`,
 *   `Content-Length` and `x-MD5` (hex MD5 of the image).
 * - Status of each device: `pending` (not sent yet), `sent`, `downloading`
 *   (GET received), `downloaded` (whole body sent), then `success` (a login
 *   whose info `mcu` is the image's) or `failed` with a reason: a login with
 *   another version after the download started, the event `sys_ota`
 *   "OTA failed: <why>" (reason `<why>`, also when it follows at once the login
 *   that failed it), or a download that failed on the cloud's side. `success`
 *   and `failed` are final: a later GET of that URL gets 410.
 * - Download faults (a shipment's own, else the cloud's faults for the device):
 *   `ota-bad-md5` (x-MD5 of other bytes), `ota-short` (Content-Length N, N − 1
 *   bytes, then the connection is closed), `ota-404`, `ota-no-length` (no
 *   Content-Length: chunked), `ota-drop {after}` (the connection is closed after
 *   `after` bytes, default 0; the whole image when `after` ≥ its size). These
 *   and a connection that closes before the whole body is handed to the
 *   network fail the update on the cloud's side; `ota-bad-md5` and
 *   `ota-no-length` leave it to the device.
 * Images and shipments are kept in memory only (not in the data file).
 */

import { createHash } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { ApiError, DeviceRecord, newToken } from './store';

/** Largest image accepted, in bytes. */
export const MAX_IMAGE_BYTES = 1024 * 1024;
/** The firmware tag must end within this many bytes of the start. */
const MAX_TAG_BYTES = 1024;
const TAG_START = Buffer.from('blnkinf\0', 'latin1');
const TAG_KEYS = ['mcu', 'fw-type', 'build', 'blynk'];
/** What a device's event says when its update failed: `OTA failed: <why>`. */
const OTA_FAILED = /^OTA failed(?::\s*([^]*))?$/;

/** An uploaded image as the API shows it. */
export interface OtaImage {
  id: number;
  /** Firmware version (tag `mcu`). */
  mcu: string;
  /** Tag `fw-type`. */
  fwType: string;
  /** Tag `build`. */
  build: string;
  /** Tag `blynk`. */
  blynk: string;
  /** Bytes. */
  size: number;
  /** Hex MD5 of the whole file. */
  md5: string;
}

/** A fault of the firmware download. */
export type DownloadFault =
  | { type: 'ota-bad-md5' }
  | { type: 'ota-short' }
  | { type: 'ota-404' }
  | { type: 'ota-no-length' }
  | { type: 'ota-drop'; after?: number };

/** The download fault types. */
export const DOWNLOAD_FAULTS = ['ota-bad-md5', 'ota-short', 'ota-404', 'ota-no-length', 'ota-drop'];

/** Where a device's update stands. */
export type OtaStatus = 'pending' | 'sent' | 'downloading' | 'downloaded' | 'success' | 'failed';

/** One device of a shipment. */
export interface OtaDeviceStatus {
  status: OtaStatus;
  /** Why it failed. */
  reason?: string;
  /** When the status last changed (ISO time). */
  at: string;
}

/** A shipment as the API shows it. */
export interface Shipment {
  id: number;
  image: number;
  devices: Record<string, OtaDeviceStatus>;
}

/** What a new shipment needs: the image and one device or a template. */
export interface ShipmentRequest {
  image: number;
  device?: number;
  template?: string;
  /** A download fault for this shipment only (instead of the cloud's faults). */
  fault?: DownloadFault;
}

/** What Air needs from the device side of the cloud. */
export interface AirLink {
  /** Sends INTERNAL fields to the device if it is online and its info is in; false otherwise. */
  send(device: number, fields: string[]): boolean;
  /** Every device. */
  devices(): DeviceRecord[];
  /** One device; ApiError 404 if none. */
  device(id: number): DeviceRecord;
  /** The cloud's download fault for the device, if any. */
  faultOf(device: number): DownloadFault | undefined;
  /** `http://host:port` of the API, where the device downloads. */
  baseUrl(): string;
  log(line: string): void;
}

interface Delivery extends OtaDeviceStatus {
  token: string;
  /** The login that failed it for its version: a `sys_ota` failure event on that login sets the reason. */
  failedAtLogin?: number;
}

interface ShipmentRecord {
  id: number;
  image: OtaImage & { bytes: Buffer };
  fault?: DownloadFault;
  devices: Map<number, Delivery>;
}

/** Checks a download fault's fields; ApiError 400 naming the mistake. */
export function downloadFault(f: unknown): DownloadFault {
  const type = (f as { type?: unknown } | null)?.type;
  if (typeof type !== 'string' || !DOWNLOAD_FAULTS.includes(type)) throw new ApiError(400, 'fault type must be one of ' + DOWNLOAD_FAULTS.join(', '));
  if (type !== 'ota-drop') return { type } as DownloadFault;
  const after = (f as { after?: unknown }).after ?? 0;
  if (typeof after !== 'number' || !Number.isInteger(after) || after < 0) throw new ApiError(400, 'after must be an integer ≥ 0');
  return { type, after };
}

/** The tag fields of an image; ApiError 400 when there is no valid tag at the start. */
export function parseTag(bytes: Buffer): Record<string, string> {
  if (!bytes.subarray(0, TAG_START.length).equals(TAG_START)) throw new ApiError(400, 'not a firmware image: it must start with the tag blnkinf\\0');
  const limit = Math.min(bytes.length, MAX_TAG_BYTES);
  let pos = TAG_START.length;
  const field = (): string => {
    const end = bytes.indexOf(0, pos);
    if (end < 0 || end >= limit) throw new ApiError(400, `firmware tag not ended by an empty key within ${MAX_TAG_BYTES} bytes`);
    const text = bytes.toString('utf8', pos, end);
    pos = end + 1;
    return text;
  };
  const tag: Record<string, string> = {};
  for (let key = field(); key !== ''; key = field()) tag[key] = field();
  const missing = TAG_KEYS.filter((k) => tag[k] === undefined);
  if (missing.length) throw new ApiError(400, 'firmware tag lacks ' + missing.join(', '));
  if (!tag.mcu) throw new ApiError(400, 'firmware tag has an empty mcu (version)');
  return tag;
}

function md5(b: Buffer): string {
  return createHash('md5').update(b).digest('hex');
}

/** Images, shipments and downloads. */
export class Air {
  private readonly images = new Map<number, OtaImage & { bytes: Buffer }>();
  private readonly shipments = new Map<number, ShipmentRecord>();
  private nextImage = 1;
  private nextShipment = 1;

  constructor(private readonly link: AirLink) {}

  /** Stores an image; ApiError 400 without a valid tag, 413 over MAX_IMAGE_BYTES. */
  upload(bytes: Buffer): OtaImage {
    if (!Buffer.isBuffer(bytes)) throw new ApiError(400, 'image bytes required');
    if (bytes.length > MAX_IMAGE_BYTES) throw new ApiError(413, `image over ${MAX_IMAGE_BYTES} bytes`);
    const tag = parseTag(bytes);
    const image = {
      id: this.nextImage++, mcu: tag.mcu, fwType: tag['fw-type'], build: tag.build, blynk: tag.blynk,
      size: bytes.length, md5: md5(bytes), bytes: Buffer.from(bytes)
    };
    this.images.set(image.id, image);
    this.link.log(`ota: image ${image.id} uploaded (mcu ${image.mcu}, fw-type ${image.fwType}, ${image.size} bytes)`);
    return this.imageView(image);
  }

  private imageView(i: OtaImage): OtaImage {
    return { id: i.id, mcu: i.mcu, fwType: i.fwType, build: i.build, blynk: i.blynk, size: i.size, md5: i.md5 };
  }

  listImages(): OtaImage[] {
    return [...this.images.values()].map((i) => this.imageView(i));
  }

  /** Starts a shipment; devices online now get the command at once. */
  ship(req: ShipmentRequest): { id: number; image: number; devices: number[] } {
    const image = this.images.get(req.image);
    if (!image) throw new ApiError(404, 'no such image');
    if ((req.device === undefined) === (req.template === undefined)) throw new ApiError(400, 'give a device or a template (one of them)');
    let targets: DeviceRecord[];
    if (req.device !== undefined) targets = [this.link.device(req.device)];
    else {
      if (typeof req.template !== 'string' || !req.template) throw new ApiError(400, 'template must be a template id');
      targets = this.link.devices().filter((d) => d.info.tmpl === req.template || d.template === req.template);
      if (!targets.length) throw new ApiError(404, `no device of template ${req.template}`);
    }
    const fault = req.fault === undefined ? undefined : downloadFault(req.fault);
    const s: ShipmentRecord = { id: this.nextShipment++, image, fault, devices: new Map() };
    this.shipments.set(s.id, s);
    this.link.log(`ota: shipment ${s.id} of image ${image.id} to ${targets.length} device(s)${fault ? ` with fault ${fault.type}` : ''}`);
    for (const d of targets) {
      s.devices.set(d.id, { status: 'pending', at: new Date().toISOString(), token: newToken() });
      this.deliver(s, d.id);
    }
    return { id: s.id, image: image.id, devices: targets.map((d) => d.id) };
  }

  private view(s: ShipmentRecord): Shipment {
    const devices: Record<string, OtaDeviceStatus> = {};
    for (const [id, d] of s.devices) devices[id] = d.reason === undefined ? { status: d.status, at: d.at } : { status: d.status, reason: d.reason, at: d.at };
    return { id: s.id, image: s.image.id, devices };
  }

  getShipment(id: number): Shipment {
    const s = this.shipments.get(id);
    if (!s) throw new ApiError(404, 'no such shipment');
    return this.view(s);
  }

  listShipments(): Shipment[] {
    return [...this.shipments.values()].map((s) => this.view(s));
  }

  private set(s: ShipmentRecord, device: number, status: OtaStatus, reason?: string): void {
    const d = s.devices.get(device) as Delivery;
    d.status = status;
    d.reason = reason;
    d.at = new Date().toISOString();
    this.link.log(`ota: shipment ${s.id} device ${device}: ${status}${reason ? ` (${reason})` : ''}`);
  }

  private deliver(s: ShipmentRecord, device: number): void {
    const d = s.devices.get(device) as Delivery;
    const url = `${this.link.baseUrl()}/ota/${s.id}/${device}?token=${d.token}`;
    if (this.link.send(device, ['ota', url])) this.set(s, device, 'sent');
  }

  /** The open deliveries of a device, with their shipments. */
  private open(device: number): Array<[ShipmentRecord, Delivery]> {
    const out: Array<[ShipmentRecord, Delivery]> = [];
    for (const s of this.shipments.values()) {
      const d = s.devices.get(device);
      if (d && d.status !== 'success' && d.status !== 'failed') out.push([s, d]);
    }
    return out;
  }

  /** A login's info message is in: judges the update by its `mcu`, sends the command where it is due. */
  onLogin(device: number, mcu: string | undefined, login: number): void {
    for (const [s, d] of this.open(device)) {
      if (d.status !== 'pending' && mcu === s.image.mcu) this.set(s, device, 'success');
      else if (d.status === 'downloading' || d.status === 'downloaded') {
        this.set(s, device, 'failed', `logged in with mcu ${mcu ?? '(none)'}, not ${s.image.mcu}`);
        d.failedAtLogin = login;
      } else this.deliver(s, device);
    }
  }

  /** An event the device logged: `sys_ota` "OTA failed: <why>" fails its update. */
  onEvent(device: number, name: string, description: string, login: number): void {
    const m = name === 'sys_ota' ? OTA_FAILED.exec(description) : null;
    if (!m) return;
    const reason = m[1] || 'OTA failed';
    for (const s of this.shipments.values()) {
      const d = s.devices.get(device);
      if (!d) continue;
      const open = d.status === 'sent' || d.status === 'downloading' || d.status === 'downloaded';
      if (open || (d.status === 'failed' && d.failedAtLogin === login)) this.set(s, device, 'failed', reason);
    }
  }

  /**
   * Serves `GET /ota/<shipment>/<device>?token=`: throws ApiError (404 unknown,
   * 403 wrong token, 410 over, 404 under the `ota-404` fault) before writing anything.
   */
  download(shipment: number, device: number, token: string, res: ServerResponse): void {
    const s = this.shipments.get(shipment);
    const d = s && s.devices.get(device);
    if (!s || !d) throw new ApiError(404, 'no such download');
    if (token !== d.token) throw new ApiError(403, 'wrong download token');
    if (d.status === 'success' || d.status === 'failed') throw new ApiError(410, `this update is over (${d.status})`);
    const fault = s.fault ?? this.link.faultOf(device);
    this.set(s, device, 'downloading');
    const bytes = s.image.bytes;
    const n = bytes.length;
    if (fault?.type === 'ota-404') {
      this.set(s, device, 'failed', 'download answered 404 (fault ota-404)');
      throw new ApiError(404, 'no such firmware (fault ota-404)');
    }
    const headers: Record<string, string | number> = {
      'Content-Type': 'application/octet-stream',
      'x-MD5': fault?.type === 'ota-bad-md5' ? md5(Buffer.concat([bytes, Buffer.from('other bytes')])) : s.image.md5
    };
    if (fault?.type !== 'ota-no-length') headers['Content-Length'] = n;
    res.writeHead(200, headers);
    res.on('close', () => {
      if (!res.writableFinished && d.status === 'downloading') this.set(s, device, 'failed', 'the connection closed during the download');
    });
    const cut = fault?.type === 'ota-short' ? n - 1 : fault?.type === 'ota-drop' ? Math.min(fault.after ?? 0, n) : n;
    if (cut < n) {
      if (cut) res.write(bytes.subarray(0, cut));
      else res.flushHeaders();
      res.socket?.end();
      this.set(s, device, 'failed', `download cut after ${cut} of ${n} bytes (fault ${fault?.type})`);
      return;
    }
    res.on('finish', () => {
      if (d.status === 'downloading') this.set(s, device, 'downloaded');
    });
    if (fault?.type === 'ota-no-length') res.write(bytes.subarray(0, n >> 1));
    res.end(fault?.type === 'ota-no-length' ? bytes.subarray(n >> 1) : bytes);
  }
}
