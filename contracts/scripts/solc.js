#!/usr/bin/env node
// A stand-in for native solc that forge can drive offline: it answers `--version` the way native
// solc does and serves `--standard-json` (input on stdin, output on stdout) through the pinned npm
// solc (WebAssembly). forge cannot fetch a native solc here, and it refuses solcjs as it is
// (different --version text, and solcjs prints a ">>> Cannot retry compilation with SMT" line before
// the JSON). Imports are resolved by forge (it passes every source in the input), so none are read here.
'use strict';
const path = require('path');
const solc = require(path.join(__dirname, '..', 'node_modules', 'solc'));

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
  const input = Buffer.concat(chunks).toString('utf8');
  const out = solc.compile(input, {
    import: (p) => ({ error: `import not found: ${p} (forge passes all sources; none are read from disk)` }),
  });
  process.stdout.write(out);
});
