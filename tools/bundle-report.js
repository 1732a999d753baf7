// @ts-check
/**
 * Bundle size report against the size budget.
 *
 * Three sizes per bundle, in bytes:
 *   - raw:  the unminified rollup output (what terser receives);
 *   - min:  the terser output, i.e. the file written to dist;
 *   - gzip: the min output compressed with gzip -9 (node:zlib).
 * The budget file (`size-budget.json` at the repository root) maps a bundle
 * file name to its limits: `{ "edgent-core.js": { "min": 30000, "gzip": 10000 } }`.
 * A bundle over either limit, or missing from the budget, is an error.
 */
'use strict';

const fs = require('node:fs');
const zlib = require('node:zlib');

/** @typedef {{ min: number, gzip: number }} Limit */
/** @typedef {Record<string, Limit>} Budget */
/** @typedef {{ file: string, raw: number, min: number, gzip: number }} Sizes */

/** The limited sizes, in the order they are reported. */
const LIMITED = /** @type {const} */ (['min', 'gzip']);

/**
 * Measures one bundle.
 * @param {string} file the bundle file name (its key in the budget)
 * @param {string} raw the unminified rollup output
 * @param {string} min the minified output
 * @returns {Sizes}
 */
function measure(file, raw, min) {
  return {
    file,
    raw: Buffer.byteLength(raw),
    min: Buffer.byteLength(min),
    gzip: zlib.gzipSync(min, { level: 9 }).length,
  };
}

/**
 * Reads a budget file.
 * @param {string} path path of the JSON budget file
 * @returns {Budget}
 */
function loadBudget(path) {
  return JSON.parse(fs.readFileSync(path, 'utf8'));
}

/**
 * Compares bundle sizes with the budget.
 * @param {Sizes[]} rows
 * @param {Budget} budget
 * @returns {string[]} one message per overrun, per missing limit and per bundle missing from the budget
 */
function overBudget(rows, budget) {
  /** @type {string[]} */
  const errors = [];
  for (const row of rows) {
    const limit = Object.hasOwn(budget, row.file) ? budget[row.file] : null;
    if (!limit) {
      errors.push(`${row.file}: no entry in the size budget`);
      continue;
    }
    for (const key of LIMITED) {
      if (typeof limit[key] !== 'number') errors.push(`${row.file}: the budget has no ${key} limit`);
      else if (row[key] > limit[key]) errors.push(`${row.file}: ${key} ${row[key]} B is over the budget of ${limit[key]} B`);
    }
  }
  return errors;
}

/**
 * Formats the size table: one line per bundle with its sizes, limits and status.
 * @param {Sizes[]} rows
 * @param {Budget | null} budget null: sizes only (a product's build, which has no budget)
 * @returns {string}
 */
function formatTable(rows, budget) {
  const lines = [budget ? ['bundle', 'raw', 'min', 'gzip', 'min limit', 'gzip limit', 'status'] : ['bundle', 'raw', 'min', 'gzip']];
  for (const row of rows) {
    if (!budget) {
      lines.push([row.file, row.raw, row.min, row.gzip].map(String));
      continue;
    }
    const limit = Object.hasOwn(budget, row.file) ? budget[row.file] : null;
    const status = !limit ? 'NO BUDGET' : overBudget([row], budget).length ? 'OVER' : 'ok';
    lines.push([row.file, row.raw, row.min, row.gzip, limit ? limit.min : '-', limit ? limit.gzip : '-', status].map(String));
  }
  const widths = lines[0].map((_, col) => Math.max(...lines.map((line) => line[col].length)));
  return lines
    .map((line) => line.map((cell, col) => (col === 0 ? cell.padEnd(widths[col]) : cell.padStart(widths[col]))).join('  '))
    .join('\n');
}

module.exports = { measure, loadBudget, overBudget, formatTable };
