#!/usr/bin/env bash
# Certificates swapped on disk are picked up without a restart; a broken
# pair is refused and the old one keeps serving. SIGHUP reloads the
# configuration; a broken one (a bad registries: entry too) keeps the old
# one serving.
source "$(dirname "$0")/lib.sh"
make_certs
cp "$WORK/certs/tls.crt" "$WORK/certs/tls.key" "$WORK/"
cat > "$WORK/admitd.yaml" <<YAML
podSecurity: {level: privileged}
policies:
  - {id: privileged, action: warn}
YAML
SERVER_CERT=$WORK/tls.crt SERVER_KEY=$WORK/tls.key start_server --config "$WORK/admitd.yaml" || exit 1

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

# registries: an entry the registry client refuses (plain HTTP to a host that is not
# loopback, found only when the verifier is built) fails the reload like any other
# error, with its line; the old configuration keeps serving. A good one is then taken.
printf 'podSecurity: {level: privileged}\npolicies:\n  - {id: privileged, action: warn}\nregistries:\n  - {host: registry.corp.example, insecureHTTP: true}\n' > "$WORK/next.yaml"
mv "$WORK/next.yaml" "$WORK/admitd.yaml"
kill -HUP "$SERVER_PID"
for _ in $(seq 1 40); do [ "$(grep -c 'configuration reload refused' "$SERVER_LOG")" -ge 2 ] && break; sleep 0.1; done
check "a bad registries entry is refused with its line" \
	grep -q 'admitd.yaml:5:5: registries\[0\]: registry registry.corp.example: insecure_http is allowed for loopback hosts only' "$SERVER_LOG"
BODY=$(curl -s --cacert "$cacert" --data-binary @"$DATA/review-pod-privileged.json" "$BASE/validate")
check "  the old configuration keeps serving (privileged still denied)" grep -q '"allowed":false' <<<"$BODY"
check "  readyz checksum unchanged" [ "$(json_get "$(curl -s --cacert "$cacert" "$BASE/readyz")" '["config"]')" = "$sum2" ]
printf 'podSecurity: {level: privileged}\npolicies:\n  - {id: privileged, action: warn}\nregistries:\n  - {host: "127.0.0.1:5000", insecureHTTP: true}\n' > "$WORK/next.yaml"
mv "$WORK/next.yaml" "$WORK/admitd.yaml"
kill -HUP "$SERVER_PID"
for _ in $(seq 1 40); do [ "$(grep -c 'configuration reloaded' "$SERVER_LOG")" -ge 2 ] && break; sleep 0.1; done
BODY=$(curl -s --cacert "$cacert" --data-binary @"$DATA/review-pod-privileged.json" "$BASE/validate")
check "a good registries section is taken (privileged allowed with a warning again)" grep -q '"warnings":\["\[privileged\]' <<<"$BODY"
stop_server
check "  and the server exits 0 with registries configured" [ "$SERVER_STATUS" = 0 ]

# ---- faults under load (issue 9) ----
# While clients keep calling (a new TLS connection per request, so each one
# handshakes with whatever certificate is current, plus h2load on keep-alive
# connections), the certificate is swapped for a broken pair, then for a
# file that is not PEM at all, and SIGHUP brings a broken configuration:
# every one is refused, and not one request fails. Last, a good
# configuration by SIGHUP is taken, still without a failed request.
: >"$SERVER_LOG"
cp "$WORK/certs/tls.crt" "$WORK/certs/tls.key" "$WORK/"
printf 'podSecurity: {level: privileged}\npolicies:\n  - {id: privileged, action: warn}\n' >"$WORK/admitd.yaml"
SERVER_CERT=$WORK/tls.crt SERVER_KEY=$WORK/tls.key start_server --config "$WORK/admitd.yaml" \
	--decision-log off || exit 1
review_loop "$WORK/fault-loop.out"
H2LOAD_OUT=
if command -v h2load >/dev/null; then
	timeout 60 h2load --h1 -D 8 -c 4 -d "$DATA/review-pod-allowed.json" \
		-H 'content-type: application/json' "$BASE/validate" >"$WORK/fault-h2load.out" 2>&1 &
	H2LOAD_OUT=$!
fi
log_wait() { # wait for the Nth log line matching a pattern (bounded: 10 s)
	for _ in $(seq 1 100); do [ "$(grep -c "$1" "$SERVER_LOG")" -ge "$2" ] && return; sleep 0.1; done
}
answered_more "$WORK/fault-loop.out" 5
# 1. a pair whose key does not match its certificate
cp "$WORK/certs2/tls.key" "$WORK/bad.key"; mv "$WORK/bad.key" "$WORK/tls.key"
log_wait 'certificate reload refused' 1
answered_more "$WORK/fault-loop.out" 5
# 2. a certificate file that is not PEM
head -c 700 /dev/urandom >"$WORK/bad.crt"; mv "$WORK/bad.crt" "$WORK/tls.crt"
log_wait 'certificate reload refused' 2
answered_more "$WORK/fault-loop.out" 5
# 3. SIGHUP with a broken configuration
printf 'podSecurity: {level: privileged}\npolicies:\n  - {id: privileged, acton: deny}\n' >"$WORK/next.yaml"
mv "$WORK/next.yaml" "$WORK/admitd.yaml"
kill -HUP "$SERVER_PID"
log_wait 'configuration reload refused' 1
answered_more "$WORK/fault-loop.out" 5
# 4. SIGHUP with a good one
printf 'podSecurity: {level: privileged}\npolicies:\n  - {id: privileged, action: deny}\n' >"$WORK/next.yaml"
mv "$WORK/next.yaml" "$WORK/admitd.yaml"
kill -HUP "$SERVER_PID"
log_wait 'configuration reloaded' 1
answered_more "$WORK/fault-loop.out" 5
touch "$WORK/stop"; wait $LOOP
[ -n "$H2LOAD_OUT" ] && wait "$H2LOAD_OUT"
total=$(wc -l <"$WORK/fault-loop.out")
echo "     faults under load: $total reviews on new connections;" \
	"h2load: $(grep -m1 '^requests:' "$WORK/fault-h2load.out" 2>/dev/null)"
