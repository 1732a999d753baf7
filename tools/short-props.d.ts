/** Internal property name -> its name on the board (see the module header of short-props.js). */
export const SHORT_NAMES: Readonly<Record<string, string>>;
/** `code` with the listed property names and keys shortened; throws when a rename could break it. */
export function rename(code: string, names?: Readonly<Record<string, string>>, file?: string): string;
/** Throws if product code (outside lib/, boards/, examples/) uses a listed name as a property. */
export function checkForeign(code: string, id: string, names?: Readonly<Record<string, string>>): void;
/** The rollup plugin: `rename` on every output chunk, `checkForeign` on every module of product code. */
export function shortProps(names?: Readonly<Record<string, string>>): import('rollup').Plugin;
