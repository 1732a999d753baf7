/** Moves every function's parameters into `var`s read from `arguments` (see the module header). */
export function transform(code: string): string;
/** The rollup plugin running `transform` on every output chunk. */
export function paramsToArguments(): import('rollup').Plugin;
