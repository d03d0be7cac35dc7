#!/usr/bin/env bash
# test_signatures.sh: the image-signatures policy through the real server
# over TLS, against Debian's docker-registry and the tests' hostile
# registry on loopback: signed and unsigned images, an unsigned init
# container beside a signed one, a slow registry that must not hold up
# other reviews, a registry down with and without a cached verdict, a
# reload that changes the keys, and `admitd audit` (and --offline).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/registry.sh"

registry_install || { fail "cannot install docker-registry"; exit 1; }
HOSTILE_PID=
trap 'registry_stop; kill $HOSTILE_PID 2>/dev/null; cleanup' EXIT

make_certs
registry_serve || { fail "docker-registry serves TLS on $REG"; exit 1; }
CURL=(curl -sS --fail --max-time 10 --cacert "$CA")
SIGNED=$(make_image prod/web signed "$WORK/img")
UNSIGNED=$(make_image prod/web unsigned "$WORK/img")
LATER=$(make_image prod/web later "$WORK/img")
openssl ecparam -name prime256v1 -genkey -noout -out "$WORK/release.key" 2>/dev/null
openssl ec -in "$WORK/release.key" -pubout -out "$WORK/release.pub" 2>/dev/null
openssl ecparam -name prime256v1 -genkey -noout -out "$WORK/other.key" 2>/dev/null
openssl ec -in "$WORK/other.key" -pubout -out "$WORK/other.pub" 2>/dev/null
cosign_sign_v2 prod/web "$SIGNED" "$WORK/release.key"
cosign_sign_v2 prod/web "$LATER" "$WORK/release.key"
if [ -n "$SIGNED" ] && [ -n "$LATER" ]; then
	pass "images and a cosign 2.x signature are pushed to $REG"
else fail "images and a cosign 2.x signature are pushed to $REG"; fi

HPORT=$(free_port)
python3 "$TOP/tests/integration/hostile_registry.py" "$HPORT" "$WORK/certs/tls.crt" \
	"$WORK/certs/tls.key" "$WORK/hostile.log" >"$WORK/hostile.out" 2>&1 &
HOSTILE_PID=$!
for _ in $(seq 1 50); do grep -q ready "$WORK/hostile.out" 2>/dev/null && break; sleep 0.1; done

config() { # KEYFILE
	cat >"$WORK/admitd.yaml" <<YAML
podSecurity: {level: privileged}
registries:
  - {host: "$REG", caFile: "$CA"}
  - {host: "127.0.0.1:$HPORT", caFile: "$CA", timeoutSeconds: 2}
policies:
  - id: image-signatures
    action: deny
    images: ["$REG/prod", "127.0.0.1:$HPORT"]
    keys: ["$1"]
    timeoutSeconds: 3
    tagCacheSeconds: 1
YAML
}
config "$WORK/release.pub"
start_server --config "$WORK/admitd.yaml" --decision-log "$WORK/decisions.log" ||
	{ fail "admitd starts with the image-signatures policy"; exit 1; }

