/**
 * Virtual Espruino board (Node only, never bundled): runs a built ES5 bundle
 * in a `vm` context that offers exactly the Espruino globals and modules the
 * board drivers use, with Espruino's behaviour and quirks (see quirks.ts for
 * the table of emulated / not emulable quirks, wifi.ts for per-chip Wi-Fi
 * shapes, http.ts for how a request ends, storage.ts for the flash model and
 * power cuts).
 *
 * Byte strings everywhere: data handed to device code (HTTP url/headers/body,
 * UDP packets, socket data) has one char per byte (latin1), and strings
 * device code writes out are sent as latin1 bytes.
 *
 * Timing: every delay uses host timers looked up at call time, so
 * `sinon.useFakeTimers()` drives device time deterministically. Node binds
 * host sockets through faked internals: a test that needs the HTTP/DNS host
 * ports must create the board and `await board.ready()` on real timers (fake
 * timers may be installed afterwards); `close()` must run on real timers.
 */
import { VirtualBoard } from './board';
import type { BoardOptions } from './types';

export { VirtualBoard, REBOOT_DELAY_MS } from './board';
export { createRadio, type VirtualRadio } from './radio';
export { WIFI_TIMING, ESP32_CONNECT_ATTEMPTS, MAX_AP_STATIONS } from './wifi';
export { STORAGE_CAPACITY, STORAGE_HEADER_BYTES, STORAGE_DELETE_BYTES, STORAGE_NAME_MAX } from './storage';
export { SOCKET_CHUNK_BYTES } from './http';
export { SOCKET_ERRORS } from './net';
export { FIRMWARE_VERSION } from './globals';
export type * from './types';

/**
 * Creates a virtual board (off until `boot()`; host ports bind in the
 * background — `await board.ready()` before connecting to them).
 * @param opts chip, radio, host ports, flash file, resolver, log sink
 */
export function createBoard(opts: BoardOptions): VirtualBoard {
  return new VirtualBoard(opts);
}
