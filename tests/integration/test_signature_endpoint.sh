#!/usr/bin/env bash
# test_signature_endpoint.sh: a `registries:` entry with an endpoint, through
# the real server. Images of registry.corp.example (a name nothing resolves)
# are asked of Debian's docker-registry on loopback, which holds prod/web
# signed with the identity registry.corp.example/prod/web: what a signature
# must name, and what the policy matches, stay the host; the CA, the
# requests, the metrics and the messages are the endpoint's.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/registry.sh"

registry_install || { fail "cannot install docker-registry"; exit 1; }
trap 'registry_stop; cleanup' EXIT

make_certs
registry_serve || { fail "docker-registry serves TLS on $REG"; exit 1; }
CURL=(curl -sS --fail --max-time 10 --cacert "$CA")
HOST=registry.corp.example
openssl ecparam -name prime256v1 -genkey -noout -out "$WORK/release.key" 2>/dev/null
openssl ec -in "$WORK/release.key" -pubout -out "$WORK/release.pub" 2>/dev/null
SIGNED=$(make_image prod/web signed "$WORK/img")
UNSIGNED=$(make_image prod/web unsigned "$WORK/img")
ASPULLED=$(make_image prod/web aspulled "$WORK/img")
LATER=$(make_image prod/web later "$WORK/img")
cosign_sign_v2 prod/web "$SIGNED" "$WORK/release.key" "" "$HOST/prod/web"
cosign_sign_v2 prod/web "$LATER" "$WORK/release.key" "" "$HOST/prod/web"
# signed as the endpoint names it: not the image's identity
cosign_sign_v2 prod/web "$ASPULLED" "$WORK/release.key" "" "$REG/prod/web"
if [ -n "$SIGNED" ] && [ -n "$UNSIGNED" ] && [ -n "$ASPULLED" ]; then
	pass "prod/web pushed to $REG, signed as $HOST/prod/web"
else fail "prod/web pushed to $REG, signed as $HOST/prod/web"; fi

cat >"$WORK/admitd.yaml" <<YAML
podSecurity: {level: privileged}
registries:
  - {host: $HOST, endpoint: "$REG", caFile: "$CA", timeoutSeconds: 2}
policies:
  - id: image-signatures
    action: deny
    images: [$HOST/prod]
    keys: ["$WORK/release.pub"]
    timeoutSeconds: 4
YAML
start_server --config "$WORK/admitd.yaml" ||
	{ fail "admitd starts with a registry endpoint"; exit 1; }

# review FILE NAME IMAGE: a pod review whose container "web" runs IMAGE
review() {
	cat >"$1" <<JSON
{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u-$2",
 "kind":{"group":"","version":"v1","kind":"Pod"},"resource":{"group":"","version":"v1","resource":"pods"},
 "operation":"CREATE","namespace":"shop","name":"$2","userInfo":{"username":"alice"},
 "object":{"apiVersion":"v1","kind":"Pod","metadata":{"name":"$2","namespace":"shop"},
  "spec":{"containers":[{"name":"web","image":"$3"}]}}}}
JSON
}
allowed() { [ "$(json_get "$BODY" '["response"]["allowed"]')" = true ]; }
denied_with() { [ "$(json_get "$BODY" '["response"]["allowed"]')" = false ] &&
	grep -qF -- "$1" <<<"$(json_get "$BODY" '["response"]["status"]["message"]')"; }

review "$WORK/signed.json" signed "$HOST/prod/web:signed"
post "$WORK/signed.json"
check "$HOST/prod/web:signed, asked of the endpoint $REG: allowed" allowed
post "$WORK/signed.json"
check "  again, from the cache: allowed" allowed
review "$WORK/unsigned.json" unsigned "$HOST/prod/web:unsigned"
post "$WORK/unsigned.json"
if denied_with "$UNSIGNED" && denied_with "has no cosign signature in $REG (endpoint of $HOST)"; then
	pass "an unsigned image is denied, naming the endpoint and its registry"
else fail "an unsigned image is denied, naming the endpoint and its registry"; fi
review "$WORK/aspulled.json" aspulled "$HOST/prod/web@$ASPULLED"
post "$WORK/aspulled.json"
check "a signature naming the endpoint's repository is not the image's: denied" \
	denied_with "names \"$REG/prod/web\", not the repository $HOST/prod/web"

M=$(curl -s --max-time 5 --cacert "$CA" "$BASE/metrics")
check "metrics: the requests are the endpoint's ($REG)" \
	[ "$(awk -v k="admitd_registry_request_duration_seconds_count{host=\"$REG\"}" '$1 == k {print $2}' <<<"$M")" -ge 3 ]
no_series_of() { ! grep -qF "host=\"$1" <<<"$M"; }
check "metrics: none went to $HOST" no_series_of "$HOST"

# the endpoint down: the reason names it
registry_stop
review "$WORK/later.json" later "$HOST/prod/web@$LATER"
post "$WORK/later.json"
if denied_with "could not be read: $REG (endpoint of $HOST): "; then
	pass "the endpoint down: denied, the reason naming the endpoint and its registry"
else fail "the endpoint down: denied, the reason naming the endpoint and its registry"; fi
[ -n "${SIG_VERBOSE:-}" ] && echo "$BODY"
post "$WORK/signed.json"
check "  a digest verified before still passes" allowed
M=$(curl -s --max-time 5 --cacert "$CA" "$BASE/metrics")
check "metrics: the failure is the endpoint's" \
	[ "$(awk -v k="admitd_registry_request_failures_total{host=\"$REG\",reason=\"unreachable\"}" '$1 == k {print $2}' <<<"$M")" -ge 1 ]
stop_server
check "the server exits 0" [ "$SERVER_STATUS" = 0 ]
