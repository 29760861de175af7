#!/usr/bin/env bash
# The platform API end to end: operators added with `vidyut operators`, `vidyut serve` with a
# registry, and a client that signs in, reads the fleet and a consumer, disconnects and
# reconnects him, and is refused where its role or session does not reach. Every answer is
# checked against the OpenAPI document the server publishes (JSON Schema 2020-12, Debian's
# python3-jsonschema).
set -euo pipefail
VIDYUT=$(realpath "$1")
PY=/usr/bin/python3  # Debian's, with python3-jsonschema (scripts/setup.sh)
W=$(mktemp -d)
D="$W/data"
cleanup() {
  [ -n "${SERVE_PID:-}" ] && kill "$SERVE_PID" 2>/dev/null && wait "$SERVE_PID" 2>/dev/null
  rm -rf "$W"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; [ -f "$W/serve.log" ] && tail -20 "$W/serve.log"; exit 1; }

"$VIDYUT" simulate export --meters 8 --consumers-per-dt 4 --dts-per-feeder 1 --out "$W/fleet.csv" >/dev/null
"$VIDYUT" registry import --data "$D" "$W/fleet.csv" >/dev/null
printf 'grid-control-2026\n' | "$VIDYUT" operators add asha --roles operator --data "$D" >/dev/null
printf 'view-only-person\n' | "$VIDYUT" operators add vikram --roles viewer --data "$D" >/dev/null
printf 'short\n' | "$VIDYUT" operators add weak --roles viewer --data "$D" >/dev/null 2>&1 &&
  fail "a weak password was accepted"
"$VIDYUT" operators list --data "$D" | grep -q "^asha .*operator .*active" || fail "operators list"
grep -q "grid-control-2026" "$D"/access.db* && fail "a password is in access.db"

"$VIDYUT" serve --data "$D" --bind 127.0.0.1 --port 0 --http-port 0 --run-for 120s >"$W/serve.log" 2>&1 &
SERVE_PID=$!
for _ in $(seq 1 100); do
  grep -q "^HTTP on" "$W/serve.log" && break
  sleep 0.1
done
PORT=$(sed -n 's/^HTTP on 127.0.0.1:\([0-9]*\).*/\1/p' "$W/serve.log")
[ -n "$PORT" ] || fail "serve did not report its HTTP port"

"$PY" - "$PORT" <<'PY' || fail "API checks"
import json, sys, urllib.request, urllib.error
import jsonschema
port = sys.argv[1]
base = f"http://127.0.0.1:{port}"

def call(method, path, body=None, token=None, csrf=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method=method)
    if body is not None:
        req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Cookie", "vidyut_session=" + token)
    if csrf:
        req.add_header("X-CSRF-Token", csrf)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()

status, _, raw = call("GET", "/api/v1/openapi.json")
assert status == 200, status
doc = json.loads(raw)
checked = []

def check(method, template, status, raw):
    op = doc["paths"][template][method.lower()]
    resp = op["responses"].get(str(status))
    assert resp is not None, f"{method} {template}: status {status} is not documented"
    if "content" not in resp:
        assert not raw, f"{method} {template}: {status} has a body"
        return
    schema = dict(resp["content"]["application/json"]["schema"])
    schema["components"] = doc["components"]
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    jsonschema.validate(json.loads(raw), schema, cls=jsonschema.Draft202012Validator)
    checked.append(f"{method} {template} {status}")

def expect(method, path, template, want, body=None, token=None, csrf=None):
    status, headers, raw = call(method, path, body, token, csrf)
    assert status == want, f"{method} {path}: {status} (wanted {want}) {raw[:200]!r}"
    assert headers.get("X-Content-Type-Options") == "nosniff", headers
    check(method, template, status, raw)
    return headers, (json.loads(raw) if raw else None)

def sign_in(user, password):
    headers, body = expect("POST", "/api/v1/session", "/api/v1/session", 200,
                           {"username": user, "password": password})
    cookie = headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie, cookie
    return cookie.split(";")[0].split("=", 1)[1], body["csrf"]