# review FILE NAME CONTAINERS-JSON [INIT-JSON]: a pod review
review() {
	cat >"$1" <<JSON
{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u-$2",
 "kind":{"group":"","version":"v1","kind":"Pod"},"resource":{"group":"","version":"v1","resource":"pods"},
 "operation":"CREATE","namespace":"shop","name":"$2","userInfo":{"username":"alice"},
 "object":{"apiVersion":"v1","kind":"Pod","metadata":{"name":"$2","namespace":"shop"},
  "spec":{"containers":$3${4:+,\"initContainers\":$4}}}}}
JSON
}
allowed() { [ "$(json_get "$BODY" '["response"]["allowed"]')" = true ]; }
denied_with() { [ "$(json_get "$BODY" '["response"]["allowed"]')" = false ] &&
	grep -qF -- "$1" <<<"$(json_get "$BODY" '["response"]["status"]["message"]')"; }

review "$WORK/signed.json" signed "[{\"name\":\"web\",\"image\":\"$REG/prod/web@$SIGNED\"}]"
post "$WORK/signed.json"
check "a pod whose image is signed by the key is allowed" allowed
review "$WORK/tag.json" tag "[{\"name\":\"web\",\"image\":\"$REG/prod/web:signed\"}]"
post "$WORK/tag.json"
check "by tag, resolved to the signed digest: allowed" allowed
# the tag re-pointed to the unsigned image: seen once tagCacheSeconds (1) passed,
# though every event loop remembers the tag's verdict (its memo holds no longer)
post "$WORK/tag.json"
push_manifest prod/web signed "$WORK/img/manifest-unsigned" application/vnd.oci.image.manifest.v1+json
sleep 1.3
post "$WORK/tag.json"
if denied_with "$UNSIGNED"; then
	pass "a re-pointed tag is judged by its new digest once tagCacheSeconds passed"
else fail "a re-pointed tag is judged by its new digest once tagCacheSeconds passed"; fi
push_manifest prod/web signed "$WORK/img/manifest-signed" application/vnd.oci.image.manifest.v1+json
review "$WORK/unsigned.json" unsigned "[{\"name\":\"web\",\"image\":\"$REG/prod/web:unsigned\"}]"
post "$WORK/unsigned.json"
if denied_with "container \"web\"" && denied_with "$UNSIGNED" && denied_with "cosign sign"; then
	pass "an unsigned image is denied, naming the container, the digest and the fix"
else fail "an unsigned image is denied, naming the container, the digest and the fix"; fi
review "$WORK/init.json" init "[{\"name\":\"web\",\"image\":\"$REG/prod/web@$SIGNED\"}]" \
	"[{\"name\":\"setup\",\"image\":\"$REG/prod/web:unsigned\"}]"
post "$WORK/init.json"
check "an unsigned init container beside a signed container: denied, naming the init container" \
	denied_with "container \"setup\""
review "$WORK/other.json" other "[{\"name\":\"web\",\"image\":\"docker.io/library/nginx:1.25\"}]"
post "$WORK/other.json"
check "an image no pattern matches is not this policy's business (no registry asked)" allowed

# a registry that never answers holds up only its own review, and that fails closed in time
review "$WORK/silent.json" silent "[{\"name\":\"web\",\"image\":\"127.0.0.1:$HPORT/silent:1\"}]"
t0=$(date +%s%N)
(post "$WORK/silent.json"; echo "$BODY" >"$WORK/silent.out") &
SILENT=$!
sleep 0.3
fast=$(date +%s%N)
post "$WORK/signed.json"
fast=$((($(date +%s%N) - fast) / 1000000))
check "meanwhile another review is answered at once (${fast} ms; the event loop never waits)" \
	bash -c "[ $fast -lt 1500 ] && grep -q '\"allowed\":true' <<<'$BODY'"
wait $SILENT
took=$((($(date +%s%N) - t0) / 1000000))
BODY=$(cat "$WORK/silent.out")
if bash -c "[ $took -lt 8000 ]" && denied_with "(timeout)" && denied_with "onRegistryError: deny"; then
	pass "the silent registry's review is denied when its time runs out (${took} ms, timeoutSeconds 3)"
else fail "the silent registry's review is denied when its time runs out (${took} ms, timeoutSeconds 3)"; fi
[ -n "${SIG_VERBOSE:-}" ] && echo "$BODY"

# metrics: verdicts by result and cache, registry requests, cache lookups
M=$(curl -s --max-time 5 --cacert "$CA" "$BASE/metrics")
metric() { awk -v k="$1" '$1 == k {print $2}' <<<"$M"; }
check "metrics: signed verdicts from the cache are counted" \
	[ "$(metric 'admitd_signature_verdicts_total{result="signed",cached="true"}')" -ge 1 ]
check "metrics: an unsigned verdict verified by a worker is counted" \
	[ "$(metric 'admitd_signature_verdicts_total{result="unsigned",cached="false"}')" -ge 1 ]
if [ "$(metric admitd_registry_requests_total)" -ge 2 ] && [ "$(metric 'admitd_signature_cache_lookups_total{result="hit"}')" -ge 1 ]; then
	pass "metrics: registry requests and cache lookups are counted"
else fail "metrics: registry requests and cache lookups are counted"; fi
check "metrics: registry latency by host: the real registry's requests are in its histogram" \
	[ "$(metric "admitd_registry_request_duration_seconds_count{host=\"$REG\"}")" -ge 2 ]
check "metrics: the silent registry's request is a timeout failure of its host" \
	[ "$(metric "admitd_registry_request_failures_total{host=\"127.0.0.1:$HPORT\",reason=\"timeout\"}")" -ge 1 ]

# registry down: a verdict within cacheSeconds stands, anything else fails closed
registry_stop
post "$WORK/signed.json"
check "registry down: a digest verified before still passes" allowed
review "$WORK/later.json" later "[{\"name\":\"web\",\"image\":\"$REG/prod/web@$LATER\"}]"
post "$WORK/later.json"
check "registry down: a signed digest never verified is denied, saying the registry could not be reached" \
	denied_with "could not be read"
registry_start "$WORK/registry.yml" 200

# a reload with another key: the cached verdicts of the old key do not count
config "$WORK/other.pub"
for _ in $(seq 1 50); do
	grep -q "configuration reloaded" "$SERVER_LOG" && break
	sleep 0.1
done
sleep 1.2
post "$WORK/signed.json"
check "after a reload to another key, the image signed by the old one is denied" \
	denied_with "none by a configured key"
# SIGTERM while a verification waits on the silent registry: it ends, and nothing leaks
(post "$WORK/silent.json"; echo "$BODY" >"$WORK/silent2.out") &
SILENT=$!
sleep 0.3
stop_server
wait $SILENT
check "SIGTERM with a verification in flight: the server exits 0 (workers stopped, nothing leaked)" \
	[ "$SERVER_STATUS" = 0 ]

# audit asks the registries too, and --offline says it did not
config "$WORK/release.pub"
cat >"$WORK/pods.yaml" <<YAML
apiVersion: v1
kind: Pod
metadata: {name: ok, namespace: shop}
spec: {containers: [{name: web, image: "$REG/prod/web@$SIGNED"}]}
---
apiVersion: v1
kind: Pod
metadata: {name: bad, namespace: shop}
spec: {containers: [{name: web, image: "$REG/prod/web:unsigned"}]}
YAML
out=$("$ADMITD" audit --config "$WORK/admitd.yaml" --output json "$WORK/pods.yaml"); rc=$?
if [ "$rc" = 1 ] && [ "$(python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(",".join(r["name"] for r in d["results"] if not r["allowed"]))' "$out")" = bad ]; then
	pass "audit: the unsigned pod would be denied (exit 1), the signed one not"
else fail "audit: the unsigned pod would be denied (exit 1), the signed one not"; fi
out=$("$ADMITD" audit --config "$WORK/admitd.yaml" --offline --output json "$WORK/pods.yaml"); rc=$?
if [ "$rc" = 0 ] && grep -q '"image-signatures"' <<<"$(json_get "$out" '["summary"]["skippedPolicies"]')"; then
	pass "audit --offline: no registry asked, the policy reported as skipped (exit 0)"
else fail "audit --offline: no registry asked, the policy reported as skipped (exit 0)"; fi
