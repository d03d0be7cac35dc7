#!/usr/bin/env bash
# test_signatures_hostile.sh: the image-signatures policy through the real
# server over TLS against hostile_registry.py on loopback: a registry that
# answers slowly (a drip), drops the connection mid-manifest, serves a
# 100 MB manifest (with its length, and chunked), or redirects a signature's
# blob forever. Each review is denied in bounded time, naming the container
# and the cause; the 100 MB answers never reach admitd's memory; other
# reviews are answered meanwhile; after a reload to `onRegistryError: allow`
# the same images are allowed with a warning that says the registry failed,
# while an image that is plainly unsigned is still denied. SIG_VERBOSE=1
# prints the answers to the hostile reviews.
source "$(dirname "$0")/lib.sh"

HOSTILE_PID=
trap 'kill $HOSTILE_PID 2>/dev/null; cleanup' EXIT
t_start=$(date +%s%N)
make_certs
CA=$WORK/certs/ca.crt

HPORT=$(free_port)
H=127.0.0.1:$HPORT
HLOG=$WORK/hostile.log
: >"$HLOG"
python3 "$TOP/tests/integration/hostile_registry.py" "$HPORT" "$WORK/certs/tls.crt" \
	"$WORK/certs/tls.key" "$HLOG" >"$WORK/hostile.out" 2>&1 &
HOSTILE_PID=$!
for _ in $(seq 1 50); do grep -q ready "$WORK/hostile.out" 2>/dev/null && break; sleep 0.1; done
check "the hostile registry listens on $H" grep -q ready "$WORK/hostile.out"

openssl ecparam -name prime256v1 -genkey -noout -out "$WORK/release.key" 2>/dev/null
openssl ec -in "$WORK/release.key" -pubout -out "$WORK/release.pub" 2>/dev/null

# config deny|allow: the hostile registry (2 s per request), the policy
# covering all of it (3 s per review)
config() {
	cat >"$WORK/admitd.yaml.new" <<YAML
podSecurity: {level: privileged}
registries:
  - {host: "$H", caFile: "$CA", timeoutSeconds: 2}
policies:
  - id: image-signatures
    action: deny
    images: ["$H"]
    keys: ["$WORK/release.pub"]
    timeoutSeconds: 3
    onRegistryError: $1
YAML
	mv "$WORK/admitd.yaml.new" "$WORK/admitd.yaml"
}
config deny
start_server --config "$WORK/admitd.yaml" || { fail "admitd starts with the image-signatures policy"; exit 1; }

# review NAME IMAGE: a pod review, one container "web" running IMAGE, in $WORK/NAME.json
review() {
	cat >"$WORK/$1.json" <<JSON
{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u-$1",
 "kind":{"group":"","version":"v1","kind":"Pod"},"resource":{"group":"","version":"v1","resource":"pods"},
 "operation":"CREATE","namespace":"shop","name":"$1","userInfo":{"username":"alice"},
 "object":{"apiVersion":"v1","kind":"Pod","metadata":{"name":"$1","namespace":"shop"},
  "spec":{"containers":[{"name":"web","image":"$2"}]}}}}
JSON
}
allowed() { [ "$(json_get "$BODY" '["response"]["allowed"]')" = true ]; }
message() { json_get "$BODY" '["response"]["status"]["message"]'; }
warnings() { json_get "$BODY" '["response"].get("warnings", [])'; }
# denied_with TEXT...: denied, the message holding every TEXT
denied_with() {
	[ "$(json_get "$BODY" '["response"]["allowed"]')" = false ] || { echo "     not denied: $BODY"; return 1; }
	local m t
	m=$(message)
	for t in "$@"; do grep -qF -- "$t" <<<"$m" || { echo "     message: $m"; return 1; }; done
}
# warned_with TEXT...: allowed, one warning holding every TEXT
warned_with() {
	allowed || { echo "     not allowed: $BODY"; return 1; }
	local w t
	w=$(warnings)
	for t in "$@"; do grep -qF -- "$t" <<<"$w" || { echo "     warnings: $w"; return 1; }; done
}
# timed NAME: posts $WORK/NAME.json; MS is how long the answer took
timed() {
	local t0
	t0=$(date +%s%N)
	post "$WORK/$1.json"
	MS=$((($(date +%s%N) - t0) / 1000000))
	[ -z "${SIG_VERBOSE:-}" ] || echo "     $BODY"
}
kb() { awk -v k="$1:" '$1 == k {print $2}' "/proc/$SERVER_PID/status"; }
# Under AddressSanitizer freed memory sits in its quarantine and RSS says
# nothing about admitd (as in test_hostile.sh): RSS bounds on plain builds only.
SANITIZED=
if ldd "$ADMITD" 2>/dev/null | grep -q libasan; then SANITIZED=1; fi
check_rss() {
	if [ -n "$SANITIZED" ]; then echo "skip $1 (ASan build: RSS includes the quarantine)"; else check "$@"; fi
}
digest_of() { echo "sha256:$(printf '%s' "$1" | sha256sum | cut -d' ' -f1)"; }

