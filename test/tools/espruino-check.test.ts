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
