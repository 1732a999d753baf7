/** Types of tools/rollup-plugin-espruino.js (Espruino check and size budget as a rollup plugin). */
import type { Plugin } from 'rollup';
import type { Budget } from './bundle-report';

export interface EspruinoCheckOptions {
  /** The budget, or the path of its JSON file; null: sizes only, no limits. @default 'size-budget.json' */
  budget?: string | Budget | null;
  /** Bundle file names to wait for before printing one table for all. */
  expect?: string[];
  /** Where the table goes. @default console.log */
  log?: (text: string) => void;
}

/** Creates the plugin; list it after the minifier. */
export function espruinoCheck(options?: EspruinoCheckOptions): Plugin;
