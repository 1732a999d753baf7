// @ts-check
/**
 * Build step for Espruino bundles: moves every function's parameters into
 * `var`s read from `arguments`, so that `function (a, b) { … }` becomes
 * `function () { var a = arguments[0], b = arguments[1]; … }`.
 *
 * Espruino keeps each parameter name of a function object in a variable block
 * for as long as the function exists, while `var`s exist only during a call:
 * on an ESP8266 every live function then costs one block less per parameter
 * (checked on the real interpreter: 10 functions of 2 parameters, 20 blocks).
 * Espruino's `arguments` never aliases parameters, so nothing changes in
 * meaning; `fn.length` becomes 0, which device code does not read.
 *
 * `transform(code)` returns the rewritten code; `paramsToArguments()` is the
 * rollup plugin, listed after the minifier and before the Espruino check.
 */
'use strict';

const acorn = require('acorn');
const walk = require('acorn-walk');

/**
 * True if `body` (not counting nested functions) declares a `var` or a function named in `names`.
 * @param {import('acorn').Node} body
 * @param {string[]} names
 * @returns {boolean}
 */
function declaresAny(body, names) {
  let found = false;
  walk.recursive(body, null, {
    Function(node) {
      const f = /** @type {import('acorn').Function} */ (node);
      if (f.type === 'FunctionDeclaration' && f.id && names.includes(f.id.name)) found = true;
    },
    VariableDeclarator(node, _state, c) {
      const d = /** @type {import('acorn').VariableDeclarator} */ (node);
      if (d.id.type === 'Identifier' && names.includes(d.id.name)) found = true;
      if (d.init) c(d.init, _state);
    },
  });
  return found;
}

/**
 * The functions of `ast` as a tree: each with its direct inner functions and
 * whether its own code (not counting inner functions) reads `arguments`.
 * @param {import('acorn').Node} ast
 * @returns {FnNode[]}
 */
function functionTree(ast) {
  /** @type {FnNode[]} */
  const roots = [];
  /** @type {FnNode[]} */
  const stack = [];
  (function visit(node) {
    if (!node || typeof node.type !== 'string') return;
    const isFn = node.type === 'FunctionDeclaration' || node.type === 'FunctionExpression';
    if (node.type === 'Identifier' && /** @type {any} */ (node).name === 'arguments' && stack.length) {
      stack[stack.length - 1].usesArguments = true;
    }
    /** @type {FnNode | null} */
    let me = null;
    if (isFn) {
      me = { fn: /** @type {import('acorn').Function} */ (node), children: [], usesArguments: false };
      (stack.length ? stack[stack.length - 1].children : roots).push(me);
      stack.push(me);
    }
    for (const key of Object.keys(node)) {
      const v = /** @type {any} */ (node)[key];
      if (Array.isArray(v)) v.forEach(visit);
      else if (v && typeof v.type === 'string') visit(v);
    }
    if (me) stack.pop();
  })(ast);
  return roots;
}

/**
 * @typedef {{ fn: import('acorn').Function, children: FnNode[], usesArguments: boolean }} FnNode
 */

/**
 * Chooses the functions to rewrite. Espruino resolves `arguments` through the
 * scope chain: once an enclosing function has read its `arguments`, an inner
 * function's `arguments` is the enclosing one's (checked on the interpreter).
 * So on every chain of nested functions at most one may read `arguments`;
 * among the allowed sets this picks the one that removes the most parameters
 * (an outer function wins a tie: it is the one more likely to live long).
 * @param {FnNode} n
 * @returns {{ gain: number, hard: boolean, pick: FnNode[] }} `hard`: the subtree reads `arguments` itself
 */
function choose(n) {
  let gain = 0;
  let hard = n.usesArguments;
  /** @type {FnNode[]} */
  let pick = [];
  for (const c of n.children) {
    const r = choose(c);
    gain += r.gain;
    hard = hard || r.hard;
    pick = pick.concat(r.pick);
  }
  if (n.usesArguments) return { gain: 0, hard: true, pick: [] };
  const own = n.fn.params.length;
  if (!hard && own > 0 && own >= gain && !declaresAny(n.fn.body, paramNames(n.fn))) return { gain: own, hard: false, pick: [n] };
  return { gain, hard, pick };
}

/**
 * The parameter names of `fn` (ES5: identifiers only).
 * @param {import('acorn').Function} fn
 * @returns {string[]}
 */
function paramNames(fn) {
  return fn.params.map((p) => {
    if (p.type !== 'Identifier') throw new Error(`params-to-arguments: unexpected ${p.type} parameter`);
    return p.name;
  });
}

/**
 * Rewrites the chosen ES5 functions (see `choose`).
 * @param {string} code ES5 source
 * @returns {string}
 */
function transform(code) {
  const ast = acorn.parse(code, { ecmaVersion: 5, sourceType: 'script' });
  /** @type {Array<{ start: number, end: number, text: string }>} */
  const edits = [];
  for (const root of functionTree(ast)) {
    for (const n of choose(root).pick) {
      const fn = n.fn;
      const names = paramNames(fn);
      edits.push({ start: fn.params[0].start, end: fn.params[fn.params.length - 1].end, text: '' });
      edits.push({ start: fn.body.start + 1, end: fn.body.start + 1, text: 'var ' + names.map((x, i) => `${x}=arguments[${i}]`).join(',') + ';' });
    }
  }
  edits.sort((a, b) => b.start - a.start || b.end - a.end);
  let out = code;
  for (const e of edits) out = out.slice(0, e.start) + e.text + out.slice(e.end);
  return out;
}

/**
 * The rollup plugin: rewrites each output chunk after minification.
 * @returns {import('rollup').Plugin}
 */
function paramsToArguments() {
  return {
    name: 'params-to-arguments',
    renderChunk(code) {
      return { code: transform(code), map: null };
    },
  };
}

module.exports = { transform, paramsToArguments };
