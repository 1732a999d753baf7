// @ts-check
/**
 * Espruino compatibility check for any JavaScript bundle.
 *
 * Parses the source as ECMAScript 5 (acorn) and reports every construct that a
 * syntax tree shows will fail, or silently misbehave, on the Espruino
 * interpreter (2v29; facts in docs/espruino-runtime.md). Every rule is one
 * entry of RULES: an id, a description, and the hooks that find it:
 *   - `source(text, ctx)` runs on the raw text, even when it is not ES5;
 *   - `nodes[type](node, ctx, parent)` runs on each syntax-tree node of that
 *     type (only when the text parses as ES5).
 * The lists of missing globals, members and methods feed their rules, so a new
 * finding is one line. Hits carry 1-based line and column numbers.
 *
 * CLI: `node tools/espruino-check.js file.js [...]` prints
 * `file:line:col rule message` per hit and exits 1 on any hit;
 * `--list-rules` prints the rule table.
 */
'use strict';

const fs = require('node:fs');
const acorn = require('acorn');

/** @typedef {{ file: string, rule: string, message: string, line: number, column: number }} Hit */
/** @typedef {any} Node an ESTree node as acorn produces it (ES5 subset) */
/** @typedef {{ loc: { start: { line: number, column: number } } }} Located a node or token */
/**
 * @typedef {object} Binding a declared name
 * @property {string} name
 * @property {Node} node the first declaring node: FunctionDeclaration, VariableDeclarator,
 *   parameter Identifier, CatchClause, or a named FunctionExpression (its own name)
 * @property {Node} scope what holds it: the Program, a function or a CatchClause
 * @property {Binding | null} outer what the name means just outside that scope (null: a global)
 */
/**
 * @typedef {object} EarlyUse a reference that runs before its declaration has
 * @property {Node} id the reference Identifier
 * @property {Binding} binding
 * @property {Node | null} site the named call that led into the function holding `id`
 * @property {boolean} typeofOnly the reference is the operand of `typeof`
 */
/**
 * @typedef {object} Context what a rule hook may use
 * @property {(at: Located, message: string) => void} report records a hit at a node or token
 * @property {(id: Node) => Binding | null | undefined} binding the declaration a reference
 *   Identifier resolves to: null for a global, undefined for a node that is not a reference
 * @property {(node: Node) => Binding | undefined} declared the binding a declaring node creates
 * @property {(node: Node) => boolean} isGlobal true for an Identifier that is a global reference
 */
/**
 * @typedef {object} Rule
 * @property {string} id
 * @property {string} description
 * @property {(source: string, ctx: Context) => void} [source]
 * @property {Record<string, (node: Node, ctx: Context, parent: Node | null) => void>} [nodes]
 */

/** @type {Record<string, string>} Globals the board lacks, with what to use instead. */
const MISSING_GLOBALS = {
  Map: 'use a plain object',
  Set: 'use a plain object or an array',
  WeakMap: 'use a plain object',
  WeakSet: 'use a plain object or an array',
  Symbol: 'use a string key',
  Proxy: 'write explicit accessor functions',
  Reflect: 'use Object.keys / fn.apply',
  BigInt: 'use Numbers or byte arrays',
  TextEncoder: 'strings are already bytes on the board',
  TextDecoder: 'strings are already bytes on the board',
  setImmediate: 'use setTimeout(fn, 0)',
  queueMicrotask: 'use setTimeout(fn, 0)',
  RangeError: 'throw Error or TypeError',
};

/** @type {Record<string, string>} Static members the board lacks, with what to use instead. */
const MISSING_MEMBERS = {
  'Object.freeze': 'drop it (the style guide forbids freezing)',
  'Object.seal': 'drop it',
  'Object.is': 'use === (and x !== x for NaN)',
  'Object.isFrozen': 'nothing is frozen on the board',
  'Number.isInteger': 'use Math.floor(x) === x',
  'Number.isNaN': 'use x !== x',
  'Number.isFinite': 'use the global isFinite on a number',
  'Number.MAX_SAFE_INTEGER': 'write 9007199254740991',
  'Number.MIN_SAFE_INTEGER': 'write -9007199254740991',
  'Number.EPSILON': 'write 2.220446049250313e-16',
  'Math.trunc': 'use x < 0 ? Math.ceil(x) : Math.floor(x)',
  'Math.log2': 'use Math.log(x) / Math.LN2',
  'Math.log10': 'use Math.log(x) / Math.LN10',
  'Math.hypot': 'use Math.sqrt(x * x + y * y)',
  'Math.sign': 'compare with 0',
  'Math.cbrt': 'use Math.pow(x, 1 / 3)',
  'Array.from': 'copy with a loop or [].slice.call(x)',
  'Array.of': 'use an array literal',
  'Promise.race': 'settle a shared callback once',
  'Promise.allSettled': 'count settled promises yourself',
  'Promise.any': 'count rejections yourself',
  'Date.UTC': 'compute the epoch milliseconds yourself',
  // Espruino's `process` has memory(), env and version, but no nextTick.
  'process.nextTick': 'use setTimeout(fn, 0)',
};

