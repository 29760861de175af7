#!/usr/bin/env bash
# `vidyut tariff` end to end: the hand-worked bills of docs/tariffs.md and tariff_test.cc.
#   tariff_cli_test.sh VIDYUT SOURCE_DIR
set -euo pipefail
vidyut=$1
src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
expect_line() {  # expect_line FILE TEXT: TEXT appears in FILE
  grep -qF -- "$2" "$1" || { cat "$1" >&2; fail "missing: $2"; }
}

# The worked example: 2 kW, 250 kWh, a 30-day month, prepaid.
"$vidyut" tariff quote UP-LMV1-URBAN --kwh 250 --sanctioned-kw 2 --month 2026-06 >"$tmp/pre.txt"
expect_line "$tmp/pre.txt" "Energy 0-100 kWh     100.000 kWh x Rs 5.50/kWh"
expect_line "$tmp/pre.txt" "Rs 550.00"
expect_line "$tmp/pre.txt" "Rs 275.00"
expect_line "$tmp/pre.txt" "Rs 600.00"
expect_line "$tmp/pre.txt" "2.000 kW x Rs 110.00/kW x 30/30 days"
expect_line "$tmp/pre.txt" "-Rs 32.90"
expect_line "$tmp/pre.txt" "Rs 82.25"
expect_line "$tmp/pre.txt" "Rs 1,694.35"

# Postpaid, as JSON.
"$vidyut" tariff quote UP-LMV1-URBAN --kwh 250 --sanctioned-kw 2 --month 2026-06 --postpaid \
  --json >"$tmp/post.json"
expect_line "$tmp/post.json" '"total_paise": 172725'
expect_line "$tmp/post.json" '"mode": "postpaid"'

# ToD from --wh-by-block (tariff_test.cc TodBill.WinterSplitWorkedByHand).
"$vidyut" tariff quote EXAMPLE-TOD --kwh 250 --sanctioned-kw 2 --month 2026-01 \
  --wh-by-block morning-peak=30,solar=80,evening-peak=40000wh --json >"$tmp/tod.json"
expect_line "$tmp/tod.json" '"total_paise": 170023'

# The same ToD split from intervals: 15-minute rows in January 2026 (IST).
{
  echo "start_utc,import_wh"
  echo "2026-01-15T00:30:00Z,30000"  # 06:00 IST morning peak
  echo "2026-01-15T04:00:00Z,80000"  # 09:30 IST solar
  echo "2026-01-15T13:00:00Z,40000"  # 18:30 IST evening peak
  echo "1768435200000,100000"        # 2026-01-15 05:30 IST, normal (epoch ms)
} >"$tmp/intervals.csv"
"$vidyut" tariff quote EXAMPLE-TOD --intervals "$tmp/intervals.csv" --sanctioned-kw 2 \
  --max-demand-kw 0 --html "$tmp/bill.html" >"$tmp/iv.txt"
expect_line "$tmp/iv.txt" "Rs 1,700.23"
expect_line "$tmp/bill.html" "Rs 1,700.23"

# A tariff file given on the command line.
"$vidyut" tariff quote --tariff-file "$src/tariffs/up-lmv1-lifeline.json" --kwh 80 --month 2026-06 \
  --postpaid >"$tmp/life.txt"
expect_line "$tmp/life.txt" "Rs 304.50"

# show --json prints a tariff file that reads back to the same quote.
"$vidyut" tariff show UP-LMV1-URBAN --json >"$tmp/urban.json"
"$vidyut" tariff quote --tariff-file "$tmp/urban.json" --kwh 250 --sanctioned-kw 2 \
  --month 2026-06 >"$tmp/pre2.txt"
cmp -s "$tmp/pre.txt" "$tmp/pre2.txt" || fail "show --json did not round-trip"

"$vidyut" tariff list >"$tmp/list.txt"
expect_line "$tmp/list.txt" "UP-LMV1-URBAN"
expect_line "$tmp/list.txt" "EXAMPLE-TOD"

# Errors: unknown tariff (1), bad arguments (2).
set +e
"$vidyut" tariff quote NO-SUCH --kwh 1 2>/dev/null; [[ $? == 1 ]] || fail "unknown code exit"
"$vidyut" tariff quote UP-LMV1-URBAN --kwh 1.2345 2>/dev/null; [[ $? == 2 ]] || fail "bad kwh exit"
"$vidyut" tariff quote UP-LMV1-URBAN --kwh 1 --month 2021-01 2>/dev/null
[[ $? == 2 ]] || fail "no version exit"
echo "tariff CLI: ok"
