/**
 * The build step that moves parameters into `var`s read from `arguments`:
 * what it rewrites, what it must leave alone (Espruino resolves `arguments`
 * through the scope chain, so at most one function per chain of nested
 * functions may read it), and that the rewritten code still computes the same.
 */
import { strict as assert } from 'assert';
import * as vm from 'vm';
import { transform } from '../../tools/params-to-arguments';
import { check } from '../../tools/espruino-check';

describe('params-to-arguments', () => {
  it('rewrites a function with parameters into vars read from arguments', () => {
    assert.equal(transform('function f(a,b){return a+b}'), 'function f(){var a=arguments[0],b=arguments[1];return a+b}');
  });

  it('rewrites at most one function on every chain of nested functions, the one with more parameters (outer on a tie)', () => {
    const out = transform('function outer(o){function a(x){return x}function b(y,z){return function(q){return q}}return a}');
    assert.equal(out, 'function outer(o){function a(){var x=arguments[0];return x}function b(){var y=arguments[0],z=arguments[1];return function(q){return q}}return a}');
    assert.equal(transform('function s(a,b,c){return function(x){return x}}'), 'function s(){var a=arguments[0],b=arguments[1],c=arguments[2];return function(x){return x}}');
    assert.equal(transform('function t(a){return function(x){return x}}'), 'function t(){var a=arguments[0];return function(x){return x}}');
  });

  it('leaves alone functions that read arguments themselves, or sit around or inside one that does', () => {
    const src = 'function u(q){return arguments.length}function v(z){return function(w){return arguments[0]}}function w(){return function(k){return k+arguments[0]}}';
    assert.equal(transform(src), src);
  });

  it('leaves alone a function whose body declares a var or function of a parameter name', () => {
    const src = 'function f(a,b){function a(){}return a}var g=function(n){var n;return n}';
    assert.equal(transform(src), src);
  });

  it('keeps what the code computes, and its output passes the Espruino check', () => {
    const src = 'function add(a,b){return a+b}function curry(a){return function(b){return function(c){return a+b+c}}}' +
      'var o={m:function(x,y){return x*y}};result=[add(2,3),curry(1)(2)(3),o.m(4,5),[1,2,3].map(function(v,i){return v*i}).join()];';
    const run = (code: string) => { const ctx: { result?: unknown } = {}; vm.runInNewContext(code, ctx); return JSON.stringify(ctx.result); };
    const out = transform(src);
    assert.equal(run(out), run(src));
    assert.deepEqual(check(out).filter((h) => h.rule === 'nested-arguments'), []);
  });
});
