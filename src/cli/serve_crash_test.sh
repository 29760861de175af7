#!/usr/bin/env bash
# `kill -9` of `vidyut serve` during ingestion loses no reading it had acknowledged, and after a
# restart gap fill recovers every interval the meters pushed while it was down.
#
#   serve_crash_test.sh path/to/vidyut
#
# A simulated fleet (separate process) pushes to the head end at 600x. When the head end has
# committed some rows, the test reads its last status line ("committed N": rows durable in the
# store), kills it with SIGKILL, checks the store holds at least N rows, lets the fleet run on
# for two simulated hours with the head end down, restarts it, and at the end compares the
# store with the simulator's truth (intervals.csv).
set -euo pipefail
VIDYUT=$(realpath "$1")
W=$(mktemp -d)
SERVE_PID=""
SIM_PID=""
cleanup() {
  [ -n "$SERVE_PID" ] && kill -9 "$SERVE_PID" 2>/dev/null || true
  [ -n "$SIM_PID" ] && kill -9 "$SIM_PID" 2>/dev/null || true
  [ -n "${KEEP:-}" ] && echo "kept $W" || rm -rf "$W"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*"
  echo "--- serve log"; tail -n 20 "$W"/serve*.log || true
  echo "--- simulator log"; tail -n 20 "$W/sim.log" || true
  exit 1
}

SPEED=600
START=2026-11-30T18:30:00Z              # 00:00 IST
PORT=$((20000 + $$ % 20000))
"$VIDYUT" simulate export --meters 150 --consumers-per-dt 25 --dts-per-feeder 3 --out "$W/fleet.csv" >/dev/null
"$VIDYUT" registry import --data "$W/data" "$W/fleet.csv" >/dev/null
EPOCH=$(date -u -d '+3 seconds' +%Y-%m-%dT%H:%M:%SZ)

start_serve() {
  "$VIDYUT" serve --data "$W/data" --bind 127.0.0.1 --port "$PORT" --speed "$SPEED" \
    --start "$START" --epoch "$EPOCH" --gap-floor "$START" --status-every 0.25 --payment-port 0 >"$W/serve$1.log" 2>&1 &
  SERVE_PID=$!
  for _ in $(seq 100); do
    grep -qs "head end on" "$W/serve$1.log" && return 0
    kill -0 "$SERVE_PID" 2>/dev/null || fail "serve did not start"
    sleep 0.1
  done
  fail "serve did not start in 10 s"
}
start_serve 1
"$VIDYUT" simulate run --fleet "$W/fleet.csv" --head-end "127.0.0.1:$PORT" --speed "$SPEED" \
  --start "$START" --epoch "$EPOCH" --duration 9h --control-port 0 --truth "$W/truth" \
  --progress 5 >"$W/sim.log" 2>&1 &
SIM_PID=$!

# Wait for a few push cycles to be committed, then kill -9 in the middle of ingestion.
acked=0
for _ in $(seq 600); do
  line=$(grep -a " committed " "$W/serve1.log" | tail -n 1 || true)
  acked=$(sed -n 's/.* committed \([0-9]*\) .*/\1/p' <<<"$line")
  acked=${acked:-0}
  [ "$acked" -ge 1500 ] && break
  sleep 0.1
done
[ "$acked" -ge 1500 ] || fail "only $acked rows committed before the kill"
kill -9 "$SERVE_PID"
wait "$SERVE_PID" 2>/dev/null || true
SERVE_PID=""
stored=$("$VIDYUT" status --data "$W/data" | sed -n 's/^intervals //p')
echo "acknowledged before kill -9: $acked; in the store after: $stored"
[ "$stored" -ge "$acked" ] || fail "the store lost acknowledged rows: $stored < $acked"

# Two simulated hours (12 s) with the head end down: pushes fail, the meters keep the rows.
sleep 12
start_serve 2

# Every interval the meters recorded from START to CUTOFF must reach the store while the fleet
# keeps running (gap fill reads what the head end missed at the meters' next sessions). The
# simulator's clock reaches START at EPOCH, so it begins a little before START.
CUTOFF=2026-12-01T00:00:00Z              # 05:30 IST; the simulator runs to 09:00 IST
count_truth() {
  awk -F, -v s="$START" -v c="$CUTOFF" 'NR > 1 && $3 >= s && $3 < c { n++ } END { print n + 0 }' \
    "$W/truth/intervals.csv"
}
meters=$("$VIDYUT" status --data "$W/data" | sed -n 's/^meters //p')
stored=0
expected=0
while kill -0 "$SIM_PID" 2>/dev/null; do
  expected=$(count_truth)
  stored=$("$VIDYUT" status --data "$W/data" --from "$START" --to "$CUTOFF" | sed -n 's/^intervals //p')
  # 5.5 hours of 15-minute intervals for every meter: the truth is complete once past CUTOFF.
  if [ "$expected" -ge $((22 * meters)) ] && [ "$stored" = "$expected" ]; then
    break
  fi
  sleep 1
done
kill -TERM "$SERVE_PID"
wait "$SERVE_PID" || fail "serve did not stop cleanly"
SERVE_PID=""
kill -TERM "$SIM_PID" 2>/dev/null || true
wait "$SIM_PID" 2>/dev/null || true
SIM_PID=""
expected=$(count_truth)
stored=$("$VIDYUT" status --data "$W/data" --from "$START" --to "$CUTOFF" | sed -n 's/^intervals //p')
gap_rows=$(grep -a " gap-rows " "$W/serve2.log" | tail -n 1 | sed -n 's/.* gap-rows \([0-9]*\) .*/\1/p')
echo "intervals before $CUTOFF: truth $expected, stored $stored; read back by gap fill after the restart: ${gap_rows:-0}"
[ "$expected" -gt 0 ] || fail "no truth intervals"
[ "$stored" = "$expected" ] || fail "store has $stored of $expected intervals"
[ "${gap_rows:-0}" -gt 0 ] || fail "nothing was recovered by gap fill"
echo "PASS"
