#!/usr/bin/env bash
# Builds the cargo-fuzz targets in fuzz/ and runs each in turn for a while, over its committed
# seeds (fuzz/seeds/<target>) and the corpus grown by earlier runs (fuzz/corpus/<target>, not
# committed). Exits non-zero on a crash, a hang (10 s per input) or a failed build.
# Usage: scripts/fuzz.sh [seconds per target, default 20] [target...]
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-20}
targets=("${@:2}")
[ ${#targets[@]} -gt 0 ] || targets=(token command publication http)

if ! cargo +nightly --version >/dev/null 2>&1; then
  echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!" >&2
  echo "!!! FUZZING SKIPPED: no nightly Rust toolchain (rustup toolchain install nightly)" >&2
  echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!" >&2
  exit 0
fi
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked

cd fuzz
cargo +nightly fuzz build
mkdir -p artifacts
for target in "${targets[@]}"; do
  mkdir -p "corpus/$target"
  log="artifacts/$target.log"
  echo "fuzz: $target for ${seconds}s"
  if ! cargo +nightly fuzz run "$target" "corpus/$target" "seeds/$target" -- \
    -max_total_time="$seconds" -timeout=10 -print_final_stats=1 >"$log" 2>&1; then
    tail -n 60 "$log" >&2
    echo "fuzz: $target FAILED (full log: fuzz/$log; the input is in fuzz/artifacts/$target/)" >&2
    exit 1
  fi
  grep -E '^(#[0-9]+[[:space:]]+DONE|stat::number_of_executed_units|stat::average_exec_per_sec)' "$log" || true
done
