# registry.sh: a real OCI registry for the tests (Debian's docker-registry,
# distribution 2.8.2) on loopback, and pushing to it over its HTTP API.
# Sourced after lib.sh. The caller sets CURL (an array: curl with its CA
# and credentials) before pushing.

REG_PID=

# Installs docker-registry (and htpasswd, from apache2-utils) when missing.
registry_install() {
	local need=()
	command -v docker-registry >/dev/null || need+=(docker-registry)
	command -v htpasswd >/dev/null || need+=(apache2-utils)
	[ ${#need[@]} -eq 0 ] && return 0
	[ "$(id -u)" = 0 ] || { echo "need root to install ${need[*]}" >&2; return 1; }
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null 2>&1 && return 0
	apt-get update -qq >/dev/null 2>&1
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
}

# registry_start CONFIG CODE: docker-registry on $REG (from CONFIG), up once /v2/ answers CODE
registry_start() {
	docker-registry serve "$1" >>"$WORK/registry.log" 2>&1 &
	REG_PID=$!
	local code
	for _ in $(seq 1 100); do
		code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 --cacert "$CA" "https://$REG/v2/")
		[ "$code" = "$2" ] && return 0
		kill -0 "$REG_PID" 2>/dev/null || break
		sleep 0.1
	done
	cat "$WORK/registry.log"
	return 1
}

# registry_serve: an anonymous registry over TLS (the test CA's pair) on a free
# loopback port; sets REG and CA, writes its config and starts it (REGISTRY_ACCESSLOG=1:
# with its access log in registry.log, for tests that count requests)
registry_serve() {
	CA=$WORK/certs/ca.crt
	REG=127.0.0.1:$(free_port)
	cat >"$WORK/registry.yml" <<YAML
version: 0.1
log: {level: error, accesslog: {disabled: $([ -n "${REGISTRY_ACCESSLOG:-}" ] && echo false || echo true)}}
storage: {filesystem: {rootdirectory: $WORK/registry}}
http:
  addr: $REG
  secret: admitd-test
  tls: {certificate: $WORK/certs/tls.crt, key: $WORK/certs/tls.key}
YAML
	registry_start "$WORK/registry.yml" 200
}

registry_stop() {
	if [ -n "$REG_PID" ]; then
		kill -TERM "$REG_PID" 2>/dev/null && wait "$REG_PID" 2>/dev/null
	fi
	REG_PID=
}

# front_start ADDR BACKEND [FLAGS...]: referrers_registry.py on ADDR, an HTTPS front
# with the OCI 1.1 referrers API before the registry BACKEND (the test CA's pair);
# its referrers in $WORK/front.json, its request log in $WORK/front.log
FRONT_PID=
front_start() {
	local addr=$1 backend=$2
	shift 2
	# the last front's "ready" must not be read as this one's: the shell truncates the
	# file only once the new one is forked, maybe after the first look
	rm -f "$WORK/front.out"
	python3 "$TOP/tests/integration/referrers_registry.py" --listen "${addr##*:}" \
		--backend "$backend" --cert "$WORK/certs/tls.crt" --key "$WORK/certs/tls.key" \
		--ca "$CA" --state "$WORK/front.json" --log "$WORK/front.log" "$@" >"$WORK/front.out" 2>&1 &
	FRONT_PID=$!
	for _ in $(seq 1 50); do grep -q ready "$WORK/front.out" 2>/dev/null && return 0; sleep 0.1; done
	cat "$WORK/front.out"
	return 1
}

front_stop() {
	[ -n "$FRONT_PID" ] && kill -TERM "$FRONT_PID" 2>/dev/null && wait "$FRONT_PID" 2>/dev/null
	FRONT_PID=
}

sha() { sha256sum "$1" | cut -d' ' -f1; }
size() { stat -c %s "$1"; }

# push_blob REPO FILE: a monolithic upload (POST, then PUT ?digest=)
push_blob() {
	local loc
	loc=$("${CURL[@]}" -X POST -D - -o /dev/null "https://$REG/v2/$1/blobs/uploads/" |
		tr -d '\r' | sed -n 's/^[Ll]ocation: //p')
	case $loc in /*) loc=https://$REG$loc ;; esac
	"${CURL[@]}" -X PUT -o /dev/null -H 'Content-Type: application/octet-stream' \
		--data-binary @"$2" "$loc&digest=sha256:$(sha "$2")"
}

# push_manifest REPO REF FILE MEDIA-TYPE
push_manifest() {
	"${CURL[@]}" -X PUT -o /dev/null -H "Content-Type: $4" --data-binary @"$3" \
		"https://$REG/v2/$1/manifests/$2"
}

# make_image REPO NAME DIR: pushes a one-layer image tagged NAME; prints its manifest digest
make_image() {
	local d=$3
	mkdir -p "$d"
	printf '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]},"n":"%s"}' "$2" >"$d/config-$2"
	head -c 2000 /dev/urandom >"$d/layer-$2"
	cat >"$d/manifest-$2" <<JSON
{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:$(sha "$d/config-$2")","size":$(size "$d/config-$2")},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:$(sha "$d/layer-$2")","size":$(size "$d/layer-$2")}]}
JSON
	push_blob "$1" "$d/config-$2" && push_blob "$1" "$d/layer-$2" &&
		push_manifest "$1" "$2" "$d/manifest-$2" application/vnd.oci.image.manifest.v1+json &&
		echo "sha256:$(sha "$d/manifest-$2")"
}

# cosign_sign_v2 REPO DIGEST KEY [SIGNED-DIGEST] [IDENTITY]: a cosign 2.x signature
# made with openssl as cosign lays it out: the simple-signing payload as a layer,
# its signature as the layer's annotation, under the tag sha256-<hex>.sig. The
# payload names IDENTITY (default $REG/REPO: the repository as pulled from here)
cosign_sign_v2() {
	local target=${4:-$2} f=$WORK/payload-${2#sha256:}
	printf '{"critical":{"identity":{"docker-reference":"%s"},"image":{"docker-manifest-digest":"%s"},"type":"cosign container image signature"},"optional":null}' \
		"${5:-$REG/$1}" "$target" >"$f"
	local sig
	sig=$(openssl dgst -sha256 -sign "$3" "$f" | base64 -w0)
	printf '{}' >"$WORK/empty.json"
	push_blob "$1" "$f" && push_blob "$1" "$WORK/empty.json" || return 1
	cat >"$f.manifest" <<JSON
{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:$(sha "$WORK/empty.json")","size":2},"layers":[{"mediaType":"application/vnd.dev.cosign.simplesigning.v1+json","digest":"sha256:$(sha "$f")","size":$(size "$f"),"annotations":{"dev.cosignproject.cosign/signature":"$sig"}}]}
JSON
	push_manifest "$1" "sha256-${2#sha256:}.sig" "$f.manifest" application/vnd.oci.image.manifest.v1+json
}

# make_image_config REPO TAG DIR CONFIG-JSON: pushes a one-layer image whose
# configuration is CONFIG-JSON as given; prints its manifest digest
make_image_config() {
	local d=$3 f
	mkdir -p "$d"
	f=$d/cfg-$2-$RANDOM
	printf '%s' "$4" >"$f.config"
	head -c 512 /dev/urandom >"$f.layer"
	cat >"$f.manifest" <<JSON
{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:$(sha "$f.config")","size":$(size "$f.config")},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:$(sha "$f.layer")","size":$(size "$f.layer")}]}
JSON
	push_blob "$1" "$f.config" && push_blob "$1" "$f.layer" &&
		push_manifest "$1" "$2" "$f.manifest" application/vnd.oci.image.manifest.v1+json &&
		echo "sha256:$(sha "$f.manifest")"
}

# make_index REPO TAG DIR DIGEST:OS/ARCH...: pushes an OCI index of those
# manifests (already in REPO) under TAG; prints its digest
make_index() {
	local repo=$1 tag=$2 d=$3 f entries="" sep="" m
	shift 3
	mkdir -p "$d"
	f=$d/index-$tag-$RANDOM
	for m in "$@"; do
		local dig=${m%:*} plat=${m##*:}
		local os=${plat%%/*} arch=${plat#*/} msize
		msize=$("${CURL[@]}" -s -o /dev/null -w '%{size_download}' \
			-H 'Accept: application/vnd.oci.image.manifest.v1+json' "https://$REG/v2/$repo/manifests/$dig")
		entries+="$sep{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"$dig\",\"size\":$msize,\"platform\":{\"os\":\"$os\",\"architecture\":\"$arch\"}}"
		sep=,
	done
	printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[%s]}' "$entries" >"$f"
	push_manifest "$repo" "$tag" "$f" application/vnd.oci.image.index.v1+json &&
		echo "sha256:$(sha "$f")"
}

