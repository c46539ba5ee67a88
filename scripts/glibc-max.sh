#!/usr/bin/env bash
# Prints the highest glibc symbol version a Linux binary needs (e.g. `2.17`): it loads only where
# the installed glibc is at least that. With a baseline (`glibc-max.sh file.node 2.17`), fails when
# the binary needs a newer glibc than the baseline, as the release workflow does for the -gnu builds.
set -euo pipefail

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
  echo "usage: glibc-max.sh <binary> [baseline, e.g. 2.17]" >&2
  exit 2
fi
binary=$1
baseline=${2:-}
[ -f "$binary" ] || { echo "glibc-max: no such file: $binary" >&2; exit 2; }
command -v readelf >/dev/null || { echo "glibc-max: needs readelf (binutils)" >&2; exit 2; }
if [ -n "$baseline" ] && ! [[ $baseline =~ ^[0-9]+\.[0-9]+(\.[0-9]+)?$ ]]; then
  echo "glibc-max: the baseline is a glibc version such as 2.17, not '$baseline'" >&2
  exit 2
fi

# readelf reads any architecture's ELF, so the aarch64 build is checked on an x64 runner too. Its
# version needs list every GLIBC_x.y the dynamic symbols ask for.
info=$(readelf --version-info --wide "$binary" 2>&1) || { echo "glibc-max: not an ELF binary: $binary ($info)" >&2; exit 2; }
highest=$(grep -o 'GLIBC_[0-9][0-9.]*[0-9]' <<<"$info" | sed 's/^GLIBC_//' | sort -uV | tail -n 1 || true)
if [ -z "$highest" ]; then
  echo "glibc-max: $binary needs no versioned glibc symbol (not linked against glibc?)" >&2
  exit 2
fi
echo "$highest"

if [ -n "$baseline" ] && [ "$(printf '%s\n' "$baseline" "$highest" | sort -V | tail -n 1)" != "$baseline" ]; then
  echo "glibc-max: $binary needs glibc $highest, above the baseline $baseline" >&2
  exit 1
fi
