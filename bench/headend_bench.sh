#!/usr/bin/env bash
# Head-end benchmark: memory per connected meter session and CPU of `vidyut serve` with a whole
# fleet online. The head end and the fleet simulator run as separate processes sharing one
# simulated time (same --speed, --start, --epoch); meters keep their sessions open (linger 1 h
# real, idle timeout 1 h), so after the first push wave every meter holds one session.
#
# Measures serve's VmRSS (/proc/PID/status) idle (registry loaded, no meter connected) and with
# every meter connected: (connected - idle) / sessions = bytes per connected meter session. Then
# serve's CPU (utime + stime from /proc/PID/stat) over a steady period of push waves.
# bench/RESULTS.md records the figures.
#
# Usage: bench/headend_bench.sh [consumers] [speed] [steady-s] [serve options...]
#   consumers  consumer meters (default 9000; DT and feeder meters come on top). Each process
#              holds one descriptor per session: keep the fleet under the open-file limit
#   speed      simulated seconds per real second (default 60: a push wave every 15 s real)
#   steady-s   real seconds of the steady CPU measurement (default 60)
#   serve options are passed on to `vidyut serve`. The script gives serve --gap-floor at the
#   simulated start, so the run measures sessions and pushes, not the 7-day gap fill of a new
#   registry; --no-gap-floor as the first serve option leaves it out (gap fill happens).
# Environment: VIDYUT (the binary, default build/release/src/cli/vidyut), LOG_LEVEL (of both
# processes, default warn), KEEP=1 (keep the work directory with the logs).
set -euo pipefail
cd "$(dirname "$0")/.."
consumers="${1:-9000}"
speed="${2:-60}"
steady="${3:-60}"
shift $(( $# < 3 ? $# : 3 ))
gap_floor=1
if [ "${1:-}" = "--no-gap-floor" ]; then gap_floor=0; shift; fi
vidyut="${VIDYUT:-./build/release/src/cli/vidyut}"  # VIDYUT=path: another build of vidyut
[ -x "$vidyut" ] || { cmake --preset release >/dev/null && cmake --build --preset release --target vidyut; }
work=$(mktemp -d /var/tmp/headend_bench.XXXXXX)
serve_pid=""
sim_pid=""
sampler_pid=""
cleanup() {
  [ -n "$sampler_pid" ] && kill "$sampler_pid" 2>/dev/null || true
  [ -n "$sim_pid" ] && kill -INT "$sim_pid" 2>/dev/null || true
  [ -n "$serve_pid" ] && kill -INT "$serve_pid" 2>/dev/null || true
  [ -n "$sim_pid" ] && wait "$sim_pid" 2>/dev/null || true
  [ -n "$serve_pid" ] && wait "$serve_pid" 2>/dev/null || true
  if [ -n "${KEEP:-}" ]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
hwm_kb() { awk '/^VmHWM:/ {print $2}' "/proc/$1/status"; }
# utime + stime in clock ticks (fields 14 and 15; the name in parentheses may hold spaces).
cpu_ticks() { sed 's/^.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'; }
fds() { ls "/proc/$1/fd" | wc -l; }
tck=$(getconf CLK_TCK)
last_status() { grep ' sessions ' "$work/serve.log" | tail -1; }
status_field() { last_status | awk -v k="$1" '{for (i = 1; i < NF; i++) if ($i == k) {print $(i + 1); exit}}'; }

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), open-file limit $(ulimit -n)"
echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ); load average $(cut -d' ' -f1-3 /proc/loadavg)"

"$vidyut" simulate export --meters "$consumers" --out "$work/fleet.csv"
"$vidyut" registry import --data "$work/data" "$work/fleet.csv"
meters=$(grep -vc -e '^#' -e '^kind,' "$work/fleet.csv")

port=$((20000 + RANDOM % 20000))
start="2026-12-01T00:00:00Z"
# The shared epoch, 20 s from now: after serve has loaded the registry and been sampled idle.
epoch=$(date -u -d "@$(( $(date +%s) + 20 ))" +%Y-%m-%dT%H:%M:%SZ)
serve_args=(--data "$work/data" --port "$port" --speed "$speed" --start "$start" --epoch "$epoch"
  --max-sessions 19000 --idle-timeout-s 3600 --status-every 2)
[ "$gap_floor" = 1 ] && serve_args+=(--gap-floor "$start")
serve_args+=("$@")
echo "serve: vidyut serve ${serve_args[*]}"
"$vidyut" --log-level "${LOG_LEVEL:-warn}" serve "${serve_args[@]}" >"$work/serve.log" 2>&1 &
serve_pid=$!
for _ in $(seq 1 300); do
  grep -qs '^head end on' "$work/serve.log" && break
  kill -0 "$serve_pid" 2>/dev/null || { cat "$work/serve.log"; exit 1; }
  sleep 0.1
done
sleep 3
rss_idle=$(rss_kb "$serve_pid")
# Serve's VmRSS every second with the status line's session, queue and committed counts.
(
  while kill -0 "$serve_pid" 2>/dev/null; do
    r=$(rss_kb "$serve_pid" 2>/dev/null) || break
    echo "$(date +%s) $r sessions $(status_field sessions) queue $(status_field queue) committed $(status_field committed) gap-rows $(status_field gap-rows)"
    sleep 1
  done
) >"$work/rss.log" 2>/dev/null &
sampler_pid=$!
echo "idle: $meters meters registered, no session: VmRSS $rss_idle kB, $(fds "$serve_pid") fds; $(last_status)"

# The simulator runs long enough for the connect phase plus the steady period.
sim_minutes=$(awk -v s="$speed" -v t="$steady" 'BEGIN { printf "%d", (t + 240) * s / 60 + 1 }')
sim_args=(--fleet "$work/fleet.csv" --head-end "127.0.0.1:$port" --speed "$speed" --start "$start"
  --epoch "$epoch" --linger-ms 3600000 --duration "${sim_minutes}m" --control-port 0
  --no-truth-intervals --max-sessions 19000 --progress 10 --report "$work/sim.json")
echo "simulator: vidyut simulate run ${sim_args[*]}"
"$vidyut" --log-level "${LOG_LEVEL:-warn}" simulate run "${sim_args[@]}" >"$work/sim.log" 2>&1 &
sim_pid=$!

# Connected: every meter has a session (or the count has stopped growing for 30 s).
t0=$(date +%s)
best=0
best_t=$t0
while true; do
  sleep 1
  kill -0 "$serve_pid" 2>/dev/null || { echo "serve died"; tail -20 "$work/serve.log"; exit 1; }
  s=$(status_field sessions); s=${s:-0}
  if [ "$s" -gt "$best" ]; then best=$s; best_t=$(date +%s); fi
  [ "$s" -ge "$meters" ] && break
  if [ $(( $(date +%s) - best_t )) -ge 30 ] && [ "$best" -gt 0 ]; then
    echo "sessions stopped growing at $best of $meters"
    break
  fi
  if [ $(( $(date +%s) - t0 )) -ge 200 ]; then echo "timed out waiting for sessions"; break; fi
done
connect_s=$(( $(date +%s) - t0 ))
sleep 4  # let the first wave's batches commit
rss_conn=$(rss_kb "$serve_pid")
sessions=$(status_field sessions)
echo "connected after ${connect_s} s: VmRSS $rss_conn kB, $(fds "$serve_pid") fds; $(last_status)"
awk -v a="$rss_idle" -v b="$rss_conn" -v n="$sessions" 'BEGIN {
  printf "memory per connected meter session: (%d - %d) kB / %d sessions = %.0f bytes\n",
         b, a, n, (b - a) * 1024 / n }'