# ---- vulnerability attestations, as trivy and cosign make them (image-vulnerabilities) ----

# vuln_statement OUT REPO DIGEST HOURS-AGO STATEMENT-VERSION FINDING...: an in-toto statement
# of a cosign-vuln predicate, as trivy writes the predicate (its JSON report under
# scanner.result) and cosign wraps it; FINDING is ID:SEVERITY:PACKAGE (os packages) or
# ID:SEVERITY:PACKAGE:npm (a language package). Writes OUT and OUT.pae (the DSSE PAE).
vuln_statement() {
	python3 - "$@" <<-'PY'
	import base64, datetime, hashlib, json, sys
	out, repo, digest, hours, version = sys.argv[1:6]
	findings = [f.split(":") for f in sys.argv[6:]]
	now = datetime.datetime.now(datetime.timezone.utc)
	fin = now - datetime.timedelta(hours=float(hours))
	# Go writes time.Time in its location, to the nanosecond: a laptop's +02:00, a runner's Z
	def go_time(t, tz):
	    t = t.astimezone(tz)
	    off = t.strftime("%z")
	    off = "Z" if off == "+0000" else off[:3] + ":" + off[3:]
	    return t.strftime("%Y-%m-%dT%H:%M:%S.") + "%06d417" % t.microsecond + off
	tz = datetime.timezone(datetime.timedelta(hours=2)) if int(float(hours)) % 2 else datetime.timezone.utc
	layer = "sha256:" + hashlib.sha256(repo.encode()).hexdigest()
	def vuln(i, f):
	    vid, sev, pkg = f[0], f[1], f[2]
	    npm = len(f) > 3 and f[3] == "npm"
	    v = {"VulnerabilityID": vid, "PkgID": "%s@1.2.%d" % (pkg, i), "PkgName": pkg,
	         "PkgIdentifier": {"PURL": ("pkg:npm/%s@1.2.%d" if npm else
	                                    "pkg:deb/debian/%s@1.2.%d?arch=amd64&distro=debian-12.8") % (pkg, i),
	                           "UID": "%016x" % (i * 7919)},
	         "InstalledVersion": "1.2.%d" % i, "FixedVersion": "1.2.%d" % (i + 1), "Status": "fixed",
	         "Layer": {"DiffID": layer}, "SeveritySource": "ghsa" if npm else "nvd",
	         "PrimaryURL": "https://avd.aquasec.com/nvd/" + vid.lower(),
	         "DataSource": ({"ID": "ghsa", "Name": "GitHub Security Advisory npm",
	                         "URL": "https://github.com/advisories?query=type%3Areviewed+ecosystem%3Anpm"}
	                        if npm else {"ID": "debian", "Name": "Debian Security Tracker",
	                                     "URL": "https://salsa.debian.org/security-tracker-team/security-tracker"}),
	         "Title": "%s: a flaw in %s" % (pkg, pkg),
	         "Description": "A flaw was found in %s that allows an attacker to do harm. " % pkg * 3,
	         "Severity": sev, "CweIDs": ["CWE-787"],
	         "VendorSeverity": {"nvd": 4 if sev == "CRITICAL" else 3, "redhat": 3},
	         "CVSS": {"nvd": {"V3Vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "V3Score": 9.8}},
	         "References": ["https://www.cve.org/CVERecord?id=" + vid,
	                        "https://nvd.nist.gov/vuln/detail/" + vid],
	         "PublishedDate": "2024-03-29T17:15:21.15Z", "LastModifiedDate": "2024-11-21T09:16:45.803Z"}
	    return npm, v
	os_v, npm_v = [], []
	for i, f in enumerate(findings):
	    npm, v = vuln(i, f)
	    (npm_v if npm else os_v).append(v)
	results = [{"Target": "%s (debian 12.8)" % repo, "Class": "os-pkgs", "Type": "debian"}]
	if os_v:
	    results[0]["Vulnerabilities"] = os_v
	results.append({"Target": "usr/src/app/package-lock.json", "Class": "lang-pkgs", "Type": "npm"})
	if npm_v:
	    results[1]["Vulnerabilities"] = npm_v
	report = {"SchemaVersion": 2, "CreatedAt": go_time(fin, tz), "ArtifactName": repo + ":1",
	          "ArtifactType": "container_image",
	          "Metadata": {"OS": {"Family": "debian", "Name": "12.8"},
	                       "ImageID": "sha256:" + hashlib.sha256(digest.encode()).hexdigest(),
	                       "DiffIDs": [layer], "RepoTags": [repo + ":1"],
	                       "RepoDigests": [repo + "@sha256:" + digest],
	                       "ImageConfig": {"architecture": "amd64", "os": "linux",
	                                       "rootfs": {"type": "layers", "diff_ids": [layer]},
	                                       "config": {"User": "1000"}}},
	          "Results": results}
	predicate = {"invocation": {"parameters": None, "uri": "", "event_id": "", "builder.id": ""},
	             "scanner": {"uri": "pkg:github/aquasecurity/trivy@0.58.1", "version": "0.58.1",
	                         "db": {"uri": "", "version": ""}, "result": report},
	             "metadata": {"scanStartedOn": go_time(fin - datetime.timedelta(seconds=9), tz),
	                          "scanFinishedOn": go_time(fin, tz)}}
	if version == "v1":   # cosign 3.x
	    st = {"_type": "https://in-toto.io/Statement/v1",
	          "subject": [{"name": repo, "digest": {"sha256": digest}}],
	          "predicateType": "https://cosign.sigstore.dev/attestation/vuln/v1", "predicate": predicate}
	else:                 # cosign 2.x: in-toto-golang's Statement v0.1, in its field order
	    st = {"_type": "https://in-toto.io/Statement/v0.1",
	          "predicateType": "https://cosign.sigstore.dev/attestation/vuln/v1",
	          "subject": [{"name": repo, "digest": {"sha256": digest}}], "predicate": predicate}
	body = json.dumps(st, separators=(",", ":")).encode()
	t = b"application/vnd.in-toto+json"
	open(out, "wb").write(body)
	open(out + ".pae", "wb").write(b"DSSEv1 %d %s %d %s" % (len(t), t, len(body), body))
	PY
}

# dsse_envelope STATEMENT KEY: the DSSE envelope cosign 2.x stores (KEY "none": no signature)
dsse_envelope() {
	local sigs='[]'
	[ "$2" != none ] && sigs="[{\"keyid\":\"\",\"sig\":\"$(openssl dgst -sha256 -sign "$2" "$1.pae" | base64 -w0)\"}]"
	printf '{"payloadType":"application/vnd.in-toto+json","payload":"%s","signatures":%s}' \
		"$(base64 -w0 <"$1")" "$sigs" >"$1.dsse"
}

# cosign_attest_v2 REPO DIGEST ENVELOPE...: cosign 2.x's attestation manifest, one layer per
# envelope (cosign attest appends), under the tag sha256-<hex>.att
cosign_attest_v2() {
	local repo=$1 digest=$2 layers="" sep="" e f=$WORK/att-${2#sha256:}
	shift 2
	printf '{"architecture":"","created":"0001-01-01T00:00:00Z","history":[{"created":"0001-01-01T00:00:00Z"}],"os":"","rootfs":{"type":"layers","diff_ids":[]},"config":{}}' >"$f.config"
	push_blob "$repo" "$f.config" || return 1
	for e in "$@"; do
		push_blob "$repo" "$e" || return 1
		layers+="$sep{\"mediaType\":\"application/vnd.dsse.envelope.v1+json\",\"size\":$(size "$e"),\"digest\":\"sha256:$(sha "$e")\",\"annotations\":{\"dev.cosignproject.cosign/signature\":\"\",\"predicateType\":\"https://cosign.sigstore.dev/attestation/vuln/v1\"}}"
		sep=,
	done
	printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","size":%s,"digest":"sha256:%s"},"layers":[%s]}' \
		"$(size "$f.config")" "$(sha "$f.config")" "$layers" >"$f.manifest"
	push_manifest "$repo" "sha256-${digest#sha256:}.att" "$f.manifest" application/vnd.oci.image.manifest.v1+json
}
