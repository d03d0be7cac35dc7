#!/usr/bin/env bash
# test_referrers.sh: the signature verifier (webhook/sigverify.c, driven by
# sig_probe) against a registry WITH the OCI 1.1 referrers API: Debian's
# docker-registry (distribution 2.8.2, which has none) behind
# referrers_registry.py, an HTTPS front that records referrers pushed with
# a `subject`, answers `OCI-Subject` and serves GET /v2/<name>/referrers/
# <digest> (with or without applying `?artifactType=`). cosign 3.x bundles
# are pushed as cosign 3 pushes them to such a registry: a referrer
# manifest and no sha256-<hex> tag index. The front's request log shows
# which API admitd used and every request it made.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/registry.sh"

find_probe SIG_PROBE sig_probe || exit 1
registry_install || { fail "cannot install docker-registry"; exit 1; }
trap 'front_stop; registry_stop; cleanup' EXIT

make_certs
registry_serve || { fail "docker-registry serves TLS"; exit 1; }
BACK=$REG
FLOG=$WORK/front.log
REG=127.0.0.1:$(free_port)
front_start "$REG" "$BACK" || { fail "the referrers front starts"; exit 1; }
CURL=(curl -sS --fail --max-time 10 --cacert "$CA")

BT=application/vnd.dev.sigstore.bundle.v0.3+json
SBOM=application/spdx+json
OM=application/vnd.oci.image.manifest.v1+json

# ---- images, through the front ----
D=$WORK/img
mkdir -p "$D"
SIGNED=$(make_image app signed "$D")
SBOMONLY=$(make_image app sbomonly "$D")
BARE=$(make_image app bare "$D")
OTHERKEY=$(make_image app otherkey "$D")
TWO=$(make_image app two "$D")
if [ -n "$SIGNED" ] && [ -n "$TWO" ]; then
	pass "images are pushed through the front"
else fail "images are pushed through the front"; fi

openssl ecparam -name prime256v1 -genkey -noout -out "$WORK/release.key" 2>/dev/null
openssl ec -in "$WORK/release.key" -pubout -out "$WORK/release.pub" 2>/dev/null
openssl ecparam -name prime256v1 -genkey -noout -out "$WORK/other.key" 2>/dev/null
openssl ec -in "$WORK/other.key" -pubout -out "$WORK/other.pub" 2>/dev/null
SIGSTORE=$(bash "$TOP/tests/integration/install-sigstore.sh" 2>"$WORK/sigstore-install.err") ||
	{ cat "$WORK/sigstore-install.err"; SIGSTORE=; }

# push_referrer NAME FILE SUBJECT-DIGEST TAG: PUTs the manifest FILE by its digest as
# referrer of SUBJECT (the image tagged TAG); prints the OCI-Subject header answered
push_referrer() {
	local f=$WORK/$1.manifest
	python3 - "$2" "$3" "$(size "$D/manifest-$4")" "$f" <<-'PY'
	import json, sys
	doc = json.load(open(sys.argv[1]))
	doc["subject"] = {"mediaType": "application/vnd.oci.image.manifest.v1+json",
	                  "digest": sys.argv[2], "size": int(sys.argv[3])}
	open(sys.argv[4], "w").write(json.dumps(doc))
	PY
	"${CURL[@]}" -X PUT -D - -o /dev/null -H "Content-Type: $OM" --data-binary @"$f" \
		"https://$REG/v2/app/manifests/sha256:$(sha "$f")" | tr -d '\r' |
		sed -n 's/^[Oo][Cc][Ii]-[Ss]ubject: //p'
}