/** @type {Record<string, string>} Methods Espruino lacks on every receiver: why, and what instead. */
const MISSING_METHODS = {
  localeCompare: 'String#localeCompare is missing; compare with < and >',
  trimStart: 'String#trimStart is missing; use trim() or a loop',
  trimEnd: 'String#trimEnd is missing; use trim() or a loop',
  finally: 'Promise#finally is missing; call the handler from then() and catch()',
  search: 'String#search is missing; use indexOf or RegExp#exec',
};

/** Built-in constructors whose prototype methods are not reachable through `X.prototype`. */
const BUILTIN_CONSTRUCTORS = new Set([
  'Array', 'String', 'Function', 'Object', 'Number', 'Boolean', 'RegExp', 'Date', 'Error',
  'TypeError', 'SyntaxError', 'ReferenceError', 'Promise', 'ArrayBuffer', 'DataView',
  'Uint8Array', 'Uint8ClampedArray', 'Int8Array', 'Uint16Array', 'Int16Array',
  'Uint32Array', 'Int32Array', 'Float32Array', 'Float64Array',
]);

/** @type {Rule[]} The rule table: every check this module makes. */
const RULES = [
  {
    id: 'es5-syntax',
    description: 'The source must parse as ECMAScript 5: Espruino lacks ES2015+ syntax.',
    // Found by check() itself: a parse error is the only hit it can give.
  },
  {
    id: 'label',
    description: 'Labelled statements: Espruino throws on labels.',
    nodes: {
      LabeledStatement: (node, ctx) => ctx.report(node, `label \`${node.label.name}:\` throws on Espruino`),
    },
  },
  {
    id: 'with',
    description: '`with` statements are not supported.',
    nodes: { WithStatement: (node, ctx) => ctx.report(node, '`with` is not supported by Espruino') },
  },
  {
    id: 'use-before-define',
    description:
      'A name used while the bundle loads before its declaration has run: Espruino does not hoist ' +
      '`var` or function declarations.',
    nodes: { Program: (program, ctx) => reportUses(earlyUses(program, ctx).atLoad, ctx) },
  },
  {
    id: 'var-before-declaration',
    description:
      "A name used in a function body before that function's own `var` or function declaration of " +
      'it (a minifier may move `var` to the end): Espruino does not hoist, so the use reaches the ' +
      'outer variable. `typeof x` only counts when an outer `x` is declared.',
    nodes: { Program: (program, ctx) => reportUses(earlyUses(program, ctx).inFunctions, ctx) },
  },
  {
    id: 'conditional-var',
    description:
      'A `var` inside an `if`/`else` branch, loop body, `switch` case, `try`/`catch`/`finally` block or ' +
      'labelled statement whose name is used outside that part of its function, with no parameter or ' +
      'earlier `var` of the name covering the use: Espruino does not hoist, so when the part does not run ' +
      'the use reaches the outer variable or a global.',
    nodes: { Program: reportConditionalVars },
  },
  {
    id: 'builtin-prototype',
    description:
      'Built-in methods read through the prototype (`Array.prototype.slice`) are undefined on ' +
      'Espruino; only `Object.prototype.hasOwnProperty` works.',
    nodes: {
      MemberExpression(node, ctx) {
        const owner = node.object;
        if (owner.type !== 'MemberExpression' || propName(owner) !== 'prototype') return;
        if (!ctx.isGlobal(owner.object) || !BUILTIN_CONSTRUCTORS.has(owner.object.name)) return;
        const method = propName(node);
        if (owner.object.name === 'Object' && method === 'hasOwnProperty') return;
        ctx.report(node, `\`${owner.object.name}.prototype.${method || '[…]'}\` is undefined on Espruino; ` +
          'call the method on an instance (e.g. [].slice.call(arguments))');
      },
    },
  },
  {
    id: 'missing-global',
    description: `Globals and static members the board lacks: ${Object.keys(MISSING_GLOBALS)
      .concat(Object.keys(MISSING_MEMBERS)).join(', ')}.`,
    nodes: {
      Identifier(node, ctx, parent) {
        const typeofGuard = parent && parent.type === 'UnaryExpression' && parent.operator === 'typeof';
        if (ctx.isGlobal(node) && !typeofGuard && Object.hasOwn(MISSING_GLOBALS, node.name)) {
          ctx.report(node, `\`${node.name}\` does not exist on Espruino: ${MISSING_GLOBALS[node.name]}`);
        }
      },
      MemberExpression(node, ctx) {
        const member = ctx.isGlobal(node.object) ? `${node.object.name}.${propName(node)}` : '';
        if (Object.hasOwn(MISSING_MEMBERS, member)) {
          ctx.report(node, `\`${member}\` does not exist on Espruino: ${MISSING_MEMBERS[member]}`);
        }
      },
    },
  },
  {
    id: 'missing-method',
    description: `Methods Espruino lacks, whatever the receiver: ${Object.keys(MISSING_METHODS).join(', ')}.`,
    nodes: {
      CallExpression(node, ctx) {
        const method = node.callee.type === 'MemberExpression' ? propName(node.callee) : null;
        if (method && Object.hasOwn(MISSING_METHODS, method)) {
          ctx.report(node.callee.property, `\`.${method}()\`: ${MISSING_METHODS[method]}`);
        }
      },
    },
  },
  {
    id: 'regex',
    description:
      "Regular expressions using what Espruino's matcher lacks ({n,m}, ?, quantified groups, | in a " +
      'group, (?: and lookaround, \\b); most fail silently by not matching.',
    nodes: {
      Literal(node, ctx) {
        if (node.regex) reportRegex(node, node.regex.pattern, ctx);
      },
      NewExpression: checkRegExpCall,
      CallExpression: checkRegExpCall,
    },
  },
  {
    id: 'array-length-assign',
    description: 'Assigning `.length` (`arr.length = n`) throws on Espruino.',
    nodes: {
      AssignmentExpression: checkLengthWrite,
      UpdateExpression: checkLengthWrite,
    },
  },
  {
    id: 'json-replacer',
    description: '`JSON.stringify` ignores a replacer and `JSON.parse` ignores a reviver.',
    nodes: {
      CallExpression(node, ctx) {
        const callee = node.callee;
        if (callee.type !== 'MemberExpression' || !ctx.isGlobal(callee.object) || callee.object.name !== 'JSON') return;
        const method = propName(callee);
        const second = node.arguments[1];
        if ((method === 'stringify' || method === 'parse') && second && !isNullish(second, ctx)) {
          ctx.report(second, `JSON.${method} ignores its ${method === 'parse' ? 'reviver' : 'replacer'} on Espruino`);
        }
      },
    },
  },
  {
    id: 'unicode-code-point-escape',
    description: '`\\u{…}` escapes in strings, templates or regexes abort the script on Espruino.',
    source(source, ctx) {
      try {
        for (const token of acorn.tokenizer(source, { ecmaVersion: 'latest', locations: true })) {
          if (/(?:^|[^\\])(?:\\\\)*\\u\{/.test(source.slice(token.start, token.end))) {
            ctx.report(/** @type {Located} */ (token), '`\\u{…}` escape aborts the script on Espruino; use \\uXXXX');
          }
        }
      } catch {
        // Text that even the latest grammar cannot tokenize: the es5-syntax hit covers it.
      }
    },
  },
  {
    id: 'non-ascii',
    description:
      'Non-ASCII characters in strings, regexes or names: the board has no Unicode, so one character ' +
      'becomes several bytes and lengths and binary protocols break; write \\xNN escapes.',
    source(source, ctx) {
      try {
        for (const token of acorn.tokenizer(source, { ecmaVersion: 'latest', locations: true })) {
          if (/[^\x00-\x7e]/.test(source.slice(token.start, token.end))) {
            ctx.report(/** @type {Located} */ (token), 'non-ASCII character; on the board it is several bytes: escape it (\\xNN)');
          }
        }
      } catch {
        // Text that even the latest grammar cannot tokenize: the es5-syntax hit covers it.
      }
    },
  },
  {
    id: 'replace-string-fn',
    description:
      "`.replace('literal', fn)`: with a string pattern Espruino inserts the function's source " +
      'instead of calling it.',
    nodes: {
      CallExpression(node, ctx) {
        const [pattern, replacement] = node.arguments;
        if (node.callee.type !== 'MemberExpression' || propName(node.callee) !== 'replace') return;
        if (!pattern || pattern.type !== 'Literal' || typeof pattern.value !== 'string' || !replacement) return;
        const isFunction = replacement.type === 'FunctionExpression' ||
          (replacement.type === 'Identifier' && functionOf(ctx.binding(replacement)) !== null);
        if (isFunction) {
          ctx.report(node, '.replace() with a string pattern inserts the function source on Espruino; use a regex pattern');
        }
      },
    },
  },
  {
    id: 'nested-arguments',
    description:
      '`arguments` in a function nested in one that reads its own `arguments`: Espruino finds the ' +
      "outer function's `arguments` through the scope chain, so the inner one reads the wrong values.",
    source(source, ctx) {
      let program;
      try {
        program = acorn.parse(source, { ecmaVersion: 5, locations: true });
      } catch {
        return;
      }
      // Per open function: its own `arguments` reads, and those of the functions nested in it.
      /** @type {Array<{ own: Node[], nested: Node[] }>} */
      const stack = [];
      (function visit(/** @type {Node} */ node) {
        if (!node || typeof node.type !== 'string') return;
        const isFn = node.type === 'FunctionDeclaration' || node.type === 'FunctionExpression';
        if (node.type === 'Identifier' && node.name === 'arguments' && stack.length) stack[stack.length - 1].own.push(node);
        if (isFn) stack.push({ own: [], nested: [] });
        for (const key of Object.keys(node)) {
          if (key === 'loc') continue;
          const v = node[key];
          if (Array.isArray(v)) v.forEach(visit);
          else if (v && typeof v.type === 'string') visit(v);
        }
        if (isFn) {
          const me = /** @type {{ own: Node[], nested: Node[] }} */ (stack.pop());
          if (me.own.length) {
            for (const id of me.nested) ctx.report(id, "`arguments` here is the enclosing function's on Espruino; pass the values as parameters");
          }
          if (stack.length) {
            const up = stack[stack.length - 1];
            up.nested = up.nested.concat(me.own.length ? [] : me.nested, me.own);
          }
        }
      })(program);
    },
  },
  {
    id: 'getter-setter',
    description: 'Getters and setters (object literals, `Object.defineProperty` descriptors) are unreliable on Espruino.',
    nodes: {
      Property(node, ctx) {
        if (node.kind !== 'init') ctx.report(node, `\`${node.kind} ${propName(node)}()\` accessor is unreliable on Espruino`);
      },
      CallExpression(node, ctx) {
        const callee = node.callee;
        const descriptor = node.arguments[2];
        if (callee.type !== 'MemberExpression' || !ctx.isGlobal(callee.object) || callee.object.name !== 'Object') return;
        if (propName(callee) !== 'defineProperty' || !descriptor || descriptor.type !== 'ObjectExpression') return;
        for (const prop of descriptor.properties) {
          const key = propName(prop);
          if (key === 'get' || key === 'set') ctx.report(prop, `Object.defineProperty with \`${key}\` is unreliable on Espruino`);
        }
      },
    },
  },
];

/**
 * Checks a JavaScript source against every rule.
 * @param {string} source the code, e.g. a bundle as written to dist
 * @param {{ filename?: string }} [options] `filename` is copied into each hit
 * @returns {Hit[]} hits sorted by position (1-based line and column)
 */
function check(source, { filename = '<input>' } = {}) {
  /** @type {Hit[]} */
  const hits = [];
  /** @type {Node} */
  let program = null;
  try {
    program = acorn.parse(source, { ecmaVersion: 5, locations: true });
  } catch (err) {
    const error = /** @type {SyntaxError & { loc?: { line: number, column: number } }} */ (err);
    if (!error.loc) throw err;
    const message = `not ECMAScript 5: ${error.message.replace(/ \(\d+:\d+\)$/, '')}`;
    hits.push({ file: filename, rule: 'es5-syntax', message, line: error.loc.line, column: error.loc.column + 1 });
  }
  const names = program ? resolveNames(program) : { refs: new Map(), decls: new Map() };
  /** @type {Record<string, Array<[(node: Node, ctx: Context, parent: Node | null) => void, Context]>>} */
  const visitors = {};
  for (const rule of RULES) {
    /** @type {Context} */
    const ctx = {
      report(at, message) {
        const { line, column } = at.loc.start;
        hits.push({ file: filename, rule: rule.id, message, line, column: column + 1 });
      },
      binding: (id) => names.refs.get(id),
      declared: (node) => names.decls.get(node),
      isGlobal: (node) => node.type === 'Identifier' && names.refs.get(node) === null,
    };
    if (rule.source) rule.source(source, ctx);
    for (const [type, visit] of Object.entries(rule.nodes || {})) (visitors[type] ||= []).push([visit, ctx]);
  }
  if (program) {
    (function walk(/** @type {Node} */ node, /** @type {Node | null} */ parent) {
      for (const [visit, ctx] of visitors[node.type] || []) visit(node, ctx, parent);
      for (const child of children(node)) walk(child, node);
    })(program, null);
  }
  return hits.sort((a, b) => a.line - b.line || a.column - b.column);
}

/**
 * Formats a hit as `file:line:col rule message`, the CLI and build output line.
 * @param {Hit} hit
 * @returns {string}
 */
function formatHit(hit) {
  return `${hit.file}:${hit.line}:${hit.column} ${hit.rule} ${hit.message}`;
}

// ---------------------------------------------------------------------------
// Syntax tree and names

/** Keys holding identifiers that name something rather than refer to it. */
const NAME_KEYS = new Set(['id', 'params', 'param', 'label']);

/**
 * The child nodes of `node` in source order, leaving out identifiers that are
 * not references: declared names, labels, non-computed property names.
 * @param {Node} node
 * @returns {Node[]}
 */
function children(node) {
  /** @type {Node[]} */
  const out = [];
  for (const key of Object.keys(node)) {
    if (NAME_KEYS.has(key) || ((key === 'key' || key === 'property') && !node.computed)) continue;
    const value = node[key];
    for (const child of Array.isArray(value) ? value : [value]) {
      if (child && typeof child.type === 'string') out.push(child);
    }
  }
  return out;
}

/**
 * The name of a member or property: `a.b`, `a['b']`, `{ b: 1 }`, `{ 'b': 1 }`.
 * @param {Node} node a MemberExpression or Property
 * @returns {string | null} null for a computed name that is not a string literal
 */
function propName(node) {
  const key = node.type === 'MemberExpression' ? node.property : node.key;
  if (key.type === 'Identifier' && !node.computed) return key.name;
  return key.type === 'Literal' ? String(key.value) : null;
}

/**
 * Resolves every identifier reference to its declaration, with ES5 scoping:
 * function-wide `var` and function declarations, parameters, catch parameters.
 * @param {Node} program
 * @returns {{ refs: Map<Node, Binding | null>, decls: Map<Node, Binding> }}
 *   refs: reference Identifier -> binding (null when global); decls: declaring node -> binding
 */
function resolveNames(program) {
  /** @typedef {{ node: Node, parent: Scope | null, bindings: Map<string, Binding> }} Scope */
  /** @type {Map<Node, Binding | null>} */
  const refs = new Map();
  /** @type {Map<Node, Binding>} */
  const decls = new Map();
  /** @type {(scope: Scope | null, name: string) => Binding | null} */
  const lookup = (scope, name) => {
    while (scope && !scope.bindings.has(name)) scope = scope.parent;
    return scope ? /** @type {Binding} */ (scope.bindings.get(name)) : null;
  };
  /** @type {(scope: Scope, name: string, node: Node) => void} */
  const declare = (scope, name, node) => {
    const binding = scope.bindings.get(name) || { name, node, scope: scope.node, outer: lookup(scope.parent, name) };
    scope.bindings.set(name, binding);
    decls.set(node, binding);
  };
  /** @type {(node: Node, scope: Scope) => void} `var` and function declarations, hoisted to the function */
  const hoist = (node, scope) => {
    for (const child of children(node)) {
      if (child.type === 'VariableDeclarator' || child.type === 'FunctionDeclaration') declare(scope, child.id.name, child);
      if (child.type !== 'FunctionDeclaration' && child.type !== 'FunctionExpression') hoist(child, scope);
    }
  };
  (function visit(/** @type {Node} */ node, /** @type {Scope | null} */ outer) {
    let scope = /** @type {Scope} */ (outer);
    if (node.type === 'Program' || node.type === 'FunctionDeclaration' || node.type === 'FunctionExpression') {
      scope = { node, parent: outer, bindings: new Map() };
      if (node.type === 'FunctionExpression' && node.id) declare(scope, node.id.name, node);
      for (const param of node.params || []) declare(scope, param.name, param);
      hoist(node, scope);
    } else if (node.type === 'CatchClause') {
      scope = { node, parent: outer, bindings: new Map() };
      declare(scope, node.param.name, node);
    } else if (node.type === 'Identifier') {
      refs.set(node, lookup(scope, node.name));
    }
    for (const child of children(node)) visit(child, scope);
  })(program, null);
  return { refs, decls };
}

/**
 * The function a binding is declared as: `function f() {}` or `var f = function () {}`.
 * @param {Binding | null | undefined} binding
 * @returns {Node | null}
 */
function functionOf(binding) {
  const node = binding ? binding.node : null;
  if (node && node.type === 'FunctionDeclaration') return node;
  return node && node.type === 'VariableDeclarator' && node.init && node.init.type === 'FunctionExpression'
    ? node.init
    : null;
}

// ---------------------------------------------------------------------------
// Rule helpers

/** Node types of the functions whose bodies var-before-declaration walks (arrows only harmlessly: not ES5). */
const FUNCTIONS = new Set(['FunctionDeclaration', 'FunctionExpression', 'ArrowFunctionExpression']);

/** @type {WeakMap<Node, { atLoad: Array<[Node, string]>, inFunctions: Array<[Node, string]> }>} per program */
const EARLY_USES = new WeakMap();

/**
 * use-before-define and var-before-declaration: uses of names before their
 * declaration has run, found by runInOrder, with their messages. Computed once
 * per program for both rules, so that a use is reported by one rule only.
 *
 * atLoad (use-before-define) runs the code that executes while the bundle
 * loads: the top-level statements, and the bodies they call (see runInOrder);
 * every declared name counts.
 *
 * inFunctions (var-before-declaration) runs each function body on its own, in
 * source order: only the names that function itself declares with `var` or a
 * function declaration count (parameters, `arguments`, the function's own
 * name and catch parameters exist from the start), so a use before the
 * declaration's position reaches the outer variable or a global. Nested
 * functions run only where the body calls them by name (or immediately), and
 * are also walked on their own. `typeof x` is only a hit when an outer `x` is
 * declared in the source: without one, `typeof` gives 'undefined' as with
 * hoisting (a board global of that name cannot be known). Uses already
 * reported at load are left out. Textual order stands in for execution: a
 * `var` in a branch that does not run is not seen as missing.
 * @param {Node} program
 * @param {Context} ctx
 * @returns {{ atLoad: Array<[Node, string]>, inFunctions: Array<[Node, string]> }} [Identifier, message] pairs
 */
function earlyUses(program, ctx) {
  const cached = EARLY_USES.get(program);
  if (cached) return cached;
  /** @type {(site: Node | null) => string} */
  const via = (site) => (site ? `, reached through the call on line ${site.loc.start.line}` : '');
  const atLoad = runInOrder(program, ctx, () => true);
  const reported = new Set(atLoad.map((use) => use.id));
  /** @type {EarlyUse[]} */
  const inFunctions = [];
  (function visit(/** @type {Node} */ node) {
    if (FUNCTIONS.has(node.type)) {
      /** @type {(binding: Binding) => boolean} */
      const own = (binding) => binding.scope === node && binding.name !== 'arguments' &&
        (binding.node.type === 'VariableDeclarator' || binding.node.type === 'FunctionDeclaration');
      for (const use of runInOrder(node, ctx, own)) {
        if (!reported.has(use.id) && (!use.typeofOnly || use.binding.outer)) inFunctions.push(use);
      }
    }
    for (const child of children(node)) visit(child);
  })(program);
  const result = {
    atLoad: atLoad.map(({ id, binding, site }) => /** @type {[Node, string]} */ ([id,
      `\`${id.name}\` is used before its definition on line ${binding.node.loc.start.line}${via(site)}; ` +
      'Espruino does not hoist'])),
    inFunctions: inFunctions.map(({ id, binding, site }) => {
      const kind = binding.node.type === 'FunctionDeclaration' ? 'function' : 'var';
      return /** @type {[Node, string]} */ ([id, `\`${id.name}\` is used before \`${kind} ${id.name}\` on line ` +
        `${binding.node.loc.start.line} of its function${via(site)}; ` +
        `Espruino does not hoist, so it refers to ${outerOf(binding)}`]);
    }),
  };
  EARLY_USES.set(program, result);
  return result;
}

/**
 * What a name means where its own declaration has not run: the outer variable or a global.
 * @param {Binding} binding
 * @returns {string}
 */
function outerOf(binding) {
  return binding.outer
    ? `the outer \`${binding.name}\` declared on line ${binding.outer.node.loc.start.line}`
    : `a global \`${binding.name}\``;
}

/**
 * Reports [node, message] pairs.
 * @param {Array<[Node, string]>} uses
 * @param {Context} ctx
 */
function reportUses(uses, ctx) {
  for (const [node, message] of uses) ctx.report(node, message);
}

/**
 * Runs `root` in source order, tracking which declarations have executed, and
 * returns each use of a watched name before its declaration ran. Bodies of
 * nested functions are skipped (they run later) except when called right
 * there: an immediately invoked function (rollup's wrapper, TypeScript's class
 * IIFEs, also via .call/.apply) runs with its parameters defined, and a call
 * through a name bound to a function declaration or `var f = function` runs
 * that body (and, transitively, what it calls), if it lies inside `root`. Each
 * body is walked once, at its first call: what is declared only grows, so the
 * first call finds every use. Calls through properties, parameters or
 * callbacks are not followed.
 * @param {Node} root the Program, or a function (its body is run)
 * @param {Context} ctx
 * @param {(binding: Binding) => boolean} watched the names whose uses count
 * @returns {EarlyUse[]}
 */
function runInOrder(root, ctx, watched) {
  /** @type {Set<Binding | undefined>} */
  const defined = new Set();
  /** @type {Set<Node>} */
  const ran = new Set([root]);
  /** @type {EarlyUse[]} */
  const uses = [];
  /** @type {(id: Node, site: Node | null, typeofOnly: boolean) => void} */
  const use = (id, site, typeofOnly) => {
    const binding = ctx.binding(id);
    if (binding && watched(binding) && !defined.has(binding)) uses.push({ id, binding, site, typeofOnly });
  };
  /** @type {(node: Node, site: Node | null) => void} site: the named call that led here */
  const run = (node, site) => {
    switch (node.type) {
      case 'Identifier':
        use(node, site, false);
        return;
      case 'UnaryExpression':
        if (node.operator !== 'typeof' || node.argument.type !== 'Identifier') break;
        use(node.argument, site, true);
        return;
      case 'FunctionDeclaration':
        defined.add(ctx.declared(node));
        return;
      case 'FunctionExpression':
      case 'ArrowFunctionExpression':
        return;
      case 'VariableDeclarator':
        if (node.init) run(node.init, site);
        defined.add(ctx.declared(node));
        return;
      case 'CatchClause':
        defined.add(ctx.declared(node));
        break;
      case 'CallExpression':
      case 'NewExpression': {
        for (const child of children(node)) run(child, site);
        const callee = node.callee.type === 'MemberExpression' && /^(call|apply)$/.test(String(propName(node.callee)))
          ? node.callee.object
          : node.callee;
        const fn = callee.type === 'FunctionExpression' ? callee : callee.type === 'Identifier' ? functionOf(ctx.binding(callee)) : null;
        if (fn && !ran.has(fn) && fn.start >= root.start && fn.end <= root.end) {
          ran.add(fn);
          if (fn.type === 'FunctionExpression' && fn.id) defined.add(ctx.declared(fn));
          for (const param of fn.params) defined.add(ctx.declared(param));
          run(fn.body, fn === callee ? site : site || node);
        }
        return;
      }
    }
    for (const child of children(node)) run(child, site);
  };
  run(root.type === 'Program' ? root : root.body, null);
  return uses;
}

/** @type {Record<string, string>} Loop statement types and their keyword. */
const LOOPS = { WhileStatement: 'while', DoWhileStatement: 'do', ForStatement: 'for', ForInStatement: 'for-in' };

/**
 * The conditionally executed part of `parent` that `child` is, or '' when
 * `child` runs whenever `parent` does (an `if` test, a loop head, a block).
 * @param {Node} parent
 * @param {Node} child
 * @returns {string} e.g. '`if` branch', '`while` body', '`catch` block'
 */
function conditionalPart(parent, child) {
  switch (parent.type) {
    case 'IfStatement':
      return child === parent.test ? '' : child === parent.consequent ? '`if` branch' : '`else` branch';
    case 'SwitchStatement':
      return child === parent.discriminant ? '' : '`switch` case';
    case 'TryStatement':
      return child === parent.block ? '`try` block' : child === parent.handler ? '`catch` block' : '`finally` block';
    case 'LabeledStatement':
      return 'labelled statement';
    default:
      return Object.hasOwn(LOOPS, parent.type) && child === parent.body ? `\`${LOOPS[parent.type]}\` body` : '';
  }
}

/**
 * conditional-var: each `var` declarator whose innermost conditional part
 * (conditionalPart, within its own function) leaves out a use of the name
 * that no other declaration covers. A declaration covers a use that follows
 * it in the text and lies in the part that holds the declaration (the whole
 * function for one in no conditional part, including a `for (var …)` head);
 * names that are parameters, or the function's own name, exist from the
 * start. Uses inside nested functions count; `typeof x` only counts when an
 * outer `x` is declared (as in var-before-declaration).
 * @param {Node} program
 * @param {Context} ctx
 */
function reportConditionalVars(program, ctx) {
  /** @typedef {{ node: Node, part: Node | null, kind: string }} Declaration part: null when unconditional */
  /** @type {Map<Binding, Declaration[]>} */
  const decls = new Map();
  /** @type {Map<Binding, Node[]>} the uses of each name, in source order */
  const uses = new Map();
  /** @type {<T>(map: Map<Binding, T[]>, binding: Binding, item: T) => void} */
  const add = (map, binding, item) => {
    const list = map.get(binding);
    if (list) list.push(item);
    else map.set(binding, [item]);
  };
  /** @type {(part: Node, node: Node) => boolean} */
  const inside = (part, node) => part.start <= node.start && node.end <= part.end;
  (function walk(/** @type {Node} */ node, /** @type {Node | null} */ parent, /** @type {Node | null} */ part, kind = '') {
    if (node.type === 'Identifier') {
      const binding = ctx.binding(node);
      const typeofOnly = parent && parent.type === 'UnaryExpression' && parent.operator === 'typeof';
      if (binding && (!typeofOnly || binding.outer)) add(uses, binding, node);
      return;
    }
    if (node.type === 'VariableDeclarator' || (node.type === 'FunctionDeclaration' && !part)) {
      add(decls, /** @type {Binding} */ (ctx.declared(node)), { node, part, kind });
    }
    if (FUNCTIONS.has(node.type)) part = null;
    for (const child of children(node)) {
      const childKind = conditionalPart(node, child);
      walk(child, node, childKind ? child : part, childKind || kind);
    }
  })(program, null, null);
  for (const [binding, list] of decls) {
    if (binding.node.type !== 'VariableDeclarator' && binding.node.type !== 'FunctionDeclaration') continue;
    /** @type {(use: Node) => boolean} */
    const covered = (use) => list.some((decl) => decl.node.id.end <= use.start && (!decl.part || inside(decl.part, use)));
    for (const { node, part, kind } of list) {
      const use = part && (uses.get(binding) || []).find((id) => !inside(part, id) && !covered(id));
      if (use) {
        ctx.report(node, `\`var ${binding.name}\` on line ${node.loc.start.line} only runs in its ${kind} ` +
          `(line ${part.loc.start.line}), but \`${binding.name}\` is used outside it on line ${use.loc.start.line}; ` +
          `Espruino does not hoist, so when the ${kind} does not run that use refers to ${outerOf(binding)}`);
      }
    }
  }
}

/**
 * regex: `new RegExp('…')` or `RegExp('…')` with a string literal pattern.
 * @param {Node} node
 * @param {Context} ctx
 */
function checkRegExpCall(node, ctx) {
  const pattern = node.arguments[0];
  if (ctx.isGlobal(node.callee) && node.callee.name === 'RegExp' && pattern && pattern.type === 'Literal' &&
    typeof pattern.value === 'string') {
    reportRegex(pattern, pattern.value, ctx);
  }
}

/**
 * Reports each feature of a regex pattern that Espruino's matcher lacks, once.
 * @param {Node} node where to report
 * @param {string} pattern the pattern source, without slashes and flags
 * @param {Context} ctx
 */
function reportRegex(node, pattern, ctx) {
  /** @type {Set<string>} */
  const found = new Set();
  let depth = 0;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') {
      i++;
      if (pattern[i] === 'b' || pattern[i] === 'B') found.add(`\`\\${pattern[i]}\``);
    } else if (c === '[') {
      // A class is one character: skip to its closing bracket.
      while (++i < pattern.length && pattern[i] !== ']') if (pattern[i] === '\\') i++;
    } else if (c === '(') {
      depth++;
      const special = /^\(\?(?:<?[=!]|:|<)/.exec(pattern.slice(i));
      if (special) {
        found.add(`\`${special[0]}\` group`);
        i += special[0].length - 1;
      }
    } else if (c === ')') {
      depth--;
      if (/^[*+?]|^\{\d+(?:,\d*)?\}/.test(pattern.slice(i + 1))) found.add('a quantified group');
    } else if (c === '|' && depth > 0) {
      found.add('`|` inside a group');
    } else if (c === '?') {
      found.add('`?`');
    } else if (c === '{' && /^\{\d+(?:,\d*)?\}/.test(pattern.slice(i))) {
      found.add('a `{n,m}` quantifier');
    }
  }
  const shown = pattern.length > 40 ? `${pattern.slice(0, 40)}…` : pattern;
  for (const feature of found) {
    ctx.report(node, `regex /${shown}/ uses ${feature}, which Espruino's matcher lacks (it fails silently)`);
  }
}

