/**
 * Bench section 2: an ESTIMATE of the Espruino variable blocks (JsVars) the
 * loaded ESP8266 bundle uses, in WAIT_CONFIG and in RUNNING, on the
 * simulated board. The simulated board runs device code in V8, so nothing
 * here is a measurement of Espruino: it is a count of what Espruino would
 * allocate for the values the device code holds at that moment.
 *
 * Method
 * 1. A simulated ESP8266 runs `dist/esp8266.js` as boot code (from flash, as
 *    the library must be deployed), reaches WAIT_CONFIG, then is provisioned
 *    by the simulated phone against the simulated cloud and reaches RUNNING.
 * 2. In each state the device's object graph is walked from the host, from
 *    the device's `global` (obtained with `board.evaluate('global')`):
 *    - roots: the globals a board without code does not have (a fresh board
 *      of the same chip gives the baseline names), and the event listeners
 *      registered on built-in objects (globals of the baseline, the chip's
 *      modules from `require`);
 *    - every value reachable through own properties, array elements and
 *      listeners, and through closures: the V8 inspector (`node:inspector`,
 *      in process) gives each bundle function's `[[FunctionLocation]]` and
 *      `[[Scopes]]`, i.e. the variables it captured and their values. The
 *      location is mapped (acorn) to the function in the bundle source, and
 *      each captured scope (innermost first) to the next enclosing function
 *      that has a closure context, i.e. one of whose variables a nested
 *      function uses (acorn resolves every identifier of the bundle: the
 *      minified names repeat, so names alone are ambiguous). That scope is
 *      an activation of that function. V8 keeps only captured variables;
 *      Espruino keeps every parameter, `var` and inner function declaration
 *      of a live activation, so the activation is costed from the acorn
 *      declaration list: captured variables with their values, inner
 *      function declarations as function objects, other variables one block
 *      (value unknown). Two activations of the same function with identical
 *      captured values count once.
 *    - built-in objects and functions that are not bundle code (the
 *      emulation's modules and methods; native on the board) cost nothing;
 *      a property whose value is such a method costs nothing either (on the
 *      board it lives on a prototype).
 * 3. Cost model (blocks; `COST` below): object, array, function, activation
 *    1 each; a property or variable name 1 plus 1 per 10 characters beyond
 *    the first 10; number, boolean, null 1; string ceil(length / 8) on
 *    ESP8266 (ceil(length / 10) on ESP32), at least 1; array element 1 plus
 *    its value; function: 1 per parameter, 2 for its code (a name and a
 *    pointer to flash: the body stays in flash) and 1 for its scope link; an
 *    event listener: the `#on<event>` name, plus an array when several.
 *    Deployed into RAM instead of flash, the code text costs about 80 blocks
 *    per KB of minified source on top (docs/espruino-runtime.md).
 *
 * Not counted: pending timers and pin watches (held by the emulation; a few
 * blocks each on the board), callbacks held only by the emulation
 * (HTTP server handler, socket handlers) unless the bundle also keeps them,
 * the firmware's own baseline (a board without code), garbage not yet
 * collected, and fragmentation.
 *
 * How to check on a real board: read `process.memory().usage` over the
 * console with no firmware running (the baseline), then with the firmware
 * deployed from flash in WAIT_CONFIG and in RUNNING; the differences are
 * what this estimates. `E.getSizeOf(global.$edgent)` counts the blocks
 * reachable from the firmware's root object.
 */
import { Session } from 'node:inspector';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as acorn from 'acorn';
import { createCloudServer } from '../sim/cloud';
import { createSimDevice, DIST } from '../sim/device';
import { createBoard, createRadio } from '../sim/espruino';
import { provision } from '../sim/phone';
import type { State } from '../lib/types';
import { fixed, int, pct, type Table } from './format';

/** The chip and bundle estimated. */
export const CHIP = 'ESP8266' as const;
/** The bundle the simulated board runs. */
export const BUNDLE = 'esp8266.js';
/** Total JsVars of an ESP8266 (4 MB module). */
export const TOTAL_BLOCKS = 1600;

