#!/usr/bin/env bash
# The whole test suite from a clean checkout: installs what it needs, builds the addon, then runs
# the Rust tests and the Node tests. Exits non-zero when any test fails.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/prepare.sh
# PyJWT makes and checks tokens in the interop tests, as AnyCable's Python snippet does.
python3 -c 'import jwt' 2>/dev/null || python3 -m pip install --quiet --disable-pip-version-check 'PyJWT>=2.8,<3'

# The Redis tests start their own redis-server on free ports, and the demo test drives Debian's
# Chromium; install what is missing.
missing=()
command -v redis-server >/dev/null || missing+=(redis-server)
[ -x /usr/bin/chromium ] || missing+=(chromium)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "missing: ${missing[*]}: install with apt-get install ${missing[*]} and rerun" >&2
    exit 1
  fi
fi

# Each fuzz target for 20 s over its seeds and the corpus so far; a crash or a hang fails the run.
bash scripts/fuzz.sh 20
cargo test --workspace
# The load generator's smoke test (__test__/loadgen.test.mjs) runs the debug build.
cargo build -p anycable-loadgen
node --test __test__/
