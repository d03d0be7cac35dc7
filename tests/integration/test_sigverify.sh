#!/usr/bin/env bash
# test_sigverify.sh: the signature verifier (webhook/sigverify.c), driven by
# sig_probe, against Debian's docker-registry (distribution 2.8.2: no
# referrers API) on 127.0.0.1 over TLS. Images and signatures are pushed
# over the registry API; cosign 2.x signatures are made with openssl
# exactly as cosign lays them out (a simple-signing layer under the tag
# sha256-<hex>.sig), cosign 3.x bundles as cosign 3 stores them where
# there is no referrers API (a DSSE bundle as an OCI 1.1 referrer, listed
# in the index tagged sha256-<hex>).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/registry.sh"

find_probe SIG_PROBE sig_probe || exit 1
registry_install || { fail "cannot install docker-registry"; exit 1; }
trap 'registry_stop; cleanup' EXIT

make_certs
registry_serve || { fail "docker-registry serves TLS on $REG"; exit 1; }
pass "docker-registry serves TLS on $REG"
CURL=(curl -sS --fail --max-time 10 --cacert "$CA")

# ---- images ----
D=$WORK/img
mkdir -p "$D"
SIGNED=$(make_image app signed "$D")
UNSIGNED=$(make_image app unsigned "$D")
OTHERKEY=$(make_image app otherkey "$D")
WRONGDIG=$(make_image app wrongdigest "$D")
V3=$(make_image app bundled "$D")
SJS=$(make_image app sigstorejs "$D")
# a multi-arch index over two of them: cosign signs the index digest
cat >"$D/index" <<JSON
{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"$SIGNED","size":$(size "$D/manifest-signed"),"platform":{"architecture":"amd64","os":"linux"}},{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"$UNSIGNED","size":$(size "$D/manifest-unsigned"),"platform":{"architecture":"arm64","os":"linux"}}]}
JSON
push_manifest app multi "$D/index" application/vnd.oci.image.index.v1+json
MULTI=sha256:$(sha "$D/index")
if [ -n "$SIGNED" ] && [ -n "$V3" ]; then
	pass "images, a multi-arch index are pushed"
else fail "images, a multi-arch index are pushed"; fi

# ---- keys and signatures ----
openssl ecparam -name prime256v1 -genkey -noout -out "$WORK/release.key" 2>/dev/null
openssl ec -in "$WORK/release.key" -pubout -out "$WORK/release.pub" 2>/dev/null
openssl ecparam -name prime256v1 -genkey -noout -out "$WORK/other.key" 2>/dev/null

cosign_sign_v2 app "$SIGNED" "$WORK/release.key"
cosign_sign_v2 app "$MULTI" "$WORK/release.key"
cosign_sign_v2 app "$OTHERKEY" "$WORK/other.key"
cosign_sign_v2 app "$WRONGDIG" "$WORK/release.key" "$SIGNED"

