#!/usr/bin/env bash
# install-sigstore.sh: prints the node_modules folder holding the real
# sigstore-js bundle builder (@sigstore/sign, pinned), installing it first
# into ${XDG_CACHE_HOME:-$HOME/.cache}/admitd/ when missing. Test-only:
# tests/integration/sigstore_bundle.mjs makes cosign 3.x bundles with it.
# npm (and nodejs) are installed with apt-get when missing.
set -euo pipefail
VERSION=5.1.0
cache=${XDG_CACHE_HOME:-$HOME/.cache}/admitd
dir=$cache/sigstore-sign-$VERSION
if [ -f "$dir/node_modules/@sigstore/sign/package.json" ] &&
	grep -q "\"version\": \"$VERSION\"" "$dir/node_modules/@sigstore/sign/package.json"; then
	echo "$dir/node_modules"
	exit 0
fi
mkdir -p "$cache"
exec 9>"$cache/install-sigstore.lock"
flock 9
if ! command -v npm >/dev/null 2>&1 || ! command -v node >/dev/null 2>&1; then
	[ "$(id -u)" = 0 ] || { echo "install-sigstore.sh: need root to install npm" >&2; exit 1; }
	apt-get update -qq >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm nodejs >&2
fi
tmp=$(mktemp -d "$cache/install-sigstore.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
echo "install-sigstore.sh: installing @sigstore/sign@$VERSION" >&2
(cd "$tmp" && npm init -y >/dev/null && npm install --silent --no-audit --no-fund \
	--cache "$tmp/npm-cache" "@sigstore/sign@$VERSION" >&2)
rm -rf "$dir"
mkdir -p "$dir"
mv "$tmp/node_modules" "$dir/node_modules"
echo "$dir/node_modules"
