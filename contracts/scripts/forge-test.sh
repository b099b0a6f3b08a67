#!/usr/bin/env bash
# Runs the forge contract tests (test/) offline through the pinned npm forge and solc (scripts/solc):
# the unit, attack and fuzz tests against the committed gas snapshot (.gas-snapshot; a gas change
# fails until `forge snapshot` is rerun and the file committed), then the invariant suite
# (foundry.toml [invariant]: runs = call sequences per invariant). Prints the wall time of each step.
set -euo pipefail
cd "$(dirname "$0")/.."
forge=node_modules/@foundry-rs/forge-linux-amd64/bin/forge
if [ ! -x "$forge" ]; then
  echo "error: $forge is missing: run scripts/ensure-toolchain.sh (npm ci)" >&2
  exit 1
fi
start=$(date +%s)
# sources and tests in one compilation (nothing to do after scripts/build.sh), then the sizes of the
# sources from that cache: compiling the sources alone first would compile them twice
"$forge" build >/dev/null
"$forge" build --sizes --skip test >/dev/null
echo "forge build: $(( $(date +%s) - start )) s"
start=$(date +%s)
# The snapshot covers the deterministic tests only: a fuzz test's gas is a statistic of its random
# inputs, and the draw-dependent ones moved by up to 13% between two runs of the same code (seats land
# differently), so they run below without a gas check. 1% tolerance for the rest; the k=3 bar is
# checked exactly by chain's GasReport.
"$forge" snapshot --check --tolerance 1 --no-match-contract Invariants --no-match-test '^testFuzz'
echo "forge unit and attack tests (gas snapshot checked): $(( $(date +%s) - start )) s"
start=$(date +%s)
"$forge" test --no-match-contract Invariants --match-test '^testFuzz'
echo "forge fuzz tests: $(( $(date +%s) - start )) s"
start=$(date +%s)
"$forge" test --match-contract Invariants
echo "forge invariant tests: $(( $(date +%s) - start )) s"