check "faults under load: the broken pair was refused" [ "$(grep -c 'certificate reload refused' "$SERVER_LOG")" -ge 2 ]
check "faults under load: the broken configuration was refused (SIGHUP)" grep -q 'configuration reload refused' "$SERVER_LOG"
check "faults under load: reviews ran throughout ($total, each on a new TLS connection)" [ "$total" -ge 25 ]
check "faults under load: zero failed requests on new connections" [ "$(grep -vc '^200 ' "$WORK/fault-loop.out")" = 0 ]
if [ -n "$H2LOAD_OUT" ]; then
	check "faults under load: zero failed requests on keep-alive connections (h2load)" \
		grep -qE '^requests: .* [1-9][0-9]* succeeded, 0 failed, 0 errored, 0 timeout' "$WORK/fault-h2load.out"
fi
seq=$(awk '{print $2}' "$WORK/fault-loop.out" | uniq | tr '\n' ' ')
check "faults under load: verdicts go allow -> deny once, at the good SIGHUP [$seq]" [ "$seq" = "allow deny " ]
stop_server
check "faults under load: the server exits 0" [ "$SERVER_STATUS" = 0 ]

# ---- server: keys on reload (issue 13) ----
# maxBodyBytes and maxConnections apply at once on every thread (each thread
# copies them into its own h2o settings); keys h2o reads only at start are
# reported as needing a restart, while /readyz stays 200.
printf 'server: {maxBodyBytes: 2048}\n' >"$WORK/live.yaml"
start_server --config "$WORK/live.yaml" --threads 2
sum() { json_get "$(curl -s --cacert "$WORK/certs/ca.crt" "$BASE/readyz")" '["config"]'; }
# reload_to TEXT: writes the configuration, SIGHUPs, waits until /readyz shows it
reload_to() {
	local before
	before=$(sum)
	printf '%b' "$1" >"$WORK/live.next" && mv "$WORK/live.next" "$WORK/live.yaml"
	kill -HUP "$SERVER_PID"
	for _ in $(seq 1 100); do [ "$(sum)" != "$before" ] && break; sleep 0.1; done
	sleep 0.3 # each thread picks the new configuration up within 100 ms
}
head -c 5000 /dev/zero | tr '\0' ' ' >"$WORK/5k.json"
codes() { for _ in 1 2 3 4 5 6; do post "$WORK/5k.json"; printf '%s ' "$STATUS"; done; }
c=$(codes)
check "maxBodyBytes 2048: a 5,000-byte body is refused on every connection [$c]" [ "$c" = "413 413 413 413 413 413 " ]
reload_to 'server: {maxBodyBytes: 8Ki, requestTimeoutSeconds: 5, handshakeTimeoutSeconds: 3}\n'
c=$(codes)
check "after SIGHUP to maxBodyBytes 8Ki it reaches admitd on every connection (400: not JSON) [$c]" \
	[ "$c" = "400 400 400 400 400 400 " ]
ready=$(curl -s -w ' %{http_code}' --cacert "$WORK/certs/ca.crt" "$BASE/readyz")
check "/readyz stays 200" [ "${ready##* }" = 200 ]
check "  and lists the keys that need a restart" \
	[ "$(json_get "${ready% *}" '["restartNeeded"]')" = '["server.requestTimeoutSeconds", "server.handshakeTimeoutSeconds"]' ]
check "  the log says so" grep -q 'server.requestTimeoutSeconds, server.handshakeTimeoutSeconds changed; they are read only at start' "$SERVER_LOG"
check "  and admitd_config_restart_required is 1" \
	grep -qx 'admitd_config_restart_required 1' <<<"$(curl -s --cacert "$WORK/certs/ca.crt" "$BASE/metrics")"
reload_to 'server: {maxBodyBytes: 8Ki}\n'
check "back to the start values: nothing needs a restart" \
	[ "$(json_get "$(curl -s --cacert "$WORK/certs/ca.crt" "$BASE/readyz")" '["restartNeeded"]')" = '[]' ]
check "  and admitd_config_restart_required is 0" \
	grep -qx 'admitd_config_restart_required 0' <<<"$(curl -s --cacert "$WORK/certs/ca.crt" "$BASE/metrics")"
stop_server