/** The cost model, in blocks (see the module header). */
export const COST = {
  /** Characters of string data per block: ~8 on ESP8266 (12-byte JsVars), ~10 on ESP32. */
  stringCharsPerBlock: CHIP === 'ESP8266' ? 8 : 10,
  /** Characters of a property or variable name held in its first block. */
  nameInlineChars: 10,
  /** Characters per further block of a long name. */
  nameCharsPerBlock: 10,
  /** An object, array, function or activation (scope) itself. */
  container: 1,
  /** A number, boolean or null value. */
  scalar: 1,
  /** An array element's slot (its index name). */
  element: 1,
  /** A function parameter (a name on the function). */
  parameter: 1,
  /** A function's code when run from flash: the code name and a pointer into flash. */
  flashCode: 2,
  /** A function's link to the scope it was created in. */
  scopeLink: 1,
  /** A variable whose value the walk cannot see (not captured by any live closure in V8). */
  unknownValue: 1,
  /** Code text held in RAM, blocks per KB (1024 B) of minified source. */
  ramPerMinifiedKb: 80,
};

/** Where blocks went. */
export type Category = 'function objects' | 'activations (scopes)' | 'objects & arrays' | 'strings' | 'numbers, booleans, null' | 'event listeners';
const CATEGORIES: Category[] = ['function objects', 'activations (scopes)', 'objects & arrays', 'strings', 'numbers, booleans, null', 'event listeners'];

/** The estimate for one state. */
export interface MemoryEstimate {
  state: State;
  /** Blocks by category, deployed from flash. */
  categories: Record<Category, number>;
  /** Total blocks, deployed from flash. */
  flash: number;
  /** Total blocks if the same bundle were uploaded into RAM. */
  ram: number;
  /** What was walked. */
  counts: { functions: number; activations: number; objects: number; strings: number; unmatchedScopes: number };
  /** `process.memory().usage` of the simulated board (its own coarse model: base + code size), for comparison. */
  simUsage: number;
}

/** Section result. */
export interface MemoryReport {
  chip: typeof CHIP;
  bundle: string;
  minifiedBytes: number;
  totalBlocks: number;
  cost: typeof COST;
  method: string;
  states: MemoryEstimate[];
}

/** Sim bookkeeping lives in own properties whose name starts with \xFF (listener tables, pin numbers), like Espruino's hidden ones. */
const HIDDEN_PREFIX = '\u00ff';
/** Own properties of V8 functions that Espruino functions do not have. */
const V8_FUNCTION_PROPS = new Set(['length', 'name', 'arguments', 'caller', 'prototype']);

/** A function of the bundle source with the names its activation declares. */
interface FnNode {
  start: number;
  end: number;
  parent: FnNode | null;
  params: number;
  /** Own name of a function expression (bound in a scope of its own). */
  ownName: string | null;
  /** Parameters, vars and inner function declarations (the function object, for those). */
  declared: Map<string, FnNode | null>;
  /** A nested function refers to one of its variables, so its activations have a closure context in V8. */
  needsContext: boolean;
}

type AnyNode = acorn.Node & Record<string, any>;

const isFunction = (n: AnyNode) => n.type === 'FunctionDeclaration' || n.type === 'FunctionExpression' || n.type === 'ArrowFunctionExpression';

/** Calls `fn` for every child node of `node` with the key it hangs under. */
function eachChild(node: AnyNode, fn: (child: AnyNode, key: string) => void): void {
  for (const key of Object.keys(node)) {
    const v = node[key];
    for (const child of Array.isArray(v) ? v : [v]) if (child && typeof child === 'object' && typeof child.type === 'string') fn(child, key);
  }
}

/** True if an Identifier under `parent[key]` reads or writes a variable (not a property name, label or declaration). */
function isReference(parent: AnyNode, key: string): boolean {
  if ((parent.type === 'MemberExpression' || parent.type === 'Property') && !parent.computed && key === (parent.type === 'Property' ? 'key' : 'property')) return false;
  if (isFunction(parent) && (key === 'id' || key === 'params')) return false;
  if (parent.type === 'VariableDeclarator' && key === 'id') return false;
  if (parent.type === 'CatchClause' && key === 'param') return false;
  return !['LabeledStatement', 'BreakStatement', 'ContinueStatement'].includes(parent.type);
}

/**
 * Parses the bundle and lists its functions: what each activation declares and
 * whether a nested function captures one of its variables (resolved lexically;
 * a `catch` parameter is a scope of its own).
 */
