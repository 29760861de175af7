#!/usr/bin/env bash
# Issue 16: command arguments were not checked (a 1 W load limit was queued and applied, a
# deadline of 1e16 or nan hours went negative, an empty reason passed, one unknown serial among
# several still queued the rest), and files were created world-readable with weak key files
# accepted. Checked here: everything is refused before anything is queued, and files at rest
# are the owner's alone.
set -euo pipefail
VIDYUT=$(realpath "$1")
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
D="$W/data"
fail() { echo "FAIL: $*"; exit 1; }
umask 022  # a careless operator's shell
"$VIDYUT" simulate export --meters 4 --consumers-per-dt 4 --dts-per-feeder 1 --out "$W/fleet.csv" >/dev/null
"$VIDYUT" registry import --data "$D" "$W/fleet.csv" >/dev/null
[ "$(stat -c %a "$D")" = 700 ] || fail "data directory is $(stat -c %a "$D"), not 700"
for f in "$D"/vidyut.db "$D"/master.key; do
  [ "$(stat -c %a "$f")" = 600 ] || fail "$f is $(stat -c %a "$f"), not 600"
done
expect_rc() {  # expect_rc CODE WHAT -- ARGS
  local want=$1 what=$2
  shift 3
  local rc=0
  "$VIDYUT" "$@" >"$W/out" 2>"$W/err" || rc=$?
  [ "$rc" = "$want" ] || { cat "$W/err"; fail "$what: exit $rc, expected $want"; }
}
for watts in -5 0 1 abc 100001; do
  expect_rc 2 "load limit $watts" -- command load-limit 00000001 "--arg=$watts" --data "$D"
done
expect_rc 2 "deadline 1e16" -- command ping 00000001 --deadline-hours 1e16 --data "$D"
expect_rc 2 "deadline nan" -- command ping 00000001 --deadline-hours nan --data "$D"
expect_rc 2 "empty reason" -- command ping 00000001 --reason "" --data "$D"
expect_rc 1 "an unknown serial among several" -- command ping 00000001 NOPE 00000002 --data "$D"
[ "$("$VIDYUT" commands --data "$D" | wc -l)" = 0 ] || fail "commands were queued"
expect_rc 0 "a good load limit" -- command load-limit 00000001 --arg=1500 --reason "peak" --data "$D"
# A master key file others can read is refused.
chmod 644 "$D/master.key"
expect_rc 2 "a world-readable master key" -- registry show 00000001 --data "$D"
grep -q "chmod 600" "$W/err" || fail "no fix named for the master key"
chmod 600 "$D/master.key"
# A payment API key of 32 identical characters, or one others can read, is refused at start.
printf 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n' >"$W/weak.key"
chmod 600 "$W/weak.key"
rc=0
"$VIDYUT" serve --data "$D" --bind 127.0.0.1 --port 0 --payment-port 0 --no-mdm \
  --payment-key-file "$W/weak.key" --run-for 1s >"$W/out" 2>"$W/err" || rc=$?
grep -q "too weak" "$W/err" "$W/out" || fail "a weak payment key was accepted (exit $rc)"
echo "PASS"
