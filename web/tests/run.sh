#!/usr/bin/env bash
# Runs the browser tests (Playwright, Debian's Chromium, headless) against a real `vidyut serve`
# with a simulated fleet pushing to it at 60x speed, the web pages from web/dist; and the MDM pages
# (energy accounting, loading, reliability, theft and its cases) against a second `vidyut serve`
# on the data of a simulated day with theft (`vidyut demo`, a hook and a silent bypass).
# Usage: web/tests/run.sh path/to/vidyut [artifacts-dir]
# Screenshots of every page land in ARTIFACTS/screenshots (default build/web-test).
set -euo pipefail
VIDYUT=$(realpath "$1")
WEB=$(cd "$(dirname "$0")/.." && pwd)
ARTIFACTS=$(realpath -m "${2:-$WEB/../build/web-test}")
[ -f "$WEB/dist/index.html" ] || { echo "web/dist is not built: (cd web && npm ci && npm run build)"; exit 1; }
[ -x /usr/bin/chromium ] || { echo "Debian's chromium is not installed (scripts/setup.sh)"; exit 1; }
rm -rf "$ARTIFACTS"
mkdir -p "$ARTIFACTS/screenshots"
W=$(mktemp -d)
D="$W/data"
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  cp "$W"/*.log "$ARTIFACTS/" 2>/dev/null || true
  rm -rf "$W"
}
trap cleanup EXIT
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

"$VIDYUT" simulate export --meters 24 --consumers-per-dt 6 --dts-per-feeder 2 --out "$W/fleet.csv" >/dev/null
"$VIDYUT" registry import --data "$D" "$W/fleet.csv" >/dev/null
CONSUMER=$(awk -F, '$1 == "single-phase" { print $9; exit }' "$W/fleet.csv")
OTHER_CONSUMER=$(awk -F, '$1 == "single-phase" { n++; if (n == 2) { print $9; exit } }' "$W/fleet.csv")
# Every consumer a registered mobile (+91 98 and eight digits of his position), in the fleet's order.
awk -F, 'BEGIN { print "consumer_id,mobile,language" } $9 ~ /^C/ { printf "%s,+9198%08d,en\n", $9, ++n }' \
  "$W/fleet.csv" >"$W/contacts.csv"
CONSUMER_MOBILE=$(awk -F, -v c="$CONSUMER" '$1 == c { print $2 }' "$W/contacts.csv")
# A DT other than the test consumer's goes dark for 90 simulated minutes, 5 minutes in (5 s of
# real time at 60x).
CONSUMER_DT=$(awk -F, -v c="$CONSUMER" '$9 == c { print $8 }' "$W/fleet.csv")
OUTAGE_DT=$(awk -F, -v d="$CONSUMER_DT" '$1 == "single-phase" && $8 != d { dt = $8 } END { print dt }' "$W/fleet.csv")
printf '+5 fail-dt %s 90\n' "$OUTAGE_DT" >"$W/scenario.txt"
"$VIDYUT" notify contacts-import --data "$D" "$W/contacts.csv" >/dev/null
OPERATOR_PASSWORD="op-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
VIEWER_PASSWORD="view-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
printf '%s\n' "$OPERATOR_PASSWORD" | "$VIDYUT" operators add asha --roles operator --data "$D" >/dev/null
printf '%s\n' "$VIEWER_PASSWORD" | "$VIDYUT" operators add vikram --roles viewer --data "$D" >/dev/null

# A simulated day of 300 consumers with a hook on one DT's line and a consumer bypassing half of
# his load, for the theft pages (about 20 s at 5000x).
printf '+0 hook F0001-T003 2000 1440\n+0 silent-bypass 00000201 50 1440\n' >"$W/theft.txt"
# Only the data matters here, not the demo's own checks against the truth (at 5000x on a busy
# machine its timed scenario parts can miss): those parts are off, and a failed check is shown
# but not fatal as long as the day's theft was found.
"$VIDYUT" demo --consumers 300 --days 1 --speed 5000 --data "$W/mdm" --report "$W/mdm-report.json" \
  --hook-rate 0 --silent-bypass-rate 0 --theft-rate 0 --disconnects 0 --low-balance 0 \
  --cut-share 0 --load-control-minutes 0 --no-load-disconnect \
  --progress 60 --scenario "$W/theft.txt" >"$W/demo.log" 2>&1 || grep "^RESULT" "$W/demo.log" || true
/usr/bin/python3 -c 'import json, sys
t = json.load(open(sys.argv[1]))["mdm"]["theft"]
sys.exit(0 if any(f["suspects"] for f in t["flagged"]) else 1)' "$W/mdm-report.json" ||
  { tail -20 "$W/demo.log"; echo "the demo's day has no flagged DT with a suspect"; exit 1; }
THEFT_DAY=$(/usr/bin/python3 -c 'import json, sys, datetime as d
t = json.load(open(sys.argv[1]))["time"]["simulated_from"]
print((d.datetime.fromisoformat(t.replace("Z", "+00:00")) + d.timedelta(hours=5, minutes=30)).date())' "$W/mdm-report.json")
printf '%s\n' "$OPERATOR_PASSWORD" | "$VIDYUT" operators add asha --roles operator --data "$W/mdm" >/dev/null
printf '%s\n' "$VIEWER_PASSWORD" | "$VIDYUT" operators add vikram --roles viewer --data "$W/mdm" >/dev/null
MDM_PORT=$(free_port)
"$VIDYUT" serve --data "$W/mdm" --bind 127.0.0.1 --port 0 --http-port "$MDM_PORT" --web "$WEB/dist" \
  >"$W/serve-mdm.log" 2>&1 &
PIDS+=($!)

SMS_PORT=$(free_port)
"$VIDYUT" notify gateway-stub --port "$SMS_PORT" --out "$W/sms.jsonl" >"$W/sms.log" 2>&1 &
PIDS+=($!)

# The payment gateway stub: the portal's recharges are paid on its checkout page.
PAY_PORT=$(free_port)
HTTP_PORT=$(free_port)
/usr/bin/python3 -c 'import secrets; print(secrets.token_hex(32))' >"$W/checkout.key"
chmod 600 "$W/checkout.key"
"$VIDYUT" payments gateway-stub --port "$PAY_PORT" --merchant KESCO-TEST --secret-file "$W/checkout.key" \
  --notify "http://127.0.0.1:$HTTP_PORT/api/v1/payments/checkout/notify" >"$W/pay.log" 2>&1 &
PIDS+=($!)

SPEED=60
START=$(date -u -d '-2 hours' +%Y-%m-%dT%H:%M:00Z)
EPOCH=$(date -u -d '+2 seconds' +%Y-%m-%dT%H:%M:%SZ)
METER_PORT=$(free_port)
"$VIDYUT" serve --data "$D" --bind 127.0.0.1 --port "$METER_PORT" --http-port "$HTTP_PORT" \
  --web "$WEB/dist" --speed "$SPEED" --start "$START" --epoch "$EPOCH" --gap-floor "$START" \
  --new-accounts prepaid --sms-gateway "http://127.0.0.1:$SMS_PORT/sms" \
  --checkout-url "http://127.0.0.1:$PAY_PORT/checkout" --checkout-merchant KESCO-TEST \
  --checkout-secret-file "$W/checkout.key" \
  >"$W/serve.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 150); do
  grep -q "^HTTP on" "$W/serve.log" && break
  sleep 0.1
done
grep -q "^HTTP on" "$W/serve.log" || { cat "$W/serve.log"; echo "serve did not start"; exit 1; }
grep -q "^HTTP on" "$W/serve-mdm.log" || { cat "$W/serve-mdm.log"; echo "serve (MDM data) did not start"; exit 1; }
"$VIDYUT" simulate run --fleet "$W/fleet.csv" --head-end "127.0.0.1:$METER_PORT" --speed "$SPEED" \
  --start "$START" --epoch "$EPOCH" --control-port 0 --history-days 3 \
  --scenario "$W/scenario.txt" >"$W/sim.log" 2>&1 &
PIDS+=($!)
# The test consumer has money, so that billing does not hold his relay open.
KEY=$(cat "$D/payment-api.key")
curl -sf -X POST "http://127.0.0.1:$HTTP_PORT/v1/recharges" -H "Authorization: Bearer $KEY" \
  -H 'Content-Type: application/json' \
  -d "{\"payment_ref\":\"BROWSER-TEST-1\",\"consumer_id\":\"$CONSUMER\",\"amount\":\"500.00\",\"channel\":\"upi\"}" >/dev/null

cd "$WEB"
VIDYUT_URL="http://127.0.0.1:$HTTP_PORT" VIDYUT_CONSUMER="$CONSUMER" \
  VIDYUT_OTHER_CONSUMER="$OTHER_CONSUMER" VIDYUT_CONSUMER_MOBILE="$CONSUMER_MOBILE" \
  VIDYUT_SMS_LOG="$W/sms.jsonl" VIDYUT_OUTAGE_DT="$OUTAGE_DT" \
  VIDYUT_MDM_URL="http://127.0.0.1:$MDM_PORT" VIDYUT_THEFT_DAY="$THEFT_DAY" \
  VIDYUT_OPERATOR_PASSWORD="$OPERATOR_PASSWORD" VIDYUT_VIEWER_PASSWORD="$VIEWER_PASSWORD" \
  VIDYUT_ARTIFACTS="$ARTIFACTS" PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 \
  ./node_modules/.bin/playwright test
# The commands the operator gave, and the meters' answers, are in the command latency histogram.
curl -sf "http://127.0.0.1:$HTTP_PORT/metrics" >"$ARTIFACTS/metrics.txt"
grep -q '^vidyut_command_duration_seconds_count{kind="disconnect"} [1-9]' "$ARTIFACTS/metrics.txt" ||
  { echo "no disconnect latency in /metrics"; exit 1; }
echo "screenshots in $ARTIFACTS/screenshots"
