/**
 * Blynk binary wire protocol (contract §6): message types, status codes,
 * frame encoding and a streaming frame parser.
 *
 * - A frame is a 5-byte header (type u8, msg id u16 BE, length u16 BE) and
 *   `length` body bytes. RESPONSE (type 0) carries a status code in the length
 *   field and has no body.
 * - Strings are byte strings (one char per byte); lengths are byte counts.
 * - The parser copes with frames split across or merged within chunks and
 *   buffers at most one incomplete frame (header + up to `maxBody` bytes).
 *   A msg id of 0 means a corrupt stream (`protocol`); a body longer than
 *   `maxBody` is refused as soon as its header arrives (`oversize`). After an
 *   error the parser ignores further input.
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

/** A streaming frame parser bound to one connection. */
export interface Parser {
  /** Consumes received bytes (byte string, any split). */
  feed(chunk: string): void;
}

/** The msg id after `id`: 1..65535, wrapping to 1, never 0. */
export function nextId(id: number): number {
  return id >= MAX_U16 || id < 1 ? 1 : id + 1;
}

/** A 5-byte header; `len` is the body length or, for RESPONSE, the status. */
function header(type: number, id: number, len: number): string {
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
 * Creates a parser. `onMessage(type, id, body)` gets each complete frame; for
 * RESPONSE `body` is the numeric status. `onError(reason)` fires once with
 * `protocol` (msg id 0) or `oversize` (body longer than `maxBody`).
 */
export function createParser(
  maxBody: number,
  onMessage: (type: number, id: number, body: string | number) => void,
  onError: (reason: string) => void
): Parser {
  var rest = '';
  var dead = false;
  function fail(reason: string): void {
    dead = true;
    rest = '';
    onError(reason);
  }
  return {
    feed: function (chunk: string): void {
      if (dead) return;
      var data = rest ? rest + chunk : chunk;
      var pos = 0;
      rest = '';
      while (!dead && data.length - pos >= HEADER_BYTES) {
        var type = data.charCodeAt(pos);
        var id = (data.charCodeAt(pos + 1) << 8) | data.charCodeAt(pos + 2);
        var len = (data.charCodeAt(pos + 3) << 8) | data.charCodeAt(pos + 4);
        if (id === 0) return fail('protocol');
        if (type === MSG_RESPONSE) {
          pos += HEADER_BYTES;
          onMessage(type, id, len);
          continue;
        }
        if (len > maxBody) return fail('oversize');
        if (data.length - pos < HEADER_BYTES + len) break;
        var body = data.substr(pos + HEADER_BYTES, len);
        pos += HEADER_BYTES + len;
        onMessage(type, id, body);
      }
      if (!dead && pos < data.length) rest = data.substr(pos);
    }
  };
}
