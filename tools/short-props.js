// @ts-check
/**
 * Build step for Espruino bundles: gives the library's internal property names
 * short names, so that `S.committed` in the source is `S.cmt` on the board.
 *
 * Espruino keeps the name of every property of every live object in RAM: a
 * name of up to 4 characters fits in the property's own 12-byte block, a
 * longer one takes a second block. The device state, its hooks, the button
 * watcher and the LED indicator live for as long as the board runs, so each
 * long name on them costs a block the whole time. The source keeps readable
 * names; `SHORT_NAMES` (the one list) says which names the bundles shorten.
 *
 * `rename(code)` rewrites exactly the non-computed member properties (`x.name`)
 * and non-computed object keys (`{name: …}`) with a listed name, with a real
 * parser: strings, variables and computed accesses stay as they are. It throws
 * (so the build fails) when the rename could break the module: a listed name
 * that is also a string literal (a quoted key, `x['name']`, or a name handed
 * around as a string, as the steps' operations and events are), an export of
 * a module, or a short name that the module already has as a property name or
 * string.
 *
 * `shortProps()` is the rollup plugin. It renames each module of the library's
 * own device sources (lib/ and boards/) as it is loaded, after TypeScript, with
 * the same list in every bundle, so objects shared between bundles (the device
 * state is made by the boot code and worked on by edgent-steps) agree on the
 * names. Product code (the examples, a maker's firmware) is left as it is: it
 * reaches the library only through its public API, whose names are never on
 * the list, so its own property names and strings are its own business.
 */
'use strict';

const acorn = require('acorn');
const walk = require('acorn-walk');
const path = require('path');

/**
 * Internal property name -> its name on the board (at most 4 characters).
 * A name belongs here only if every property or key of that name in the
 * device code (lib/, boards/, examples/) is one of these internal objects:
 * never a name of the public API (`EdgentOptions`, `Edgent`, the ports of
 * lib/ports.ts), of a `BoardProfile`, of an Espruino or Node object, of a
 * Storage module's exports, of JSON that leaves the device, nor one ever used
 * as a string (`m[fn]`, the steps' `OPS[op]` and transition tables).
 * @type {Readonly<Record<string, string>>}
 */
const SHORT_NAMES = {
  // The device state, `Device` in lib/machine.ts (`timer`, `cloud`, `state` stay: they are
  // also operation names, or setWatch's event field).
  epoch: 'ep',
  timerKind: 'tk',
  idleTimer: 'itm',
  listeners: 'lsn',
  writers: 'wrs',
  started: 'stt',
  committed: 'cmt',
  fresh: 'frs',
  rebooting: 'rbt',
  lastErr: 'le',
  failCode: 'fc',
  attempts: 'att',
  apEpoch: 'ape',
  queue: 'qu',
  inbox: 'ibx',
  undoWifi: 'uw',
  jitterSeed: 'jit',
  // The device's hooks, `DeviceHooks` in lib/machine.ts.
  putOff: 'pof',
  // The button watcher's state and options, `ButtonState` / `ButtonOptions` in lib/button.ts.
  since: 'snc',
  stage: 'stg',
  relay: 'rly',
  onPress: 'opr',
  onReset: 'ors',
  onHold: 'ohd',
  // The status LED, `MachineOptions.indicator` and `Indicator` in lib/led.ts.
  indicator: 'ind',
  setState: 'sst',
  setHold: 'shd',
  // The cloud client, `CloudClient` and `CloudState` in lib/cloud.ts.
  setMeta: 'smt',
  target: 'tgt',
  phase: 'ph',
  announced: 'ann',
  lastId: 'lid',
  lastIn: 'lin',
  lastOut: 'lout',
  lastPing: 'lpg',
};

/** Names every object has through its prototypes: a short name must not shadow one. */
const INHERITED = new Set([Object.prototype, Function.prototype, Array.prototype, String.prototype, Number.prototype]
  .reduce((all, proto) => all.concat(Object.getOwnPropertyNames(proto)), /** @type {string[]} */ ([])));

/**
 * Throws if `names` is not a usable list: short names unique, at most 4
 * characters, identifiers, shorter than the name they replace, none of them a
 * listed name or an inherited property.
 * @param {Readonly<Record<string, string>>} names
 */