review other "docker.io/library/nginx:1.25"
post "$WORK/other.json"
check "an image the policy does not cover is allowed (no registry asked)" allowed
IDLE_RSS=$(kb VmRSS)
echo "     admitd at idle: VmRSS ${IDLE_RSS} kB, VmHWM $(kb VmHWM) kB"

# ---- a slow registry: a manifest that trickles one byte every 0.5 s ----
review drip "$H/drip:1"
t0=$(date +%s%N)
(post "$WORK/drip.json"; echo "$BODY" >"$WORK/drip.out") &
DRIP=$!
for _ in $(seq 1 50); do grep -q '^GET /v2/drip/' "$HLOG" && break; sleep 0.1; done
check "the drip's review reaches the registry's GET of the tag's manifest" grep -q '^GET /v2/drip/manifests/1 ' "$HLOG"
post "$WORK/other.json"
check "while the drip is in flight, a review of an unrelated pod is answered allowed" allowed
check "  and the drip's review was still waiting then" kill -0 $DRIP
wait $DRIP
took=$((($(date +%s%N) - t0) / 1000000))
BODY=$(cat "$WORK/drip.out")
check "slow drip: denied, naming the container, the image and the timeout" \
	denied_with 'container "web"' "$H/drip:1" "could not be resolved" "no complete answer within 2000 ms" "(timeout)"
check "  in bounded time (${took} ms < 8000; the request timeout is 2 s)" [ "$took" -lt 8000 ]

# ---- the connection dropped in the middle of the signature manifest ----
DROP=$(digest_of drop)
review drop "$H/drop@$DROP"
timed drop
check "dropped connection: denied, naming the container, the signature manifest and the drop" \
	denied_with 'container "web"' "$H/drop@$DROP" "the signatures could not be read" \
	"manifest drop:sha256-${DROP#sha256:}.sig: the connection was dropped before the answer was complete" \
	"(unreachable)"
check "  in bounded time (${MS} ms < 8000)" [ "$MS" -lt 8000 ]

# ---- 100 MB manifests: the tag's (with its length), the signatures' (chunked) ----
review huge "$H/huge:1"
timed huge
check "100 MB manifest with its length (resolving the tag): denied, too large, not read" \
	denied_with 'container "web"' "$H/huge:1" "larger than 4194304 bytes: not read" "(too large)"
check "  in bounded time (${MS} ms < 8000)" [ "$MS" -lt 8000 ]
CHUNK=$(digest_of hugechunk)
review hugechunk "$H/hugechunk@$CHUNK"
timed hugechunk
check "100 MB chunked signature manifest: denied, too large, cut at 4 MiB" \
	denied_with 'container "web"' "$H/hugechunk@$CHUNK" "the signatures could not be read" \
	"larger than 4194304 bytes: cut there" "(too large)"
check "  in bounded time (${MS} ms < 8000)" [ "$MS" -lt 8000 ]
hwm=$(kb VmHWM) rss=$(kb VmRSS)
check_rss "the 100 MB answers were never buffered: peak RSS ${hwm} kB < 80 MB (idle ${IDLE_RSS} kB)" \
	[ -n "$hwm" ] && [ "$hwm" -lt 81920 ]
