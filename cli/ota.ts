/**
 * `espruino-edgent ota upload|ship|status`: Blynk.Air on a running simulated
 * cloud (`espruino-edgent cloud`, which prints its API URL): upload a firmware
 * image, ship it to a device or to every device of a template, and follow
 * the shipment, through the cloud's HTTP API given with --api. A cloud that
 * refuses or cannot be reached is exit 1, with its reason.
 */
import type { OtaImage, Shipment } from '../sim/cloud';
import { DOWNLOAD_FAULTS } from '../sim/cloud/air';
import { http } from '../sim/phone';
import { EXIT_FAILED, EXIT_OK, parseVerb, readInput, UsageError } from './args';

/** The `--help` text. */
export const OTA_USAGE = `usage: espruino-edgent ota upload <image file> --api URL
       espruino-edgent ota ship <image id> --device ID | --template ID --api URL
                                [--fault TYPE [--after N]]
       espruino-edgent ota status <shipment id> --api URL

Blynk.Air on a running simulated cloud (espruino-edgent cloud prints its API URL).
  upload   sends a firmware image, a file that starts with the tag
           blnkinf\\0mcu\\0<version>\\0fw-type\\0<type>\\0build\\0<date>\\0blynk\\0<version>\\0\\0
           and prints its id, version, type, size and MD5
  ship     ships an image to one device or to every device of a template: the
           ones online get the ota command at once, the others at their next
           login; prints the shipment and where each device stands
  status   prints where each device of a shipment stands: pending, sent,
           downloading, downloaded, success or failed (with the reason)

options:
  --api URL        the cloud's HTTP API, e.g. http://127.0.0.1:8080 (required)
  --device ID      ship: the device
  --template ID    ship: every device of this template
  --fault TYPE     ship: a download fault for this shipment only:
                   ${DOWNLOAD_FAULTS.join(', ')}
  --after N        ship, with --fault ota-drop: close after N bytes (default 0)
  --json           print the cloud's JSON answer instead
  --help           this text

Exit status: 0 done; 1 the cloud refused or cannot be reached; 2 bad arguments
or an image file that cannot be read.
`;

const OPTIONS = {
  api: { type: 'string' },
  device: { type: 'string' },
  template: { type: 'string' },
  fault: { type: 'string' },
  after: { type: 'string' },
  json: { type: 'boolean' }
} as const;

/** What each ota command takes. */
const ARGUMENT = { upload: '<image file>', ship: '<image id>', status: '<shipment id>' };

/** The cloud refused or could not be reached: printed, exit 1. */
class CloudError extends Error {}

/** A positive integer argument. */
function idOf(value: string, what: string): number {
  if (!/^[1-9]\d*$/.test(value)) throw new UsageError(`${what} must be a positive integer, not ${JSON.stringify(value)}`);
  return Number(value);
}

/** The `--api` base URL, without a trailing slash. */
function apiOf(value: string | undefined): string {
  if (value === undefined) throw new UsageError("missing --api (the cloud's API URL, as espruino-edgent cloud prints it)");
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`--api ${JSON.stringify(value)} is not a URL`);
  }
  if (url.protocol !== 'http:') throw new UsageError(`--api must be an http:// URL, not ${JSON.stringify(value)}`);
  return value.replace(/\/+$/, '');
}

/** One API call; CloudError when the cloud cannot be reached or answers an error. */
async function call(method: string, api: string, path: string, body?: unknown): Promise<any> {
  let r;
  try {
    r = await http(method, api + path, body);
  } catch (e) {
    throw new CloudError(`cannot reach the cloud at ${api}: ${(e as NodeJS.ErrnoException).code || (e as Error).message}`);
  }
  let value;
  try {
    value = r.body ? JSON.parse(r.body) : null;
  } catch {
    throw new CloudError(`${method} ${api + path} answered ${r.status} without JSON: is ${api} the simulated cloud's API?`);
  }
  if (r.status >= 400) throw new CloudError(`the cloud answered ${r.status}: ${value && value.error ? value.error : r.body}`);
  return value;
}

