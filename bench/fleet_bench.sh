#!/usr/bin/env bash
# Fleet simulator benchmark: CPU and peak memory per meter of `vidyut simulate run` with a whole
# fleet pushing to a receiver (`vidyut simulate sink`, a separate process, so its CPU is not
# counted). Prints the simulator's JSON report; bench/RESULTS.md records the figures.
#
# Usage: bench/fleet_bench.sh [meters] [speed] [duration] [linger-ms]
#   meters    consumer meters (default 100000; DT and feeder meters come on top)
#   speed     simulated seconds per real second (default 10)
#   duration  simulated time (default 45m: three push cycles)
#   linger-ms how long a meter keeps its session open after the last byte (default 1000 at
#             speed >= 10, else 10000); sessions x 2 processes must fit the open-file limit
set -euo pipefail
cd "$(dirname "$0")/.."
meters="${1:-100000}"
speed="${2:-10}"
duration="${3:-45m}"
linger="${4:-}"
if [ -z "$linger" ]; then
  linger=$(awk -v s="$speed" 'BEGIN { print (s >= 10) ? 1000 : 10000 }')
fi
vidyut=./build/release/src/cli/vidyut
[ -x "$vidyut" ] || { cmake --preset release >/dev/null && cmake --build --preset release --target vidyut; }
work=$(mktemp -d)
trap 'kill "$sink_pid" 2>/dev/null || true; rm -rf "$work"' EXIT
port=$((20000 + RANDOM % 20000))
"$vidyut" simulate export --meters "$meters" --out "$work/fleet.csv" >/dev/null
"$vidyut" simulate sink --port "$port" --fleet "$work/fleet.csv" --progress 3600 \
  --max-connections $(( $(ulimit -n) - 100 )) >"$work/sink.log" 2>&1 &
sink_pid=$!
sleep 1
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), open-file limit $(ulimit -n)"
echo "fleet: $meters consumer meters, speed ${speed}x, $duration simulated, linger ${linger} ms"
"$vidyut" simulate run --fleet "$work/fleet.csv" --speed "$speed" --duration "$duration" \
  --head-end "127.0.0.1:$port" --control-port 0 --no-truth-intervals --linger-ms "$linger" \
  --max-sessions $(( ($(ulimit -n) - 200) )) --progress 60 --report "$work/report.json" >"$work/run.log"
sleep 2
kill -INT "$sink_pid" 2>/dev/null || true
wait "$sink_pid" 2>/dev/null || true
cat "$work/report.json"
echo "receiver: $(tail -1 "$work/sink.log")"
