#!/usr/bin/env bash
# test_image_vulnerabilities.sh: the image-vulnerabilities policy through
# the real server over TLS and through `admitd audit`, against Debian's
# docker-registry on loopback. Vulnerability attestations are made as
# cosign makes them: a Trivy JSON report (Trivy's documented format) inside
# the cosign-vuln predicate, in an in-toto statement; cosign 2.x: a DSSE
# envelope signed over the PAE with openssl, a layer of the manifest tagged
# sha256-<hex>.att; cosign 3.x: a Sigstore bundle built by sigstore-js's
# DSSEBundleBuilder, a referrer listed in the index tagged sha256-<hex>
# (no referrers API here), beside the image's signature bundle.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/registry.sh"

registry_install || { fail "cannot install docker-registry"; exit 1; }
trap 'registry_stop; cleanup' EXIT
make_certs
registry_serve || { fail "docker-registry serves TLS on $REG"; exit 1; }
CURL=(curl -sS --fail --max-time 30 --cacert "$CA")
I=$WORK/img
VULN=https://cosign.sigstore.dev/attestation/vuln/v1
SIGSTORE=$(bash "$TOP/tests/integration/install-sigstore.sh" 2>"$WORK/sigstore-install.err") ||
	cat "$WORK/sigstore-install.err"

openssl ecparam -name prime256v1 -genkey -noout -out "$WORK/scanner.key" 2>/dev/null
openssl ec -in "$WORK/scanner.key" -pubout -out "$WORK/scanner.pub" 2>/dev/null
openssl ecparam -name prime256v1 -genkey -noout -out "$WORK/other.key" 2>/dev/null
openssl ec -in "$WORK/other.key" -pubout -out "$WORK/other.pub" 2>/dev/null

cfg() { printf '{"architecture":"%s","os":"linux","config":{"User":"1000"},"rootfs":{"type":"layers","diff_ids":[]},"n":"%s"}' "${2:-amd64}" "$1"; }
image() { make_image_config "prod/$1" 1 "$I" "$(cfg "$1")"; } # NAME: tag 1, prints its digest
manifest_size() { # REPO DIGEST
	"${CURL[@]}" -o /dev/null -w '%{size_download}' \
		-H 'Accept: application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json' \
		"https://$REG/v2/$1/manifests/$2"
}

# bundle_v3 STATEMENT KEY PUB OUT: a key-based v0.3 bundle by sigstore-js's DSSEBundleBuilder
bundle_v3() {
	SIGSTORE_MODULES=$SIGSTORE node "$TOP/tests/integration/sigstore_bundle.mjs" "$1" "$2" "$3" >"$4"
}

