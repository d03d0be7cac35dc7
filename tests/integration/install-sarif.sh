#!/usr/bin/env bash
# install-sarif.sh: prints the path of Microsoft's SARIF Multitool (the
# validator `admitd audit --output sarif` is checked with), installing it
# first when it is not in the cache. Test-only.
#
# It is the npm package @microsoft/sarif-multitool-linux (a self-contained
# .NET build, no runtime needed), fetched with `npm pack` (npm checks its
# integrity against the registry), its binary checked against a pinned
# SHA-256 and kept under ${XDG_CACHE_HOME:-$HOME/.cache}/admitd/. npm is
# installed with apt-get only when missing.
set -euo pipefail

PKG=@microsoft/sarif-multitool-linux
PKG_VERSION=5.7.0
SHA256=7eb1ad4dafe036e978464d55a9fed12b7cbb094639fc0ecd9fcd2a2ac84dfe80

cache=${XDG_CACHE_HOME:-$HOME/.cache}/admitd
dir=$cache/sarif-multitool-$PKG_VERSION
bin=$dir/package/Sarif.Multitool

installed() { [ -x "$bin" ] && [ "$(sha256sum "$bin" | cut -d' ' -f1)" = "$SHA256" ]; }
if installed; then
	echo "$bin"
	exit 0
fi
mkdir -p "$cache"
exec 9>"$cache/install-sarif.lock"
flock 9
if installed; then
	echo "$bin"
	exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
	if [ "$(id -u)" != 0 ]; then
		echo "install-sarif.sh: need root to install npm" >&2
		exit 1
	fi
	apt-get update -qq >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >&2
fi
tmp=$(mktemp -d "$cache/install-sarif.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
echo "install-sarif.sh: fetching $PKG@$PKG_VERSION" >&2
(cd "$tmp" && npm pack --silent --cache "$tmp/npm-cache" "$PKG@$PKG_VERSION" >/dev/null)
tar -xzf "$tmp"/*.tgz -C "$tmp"
sum=$(sha256sum "$tmp/package/Sarif.Multitool" | cut -d' ' -f1)
if [ "$sum" != "$SHA256" ]; then
	echo "install-sarif.sh: Sarif.Multitool has SHA-256 $sum, expected $SHA256" >&2
	exit 1
fi
chmod 755 "$tmp/package/Sarif.Multitool"
rm -rf "$dir"
mkdir -p "$dir"
mv "$tmp/package" "$dir/package"
echo "$bin"
