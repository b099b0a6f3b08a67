#!/usr/bin/env bash
# Installs the pinned contract toolchain (solc, anvil, forge, OpenZeppelin) with `npm ci` when
# node_modules is missing or older than package-lock.json. Idempotent and quick when up to date.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v npm >/dev/null 2>&1; then
  echo "error: npm not found. Ledgermind needs Node.js 20+ with npm for its contract toolchain (solc, anvil)." >&2
  exit 1
fi
stamp=node_modules/.ledgermind-lock.sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -x node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil ] && [ -x node_modules/@foundry-rs/forge-linux-amd64/bin/forge ]; then
  exit 0
fi
echo "installing the pinned contract toolchain (npm ci)..."
npm ci --no-audit --no-fund --loglevel=error
echo "$want" > "$stamp"