# referrers_v3 REPO DIGEST BUNDLE:PREDICATE-TYPE...: each bundle as cosign 3 stores it
# without a referrers API: a referrer manifest (artifactType, annotations, subject),
# all listed in the index tagged sha256-<hex>, whose entries lose the annotations
# (sigstore/cosign#4641)
referrers_v3() {
	local repo=$1 digest=$2 entries="" sep="" b subj
	shift 2
	subj=$(manifest_size "$repo" "$digest")
	printf '{}' >"$WORK/empty.json"
	push_blob "$repo" "$WORK/empty.json" || return 1
	for b in "$@"; do
		local file=${b%%:*} ptype=${b#*:}
		push_blob "$repo" "$file" || return 1
		printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","artifactType":"application/vnd.dev.sigstore.bundle.v0.3+json","config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"sha256:%s","size":2},"layers":[{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","digest":"sha256:%s","size":%s}],"subject":{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"%s","size":%s},"annotations":{"dev.sigstore.bundle.content":"dsse-envelope","dev.sigstore.bundle.predicateType":"%s","org.opencontainers.image.created":"2026-12-01T10:00:00Z"}}' \
			"$(sha "$WORK/empty.json")" "$(sha "$file")" "$(size "$file")" "$digest" "$subj" "$ptype" >"$file.ref"
		push_manifest "$repo" "sha256:$(sha "$file.ref")" "$file.ref" application/vnd.oci.image.manifest.v1+json || return 1
		entries+="$sep{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"sha256:$(sha "$file.ref")\",\"size\":$(size "$file.ref"),\"artifactType\":\"application/vnd.dev.sigstore.bundle.v0.3+json\"}"
		sep=,
	done
	printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[%s]}' "$entries" >"$WORK/idx-${digest#sha256:}"
	push_manifest "$repo" "sha256-${digest#sha256:}" "$WORK/idx-${digest#sha256:}" application/vnd.oci.image.index.v1+json
}

# v2 NAME DIGEST HOURS-AGO KEY FINDING...: one cosign 2.x attestation of NAME's digest
v2() {
	local name=$1 digest=$2 hours=$3 key=$4 s=$WORK/st-$1-$RANDOM
	shift 4
	vuln_statement "$s" "$REG/prod/$name" "${digest#sha256:}" "$hours" v0.1 "$@" &&
		dsse_envelope "$s" "$key" && cosign_attest_v2 "prod/$name" "$digest" "$s.dsse"
}

# the findings: a few at each severity; CVE-2024-3094 in two packages counts once
CRIT2=(CVE-2024-3094:CRITICAL:xz-utils CVE-2024-3094:HIGH:liblzma5 CVE-2023-4911:CRITICAL:libc6)
HIGH5=(CVE-2024-6387:HIGH:openssh-server CVE-2023-38545:HIGH:curl CVE-2024-2961:HIGH:libc-bin
	CVE-2023-44487:HIGH:nghttp2 GHSA-c2qf-rxjj-qqgw:HIGH:semver:npm)
MED3=(CVE-2024-0727:MEDIUM:openssl CVE-2023-50495:MEDIUM:ncurses-base GHSA-952p-6rrq-rcjv:MEDIUM:micromatch:npm)
LOW2=(CVE-2011-3374:LOW:apt CVE-2022-0563:LOW:util-linux)
UNK1=(TEMP-0841856-B18BAF:UNKNOWN:bash)

CLEAN=$(image clean)
BELOW=$(image below)
OVER=$(image over)
IGNORED=$(image ignored)
STALE=$(image stale)
NONE=$(image none)
UNSIGNED=$(image unsigned)
OTHERKEY=$(image otherkey)
OTHERDIG=$(image otherdigest)
HUGE=$(image huge)
LARGE=$(image large)
NEWEST=$(image newest)
RESCANNED=$(image rescanned)
REBUNDLED=$(image rebundled)
V3=$(image bundled)
V3CLEAN=$(image bundledclean)
AMD=$(make_image_config prod/multi amd "$I" "$(cfg multi amd64)")
ARM=$(make_image_config prod/multi arm "$I" "$(cfg multi arm64)")
MULTI=$(make_index prod/multi 1 "$I" "$AMD:linux/amd64" "$ARM:linux/arm64")

v2 clean "$CLEAN" 2 "$WORK/scanner.key"
v2 below "$BELOW" 3 "$WORK/scanner.key" "${MED3[@]}" "${LOW2[@]}" "${UNK1[@]}"
v2 over "$OVER" 1 "$WORK/scanner.key" "${CRIT2[@]}" "${HIGH5[@]}" "${MED3[@]}" "${LOW2[@]}"
v2 ignored "$IGNORED" 1 "$WORK/scanner.key" CVE-2024-0001:CRITICAL:openssl "${MED3[@]}"
v2 stale "$STALE" 200 "$WORK/scanner.key"
v2 otherkey "$OTHERKEY" 1 "$WORK/other.key"
# signed by the scanner's key, but a statement about another image's digest
vuln_statement "$WORK/st-od" "$REG/prod/clean" "${CLEAN#sha256:}" 1 v0.1 &&
	dsse_envelope "$WORK/st-od" "$WORK/scanner.key" && cosign_attest_v2 prod/otherdigest "$OTHERDIG" "$WORK/st-od.dsse"
# the signature stripped off the envelope
vuln_statement "$WORK/st-un" "$REG/prod/unsigned" "${UNSIGNED#sha256:}" 1 v0.1 &&
	dsse_envelope "$WORK/st-un" none && cosign_attest_v2 prod/unsigned "$UNSIGNED" "$WORK/st-un.dsse"
# a rescan appended to an older clean scan: the newest wins, both ways
vuln_statement "$WORK/st-n1" "$REG/prod/newest" "${NEWEST#sha256:}" 30 v0.1 && dsse_envelope "$WORK/st-n1" "$WORK/scanner.key"
vuln_statement "$WORK/st-n2" "$REG/prod/newest" "${NEWEST#sha256:}" 1 v0.1 "${CRIT2[@]}" && dsse_envelope "$WORK/st-n2" "$WORK/scanner.key"
cosign_attest_v2 prod/newest "$NEWEST" "$WORK/st-n1.dsse" "$WORK/st-n2.dsse"
# a daily rescan without --replace: twelve stale scans before the fresh one, more than
# the eight admitd reads: the newest are read
RES=()
for d in $(seq 20 -1 9); do
	vuln_statement "$WORK/st-r$d" "$REG/prod/rescanned" "${RESCANNED#sha256:}" $((d * 24)) v0.1 "${CRIT2[@]}" &&
		dsse_envelope "$WORK/st-r$d" "$WORK/scanner.key" && RES+=("$WORK/st-r$d.dsse")
done
vuln_statement "$WORK/st-r0" "$REG/prod/rescanned" "${RESCANNED#sha256:}" 5 v0.1 && dsse_envelope "$WORK/st-r0" "$WORK/scanner.key"
cosign_attest_v2 prod/rescanned "$RESCANNED" "${RES[@]}" "$WORK/st-r0.dsse"
# a predicate of 8 MB (a report with 2000 long findings): more than admitd reads
HUGEV=()
for i in $(seq 1 2000); do HUGEV+=("CVE-2023-$((10000 + i)):LOW:pkg$i"); done
vuln_statement "$WORK/st-huge" "$REG/prod/huge" "${HUGE#sha256:}" 1 v0.1 "${HUGEV[@]}"
python3 - "$WORK/st-huge" <<-'PY'
	import json, sys
	p = sys.argv[1]
	st = json.load(open(p))
	for r in st["predicate"]["scanner"]["result"]["Results"]:
	    for v in r.get("Vulnerabilities", []):
	        v["Description"] = v["Description"] * 12
	body = json.dumps(st, separators=(",", ":")).encode()
	t = b"application/vnd.in-toto+json"
	open(p, "wb").write(body)
	open(p + ".pae", "wb").write(b"DSSEv1 %d %s %d %s" % (len(t), t, len(body), body))
	PY
dsse_envelope "$WORK/st-huge" "$WORK/scanner.key" && cosign_attest_v2 prod/huge "$HUGE" "$WORK/st-huge.dsse"
# a large real report within the cap: 1500 findings, 300 at each severity, about 3 MB
SEV=(UNKNOWN LOW MEDIUM HIGH CRITICAL)
LARGEV=()
for i in $(seq 1 1500); do LARGEV+=("CVE-2022-$((20000 + i)):${SEV[i % 5]}:lib$i"); done
v2 large "$LARGE" 1 "$WORK/scanner.key" "${LARGEV[@]}"
# the multi-arch index's digest is what cosign attests
v2 multi "$MULTI" 4 "$WORK/scanner.key" "${MED3[@]}"

# cosign 3.x: the image's signature bundle (release key) beside the vulnerability bundle
openssl ecparam -name prime256v1 -genkey -noout -out "$WORK/release.key" 2>/dev/null
openssl ec -in "$WORK/release.key" -pubout -out "$WORK/release.pub" 2>/dev/null
v3() { # NAME DIGEST FINDING...
	local name=$1 digest=$2 s=$WORK/st3-$1
	shift 2
	vuln_statement "$s" "$REG/prod/$name" "${digest#sha256:}" 2 v1 "$@" || return 1
	bundle_v3 "$s" "$WORK/scanner.key" "$WORK/scanner.pub" "$s.bundle" || return 1
	printf '{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"%s","digest":{"sha256":"%s"}}],"predicateType":"https://sigstore.dev/cosign/sign/v1","predicate":{}}' \
		"$REG/prod/$name" "${digest#sha256:}" >"$s.sig"
	bundle_v3 "$s.sig" "$WORK/release.key" "$WORK/release.pub" "$s.sig.bundle" || return 1
	referrers_v3 "prod/$name" "$digest" "$s.sig.bundle:https://sigstore.dev/cosign/sign/v1" "$s.bundle:$VULN"
}
v3 bundled "$V3" "${CRIT2[@]}" "${HIGH5[@]}" "${LOW2[@]}"
# cosign 3.x, rescanned: nine old bundles with criticals, then a fresh clean one, as the
# tag fallback appends them (its entries carry no creation time): more than the 8 read,
# so the newest must be read first
REB=()
for d in 1 2 3 4 5 6 7 8 9; do
	vuln_statement "$WORK/st-b$d" "$REG/prod/rebundled" "${REBUNDLED#sha256:}" $((d * 12)) v1 "${CRIT2[@]}" &&
		bundle_v3 "$WORK/st-b$d" "$WORK/scanner.key" "$WORK/scanner.pub" "$WORK/st-b$d.bundle" &&
		REB=("$WORK/st-b$d.bundle:$VULN" "${REB[@]}")
done
vuln_statement "$WORK/st-b0" "$REG/prod/rebundled" "${REBUNDLED#sha256:}" 1 v1 "${LOW2[@]}" &&
	bundle_v3 "$WORK/st-b0" "$WORK/scanner.key" "$WORK/scanner.pub" "$WORK/st-b0.bundle" &&
	REB+=("$WORK/st-b0.bundle:$VULN")
referrers_v3 prod/rebundled "$REBUNDLED" "${REB[@]}"

# cosign 3.x through the referrers API: a front on the same registry (as test_referrers.sh
# runs it) lists each referrer with its annotations, org.opencontainers.image.created too.
# Ten scan bundles of one image, the fresh clean one pushed first and nine old ones with
# criticals after it: more than the 8 read, so the newest by creation time must come first
FRONT=127.0.0.1:$(free_port)
trap 'front_stop; registry_stop; cleanup' EXIT
front_start "$FRONT" "$REG" || { fail "the referrers front starts"; exit 1; }
# referrer_front REPO SUBJECT-DIGEST BUNDLE CREATED: the bundle as cosign 3 pushes it to a
# registry with the referrers API (a manifest with a subject, through the front)
referrer_front() {
	local repo=$1 digest=$2 file=$3 created=$4 subj
	subj=$(manifest_size "$repo" "$digest")
	printf '{}' >"$WORK/empty.json"
	push_blob "$repo" "$WORK/empty.json" && push_blob "$repo" "$file" || return 1
	printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","artifactType":"application/vnd.dev.sigstore.bundle.v0.3+json","config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"sha256:%s","size":2},"layers":[{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","digest":"sha256:%s","size":%s}],"subject":{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"%s","size":%s},"annotations":{"dev.sigstore.bundle.content":"dsse-envelope","dev.sigstore.bundle.predicateType":"%s","org.opencontainers.image.created":"%s"}}' \
		"$(sha "$WORK/empty.json")" "$(sha "$file")" "$(size "$file")" "$digest" "$subj" "$VULN" "$created" >"$file.ref"
	"${CURL[@]}" -o /dev/null -X PUT -H "Content-Type: application/vnd.oci.image.manifest.v1+json" \
		--data-binary @"$file.ref" "https://$FRONT/v2/$repo/manifests/sha256:$(sha "$file.ref")"
}
CREATED=$(image created)
vuln_statement "$WORK/st-c0" "$FRONT/prod/created" "${CREATED#sha256:}" 1 v1 "${LOW2[@]}" &&
	bundle_v3 "$WORK/st-c0" "$WORK/scanner.key" "$WORK/scanner.pub" "$WORK/st-c0.bundle" &&
	referrer_front prod/created "$CREATED" "$WORK/st-c0.bundle" "$(date -u -d '-1 hour' +%Y-%m-%dT%H:%M:%SZ)"
for d in 1 2 3 4 5 6 7 8 9; do
	vuln_statement "$WORK/st-c$d" "$FRONT/prod/created" "${CREATED#sha256:}" $((d * 12)) v1 "${CRIT2[@]}" &&
		bundle_v3 "$WORK/st-c$d" "$WORK/scanner.key" "$WORK/scanner.pub" "$WORK/st-c$d.bundle" &&
		referrer_front prod/created "$CREATED" "$WORK/st-c$d.bundle" "$(date -u -d "-$((d * 12)) hours" +%Y-%m-%dT%H:%M:%SZ)"
done
v3 bundledclean "$V3CLEAN" "${LOW2[@]}"

if "${CURL[@]}" -o /dev/null -H "Accept: application/vnd.oci.image.manifest.v1+json" \
	"https://$REG/v2/prod/over/manifests/sha256-${OVER#sha256:}.att" &&
	"${CURL[@]}" -o /dev/null -H 'Accept: application/vnd.oci.image.index.v1+json' \
		"https://$REG/v2/prod/bundled/manifests/sha256-${V3#sha256:}" &&
	[ "$(size "$WORK/st-huge.dsse")" -gt 7000000 ]; then
	pass "attestations are pushed as cosign 2.x (.att, DSSE) and 3.x (sigstore-js bundles) store them"
else fail "attestations are pushed as cosign 2.x (.att, DSSE) and 3.x (sigstore-js bundles) store them"; fi

cat >"$WORK/admitd.yaml" <<YAML
podSecurity: {level: privileged}
registries:
  - {host: "$REG", caFile: "$CA"}
  - {host: "$FRONT", caFile: "$CA"}
policies:
  - id: image-vulnerabilities
    action: deny
    images: ["$REG/prod", "$FRONT/prod"]
    keys: ["$WORK/scanner.pub"]
    maxSeverity: HIGH
    maxAgeHours: 168
    ignore: [CVE-2024-0001]
YAML
start_server --config "$WORK/admitd.yaml" || { fail "admitd starts with image-vulnerabilities"; exit 1; }

review() { # NAME IMAGE-NAME [SPEC]: a pod review in $WORK/NAME.json; by default one container "web"
	cat >"$WORK/$1.json" <<JSON
{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u-$1",
 "kind":{"group":"","version":"v1","kind":"Pod"},"resource":{"group":"","version":"v1","resource":"pods"},
 "operation":"CREATE","namespace":"shop","name":"$1","userInfo":{"username":"alice"},
 "object":{"apiVersion":"v1","kind":"Pod","metadata":{"name":"$1","namespace":"shop"},
 "spec":${3:-{\"containers\":[{\"name\":\"web\",\"image\":\"$REG/prod/$2:1\"\}]\}}}}}
JSON
}
message() { json_get "$BODY" '["response"]["status"]["message"]' 2>/dev/null; }
warnings() { json_get "$BODY" '["response"]["warnings"]' 2>/dev/null; }
allowed() { [ "$(json_get "$BODY" '["response"]["allowed"]')" = true ]; }
denied_with() { [ "$(json_get "$BODY" '["response"]["allowed"]')" = false ] && grep -qF -- "$1" <<<"$(message)"; }
ask() { # NAME [IMAGE-NAME]; VULN_VERBOSE=1 prints each answer's message
	review "$1" "${2:-$1}"
	post "$WORK/$1.json"
	[ -z "${VULN_VERBOSE:-}" ] || echo "     $1: $(message)$(warnings)"
}
t0=$(date +%s)

ask clean
check "a clean scan, signed, 2 hours old (cosign 2.x): allowed" allowed
ask below
check "findings below maxSeverity (MEDIUM, LOW, UNKNOWN): allowed" allowed
ask over
if denied_with "[image-vulnerabilities] container \"web\"" && denied_with "($OVER)" &&
	denied_with "found 2 CRITICAL, 5 HIGH at or above HIGH: CVE-2023-4911, CVE-2024-3094, CVE-2023-38545, CVE-2023-44487, CVE-2024-2961 (and 2 more)" &&
	! denied_with "MEDIUM"; then
	pass "2 CRITICAL, 5 HIGH (one CVE in two packages counted once): denied, counted by severity, the most severe named"
else fail "2 CRITICAL, 5 HIGH (one CVE in two packages counted once): denied, counted by severity, the most severe named" "$(message)"; fi
# init, sidecar and ephemeral containers are judged as containers are
review lists clean "{\"initContainers\":[{\"name\":\"setup\",\"image\":\"$REG/prod/clean:1\"},{\"name\":\"proxy\",\"image\":\"$REG/prod/over:1\",\"restartPolicy\":\"Always\"}],\"containers\":[{\"name\":\"web\",\"image\":\"$REG/prod/clean:1\"}],\"ephemeralContainers\":[{\"name\":\"debug\",\"image\":\"$REG/prod/none:1\"}]}"
post "$WORK/lists.json"
if denied_with "container \"proxy\"" && denied_with "container \"debug\"" && denied_with "has no vulnerability attestation" &&
	! denied_with "container \"setup\"" && ! denied_with "container \"web\""; then
	pass "a sidecar with criticals and an ephemeral container without a scan: both denied by name, the clean init container not"
else fail "a sidecar with criticals and an ephemeral container without a scan: both denied by name, the clean init container not" "$(message)"; fi
ask ignored
check "the only finding over the threshold is under ignore: allowed" allowed
ask stale
if denied_with "its newest vulnerability scan finished" && denied_with "200 hours ago, more than maxAgeHours (168)"; then
	pass "a scan 200 hours old: denied as stale"
else fail "a scan 200 hours old: denied as stale" "$(message)"; fi
ask none
if denied_with "has no vulnerability attestation" && denied_with "cosign attest --type vuln"; then
	pass "no attestation: denied, saying how to make one"
else fail "no attestation: denied, saying how to make one" "$(message)"; fi
ask unsigned
if denied_with "1 vulnerability attestation found, none usable" && denied_with "no signatures"; then
	pass "an attestation whose envelope carries no signature: denied"
else fail "an attestation whose envelope carries no signature: denied" "$(message)"; fi
ask otherkey
if denied_with "no configured key verifies the DSSE envelope" && denied_with "scanner.pub"; then
	pass "signed by another key: denied, naming the keys tried"
else fail "signed by another key: denied, naming the keys tried" "$(message)"; fi
ask otherdigest
if denied_with "no subject of the statement has this image's digest $OTHERDIG" && denied_with "${CLEAN#sha256:}"; then
	pass "a scan of another digest: denied, naming both digests"
else fail "a scan of another digest: denied, naming both digests" "$(message)"; fi
ask newest
if denied_with "2 CRITICAL"; then
	pass "a rescan that found criticals, appended after a clean scan: the newest is judged (denied)"
else fail "a rescan that found criticals, appended after a clean scan: the newest is judged (denied)" "$(message)"; fi
ask rescanned
check "twelve old scans (with criticals) then a fresh clean rescan, appended: the newest is judged (allowed)" allowed
ask multi
check "a multi-arch image: its index digest's attestation is judged (allowed)" allowed
ask bundled
if denied_with "found 2 CRITICAL, 5 HIGH at or above HIGH" && denied_with "($V3)"; then
	pass "a cosign 3.x bundle (sigstore-js), beside the image's signature bundle: its findings deny"
else fail "a cosign 3.x bundle (sigstore-js), beside the image's signature bundle: its findings deny" "$(message)"; fi
ask bundledclean
check "a cosign 3.x bundle with LOW findings only: allowed" allowed
ask rebundled
check "ten cosign 3.x bundles (nine old with criticals, then a fresh clean one, tag fallback): the newest is read and judged (allowed)" allowed
review created x "{\"containers\":[{\"name\":\"web\",\"image\":\"$FRONT/prod/created:1\"}]}"
post "$WORK/created.json"
if allowed && grep -q "/referrers/" "$WORK/front.log" && ! grep -q "manifests/sha256-${CREATED#sha256:} " "$WORK/front.log"; then
	pass "ten cosign 3.x bundles through the referrers API, the fresh clean one listed first: read first by creation time (allowed)"
else fail "ten cosign 3.x bundles through the referrers API, the fresh clean one listed first: read first by creation time (allowed)" "$(message) $(tail -3 "$WORK/front.log")"; fi
t1=$(date +%s%N)
ask huge
took=$((($(date +%s%N) - t1) / 1000000))
if denied_with "more than the 6 MiB admitd reads, was not fetched (too large)"; then
	pass "an 8 MB attestation: denied, not fetched (${took} ms)"
else fail "an 8 MB attestation: denied, not fetched (${took} ms)" "$(message)"; fi
t1=$(date +%s%N)
ask large
took=$((($(date +%s%N) - t1) / 1000000))
kb=$(($(cat "$WORK"/st-large-*.dsse | wc -c) / 1024))
if denied_with "found 300 CRITICAL, 300 HIGH at or above HIGH" && denied_with "(and 595 more)"; then
	pass "a ${kb} KB attestation of 1500 findings: read whole, counted, denied (${took} ms)"
else fail "a ${kb} KB attestation of 1500 findings: read whole, counted, denied (${took} ms)" "$(message)"; fi
rss=$(awk '/VmHWM/ {print $2}' "/proc/$SERVER_PID/status")
# a sanitizer's shadow memory is not ours to count
if [ "${ADMITD_ASAN:-}" != 1 ] && ! ldd "$ADMITD" | grep -q libasan; then
	check "every attestation read within bounds: peak RSS ${rss} KB < 60 MB" [ "${rss:-999999}" -lt 61440 ]
fi
requests() { # registry requests so far (every HTTP request to $REG, admitd's own metric)
	curl -s --max-time 5 --cacert "$CA" "$BASE/metrics" |
		awk -v k="admitd_registry_request_duration_seconds_count{host=\"$REG\"}" '$1 == k {print $2}'
}
before=$(requests)
ask over2 over
after=$(requests)
if denied_with "2 CRITICAL, 5 HIGH" && [ -n "$before" ] && [ "$before" = "$after" ]; then
	pass "the same image again: the same verdict from the cache, no registry request ($before requests in all)"
else fail "the same image again: the same verdict from the cache, no registry request" "$before -> $after $(message)"; fi

M=$(curl -s --max-time 5 --cacert "$CA" "$BASE/metrics")
metric() { awk -v k="$1" '$1 == k {print $2}' <<<"$M"; }
if [ "$(metric 'admitd_vulnerability_attestations_total{result="ok",cached="false"}')" -ge 8 ] &&
	[ "$(metric 'admitd_vulnerability_attestations_total{result="ok",cached="true"}')" -ge 1 ] &&
	[ "$(metric 'admitd_vulnerability_attestations_total{result="none",cached="false"}')" -ge 1 ] &&
	[ "$(metric 'admitd_vulnerability_attestations_total{result="rejected",cached="false"}')" -ge 4 ]; then
	pass "metrics: scans read, by result and whether the cache gave them"
else fail "metrics: scans read, by result and whether the cache gave them" "$(grep vulnerability_attestations <<<"$M")"; fi

# the registry down: a scan read before still judges (cached), anything else fails closed
registry_stop
ask clean2 clean
check "registry down: a scan read before still judges (allowed, from the cache)" allowed
review fresh nosuch
sed -i 's|prod/nosuch:1|prod/clean:2|' "$WORK/fresh.json"
post "$WORK/fresh.json"
if denied_with "could not be resolved" && denied_with "onRegistryError: deny"; then
	pass "registry down, an image never read: denied, fail closed"
else fail "registry down, an image never read: denied, fail closed" "$(message)"; fi
stop_server
check "SIGTERM: the server exits 0 (nothing leaked)" [ "$SERVER_STATUS" = 0 ]

# audit: the same verdicts from files, and --offline skips
registry_start "$WORK/registry.yml" 200
for n in clean over none bundled; do
	python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1]))["request"]["object"]))' \
		"$WORK/$n.json" >"$WORK/pod-$n.json"
done
out=$("$ADMITD" audit --config "$WORK/admitd.yaml" --output json "$WORK"/pod-*.json 2>"$WORK/audit.err")
rc=$?
n=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["summary"]["wouldDeny"])' "$out" 2>/dev/null)
if [ "$rc" = 1 ] && [ "$n" = 3 ] && grep -q "5 HIGH at or above HIGH" <<<"$out"; then
	pass "audit: over, none and bundled would be denied, clean not (exit 1)"
else fail "audit: over, none and bundled would be denied, clean not (exit 1)" "rc=$rc wouldDeny=$n $(cat "$WORK/audit.err")"; fi
out=$("$ADMITD" audit --offline --config "$WORK/admitd.yaml" --output json "$WORK"/pod-*.json 2>/dev/null)
rc=$?
if [ "$rc" = 0 ] && grep -q '"image-vulnerabilities"' <<<"$(json_get "$out" '["summary"]["skippedPolicies"]')"; then
	pass "audit --offline: nothing asked, image-vulnerabilities reported as skipped (exit 0)"
else fail "audit --offline: nothing asked, image-vulnerabilities reported as skipped (exit 0)" "rc=$rc"; fi
echo "     (reviews and audits took $(($(date +%s) - t0)) s)"
