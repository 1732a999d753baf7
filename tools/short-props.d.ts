/** Internal property name -> its name on the board (see the module header of short-props.js). */
export const SHORT_NAMES: Readonly<Record<string, string>>;
/** `code` (one module after TypeScript) with the listed property names and keys shortened; throws when a rename could break it. */
export function rename(code: string, names?: Readonly<Record<string, string>>, file?: string): string;
/** The rollup plugin: `rename` on every module of the library's own device sources (lib/, boards/), nothing on product code. */
export function shortProps(names?: Readonly<Record<string, string>>): import('rollup').Plugin;
