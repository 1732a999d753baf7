/**
 * Text helpers of the bench: aligned tables (plain text for the terminal,
 * Markdown for the README), percentiles and ASCII bars. Nothing here measures.
 */

/** A table: a title, a header row and data rows (cells already formatted). */
export interface Table {
  /** Printed above the table (a Markdown heading in the report). */
  title: string;
  /** Column names. */
  head: string[];
  /** Rows of cells; a cell that parses as a number is right-aligned. */
  rows: string[][];
  /** Lines printed under the table (method, caveats). */
  notes?: string[];
}

/** A numeric cell (a figure with an optional unit, or '-' for none). */
const NUMERIC = /^([-+]?[\d,.]+( ?(%|ms|s|B|KB|\/s))?|-)$/;

function widths(t: Table): number[] {
  return t.head.map((h, i) => Math.max(h.length, ...t.rows.map((r) => (r[i] ?? '').length)));
}

/** The table as aligned plain text: numbers right-aligned, text left-aligned. */
export function textTable(t: Table): string {
  const w = widths(t);
  const line = (cells: string[]) =>
    cells.map((c, i) => (NUMERIC.test(c) ? c.padStart(w[i]) : c.padEnd(w[i]))).join('  ').trimEnd();
  const out = [t.title, line(t.head), w.map((n) => '-'.repeat(n)).join('  '), ...t.rows.map(line)];
  for (const n of t.notes ?? []) out.push('  ' + n);
  return out.join('\n');
}

/** The table as Markdown (pipes escaped), with its notes as a list under it. */
export function markdownTable(t: Table): string {
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  const align = t.head.map((_, i) => (t.rows.length > 0 && t.rows.every((r) => NUMERIC.test(r[i] ?? '')) ? '---:' : '---'));
  const out = [
    `### ${t.title}`,
    '',
    `| ${t.head.map(esc).join(' | ')} |`,
    `| ${align.join(' | ')} |`,
    ...t.rows.map((r) => `| ${r.map(esc).join(' | ')} |`),
  ];
  if (t.notes?.length) out.push('', ...t.notes.map((n) => `- ${n}`));
  return out.join('\n');
}

/** Integer with thousands separators. */
export function int(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** Fixed-point number. */
export function fixed(n: number, digits = 1): string {
  return n.toFixed(digits);
}

/** A ratio as a percentage. */
export function pct(part: number, whole: number, digits = 1): string {
  return whole > 0 ? `${((100 * part) / whole).toFixed(digits)} %` : '-';
}

/** Nearest-rank percentile (p in 0..100) of unsorted samples; NaN when there are none. */
export function percentile(samples: number[], p: number): number {
  if (samples.length === 0) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1];
}

/** Summary statistics of latency samples (ms). */
export interface Stats {
  n: number;
  p50: number;
  p99: number;
  mean: number;
  max: number;
}

/** p50, p99, mean and max of samples. */
export function stats(samples: number[]): Stats {
  const n = samples.length;
  return {
    n,
    p50: percentile(samples, 50),
    p99: percentile(samples, 99),
    mean: n ? samples.reduce((a, b) => a + b, 0) / n : NaN,
    max: n ? Math.max(...samples) : NaN,
  };
}

/** A horizontal bar of `value` scaled so that `max` fills `width` characters. */
export function bar(value: number, max: number, width = 40): string {
  if (max <= 0 || value <= 0) return '';
  return '#'.repeat(Math.max(1, Math.round((value / max) * width)));
}
