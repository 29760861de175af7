#!/usr/bin/env bash
# Builds Vidyut (release) and runs the main job:
#  1. `vidyut selfcheck`: hosts a simulated IS 15959 meter on loopback and reads it with Vidyut's
#     own DLMS client at every association;
#  2. the fleet simulator: 2,000 consumers with their DT and feeder meters run 6 simulated hours at
#     720x (30 s), pushing ciphered block load and alerts to a receiver that deciphers every one,
#     through a scenario of a feeder trip, an operator outage and a DT outage, and write the
#     ground truth.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake --preset release >/dev/null
cmake --build --preset release
vidyut=./build/release/src/cli/vidyut
"$vidyut" selfcheck "$@"

echo
echo "== fleet simulator"
work=$(mktemp -d)
port=$((20000 + RANDOM % 20000))
"$vidyut" simulate export --meters 2000 --out "$work/fleet.csv"
"$vidyut" simulate sink --port "$port" --fleet "$work/fleet.csv" --progress 3600 >"$work/sink.log" 2>&1 &
sink=$!
trap 'kill "$sink" 2>/dev/null || true' EXIT
sleep 0.5
"$vidyut" simulate run --fleet "$work/fleet.csv" --head-end "127.0.0.1:$port" --speed 720 \
  --duration 6h --scenario docs/examples/scenario.txt --truth "$work/truth" --control-port 0 \
  --linger-ms 1000 --progress 5 --report "$work/report.json" | grep -v '^ \|^{\|^}'
sleep 1
kill -INT "$sink"
wait "$sink" || true
echo "receiver: $(tail -1 "$work/sink.log")"
echo "report: $work/report.json; ground truth: $work/truth/ ($(wc -l <"$work/truth/intervals.csv") interval rows, $(($(wc -l <"$work/truth/episodes.csv") - 1)) episode events)"
