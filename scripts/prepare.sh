#!/usr/bin/env bash
# Makes a checkout ready to run: node_modules from the lockfile and the native addon built from
# the Rust sources (cargo makes this a quick no-op when nothing changed).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
npm run --silent build
