#!/usr/bin/env bash
# Builds Vidyut (release) and runs the main job:
#  1. `vidyut selfcheck`: hosts a simulated IS 15959 meter on loopback and reads it with Vidyut's
#     own DLMS client at every association;
#  2. `vidyut demo`: the head end with its embedded store and a simulated fleet of 3,000
#     consumers (with their DT and feeder meters) for one simulated day at 720x (about two
#     minutes): 10 % of the meters lose their network for six hours and are gap-filled after,
#     1,000 consumers are disconnected and reconnected from the control room, and the report
#     compares what the platform stored with the simulator's truth (demo-report.json);
#  3. on a terminal, `vidyut serve` on the demo's data (demo-data/) with the consumer portal and
#     the control room at http://127.0.0.1:8059/, until Ctrl-C (docs/web.md). Without a terminal
#     (or with VIDYUT_NO_SERVE=1) it prints how to start it and ends.
# Extra arguments go to `vidyut demo` (for example --consumers 1000 --days 2).
set -euo pipefail
cd "$(dirname "$0")/.."
cmake --preset release >/dev/null
cmake --build --preset release
vidyut=./build/release/src/cli/vidyut
"$vidyut" selfcheck

echo
echo "== vidyut demo: head end + simulated fleet, one accelerated day"
rm -rf demo-data
"$vidyut" demo --report demo-report.json --data demo-data "$@"

# The portal and the control room on the demo's data: consumers' mobiles for their sign-in codes
# (simulated numbers), and an SMS gateway stub that writes the codes to demo-data/sms.jsonl.
"$vidyut" billing accounts --data demo-data --limit 10000000 |
  awk 'NR == 1 { print "consumer_id,mobile,language"; next }
       $1 != "..." { printf "%s,+9198%08d,en\n", $1, ++n }' >demo-data/contacts.csv
"$vidyut" notify contacts-import --data demo-data demo-data/contacts.csv
first=$(awk -F, 'NR == 2 { print $1 }' demo-data/contacts.csv)
serve=("$vidyut" serve --data demo-data --bind 127.0.0.1 --http-port 8059 --web web/dist
  --new-accounts prepaid --sms-gateway http://127.0.0.1:8058/sms --simulated-payments)
if [ ! -t 0 ] || [ ! -t 1 ] || [ -n "${VIDYUT_NO_SERVE:-}" ]; then
  echo
  echo "To open the portal and the control room on the demo's data (docs/web.md):"
  echo "  read -rs P; echo \"\$P\" | $vidyut operators add demo --roles operator --data demo-data"
  echo "  $vidyut notify gateway-stub --port 8058 --out demo-data/sms.jsonl &"
  echo "  ${serve[*]}"
  echo "then http://127.0.0.1:8059/control/ (sign in as demo) and http://127.0.0.1:8059/ ($first;"
  echo "the sign-in code arrives in demo-data/sms.jsonl)."
  exit 0
fi
password=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
printf '%s\n' "$password" | "$vidyut" operators add demo --roles operator --data demo-data >/dev/null
"$vidyut" notify gateway-stub --port 8058 --out demo-data/sms.jsonl >/dev/null &
stub=$!
trap 'kill $stub 2>/dev/null || true' EXIT
echo
echo "== the portal and the control room on the demo's data, until Ctrl-C"
echo "  control room: http://127.0.0.1:8059/control/  name: demo  password: $password (shown once)"
echo "  portal:       http://127.0.0.1:8059/  consumer $first (or any in demo-data/contacts.csv);"
echo "                the sign-in code arrives in demo-data/sms.jsonl"
"${serve[@]}"