check_rss "  and RSS after them (${rss} kB) is within 20 MB of idle" [ "$rss" -lt $((IDLE_RSS + 20480)) ]

# ---- a signature whose blob redirects to itself, forever ----
review loop "$H/loop:1"
timed loop
check "blob redirect loop: denied, naming the container and the redirects" \
	denied_with 'container "web"' "$H/loop:1" "the signatures could not be read" \
	"blob loop@sha256:" "more than 3 redirects"
check "  in bounded time (${MS} ms < 8000)" [ "$MS" -lt 8000 ]
check "  the signature manifest was read, then the blob asked 4 times, no more" \
	bash -c "grep -q '^GET /v2/loop/manifests/sha256-.*\.sig ' '$HLOG' &&
		[ \$(grep -c '^GET /v2/loop/blobs/' '$HLOG') = 4 ]"

# the same registry client still works: a repository with no signatures is unsigned, not unreachable
NONE=$(digest_of nosig)
review nosig "$H/nosig@$NONE"
post "$WORK/nosig.json"
check "after all that the registry is still asked: an image with no signature is denied as unsigned" \
	denied_with 'container "web"' "has no cosign signature in $H"

M=$(curl -s --max-time 5 --cacert "$CA" "$BASE/metrics")
metric() { awk -v k="$1" '$1 == k {print $2}' <<<"$M"; }
n=$(metric 'admitd_signature_verdicts_total{result="unreachable",cached="false"}')
check "metrics: the 5 hostile verdicts are counted as unreachable (${n:-none})" [ "${n:-0}" -ge 5 ]
n=$(metric 'admitd_signature_verdicts_total{result="unsigned",cached="false"}')
check "metrics: the unsigned one as unsigned (${n:-none})" [ "${n:-0}" -ge 1 ]

# ---- onRegistryError: allow, by rewriting the configuration file ----
config allow
for _ in $(seq 1 100); do grep -q "configuration reloaded" "$SERVER_LOG" && break; sleep 0.1; done
sum=$(sed -n 's/.*configuration reloaded from .* (checksum \([^)]*\)).*/\1/p' "$SERVER_LOG" | tail -n 1)
for _ in $(seq 1 50); do
	curl -s --max-time 5 --cacert "$CA" "$BASE/metrics" | grep -qF "checksum=\"$sum\"" && break
	sleep 0.1
done
check "the configuration with onRegistryError: allow is reloaded (checksum ${sum:-none})" \
	bash -c "[ -n '$sum' ] && curl -s --max-time 5 --cacert '$CA' '$BASE/metrics' | grep -qF 'checksum=\"$sum\"'"
post "$WORK/drop.json"
check "onRegistryError: allow: the dropped registry's image is allowed, with a warning saying the registry failed" \
	warned_with '[image-signatures] container \"web\" is allowed unverified: its registry failed (unreachable) and onRegistryError is allow'
post "$WORK/drop.json"
check "  and again from the cache (failureCacheSeconds), with the same warning" \
	warned_with 'its registry failed (unreachable) and onRegistryError is allow'
post "$WORK/huge.json"
check "  the 100 MB manifest's image too, the warning saying it was too large" \
	warned_with '[image-signatures] container \"web\" is allowed unverified: its registry failed (too large)'
post "$WORK/loop.json"
check "  the redirect loop's, the warning saying what the registry did" \
	warned_with 'its registry failed (protocol error) and onRegistryError is allow'
post "$WORK/nosig.json"
check "  an image that is plainly unsigned is still denied" denied_with "has no cosign signature"
M=$(curl -s --max-time 5 --cacert "$CA" "$BASE/metrics")
n=$(metric 'admitd_signature_verdicts_total{result="unreachable",cached="true"}')
check "metrics: the verdict served from the cache is counted as unreachable, cached (${n:-none})" [ "${n:-0}" -ge 1 ]

stop_server
check "SIGTERM: the server exits 0 (nothing crashed or leaked on the way)" [ "$SERVER_STATUS" = 0 ]
elapsed=$((($(date +%s%N) - t_start) / 1000000))
echo "     test_signatures_hostile.sh: ${elapsed} ms"
