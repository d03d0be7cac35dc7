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
# loopback port; sets REG and CA, writes its config and starts it
registry_serve() {
	CA=$WORK/certs/ca.crt
	REG=127.0.0.1:$(free_port)
	cat >"$WORK/registry.yml" <<YAML
version: 0.1
log: {level: error, accesslog: {disabled: true}}
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
