#!/usr/bin/env bash
# Builds Vidyut and runs every test: the unit and end-to-end suite (release build), the same suite
# under address + undefined-behaviour sanitizers, and each fuzz target for a short bounded time.
# Usage: scripts/test.sh [--quick]   (--quick: release suite only)
set -euo pipefail
cd "$(dirname "$0")/.."
quick=0
[ "${1:-}" = "--quick" ] && quick=1
fuzz_seconds="${VIDYUT_FUZZ_SECONDS:-20}"

echo "== release build and tests"
cmake --preset release >/dev/null
cmake --build --preset release
ctest --preset release

if [ "$quick" -eq 1 ]; then exit 0; fi

echo "== sanitizer build (address, undefined) and tests"
cmake --preset asan >/dev/null
cmake --build --preset asan
ctest --preset asan

echo "== fuzz targets, ${fuzz_seconds}s each"
bash fuzz/run.sh "$fuzz_seconds"

# Repeat the main suite's summary last so the closing line counts every test.
echo "== summary (release suite)"
ctest --preset release
