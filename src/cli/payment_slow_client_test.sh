#!/usr/bin/env bash
# Issue 16: one host with 256 slow connections (a byte every second, never finishing a request
# head) refused every recharge. Now a host gets at most 32 connections, and a request must arrive
# whole within 10 s of its first byte: recharges from the payment channel (another address) go
# on being accepted while the slow host tries, and its connections are closed (408).
set -euo pipefail
VIDYUT=$(realpath "$1")
W=$(mktemp -d)
D="$W/data"
serve_pid=""
cleanup() {
  [ -n "$serve_pid" ] && kill "$serve_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  [ -n "${KEEP:-}" ] && echo "kept $W" || rm -rf "$W"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; [ -f "$W/serve.log" ] && tail -20 "$W/serve.log"; exit 1; }

"$VIDYUT" simulate export --meters 4 --consumers-per-dt 4 --dts-per-feeder 1 --out "$W/fleet.csv" >/dev/null
"$VIDYUT" registry import --data "$D" "$W/fleet.csv" >/dev/null
"$VIDYUT" billing run --data "$D" --new-accounts prepaid >/dev/null
C1=$("$VIDYUT" billing accounts --data "$D" | awk 'NR == 2 { print $1 }')
meter_port=$((30000 + $$ % 10000))
pay_port=$((meter_port + 1))
"$VIDYUT" serve --data "$D" --bind 127.0.0.1 --port "$meter_port" --payment-port "$pay_port" \
  --no-mdm --status-every 60 >"$W/serve.log" 2>&1 &
serve_pid=$!
for _ in $(seq 100); do
  [ -f "$D/payment-api.key" ] && python3 - "$pay_port" <<'PY' && break
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=0.5); s.close()
PY
  sleep 0.1
done
KEY=$(cat "$D/payment-api.key")
python3 - "$pay_port" "$KEY" "$C1" <<'PY' || fail "recharges were not accepted during the slow-client attack"
import json, socket, sys, threading, time
port, key, consumer = int(sys.argv[1]), sys.argv[2], sys.argv[3]

# The attacker: 256 connections from 127.0.0.2, each sending one byte of a head per second.
slow, refused = [], 0
for i in range(256):
    try:
        s = socket.socket()
        s.bind(("127.0.0.2", 0))
        s.settimeout(2)
        s.connect(("127.0.0.1", port))
        slow.append(s)
    except OSError:
        refused += 1
# Connections over the host's allowance are accepted by the kernel and closed by the server at
# once: they read end-of-stream within a second.
time.sleep(1)
for s in list(slow):
    s.setblocking(False)
    try:
        if s.recv(1) == b"":
            refused += 1
            slow.remove(s)
    except BlockingIOError:
        pass
    s.setblocking(True)
    s.settimeout(2)
kept = len(slow)
stop = False
def trickle():
    head = b"POST /v1/recharges HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"a" * 200
    i = 0
    while not stop:
        for s in list(slow):
            try:
                s.send(head[i % len(head):i % len(head) + 1])
            except OSError:
                slow.remove(s)
        i += 1
        time.sleep(1)
t = threading.Thread(target=trickle, daemon=True)
t.start()

# The payment channel, from 127.0.0.1, during the attack: every recharge answered 201.
def recharge(ref):
    body = json.dumps({"payment_ref": ref, "consumer_id": consumer, "amount_paise": 10000,
                       "channel": "upi"}).encode()
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.settimeout(5)
    s.connect(("127.0.0.1", port))
    s.sendall(b"POST /v1/recharges HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + key.encode() +
              b"\r\nContent-Type: application/json\r\nContent-Length: " + str(len(body)).encode() +
              b"\r\nConnection: close\r\n\r\n" + body)
    data = b""
    while True:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    s.close()
    return int(data.split(b" ", 2)[1])
statuses = []
start = time.time()
for n in range(12):  # over 12 s: past the 10 s request deadline
    statuses.append(recharge("SLOW-%d" % n))
    time.sleep(1)
time.sleep(2)
stop = True
open_after = len(slow)
print("attacker: %d connections refused at once, %d kept, %d still open after %.0f s; "
      "recharges: %s" % (refused, kept, open_after, time.time() - start, statuses))
assert all(s == 201 for s in statuses), statuses
assert kept <= 32 and refused >= 256 - 32, "a host got more than 32 connections"
assert open_after == 0, "slow connections outlived the request deadline"
PY
echo "PASS"
