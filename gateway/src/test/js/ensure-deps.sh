#!/usr/bin/env bash
# Installs the pinned JavaScript clients the gateway's tests drive, with `npm ci`, when node_modules is
# missing or older than package-lock.json, and Debian's chromium when it is absent and we are root
# (LEDGERMIND_NO_APT=1 turns that off). Quick when up to date.
set -euo pipefail
cd "$(dirname "$0")"
# Maven passes skipTests and maven.test.skip: a build that runs no test (./ledgermind's) installs nothing.
for skip in "$@"; do
  if [ "$skip" = true ] || [ -z "$skip" ]; then exit 0; fi
done
if ! command -v npm >/dev/null 2>&1; then
  echo "error: npm not found; the gateway's client tests need Node.js 20+ with npm" >&2
  exit 1
fi
# The explorer's browser test drives Debian's chromium (playwright-core cannot download a browser here).
if [ ! -x /usr/bin/chromium ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && [ -z "${LEDGERMIND_NO_APT:-}" ]; then
  echo "installing Debian's chromium for the explorer test (apt-get install chromium)..."
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } \
    || echo "warning: could not install chromium; the explorer test will be skipped" >&2
fi
stamp=node_modules/.ledgermind-lock.sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then exit 0; fi
echo "installing the pinned JavaScript test clients (npm ci)..."
npm ci --no-audit --no-fund --loglevel=error
echo "$want" > "$stamp"
