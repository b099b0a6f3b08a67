#!/usr/bin/env node
// Compiles every contracts/src/**/*.sol (and, when given, the test-only contracts of TEST_SRC_DIR)
// through solc's standard-json API (the npm solc pinned in package-lock.json) in one compilation, and
// writes, for each contract defined under SRC_DIR, NAME.abi and NAME.bin into OUT_DIR, plus
// artifacts.json (name -> {abi, bytecode, source, deployedSize}); the test-only contracts go to
// TEST_OUT_DIR the same way (test classes: they are not in the contracts jar). A compile error exits 1
// with solc's own formatted message. Re-running with unchanged sources and settings is a no-op.
//
// usage: node scripts/compile.js SRC_DIR OUT_DIR [TEST_SRC_DIR TEST_OUT_DIR] [--from-forge FORGE_OUT]
//
// With --from-forge, nothing is compiled here: the artifacts of a `forge build` that has just run (same
// compiler and settings, foundry.toml) are exported instead, so that a build that also runs the forge
// tests compiles the contracts once, not twice (scripts/build.sh). Only the CBOR metadata at the end of
// the bytecode can differ between the two ways (forge hashes its own settings into it); the code is the same.
'use strict';
const fs = require('fs');
const path = require('path');
const crypto = require('crypto');

const argv = process.argv.slice(2);
let forgeOut = null;
const fromForge = argv.indexOf('--from-forge');
if (fromForge >= 0) {
  forgeOut = argv[fromForge + 1];
  if (!forgeOut) {
    console.error('--from-forge needs the forge output folder');
    process.exit(2);
  }
  argv.splice(fromForge, 2);
}
const [srcDir, outDir, testSrcDir, testOutDir] = argv;
if (!srcDir || !outDir) {
  console.error('usage: compile.js SRC_DIR OUT_DIR');
  process.exit(2);
}
const root = path.resolve(__dirname, '..');
const nodeModules = path.join(root, 'node_modules');

function listSol(dir) {
  const out = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listSol(p));
    else if (entry.name.endsWith('.sol')) out.push(p);
  }
  return out.sort();
}

// Source units are named by their path from the contracts folder (src/TaskMarket.sol,
// test/testing/RecordingConsumer.sol), so relative imports between the two trees resolve.
const unitOf = (f) => path.relative(root, f).split(path.sep).join('/');
const files = fs.existsSync(srcDir) ? listSol(path.resolve(srcDir)) : [];
const testFiles = testSrcDir && fs.existsSync(testSrcDir) ? listSol(path.resolve(testSrcDir)) : [];
const sources = {};
const exportTo = {};
for (const f of files) {
  sources[unitOf(f)] = { content: fs.readFileSync(f, 'utf8') };
  exportTo[unitOf(f)] = outDir;
}
for (const f of testFiles) {
  sources[unitOf(f)] = { content: fs.readFileSync(f, 'utf8') };
  exportTo[unitOf(f)] = testOutDir;
}

const settings = {
  optimizer: { enabled: true, runs: 20000 },
  evmVersion: 'cancun',
  viaIR: true,
  outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object'] } },
};

let solcVersion;
try {
  solcVersion = require(path.join(nodeModules, 'solc', 'package.json')).version;
} catch (e) {
  console.error(`solc is not installed under ${nodeModules}: run 'npm ci' in ${root}`);
  process.exit(1);
}

const stamp = crypto.createHash('sha256')
  .update(JSON.stringify({ sources, settings, solcVersion, from: forgeOut ? 'forge' : 'solc' }))
  .digest('hex');
const stampFile = path.join(outDir, '.solc-stamp');
const testStampOk = !testOutDir || fs.existsSync(path.join(testOutDir, 'artifacts.json'));
if (testStampOk && fs.existsSync(stampFile) && fs.readFileSync(stampFile, 'utf8') === stamp) {
  console.log(`contracts up to date (${files.length} sources, solc ${solcVersion})`);
  process.exit(0);
}

