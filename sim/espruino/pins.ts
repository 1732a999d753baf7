/**
 * GPIO of the virtual board: `D0`…`D39` (ESP32) / `D0`…`D16` (ESP8266) Pin
 * objects, `digitalWrite`/`digitalRead`/`pinMode`/`getPinMode`/`analogWrite`,
 * `setWatch`/`clearWatch` and `require('neopixel')`.
 *
 * Behaviours (Espruino's):
 * - a pin may be a Pin object, a number or a 'D2'-style string;
 * - without an explicit `pinMode`, `digitalWrite` makes the pin an output and
 *   `digitalRead` (and `setWatch`) makes it an input again;
 * - `digitalWrite([p1, p2], v)` writes bits, the last pin gets bit 0;
 * - `setWatch(fn, pin, {repeat, edge, debounce})`: edge 'rising' | 'falling' |
 *   'both' (default, or 1/-1/0), debounce in ms (default 0: every edge);
 *   the callback gets `{state, time, lastTime}` in seconds like `getTime()`,
 *   queued like an Espruino event; a non-repeating watch is removed after it
 *   fires;
 * - `clearWatch()` removes all, `clearWatch(undefined)` and an unknown id
 *   throw.
 * Not emulated: ESP8266's 16-edge watch queue can only overflow while
 * JavaScript is busy, which never happens between two host calls.
 */
import { hostNow } from './host';
import type { Boot } from './boot';
import type { Chip } from './types';

type Edge = 1 | -1 | 0;

interface Watch {
  id: number;
  pin: number;
  fn: unknown;
  repeat: boolean;
  edge: Edge;
  debounce: number;
  state: number;
  lastTime: number;
  timer?: object;
}

interface PinState {
  mode: string;
  forced: boolean;
}

/** Board-side pin state and the device API installer. */
export class PinBank {
  /** Output levels by pin number (digital 0/1 or analog 0..1). */
  readonly levels = new Map<number, number>();
  private readonly _inputs = new Map<number, number>();
  private readonly _state = new Map<number, PinState>();
  private _watches = new Map<number, Watch>();
  private _nextWatch = 1;
  private _boot: Boot | null = null;

  /**
   * @param _chip decides the pin count
   * @param _emit board event sink ('pin', 'neopixel')
   */
  constructor(
    private readonly _chip: Chip,
    private readonly _emit: (event: 'pin' | 'neopixel', payload: unknown) => void,
  ) {}

  /** Number of pins (D0..D(count-1)). */
  get count(): number {
    return this._chip === 'ESP32' ? 40 : 17;
  }

  /** Resolves a Pin object, number or 'D2' string; throws on an invalid pin. */
  pinNumber(p: unknown): number {
    let n: number;
    if (typeof p === 'string') n = /^D\d+$/.test(p) ? parseInt(p.substr(1), 10) : NaN;
    else n = Number(p);
    if (!Number.isInteger(n) || n < 0 || n >= this.count) throw new Error(`Invalid pin: ${String(p)}`);
    return n;
  }

  /** Starts a boot: outputs float, watches are gone. */
  attach(boot: Boot): void {
    this._boot = boot;
    this.levels.clear();
    this._state.clear();
    this._watches = new Map();
    this._nextWatch = 1;
  }

  /** Ends a boot: watches are gone (their debounce timers die with the boot's timers). */
  detach(): void {
    this._boot = null;
    this._watches = new Map();
  }

  /** Host side: drives an input pin (a button) and fires matching watches. */
  setInput(pin: number | string, value: boolean | number): void {
    const n = this.pinNumber(pin);
    const v = value ? 1 : 0;
    const old = this._inputLevel(n);
    this._inputs.set(n, v);
    if (old === v) return;
    const time = hostNow() / 1000;
    for (const w of Array.from(this._watches.values())) {
      if (w.pin !== n) continue;
      if (w.debounce > 0) {
        const boot = this._boot as Boot;
        boot.timers.cancel(w.timer);
        w.timer = boot.timers.after(w.debounce, () => {
          w.timer = undefined;
          const now = this._inputLevel(n);
          if (now !== w.state) {
            w.state = now;
            this._fire(w, now, time);
          }
        });
      } else {
        w.state = v;
        this._fire(w, v, time);
      }
    }
  }

  /** Host functions the realm prelude needs for Pin objects. */
  preludeHost(): {
    pinNumber: (p: unknown) => number;
    digitalWrite: (p: unknown, v: unknown) => void;
    digitalRead: (p: unknown) => number;
    pinMode: (p: unknown, m?: unknown) => void;
    getPinMode: (p: unknown) => string;
  } {
    return {
      pinNumber: (p) => this.pinNumber(p),
      digitalWrite: (p, v) => this._digitalWrite(p, v),
      digitalRead: (p) => this._digitalRead(p),
      pinMode: (p, m) => this._pinMode(p, m),
      getPinMode: (p) => this._mode(this.pinNumber(p)).mode,
    };
  }

