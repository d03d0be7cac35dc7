#!/usr/bin/env bash
# GET /metrics: names, types and values after known traffic, on the main
# TLS port and on the optional plain-HTTP metrics port.
source "$(dirname "$0")/lib.sh"
MPORT=$(free_port)
start_server --metrics-listen 127.0.0.1:$MPORT --decision-log off || exit 1

scrape() { curl -s --cacert "$WORK/certs/ca.crt" "$BASE/metrics"; }
value() { # value NAME_WITH_LABELS TEXT
	python3 - "$1" "$2" <<'PY'
import sys
want, text = sys.argv[1], sys.argv[2]
for line in text.splitlines():
    if line.startswith("#"):
        continue
    name, _, val = line.rpartition(" ")
    if name == want:
        print(int(float(val)) if float(val).is_integer() else val)
        break
else:
    print(0)
PY
}
before=$(scrape)
for _ in 1 2 3; do post "$DATA/review-pod-allowed.json"; done
for _ in 1 2; do post "$DATA/review-pod-privileged.json"; done
printf '{' > "$WORK/bad.json"; post "$WORK/bad.json"
curl -s -o /dev/null --cacert "$WORK/certs/ca.crt" "$BASE/validate"
after=$(scrape)

d() { echo $(( $(value "$1" "$after") - $(value "$1" "$before") )); }
check "requests_total{code=200} grew by 5 reviews + 1 scrape" [ "$(d 'admitd_requests_total{code="200"}')" = 6 ]
check "requests_total{code=400} grew by 1" [ "$(d 'admitd_requests_total{code="400"}')" = 1 ]
check "requests_total{code=405} grew by 1" [ "$(d 'admitd_requests_total{code="405"}')" = 1 ]
check "decisions_total allowed Pod CREATE enforce = 3" [ "$(d 'admitd_decisions_total{kind="Pod",operation="CREATE",allowed="true",mode="enforce"}')" = 3 ]
check "decisions_total denied Pod CREATE enforce = 2" [ "$(d 'admitd_decisions_total{kind="Pod",operation="CREATE",allowed="false",mode="enforce"}')" = 2 ]
check "violations_total{privileged,deny} = 2" [ "$(d 'admitd_violations_total{policy="privileged",action="deny"}')" = 2 ]
check "duration histogram counted 6 reviews" [ "$(d 'admitd_request_duration_seconds_count')" = 6 ]
check "duration histogram has a 50µs bucket" grep -q 'admitd_request_duration_seconds_bucket{le="5e-05"}' <<<"$after"
check "duration histogram +Inf equals count" [ "$(value 'admitd_request_duration_seconds_bucket{le="+Inf"}' "$after")" = "$(value admitd_request_duration_seconds_count "$after")" ]
check "body histogram counted 6 bodies" [ "$(d 'admitd_request_body_bytes_count')" = 6 ]
for t in "admitd_requests_total counter" "admitd_decisions_total counter" "admitd_violations_total counter" \
	"admitd_request_duration_seconds histogram" "admitd_request_body_bytes histogram" \
	"admitd_config_reloads_total counter" "admitd_config_info gauge" "admitd_tls_handshakes_total counter" \
	"admitd_connections gauge" "process_resident_memory_bytes gauge" "process_cpu_seconds_total counter" \
	"process_open_fds gauge" "process_start_time_seconds gauge"; do
	check "# TYPE $t" grep -q "^# TYPE $t\$" <<<"$after"
done
check "config_info carries the checksum from /readyz" \
	grep -q "admitd_config_info{checksum=\"$(json_get "$(curl -s --cacert "$WORK/certs/ca.crt" "$BASE/readyz")" '["config"]')\"" <<<"$after"
check "tls handshakes counted" [ "$(d admitd_tls_handshakes_total)" -ge 7 ]
check "resident memory is reported" [ "$(value process_resident_memory_bytes "$after")" -gt 1000000 ]
plain=$(curl -s "http://127.0.0.1:$MPORT/metrics")
check "plain-HTTP metrics port serves the same families" grep -q '^admitd_requests_total{code="200"}' <<<"$plain"
stop_server
start_server --metrics-listen 127.0.0.1:$MPORT --decision-log off || exit 1
code=$(curl -s -o /dev/null -w '%{http_code}' --data-binary @"$DATA/review-pod-allowed.json" "http://127.0.0.1:$MPORT/validate")
check "plain metrics port does not serve /validate" [ "$code" = 404 ]
check "plain metrics port serves /healthz" [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$MPORT/healthz")" = 200 ]
stop_server
