#!/usr/bin/env bash
# The field tool against a hosted meter, as a field engineer uses it: two ciphered (HLS)
# associations in a row without --invocation-counter (the CLI reads the meter's counter through
# the public client and goes on from it), and JSON output that parses.
set -euo pipefail
vidyut="$1"
dir="$(mktemp -d)"
port=$((20000 + $$ % 20000))
ak=000102030405060708090A0B0C0D0E0F
ek=101112131415161718191A1B1C1D1E1F
"$vidyut" dlms serve-meter --bind 127.0.0.1 --port "$port" --auth-key "$ak" --block-key "$ek" \
  >"$dir/meter.log" 2>&1 &
meter=$!
trap 'kill $meter 2>/dev/null || true; rm -rf "$dir"' EXIT
for _ in $(seq 50); do
  if "$vidyut" dlms read --port "$port" --client 16 0.0.1.0.0.255:2 >/dev/null 2>&1; then break; fi
  sleep 0.1
done
read_hls() {
  VIDYUT_AUTH_KEY="$ak" VIDYUT_BLOCK_KEY="$ek" "$vidyut" dlms read --port "$port" --client 48 "$@"
}
read_hls 0.0.1.0.0.255:2 >"$dir/first.txt"
read_hls 0.0.1.0.0.255:2 >"$dir/second.txt" || {
  echo "FAIL: the second ciphered association in a row was refused" >&2
  cat "$dir/second.txt" >&2
  exit 1
}
# An explicit counter still works, and the automatic one goes on above it afterwards.
read_hls --invocation-counter 100000 0.0.1.0.0.255:2 >/dev/null || {
  echo "FAIL: an explicit --invocation-counter above the meter's was refused" >&2
  exit 1
}
read_hls 0.0.1.0.0.255:2 >/dev/null || {
  echo "FAIL: the association after an explicit counter was refused" >&2
  exit 1
}
set +e
read_hls --invocation-counter 5 0.0.1.0.0.255:2 >/dev/null 2>"$dir/low.err"
low=$?
set -e
if [[ $low -ne 3 ]]; then
  echo "FAIL: a counter the meter already saw was not refused with exit 3 (got $low)" >&2
  cat "$dir/low.err" >&2
  exit 1
fi
# The association the refused attempt left is released: the next one is accepted.
read_hls 0.0.1.0.0.255:2 >/dev/null || {
  echo "FAIL: the association after a refused one failed" >&2
  exit 1
}
set +e
"$vidyut" dlms read --port "$port" --client 16 --quirk be-lenient 0.0.1.0.0.255:2 2>/dev/null
bad=$?
set -e
if [[ $bad -ne 2 ]]; then
  echo "FAIL: an unknown --quirk was not refused with exit 2 (got $bad)" >&2
  exit 1
fi
read_hls --json 0.0.1.0.0.255:2 0.0.96.1.0.255:2 >"$dir/read.json"
python3 -c 'import json,sys; v=json.load(open(sys.argv[1])); assert len(v)==2, v' "$dir/read.json" || {
  echo "FAIL: --json output does not parse" >&2
  cat "$dir/read.json" >&2
  exit 1
}
echo "ok: ciphered associations in a row with and without a counter given, JSON parses"