  /** Installs the pin globals into the boot's context. */
  install(boot: Boot): void {
    const { realm } = boot;
    const g = realm.global;
    for (let i = 0; i < this.count; i++) g['D' + i] = realm.Pin(i);
    const host = this.preludeHost();
    Object.assign(g, {
      digitalWrite: realm.fn(host.digitalWrite),
      digitalRead: realm.fn(host.digitalRead),
      pinMode: realm.fn(host.pinMode),
      getPinMode: realm.fn(host.getPinMode),
      analogWrite: realm.fn((p: unknown, value: unknown) => {
        const n = this.pinNumber(p);
        const v = Math.max(0, Math.min(1, Number(value) || 0));
        this._autoMode(n, 'output');
        this.levels.set(n, v);
        this._emit('pin', { pin: n, value: v });
      }),
      setWatch: realm.fn((fn: unknown, p: unknown, opts: unknown) => this._setWatch(fn, p, opts)),
      clearWatch: realm.fn((...ids: unknown[]) => this._clearWatch(ids)),
    });
  }

  /** The device `require('neopixel')` module. */
  neopixelModule(boot: Boot): unknown {
    return boot.realm.obj({
      write: (p: unknown, data: unknown) => {
        const n = this.pinNumber(p);
        const bytes =
          typeof data === 'string'
            ? Array.from(data, (c) => c.charCodeAt(0) & 0xff)
            : Array.from(data as ArrayLike<number>, (v) => Number(v) & 0xff);
        this._autoMode(n, 'output');
        this._emit('neopixel', { pin: n, data: bytes });
      },
    });
  }

  private _mode(n: number): PinState {
    return this._state.get(n) ?? { mode: 'input', forced: false };
  }

  private _autoMode(n: number, mode: string): void {
    if (!this._mode(n).forced) this._state.set(n, { mode, forced: false });
  }

  private _inputLevel(n: number): number {
    return this._inputs.get(n) ?? (this._mode(n).mode === 'input_pullup' ? 1 : 0);
  }

  private _pins(p: unknown): number[] {
    return Array.isArray(p) ? p.map((x) => this.pinNumber(x)) : [this.pinNumber(p)];
  }

  private _digitalWrite(p: unknown, v: unknown): void {
    const pins = this._pins(p);
    const value = Array.isArray(p) ? Number(v) : v ? 1 : 0;
    pins.forEach((n, i) => {
      const bit = Array.isArray(p) ? (value >> (pins.length - 1 - i)) & 1 : (value as number);
      this._autoMode(n, 'output');
      this.levels.set(n, bit);
      this._emit('pin', { pin: n, value: bit });
    });
  }

  private _digitalRead(p: unknown): number {
    const pins = this._pins(p);
    let out = 0;
    for (const n of pins) {
      this._autoMode(n, 'input');
      const mode = this._mode(n).mode;
      const bit = mode === 'output' || mode === 'opendrain' ? (this.levels.get(n) ?? 0) : this._inputLevel(n);
      out = (out << 1) | (bit ? 1 : 0);
    }
    return out;
  }

  private _pinMode(p: unknown, m?: unknown): void {
    const n = this.pinNumber(p);
    if (m === undefined || m === 'auto') {
      this._state.set(n, { mode: this._mode(n).mode, forced: false });
      return;
    }
    const mode = String(m);
    const known = ['analog', 'input', 'input_pullup', 'input_pulldown', 'output', 'opendrain', 'af_output', 'af_opendrain'];
    if (!known.includes(mode)) throw new Error(`Unknown pin mode ${mode}`);
    this._state.set(n, { mode, forced: true });
  }

  private _setWatch(fn: unknown, p: unknown, opts: unknown): number {
    const n = this.pinNumber(p);
    const o = (opts !== null && typeof opts === 'object' ? opts : { repeat: !!opts }) as Record<string, unknown>;
    const edges: Record<string, Edge> = { rising: 1, falling: -1, both: 0 };
    const edge: Edge = typeof o.edge === 'string' ? (edges[o.edge] ?? 0) : o.edge === 1 || o.edge === -1 ? o.edge : 0;
    this._autoMode(n, 'input');
    const w: Watch = {
      id: this._nextWatch++,
      pin: n,
      fn,
      repeat: !!o.repeat,
      edge,
      debounce: Math.max(0, Number(o.debounce) || 0),
      state: this._inputLevel(n),
      lastTime: hostNow() / 1000,
    };
    this._watches.set(w.id, w);
    return w.id;
  }

  private _clearWatch(ids: unknown[]): void {
    const boot = this._boot as Boot;
    if (ids.length === 0) {
      for (const w of this._watches.values()) boot.timers.cancel(w.timer);
      this._watches.clear();
      return;
    }
    if (ids[0] === undefined) throw new Error('clearWatch(undefined) not allowed. Use clearWatch() instead.');
    const w = this._watches.get(Number(ids[0]));
    if (!w) throw new Error('Unknown Watch');
    boot.timers.cancel(w.timer);
    this._watches.delete(w.id);
  }

  private _fire(w: Watch, state: number, time: number): void {
    if ((w.edge === 1 && !state) || (w.edge === -1 && state)) return;
    const boot = this._boot as Boot;
    const lastTime = w.lastTime;
    w.lastTime = time;
    if (!w.repeat) this._watches.delete(w.id);
    boot.defer(() => {
      boot.realm.invoke(w.fn, undefined, [boot.realm.obj({ state: !!state, time, lastTime })]);
    });
  }
}