/**
 * array-length-assign: `x.length = n`, `x.length += n`, `x.length++`.
 * @param {Node} node an AssignmentExpression or UpdateExpression
 * @param {Context} ctx
 */
function checkLengthWrite(node, ctx) {
  const target = node.left || node.argument;
  if (target.type === 'MemberExpression' && propName(target) === 'length') {
    ctx.report(target, 'writing `.length` throws on Espruino; use splice() or a new array');
  }
}

/**
 * True for `null`, `undefined` (the global) and `void …`.
 * @param {Node} node
 * @param {Context} ctx
 * @returns {boolean}
 */
function isNullish(node, ctx) {
  return (node.type === 'Literal' && node.value === null) ||
    (ctx.isGlobal(node) && node.name === 'undefined') ||
    (node.type === 'UnaryExpression' && node.operator === 'void');
}

// ---------------------------------------------------------------------------
// CLI

/**
 * The rule table: one line per rule, its id and what it catches.
 * @returns {string}
 */
function formatRules() {
  const width = Math.max(...RULES.map((rule) => rule.id.length));
  return RULES.map((rule) => `${rule.id.padEnd(width)}  ${rule.description}`).join('\n');
}

/**
 * Runs the command line: checks each file, or lists the rules.
 * @param {string[]} args file names, or `--list-rules`
 * @returns {number} exit code: 0 clean, 1 hits, 2 usage error
 */
function main(args) {
  if (args[0] === '--list-rules') {
    console.log(formatRules());
    return 0;
  }
  if (args.length === 0) {
    console.error('usage: node tools/espruino-check.js file.js [...] | --list-rules');
    return 2;
  }
  let count = 0;
  for (const file of args) {
    for (const hit of check(fs.readFileSync(file, 'utf8'), { filename: file })) {
      console.log(formatHit(hit));
      count++;
    }
  }
  return count > 0 ? 1 : 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));

module.exports = { check, formatHit, formatRules, RULES };