function functionsOf(source: string): FnNode[] {
  const ast = acorn.parse(source, { ecmaVersion: 'latest', sourceType: 'script' }) as AnyNode;
  const byNode = new Map<AnyNode, FnNode>();
  const declare = (node: AnyNode, fn: FnNode | null): void => {
    let here = fn;
    if (isFunction(node)) {
      here = {
        start: node.start,
        end: node.end,
        parent: fn,
        params: node.params.length,
        ownName: node.type === 'FunctionExpression' && node.id ? node.id.name : null,
        declared: new Map(),
        needsContext: false,
      };
      for (const p of node.params as AnyNode[]) if (p.type === 'Identifier') here.declared.set(p.name, null);
      byNode.set(node, here);
    }
    if (node.type === 'VariableDeclarator' && node.id.type === 'Identifier' && fn && !fn.declared.has(node.id.name)) fn.declared.set(node.id.name, null);
    eachChild(node, (child) => declare(child, here));
    if (node.type === 'FunctionDeclaration' && fn && node.id) fn.declared.set(node.id.name, here);
  };
  declare(ast, null);
  // Scopes from the innermost: a function, or the parameter of a catch clause.
  const stack: Array<FnNode | string> = [];
  const resolve = (node: AnyNode, parent: AnyNode | null, key: string): void => {
    const fn = byNode.get(node);
    if (fn) stack.push(fn);
    if (node.type === 'CatchClause' && node.param?.type === 'Identifier') stack.push(node.param.name);
    if (node.type === 'Identifier' && parent && isReference(parent, key)) {
      const inner = [...stack].reverse().find((s): s is FnNode => typeof s !== 'string');
      for (let i = stack.length - 1; i >= 0; i--) {
        const s = stack[i];
        if (typeof s === 'string' ? s === node.name : s.declared.has(node.name) || s.ownName === node.name) {
          if (typeof s !== 'string' && s !== inner && s.declared.has(node.name)) s.needsContext = true;
          break;
        }
      }
    }
    eachChild(node, (child, k) => resolve(child, node, k));
    if (node.type === 'CatchClause' && node.param?.type === 'Identifier') stack.pop();
    if (fn) stack.pop();
  };
  resolve(ast, null, '');
  return [...byNode.values()].sort((a, b) => a.start - b.start);
}

/** One in-process inspector call (the session answers synchronously). */
function post(session: Session, method: string, params: object): any {
  let result: unknown;
  let error: Error | null = null;
  let answered = false;
  (session.post as (m: string, p: object, cb: (e: Error | null, r: unknown) => void) => void)(method, params, (e, r) => {
    answered = true;
    error = e;
    result = r;
  });
  if (!answered) throw new Error(`inspector ${method}: no synchronous answer`);
  if (error) throw error;
  return result;
}

/** An inspector value: a primitive or a handle on an object. */
interface Remote {
  type: string;
  subtype?: string;
  value?: unknown;
  unserializableValue?: string;
  objectId?: string;
  description?: string;
}

/**
 * Counts the blocks reachable from a device's global (see the module header).
 * One instance per walk; `run()` returns the tally.
 */
class Walker {
  private readonly session = new Session();
  private readonly group = 'bench-memory';
  private readonly probeKey = '__benchMemoryProbe';
  private readonly sinkKey = '__benchMemorySink';
  private readonly lineStarts: number[] = [0];
  private readonly visited = new Set<object>();
  private readonly builtins = new Set<object>();
  private readonly ids = new WeakMap<object, number>();
  private nextId = 1;
  private readonly activations = new Set<string>();
  /** Function nodes with a live function object (walked). */
  private readonly liveNodes = new Set<FnNode>();
  /** Inner function declarations of activations whose function object V8 did not keep: costed at the end. */
  private readonly pendingDecls: FnNode[] = [];
  private readonly queue: object[] = [];
  private pulled: unknown;
  readonly blocks: Record<Category, number> = Object.fromEntries(CATEGORIES.map((c) => [c, 0])) as Record<Category, number>;
  readonly counts = { functions: 0, activations: 0, objects: 0, strings: 0, unmatchedScopes: 0 };

  constructor(
    private readonly source: string,
    private readonly fns: FnNode[],
  ) {
    for (let i = 0; i < source.length; i++) if (source.charCodeAt(i) === 10) this.lineStarts.push(i + 1);
  }

