/**
 * Test-side Blynk frame codec on Buffers, written independently of
 * lib/protocol.ts so that the tests check the library against the contract,
 * not against itself.
 */

/** A decoded frame. For RESPONSE (type 0) `len` is the status and `body` is empty. */
export interface WireFrame {
  type: number;
  id: number;
  len: number;
  body: Buffer;
}

/** Buffer from hex text; spaces and newlines are ignored. */
export function hex(text: string): Buffer {
  return Buffer.from(text.replace(/\s+/g, ''), 'hex');
}

/** Hex text of a buffer, bytes separated by spaces. */
export function toHex(b: Buffer): string {
  return (b.toString('hex').match(/../g) || []).join(' ');
}

/** UTF-8 text as a byte string (one char per byte), as on the board. */
export function bytes(text: string): string {
  return Buffer.from(text, 'utf8').toString('latin1');
}

/** Byte string back to UTF-8 text. */
export function utf8(byteString: string): string {
  return Buffer.from(byteString, 'latin1').toString('utf8');
}

/** Encodes one frame; `body` fields (UTF-8 text) are joined with NUL. */
export function encode(type: number, id: number, body: Buffer | string | Array<string | number> = Buffer.alloc(0)): Buffer {
  const b = Buffer.isBuffer(body)
    ? body
    : Buffer.from(Array.isArray(body) ? body.map(String).join('\0') : body, 'utf8');
  const h = Buffer.alloc(5);
  h.writeUInt8(type, 0);
  h.writeUInt16BE(id, 1);
  h.writeUInt16BE(b.length, 3);
  return Buffer.concat([h, b]);
}

/** Encodes a RESPONSE frame. */
export function encodeResponse(id: number, status: number): Buffer {
  const h = Buffer.alloc(5);
  h.writeUInt8(0, 0);
  h.writeUInt16BE(id, 1);
  h.writeUInt16BE(status, 3);
  return h;
}

/** Decodes every complete frame of `buf`; throws on a truncated tail. */
export function decodeFrames(buf: Buffer): WireFrame[] {
  const out: WireFrame[] = [];
  let pos = 0;
  while (pos < buf.length) {
    if (buf.length - pos < 5) throw new Error('truncated header at ' + pos);
    const type = buf.readUInt8(pos);
    const id = buf.readUInt16BE(pos + 1);
    const len = buf.readUInt16BE(pos + 3);
    const bodyLen = type === 0 ? 0 : len;
    if (buf.length - pos < 5 + bodyLen) throw new Error('truncated body at ' + pos);
    out.push({ type, id, len, body: buf.subarray(pos + 5, pos + 5 + bodyLen) });
    pos += 5 + bodyLen;
  }
  return out;
}

/** Body fields of a frame as UTF-8 text. */
export function fields(f: WireFrame): string[] {
  return f.body.toString('utf8').split('\0');
}
