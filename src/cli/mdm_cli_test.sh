#!/usr/bin/env bash
# The MDM's commands that act (theft cases, essential consumers, area load control) on a fresh data
# directory, without a head end running:
#
#   mdm_cli_test.sh path/to/vidyut
#
# A small registry; a consumer marked essential; a DT limited: one load-limit command per
# non-essential consumer is queued (the essential one gets none), the same DT again is refused, a
# bad limit is refused; the action restored once; a theft case opened twice is one case, closed
# once, a second close refused; an interval's validated value edited with a reason and withdrawn,
# kept in its history; every step is in the audit trail with its actor; the reports and the
# validation run work on a directory without readings.
set -euo pipefail
VIDYUT=$(realpath "$1")
W=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] && echo "kept $W" || rm -rf "$W"' EXIT
D="$W/data"
fail() {
  echo "FAIL: $*"
  [ -f "$W/out" ] && { echo "--- last output"; cat "$W/out"; }
  [ -f "$W/err" ] && { echo "--- last stderr"; cat "$W/err"; }
  exit 1
}
v() {
  rc=0
  "$VIDYUT" "$@" >"$W/out" 2>"$W/err" || rc=$?
}
expect_rc() { [ "$rc" = "$1" ] || fail "$2: exit $rc, expected $1"; }
expect_out() { grep -Eq -- "$1" "$W/out" || fail "$2: output lacks /$1/"; }
expect_err() { grep -Eq -- "$1" "$W/err" || fail "$2: stderr lacks /$1/"; }

"$VIDYUT" simulate export --meters 8 --consumers-per-dt 4 --dts-per-feeder 2 --out "$W/fleet.csv" >/dev/null
"$VIDYUT" registry import --data "$D" "$W/fleet.csv" >/dev/null
DT=$(awk -F, '$1=="dt"{print $8; exit}' "$W/fleet.csv")
mapfile -t ON_DT < <(awk -F, -v dt="$DT" '$8==dt && $9!=""{print $2}' "$W/fleet.csv")
[ "${#ON_DT[@]}" -ge 2 ] || fail "the fleet file has too few consumers on $DT"
ESSENTIAL=${ON_DT[0]}

v mdm essential add "$ESSENTIAL" --reason "water works" --by asha --data "$D"
expect_rc 0 "essential add"
v mdm essential add 99999999 --reason x --data "$D"
expect_rc 1 "essential add of an unknown meter"
expect_err "not found"
v mdm load-limit "$DT" --watts 1500 --minutes 30 --reason "evening peak" --by asha --data "$D"
expect_rc 0 "load-limit"
expect_out "limited to 1500 W"
expect_out "1 essential left alone"
v commands --data "$D"
expect_rc 0 "commands"
n=$(grep -c "load-limit" "$W/out" || true)
[ "$n" = "$(( ${#ON_DT[@]} - 1 ))" ] || fail "expected $(( ${#ON_DT[@]} - 1 )) load-limit commands, got $n"
grep -q "$ESSENTIAL.*load-limit" "$W/out" && fail "the essential consumer got a command"
v mdm load-limit "$DT" --watts 1500 --data "$D"
expect_rc 2 "the same DT twice"
expect_err "still active"
v mdm load-limit "$DT" --watts 10 --data "$D"
expect_rc 2 "a limit of 10 W"
v mdm load-actions --data "$D" --json
expect_out '"state": "active"'
ID=$(grep -Eo '"id": [0-9]+' "$W/out" | head -1 | grep -Eo '[0-9]+')
v mdm load-restore "$ID" --by ravi --data "$D"
expect_rc 0 "load-restore"
expect_out "restored"
v mdm load-restore "$ID" --data "$D"
expect_rc 2 "restored twice"

