// @ts-check
/**
 * Rollup plugin for Espruino bundles: checks what will be flashed and keeps
 * the bundle sizes within budget. For every output chunk it
 *   - records the unminified code in `renderChunk` with `order: 'pre'`, which
 *     runs before terser's `renderChunk` wherever the plugins are listed;
 *   - in `generateBundle`, which sees the final (minified) code, runs
 *     espruino-check and fails the build listing every hit, then measures the
 *     raw, min and gzip sizes (tools/bundle-report.js);
 *   - in `writeBundle`, once every expected bundle is written, prints the size
 *     table and fails the build when a bundle is over budget or not in it.
 * Share one instance between the configs of a multi-bundle build (with
 * `expect` naming all bundles) to get one table for all of them.
 */
'use strict';

const path = require('node:path');
const { check, formatHit } = require('./espruino-check');
const { measure, loadBudget, overBudget, formatTable } = require('./bundle-report');

/**
 * @typedef {object} EspruinoCheckOptions
 * @property {string | import('./bundle-report').Budget | null} [budget] the budget, or the path of its
 *   JSON file relative to the working directory; null: sizes only, no limits; default 'size-budget.json'
 * @property {string[]} [expect] bundle file names to wait for before printing one table for all;
 *   by default the table covers the chunks of each output as it is written.
 * @property {(text: string) => void} [log] where the table goes; default console.log
 */

/**
 * Creates the plugin; list it after the minifier.
 * @param {EspruinoCheckOptions} [options]
 * @returns {import('rollup').Plugin}
 */
function espruinoCheck({ budget = 'size-budget.json', expect, log = console.log } = {}) {
  /** @type {Map<string, string>} unminified code by chunk file name */
  const unminified = new Map();
  /** @type {Map<string, import('./bundle-report').Sizes>} */
  const sizes = new Map();
  return {
    name: 'espruino-check',
    renderChunk: {
      order: 'pre',
      handler(code, chunk) {
        unminified.set(chunk.fileName, code);
        return null;
      },
    },
    generateBundle(_options, bundle) {
      for (const chunk of Object.values(bundle)) {
        if (chunk.type !== 'chunk') continue;
        const hits = check(chunk.code, { filename: chunk.fileName });
        if (hits.length > 0) {
          const list = hits.map((hit) => `  ${formatHit(hit)}\n    near: ${excerpt(chunk.code, hit)}`);
          this.error(`${chunk.fileName} breaks ${hits.length} Espruino rule(s):\n${list.join('\n')}`);
        }
        const raw = /** @type {string} */ (unminified.get(chunk.fileName));
        sizes.set(chunk.fileName, measure(chunk.fileName, raw, chunk.code));
      }
    },
    writeBundle(_options, bundle) {
      const names = expect || Object.keys(bundle).filter((name) => bundle[name].type === 'chunk');
      if (!names.every((name) => sizes.has(name))) return;
      const rows = names.map((name) => /** @type {import('./bundle-report').Sizes} */ (sizes.get(name)));
      const limits = typeof budget === 'string' ? loadBudget(path.resolve(budget)) : budget;
      log(formatTable(rows, limits));
      const errors = limits ? overBudget(rows, limits) : [];
      if (errors.length > 0) this.error(`size budget:\n  ${errors.join('\n  ')}`);
    },
  };
}

/**
 * The code around a hit, so that a position in minified code can be found.
 * @param {string} code
 * @param {{ line: number, column: number }} at 1-based position
 * @returns {string}
 */
function excerpt(code, { line, column }) {
  const text = code.split('\n')[line - 1] || '';
  return text.slice(Math.max(0, column - 31), column + 40);
}

module.exports = { espruinoCheck };
