#!/usr/bin/env bash
# Billing benchmark: recharge-to-relay-closed latency with a whole fleet online.
#
# `vidyut serve` (head end + billing engine + payment API) and `vidyut simulate run` (the fleet)
# run as separate processes on one simulated clock (same --speed, --start, --epoch; default 60x,
# so that the first push wave connects the fleet within seconds), meters keeping their sessions
# open. Every
# consumer account is prepaid with a zero balance under rules that allow disconnection at any
# time (no quiet hours, no emergency credit), so the engine disconnects the whole fleet as the
# meters connect. Once every disconnection is confirmed, RECHARGES consumers are recharged one
# after another through the payment API (HTTP, curl), and `vidyut billing reconnections` reports
# for each the time from the recharge being recorded to the meter confirming its relay closed.
#
# Usage: bench/billing_bench.sh [consumers] [recharges] [pace-ms] [speed]
#   consumers  consumer meters (default 10000; DT and feeder meters come on top)
#   recharges  how many consumers are recharged (default 1000)
#   pace-ms    pause between recharges (default 20, real)
#   speed      simulated seconds per real second (default 60); latencies are printed in
#              simulated and in real milliseconds (simulated / speed)
# Environment: VIDYUT (binary), LOG_LEVEL (default warn), KEEP=1 (keep the work directory).
set -euo pipefail
cd "$(dirname "$0")/.."
consumers="${1:-10000}"
recharges="${2:-1000}"
pace_ms="${3:-20}"
speed="${4:-60}"
vidyut="${VIDYUT:-./build/release/src/cli/vidyut}"
[ -x "$vidyut" ] || { cmake --preset release >/dev/null && cmake --build --preset release --target vidyut; }
command -v curl >/dev/null || { echo "billing_bench.sh needs curl (apt-get install curl)"; exit 1; }
work=$(mktemp -d /var/tmp/billing_bench.XXXXXX)
serve_pid=""
sim_pid=""
cleanup() {
  [ -n "$sim_pid" ] && kill -INT "$sim_pid" 2>/dev/null || true
  [ -n "$serve_pid" ] && kill -INT "$serve_pid" 2>/dev/null || true
  [ -n "$sim_pid" ] && wait "$sim_pid" 2>/dev/null || true
  [ -n "$serve_pid" ] && wait "$serve_pid" 2>/dev/null || true
  if [ -n "${KEEP:-}" ]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
last_status() { grep ' sessions ' "$work/serve.log" | tail -1; }
status_field() { last_status | awk -v k="$1" '{for (i = 1; i < NF; i++) if ($i == k) {print $(i + 1); exit}}'; }

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), open-file limit $(ulimit -n)"
echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ); load average $(cut -d' ' -f1-3 /proc/loadavg); commit $(git rev-parse --short HEAD 2>/dev/null || echo -)"

"$vidyut" simulate export --meters "$consumers" --out "$work/fleet.csv" >/dev/null
"$vidyut" registry import --data "$work/data" "$work/fleet.csv"
meters=$(grep -vc -e '^#' -e '^kind,' "$work/fleet.csv")
consumer_col=$(grep '^kind,' "$work/fleet.csv" | tr ',' '\n' | grep -n '^consumer_id$' | cut -d: -f1)
accounts=$(grep -v -e '^#' -e '^kind,' "$work/fleet.csv" | cut -d, -f"$consumer_col" | grep -vc '^$')
cat >"$work/rules.json" <<'RULES'
{"utility": "bench", "quiet_hours": {"from": "00:00", "to": "00:00"}, "quiet_weekdays": [],
 "quiet_second_saturday": false, "emergency_credit_hours": 0, "grace_days": 0}
RULES
port=$((20000 + RANDOM % 20000))
pay_port=$((port + 1))
start=$(date -u +%Y-%m-%dT%H:%M:%SZ)
epoch=$(date -u -d "@$(( $(date +%s) + 15 ))" +%Y-%m-%dT%H:%M:%SZ)
clock=(--speed "$speed" --start "$start" --epoch "$epoch")
"$vidyut" --log-level "${LOG_LEVEL:-warn}" serve --data "$work/data" --port "$port" "${clock[@]}" \
  --gap-floor "$start" --payment-port "$pay_port" --new-accounts prepaid --rules "$work/rules.json" \
  --max-sessions 19000 --idle-timeout-s 3600 --status-every 2 >"$work/serve.log" 2>&1 &
serve_pid=$!
for _ in $(seq 1 600); do
  grep -qs '^payment API on' "$work/serve.log" && break
  kill -0 "$serve_pid" 2>/dev/null || { cat "$work/serve.log"; exit 1; }
  sleep 0.1
done
key=$(cat "$work/data/payment-api.key")
"$vidyut" --log-level "${LOG_LEVEL:-warn}" simulate run --fleet "$work/fleet.csv" \
  --head-end "127.0.0.1:$port" "${clock[@]}" --linger-ms 3600000 --duration 600m --control-port 0 \
  --no-truth-intervals --max-sessions 19000 --progress 10 >"$work/sim.log" 2>&1 &
sim_pid=$!

# Wait for the fleet to connect and for the disconnection wave to be confirmed.
t0=$(date +%s)
while true; do
  sleep 2
  kill -0 "$serve_pid" 2>/dev/null || { echo "serve died"; tail -20 "$work/serve.log"; exit 1; }
  s=$(status_field sessions); s=${s:-0}
  ok=$(status_field ok); ok=${ok:-0}
  echo "  $(( $(date +%s) - t0 )) s: sessions $s of $meters, commands succeeded $ok of $accounts"
  [ "$s" -ge "$((meters - 5))" ] && [ "$ok" -ge "$accounts" ] && break
  [ $(( $(date +%s) - t0 )) -ge 600 ] && { echo "timed out"; last_status; exit 1; }
done
echo "online: $(last_status)"

# Recharges through the payment API, one after another.
since=$(grep ' sessions ' "$work/serve.log" | tail -1 | cut -d' ' -f1)  # simulated time
grep -v -e '^#' -e '^kind,' "$work/fleet.csv" | cut -d, -f"$consumer_col" \
  | awk -v n="$recharges" 'NF && c < n { print; c++ }' >"$work/targets"
n=0
start_ns=$(date +%s%N)
while read -r c; do
  n=$((n + 1))
  code=$(curl -s -o "$work/resp.json" -w '%{http_code}' -X POST \
    -H "Authorization: Bearer $key" -H 'Content-Type: application/json' \
    --data "{\"payment_ref\":\"BENCH-$n\",\"consumer_id\":\"$c\",\"amount_paise\":50000,\"channel\":\"upi\"}" \
    "http://127.0.0.1:$pay_port/v1/recharges")
  [ "$code" = 201 ] || { echo "recharge $c: HTTP $code $(cat "$work/resp.json")"; exit 1; }
  sleep "$(awk -v p="$pace_ms" 'BEGIN {print p / 1000}')"
done <"$work/targets"
end_ns=$(date +%s%N)
echo "recharges: $n in $(( (end_ns - start_ns) / 1000000 )) ms through the payment API"
sleep 10
"$vidyut" billing reconnections --data "$work/data" --since "$since" | tee "$work/reconnections.txt"
awk -v sp="$speed" '{
  for (i = 1; i <= NF; i++) if ($(i + 1) ~ /^ms/) { v[++n] = $i }
} END {
  printf "in real time (simulated / %s): median %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms\n",
         sp, v[1] / sp, v[2] / sp, v[3] / sp, v[4] / sp }' "$work/reconnections.txt"
echo "serve: $(last_status)"
grep '  billing:' "$work/serve.log" | tail -1
