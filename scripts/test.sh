#!/usr/bin/env bash
# The whole test suite from a clean checkout: installs what it needs, builds the addon, then runs
# the Rust tests and the Node tests. Exits non-zero when any test fails.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/prepare.sh
# PyJWT makes and checks tokens in the interop tests, as AnyCable's Python snippet does.
python3 -c 'import jwt' 2>/dev/null || python3 -m pip install --quiet --disable-pip-version-check 'PyJWT>=2.8,<3'

cargo test --workspace
node --test __test__/