function checkList(names) {
  /** @type {Record<string, string>} */
  const seen = Object.create(null);
  for (const long of Object.keys(names)) {
    const short = names[long];
    if (!/^[A-Za-z$][A-Za-z0-9$]{0,3}$/.test(short)) throw new Error(`short-props: ${long} -> ${JSON.stringify(short)}: a short name is an identifier of 1 to 4 characters (no "_": terser owns those)`);
    if (short.length >= long.length) throw new Error(`short-props: ${long} -> ${short} is not shorter`);
    if (seen[short]) throw new Error(`short-props: ${seen[short]} and ${long} both -> ${short}`);
    if (Object.prototype.hasOwnProperty.call(names, short)) throw new Error(`short-props: short name ${short} (of ${long}) is itself a listed name`);
    if (INHERITED.has(short)) throw new Error(`short-props: short name ${short} (of ${long}) is an inherited property`);
    seen[short] = long;
  }
}

/**
 * The property names, keys and string literals of `ast`.
 * @param {import('acorn').Node} ast
 * @returns {{ props: Array<{ name: string, start: number, end: number, exported: boolean }>, strings: Set<string> }}
 */
function namesOf(ast) {
  /** @type {Array<{ name: string, start: number, end: number, exported: boolean }>} */
  const props = [];
  /** @type {Set<string>} */
  const strings = new Set();
  walk.full(ast, (node) => {
    const n = /** @type {any} */ (node);
    if (n.type === 'MemberExpression' && !n.computed) {
      const exported = n.object.type === 'Identifier' && n.object.name === 'exports';
      props.push({ name: n.property.name, start: n.property.start, end: n.property.end, exported });
    } else if (n.type === 'Property' && !n.computed && n.key.type === 'Identifier') {
      props.push({ name: n.key.name, start: n.key.start, end: n.key.end, exported: false });
    } else if (n.type === 'Property' && !n.computed && typeof n.key.value === 'string') {
      // A quoted key: the walker does not visit it as a literal.
      strings.add(n.key.value);
    } else if (n.type === 'Literal' && typeof n.value === 'string') {
      strings.add(n.value);
    }
  });
  return { props, strings };
}

/**
 * `code` (ES5) with every non-computed member property and object key named in
 * `names` renamed to its short name. Throws when a rename could break the
 * code (see the module header); `file` names the bundle in the message.
 * @param {string} code
 * @param {Readonly<Record<string, string>>} [names] default SHORT_NAMES
 * @param {string} [file]
 * @returns {string}
 */
function rename(code, names = SHORT_NAMES, file = 'module') {
  checkList(names);
  const has = (/** @type {string} */ k) => Object.prototype.hasOwnProperty.call(names, k);
  const shorts = new Set(Object.keys(names).map((k) => names[k]));
  // A module after TypeScript: ES5 code with ES module imports and exports.
  const { props, strings } = namesOf(acorn.parse(code, { ecmaVersion: 2020, sourceType: 'module', allowReserved: true }));
  /** @type {string[]} */
  const problems = [];
  for (const s of strings) {
    if (has(s)) problems.push(`listed name "${s}" is used as a string (a quoted key, x["${s}"], or a name passed around): it would no longer match the renamed property; take it off the list`);
    if (shorts.has(s)) problems.push(`short name "${s}" is also a string in the module (a property accessed by name?): pick another short name`);
  }
  const clashes = new Set();
  for (const p of props) {
    if (p.exported && has(p.name)) problems.push(`listed name ${p.name} is an export of the module: other code reaches it by that name; take it off the list`);
    if (shorts.has(p.name)) clashes.add(p.name);
  }
  for (const s of clashes) problems.push(`short name ${s} is already a property name in the module: pick another short name`);
  if (problems.length) throw new Error(`short-props: ${file}:\n  ${problems.join('\n  ')}`);
  let out = '';
  let at = 0;
  for (const p of props.filter((q) => has(q.name)).sort((a, b) => a.start - b.start)) {
    out += code.slice(at, p.start) + names[p.name];
    at = p.end;
  }
  return out + code.slice(at);
}

/** The library's own device sources, the only modules the rename applies to. */
const OWN = ['lib', 'boards'].map((dir) => path.join(__dirname, '..', dir) + path.sep);

/**
 * The rollup plugin: `rename` on every module of the library's own device
 * sources (after TypeScript), nothing on product code. List it after the
 * TypeScript plugin.
 * @param {Readonly<Record<string, string>>} [names] default SHORT_NAMES
 * @returns {import('rollup').Plugin}
 */
function shortProps(names = SHORT_NAMES) {
  return {
    name: 'short-props',
    transform(code, id) {
      if (!OWN.some((dir) => path.resolve(id).startsWith(dir)) || !/\.[cm]?[jt]s$/.test(id)) return null;
      return { code: rename(code, names, path.relative(path.join(__dirname, '..'), id)), map: null };
    },
  };
}

module.exports = { SHORT_NAMES, rename, shortProps };
