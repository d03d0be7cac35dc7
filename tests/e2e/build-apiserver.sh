#!/usr/bin/env bash
# Builds (once) a real kube-apiserver v1.20.2 for the end-to-end test, from
# Debian's `kubernetes` source package, and installs the Debian packages the
# e2e test needs (Go, etcd, dpkg-dev, ...). Idempotent: a second run only
# checks the packages and prints the cached binary's path.
#
#   tests/e2e/build-apiserver.sh            prints the path of the binary
#
# Cache: ${XDG_CACHE_HOME:-$HOME/.cache}/admitd/kube-apiserver-v1.20.2
# The build takes ~7 minutes on 2 idle cores (24 minutes was seen with the
# cores shared); it runs under `nice -n 10`. The sources (~35 MB download,
# ~1.5 GB unpacked and built) are removed once the binary is cached; after a
# failed build they stay, with the Go cache, for the next attempt.
#
# Needs root only to install missing packages. The machine's apt sources are
# not changed: deb-src entries derived from them live in a private apt
# configuration under the cache directory while the source is fetched.
set -euo pipefail

VERSION=v1.20.2
CACHE_DIR=${XDG_CACHE_HOME:-$HOME/.cache}/admitd
BIN=$CACHE_DIR/kube-apiserver-$VERSION
# What run.sh needs at run time, and what the build needs.
RUN_PKGS=(etcd-server openssl curl python3 python3-yaml ca-certificates)
BUILD_PKGS=(golang-go dpkg-dev golang-github-modern-go-reflect2-dev make gcc rsync)

log() { echo "build-apiserver: $*" >&2; }

install_missing() {
	local missing=() p
	for p in "$@"; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	if [ "$(id -u)" != 0 ]; then
		log "need root to install: ${missing[*]}"; exit 1
	fi
	log "installing: ${missing[*]}"
	if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2; then
		apt-get update -qq >&2
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
	fi
}

install_missing "${RUN_PKGS[@]}"
command -v kubectl >/dev/null || { log "kubectl is not on PATH"; exit 1; }

if [ -x "$BIN" ] && "$BIN" --version 2>/dev/null | grep -q "$VERSION"; then
	echo "$BIN"
	exit 0
fi

install_missing "${BUILD_PKGS[@]}"
mkdir -p "$CACHE_DIR"
exec 9>"$CACHE_DIR/kube-apiserver.lock"
flock 9                                 # two concurrent first runs: one builds
if [ -x "$BIN" ] && "$BIN" --version 2>/dev/null | grep -q "$VERSION"; then
	echo "$BIN"; exit 0
fi

WORK=$CACHE_DIR/kubernetes-src
SRC=
if [ -f "$WORK/.prepared" ]; then
	SRC=$(cat "$WORK/.prepared")
	[ -d "$SRC" ] || SRC=
fi
if [ -z "$SRC" ]; then
	rm -rf "$WORK"
	mkdir -p "$WORK/apt/sources.list.d" "$WORK/apt/lists/partial" "$WORK/src"

	# deb-src entries derived from the machine's own deb entries, in a private
	# apt configuration (the machine's apt sources and lists stay untouched).
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		sed -e 's/^Types:.*/Types: deb-src/' "$f" > "$WORK/apt/sources.list.d/$(basename "$f")"
	done
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		sed -n -e 's/^deb /deb-src /p' "$f" > "$WORK/apt/sources.list.d/$(basename "$f")"
	done
	APT_OPTS=(-o "Dir::Etc::SourceList=/dev/null"
			  -o "Dir::Etc::SourceParts=$WORK/apt/sources.list.d"
			  -o "Dir::State::Lists=$WORK/apt/lists"
			  -o "APT::Sandbox::User=root")
	log "fetching the kubernetes source package"
	apt-get "${APT_OPTS[@]}" update -qq >&2
	(cd "$WORK/src" && apt-get "${APT_OPTS[@]}" source -qq kubernetes >&2)
	SRC=$(find "$WORK/src" -mindepth 1 -maxdepth 1 -type d -name 'kubernetes-*' | head -1)
	[ -n "$SRC" ] || { log "no unpacked source under $WORK/src"; exit 1; }
	# bookworm's package is 1.20.5+really1.20.2: upstream v1.20.2
	case ${SRC##*/} in
	*1.20.2*) ;;
	*) log "unexpected source package $(basename "$SRC"), want kubernetes $VERSION"; exit 1 ;;
	esac

	# Go >= 1.18 needs reflect2 1.0.2; the vendored copy is older.
	rm -rf "$SRC/vendor/github.com/modern-go/reflect2"
	cp -r /usr/share/gocode/src/github.com/modern-go/reflect2 "$SRC/vendor/github.com/modern-go/reflect2"
	echo "$SRC" > "$WORK/.prepared"
fi

log "building cmd/kube-apiserver from ${SRC##*/} (7 minutes or more, nice -n 10)"
start=$(date +%s)
(
	cd "$SRC"
	export GO111MODULE=off GOFLAGS='' GOCACHE="$WORK/gocache" GOPATH="$WORK/gopath"
	export KUBE_GIT_VERSION="$VERSION" KUBE_GIT_TREE_STATE=clean KUBE_GIT_COMMIT=debian
	nice -n 10 make WHAT=cmd/kube-apiserver >&2
)
out=$(find "$SRC/_output" -type f -name kube-apiserver -perm -u+x | head -1)
[ -n "$out" ] || { log "build produced no kube-apiserver"; exit 1; }
install -m 0755 "$out" "$BIN.tmp"
mv "$BIN.tmp" "$BIN"
log "built in $(( $(date +%s) - start ))s: $("$BIN" --version)"
rm -rf "$WORK"                          # ~1.5 GB of sources, objects and Go cache
echo "$BIN"