function imageLine(i: OtaImage): string {
  return `image ${i.id}: mcu ${i.mcu}, fw-type ${i.fwType}, build ${JSON.stringify(i.build)}, blynk ${i.blynk}, ${i.size} bytes, md5 ${i.md5}`;
}

function shipmentLines(s: Shipment): string[] {
  const devices = Object.entries(s.devices);
  return [
    `shipment ${s.id}: image ${s.image} to ${devices.length} device${devices.length === 1 ? '' : 's'}`,
    ...devices.map(([id, d]) => `  device ${id}: ${d.status}${d.reason ? ` (${d.reason})` : ''} since ${d.at}`)
  ];
}

/** The `ship` request body from the options; UsageError on a wrong combination. */
function shipmentOf(image: number, values: { device?: string; template?: string; fault?: string; after?: string }): Record<string, unknown> {
  if ((values.device === undefined) === (values.template === undefined)) throw new UsageError('ota ship takes --device ID or --template ID (one of them)');
  const body: Record<string, unknown> = { image };
  if (values.device !== undefined) body.device = idOf(values.device, '--device');
  else body.template = values.template;
  if (values.after !== undefined && values.fault !== 'ota-drop') throw new UsageError('--after goes with --fault ota-drop');
  if (values.after !== undefined && !/^\d+$/.test(values.after)) throw new UsageError(`--after must be a number of bytes, not ${JSON.stringify(values.after)}`);
  if (values.fault !== undefined) {
    if (!DOWNLOAD_FAULTS.includes(values.fault)) throw new UsageError(`unknown --fault ${JSON.stringify(values.fault)}: use one of ${DOWNLOAD_FAULTS.join(', ')}`);
    body.fault = values.after === undefined ? { type: values.fault } : { type: values.fault, after: Number(values.after) };
  }
  return body;
}

/** The `ota` verb: resolves with the exit code. */
export async function otaCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseVerb(args, OPTIONS, [0, 2]);
  if (values.help) {
    process.stdout.write(OTA_USAGE);
    return EXIT_OK;
  }
  const [sub, arg] = positionals;
  if (sub !== 'upload' && sub !== 'ship' && sub !== 'status') {
    throw new UsageError(sub === undefined ? 'missing command: upload, ship or status' : `unknown ota command ${JSON.stringify(sub)}: use upload, ship or status`);
  }
  if (arg === undefined) throw new UsageError(`missing argument: espruino-edgent ota ${sub} ${ARGUMENT[sub]}`);
  const api = apiOf(values.api);
  const misplaced = (['device', 'template', 'fault', 'after'] as const).find((o) => sub !== 'ship' && values[o] !== undefined);
  if (misplaced) throw new UsageError(`--${misplaced} goes with ota ship`);
  const say = (lines: string[] | string, answer: unknown) => process.stdout.write((values.json ? JSON.stringify(answer, null, 2) : ([] as string[]).concat(lines).join('\n')) + '\n');
  try {
    if (sub === 'upload') {
      const image: OtaImage = await call('POST', api, '/api/ota/images', readInput(arg));
      say(imageLine(image), image);
    } else if (sub === 'ship') {
      const started = await call('POST', api, '/api/ota/shipments', shipmentOf(idOf(arg, 'the image id'), values));
      say(shipmentLines(await call('GET', api, `/api/ota/shipments/${started.id}`)), started);
    } else {
      const shipment: Shipment = await call('GET', api, `/api/ota/shipments/${idOf(arg, 'the shipment id')}`);
      say(shipmentLines(shipment), shipment);
    }
    return EXIT_OK;
  } catch (e) {
    if (!(e instanceof CloudError)) throw e;
    process.stderr.write(`espruino-edgent ota ${sub}: ${e.message}\n`);
    return EXIT_FAILED;
  }
}