  /** Walks from `global`: the globals not in `baseline` and the listeners on built-in objects. */
  run(global: Record<string, unknown>, baseline: Set<string>, modules: object[]): void {
    this.session.connect();
    const g = globalThis as Record<string, unknown>;
    g[this.sinkKey] = (v: unknown) => void (this.pulled = v);
    try {
      // The global itself is built in, but only the values of its baseline names are walked as built-ins.
      this.builtins.add(global);
      this.markBuiltins([...[...baseline].map((k) => this.own(global, k)), ...modules]);
      for (const name of Object.getOwnPropertyNames(global)) {
        if (!baseline.has(name)) this.property(name, this.own(global, name));
      }
      for (const b of this.builtins) this.listeners(b);
      while (this.queue.length) this.visit(this.queue.pop() as object);
      for (const decl of this.pendingDecls) if (!this.liveNodes.has(decl)) this.add('function objects', this.functionCost(decl));
    } finally {
      delete g[this.sinkKey];
      delete g[this.probeKey];
      post(this.session, 'Runtime.releaseObjectGroup', { objectGroup: this.group });
      this.session.disconnect();
    }
  }

  private add(c: Category, n: number): void {
    this.blocks[c] += n;
  }

  /** An own data property's value, without running getters. */
  private own(o: object, key: string): unknown {
    const d = Object.getOwnPropertyDescriptor(o, key);
    return d && 'value' in d ? d.value : undefined;
  }

  private isObject(v: unknown): v is object {
    return v !== null && (typeof v === 'object' || typeof v === 'function');
  }

  /** Built-in objects: the roots given and everything their own properties reach (listener tables and bundle code excluded). */
  private markBuiltins(roots: unknown[]): void {
    const todo = roots.filter((r) => this.isObject(r)) as object[];
    while (todo.length) {
      const o = todo.pop() as object;
      if (this.builtins.has(o) || (typeof o === 'function' && this.fnNode(o))) continue;
      this.builtins.add(o);
      for (const k of Object.getOwnPropertyNames(o)) {
        const v = this.own(o, k);
        if (!k.startsWith(HIDDEN_PREFIX) && this.isObject(v)) todo.push(v);
      }
    }
  }

  private nameBlocks(name: string): number {
    return 1 + Math.ceil(Math.max(0, name.length - COST.nameInlineChars) / COST.nameCharsPerBlock);
  }

  /** Blocks of a value where it is referenced; objects are queued and costed once, where they are visited. */
  private value(v: unknown): void {
    if (v === undefined) return;
    if (typeof v === 'string') {
      this.counts.strings++;
      this.add('strings', Math.max(1, Math.ceil(v.length / COST.stringCharsPerBlock)));
    } else if (!this.isObject(v)) {
      this.add('numbers, booleans, null', COST.scalar);
    } else if (!this.builtins.has(v) && !this.visited.has(v)) {
      this.queue.push(v);
    }
  }

  /** A named property or variable: its name, then its value (a method that is not bundle code costs nothing). */
  private property(name: string, v: unknown, category: Category = 'objects & arrays'): void {
    if (typeof v === 'function' && !this.fnNode(v)) return;
    this.add(category, this.nameBlocks(name));
    this.value(v);
  }

  /** Listeners the emulation keeps in a hidden table on `o`, costed as Espruino's `#on<event>` properties. */
  private listeners(o: object): void {
    for (const k of Object.getOwnPropertyNames(o)) {
      const table = k.startsWith(HIDDEN_PREFIX) ? this.own(o, k) : undefined;
      if (!this.isObject(table) || typeof table === 'function') continue;
      for (const event of Object.getOwnPropertyNames(table)) {
        const list = this.own(table, event);
        if (!Array.isArray(list) || list.length === 0 || !list.every((f) => typeof f === 'function')) continue;
        this.add('event listeners', this.nameBlocks('#on' + event) + (list.length > 1 ? COST.container + list.length * COST.element : 0));
        for (const f of list) this.value(f);
      }
    }
  }

