#!/usr/bin/env bash
# install-playwright.sh: prints a NODE_PATH directory holding playwright-core
# (the library that drives Debian's chromium for tests/browser), installing
# it first when it is not in the cache. Test-only.
#
# playwright-core has no dependencies and downloads no browser: it is
# fetched with `npm pack` (npm checks its integrity against the registry),
# its tarball checked against a pinned SHA-256 and unpacked under
# ${XDG_CACHE_HOME:-$HOME/.cache}/admitd/. npm is installed with apt-get
# only when missing. It needs Node.js 20 or later.
set -euo pipefail

PKG=playwright-core
PKG_VERSION=1.65.1
SHA256=6f5a60be62a4fddfbe7d10c448d8fbd54547da3358f2f8a04211440471ee863e

cache=${XDG_CACHE_HOME:-$HOME/.cache}/admitd
dir=$cache/playwright-core-$PKG_VERSION
mod=$dir/node_modules/playwright-core

installed() { [ -f "$mod/package.json" ] && [ "$(cat "$dir/tarball.sha256" 2>/dev/null)" = "$SHA256" ]; }
if installed; then
	echo "$dir/node_modules"
	exit 0
fi
mkdir -p "$cache"
exec 9>"$cache/install-playwright.lock"
flock 9
if installed; then
	echo "$dir/node_modules"
	exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
	if [ "$(id -u)" != 0 ]; then
		echo "install-playwright.sh: need root to install npm" >&2
		exit 1
	fi
	apt-get update -qq >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >&2
fi
tmp=$(mktemp -d "$cache/install-playwright.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
echo "install-playwright.sh: fetching $PKG@$PKG_VERSION" >&2
(cd "$tmp" && npm pack --silent --cache "$tmp/npm-cache" "$PKG@$PKG_VERSION" >/dev/null)
sum=$(sha256sum "$tmp/$PKG-$PKG_VERSION.tgz" | cut -d' ' -f1)
if [ "$sum" != "$SHA256" ]; then
	echo "install-playwright.sh: $PKG-$PKG_VERSION.tgz has SHA-256 $sum, expected $SHA256" >&2
	exit 1
fi
mkdir -p "$tmp/node_modules"
tar -xzf "$tmp/$PKG-$PKG_VERSION.tgz" -C "$tmp"
mv "$tmp/package" "$tmp/node_modules/playwright-core"
echo "$SHA256" >"$tmp/tarball.sha256"
rm -rf "$dir"
mkdir -p "$dir"
mv "$tmp/node_modules" "$tmp/tarball.sha256" "$dir/"
echo "$dir/node_modules"
