#!/usr/bin/env bash
# The billing commands on a fresh data directory, without a head end running:
#
#   billing_cli_test.sh path/to/vidyut
#
# A small registry; `billing run` opens the accounts (postpaid); a postpaid payment; `billing
# convert` of two consumers (the advance becomes wallet credit, the payment-mode commands are
# queued); a recharge notified twice credits once; bad amounts are refused with a clear message;
# adjustments are idempotent on their key; a reversal; the books balance and the trial balance
# totals zero; a statement's HTML when one exists.
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
# v ARGS...: runs vidyut on the data directory; stdout in $W/out, stderr in $W/err, exit code in
# $rc (never stops the script: the checks below decide).
v() {
  rc=0
  "$VIDYUT" "$@" >"$W/out" 2>"$W/err" || rc=$?
}
expect_rc() {  # expect_rc CODE WHAT
  [ "$rc" = "$1" ] || fail "$2: exit $rc, expected $1"
}
expect_out() {  # expect_out PATTERN WHAT (extended regex on stdout)
  grep -Eq -- "$1" "$W/out" || fail "$2: output lacks /$1/"
}
expect_err() {
  grep -Eq -- "$1" "$W/err" || fail "$2: stderr lacks /$1/"
}

"$VIDYUT" simulate export --meters 4 --consumers-per-dt 4 --dts-per-feeder 1 --out "$W/fleet.csv" >/dev/null
"$VIDYUT" registry import --data "$D" "$W/fleet.csv" >/dev/null

# Before billing ran there is no billing.db: listings say so.
v billing verify --data "$D"
[ "$rc" != 0 ] || fail "verify without billing.db succeeded"
expect_err "no billing.db" "verify without billing.db"

v billing run --data "$D"
expect_rc 0 "billing run"
expect_out "^billing: accounts 4 " "billing run"
v billing accounts --data "$D"
expect_rc 0 "billing accounts"
[ "$(grep -c ' postpaid ' "$W/out")" = 4 ] || fail "4 postpaid accounts expected"
C1=$(awk 'NR == 2 { print $1 }' "$W/out")
C2=$(awk 'NR == 3 { print $1 }' "$W/out")
[ -n "$C1" ] && [ -n "$C2" ] || fail "no consumers listed"

# A postpaid payment (an advance), then the conversion carries it into the prepaid wallet.
v recharge "$C2" 100 --ref PAY-ADV-1 --channel counter --data "$D"
expect_rc 0 "postpaid payment"
expect_out "^dues: -Rs 100.00$" "postpaid payment"

v billing convert "$C1" "$C2" --data "$D"
expect_rc 0 "billing convert"
expect_out "^$C1: prepaid from " "billing convert $C1"
expect_out "^$C2: prepaid from .*balance " "billing convert $C2"
v billing convert "$C1" --data "$D"
expect_rc 0 "billing convert again"
expect_out "^$C1: already prepaid" "billing convert again"
v commands --data "$D"
[ "$(grep -c 'payment-mode prepaid pending' "$W/out")" = 2 ] ||
  fail "two payment-mode commands expected in the store's queue"
v billing show "$C2" --data "$D"
expect_out "^mode: prepaid$" "show $C2"
expect_out "^wallet: Rs 100.00$" "advance carried into the wallet of $C2"

# The same payment notified twice credits once.
v recharge "$C1" 250.50 --ref UPI-0001 --data "$D"
expect_rc 0 "recharge"
expect_out "^credited: Rs 250.50$" "recharge"
expect_out "^duplicate: no$" "recharge"
txn=$(sed -n 's/^txn \([0-9]*\): .*/\1/p' "$W/out")
[ -n "$txn" ] || fail "recharge printed no txn"
v recharge "$C1" 250.50 --ref UPI-0001 --data "$D"
expect_rc 0 "duplicate recharge"
expect_out "^duplicate: already credited \(txn $txn\)$" "duplicate recharge"
v billing show "$C1" --data "$D"
expect_rc 0 "billing show"
expect_out "^wallet: Rs 250.50$" "wallet after a duplicate notification"
[ "$(grep -c 'recharge:UPI-0001' "$W/out")" = 1 ] || fail "one recharge transaction expected"
# The same reference for another amount is refused.
v recharge "$C1" 300 --ref UPI-0001 --data "$D"
[ "$rc" != 0 ] || fail "a reused reference with another amount was accepted"
expect_err "already used" "reused reference"

# Amounts: exact paise, no floating point, clear refusals (exit 2: bad arguments).
for bad in 12.345 -5 abc 1,000 12. ""; do
  v recharge "$C1" "$bad" --ref "BAD-$bad" --data "$D"
  expect_rc 2 "recharge of \"$bad\""
  expect_err "amount \"$bad\": .*give rupees with at most 2 decimals" "recharge of \"$bad\""
