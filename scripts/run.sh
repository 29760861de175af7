#!/usr/bin/env bash
# Builds Vidyut (release) and runs the main job:
#  1. `vidyut selfcheck`: hosts a simulated IS 15959 meter on loopback and reads it with Vidyut's
#     own DLMS client at every association;
#  2. `vidyut demo`: the head end with its embedded store and a simulated fleet of 3,000
#     consumers (with their DT and feeder meters) for one simulated day at 720x (about two
#     minutes): 10 % of the meters lose their network for six hours and are gap-filled after,
#     1,000 consumers are disconnected and reconnected from the control room, and the report
#     compares what the platform stored with the simulator's truth (demo-report.json).
# Extra arguments go to `vidyut demo` (for example --consumers 1000 --days 2).
set -euo pipefail
cd "$(dirname "$0")/.."
cmake --preset release >/dev/null
cmake --build --preset release
vidyut=./build/release/src/cli/vidyut
"$vidyut" selfcheck

echo
echo "== vidyut demo: head end + simulated fleet, one accelerated day"
"$vidyut" demo --report demo-report.json "$@"