  private visit(o: object): void {
    if (this.visited.has(o)) return;
    this.visited.add(o);
    if (typeof o === 'function') return this.visitFunction(o);
    this.counts.objects++;
    this.add('objects & arrays', COST.container);
    if (ArrayBuffer.isView(o) || o instanceof ArrayBuffer || Object.prototype.toString.call(o) === '[object ArrayBuffer]') {
      this.add('strings', Math.ceil((o as ArrayBuffer).byteLength / COST.stringCharsPerBlock));
      return;
    }
    const isArray = Array.isArray(o);
    for (const k of Object.getOwnPropertyNames(o)) {
      if (k.startsWith(HIDDEN_PREFIX) || (isArray && k === 'length')) continue;
      const d = Object.getOwnPropertyDescriptor(o, k) as PropertyDescriptor;
      if (!('value' in d)) {
        this.add('objects & arrays', this.nameBlocks(k) + COST.scalar);
      } else if (isArray && /^\d+$/.test(k)) {
        this.add('objects & arrays', COST.element);
        this.value(d.value);
      } else {
        this.property(k, d.value);
      }
    }
    this.listeners(o);
  }

  /** The bundle function a device function comes from (null: not bundle code). */
  private fnNode(f: object): FnNode | null {
    const loc = this.location(f);
    if (!loc) return null;
    const offset = this.lineStarts[loc.lineNumber] + loc.columnNumber;
    let best: FnNode | null = null;
    for (const n of this.fns) {
      if (n.start > offset) break;
      if (offset < n.end && (!best || n.start >= best.start)) best = n;
    }
    if (!best) return null;
    let text: string;
    try {
      text = Function.prototype.toString.call(f);
    } catch {
      return null;
    }
    return this.source.slice(best.start, best.end) === text ? best : null;
  }

  private readonly locations = new WeakMap<object, { lineNumber: number; columnNumber: number } | null>();
  private readonly remotes = new WeakMap<object, Remote[]>();

  /** Inspector view of a function: its location and its scope list (cached). */
  private inspect(f: object): void {
    if (this.locations.has(f)) return;
    (globalThis as Record<string, unknown>)[this.probeKey] = f;
    const handle = post(this.session, 'Runtime.evaluate', { expression: `globalThis.${this.probeKey}`, objectGroup: this.group }).result as Remote;
    const props = post(this.session, 'Runtime.getProperties', { objectId: handle.objectId, ownProperties: true }).internalProperties as Array<{ name: string; value: Remote }>;
    const loc = props.find((p) => p.name === '[[FunctionLocation]]')?.value.value as { lineNumber: number; columnNumber: number } | undefined;
    this.locations.set(f, loc ?? null);
    const scopes = props.find((p) => p.name === '[[Scopes]]')?.value;
    const list = scopes?.objectId ? (post(this.session, 'Runtime.getProperties', { objectId: scopes.objectId, ownProperties: true }).result as Array<{ name: string; value: Remote }>) : [];
    this.remotes.set(f, list.filter((e) => /^\d+$/.test(e.name)).map((e) => e.value));
  }

  private location(f: object): { lineNumber: number; columnNumber: number } | null {
    this.inspect(f);
    return this.locations.get(f) ?? null;
  }

  /** A host value for an inspector value (objects are fetched through a sink function). */
  private fetch(r: Remote): unknown {
    if (r.type === 'undefined') return undefined;
    if (r.subtype === 'null') return null;
    if (r.unserializableValue !== undefined) return Number(r.unserializableValue);
    if (!r.objectId) return r.value;
    const sink = post(this.session, 'Runtime.evaluate', { expression: `globalThis.${this.sinkKey}`, objectGroup: this.group }).result as Remote;
    this.pulled = undefined;
    post(this.session, 'Runtime.callFunctionOn', {
      objectId: r.objectId,
      functionDeclaration: 'function (sink) { sink(this); }',
      arguments: [{ objectId: sink.objectId }],
      objectGroup: this.group,
    });
    return this.pulled;
  }

  private idOf(v: unknown): string {
    if (!this.isObject(v)) return typeof v + ':' + String(v);
    let id = this.ids.get(v);
    if (id === undefined) this.ids.set(v, (id = this.nextId++));
    return 'o' + id;
  }

  private functionCost(n: FnNode): number {
    return COST.container + n.params * COST.parameter + COST.flashCode + (n.parent ? COST.scopeLink : 0);
  }

