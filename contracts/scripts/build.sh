#!/usr/bin/env bash
# Compiles the contracts for the jar (generate-resources). When the forge tests will run (first argument
# "false", i.e. -Dforge.skip is not set), `forge build` compiles sources and tests once and compile.js
# exports its artifacts; forge-test.sh then finds everything compiled. Otherwise (-DskipTests,
# -Dforge.skip=true) compile.js compiles the sources alone through the npm solc, which is quicker than
# compiling the tests too. Same compiler and settings either way (foundry.toml = compile.js).
#   scripts/build.sh FORGE_SKIP SRC_DIR OUT_DIR [TEST_SRC_DIR TEST_OUT_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
skip="$1"; shift
if [ "$skip" = "true" ]; then
  exec node scripts/compile.js "$@"
fi
forge=node_modules/@foundry-rs/forge-linux-amd64/bin/forge
start=$(date +%s)
"$forge" build
echo "forge build (sources and tests): $(( $(date +%s) - start )) s"
exec node scripts/compile.js "$@" --from-forge target/forge-out
