/** Types of tools/espruino-check.js (an Espruino compatibility check for any bundle). */

/** One finding: 1-based line and column. */
export interface Hit {
  file: string;
  rule: string;
  message: string;
  line: number;
  column: number;
}

/** One entry of the rule table. */
export interface Rule {
  id: string;
  description: string;
}

/** Checks a JavaScript source against every rule; hits sorted by position. */
export function check(source: string, options?: { filename?: string }): Hit[];

/** Formats a hit as `file:line:col rule message`. */
export function formatHit(hit: Hit): string;

/** The rule table. */
export const RULES: readonly Rule[];

/** The rule table: one line per rule, its id and what it catches. */
export function formatRules(): string;