  private visitFunction(f: object): void {
    const node = this.fnNode(f);
    if (!node) return;
    this.liveNodes.add(node);
    this.counts.functions++;
    this.add('function objects', this.functionCost(node));
    for (const k of Object.getOwnPropertyNames(f)) {
      if (k.startsWith(HIDDEN_PREFIX)) continue;
      const v = this.own(f, k);
      if (k === 'prototype' && this.isObject(v) && Object.getOwnPropertyNames(v).every((p) => p === 'constructor')) continue;
      if (V8_FUNCTION_PROPS.has(k) && k !== 'prototype') continue;
      this.property(k, v);
    }
    this.listeners(f);
    // V8 lists the closure contexts innermost first: match each to the next enclosing function that has one.
    let cursor = node.parent;
    for (const scope of this.remotes.get(f) ?? []) {
      if (scope.subtype !== 'internal#scope' || !String(scope.description).startsWith('Closure') || !scope.objectId) continue;
      const vars = (post(this.session, 'Runtime.getProperties', { objectId: scope.objectId, ownProperties: true }).result as Array<{ name: string; value?: Remote }>)
        .filter((v) => v.value)
        .map((v) => ({ name: v.name, value: this.fetch(v.value as Remote) }));
      const owner = this.owner(cursor, vars.map((v) => v.name));
      if (owner === 'own-name') continue;
      if (!owner) {
        this.counts.unmatchedScopes++;
        continue;
      }
      cursor = owner.parent;
      this.activation(owner, vars);
    }
  }

  /**
   * The function whose activation holds a V8 closure context with these variable names, searching outwards from
   * `from`: the first function that has a context, if it declares them all; else the first that declares them all.
   * 'own-name': the context holding only a function expression's own name (no activation on the board).
   */
  private owner(from: FnNode | null, names: string[]): FnNode | 'own-name' | null {
    const covers = (n: FnNode) => names.every((name) => n.declared.has(name) || n.ownName === name);
    for (let n = from; n; n = n.parent) {
      if (names.length === 1 && n.ownName === names[0] && !n.declared.has(names[0])) return 'own-name';
      if (n.needsContext) {
        if (covers(n)) return n;
        break;
      }
    }
    for (let n = from; n; n = n.parent) if (covers(n)) return n;
    return null;
  }

  /** Costs the activation of `owner` a captured scope belongs to (once per distinct activation). */
  private activation(owner: FnNode, vars: Array<{ name: string; value: unknown }>): void {
    const key = `${owner.start}|${vars.map((v) => v.name + '=' + this.idOf(v.value)).join(',')}`;
    if (this.activations.has(key)) return;
    this.activations.add(key);
    this.counts.activations++;
    this.add('activations (scopes)', COST.container);
    const captured = new Map(vars.map((v) => [v.name, v.value]));
    for (const [name, decl] of owner.declared) {
      this.add('activations (scopes)', this.nameBlocks(name));
      if (captured.has(name)) this.value(captured.get(name));
      else if (decl) this.pendingDecls.push(decl);
      else this.add('activations (scopes)', COST.unknownValue);
    }
  }
}

/** Global names of a board of the chip running no code. */
async function baselineGlobals(): Promise<Set<string>> {
  const board = createBoard({ chip: CHIP, radio: createRadio([]), httpPort: 0, dnsPort: 0, resolve: () => null });
  await board.ready();
  board.boot();
  const names = new Set(board.evaluate('Object.getOwnPropertyNames(global)') as string[]);
  await board.close();
  return names;
}

/** What the walk needs from the device, read in one REPL evaluation: sim usage, `global`, the chip's modules. */
const PROBE = "[process.memory().usage, global, process.env.MODULES.split(',').map(function (m) { return require(m); })]";

/** Estimates the blocks of the running bundle on `board` now. */
function estimate(board: { evaluate(code: string): unknown }, state: State, source: string, fns: FnNode[], baseline: Set<string>): MemoryEstimate {
  const [simUsage, global, modules] = Array.from(board.evaluate(PROBE) as ArrayLike<unknown>) as [number, Record<string, unknown>, ArrayLike<unknown>];
  const walker = new Walker(source, fns);
  walker.run(global, baseline, Array.from(modules).filter((m): m is object => m !== null && typeof m === 'object'));
  const flash = CATEGORIES.reduce((n, c) => n + walker.blocks[c], 0);
  return {
    state,
    categories: walker.blocks,
    flash,
    ram: flash + Math.round((source.length / 1024) * COST.ramPerMinifiedKb),
    counts: walker.counts,
    simUsage,
  };
}

