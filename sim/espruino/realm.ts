/**
 * One boot of the virtual board: a fresh `vm` context plus the bridge between
 * host code and device code.
 *
 * Isolation rules (tested in test/sim/context.test.ts):
 * - every function device code can reach is created inside the context
 *   (a small wrapper around a host closure), so `fn.constructor` is the
 *   context's `Function`, never the host's;
 * - every object or array handed to device code is built in the context
 *   (`toDevice`), and host exceptions are rethrown as context `Error`s;
 * - host code calls device functions only through a strict-mode trampoline,
 *   so `callback.caller` is `null` and never a host function.
 *
 * The prelude (run before any quirk is applied) defines, in ES5 inside the
 * context, what Espruino has and V8 lacks or does differently: `on`/`emit`/
 * `removeListener`/`removeAllListeners` on every object, `Pin` objects, a
 * `Date` that reads the host clock, and Espruino's `Promise` (callbacks run
 * in later host tasks, unhandled rejections are reported when the rejection
 * is processed).
 */
import vm from 'vm';

/** What a realm needs from the board that owns it. */
export interface RealmHooks {
  /** True while this boot is the running one (false after reboot / power cut). */
  alive(): boolean;
  /** Queues `fn` as a separate task of this boot (host timer, 0 ms). */
  defer(fn: () => void): void;
  /** Reports an uncaught exception of device code. */
  report(err: unknown, prefix?: string): void;
  /** Host clock in ms (fake timers aware). */
  now(): number;
}

/** Host functions the prelude needs, by name. */
export interface PreludeHost {
  pinNumber(p: unknown): number;
  digitalWrite(p: unknown, v: unknown): void;
  digitalRead(p: unknown): number;
  pinMode(p: unknown, m?: unknown): void;
  getPinMode(p: unknown): string;
}

/** A host function exposed to device code; `this` is the device-side receiver. */
export type HostFn = (this: any, ...args: any[]) => unknown;

const HIDDEN_EVENTS = '\u00ffev';
const HIDDEN_PIN = '\u00ffpin';

