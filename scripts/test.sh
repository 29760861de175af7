#!/usr/bin/env bash
# Builds Vidyut and runs every test: the unit and end-to-end suite (release build), the browser
# tests of the portal and the control room, the same suite under address + undefined-behaviour
# sanitizers (clang), and each fuzz target (built in the same sanitizer build) for a short bounded
# time.
# Usage: scripts/test.sh [--quick]   (--quick: release suite only)
set -euo pipefail
cd "$(dirname "$0")/.."
quick=0
[ "${1:-}" = "--quick" ] && quick=1
fuzz_seconds="${VIDYUT_FUZZ_SECONDS:-10}"

echo "== release build and tests"
cmake --preset release >/dev/null
cmake --build --preset release
mkdir -p build
if ! ctest --preset release 2>&1 | tee build/release-ctest.log; then
  echo "!! release suite failed (build/release-ctest.log)"
  exit 1
fi

echo "== browser tests (Playwright, Debian's Chromium): portal and control room, screenshots in build/web-test"
bash web/tests/run.sh build/release/src/cli/vidyut build/web-test || { echo "!! browser tests failed"; exit 1; }

if [ "$quick" -eq 1 ]; then exit 0; fi

echo "== sanitizer build (clang: address, undefined; the tests and the fuzz targets) and tests"
cmake --preset asan >/dev/null
cmake --build --preset asan
ctest --preset asan || { echo "!! sanitizer suite failed"; exit 1; }

echo "== fuzz targets, ${fuzz_seconds}s each"
bash fuzz/run.sh "$fuzz_seconds" || { echo "!! a fuzz target failed (see above)"; exit 1; }

# The main suite's summary last, so the closing lines count every test (from its run above:
# running it again would only add a chance of a timing-sensitive test failing on a busy machine).
echo "== summary (release suite)"
tail -n 4 build/release-ctest.log
