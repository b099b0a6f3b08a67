#!/usr/bin/env node
// A stand-in for native solc that forge can drive offline: it answers `--version` the way native
// solc does and serves `--standard-json` (input on stdin, output on stdout) through the pinned npm
// solc (WebAssembly). forge cannot fetch a native solc here, and it refuses solcjs as it is
// (different --version text, and solcjs prints a ">>> Cannot retry compilation with SMT" line before
// the JSON). Imports are resolved by forge (it passes every source in the input), so none are read here.
// The compilation runs in one solc process per core (solc-jobs.js).
'use strict';
const path = require('path');
const solc = require(path.join(__dirname, '..', 'node_modules', 'solc'));
const { compileParallel } = require('./solc-jobs');

const args = process.argv.slice(2);
if (args.includes('--version')) {
  process.stdout.write(`solc, the solidity compiler commandline interface\nVersion: ${solc.version()}\n`);
  process.exit(0);
}
if (!args.includes('--standard-json')) {
  process.stderr.write(`solc.js: only --version and --standard-json are supported (got: ${args.join(' ')})\n`);
  process.exit(2);
}
const chunks = [];
process.stdin.on('data', (c) => chunks.push(c));
process.stdin.on('end', () => {
  let input;
  try {
    input = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch (e) {
    process.stderr.write(`solc.js: the standard-json input on stdin is not JSON: ${e.message}\n`);
    process.exit(1);
  }
  // forge passes every source, so no import is read from disk; the units are compiled by one solc process
  // per core (solc-jobs.js), with the same bytes as one compilation
  compileParallel(input, []).then((out) => process.stdout.write(JSON.stringify(out)), (e) => {
    process.stderr.write(`solc.js: ${e.message}\n`);
    process.exit(1);
  });
});