/** A pause in real time. */
const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));

/** Runs the memory section: boots, estimates in WAIT_CONFIG, provisions, estimates in RUNNING. */
export async function runMemory(): Promise<MemoryReport> {
  const source = readFileSync(join(DIST, BUNDLE), 'latin1');
  const fns = functionsOf(source);
  const baseline = await baselineGlobals();
  const home = { ssid: 'Home', password: 'correct horse', rssi: -48, channel: 6 };
  const cloud = createCloudServer();
  await cloud.start();
  const dev = createSimDevice({ chip: CHIP, networks: [home], cloud: { tcp: cloud.ports.tcp, tls: cloud.ports.tls } });
  const states: MemoryEstimate[] = [];
  try {
    await dev.start();
    await dev.waitFor('WAIT_CONFIG');
    await sleep(300);
    states.push(estimate(dev.board, 'WAIT_CONFIG', source, fns, baseline));
    await dev.phoneJoin();
    await provision({ device: dev.portalUrl, cloudApi: `http://127.0.0.1:${cloud.ports.http}`, org: 'Bench', user: 'bench@example.test', ssid: home.ssid, pass: home.password });
    await dev.waitFor('RUNNING', 20000);
    await sleep(500);
    states.push(estimate(dev.board, 'RUNNING', source, fns, baseline));
  } finally {
    await dev.close();
    await cloud.stop();
  }
  return {
    chip: CHIP,
    bundle: `dist/${BUNDLE}`,
    minifiedBytes: source.length,
    totalBlocks: TOTAL_BLOCKS,
    cost: COST,
    method:
      'Estimate, not a measurement: the device object graph on the simulated board (V8) is walked from its global, through closures via the V8 inspector, ' +
      'and each value is costed with a JsVar model (see bench/memory.ts). From flash, function bodies stay in flash; into RAM, the code text adds ~80 blocks per KB of minified source. ' +
      'Check on a board with process.memory().usage without the firmware (baseline) and in each state.',
    states,
  };
}

/** The section's tables. */
export function memoryTables(r: MemoryReport): Table[] {
  const rows: string[][] = CATEGORIES.map((c) => [c, ...r.states.map((s) => int(s.categories[c]))]);
  rows.push(['total, deployed from flash', ...r.states.map((s) => int(s.flash))]);
  rows.push([`  share of the ${int(r.totalBlocks)} JsVars of an ${r.chip}`, ...r.states.map((s) => pct(s.flash, r.totalBlocks, 0))]);
  rows.push([`total, uploaded into RAM (+${r.cost.ramPerMinifiedKb}/KB x ${fixed(r.minifiedBytes / 1024)} KB)`, ...r.states.map((s) => int(s.ram))]);
  rows.push([`  share of the ${int(r.totalBlocks)} JsVars`, ...r.states.map((s) => pct(s.ram, r.totalBlocks, 0))]);
  rows.push(['walked: functions / activations / objects / strings', ...r.states.map((s) => `${s.counts.functions} / ${s.counts.activations} / ${s.counts.objects} / ${s.counts.strings}`)]);
  rows.push(['sim process.memory().usage (base + code size model)', ...r.states.map((s) => int(s.simUsage))]);
  const unmatched = r.states.reduce((n, s) => n + s.counts.unmatchedScopes, 0);
  return [
    {
      title: `Memory estimate: ${r.bundle} on ${r.chip} (JsVar blocks, ESTIMATE)`,
      head: ['blocks', ...r.states.map((s) => s.state)],
      rows,
      notes: [
        'estimate from the simulated board, not a measurement: object graph walked from the device global, closures through the V8 inspector, costed with a JsVar model (bench/memory.ts)',
        'not counted: pending timers and pin watches, callbacks held only by the emulation, the firmware baseline, fragmentation',
        'check on a board: process.memory().usage with no firmware running, then in WAIT_CONFIG and RUNNING (the differences are what this estimates)',
        "sim process.memory(): the emulation's own coarse model (a base plus blocks per KB of code run, sim/espruino/globals.ts), which also counts the bench's REPL probe",
        ...(unmatched ? [`${unmatched} captured scope(s) could not be matched to a function of the bundle and were not counted`] : []),
      ],
    },
  ];
}
