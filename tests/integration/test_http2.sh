#!/usr/bin/env bash
# HTTP/2 is opt-in (--http2, ALPN h2) and serves the same verdicts.
source "$(dirname "$0")/lib.sh"
start_server --http2 || exit 1

ver=$(curl -s --http2 -o /dev/null -w '%{http_version}' --cacert "$WORK/certs/ca.crt" "$BASE/healthz")
check "--http2 negotiates h2 via ALPN" [ "$ver" = 2 ]
post "$DATA/review-pod-privileged.json" --http2
check "h2: privileged pod denied" [ "$(json_get "$BODY" '["response"]["allowed"]')" = false ]
check "h2: uid echoed" [ "$(json_get "$BODY" '["response"]["uid"]')" = 2f1c5a9e-0d7b-4c1e-9a3e-5b6f7c8d9e01 ]
post "$DATA/review-pod-allowed.json" --http2
check "h2: compliant pod allowed" [ "$(json_get "$BODY" '["response"]["allowed"]')" = true ]
ver=$(curl -s --http1.1 -o /dev/null -w '%{http_version}' --cacert "$WORK/certs/ca.crt" "$BASE/healthz")
check "--http2 still serves HTTP/1.1 clients" [ "$ver" = 1.1 ]
printf '{' > "$WORK/bad.json"; post "$WORK/bad.json" --http2
check "h2: malformed JSON -> 400" [ "$STATUS" = 400 ]
code=$(curl -s --http2 -o /dev/null -w '%{http_code}' --cacert "$WORK/certs/ca.crt" "$BASE/validate")
check "h2: GET /validate -> 405" [ "$code" = 405 ]

# many streams on one connection: h2load when available
if command -v h2load >/dev/null; then
	out=$(h2load -n 200 -c 1 -m 16 -d "$DATA/review-pod-allowed.json" \
		-H 'content-type: application/json' "$BASE/validate" 2>&1)
	check "h2: 200 multiplexed requests on one connection all succeed" \
		grep -q '200 succeeded, 0 failed' <<<"$out"
fi
stop_server
check "SIGTERM exits 0 (http2)" [ "$SERVER_STATUS" = 0 ]
