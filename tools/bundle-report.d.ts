/** Types of tools/bundle-report.js (bundle sizes against the size budget). */

/** Largest allowed sizes of one bundle, in bytes. */
export interface Limit {
  min: number;
  gzip: number;
}

/** size-budget.json: bundle file name -> limits. */
export type Budget = Record<string, Limit>;

/** Sizes of one bundle, in bytes. */
export interface Sizes {
  file: string;
  raw: number;
  min: number;
  gzip: number;
}

/** Measures a bundle: raw = unminified, min = minified, gzip = gzip -9 of the minified code. */
export function measure(file: string, raw: string, min: string): Sizes;

/** Reads a budget file. */
export function loadBudget(path: string): Budget;

/** One message per overrun, missing limit, or bundle missing from the budget. */
export function overBudget(rows: Sizes[], budget: Budget): string[];

/** The size table (budget null: sizes only, no limit columns). */
export function formatTable(rows: Sizes[], budget: Budget | null): string;
