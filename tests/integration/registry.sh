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
