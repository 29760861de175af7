#!/usr/bin/env bash
# Builds the fuzz targets and runs each fuzz_<name> for N seconds (default 60) on a scratch copy
# of its seed corpus fuzz/corpus/<name>/, so the checked-in corpus is not polluted.
# Usage: fuzz/run.sh [seconds] [name...]     e.g. fuzz/run.sh 180 axdr, fuzz/run.sh 60 fleet_file
# Without names it runs every target (fuzz/<name>_fuzz.cc).
# Environment: BUILD_DIR (default build/asan, the `asan` preset's directory: clang with ASan, UBSan
# and libFuzzer's coverage in every library, where the sanitizer test suite is built too).
# Exits non-zero when a target fails to build or a fuzzer finds a crash; crash inputs are left
# in the scratch directory and named in the output.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
seconds="${1:-60}"
shift || true
build="${BUILD_DIR:-$root/build/asan}"

if [[ ! -f "$build/build.ninja" ]]; then
  if [[ -n "${BUILD_DIR:-}" ]]; then
    echo "fuzz/run.sh: $build is not configured (cmake --preset asan configures build/asan)" >&2
    exit 1
  fi
  (cd "$root" && cmake --preset asan >/dev/null)
fi

if [[ $# -gt 0 ]]; then
  names=("$@")
else
  names=()
  for src in "$root"/fuzz/*_fuzz.cc; do
    n="$(basename "$src" _fuzz.cc)"
    names+=("$n")
  done
fi

targets=()
for n in "${names[@]}"; do targets+=("fuzz_$n"); done
cmake --build "$build" --target "${targets[@]}" -j2

status=0
failed=()
for n in "${names[@]}"; do
  scratch="$build/fuzz-run/$n"
  mkdir -p "$scratch/corpus" "$scratch/artifacts"
  if [[ -d "$root/fuzz/corpus/$n" ]]; then
    cp -n "$root/fuzz/corpus/$n"/* "$scratch/corpus/" 2>/dev/null || true
  fi
  extra=()
  case "$n" in
    # One fleet shared by all inputs grows on purpose (episodes, scenario lines), which makes
    # libFuzzer run a full leak scan after nearly every input (7x slower); the harness bounds
    # that growth itself. Leaks still show in the other targets and in the asan test preset.
    fleet_control) extra+=(-detect_leaks=0) ;;
  esac
  echo "== fuzz_$n for ${seconds}s (corpus $scratch/corpus)"
  if ! "$build/fuzz/fuzz_$n" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 \
      -print_final_stats=1 ${extra[@]+"${extra[@]}"} -artifact_prefix="$scratch/artifacts/" \
      "$scratch/corpus"; then
    echo "!! fuzz_$n found a failure; inputs in $scratch/artifacts/" >&2
    failed+=("fuzz_$n")
    status=1
  fi
done
if [[ $status -ne 0 ]]; then
  # On stdout and stderr, last: a CI log that keeps only one stream or only the end names them.
  echo "!! fuzz targets that failed: ${failed[*]}"
  echo "!! fuzz targets that failed: ${failed[*]}" >&2
fi
exit "$status"
