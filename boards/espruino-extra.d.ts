/**
 * Espruino APIs the board drivers use that `@types/espruino` does not
 * declare (module loader, `E` events, Storage, sockets, chip modules). Only
 * `boards/` and `examples/` are compiled with these; `lib/` never sees them.
 */

/** Espruino's module loader: built-in modules or Storage files. */
declare function require(name: string): any;

declare namespace E {
  /** `init` runs after boot code; `kill` just before reset, save() or load(). */
  function on(event: 'init' | 'kill', fn: () => void): void;
  /** CRC-32 (zlib's) of a byte string, unsigned. */
  function CRC32(data: string): number;
}

/** ESP32 chip functions (global on ESP32 builds only). */
declare var ESP32: { reboot(): void } | undefined;

/** Espruino's global object. */
declare var global: { [name: string]: any };

/** Calls `fn` after `ms` milliseconds; returns the timer id. */
declare function setTimeout(fn: () => void, ms: number): number;
/** Cancels a timer. */
declare function clearTimeout(id: number): void;
/** Calls `fn` every `ms` milliseconds; returns the timer id. */
declare function setInterval(fn: () => void, ms: number): number;
/** Cancels an interval. */
declare function clearInterval(id: number): void;
/** Decodes base64 into a byte string. */
declare function atob(base64: string): string;
/** Espruino's URL parser: `{protocol, host, port, path, ...}`, what `http.get` takes. */
declare var url: { parse(u: string): any };
/** The console (serial/telnet). */
declare var console: { log(...args: unknown[]): void };
