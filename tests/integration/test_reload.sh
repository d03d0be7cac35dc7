#!/usr/bin/env bash
# Certificates swapped on disk are picked up without a restart; a broken
# pair is refused and the old one keeps serving. SIGHUP reloads the
# configuration; a broken one keeps the old one serving.
source "$(dirname "$0")/lib.sh"
make_certs
cp "$WORK/certs/tls.crt" "$WORK/certs/tls.key" "$WORK/"
cat > "$WORK/admitd.yaml" <<YAML
podSecurity: {level: privileged}
policies:
  - {id: privileged, action: warn}
YAML
PORT=$(free_port); BASE=https://127.0.0.1:$PORT
"$ADMITD" serve --config "$WORK/admitd.yaml" --listen 127.0.0.1:$PORT --cert "$WORK/tls.crt" \
	--key "$WORK/tls.key" --threads 2 >>"$SERVER_LOG" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 50); do curl -s -o /dev/null --cacert "$WORK/certs/ca.crt" "$BASE/healthz" && break; sleep 0.1; done

serial() { echo | openssl s_client -connect 127.0.0.1:$PORT -servername localhost 2>/dev/null | openssl x509 -noout -serial; }
old=$(serial)
check "serving the first certificate" [ -n "$old" ]

# a new pair from a new CA, swapped in the way a Secret update does (rename)
"$TOP/tests/gen-cert.sh" "$WORK/certs2"
cp "$WORK/certs2/tls.crt" "$WORK/new.crt"; cp "$WORK/certs2/tls.key" "$WORK/new.key"
mv "$WORK/new.key" "$WORK/tls.key"; mv "$WORK/new.crt" "$WORK/tls.crt"
new=
for _ in $(seq 1 40); do new=$(serial); [ "$new" != "$old" ] && break; sleep 0.2; done
check "new connections use the swapped certificate" test -n "$new" -a "$new" != "$old"
check "requests verify against the new CA" [ "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$WORK/certs2/ca.crt" "$BASE/healthz")" = 200 ]

# a broken pair (key does not match) is refused; the good one keeps serving
cp "$WORK/certs/tls.key" "$WORK/bad.key"; mv "$WORK/bad.key" "$WORK/tls.key"
for _ in $(seq 1 40); do grep -q 'certificate reload refused' "$SERVER_LOG" && break; sleep 0.2; done
check "broken pair is refused with a log line" grep -q 'certificate reload refused' "$SERVER_LOG"
check "still serving the last good certificate" [ "$(serial)" = "$new" ]
check "and answering" [ "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$WORK/certs2/ca.crt" "$BASE/healthz")" = 200 ]
cacert=$WORK/certs2/ca.crt

# configuration: warn -> deny by SIGHUP
BODY=$(curl -s --cacert "$cacert" --data-binary @"$DATA/review-pod-privileged.json" "$BASE/validate")
check "config warn: privileged allowed with a warning" grep -q '"warnings":\["\[privileged\]' <<<"$BODY"
sum1=$(json_get "$(curl -s --cacert "$cacert" "$BASE/readyz")" '["config"]')
printf 'podSecurity: {level: privileged}\npolicies:\n  - {id: privileged, action: deny}\n' > "$WORK/next.yaml"
mv "$WORK/next.yaml" "$WORK/admitd.yaml"
kill -HUP "$SERVER_PID"
for _ in $(seq 1 40); do grep -q 'configuration reloaded' "$SERVER_LOG" && break; sleep 0.1; done
BODY=$(curl -s --cacert "$cacert" --data-binary @"$DATA/review-pod-privileged.json" "$BASE/validate")
check "after SIGHUP: privileged denied" grep -q '"allowed":false' <<<"$BODY"
sum2=$(json_get "$(curl -s --cacert "$cacert" "$BASE/readyz")" '["config"]')
check "readyz reports the new checksum" [ "$sum1" != "$sum2" ]

printf 'podSecurity: {level: privileged}\npolicies:\n  - {id: privileged, actoin: warn}\n' > "$WORK/next.yaml"
mv "$WORK/next.yaml" "$WORK/admitd.yaml"
kill -HUP "$SERVER_PID"
for _ in $(seq 1 40); do grep -q 'configuration reload refused' "$SERVER_LOG" && break; sleep 0.1; done
check "broken configuration is refused with its error" grep -q 'unknown key "actoin" in policies\[0\]' "$SERVER_LOG"
BODY=$(curl -s --cacert "$cacert" --data-binary @"$DATA/review-pod-privileged.json" "$BASE/validate")
check "the old configuration keeps serving" grep -q '"allowed":false' <<<"$BODY"
check "readyz checksum unchanged" [ "$(json_get "$(curl -s --cacert "$cacert" "$BASE/readyz")" '["config"]')" = "$sum2" ]
stop_server
