/**
 * Built-ins that Espruino (2v29) provides beyond ES5, declared so device code
 * (compiled with `lib: ["es5"]`) may use them. Only what the interpreter really
 * has goes here: `Map`, `Set`, `Symbol`, `Promise.race`, `Array.from`,
 * `Number.isInteger`, `Math.trunc`, `RangeError` and friends stay undeclared so
 * that device code using them does not type-check.
 */

interface ObjectConstructor {
  /** Copies own enumerable properties of the sources onto the target. */
  assign<T, U>(target: T, source: U): T & U;
  /** Own enumerable property values. */
  values<T>(o: { [k: string]: T }): T[];
}

interface String {
  /** True if the string starts with `search`. */
  startsWith(search: string, position?: number): boolean;
  /** True if the string ends with `search`. */
  endsWith(search: string, length?: number): boolean;
  /** True if `search` occurs in the string. */
  includes(search: string, position?: number): boolean;
  /** Pads the start to `length` with `fill`. */
  padStart(length: number, fill?: string): string;
  /** The string repeated `count` times. */
  repeat(count: number): string;
}

interface Array<T> {
  /** First element matching the predicate. */
  find(predicate: (value: T, index: number) => boolean): T | undefined;
  /** Index of the first element matching the predicate, or -1. */
  findIndex(predicate: (value: T, index: number) => boolean): number;
  /** True if the array holds `value`. */
  includes(value: T): boolean;
  /** Fills the array with `value`. */
  fill(value: T, start?: number, end?: number): this;
}