const PRELUDE = `(function (host) {
  'use strict';
  var apply = Reflect.apply, defineProperty = Object.defineProperty;
  var WM = WeakMap, RealDate = Date, createObject = Object.create;
  function call(f, t, a) { return apply(f, t, a); }
  function hide(o, k, v) { defineProperty(o, k, { value: v, writable: true, configurable: true }); }
  function table(o, create) {
    var t = Object.prototype.hasOwnProperty.call(o, '${HIDDEN_EVENTS}') ? o['${HIDDEN_EVENTS}'] : undefined;
    if (!t && create) { t = {}; hide(o, '${HIDDEN_EVENTS}', t); }
    return t;
  }
  function listeners(o, name) {
    var t = table(o, false), l = t && t[name];
    return l ? l.slice() : [];
  }
  function method(name, fn) { hide(Object.prototype, name, fn); }
  method('on', function (name, fn) {
    var t = table(this, true);
    (t[name] || (t[name] = [])).push(fn);
    return this;
  });
  method('emit', function (name) {
    var args = [], l = listeners(this, name), i;
    for (i = 1; i < arguments.length; i++) args.push(arguments[i]);
    for (i = 0; i < l.length; i++) apply(l[i], this, args);
  });
  method('removeListener', function (name, fn) {
    var t = table(this, false), l = t && t[name], i;
    if (!l) return;
    for (i = 0; i < l.length; i++) if (l[i] === fn) { l.splice(i, 1); break; }
    if (!l.length) delete t[name];
  });
  method('removeAllListeners', function (name) {
    var t = table(this, false);
    if (!t) return;
    if (name === undefined) { for (var k in t) delete t[k]; } else delete t[name];
  });

  var pins = {};
  function Pin(p) {
    var n = host.pinNumber(p);
    if (!pins[n]) { pins[n] = createObject(Pin.prototype); hide(pins[n], '${HIDDEN_PIN}', n); }
    return pins[n];
  }
  Pin.prototype.valueOf = function () { return this['${HIDDEN_PIN}']; };
  Pin.prototype.toString = function () { return 'D' + this['${HIDDEN_PIN}']; };
  Pin.prototype.read = function () { return !!host.digitalRead(this); };
  Pin.prototype.write = function (v) { host.digitalWrite(this, v); };
  Pin.prototype.set = function () { host.digitalWrite(this, 1); };
  Pin.prototype.reset = function () { host.digitalWrite(this, 0); };
  Pin.prototype.toggle = function () { var v = !host.digitalRead(this); host.digitalWrite(this, v); return v; };
  Pin.prototype.mode = function (m) { host.pinMode(this, m); };
  Pin.prototype.getMode = function () { return host.getPinMode(this); };

  function EspruinoDate(a, b, c, d, e, f, g) {
    var n = arguments.length;
    if (!(this instanceof EspruinoDate)) return new RealDate(host.now()).toString();
    if (n === 0) return new RealDate(host.now());
    if (n === 1) return new RealDate(a);
    if (n === 2) return new RealDate(a, b);
    if (n === 3) return new RealDate(a, b, c);
    if (n === 4) return new RealDate(a, b, c, d);
    if (n === 5) return new RealDate(a, b, c, d, e);
    if (n === 6) return new RealDate(a, b, c, d, e, f);
    return new RealDate(a, b, c, d, e, f, g);
  }
  EspruinoDate.prototype = RealDate.prototype;
  hide(RealDate.prototype, 'constructor', EspruinoDate);
  EspruinoDate.now = function () { return host.now(); };
  EspruinoDate.parse = RealDate.parse;

  var state = new WM();
  function Promise(executor) {
    if (!(this instanceof Promise)) throw new Error('Promise must be called with new');
    var self = this;
    state.set(self, { s: 0, v: undefined, h: [], handled: false });
    try {
      executor(function (v) { resolve(self, v); }, function (e) { settle(self, 2, e); });
    } catch (e) { settle(self, 2, e); }
  }
  function resolve(p, v) {
    if (state.get(p).s) return;
    if (v && (typeof v === 'object' || typeof v === 'function')) {
      var then, done = false;
      try { then = v.then; } catch (e) { settle(p, 2, e); return; }
      if (typeof then === 'function') {
        try {
          apply(then, v, [function (x) { if (!done) { done = true; resolve(p, x); } },
                          function (e) { if (!done) { done = true; settle(p, 2, e); } }]);
        } catch (e) { if (!done) { done = true; settle(p, 2, e); } }
        return;
      }
    }
    settle(p, 1, v);
  }
  function settle(p, s, v) {
    var st = state.get(p);
    if (st.s) return;
    st.s = s; st.v = v;
    var hs = st.h; st.h = [];
    for (var i = 0; i < hs.length; i++) run(p, hs[i]);
    if (s === 2) host.defer(function () { if (!st.handled) host.unhandled(v); });
  }
  function run(p, h) {
    var st = state.get(p);
    host.defer(function () {
      var cb = st.s === 1 ? h.f : h.r, x;
      if (typeof cb !== 'function') {
        if (st.s === 1) resolve(h.p, st.v); else settle(h.p, 2, st.v);
        return;
      }
      try { x = cb(st.v); } catch (e) { settle(h.p, 2, e); return; }
      resolve(h.p, x);
    });
  }
  hide(Promise.prototype, 'then', function (f, r) {
    var st = state.get(this), np = new Promise(function () {});
    var h = { f: f, r: r, p: np };
    st.handled = true;
    if (st.s) run(this, h); else st.h.push(h);
    return np;
  });
  hide(Promise.prototype, 'catch', function (r) { return this.then(undefined, r); });
  Promise.resolve = function (v) {
    if (v instanceof Promise) return v;
    return new Promise(function (res) { res(v); });
  };
  Promise.reject = function (e) { return new Promise(function (res, rej) { rej(e); }); };
  Promise.all = function (items) {
    return new Promise(function (res, rej) {
      var out = [], left = items.length, i;
      if (!left) { res(out); return; }
      function one(i) {
        Promise.resolve(items[i]).then(function (v) { out[i] = v; if (--left === 0) res(out); }, rej);
      }
      for (i = 0; i < items.length; i++) one(i);
    });
  };

  return { call: call, listeners: listeners, Pin: Pin, Date: EspruinoDate, Promise: Promise };
})`;

/** The device-side pieces defined by the prelude. */
interface PreludeExports {
  call(f: unknown, t: unknown, a: unknown[]): unknown;
  listeners(o: object, name: string): unknown[];
  Pin: (p: unknown) => object;
  Date: unknown;
  Promise: unknown;
}

/** A fresh context for one boot, with the host/device bridge. */
export class Realm {
  /** The vm context. */
  readonly context: vm.Context;
  /** The context's global object (device `global`). */
  readonly global: Record<string, any>;
  /** Device-side `Pin` constructor. */
  readonly Pin: (p: unknown) => object;
  private readonly _hooks: RealmHooks;
  private readonly _ctxObjectProto: object;
  private readonly _ctxArray: ArrayConstructor;
  private readonly _ctxError: ErrorConstructor;
  private readonly _ctxUint8: Uint8ArrayConstructor;
  private readonly _makeFn: (bridge: (self: unknown, args: IArguments) => unknown) => Function;
  private readonly _prelude: PreludeExports;
  private readonly _wrapped = new WeakMap<Function, Function>();
  private _depth = 0;

