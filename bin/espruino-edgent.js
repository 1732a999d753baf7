#!/usr/bin/env node
// The simulator's command line (sim/cli.ts), run through tsx.
require('tsx/cjs');
require('../sim/cli.ts').main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
