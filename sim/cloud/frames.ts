/**
 * Server-side Blynk frame codec on Buffers (Node only). Written separately
 * from the device's lib/protocol.ts so the two sides check each other.
 *
 * Frame: type u8, msg id u16 BE, length u16 BE, body. RESPONSE (type 0) puts
 * the status in the length field and has no body. Body fields are UTF-8,
 * joined with NUL, no trailing NUL.
 */

export const T_RESPONSE = 0;
export const T_PING = 6;
export const T_HARDWARE_SYNC = 16;
export const T_INTERNAL = 17;
export const T_HARDWARE = 20;
export const T_HW_LOGIN = 29;
export const T_REDIRECT = 41;
export const T_EVENT_LOG = 64;

export const S_OK = 200;
export const S_ILLEGAL_COMMAND = 2;
export const S_ALREADY_REGISTERED = 4;
export const S_NOT_AUTHENTICATED = 5;
export const S_INVALID_TOKEN = 9;

/** A received frame; for RESPONSE `status` is set and `body` is empty. */
export interface Frame {
  type: number;
  id: number;
  body: Buffer;
  status: number;
}

/** Encodes a frame; `body` is raw bytes or fields (UTF-8, NUL-joined). */
export function encodeFrame(type: number, id: number, body: Buffer | Array<string | number> = []): Buffer {
  const b = Buffer.isBuffer(body) ? body : Buffer.from(body.map(String).join('\0'), 'utf8');
  if (b.length > 0xffff) throw new RangeError('body over 65535 bytes');
  const h = Buffer.alloc(5);
  h[0] = type;
  h.writeUInt16BE(id, 1);
  h.writeUInt16BE(b.length, 3);
  return Buffer.concat([h, b]);
}

/** Encodes RESPONSE `status` to msg `id`. */
export function encodeResponse(id: number, status: number): Buffer {
  const h = Buffer.alloc(5);
  h.writeUInt16BE(id, 1);
  h.writeUInt16BE(status, 3);
  return h;
}

/** Body fields as UTF-8 strings. */
export function splitFields(body: Buffer): string[] {
  return body.toString('utf8').split('\0');
}

/**
 * Incremental reader: `push(chunk)` returns the complete frames; throws
 * `Error('protocol')` on msg id 0. Holds at most one incomplete frame.
 */
export class FrameReader {
  private pending: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Frame[] {
    const data = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    const out: Frame[] = [];
    let pos = 0;
    while (data.length - pos >= 5) {
      const type = data[pos];
      const id = data.readUInt16BE(pos + 1);
      const len = data.readUInt16BE(pos + 3);
      if (id === 0) throw new Error('protocol');
      if (type === T_RESPONSE) {
        out.push({ type, id, body: Buffer.alloc(0), status: len });
        pos += 5;
        continue;
      }
      if (data.length - pos < 5 + len) break;
      out.push({ type, id, body: Buffer.from(data.subarray(pos + 5, pos + 5 + len)), status: 0 });
      pos += 5 + len;
    }
    this.pending = Buffer.from(data.subarray(pos));
    return out;
  }
}
