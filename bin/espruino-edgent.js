#!/usr/bin/env node
// The command line (cli/main.ts), compiled to build/cli/main.js by `npm run build`.
'use strict';
let cli;
try {
  cli = require('../build/cli/main.js');
} catch (e) {
  if (e && e.code === 'MODULE_NOT_FOUND' && /build[\\/]cli[\\/]main\.js/.test(e.message)) {
    process.stderr.write('espruino-edgent: build/cli/main.js is missing: run `npm run build` in the espruino-edgent repository first\n');
    process.exit(1);
  }
  throw e;
}
cli.main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
