# lib.sh: helpers for integration tests that start the real admitd and
# talk to it over TLS on loopback. Sourced by each test_*.sh.
#
# A test calls `check NAME CONDITION...`; results are counted in $RESULTS.

: "${ADMITD:?set ADMITD to the admitd binary}"
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DATA=$TOP/tests/data
WORK=$(mktemp -d /tmp/admitd-it.XXXXXX)
RESULTS=${RESULTS:-$WORK/results}
SERVER_PID=
SERVER_LOG=$WORK/server.log
CURL_MAX=10

cleanup() {
	if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
		kill -TERM "$SERVER_PID" 2>/dev/null || true
		wait "$SERVER_PID" 2>/dev/null || true
	fi
	rm -rf "$WORK"
}
trap cleanup EXIT

pass() { echo "ok   $1"; echo pass >> "$RESULTS"; }
fail() { echo "FAIL $1${2:+: $2}"; echo fail >> "$RESULTS"; }

# check NAME COMMAND...: passes when the command succeeds.
check() {
	local name=$1; shift
	if "$@"; then pass "$name"; else fail "$name"; fi
}

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()' 2>/dev/null ||
		echo $((20000 + RANDOM % 20000))
}

make_certs() { "$TOP/tests/gen-cert.sh" "$WORK/certs"; }

# review_loop OUT [MAX]: in the background (pid in LOOP), POSTs the
# privileged pod review, a new TLS connection each time, until $WORK/stop
# exists or MAX (2000) were sent; one line "<HTTP code> <allow|deny|none>"
# per answer in OUT.
review_loop() {
	local out=$1 max=${2:-2000}
	rm -f "$WORK/stop"
	: >"$out"
	(
		for _ in $(seq 1 "$max"); do
			[ -e "$WORK/stop" ] && break
			r=$(curl -s -w ' %{http_code}' --max-time 5 --cacert "$WORK/certs/ca.crt" \
				--data-binary @"$DATA/review-pod-privileged.json" "$BASE/validate")
			case "$r" in *'"allowed":false'*) v=deny ;; *'"allowed":true'*) v=allow ;; *) v=none ;; esac
			echo "${r##* } $v"
		done >>"$out"
	) &
	LOOP=$!
}

# answered_more OUT N: waits until OUT has N more lines (bounded: 30 s).
answered_more() {
	local want=$(($(wc -l <"$1") + $2))
	for _ in $(seq 1 300); do [ "$(wc -l <"$1")" -ge "$want" ] && return; sleep 0.1; done
}

# start_server [ARGS...]: starts admitd on a free loopback port, waits for /readyz.
# SERVER_CERT / SERVER_KEY: another pair (signed by the same CA) to serve.
start_server() {
	[ -s "$WORK/certs/tls.crt" ] || make_certs
	PORT=$(free_port)
	BASE=https://127.0.0.1:$PORT
	"$ADMITD" serve --listen 127.0.0.1:$PORT --cert "${SERVER_CERT:-$WORK/certs/tls.crt}" \
		--key "${SERVER_KEY:-$WORK/certs/tls.key}" --threads 2 "$@" >>"$SERVER_LOG" 2>&1 &
	SERVER_PID=$!
	for _ in $(seq 1 100); do
		if curl -s -o /dev/null --max-time 1 --cacert "$WORK/certs/ca.crt" "$BASE/readyz"; then
			return 0
		fi
		kill -0 "$SERVER_PID" 2>/dev/null || break
		sleep 0.1
	done
	echo "server did not start; log:"; cat "$SERVER_LOG"
	return 1
}

stop_server() {
	if [ -n "$SERVER_PID" ]; then
		kill -TERM "$SERVER_PID" 2>/dev/null || true
		wait "$SERVER_PID" 2>/dev/null
		SERVER_STATUS=$?
		SERVER_PID=
	fi
}

# post FILE [CURL ARGS...]: POST a body to /validate; sets STATUS and BODY.
post() {
	local file=$1; shift
	BODY=$(curl -sS --max-time $CURL_MAX --cacert "$WORK/certs/ca.crt" -o - -w '\n%{http_code}' \
		-H 'Content-Type: application/json' --data-binary @"$file" "$@" "$BASE/validate")
	STATUS=${BODY##*$'\n'}
	BODY=${BODY%$'\n'*}
}

# start_fake_apiserver: tests/integration/fake_apiserver.py over TLS on a free
# port (APORT, API_PID; token s3cret), stopped at exit.
start_fake_apiserver() {
	make_certs
	APORT=$(free_port)
	python3 "$TOP/tests/integration/fake_apiserver.py" "$APORT" "$WORK/certs/tls.crt" \
		"$WORK/certs/tls.key" s3cret "$WORK/api.log" >"$WORK/api.out" 2>&1 &
	API_PID=$!
	trap 'kill $API_PID 2>/dev/null; cleanup' EXIT
	for _ in $(seq 1 50); do grep -q ready "$WORK/api.out" 2>/dev/null && break; sleep 0.1; done
}

# kubeconfig TOKEN: $WORK/kubeconfig for the stand-in API server with that bearer token
kubeconfig() {
	cat >"$WORK/kubeconfig" <<KC
apiVersion: v1
kind: Config
current-context: test
contexts: [{name: test, context: {cluster: local, user: tester}}]
clusters: [{name: local, cluster: {server: "https://127.0.0.1:$APORT", certificate-authority-data: "$(base64 -w0 "$WORK/certs/ca.crt")"}}]
users: [{name: tester, user: {token: "$1"}}]
KC
}

# find_probe VAR NAME: PROBE is $VAR, else build/NAME beside $ADMITD (built if need be)
find_probe() {
	PROBE=${!1:-$(dirname "$ADMITD")/$2}
	if [ ! -x "$PROBE" ] && [ "$(dirname "$ADMITD")" = "$TOP/build" ]; then
		make -s --no-print-directory -C "$TOP" "build/$2" >/dev/null || return 1
	fi
	[ -x "$PROBE" ] || { fail "$2 not built (make build/$2)"; return 1; }
}

# jq-free JSON look-ups: python3 reads the answer.
json_get() { python3 -c 'import json,sys; d=json.loads(sys.argv[1]); v=eval("d"+sys.argv[2]); print(json.dumps(v) if not isinstance(v,str) else v)' "$1" "$2"; }
