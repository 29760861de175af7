#!/usr/bin/env bash
# Issue 16: with `serve` running accelerated, the CLI stamped commands and audit lines with the
# wall clock. Now `serve` records its business time in the store and the CLI uses it: a command
# queued after an accelerated serve that started on 2026-01-01 is stamped in January 2026, not
# on today's date, and its audit line too.
set -euo pipefail
VIDYUT=$(realpath "$1")
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
D="$W/data"
"$VIDYUT" simulate export --meters 4 --consumers-per-dt 4 --dts-per-feeder 1 --out "$W/fleet.csv" >/dev/null
"$VIDYUT" registry import --data "$D" "$W/fleet.csv" >/dev/null
"$VIDYUT" serve --data "$D" --bind 127.0.0.1 --port 0 --no-payment-api --speed 3600 \
  --start 2026-01-01T00:00:00Z --run-for 1s --status-every 60 >"$W/serve.log" 2>&1
"$VIDYUT" command ping 00000001 --data "$D" --reason "clock check" >/dev/null
"$VIDYUT" commands --data "$D" >"$W/commands.txt"
grep -Eq "created 2026-01-0[1-3]T" "$W/commands.txt" || {
  echo "FAIL: the command is not stamped with the serve's business time"
  cat "$W/commands.txt"
  exit 1
}
"$VIDYUT" audit --data "$D" >"$W/audit.txt"
grep -Eq "2026-01-0[1-3]T.* command-enqueue 00000001" "$W/audit.txt" || {
  echo "FAIL: the audit line is not stamped with the serve's business time"
  cat "$W/audit.txt"
  exit 1
}
# A serve at real speed records real time again.
"$VIDYUT" serve --data "$D" --bind 127.0.0.1 --port 0 --no-payment-api --run-for 1s \
  --status-every 60 >"$W/serve2.log" 2>&1
"$VIDYUT" command ping 00000002 --data "$D" --reason "real again" >/dev/null
"$VIDYUT" commands --data "$D" >"$W/commands2.txt"
today=$(date -u -d "+5 hours 30 minutes" +%Y-%m-%d)  # IST, without tzdata
grep -Eq "00000002 .*created ${today}T" "$W/commands2.txt" || {
  echo "FAIL: after a real-speed serve the command is not stamped with real time"
  cat "$W/commands2.txt"
  exit 1
}
echo "PASS"