if (files.length === 0) {
  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(path.join(outDir, 'artifacts.json'), '{}');
  console.log('no Solidity sources found');
  process.exit(0);
}
const started = Date.now();
if (forgeOut) {
  finish(readForgeArtifacts(forgeOut));
} else {
  // one solc process per core, each generating the code of its share of the units (scripts/solc-jobs.js)
  require('./solc-jobs').compileParallel({ language: 'Solidity', sources, settings }, [nodeModules, root])
    .then(finish, (e) => {
      console.error(`solidity compilation failed: ${e.message}`);
      process.exit(1);
    });
}

// forge's artifacts (FORGE_OUT/File.sol/Name.json) in the shape of solc's standard-json output, for the
// source units compiled here; each artifact names its source unit in its metadata's compilationTarget
function readForgeArtifacts(dir) {
  const contracts = {};
  if (!fs.existsSync(dir)) {
    console.error(`no forge output at ${dir}: run forge build first`);
    process.exit(1);
  }
  for (const folder of fs.readdirSync(dir, { withFileTypes: true })) {
    if (!folder.isDirectory() || folder.name === 'build-info') continue;
    for (const file of fs.readdirSync(path.join(dir, folder.name))) {
      if (!file.endsWith('.json')) continue;
      const a = JSON.parse(fs.readFileSync(path.join(dir, folder.name, file), 'utf8'));
      const target = a.metadata && a.metadata.settings && a.metadata.settings.compilationTarget;
      if (!target) continue;
      for (const [source, name] of Object.entries(target)) {
        if (!sources[source]) continue; // a library or forge test unit, not exported
        const strip = (o) => (o || '').replace(/^0x/, '');
        const bytecode = strip(a.bytecode && a.bytecode.object);
        if (bytecode.includes('__$')) {
          console.error(`${source}:${name} needs library linking, which this build does not do`);
          process.exit(1);
        }
        (contracts[source] = contracts[source] || {})[name] = {
          abi: a.abi, evm: { bytecode: { object: bytecode }, deployedBytecode: { object: strip(a.deployedBytecode && a.deployedBytecode.object) } },
        };
      }
    }
  }
  for (const source of Object.keys(sources)) {
    if (!contracts[source]) {
      console.error(`forge output at ${dir} has nothing for ${source}: is it stale? rerun forge build`);
      process.exit(1);
    }
  }
  return { contracts };
}

function finish(output) {
let failed = false;
for (const err of output.errors || []) {
  if (err.severity === 'error') {
    failed = true;
    console.error(err.formattedMessage);
  } else if (!/SPDX|unreachable|Transient storage as defined by EIP-1153/i.test(err.message)) {
    console.error(err.formattedMessage);
  }
}
if (failed) {
  console.error('solidity compilation failed');
  process.exit(1);
}

const artifactsByDir = new Map([[outDir, {}]]);
if (testOutDir) artifactsByDir.set(testOutDir, {});
const seen = {};
for (const [source, contracts] of Object.entries(output.contracts || {})) {
  const dir = exportTo[source];
  if (!dir) continue; // library sources (OpenZeppelin) are compiled but not exported
  fs.mkdirSync(dir, { recursive: true });
  const artifacts = artifactsByDir.get(dir);
  for (const [name, c] of Object.entries(contracts)) {
    if (seen[name]) {
      console.error(`two contracts are named ${name} (${seen[name]} and ${source}); names must be unique`);
      process.exit(1);
    }
    seen[name] = source;
    artifacts[name] = { source, abi: c.abi, bytecode: c.evm.bytecode.object, deployedSize: c.evm.deployedBytecode.object.length / 2 };
    fs.writeFileSync(path.join(dir, `${name}.abi`), JSON.stringify(c.abi));
    fs.writeFileSync(path.join(dir, `${name}.bin`), c.evm.bytecode.object);
  }
}
for (const [dir, artifacts] of artifactsByDir) {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'artifacts.json'), JSON.stringify(artifacts));
}
fs.writeFileSync(stampFile, stamp);
console.log(forgeOut
  ? `exported ${Object.keys(seen).length} contracts of ${files.length + testFiles.length} sources from forge's build (solc ${solcVersion})`
  : `compiled ${files.length + testFiles.length} sources into ${Object.keys(seen).length} contracts with solc ${solcVersion} in ${Date.now() - started} ms`);
}
