/**
 * The Espruino compatibility check: for every rule of the table, snippets it
 * must catch (with the line of the hit) and near misses it must pass; the
 * table itself (no rule without cases); and the command line.
 */
import { strict as assert } from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { check, RULES } from '../../tools/espruino-check';

const CLI = path.join(__dirname, '../../tools/espruino-check.js');

/** Per rule id: sources that must give a hit of that rule on `line`, and sources that must give no hit at all. */
const CASES: Record<string, { caught: Array<{ source: string; line: number }>; passed: string[] }> = {
  'es5-syntax': {
    caught: [
      { source: 'var a = 1;\nlet b = 2;', line: 2 },
      { source: 'var f = () => 1;', line: 1 },
      { source: 'var r = /(?<=a)b/;', line: 1 },
    ],
    passed: ['var a = 1;', 'var o = { "default": 1 };'],
  },
  label: {
    caught: [{ source: 'var i;\nouter: for (i = 0; i < 3; i++) { break outer; }', line: 2 }],
    passed: ['for (var i = 0; i < 3; i++) { if (i) break; }', 'var o = { outer: 1 };'],
  },
  with: {
    caught: [{ source: 'var o = {};\nwith (o) { x = 1; }', line: 2 }],
    passed: ['var o = {};\no.x = 1;'],
  },
  'use-before-define': {
    caught: [
      { source: 'run();\nfunction run() {}', line: 1 },
      { source: 'var a = b + 1;\nvar b = 2;', line: 1 },
      // Called at top level before `later` is defined: the hit is inside the body, reached from line 2.
      { source: 'function f() { return later; }\nf();\nvar later = 1;', line: 1 },
      // Transitively, through a second function.
      { source: 'function f() { return g(); }\nfunction g() { return later; }\nf();\nvar later = 1;', line: 2 },
      { source: 'var f = function () { return later; };\nnew f();\nvar later = 1;', line: 1 },
      // Rollup's IIFE wrapper is a top level of its own.
      { source: 'var api = (function (exports) {\n  exports.x = helper();\n  function helper() { return 1; }\n  return exports;\n})({});', line: 2 },
      { source: '!function () {\n  init.call(null);\n  function init() {}\n}();', line: 2 },
      // A function declared after a return is never defined on Espruino.
      { source: 'function make() {\n  return { start: start };\n  function start() {}\n}\nmake();', line: 2 },
    ],
    passed: [
      'function run() {}\nrun();',
      'function f() { return later; }\nvar later = 1;\nf();',
      // Nested function bodies run later.
      'function f() { setTimeout(function () { return later; }, 0); }\nf();\nvar later = 1;',
      'function f() { return later; }\nexports.f = f;\nvar later = 1;',
      '(function () { function helper() { return 1; } exports.x = helper(); })();',
      'var Foo = (function () { function Foo() {} Foo.prototype.run = function () { return Foo; }; return Foo; }());',
      'function f(n) { return n > 0 ? f(n - 1) : 0; }\nf(3);',
      'try { exports.x = 1; } catch (e) { exports.e = e; }',
      'var a = 1, b = a + 1;\nexports.b = b;',
    ],
  },
  'var-before-declaration': {
    caught: [
      // terser moved `var r` to the end of the body: `r = …` wrote the outer `r`.
      { source: 'var r = 0;\nfunction send() {\n  r = nextId(r);\n  return r;\n  var r;\n}', line: 3 },
      { source: 'function f() {\n  count = 1;\n  var count;\n  return count;\n}', line: 2 },
      { source: 'function f() {\n  var x = helper();\n  function helper() { return 1; }\n  return x;\n}', line: 2 },
      { source: 'var x = 1;\nfunction f(a) {\n  if (a) {\n    a = x;\n  }\n  var x = 2;\n  return a + x;\n}', line: 4 },
      // Read, not called, before its definition: Espruino passes undefined.
      // Textual order within a loop body: the first iteration runs the use before the `var`.
      { source: 'function f(list) {\n  for (var i = 0; i < list.length; i++) {\n    list[i] = last;\n    var last = i;\n  }\n}', line: 3 },
      { source: 'function f() {\n  setTimeout(later, 5);\n  function later() {}\n}', line: 2 },
      // A nested function called before the var it reads.
      { source: 'function f() {\n  var g = function () {\n    return later;\n  };\n  g();\n  var later = 1;\n}', line: 3 },
      { source: 'var x = 1;\nexports.f = function () {\n  return typeof x;\n  var x;\n};', line: 3 },
      { source: 'function f(o) {\n  for (k in o) f(k);\n  for (var k in o) f(k);\n}', line: 2 },
      { source: 'function f(o) {\n  return function () {\n    o.n = n;\n    var n = 1;\n  };\n}', line: 3 },
    ],
    passed: [
      'function f() {\n  var r = 1;\n  r = r + 1;\n  return r;\n}',
      // The nested function reads `later` only when called, after `var later`.
      'function f() {\n  var g = function () { return later; };\n  var later = 1;\n  return g();\n}',
      'function f() {\n  setTimeout(function () { return later; }, 5);\n  var later = 1;\n}',
      'function f() {\n  function helper() { return 1; }\n  return helper();\n}',
      'var r = 1;\nfunction f(r) {\n  r = r + 1;\n  var r;\n  return r;\n}',
      'function f() {\n  try { exports.x = 1; } catch (e) { exports.e = e; var e; }\n}',
      'function f() {\n  exports.n = arguments.length;\n  var arguments;\n}',
      'var f = function g(n) {\n  return n ? g(n - 1) : typeof h;\n  var g, h;\n};',
      'function f() {\n  for (var i = 0; i < 3; i++) exports.i = i;\n}',
      // Without an outer `x`, `typeof x` gives 'undefined' either way.
      'function f() {\n  var t = typeof x;\n  var x = 1;\n  return t + x;\n}',
    ],
  },
  'conditional-var': {
    caught: [
      // terser's shape: when `n` is falsy `var r` never runs, so the loop reads a global `r`.
      { source: 'function f(n) {\n  if (n) var r = n.id;\n  while (r < 5) r = next(r);\n  return r;\n}', line: 2 },
      { source: 'var last = 0;\nfunction f(list) {\n  while (list.length) {\n    var last = list.pop();\n  }\n  return last;\n}', line: 4 },
      { source: 'function f() {\n  try {\n    var conn = open();\n    conn.send();\n  } catch (e) {\n    if (conn) conn.close();\n  }\n}', line: 3 },
      { source: 'function f(s) {\n  try {\n    var v = JSON.parse(s);\n  } catch (e) {}\n  return v;\n}', line: 3 },
      { source: 'function f(k) {\n  switch (k) {\n    case 1:\n      var name = "one";\n      break;\n  }\n  return name;\n}', line: 4 },
      // Inside the `if`, but outside the loop body that holds the `var`.
      { source: 'function f(a) {\n  if (a) {\n    for (var i = 0; i < a.length; i++) {\n      var last = a[i];\n    }\n    return last;\n  }\n}', line: 4 },
      { source: 'function f() {\n  do {\n    var c = next();\n  } while (c);\n}', line: 3 },
      // Each branch declares it, but a use after the `if` is outside both.
      { source: 'function f(a) {\n  if (a) var x = 1;\n  else var x = 2;\n  return x;\n}', line: 3 },
      // At the top level, used by a function.
      { source: 'if (typeof exports === "object") var api = exports;\nfunction get() {\n  return api;\n}', line: 1 },
    ],
    passed: [
      'function f(n) {\n  var r;\n  if (n) r = n.id;\n  return r;\n}',
      'function f(n) {\n  var r = 0;\n  if (n) {\n    var r = n.id;\n  }\n  return r;\n}',
      'function f(n) {\n  if (n) {\n    var r = n.id;\n    send(r);\n  }\n}',
      'function f(list) {\n  for (var i = 0; i < list.length; i++) list[i] = 0;\n  return i;\n}',
      'function f(a) {\n  if (a) {\n    for (var i = 0; i < a.length; i++) a[i] = 0;\n    return i;\n  }\n}',
      'function f(o) {\n  for (var k in o) break;\n  return k;\n}',
      'function f(n, r) {\n  if (n) r = n.id;\n  return r;\n}',
      'function f(n, r) {\n  if (n) var r = n.id;\n  return r;\n}',
      // Each branch uses its own declaration.
      'function f(a) {\n  if (a) {\n    var x = 1;\n    g(x);\n  } else {\n    var x = 2;\n    h(x);\n  }\n}',
      'function f() {\n  {\n    var r = 1;\n  }\n  return r;\n}',
      // Nested functions are their own scopes.
      'function f(n) {\n  if (n) exports.g = function () {\n    if (n) var r = 1;\n    return n;\n  };\n  var r = 2;\n  return r;\n}',
      // Without an outer `r`, `typeof r` gives 'undefined' either way.
      'function f(n) {\n  if (n) var r = 1;\n  return typeof r;\n}',
    ],
  },
  'builtin-prototype': {
    caught: [
      { source: 'function f() {\n  return Array.prototype.slice.call(arguments);\n}', line: 2 },
      { source: 'var t = String.prototype.trim;', line: 1 },
      { source: 'var s = Object.prototype.toString.call(x);', line: 1 },
      { source: 'var c = Function.prototype["call"];', line: 1 },
    ],
    passed: [
      'var own = Object.prototype.hasOwnProperty.call(o, "k");',
      'function f() { return [].slice.call(arguments); }',
      'function Foo() {}\nFoo.prototype.run = function () { return Foo.prototype.run; };',
      'function f(Array) { return Array.prototype.slice; }',
    ],
  },
  'missing-global': {
    caught: [
      { source: 'var a;\nvar m = new Map();', line: 2 },
      { source: 'Object.freeze(o);', line: 1 },
      { source: 'process.nextTick(f);', line: 1 },
      { source: 'var n = Number.isInteger(1) || Number["MAX_SAFE_INTEGER"];', line: 1 },
      { source: 'throw new RangeError("x");', line: 1 },
      { source: 'var it = Symbol.iterator;', line: 1 },
    ],
    passed: [
      'function f(Map) { return new Map(); }',
      'function g() { var Set = []; return Set; }',
      'try { f(); } catch (Symbol) { exports.s = Symbol; }',
      'var hasSymbol = typeof Symbol === "function";',
      'var o = { Map: 1, process: 2 };\nexports.x = o.Map + o.process + Math.floor(1) + Object.keys(o).length;',
      'var Map = function () {};\nexports.m = new Map();',
      'var free = process.memory().free + process.env.VERSION;',
    ],
  },
  'missing-method': {
    caught: [
      { source: 'var c = "a".localeCompare("b");', line: 1 },
      { source: 'var s = t.trimStart() + t.trimEnd();', line: 1 },
      { source: 'p.then(f)\n  .finally(g);', line: 2 },
      { source: 'var i = s.search("x");', line: 1 },
    ],
    passed: ['var i = "abc".lastIndexOf("c") + s.trim().indexOf("x");', 'p.then(f, g);', 'o.finallyDone(); var search = 1;'],
  },
  regex: {
    caught: [
      { source: 'var r = /a{2}/;', line: 1 },
      { source: 'var r = /colou?r/;', line: 1 },
      { source: 'var r = /a*?b/;', line: 1 },
      { source: 'var r = /(ab)+/;', line: 1 },
      { source: 'var r = /x(a|b)/;', line: 1 },
      { source: 'var r = /(?:a)b/;', line: 1 },
      { source: 'var r = /a(?=b)/;', line: 1 },
      { source: 'var r = /a(?!b)/;', line: 1 },
      { source: 'var r = /\\bword/;', line: 1 },
      { source: 'var r;\nr = new RegExp("a{1,3}");', line: 2 },
      { source: 'var r = RegExp("(?<=a)b");', line: 1 },
    ],
    passed: [
      'var r = /a\\?b/;',
      'var r = /[?]/;',
      'var r = /[(|){2}]x/;',
      'var r = /^\\d+[a-z]*$/;',
      'var r = /a|b/;',
      'var r = /a\\(b\\)\\{2\\}/;',
      'var r = new RegExp("a*b+");',
      'var r = new RegExp(pattern);',
    ],
  },
  'array-length-assign': {
    caught: [
      { source: 'var a = [1, 2];\na.length = 0;', line: 2 },
      { source: 'a.length++;', line: 1 },
      { source: 'a["length"] -= 1;', line: 1 },
    ],
    passed: ['var n = a.length;', 'a.splice(0, a.length);', 'o.len = 0; var length = 1;'],
  },
  'json-replacer': {
    caught: [
      { source: 'var s = JSON.stringify(x, replacer);', line: 1 },
      { source: 'var s = JSON.stringify(x, ["a"], 2);', line: 1 },
      { source: 'var v = JSON.parse(s,\n  function (k, v) { return v; });', line: 2 },
    ],
    passed: [
      'var s = JSON.stringify(x, null, 2);',
      'var s = JSON.stringify(x, undefined, 2) + JSON.stringify(x, void 0, 2);',
      'var v = JSON.parse(s);',
      'var s = JSON.stringify(x);',
    ],
  },
  'unicode-code-point-escape': {
    caught: [
      { source: 'var a = 1;\nvar s = "\\u{41}";', line: 2 },
      { source: 'var r = /\\u{41}/;', line: 1 },
    ],
    passed: ['var s = "\\u0041";', 'var s = "\\\\u{41}";', 'var r = /a\\u0041/;'],
  },
  'non-ascii': {
    caught: [
      { source: 'var a = 1;\nvar s = "\u00c0";', line: 2 },
      { source: 'var r = /caf\u00e9/;', line: 1 },
    ],
    passed: ['var s = "\\xC0\\x0C";', '// caf\u00e9 in a comment is harmless\nvar s = "\\u00e9";'],
  },
  'replace-string-fn': {
    caught: [
      { source: 'var t = s.replace("b", function () { return "c"; });', line: 1 },
      { source: 'function fn() { return "c"; }\nvar t = s.replace("b", fn);', line: 2 },
      { source: 'var fn = function () { return "c"; };\nvar t = s.replace("b", fn);', line: 2 },
    ],
    passed: [
      'function fn() { return "c"; }\nvar t = "abc".replace(/b/, fn);',
      'var t = s.replace("b", "c");',
      'var t = s.replace("b", other);',
    ],
  },
  'nested-arguments': {
    caught: [
      { source: 'function a() {\n  var x = arguments[0];\n  return function () { return arguments[0]; };\n}', line: 3 },
      // The enclosing read may come after the inner function's text: the scope chain is what counts.
      { source: 'function c() {\n  var f = function () { return arguments[0]; };\n  return arguments[1];\n}', line: 2 },
    ],
    passed: [
      'function b() { return function () { return arguments[0]; }; }',
      'function d(n) { return function (m) { return n + m; }; }',
      'var g = function () { return arguments[0]; };\nfunction h() { var y = arguments[0]; return g(y); }',
    ],
  },
  'getter-setter': {
    caught: [
      { source: 'var o = {\n  get x() { return 1; }\n};', line: 2 },
      { source: 'var o = { set x(v) {} };', line: 1 },
      { source: 'Object.defineProperty(o, "x", {\n  get: function () { return 1; }\n});', line: 2 },
    ],
    passed: [
      'var o = { get: function () {}, set: function () {} };\no.get();',
      'Object.defineProperty(o, "x", { value: 1, writable: true });',
    ],
  },
};

