#!/usr/bin/env bash
# What `npm run bench*` needs beyond scripts/prepare.sh: the peers only the benchmarks compare
# against (benchmark/package.json), installed into benchmark/node_modules, where Node resolves the
# benchmark scripts' imports first.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/prepare.sh
if [ ! -d benchmark/node_modules ] || [ benchmark/package-lock.json -nt benchmark/node_modules/.package-lock.json ]; then
  # `npm install --no-save` rather than `npm ci`: @node-rs/jsonwebtoken names platform packages a
  # registry may not all serve (the one this lockfile was made with served only linux-x64-gnu and
  # -musl), and npm ci refuses a lockfile without them. --no-save leaves the lockfile as committed.
  (cd benchmark && npm install --no-save --no-audit --no-fund)
fi