c0=$(cpu_ticks "$serve_pid")
p0=$(status_field pushes)
k0=$(status_field committed)
w0=$(date +%s.%N)
sleep "$steady"
c1=$(cpu_ticks "$serve_pid")
p1=$(status_field pushes)
k1=$(status_field committed)
w1=$(date +%s.%N)
rss_end=$(rss_kb "$serve_pid")
awk -v c0="$c0" -v c1="$c1" -v w0="$w0" -v w1="$w1" -v t="$tck" -v p="$((p1 - p0))" \
  -v k="$((k1 - k0))" -v sp="$speed" 'BEGIN {
  cpu = (c1 - c0) / t; wall = w1 - w0
  printf "steady %.1f s real (%.0f simulated min): serve CPU %.2f s = %.1f %% of one core; %d pushes, %d rows committed; %.0f us CPU per push\n",
         wall, wall * sp / 60, cpu, 100 * cpu / wall, p, k, (p > 0 ? 1e6 * cpu / p : 0) }'
echo "end of steady period: VmRSS $rss_end kB, VmHWM $(hwm_kb "$serve_pid") kB; $(last_status)"
sort -k2,2n "$work/rss.log" | tail -1 | awk -v t0="$(head -1 "$work/rss.log" | cut -d' ' -f1)" '{
  printf "peak VmRSS sampled: %d kB, %d s after the simulator started, at: %s\n", $2, $1 - t0, substr($0, index($0, "sessions")) }'
echo "serve status lines (first, last three):"
grep ' sessions ' "$work/serve.log" | sed -n '1p'
grep ' sessions ' "$work/serve.log" | tail -3
other=$(grep -vc ' sessions \|^head end on' "$work/serve.log" || true)
echo "serve log lines other than status: $other (first 10:)"
grep -v ' sessions \|^head end on' "$work/serve.log" | head -10 || true
echo "simulator: $(tail -1 "$work/sim.log")"