describe('espruino-check', () => {
  it('has caught and passed cases for every rule in the table', () => {
    for (const rule of RULES) {
      const cases = CASES[rule.id];
      assert.ok(cases, `rule ${rule.id} has no test cases`);
      assert.ok(cases.caught.length > 0 && cases.passed.length > 0, `rule ${rule.id} needs both kinds of case`);
    }
    assert.deepEqual(Object.keys(CASES).sort(), RULES.map((rule) => rule.id).sort());
  });

  for (const [id, { caught, passed }] of Object.entries(CASES)) {
    describe(id, () => {
      for (const { source, line } of caught) {
        it(`catches ${JSON.stringify(source)}`, () => {
          const hits = check(source);
          assert.ok(
            hits.some((hit) => hit.rule === id && hit.line === line),
            `expected ${id} on line ${line}, got ${JSON.stringify(hits)}`,
          );
        });
      }
      for (const source of passed) {
        it(`passes ${JSON.stringify(source)}`, () => {
          assert.deepEqual(check(source), []);
        });
      }
    });
  }

  it('reports 1-based columns, the file name and a reason', () => {
    const [hit] = check('var a = 1; outer: for (;;) { break outer; }', { filename: 'x.js' });
    assert.deepEqual(
      { file: hit.file, rule: hit.rule, line: hit.line, column: hit.column },
      { file: 'x.js', rule: 'label', line: 1, column: 12 },
    );
    assert.match(hit.message, /throws/);
  });

  it('names the call that reaches a use before definition', () => {
    const [hit] = check('function f() { return later; }\nf();\nvar later = 1;');
    assert.equal(hit.message, '`later` is used before its definition on line 3, reached through the call on line 2; Espruino does not hoist');
  });

  it('names the declaration, the outer variable and the call of a use before declaration', () => {
    const [hit] = check('var r = 0;\nfunction send() {\n  var g = function () {\n    r = 1;\n  };\n  g();\n  var r;\n}');
    assert.deepEqual({ rule: hit.rule, line: hit.line, column: hit.column }, { rule: 'var-before-declaration', line: 4, column: 5 });
    assert.equal(
      hit.message,
      '`r` is used before `var r` on line 7 of its function, reached through the call on line 6; ' +
        'Espruino does not hoist, so it refers to the outer `r` declared on line 1',
    );
  });

  it('reports a use before declaration in a function that runs at load once, as use-before-define', () => {
    const hits = check('(function (exports) {\n  exports.x = helper();\n  function helper() { return 1; }\n})({});');
    assert.deepEqual(hits.map((hit) => `${hit.line}:${hit.column} ${hit.rule}`), ['2:15 use-before-define']);
  });

  it('reports a use before declaration at each use', () => {
    const hits = check('var r = 0;\nfunction send() {\n  r = nextId(r);\n  var r;\n}');
    assert.deepEqual(hits.map((hit) => `${hit.line}:${hit.column} ${hit.rule}`), ['3:3 var-before-declaration', '3:14 var-before-declaration']);
  });

  it('names the construct, its line and the use of a conditional var', () => {
    const hits = check('var r = 0;\nfunction f(n) {\n  if (n) {\n    var r = n.id;\n  }\n  return r;\n}');
    assert.deepEqual(hits.map((hit) => `${hit.line}:${hit.column} ${hit.rule}`), ['4:9 conditional-var']);
    assert.equal(
      hits[0].message,
      '`var r` on line 4 only runs in its `if` branch (line 3), but `r` is used outside it on line 6; ' +
        'Espruino does not hoist, so when the `if` branch does not run that use refers to the outer `r` declared on line 1',
    );
  });

  it('reports each regex feature once per pattern', () => {
    const hits = check('var r = /(a|b)?c?/;');
    assert.deepEqual(
      hits.map((hit) => hit.message.replace(/.* uses (.*), which.*/, '$1')),
      ['`|` inside a group', 'a quantified group', '`?`'],
    );
  });

  describe('command line', () => {
    let dir: string;
    before(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'espruino-check-'));
      fs.writeFileSync(path.join(dir, 'bad.js'), 'var a = [];\nouter: for (;;) { a.length = 0; break outer; }\n');
      fs.writeFileSync(path.join(dir, 'good.js'), 'var a = [];\nexports.n = a.length;\n');
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    const run = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { cwd: dir, encoding: 'utf8' });

    it('prints file:line:col rule message and exits 1 on hits', () => {
      const result = run('bad.js', 'good.js');
      assert.equal(result.status, 1);
      const lines = result.stdout.trim().split('\n');
      assert.equal(lines.length, 2);
      assert.match(lines[0], /^bad\.js:2:1 label \S/);
      assert.match(lines[1], /^bad\.js:2:19 array-length-assign \S/);
    });

    it('exits 0 and prints nothing on clean files', () => {
      const result = run('good.js');
      assert.equal(result.status, 0);
      assert.equal(result.stdout, '');
    });

    it('lists the rule table', () => {
      const result = run('--list-rules');
      assert.equal(result.status, 0);
      for (const rule of RULES) assert.match(result.stdout, new RegExp(`^${rule.id} +\\S`, 'm'));
    });

    it('exits 2 without files', () => {
      assert.equal(run().status, 2);
    });
  });
});
