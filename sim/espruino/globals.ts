/**
 * Device globals that are not tied to a peripheral: timers, console, `E`,
 * `process`, `getTime`, `getSerial`, `btoa`/`atob`, `require`/`Modules`,
 * Espruino's `JSON` and URI functions.
 *
 * Timers behave as on Espruino (checked on the 2v29 interpreter): timeouts
 * and intervals share one id space (either clear function removes either
 * kind); a new timer gets 1 + the highest id still live, so ids start at 1
 * and the id of a timer that fired or was cleared is handed out again; a
 * timeout stays live until its callback returns. `clearTimeout()` with no
 * argument removes every timer, `clearTimeout(undefined)` throws
 * "clearTimeout(undefined) not allowed. Use clearTimeout() instead"
 * (`clearInterval` likewise); any other id is looked up as a number (a
 * boolean counts as 0/1, strings and objects match nothing) and an unknown
 * id is ignored, so clearing a stale id cancels whichever timer now has it.
 * Only the first argument counts. A string callback is evaluated as code.
 * All timing uses host timers looked up at call time.
 *
 * `require(name)`: built-in modules of the chip, then `Modules.addCached`
 * entries, then a Storage file of that exact name evaluated as a module
 * (`exports`/`module`, cached); otherwise throws `Module "NAME" not found`.
 * `url` is a global object, not a module.
 */
import {
  atobBytes,
  btoaBytes,
  decodeURIComponentBytes,
  encodeURIComponentBytes,
  jsonParse,
  jsonStringify,
} from './bytes-api';
import { crc32, hostNow } from './host';
import type { Boot } from './boot';
import type { FlashImage } from './storage';

/** Espruino firmware version reported by the board. */
export const FIRMWARE_VERSION = '2v29';

/** Memory figures per chip: JsVars and the cost of code held in RAM or run from flash. */
const MEMORY = {
  ESP8266: { total: 1600, base: 220, ramPerKb: 100, flashPerKb: 30, board: 'ESP8266_4MB' },
  ESP32: { total: 12000, base: 400, ramPerKb: 80, flashPerKb: 24, board: 'ESP32' },
} as const;

interface DeviceTimer {
  token: object;
  interval: boolean;
}

/** What the globals need from the board. */
export interface GlobalsHost {
  flash: FlashImage;
  /** Built-in module factory; undefined if the chip has no such module. */
  builtin(name: string): unknown;
  /** Serial number string (from the MAC). */
  serial: string;
}

/** What the board keeps from the installed globals. */
export interface InstalledGlobals {
  /** The device `E` object (the board emits 'init' on it). */
  E: Record<string, any>;
  /** Evaluates code held in flash (boot code), reporting uncaught exceptions. */
  runFlashCode(code: string, filename: string): void;
  /** Evaluates code held in RAM (REPL input), reporting uncaught exceptions; returns its value. */
  runRamCode(code: string, filename: string): unknown;
}

