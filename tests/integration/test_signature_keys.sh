#!/usr/bin/env bash
# test_signature_keys.sh: image-signatures' imageKeys (keys per image
# pattern) through the real server, against Debian's docker-registry on
# loopback: team-a's images must be signed by team-a's key, the rest by
# the release key; a signature by the other key is not enough, and the
# denial names the keys the image needed. Twice each: by a worker, then
# from the cache and the event loop's memo, which must keep the entries'
# verdicts apart (one digest judged under two entries included).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/registry.sh"

registry_install || { fail "cannot install docker-registry"; exit 1; }
trap 'registry_stop; cleanup' EXIT

make_certs
registry_serve || { fail "docker-registry serves TLS on $REG"; exit 1; }
CURL=(curl -sS --fail --max-time 10 --cacert "$CA")
for k in release team-a; do
	openssl ecparam -name prime256v1 -genkey -noout -out "$WORK/$k.key" 2>/dev/null
	openssl ec -in "$WORK/$k.key" -pubout -out "$WORK/$k.pub" 2>/dev/null
done
TEAM_OK=$(make_image team-a/web ok "$WORK/img")
TEAM_REL=$(make_image team-a/web release "$WORK/img")
PROD=$(make_image prod/web v1 "$WORK/img")
PROD_TEAM=$(make_image prod/web teamsigned "$WORK/img")
cosign_sign_v2 team-a/web "$TEAM_OK" "$WORK/team-a.key"
cosign_sign_v2 team-a/web "$TEAM_REL" "$WORK/release.key"
cosign_sign_v2 prod/web "$PROD" "$WORK/release.key"
cosign_sign_v2 prod/web "$PROD_TEAM" "$WORK/team-a.key"
# prod/web:special is the release-signed v1 under a tag an imageKeys entry names
push_manifest prod/web special "$WORK/img/manifest-v1" application/vnd.oci.image.manifest.v1+json
if [ -n "$TEAM_OK" ] && [ -n "$TEAM_REL" ] && [ -n "$PROD" ] && [ -n "$PROD_TEAM" ]; then
	pass "images signed by the team-a and the release keys are pushed to $REG"
else fail "images signed by the team-a and the release keys are pushed to $REG"; fi

cat >"$WORK/admitd.yaml" <<YAML
podSecurity: {level: privileged}
registries:
  - {host: "$REG", caFile: "$CA"}
policies:
  - id: image-signatures
    action: deny
    images: ["$REG/prod"]
    keys: ["$WORK/release.pub"]
    imageKeys:
      - images: ["$REG/team-a"]
        keys: ["$WORK/team-a.pub"]
      - images: ["$REG/prod/web:special"]
        keys: ["$WORK/team-a.pub"]
YAML
start_server --config "$WORK/admitd.yaml" ||
	{ fail "admitd starts with imageKeys"; exit 1; }

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

review "$WORK/team-ok.json" team-ok "$REG/team-a/web@$TEAM_OK"
review "$WORK/team-rel.json" team-rel "$REG/team-a/web:release"
review "$WORK/prod.json" prod "$REG/prod/web@$PROD"
review "$WORK/prod-team.json" prod-team "$REG/prod/web@$PROD_TEAM"
review "$WORK/special.json" special "$REG/prod/web:special"
for round in "verified by a worker" "from the cache"; do
	post "$WORK/team-ok.json"
	check "team-a's image signed by team-a's key: allowed ($round)" allowed
	post "$WORK/team-rel.json"
	if denied_with "$TEAM_REL" && denied_with "none by a configured key" &&
		denied_with "the image matches imageKeys[0] ($REG/team-a), so only its keys count: $WORK/team-a.pub"; then
		pass "team-a's image signed only by the release key: denied, naming team-a's key ($round)"
	else fail "team-a's image signed only by the release key: denied, naming team-a's key ($round)"; fi
	post "$WORK/prod.json"
	check "another image signed by the release key: allowed ($round)" allowed
	post "$WORK/prod-team.json"
	check "another image signed only by team-a's key: denied, naming the policy's keys ($round)" \
		denied_with "the image matches images ($REG/prod), so only the policy's keys count: $WORK/release.pub"
	# the digest prod/web@$PROD (allowed above, under the release key) again, under imageKeys[1]
	post "$WORK/special.json"
	check "the release-signed digest under a tag imageKeys[1] names: denied, its verdict not the release key's ($round)" \
		denied_with "imageKeys[1]"
done
[ -n "${SIG_VERBOSE:-}" ] && echo "$BODY"
M=$(curl -s --max-time 5 --cacert "$CA" "$BASE/metrics")
check "metrics: the second round came from the cache" \
	[ "$(awk '$1 == "admitd_signature_verdicts_total{result=\"signed\",cached=\"true\"}" {print $2}' <<<"$M")" -ge 2 ]
stop_server
check "the server exits 0" [ "$SERVER_STATUS" = 0 ]
