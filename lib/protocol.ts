/**
 * Blynk binary wire protocol (contract §6): message types, status codes,
 * frame encoding and a streaming frame parser.
 *
 * - A frame is a 5-byte header (type u8, msg id u16 BE, length u16 BE) and
 *   `length` body bytes. RESPONSE (type 0) carries a status code in the length
 *   field and has no body.
 * - Strings are byte strings (one char per byte); lengths are byte counts.
 * - The parser sizes the frame at the start of a receive buffer, so the
 *   caller takes complete frames off its front in place and keeps at most one
 *   incomplete frame (header + up to `maxBody` bytes): frames may be split
 *   across or merged within chunks. A msg id of 0 means a corrupt stream
 *   (`protocol`); a body longer than `maxBody` is refused as soon as its
 *   header arrives (`oversize`); either way the caller drops the stream.
 */

/** Reply to a message; the length field holds the status, no body. */
export const MSG_RESPONSE = 0;
/** Heartbeat, answered with RESPONSE 200 and the same id. */
export const MSG_PING = 6;
/** Device-to-device write (not used by this library). */
export const MSG_BRIDGE = 15;
/** Asks the cloud to resend stored pin values (`vr\0pin…`). */
export const MSG_HARDWARE_SYNC = 16;
/** Info message, metadata, `dbg`/`ota`/`rtc`/`utc` commands. */
export const MSG_INTERNAL = 17;
/** Widget property change (not used by this library). */
export const MSG_PROPERTY = 19;
/** Pin operations, `vw\0pin\0value…` both ways. */
export const MSG_HARDWARE = 20;
/** Grouped pin values (not used by this library). */
export const MSG_GROUP = 21;
/** Device login with the AuthToken; always msg id 1. */
export const MSG_HW_LOGIN = 29;
/** Reconnect elsewhere: body `host[\0port]`. */
export const MSG_REDIRECT = 41;
/** Text for the device console (not used by this library). */
export const MSG_DEBUG_PRINT = 55;
/** Log an event (not used by this library). */
export const MSG_EVENT_LOG = 64;
/** Clear an event (not used by this library). */
export const MSG_EVENT_CLEAR = 65;

/** OK. */
export const STATUS_OK = 200;
/** Already registered; as good as OK after a login. */
export const STATUS_ALREADY_REGISTERED = 4;
/** Not authenticated. */
export const STATUS_NOT_AUTHENTICATED = 5;
/** Invalid (unknown or deleted) token. */
export const STATUS_INVALID_TOKEN = 9;
/** Illegal command. */
export const STATUS_ILLEGAL_COMMAND = 2;
/** Illegal body. */
export const STATUS_ILLEGAL_BODY = 11;
/** Server exception. */
export const STATUS_SERVER_EXCEPTION = 19;

/** Header length in bytes. */
export const HEADER_BYTES = 5;
/** Largest msg id and largest body length (u16). */
export const MAX_U16 = 65535;

/** `frameSize` result: a msg id of 0, the stream is corrupt (`protocol`). */
export const PARSE_PROTOCOL = -1;
/** `frameSize` result: a body longer than `maxBody` (`oversize`). */
export const PARSE_OVERSIZE = -2;

/** The msg id after `id`: 1..65535, wrapping to 1, never 0. */
export function nextId(id: number): number {
  return id >= MAX_U16 || id < 1 ? 1 : id + 1;
}

/** A 5-byte header; `len` is the body length or, for RESPONSE, the status. */
export function header(type: number, id: number, len: number): string {
  return String.fromCharCode(type, (id >> 8) & 255, id & 255, (len >> 8) & 255, len & 255);
}

/**
 * One frame: header plus `body`, a byte string of at most 65535 bytes whose
 * fields the caller joined with '\0' (no trailing NUL).
 */
export function frame(type: number, id: number, body: string): string {
  return header(type, id, body.length) + body;
}

/** A RESPONSE frame answering msg `id` with `status`. */
export function response(id: number, status: number): string {
  return header(MSG_RESPONSE, id, status);
}

/**
 * Size in bytes of the frame at the start of `data`, a receive buffer (the
 * unparsed rest of earlier chunks followed by the new chunk): 0 while the
 * frame is incomplete (keep `data` and append the next chunk), else its header
 * plus body (a RESPONSE is its header alone). `PARSE_PROTOCOL` / `PARSE_OVERSIZE`
 * when the stream must be dropped: a msg id of 0, or a body over `maxBody`
 * (refused as soon as its header is there).
 */
export function frameSize(data: string, maxBody: number): number {
  if (data.length < HEADER_BYTES) return 0;
  if (!((data.charCodeAt(1) << 8) | data.charCodeAt(2))) return PARSE_PROTOCOL;
  if (data.charCodeAt(0) === MSG_RESPONSE) return HEADER_BYTES;
  var len = (data.charCodeAt(3) << 8) | data.charCodeAt(4);
  if (len > maxBody) return PARSE_OVERSIZE;
  return data.length < HEADER_BYTES + len ? 0 : HEADER_BYTES + len;
}