/** Installs the globals on a fresh boot. */
export function installGlobals(boot: Boot, host: GlobalsHost): InstalledGlobals {
  const { realm } = boot;
  const g = realm.global;
  const mem = MEMORY[boot.chip];
  let ramCodeChars = 0;
  let flashCodeChars = 0;

  const timers = new Map<number, DeviceTimer>();
  const newTimerId = (): number => {
    let highest = 0;
    for (const id of timers.keys()) if (id > highest) highest = id;
    return highest + 1;
  };
  const schedule = (interval: boolean) =>
    function (this: unknown, fn: unknown, ms?: unknown, ...args: unknown[]): number {
      const id = newTimerId();
      const delay = Math.max(0, Number(ms) || 0);
      const task = typeof fn === 'string' ? () => runCode(fn, 'timer') : () => realm.invoke(fn, undefined, args);
      const entry: DeviceTimer = { interval, token: {} };
      const arm = (): void => {
        entry.token = boot.timers.after(delay, () => {
          if (interval) arm();
          try {
            task();
          } finally {
            if (!interval && timers.get(id) === entry) timers.delete(id);
          }
        });
      };
      timers.set(id, entry);
      arm();
      return id;
    };
  const clearer = (what: string) =>
    function (...ids: unknown[]): void {
      if (ids.length === 0) {
        for (const t of timers.values()) boot.timers.cancel(t.token);
        timers.clear();
        return;
      }
      const raw = ids[0];
      if (raw === undefined) throw realm.error(`clear${what}(undefined) not allowed. Use clear${what}() instead`);
      const id = typeof raw === 'number' ? raw : typeof raw === 'boolean' ? Number(raw) : NaN;
      const t = timers.get(id);
      if (!t) return;
      boot.timers.cancel(t.token);
      timers.delete(id);
    };

  const runCode = (code: string, filename: string): unknown => {
    ramCodeChars += code.length;
    try {
      return realm.run(code, filename);
    } catch (e) {
      boot.report(e);
      return undefined;
    }
  };

  const print = (...args: unknown[]): void => boot.log(args.map(formatValue).join(' '));
  const consoleObj = realm.obj({ log: print, info: print, warn: print, error: print, debug: print });

  const modulesCache = new Map<string, unknown>();
  const builtins = new Map<string, unknown>();
  const evalModule = (name: string, code: string): unknown => {
    const module = realm.obj({ exports: realm.obj() });
    const wrapper = realm.run(`(function (exports, module) {\n${code}\n})`, name);
    realm.call(wrapper, undefined, [module.exports, module]);
    return module.exports;
  };
  const requireFn = (name: unknown): unknown => {
    const id = String(name);
    if (builtins.has(id)) return builtins.get(id);
    const b = host.builtin(id);
    if (b !== undefined) {
      builtins.set(id, b);
      return b;
    }
    if (modulesCache.has(id)) return modulesCache.get(id);
    const source = host.flash.read(id.substr(0, 28));
    if (source === undefined) throw realm.error(`Module "${id}" not found`);
    flashCodeChars += source.length;
    const exported = evalModule(id, source);
    modulesCache.set(id, exported);
    return exported;
  };

  const E = realm.obj({
    setBootCode: (code: unknown, alwaysExec: unknown) => {
      host.flash.erase('.bootcde');
      host.flash.erase('.bootrst');
      const src = code === undefined ? '' : String(code);
      if (src.length) host.flash.write(alwaysExec ? '.bootrst' : '.bootcde', Buffer.from(src, 'latin1'));
    },
    CRC32: (s: unknown) => crc32(typeof s === 'string' ? s : String(s)),
    hwRand: () => (Math.random() * 0x100000000) | 0,
    // Every flag Espruino sets (FIFO_FULL, BUFFER_FULL, LOW_MEMORY, …) needs a condition the emulation never reaches.
    getErrorFlags: () => [],
  });

  const process = realm.obj({
    version: FIRMWARE_VERSION,
    env: {
      VERSION: FIRMWARE_VERSION,
      BOARD: mem.board,
      RAM: boot.chip === 'ESP8266' ? 81920 : 327680,
      FLASH: 4194304,
      STORAGE: host.flash.stats().totalBytes,
      SERIAL: host.serial,
      CONSOLE: 'Serial1',
      MODULES: boot.chip === 'ESP8266' ? 'Wifi,http,net,dgram,neopixel,Storage,ESP8266' : 'Wifi,http,net,tls,dgram,neopixel,Storage,ESP32',
      EXPTR: 0,
    },
    memory: () => {
      const usage = Math.min(
        mem.total,
        Math.round(mem.base + (ramCodeChars / 1024) * mem.ramPerKb + (flashCodeChars / 1024) * mem.flashPerKb),
      );
      return {
        free: mem.total - usage,
        usage,
        total: mem.total,
        history: 0,
        gc: 0,
        gctime: 0,
        blocksize: boot.chip === 'ESP8266' ? 12 : 14,
      };
    },
  });

  Object.assign(g, {
    global: g,
    setTimeout: realm.fn(schedule(false)),
    setInterval: realm.fn(schedule(true)),
    clearTimeout: realm.fn(clearer('Timeout')),
    clearInterval: realm.fn(clearer('Interval')),
    getTime: realm.fn(() => hostNow() / 1000),
    getSerial: realm.fn(() => host.serial),
    print: realm.fn(print),
    console: consoleObj,
    btoa: realm.fn(btoaBytes),
    atob: realm.fn(atobBytes),
    require: realm.fn(requireFn),
    Modules: realm.obj({
      addCached: (id: unknown, code: unknown) => {
        const src = typeof code === 'function' ? `(${String(code)})()` : String(code);
        ramCodeChars += src.length;
        modulesCache.set(String(id), evalModule(String(id), src));
      },
      removeCached: (id: unknown) => void modulesCache.delete(String(id)),
      removeAllCached: () => modulesCache.clear(),
      getCached: () => Array.from(modulesCache.keys()),
    }),
    E,
    process,
    JSON: realm.obj({
      stringify: (v: unknown, _replacer: unknown, space: unknown) => jsonStringify(v, space),
      parse: (text: unknown) => jsonParse(realm, text),
    }),
    decodeURIComponent: realm.fn((s: unknown) => decodeURIComponentBytes(realm, s)),
    encodeURIComponent: realm.fn(encodeURIComponentBytes),
  });

  return {
    E,
    runRamCode: runCode,
    runFlashCode(code: string, filename: string): void {
      flashCodeChars += code.length;
      try {
        realm.run(code, filename);
      } catch (e) {
        boot.report(e);
      }
    },
  };
}

/** Formats a value for console output roughly like Espruino. */
function formatValue(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'function') return 'function () { ... }';
  if (v !== null && typeof v === 'object') {
    if (typeof (v as { message?: unknown }).message === 'string' && !Object.keys(v).length) return String(v);
    return jsonStringify(v) ?? String(v);
  }
  return String(v);
}