expect("POST", "/api/v1/session", "/api/v1/session", 401, {"username": "asha", "password": "wrong-guess-123"})
op, op_csrf = sign_in("asha", "grid-control-2026")
viewer, viewer_csrf = sign_in("vikram", "view-only-person")
_, fleet = expect("GET", "/api/v1/fleet", "/api/v1/fleet", 200, token=viewer)
assert fleet["all"]["meters"] > 0, fleet
_, page = expect("GET", "/api/v1/consumers?limit=50", "/api/v1/consumers", 200, token=viewer)
consumers = [m["consumer_id"] for m in page["items"] if m["consumer_id"]]
assert consumers, page
c = consumers[0]
_, detail = expect("GET", f"/api/v1/consumers/{c}", "/api/v1/consumers/{id}", 200, token=viewer)
assert detail["account"]["consumer_id"] == c
expect("GET", f"/api/v1/consumers/{c}/usage?resolution=hour", "/api/v1/consumers/{id}/usage", 200, token=viewer)
expect("GET", f"/api/v1/consumers/{c}/payments", "/api/v1/consumers/{id}/payments", 200, token=viewer)
expect("GET", "/api/v1/consumers/NOBODY", "/api/v1/consumers/{id}", 404, token=viewer)
why = {"reason": "tamper reported by the lineman"}
expect("POST", f"/api/v1/consumers/{c}/disconnect", "/api/v1/consumers/{id}/disconnect", 403, why, viewer, viewer_csrf)
expect("POST", f"/api/v1/consumers/{c}/disconnect", "/api/v1/consumers/{id}/disconnect", 403, why, op)
expect("POST", f"/api/v1/consumers/{c}/disconnect", "/api/v1/consumers/{id}/disconnect", 401, why)
_, off = expect("POST", f"/api/v1/consumers/{c}/disconnect", "/api/v1/consumers/{id}/disconnect", 202, why, op, op_csrf)
cid = off["command"]["id"]
_, cmd = expect("GET", f"/api/v1/commands/{cid}", "/api/v1/commands/{id}", 200, token=viewer)
assert cmd["requested_by"] == "web:asha", cmd
expect("POST", f"/api/v1/consumers/{c}/reconnect", "/api/v1/consumers/{id}/reconnect", 202, {"reason": "inspected"}, op, op_csrf)
expect("GET", "/api/v1/alerts", "/api/v1/alerts", 200, token=viewer)
_, outages = expect("GET", "/api/v1/outages", "/api/v1/outages", 200, token=viewer)
assert outages["items"] == [], outages  # no meter reported a power failure
expect("GET", "/api/v1/outages?from=2026-01-01&to=2026-12-31", "/api/v1/outages", 400, token=viewer)
_, audit = expect("GET", "/api/v1/audit?limit=1000", "/api/v1/audit", 200, token=viewer)
assert any(a["actor"] == "web:asha" and a["action"] == "operator-disconnect" for a in audit["items"])
ids = [a["id"] for a in audit["items"]]
assert ids == sorted(ids, reverse=True), "the audit trail reads the latest first"
_, older = expect("GET", f"/api/v1/audit?before={ids[0]}&limit=1", "/api/v1/audit", 200, token=viewer)
assert [a["id"] for a in older["items"]] == ids[1:2], older
_, forward = expect("GET", "/api/v1/audit?after=0&limit=2", "/api/v1/audit", 200, token=viewer)
assert [a["id"] for a in forward["items"]] == sorted(ids)[:2], forward
expect("GET", "/api/v1/audit?after=1&before=9", "/api/v1/audit", 400, token=viewer)
# The MDM's analyses (no interval yet: empty figures, every answer in its schema) and a theft case.
expect("GET", "/api/v1/energy-audit", "/api/v1/energy-audit", 200, token=viewer)
expect("GET", "/api/v1/loading", "/api/v1/loading", 200, token=viewer)
expect("GET", "/api/v1/reliability", "/api/v1/reliability", 200, token=viewer)
_, theft = expect("GET", "/api/v1/theft", "/api/v1/theft", 200, token=viewer)
expect("GET", "/api/v1/theft?day=someday", "/api/v1/theft", 400, token=viewer)
serial = detail["meter"]["serial"]
case = {"serial": serial, "day": theft["day"], "note": "reported by the lineman"}
expect("POST", "/api/v1/theft-cases", "/api/v1/theft-cases", 403, case, viewer, viewer_csrf)
_, opened = expect("POST", "/api/v1/theft-cases", "/api/v1/theft-cases", 201, case, op, op_csrf)
case_id = opened["case"]["id"]
expect("POST", "/api/v1/theft-cases", "/api/v1/theft-cases", 200, case, op, op_csrf)
expect("POST", f"/api/v1/theft-cases/{case_id}/notes", "/api/v1/theft-cases/{id}/notes", 200, {"note": "inspection booked"}, op, op_csrf)
expect("POST", f"/api/v1/theft-cases/{case_id}/close", "/api/v1/theft-cases/{id}/close", 200, {"outcome": "dismissed", "note": "seal intact"}, op, op_csrf)
_, shown = expect("GET", f"/api/v1/theft-cases/{case_id}", "/api/v1/theft-cases/{id}", 200, token=viewer)
assert [e["action"] for e in shown["trail"]] == ["open", "note", "dismiss"], shown
expect("GET", "/api/v1/theft-cases?state=all", "/api/v1/theft-cases", 200, token=viewer)
expect("GET", "/api/v1/theft-cases/777", "/api/v1/theft-cases/{id}", 404, token=viewer)
# CSV exports: streamed, named, audited.
status, headers, raw = call("GET", "/api/v1/exports/readings.csv", token=viewer)
assert status == 200, status
assert headers.get("Content-Type", "").startswith("text/csv"), headers
assert "attachment" in headers.get("Content-Disposition", ""), headers
assert raw.decode().startswith("serial,consumer_id,feeder,dt,start_utc,"), raw[:100]
status, _, raw = call("GET", "/api/v1/exports/bills.csv?month=2026-11", token=viewer)
assert status == 200 and raw.decode().startswith("consumer_id,meter_serial,month,kind,"), raw[:100]
assert call("GET", "/api/v1/exports/bills.csv?month=11-2026", token=viewer)[0] == 400
assert call("GET", "/api/v1/exports/readings.csv")[0] == 401
_, latest = expect("GET", "/api/v1/audit?limit=5", "/api/v1/audit", 200, token=viewer)
assert any(a["action"] == "export-bills" and a["actor"] == "web:vikram" for a in latest["items"]), latest
checked.append("GET /api/v1/exports/readings.csv 200")
checked.append("GET /api/v1/exports/bills.csv 200")
# CIM (IEC 61968-9): XML answers in the message envelope, over a real socket.
import xml.etree.ElementTree as ET
MSG = "{http://iec.ch/TC57/2011/schema/message}"
status, headers, raw = call("GET", "/api/v1/cim/end-device-events?after=0&limit=10", token=viewer)
assert status == 200 and headers["Content-Type"].startswith("application/xml"), (status, raw[:200])
root = ET.fromstring(raw)
assert root.tag == MSG + "ResponseMessage" and root.find(MSG + "Reply/" + MSG + "Result").text == "OK", raw[:300]
assert headers.get("X-Next-After", "").isdigit(), headers
status, _, raw = call("GET", "/api/v1/cim/meter-readings", token=viewer)
assert status == 200 and ET.fromstring(raw).find(MSG + "Payload") is not None, raw[:300]
checked.append("GET /api/v1/cim/end-device-events 200")
checked.append("GET /api/v1/cim/meter-readings 200")
# The fleet live: the stream's first event is the fleet's JSON, in GET /api/v1/fleet's schema.
req = urllib.request.Request(base + "/api/v1/fleet/stream")
req.add_header("Cookie", "vidyut_session=" + viewer)
with urllib.request.urlopen(req, timeout=10) as r:
    assert r.headers["Content-Type"] == "text/event-stream", r.headers
    assert r.readline() == b"event: fleet\n"
    line = r.readline().decode()