  /** Creates the context and runs the prelude; `host` provides the pin functions the prelude needs. */
  constructor(hooks: RealmHooks, host: PreludeHost) {
    this._hooks = hooks;
    this.context = vm.createContext({});
    this.global = vm.runInContext('this', this.context);
    this._ctxObjectProto = vm.runInContext('Object.prototype', this.context);
    this._ctxArray = vm.runInContext('Array', this.context);
    this._ctxError = vm.runInContext('Error', this.context);
    this._ctxUint8 = vm.runInContext('Uint8Array', this.context);
    this._makeFn = vm.runInContext(
      '(function (bridge) { return function () { return bridge(this, arguments); }; })',
      this.context,
    );
    const hostBag = this.obj({
      ...host,
      now: () => hooks.now(),
      defer: (fn: unknown) => hooks.defer(() => this.invoke(fn, undefined, [])),
      unhandled: (v: unknown) => hooks.report(v, 'Unhandled promise rejection: '),
    });
    const prelude = vm.runInContext(PRELUDE, this.context, { filename: 'prelude.js' });
    this._prelude = prelude(hostBag) as PreludeExports;
    this.Pin = this._prelude.Pin;
    this.global.Pin = this._prelude.Pin;
    this.global.Date = this._prelude.Date;
    this.global.Promise = this._prelude.Promise;
  }

  /** Wraps a host function so device code can call it; the wrapper is a context function. */
  fn(host: HostFn): Function {
    const cached = this._wrapped.get(host);
    if (cached) return cached;
    const wrapped = this._makeFn((self, args) => {
      if (!this._hooks.alive()) throw this.error('The board has been reset');
      try {
        return this.toDevice(host.apply(self, Array.prototype.slice.call(args)));
      } catch (e) {
        throw this.toDeviceError(e);
      }
    });
    this._wrapped.set(host, wrapped);
    return wrapped;
  }

  /** A context object with the given (converted) properties. */
  obj(props: Record<string, unknown> = {}): Record<string, any> {
    const o: Record<string, any> = Object.create(this._ctxObjectProto);
    for (const k of Object.keys(props)) o[k] = this.toDevice(props[k]);
    return o;
  }

  /** A context array of the given (converted) items. */
  arr(items: unknown[]): any[] {
    const a = new this._ctxArray();
    for (const item of items) a.push(this.toDevice(item));
    return a;
  }

  /** A context `Error`. */
  error(message: string): Error {
    return new this._ctxError(message);
  }

  /** A context `Uint8Array` copy of the bytes. */
  bytes(b: Uint8Array): Uint8Array {
    const u = new this._ctxUint8(b.length);
    u.set(b);
    return u;
  }

  /**
   * Converts a host value for device code: primitives pass, host functions are
   * wrapped, host arrays / plain objects / errors are rebuilt in the context,
   * context values pass unchanged. Any other host object is a bug.
   */
  toDevice(v: unknown): any {
    if (v === null || (typeof v !== 'object' && typeof v !== 'function')) return v;
    if (typeof v === 'function') return v instanceof Function ? this.fn(v as HostFn) : v;
    if (!(v instanceof Object)) return v;
    if (Array.isArray(v)) return this.arr(v);
    if (v instanceof Error) return this.error(v.message);
    if (v instanceof Uint8Array) return this.bytes(v);
    const proto = Object.getPrototypeOf(v);
    if (proto === Object.prototype || proto === null) return this.obj(v as Record<string, unknown>);
    throw new TypeError('internal: host object leaked to device code');
  }

  /** Converts anything thrown on the host into a context value. */
  toDeviceError(e: unknown): unknown {
    if (e instanceof Error) return this.error(e.message);
    return this.toDevice(e);
  }

  /** True if `v` is a context-realm function. */
  isFunction(v: unknown): v is Function {
    return typeof v === 'function' && !(v instanceof Function);
  }

  /** True while device code is running (host calls made from it must queue, not re-enter). */
  get busy(): boolean {
    return this._depth > 0;
  }

  /** Runs source text in the context (global scope); exceptions propagate. */
  run(code: string, filename: string): unknown {
    this._depth++;
    try {
      return vm.runInContext(code, this.context, { filename });
    } finally {
      this._depth--;
    }
  }

  /** Calls a device function through the strict trampoline; exceptions propagate. */
  call(fn: unknown, self: unknown, args: unknown[]): unknown {
    this._depth++;
    try {
      return this._prelude.call(fn, self, this.arr(args));
    } finally {
      this._depth--;
    }
  }

  /**
   * Calls a device function as an event/timer callback: does nothing once the
   * boot is over, and reports (never rethrows) an uncaught exception.
   */
  invoke(fn: unknown, self: unknown, args: unknown[]): void {
    if (!this._hooks.alive() || !this.isFunction(fn)) return;
    try {
      this.call(fn, self, args);
    } catch (e) {
      if (this._hooks.alive()) this._hooks.report(e);
    }
  }

  /** Device listeners registered with `obj.on(name, fn)` (a copy). */
  listeners(obj: object, name: string): unknown[] {
    return Array.from(this._prelude.listeners(obj, name));
  }

  /** Calls each listener of `obj` for `name`, each isolated like an Espruino event callback. */
  emit(obj: object, name: string, args: unknown[]): void {
    for (const l of this.listeners(obj, name)) this.invoke(l, obj, args);
  }
}
