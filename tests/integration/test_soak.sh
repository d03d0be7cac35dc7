#!/usr/bin/env bash
# 100,000 reviews over keep-alive TLS: every one answered, and resident
# memory does not grow once warm (leaks are the ASan run's business).
source "$(dirname "$0")/lib.sh"
command -v h2load >/dev/null || { fail "h2load is installed (nghttp2-client)"; exit 0; }
start_server --decision-log off || exit 1
run() {
	h2load -n "$1" -c 8 -m 1 --h1 -d "$DATA/review-pod-privileged.json" \
		-H 'content-type: application/json' "$BASE/validate" 2>&1
}
rss() { awk '/VmRSS/ {print $2}' "/proc/$SERVER_PID/status"; }
warm=$(run 10000)
check "warm-up: 10,000 reviews answered" grep -q '10000 succeeded, 0 failed' <<<"$warm"
before=$(rss)
n=100000
[ -n "${ASAN_OPTIONS:-}${LSAN_OPTIONS:-}" ] && n=20000   # sanitizer builds are ~5x slower
out=$(run $n)
after=$(rss)
check "soak: $n reviews, all 2xx" grep -q "$n succeeded, 0 failed" <<<"$out"
echo "     RSS before ${before} KiB, after ${after} KiB"
check "soak: resident memory grew by less than 2 MiB" [ $(( after - before )) -lt 2048 ]
stop_server
check "soak: clean exit" [ "$SERVER_STATUS" = 0 ]