done
v recharge "$C1" 12.345 --ref BAD --data "$D"
expect_err "more than 2 decimals" "recharge of 12.345"
v recharge C-NOBODY 10 --ref NOBODY --data "$D"
expect_rc 1 "recharge of an unknown consumer"

# A hotspot token with a whole-rupee recharge, printed in groups of 4.
v recharge "$C1" 100 --ref UPI-0002 --token --data "$D"
expect_rc 0 "recharge with a token"
expect_out "^token: [0-9]{4} [0-9]{4} [0-9]{4} [0-9]{4} [0-9]{4} \(sequence 1\)$" "token"

# Adjustments: a debit, idempotent on the key.
v billing adjust "$C1" -12.50 --reason "meter test fee" --key ADJ-1 --data "$D"
expect_rc 0 "adjust"
expect_out "debit of Rs 12.50" "adjust"
v billing adjust "$C1" -12.50 --reason "meter test fee" --key ADJ-1 --data "$D"
expect_rc 0 "adjust again"
expect_out "^duplicate: key ADJ-1 already applied" "adjust again"

# A bounced payment is reversed once.
v reverse UPI-0001 --reason "bounced" --data "$D"
expect_rc 0 "reverse"
expect_out "reversed UPI-0001 of $C1" "reverse"
v reverse UPI-0001 --reason "bounced" --data "$D"
expect_rc 0 "reverse again"
expect_out "^duplicate: already reversed" "reverse again"
v reverse NO-SUCH-REF --reason "bounced" --data "$D"
expect_rc 1 "reverse of an unknown reference"
v billing show "$C1" --data "$D"
expect_out "^wallet: Rs 87.50$" "wallet after recharge, reversal, token recharge and debit"

# The books.
v billing verify --data "$D"
expect_rc 0 "billing verify"
expect_out "^ok: the books balance" "billing verify"
v billing trial-balance --data "$D"
expect_rc 0 "billing trial-balance"
expect_out "^total: Rs 0.00$" "trial balance total"
expect_out "^wallet:$C1 +Cr Rs 87.50$" "trial balance wallet"
expect_out "^verify: ok$" "trial balance verify"
v billing ledger "$C1" --data "$D"
expect_rc 0 "billing ledger"
expect_out "^ +cash:upi +Dr Rs 250.50$" "ledger postings"
v billing ledger --data "$D" --limit 2
expect_rc 0 "billing ledger (all)"
[ "$(grep -c '^txn ' "$W/out")" = 2 ] || fail "ledger --limit 2 listed other than 2 transactions"
v billing notifications --data "$D"
expect_rc 0 "billing notifications"
expect_out "$C1 reversal: " "notifications"
v billing rules
expect_rc 0 "billing rules"
expect_out '"grace_days": 30' "billing rules"

# A statement, when one has been issued (a fresh data directory has none until a month closes).
v billing show "$C1" --data "$D"
line=$(grep -E '^statement [0-9]{4}-[0-9]{2} ' "$W/out" | head -n 1 || true)
if [ -n "$line" ]; then
  read -r _ month kind _ <<<"$line"
  v billing statement "$C1" "$month" --kind "$kind" --html "$W/statement.html"
  expect_rc 0 "billing statement"
  grep -q "<html" "$W/statement.html" || fail "statement HTML not written"
else
  echo "SKIP statement: none issued yet"
  v billing statement "$C1" 2026-01 --data "$D"
  expect_rc 1 "statement that does not exist"
fi
v billing statement "$C1" 2026-13 --data "$D"
expect_rc 2 "statement of a bad month"

# Issue 16: money moved from the command line is in the audit trail with an actor that cannot
# pose as the system; text that is not UTF-8 is refused with a clear error, not an abort.
v recharge "$C1" 20 --ref PAY-AUDIT-1 --by anita --data "$D"
expect_rc 0 "recharge with --by"
v audit --data "$D" --limit 1000
expect_out "cli:[^ ]+/anita +billing-recharge +$C1" "the CLI recharge in the audit trail"
v recharge "$C1" 20 --ref PAY-AUDIT-2 --by "$(printf 'ops\nbilling recharge forged')" --data "$D"
expect_rc 0 "recharge with a newline in --by"
v audit --data "$D" --limit 1000
expect_out "cli:[^ ]+/\(invalid\) +billing-recharge" "a forging --by recorded as invalid"
grep -q "forged" "$W/out" && fail "a --by with a newline reached the audit trail"
v recharge "$C1" 20 --ref "$(printf 'PAY-\xff')" --data "$D"
expect_rc 2 "a reference that is not UTF-8"
expect_err "not valid UTF-8" "a reference that is not UTF-8"
v reverse PAY-AUDIT-1 --reason "$(printf 'bounced\xc3')" --data "$D"
expect_rc 2 "a reason that is not UTF-8"
v billing verify --data "$D"
expect_rc 0 "books after refused text"
echo "PASS"