assert line.startswith("data: "), line
check("GET", "/api/v1/fleet", 200, line[len("data: "):].encode())
expect("GET", "/api/v1/operators", "/api/v1/operators", 403, token=op)
expect("GET", "/api/v1/portal/account", "/api/v1/portal/account", 401, token=op)
expect("POST", "/api/v1/portal/code", "/api/v1/portal/code", 503, {"consumer_id": c})
expect("GET", "/api/v1/session", "/api/v1/session", 200, token=op)
expect("DELETE", "/api/v1/session", "/api/v1/session", 204, token=op, csrf=op_csrf)
expect("GET", "/api/v1/fleet", "/api/v1/fleet", 401, token=op)
expect("GET", "/v1/health", "/v1/health", 200)
print(f"{len(checked)} answers matched their documented schemas")
PY
grep -q "web:asha" <("$VIDYUT" audit --data "$D" 2>/dev/null) || fail "the CLI's audit does not show the operator"
# Prometheus metrics, to this machine: the head end's counters and the API's latency by route.
curl -sf "http://127.0.0.1:$PORT/metrics" >"$W/metrics.txt" || fail "/metrics"
grep -q '^# TYPE vidyut_pushes_total counter' "$W/metrics.txt" || fail "no pushes counter"
grep -q '^vidyut_billing_accounts 8' "$W/metrics.txt" || fail "no billing gauge"
grep -q '^vidyut_http_request_duration_seconds_count{route="/api/v1/fleet"} [1-9]' "$W/metrics.txt" ||
  fail "no API latency for /api/v1/fleet"
grep -q '^vidyut_http_requests_total [1-9]' "$W/metrics.txt" || fail "no HTTP request counter"
echo "PASS"
