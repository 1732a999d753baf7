/**
 * Bundle size report: the three sizes of a known string, and the budget
 * verdicts (within, over, missing) with the table that shows them.
 */
import { strict as assert } from 'assert';
import * as zlib from 'zlib';
import { formatTable, measure, overBudget } from '../../tools/bundle-report';

const RAW = 'function add(first, second) {\n  return first + second;\n}\n';
const MIN = 'function add(n,r){return n+r}';

describe('bundle-report', () => {
  it('measures raw, min and gzip -9 bytes', () => {
    const sizes = measure('a.js', RAW, MIN);
    assert.deepEqual(sizes, {
      file: 'a.js',
      raw: 57,
      min: 29,
      gzip: zlib.gzipSync(MIN, { level: 9 }).length,
    });
    assert.equal(measure('b.js', 'é', 'é').min, 2, 'sizes are UTF-8 bytes');
  });

  it('accepts a bundle within budget', () => {
    const sizes = measure('a.js', RAW, MIN);
    assert.deepEqual(overBudget([sizes], { 'a.js': { min: 29, gzip: 1000 } }), []);
    assert.match(formatTable([sizes], { 'a.js': { min: 29, gzip: 1000 } }), /^a\.js +57 +29 +\d+ +29 +1000 +ok$/m);
  });

  it('reports a bundle over its min or gzip limit', () => {
    const sizes = measure('a.js', RAW, MIN);
    assert.deepEqual(overBudget([sizes], { 'a.js': { min: 28, gzip: 10 } }), [
      'a.js: min 29 B is over the budget of 28 B',
      `a.js: gzip ${sizes.gzip} B is over the budget of 10 B`,
    ]);
    assert.match(formatTable([sizes], { 'a.js': { min: 28, gzip: 10 } }), /^a\.js .* OVER$/m);
  });

  it('reports a bundle missing from the budget, or a missing limit', () => {
    const sizes = measure('a.js', RAW, MIN);
    assert.deepEqual(overBudget([sizes], { 'other.js': { min: 100, gzip: 100 } }), ['a.js: no entry in the size budget']);
    assert.match(formatTable([sizes], {}), /^a\.js .* - +- +NO BUDGET$/m);
    const partial = JSON.parse('{ "a.js": { "min": 100 } }');
    assert.deepEqual(overBudget([sizes], partial), ['a.js: the budget has no gzip limit']);
  });

  it('aligns the table columns', () => {
    const rows = [measure('a.js', RAW, MIN), measure('longer-name.js', RAW.repeat(30), MIN.repeat(30))];
    const lines = formatTable(rows, {}).split('\n');
    assert.equal(lines.length, 3);
    assert.ok(lines.every((line) => line.length === lines[0].length));
  });
});
