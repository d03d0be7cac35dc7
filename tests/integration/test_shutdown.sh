#!/usr/bin/env bash
# SIGTERM: stop accepting, answer what is in flight, exit 0.
source "$(dirname "$0")/lib.sh"
start_server || exit 1
# a ~300 KB review uploaded at 100 KB/s is in flight for ~3 s
python3 - "$DATA/review-pod-allowed.json" > "$WORK/slow.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["request"]["object"]["metadata"]["annotations"] = {"pad": "x" * 300000}
print(json.dumps(d))
PY
for i in 1 2 3; do
	curl -s -o "$WORK/slow$i.out" -w '%{http_code}' --limit-rate 100K --cacert "$WORK/certs/ca.crt" \
		--data-binary @"$WORK/slow.json" "$BASE/validate" > "$WORK/slow$i.code" &
done
sleep 1
kill -TERM "$SERVER_PID"
sleep 0.3
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 --cacert "$WORK/certs/ca.crt" "$BASE/healthz")
check "no new connections after SIGTERM" [ "$code" = 000 ]
wait "$SERVER_PID"; SERVER_STATUS=$?; SERVER_PID=
wait
for i in 1 2 3; do
	check "in-flight request $i answered 200" [ "$(cat "$WORK/slow$i.code")" = 200 ]
	check "in-flight request $i got its verdict" grep -q '"allowed":true' "$WORK/slow$i.out"
done
check "exit status 0 after SIGTERM" [ "$SERVER_STATUS" = 0 ]

# --shutdown-delay-ms: after SIGTERM, not ready but still serving, then stop
start_server --shutdown-delay-ms 1500 || exit 1
kill -TERM "$SERVER_PID"
sleep 0.5
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$WORK/certs/ca.crt" "$BASE/readyz")
check "shutdown delay: /readyz answers 503 after SIGTERM" [ "$code" = 503 ]
post "$DATA/review-pod-allowed.json"
check "shutdown delay: reviews are still answered" [ "$STATUS" = 200 ]
wait "$SERVER_PID"; SERVER_STATUS=$?; SERVER_PID=
check "shutdown delay: exits 0 afterwards" [ "$SERVER_STATUS" = 0 ]

# --dry-run outlives a configuration reload
printf 'podSecurity: {level: restricted}\n' > "$WORK/r.yaml"
start_server --dry-run --config "$WORK/r.yaml" || exit 1
printf 'mode: enforce\npodSecurity: {level: restricted}\n' > "$WORK/r2.yaml"; mv "$WORK/r2.yaml" "$WORK/r.yaml"
kill -HUP "$SERVER_PID"
for _ in $(seq 1 30); do grep -q 'reloaded.*on SIGHUP' "$SERVER_LOG" && break; sleep 0.1; done
post "$DATA/review-pod-privileged.json"
check "--dry-run still applies after a reload" [ "$(json_get "$BODY" '["response"]["allowed"]')" = true ]
stop_server
