#!/usr/bin/env node
// One standard-json compilation as several solc processes at once. solc-js (WebAssembly) is single-threaded
// and via-IR optimisation is most of its time, so on a machine with N cores the source units are shared out
// among N processes: each gets every source (so every import and every source id is the same) but asks for
// the code of its own share only, and the outputs are merged. solc's output for a contract does not depend on
// which other contracts are selected: measured on the 99-unit forge build, all 112 bytecodes were identical
// to a single compilation's, at 297 + 299 s of CPU in two processes against 527 s in one.
//
// Used by solc.js (forge's compiler) and compile.js. LEDGERMIND_SOLC_JOBS sets the number of processes
// (default: the machine's cores, at most 4; 1 compiles in this process, as before).
//
// As a worker (spawned by compileParallel): node solc-jobs.js --worker [IMPORT_ROOT...]
//   reads one standard-json input on stdin, writes solc's output on stdout; imports not in the input are
//   read from the IMPORT_ROOTs (compile.js passes node_modules and the contracts folder; forge passes
//   every source, so none are read).
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawn } = require('child_process');

const solcPath = path.join(__dirname, '..', 'node_modules', 'solc');

function importer(roots) {
  return (p) => {
    for (const r of roots) {
      const c = path.join(r, p);
      if (fs.existsSync(c)) return { contents: fs.readFileSync(c, 'utf8') };
    }
    return { error: `import not found: ${p}` + (roots.length ? ` (looked in ${roots.join(', ')})` : ' (every source must be in the input)') };
  };
}

/** How many solc processes to run: LEDGERMIND_SOLC_JOBS, else the cores (at most 4). */
function jobCount() {
  const env = process.env.LEDGERMIND_SOLC_JOBS;
  if (env !== undefined && env !== '') {
    const n = Number(env);
    if (!Number.isInteger(n) || n < 1) throw new Error(`LEDGERMIND_SOLC_JOBS must be a positive integer, got '${env}'`);
    return n;
  }
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  return Math.max(1, Math.min(4, cores));
}

/**
 * The per-unit output selections of `input`, or null when it cannot be split by unit (a "*" key: compile.js
 * asks for every unit of its sources this way, so "*" becomes one entry per source given).
 */
function unitSelections(input) {
  const sel = input.settings && input.settings.outputSelection;
  if (!sel) return null;
  const keys = Object.keys(sel);
  if (keys.length === 1 && keys[0] === '*') {
    const out = {};
    for (const unit of Object.keys(input.sources || {})) out[unit] = sel['*'];
    return out;
  }
  return keys.includes('*') ? null : sel;
}

/** Shares the units among `jobs` groups, largest source first, each to the group with the fewest bytes so far. */
function partition(input, selections, jobs) {
  const size = (u) => (input.sources[u] && input.sources[u].content ? input.sources[u].content.length : 0);
  const units = Object.keys(selections).sort((a, b) => size(b) - size(a) || (a < b ? -1 : 1));
  const load = new Array(jobs).fill(0);
  const groups = Array.from({ length: jobs }, () => ({}));
  for (const u of units) {
    let g = 0;
    for (let i = 1; i < jobs; i++) if (load[i] < load[g]) g = i;
    load[g] += size(u);
    groups[g][u] = selections[u];
  }
  return groups.filter((g) => Object.keys(g).length > 0);
}

function runWorker(input, roots) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [__filename, '--worker', ...roots], { stdio: ['pipe', 'pipe', 'inherit'] });
    const chunks = [];
    child.stdout.on('data', (c) => chunks.push(c));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code !== 0) return reject(new Error(`solc worker (pid ${child.pid}) exited with ${signal || code}`));
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch (e) {
        reject(new Error(`solc worker (pid ${child.pid}) wrote no JSON: ${e.message}`));
      }
    });
    child.stdin.end(JSON.stringify(input));
  });
}

/** The groups' outputs as one: contracts joined (each unit is in one group), sources from the first, errors once each. */
function merge(outputs) {
  const merged = { contracts: {}, sources: {}, errors: [] };
  const seen = new Set();
  for (const o of outputs) {
    for (const [unit, contracts] of Object.entries(o.contracts || {})) {
      merged.contracts[unit] = Object.assign(merged.contracts[unit] || {}, contracts);
    }
    for (const [unit, s] of Object.entries(o.sources || {})) {
      const have = merged.sources[unit];
      if (have && have.id !== s.id) throw new Error(`solc workers gave ${unit} different source ids (${have.id}, ${s.id})`);
      if (!have) merged.sources[unit] = s;
    }
    for (const e of o.errors || []) {
      const key = JSON.stringify([e.severity, e.errorCode, e.formattedMessage || e.message]);
      if (!seen.has(key)) {
        seen.add(key);
        merged.errors.push(e);
      }
    }
  }
  if (merged.errors.length === 0) delete merged.errors;
  return merged;
}

/**
 * Compiles the standard-json `input` (an object) and returns solc's output (an object), in `jobs` processes
 * when it has enough units to share; imports not in the input are read from `roots`.
 */
async function compileParallel(input, roots = [], jobs = jobCount()) {
  const selections = unitSelections(input);
  const groups = selections && jobs > 1 ? partition(input, selections, jobs) : [];
  if (groups.length < 2) {
    return JSON.parse(require(solcPath).compile(JSON.stringify(input), { import: importer(roots) }));
  }
  const outputs = await Promise.all(groups.map((sel) =>
    runWorker({ ...input, settings: { ...input.settings, outputSelection: sel } }, roots)));
  return merge(outputs);
}

module.exports = { compileParallel, jobCount, partition, merge, unitSelections };

if (require.main === module && process.argv[2] === '--worker') {
  const roots = process.argv.slice(3);
  const chunks = [];
  process.stdin.on('data', (c) => chunks.push(c));
  process.stdin.on('end', () => {
    const out = require(solcPath).compile(Buffer.concat(chunks).toString('utf8'), { import: importer(roots) });
    process.stdout.write(out);
  });
}