# sign_v3 DIGEST TAG KEYNAME: a cosign 3.x bundle by KEYNAME.key (a DSSE envelope over
# the in-toto statement naming $REG/app and DIGEST; made by sigstore-js's
# DSSEBundleBuilder, by openssl when it is missing), pushed as cosign 3 pushes it to a
# registry with the referrers API; prints the OCI-Subject answered
sign_v3() {
	local hex=${1#sha256:} b=$WORK/bundle-${1#sha256:}-$3
	python3 - "$REG/app" "$hex" "$WORK/stmt" <<-'PY'
	import json, sys
	name, hexd, out = sys.argv[1:4]
	st = {"_type": "https://in-toto.io/Statement/v1",
	      "subject": [{"name": name, "digest": {"sha256": hexd}}],
	      "predicateType": "https://sigstore.dev/cosign/sign/v1", "predicate": {}}
	body = json.dumps(st).encode()
	t = b"application/vnd.in-toto+json"
	open(out, "wb").write(body)
	open(out + ".pae", "wb").write(b"DSSEv1 %d %s %d %s" % (len(t), t, len(body), body))
	PY
	if [ -n "$SIGSTORE" ]; then
		SIGSTORE_MODULES=$SIGSTORE node "$TOP/tests/integration/sigstore_bundle.mjs" \
			"$WORK/stmt" "$WORK/$3.key" "$WORK/$3.pub" >"$b" || return 1
	else
		local sig
		sig=$(openssl dgst -sha256 -sign "$WORK/$3.key" "$WORK/stmt.pae" | base64 -w0)
		printf '{"mediaType":"%s","verificationMaterial":{"publicKey":{"hint":"%s"}},"dsseEnvelope":{"payload":"%s","payloadType":"application/vnd.in-toto+json","signatures":[{"sig":"%s"}]}}' \
			"$BT" "$3" "$(base64 -w0 <"$WORK/stmt")" "$sig" >"$b"
	fi
	printf '{}' >"$WORK/empty.json"
	push_blob app "$b" && push_blob app "$WORK/empty.json" || return 1
	cat >"$b.m" <<-JSON
	{"schemaVersion":2,"mediaType":"$OM","artifactType":"$BT","config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"sha256:$(sha "$WORK/empty.json")","size":2},"layers":[{"mediaType":"$BT","digest":"sha256:$(sha "$b")","size":$(size "$b")}],"annotations":{"dev.sigstore.bundle.content":"dsse-envelope","dev.sigstore.bundle.predicateType":"https://sigstore.dev/cosign/sign/v1"}}
	JSON
	push_referrer "ref-$hex-$3" "$b.m" "$1" "$2"
}

# sbom DIGEST TAG: an SPDX SBOM as an OCI 1.1 artifact without artifactType (the
# config's mediaType says what it is), as referrer of DIGEST; prints the OCI-Subject
sbom() {
	local hex=${1#sha256:}
	printf '{"spdxVersion":"SPDX-2.3","name":"%s"}' "$2" >"$WORK/sbom-$hex"
	printf '{"created":"%s"}' "$2" >"$WORK/sbomcfg-$hex"
	push_blob app "$WORK/sbom-$hex" && push_blob app "$WORK/sbomcfg-$hex" || return 1
	cat >"$WORK/sbom-$hex.m" <<-JSON
	{"schemaVersion":2,"mediaType":"$OM","config":{"mediaType":"$SBOM","digest":"sha256:$(sha "$WORK/sbomcfg-$hex")","size":$(size "$WORK/sbomcfg-$hex")},"layers":[{"mediaType":"$SBOM","digest":"sha256:$(sha "$WORK/sbom-$hex")","size":$(size "$WORK/sbom-$hex")}]}
	JSON
	push_referrer "sbomref-$hex" "$WORK/sbom-$hex.m" "$1" "$2"
}

# signed: an SBOM first, then the bundle (an unfiltered list has the SBOM ahead of it)
S1=$(sbom "$SIGNED" signed)
S2=$(sign_v3 "$SIGNED" signed release)
S3=$(sbom "$SBOMONLY" sbomonly)
S4=$(sign_v3 "$OTHERKEY" otherkey other)
S5=$(sign_v3 "$TWO" two other)
S6=$(sign_v3 "$TWO" two release)
check "the front answers OCI-Subject: <subject digest> to each referrer pushed" \
	[ "$S1 $S2 $S3 $S4 $S5 $S6" = "$SIGNED $SIGNED $SBOMONLY $OTHERKEY $TWO $TWO" ]
check "  so no sha256-<hex> tag index exists in the registry behind it" \
	[ "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$CA" "https://$BACK/v2/app/manifests/sha256-${SIGNED#sha256:}")" = 404 ]
check "  and the registry itself has no referrers API (distribution 2.8)" \
	[ "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$CA" "https://$BACK/v2/app/referrers/$SIGNED")" = 404 ]

# the front itself, as the spec has it
LIST=$("${CURL[@]}" -D "$WORK/h" "https://$REG/v2/app/referrers/$SIGNED")
check "front: the referrers list is an image index of both, SBOM artifactType from its config" \
	python3 -c 'import json,sys; d=json.loads(sys.argv[1]); m=d["manifests"]
assert d["mediaType"]=="application/vnd.oci.image.index.v1+json" and len(m)==2
assert [x["artifactType"] for x in m]==[sys.argv[2],sys.argv[3]]
assert m[1]["annotations"]["dev.sigstore.bundle.content"]=="dsse-envelope"' "$LIST" "$SBOM" "$BT"
index_unfiltered() {
	grep -qi '^content-type: application/vnd.oci.image.index.v1+json' "$WORK/h" &&
		! grep -qi '^oci-filters-applied' "$WORK/h"
}
check "  Content-Type application/vnd.oci.image.index.v1+json, no filter header unasked" \
	index_unfiltered
# (escaped as admitd's libcurl escapes it: a '+' left bare in a query string reads as a space)
LIST=$("${CURL[@]}" -D "$WORK/h" "https://$REG/v2/app/referrers/$SIGNED?artifactType=application%2Fspdx%2Bjson")
only_sbom() {
	python3 -c 'import json,sys; m=json.loads(sys.argv[1])["manifests"]
assert len(m)==1 and m[0]["artifactType"]==sys.argv[2]' "$LIST" "$SBOM" &&
		grep -qi '^oci-filters-applied: artifactType' "$WORK/h"
}
check "  ?artifactType= filters, with OCI-Filters-Applied: artifactType" only_sbom
empty_index() {
	local got
	got=$(curl -s -w '\n%{http_code}' --cacert "$CA" "https://$REG/v2/app/referrers/$BARE")
	[ "${got##*$'\n'}" = 200 ] && python3 -c 'import json,sys; d=json.loads(sys.argv[1])
assert d["manifests"]==[] and d["mediaType"]=="application/vnd.oci.image.index.v1+json"' "${got%$'\n'*}"
}
check "  no referrers: 200 and an empty index, never 404" empty_index
check "  a malformed digest: 400" \
	[ "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$CA" "https://$REG/v2/app/referrers/sha256:xyz")" = 400 ]

# ---- the verifier, through the front ----
coproc SV { timeout 120 "$PROBE" --registry "$REG" --ca "$CA" --key "$WORK/release.pub" 2>&1; }
ask() { # COMMAND: the probe's one-line answer in $ANS; the front's log lines of it in $SEEN
	local mark
	mark=$(wc -l <"$FLOG")
	echo "$1" >&"${SV[1]}"
	ANS=
	IFS= read -r -t 30 ANS <&"${SV[0]}"
	SEEN=$(tail -n +$((mark + 1)) "$FLOG")
	echo "     $1 -> $ANS"
}
# verdict PREFIX [TEXT...]: the answer starts with PREFIX and holds every TEXT
verdict() {
	[[ "$ANS" == "$1"* ]] || return 1
	shift
	for t; do [[ "$ANS" == *"$t"* ]] || return 1; done
}
# seen EXPECTED: the front logged exactly these requests (one "METHOD PATH STATUS" a line)
seen() {
	[ "$SEEN" = "$1" ] && return 0
	printf '     front log:\n%s\n     expected:\n%s\n' "$SEEN" "$1" | sed 's/^/       /'
	false
}
no_tag_schema() { ! grep -q "/manifests/sha256-${1#sha256:} " <<<"$SEEN"; }
# via_referrers DIGEST: the front saw the filtered referrers request, and no sha256-<hex> tag
via_referrers() { grep -qF "GET /v2/app/referrers/$1$REFQ 200" <<<"$SEEN" && no_tag_schema "$1"; }
REFQ="?artifactType=application%2Fvnd.dev.sigstore.bundle.v0.3%2Bjson"
sbom_m() { echo "sha256:$(sha "$WORK/sbomref-${1#sha256:}.manifest")"; }
ref_m() { echo "sha256:$(sha "$WORK/ref-${1#sha256:}-$2.manifest")"; }
blob_of() { echo "sha256:$(sha "$WORK/bundle-${1#sha256:}-$2")"; }
# the five requests of a tag whose one bundle is read: resolve (HEAD), the cosign 2.x
# signature tag (404), the referrers list, the referrer's manifest, its bundle blob
five() {
	printf '%s\n' "HEAD /v2/app/manifests/$1 200" \
		"GET /v2/app/manifests/sha256-${2#sha256:}.sig 404" \
		"GET /v2/app/referrers/$2$REFQ 200" \
		"GET /v2/app/manifests/$(ref_m "$2" "$3") 200" \
		"GET /v2/app/blobs/$(blob_of "$2" "$3") 200"
}

# each check's conditions are one command (a function), so that all of them count
signed_v3() { verdict "signed cached=0 requests=$1 digest=$2" "cosign 3.x bundle" && via_referrers "$2"; }
unsigned_v3() { verdict "unsigned cached=0 requests=$1 digest=$2" && via_referrers "$2"; }
rejected_v3() {
	verdict "rejected cached=0 requests=$1 digest=$2" "1 signature found" "cosign 3.x bundle" &&
		via_referrers "$2"
}

ask "verify $REG/app:signed"
check "a cosign 3.x bundle as a referrer, by tag: signed through the referrers API (/referrers/ seen, no sha256-<hex> tag)" \
	signed_v3 5 "$SIGNED"
check "  exactly 5 requests: resolve, the .sig tag (404), referrers, its manifest, its bundle" \
	seen "$(five signed "$SIGNED" release)"
ask "verify $REG/app@$BARE"
check "no referrer at all: the empty index (200) means unsigned, no tag-schema fallback" \
	unsigned_v3 2 "$BARE"
check "  2 requests by digest: the .sig tag (404) and the referrers list" \
	seen "$(printf '%s\n' "GET /v2/app/manifests/sha256-${BARE#sha256:}.sig 404" "GET /v2/app/referrers/$BARE$REFQ 200")"
ask "verify $REG/app:sbomonly"
check "only an SBOM referrer (the registry filters it away): unsigned, 3 requests" \
	unsigned_v3 3 "$SBOMONLY"
ask "verify $REG/app@$OTHERKEY"
check "a referrer bundle by another key: rejected, 1 signature found, 4 requests" \
	rejected_v3 4 "$OTHERKEY"
ask "verify $REG/app@$TWO"
check "two bundles, the first by another key: signed by the second (6 requests: 2 manifests, 2 blobs)" \
	signed_v3 6 "$TWO"

# ---- a registry that does not apply the filter: admitd filters itself ----
front_stop
front_start "$REG" "$BACK" --no-filter || { fail "the front restarts without filtering"; exit 1; }
LIST=$("${CURL[@]}" -D "$WORK/h" "https://$REG/v2/app/referrers/$SIGNED?artifactType=application%2Fspdx%2Bjson")
both_unfiltered() {
	python3 -c 'import json,sys; assert len(json.loads(sys.argv[1])["manifests"])==2' "$LIST" &&
		! grep -qi '^oci-filters-applied' "$WORK/h"
}
check "front --no-filter: ?artifactType= ignored, both listed, no OCI-Filters-Applied" both_unfiltered
ask "forget"
ask "verify $REG/app:signed"
check "filter not applied by the registry: still signed, the SBOM listed ahead of the bundle skipped" \
	signed_v3 5 "$SIGNED"
check "  the same 5 requests: the SBOM's manifest is not fetched" \
	seen "$(five signed "$SIGNED" release)"
sbom_skipped() { unsigned_v3 3 "$SBOMONLY" && ! grep -q "$(sbom_m "$SBOMONLY")" <<<"$SEEN"; }
ask "verify $REG/app:sbomonly"
check "filter not applied, only an SBOM listed: unsigned, its manifest not fetched (3 requests)" \
	sbom_skipped
ask "verify $REG/app@$OTHERKEY"
check "filter not applied, a bundle by another key: rejected" rejected_v3 4 "$OTHERKEY"

# ---- a registry that pages the list (Link: <...>; rel="next") ----
front_stop
front_start "$REG" "$BACK" --no-filter --page-size 1 || { fail "the front restarts with pages of 1"; exit 1; }
ask "forget"
ask "verify $REG/app:signed"
check "pages of one referrer, unfiltered, the SBOM alone on the first: the bundle on the next is found" \
	signed_v3 6 "$SIGNED"
check "  6 requests: the 5 above with the list's second page (its relative Link followed)" \
	seen "$(printf '%s\n' "HEAD /v2/app/manifests/signed 200" \
		"GET /v2/app/manifests/sha256-${SIGNED#sha256:}.sig 404" \
		"GET /v2/app/referrers/$SIGNED$REFQ 200" \
		"GET /v2/app/referrers/$SIGNED$REFQ&page=1 200" \
		"GET /v2/app/manifests/$(ref_m "$SIGNED" release) 200" \
		"GET /v2/app/blobs/$(blob_of "$SIGNED" release) 200")"
front_stop
front_start "$REG" "$BACK" --page-size 1 --link-base "https://$REG" || { fail "the front restarts"; exit 1; }
ask "forget"
ask "verify $REG/app@$TWO"
check "filtered pages, absolute links: another key's bundle first, the release key's on page 2: signed (7 requests)" \
	signed_v3 7 "$TWO"
front_stop
front_start "$REG" "$BACK" --page-size 1 --link-base "https://localhost:${REG##*:}" || { fail "the front restarts"; exit 1; }
ask "forget"
ask "verify $REG/app@$TWO"
check "a next page on another host: not asked; unreachable (the list is unread), not unsigned" \
	verdict "unreachable cached=0 requests=2" "next page of the list is not on the registry"
check "  the front saw the first page only" \
	seen "$(printf '%s\n' "GET /v2/app/manifests/sha256-${TWO#sha256:}.sig 404" "GET /v2/app/referrers/$TWO$REFQ 200")"
echo "quit" >&"${SV[1]}"