# Disconnecting a chosen set: an essential consumer is refused; the chosen one gets a disconnect,
# and the restore reconnects it.
v mdm load-disconnect "$DT" --meters "$ESSENTIAL" --minutes 15 --data "$D"
expect_rc 2 "disconnecting an essential consumer"
expect_err "marked essential"
v mdm load-disconnect "$DT" --meters "${ON_DT[1]}" --minutes 15 --reason "DT overheating" --by asha --data "$D"
expect_rc 0 "load-disconnect"
expect_out "consumers disconnected"
v commands --data "$D"
grep -Eq "^[0-9]+ disconnect .*meter ${ON_DT[1]} " "$W/out" || fail "no disconnect command for ${ON_DT[1]}"
v mdm load-actions --data "$D" --json
ID=$(grep -Eo '"id": [0-9]+' "$W/out" | tail -1 | grep -Eo '[0-9]+')
expect_out '"kind": "disconnect"'
v mdm load-restore "$ID" --by ravi --data "$D"
expect_rc 0 "load-restore of a disconnection"
v commands --data "$D"
grep -Eq "^[0-9]+ connect .*meter ${ON_DT[1]} " "$W/out" || fail "no reconnect command for ${ON_DT[1]}"

SUSPECT=${ON_DT[1]}
v mdm case open --meter "$SUSPECT" --day 2026-12-06 --by asha --note "inspect" --data "$D"
expect_rc 0 "case open"
expect_out "^opened"
v mdm case open --meter "$SUSPECT" --day 2026-12-06 --by ravi --data "$D"
expect_out "already open"
v mdm case dismiss 1 --by asha --data "$D"
[ "$rc" != 0 ] || fail "closing without a note"
v mdm case dismiss 1 --by asha --note "seal intact, load explained" --data "$D"
expect_rc 0 "case dismiss"
expect_out "dismissed"
v mdm case confirm 1 --by asha --note "again" --data "$D"
expect_rc 2 "a second close"
expect_err "already dismissed"
v mdm case show 1 --data "$D"
expect_out "open +cli:[^ ]+/asha +inspect"
expect_out "dismiss +cli:[^ ]+/asha +seal intact"

# Validated data: an operator's edit needs a reason and an interval start; it is kept with its
# history and withdrawn; the validation run works on a directory without readings.
v mdm vee-edit --meter "$ESSENTIAL" --at "2026-12-06 10:15" --wh 250 --reason "" --by asha --data "$D"
expect_rc 2 "an edit without a reason"
v mdm vee-edit --meter "$ESSENTIAL" --at "2026-12-06 10:10" --wh 250 --reason "r" --data "$D"
expect_rc 2 "an edit off the interval grid"
expect_err "start of a 15-minute interval"
v mdm vee-edit --meter "$ESSENTIAL" --at "2026-12-06 25:00" --wh 250 --reason "r" --data "$D"
expect_rc 2 "an edit at no time of day"
v mdm vee-edit --meter "$ESSENTIAL" --at "2026-12-06 10:15" --wh 250 --reason "meter replaced" --by asha --data "$D"
expect_rc 0 "vee-edit"
expect_out "set to 250 Wh \(reading missing\): meter replaced"
v mdm vee-edit --meter "$ESSENTIAL" --at "2026-12-06 10:15" --withdraw --reason "wrong meter" --by ravi --data "$D"
expect_rc 0 "vee-edit --withdraw"
v mdm vee-edit --meter "$ESSENTIAL" --at "2026-12-06 10:15" --withdraw --reason "again" --data "$D"
expect_rc 1 "a second withdrawal"
v mdm vee-history --meter "$ESSENTIAL" --day 2026-12-06 --data "$D"
expect_rc 0 "vee-history"
expect_out "edit +- -> 250 +Wh +edit +edited +cli:[^ ]+/asha: meter replaced"
expect_out "withdraw +250 -> - +Wh .* cli:[^ ]+/ravi: wrong meter"
v mdm vee-run --data "$D" --json
expect_rc 0 "vee-run"
expect_out '"estimated": 0'

v audit --data "$D" --limit 1000
for a in essential-mark load-control-limit load-control-restore load-control-disconnect theft-case-open theft-case-dismiss vee-edit vee-edit-withdraw; do
  expect_out "$a"
done
expect_out "cli:[^ ]+/ravi load-control-restore"

for r in audit outages reliability loading theft vee; do
  v mdm "$r" --data "$D" --day 2026-12-06
  expect_rc 0 "mdm $r on a directory without readings"
done
echo "mdm CLI: ok"