# sign_v3 DIGEST KEY MAKER NAME: a DSSE bundle over an in-toto statement for DIGEST, made
# by MAKER (openssl: by hand, exactly; sigstore-js: @sigstore/sign's DSSEBundleBuilder),
# (NAME: the image's tag, for its manifest), stored as cosign 3 stores it without a referrers API: a referrer manifest
# listed in the index tagged sha256-<hex>
sign_v3() {
	local hex=${1#sha256:}
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
	if [ "$3" = sigstore-js ]; then
		SIGSTORE_MODULES=$SIGSTORE node "$TOP/tests/integration/sigstore_bundle.mjs" \
			"$WORK/stmt" "$2" "$WORK/release.pub" >"$WORK/bundle-$hex" || return 1
	else
		local sig
		sig=$(openssl dgst -sha256 -sign "$2" "$WORK/stmt.pae" | base64 -w0)
		cat >"$WORK/bundle-$hex" <<-JSON
		{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{"publicKey":{"hint":"release"}},"dsseEnvelope":{"payload":"$(base64 -w0 <"$WORK/stmt")","payloadType":"application/vnd.in-toto+json","signatures":[{"sig":"$sig"}]}}
		JSON
	fi
	printf '{}' >"$WORK/empty.json"
	push_blob app "$WORK/bundle-$hex" && push_blob app "$WORK/empty.json" || return 1
	cat >"$WORK/ref-$hex" <<JSON
{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","artifactType":"application/vnd.dev.sigstore.bundle.v0.3+json","config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"sha256:$(sha "$WORK/empty.json")","size":2},"layers":[{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","digest":"sha256:$(sha "$WORK/bundle-$hex")","size":$(size "$WORK/bundle-$hex")}],"subject":{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"$1","size":$(size "$D/manifest-$4")}}
JSON
	push_manifest app "sha256:$(sha "$WORK/ref-$hex")" "$WORK/ref-$hex" application/vnd.oci.image.manifest.v1+json || return 1
	cat >"$WORK/idx-$hex" <<JSON
{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:$(sha "$WORK/ref-$hex")","size":$(size "$WORK/ref-$hex"),"artifactType":"application/vnd.dev.sigstore.bundle.v0.3+json"}]}
JSON
	push_manifest app "sha256-$hex" "$WORK/idx-$hex" application/vnd.oci.image.index.v1+json
}
SIGSTORE=$(bash "$TOP/tests/integration/install-sigstore.sh" 2>"$WORK/sigstore-install.err") ||
	cat "$WORK/sigstore-install.err"
sign_v3 "$V3" "$WORK/release.key" openssl bundled
sign_v3 "$SJS" "$WORK/release.key" sigstore-js sigstorejs
check "signatures are pushed as cosign 2.x and 3.x store them" \
	"${CURL[@]}" -o /dev/null -H 'Accept: application/vnd.oci.image.index.v1+json' "https://$REG/v2/app/manifests/sha256-${V3#sha256:}"

# ---- the verifier ----
coproc SV { timeout 120 "$PROBE" --registry "$REG" --ca "$CA" --key "$WORK/release.pub" 2>&1; }
ask() { # COMMAND: the probe's one-line answer in $ANS
	echo "$1" >&"${SV[1]}"
	ANS=
	IFS= read -r -t 30 ANS <&"${SV[0]}"
	echo "     $1 -> $ANS"
}
starts() { [[ "$ANS" == "$1"* ]]; }
has() { [[ "$ANS" == *"$1"* ]]; }

ask "verify $REG/app@$SIGNED"
check "a cosign 2.x signature by the configured key: signed" starts "signed cached=0"
check "  with the key and the format named" has "cosign 2.x signature"
ask "verify $REG/app@$SIGNED"
check "  again: from the cache, no registry request" starts "signed cached=1 requests=0"
ask "verify $REG/app:signed"
if starts "signed" && has "digest=$SIGNED"; then
	pass "by tag: resolved to its digest, which is named"
else fail "by tag: resolved to its digest, which is named"; fi
ask "verify $REG/app:multi"
if starts "signed" && has "digest=$MULTI"; then
	pass "a multi-arch tag: the index digest cosign signed"
else fail "a multi-arch tag: the index digest cosign signed"; fi
ask "verify $REG/app@$UNSIGNED"
if starts "unsigned" && has "cosign sign --key"; then
	pass "no signature: unsigned, and the message says how to sign"
else fail "no signature: unsigned, and the message says how to sign"; fi
ask "verify $REG/app@$OTHERKEY"
if starts "rejected" && has "1 signature found"; then
	pass "signed by another key: rejected"
else fail "signed by another key: rejected"; fi
ask "verify $REG/app@$WRONGDIG"
if starts "rejected" && has "$SIGNED"; then
	pass "a signature for another digest: rejected, saying so"
else fail "a signature for another digest: rejected, saying so"; fi
ask "verify $REG/app@$V3"
if starts "signed" && has "cosign 3.x bundle"; then
	pass "a cosign 3.x bundle (tag-schema referrer): signed"
else fail "a cosign 3.x bundle (tag-schema referrer): signed"; fi
ask "verify $REG/app@$SJS"
if starts "signed" && has "cosign 3.x bundle"; then
	pass "a bundle made by the real sigstore-js builder (DSSEBundleBuilder, no witnesses): signed"
else fail "a bundle made by the real sigstore-js builder (DSSEBundleBuilder, no witnesses): signed"; fi
ask "verify ghcr.io/acme/app:1"
check "a registry not configured: no-registry, and no connection" starts "no-registry cached=0 requests=0"
ask "verify $REG/app@$UNSIGNED"
check "a failure is cached too (briefly)" starts "unsigned cached=1"

# registry down: a verdict within its lifetime still stands, nothing else passes
registry_stop
ask "verify $REG/app@$SIGNED"
check "registry down: a digest verified within cacheSeconds still passes" starts "signed cached=1"
ask "verify $REG/app@$V3"
check "  a bundle verified before, too" starts "signed cached=1"
ask "advance 301"
ask "verify $REG/app@$SIGNED"
if starts "unreachable" && has "$REG"; then
	pass "registry down, the verdict expired: unreachable (fail closed), naming the registry"
else fail "registry down, the verdict expired: unreachable (fail closed), naming the registry"; fi
ask "forget"
ask "verify $REG/app:signed"
if starts "unreachable" && has "tag"; then
	pass "registry down, a tag: unreachable, its tag not resolved"
else fail "registry down, a tag: unreachable, its tag not resolved"; fi
echo "quit" >&"${SV[1]}"
