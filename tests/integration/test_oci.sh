#!/usr/bin/env bash
# test_oci.sh: the registry client (webhook/oci.c), driven by oci_probe,
# against Debian's docker-registry (distribution 2.8.2) on 127.0.0.1 over
# TLS with htpasswd (Basic) auth, then on the same storage with its token
# auth (token_server.py signs the JWTs), and against hostile_registry.py (slow
# drip, dropped connection, 100 MB manifests, redirect loops, redirects
# and token realms on hosts not allowed, Bearer tokens). Every case is
# bounded in time (the probe's timeout and deadline) and in memory (the
# probe's peak RSS).
#
# Installs docker-registry and apache2-utils (htpasswd -B) when missing.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/registry.sh"

find_probe OCI_PROBE oci_probe || exit 1

registry_install || { fail "cannot install docker-registry and apache2-utils"; exit 1; }

REG_PID= HOSTILE_PID= TOKEN_PID=
stop_registries() {
	for pid in $REG_PID $HOSTILE_PID $TOKEN_PID; do
		kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	done
	REG_PID= HOSTILE_PID= TOKEN_PID=
}
trap 'stop_registries; cleanup' EXIT

t_start=$(date +%s%N)
make_certs
CA=$WORK/certs/ca.crt

# ---- the real registry ----
REG_PORT=$(free_port)
REG=127.0.0.1:$REG_PORT
htpasswd -Bbn alice s3cret >"$WORK/htpasswd"
cat >"$WORK/registry.yml" <<YAML
version: 0.1
log: {level: error, accesslog: {disabled: true}}
storage:
  filesystem: {rootdirectory: $WORK/registry}
http:
  addr: $REG
  secret: admitd-test
  tls: {certificate: $WORK/certs/tls.crt, key: $WORK/certs/tls.key}
auth:
  htpasswd: {realm: admitd-test, path: $WORK/htpasswd}
YAML
if ! registry_start "$WORK/registry.yml" 401; then
	fail "docker-registry serves TLS with htpasswd auth on $REG"
	exit 1
fi
pass "docker-registry serves TLS with htpasswd auth on $REG"

CURL=(curl -sS --fail --max-time 10 --cacert "$CA" -u alice:s3cret)
D=$WORK/img
mkdir -p "$D"
printf '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}' >"$D/config-amd64"
printf '{"architecture":"arm64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}' >"$D/config-arm64"
head -c 3000 /dev/urandom >"$D/layer"
for arch in amd64 arm64; do
	cat >"$D/manifest-$arch" <<JSON
{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:$(sha "$D/config-$arch")","size":$(size "$D/config-$arch")},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:$(sha "$D/layer")","size":$(size "$D/layer")}]}
JSON
done
# the index is padded past 1 KiB by an annotation: the size cap is tested on it
pad=$(printf 'p%.0s' $(seq 1 1200))
cat >"$D/index" <<JSON
{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:$(sha "$D/manifest-amd64")","size":$(size "$D/manifest-amd64"),"platform":{"architecture":"amd64","os":"linux"}},{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:$(sha "$D/manifest-arm64")","size":$(size "$D/manifest-arm64"),"platform":{"architecture":"arm64","os":"linux"}}],"annotations":{"pad":"$pad"}}
JSON
pushed=1
for f in config-amd64 config-arm64 layer; do push_blob app "$D/$f" || pushed=; done
push_manifest app v1 "$D/manifest-amd64" application/vnd.oci.image.manifest.v1+json || pushed=
push_manifest app "sha256:$(sha "$D/manifest-arm64")" "$D/manifest-arm64" application/vnd.oci.image.manifest.v1+json || pushed=
push_manifest app multi "$D/index" application/vnd.oci.image.index.v1+json || pushed=
# and one past 64 KiB (the cap on an error answer), whose HEAD says so in its Content-Length
sed "s/\"pad\":\"$pad\"/\"pad\":\"$(printf 'q%.0s' $(seq 1 70000))\"/" "$D/index" >"$D/index-big"
push_manifest app big "$D/index-big" application/vnd.oci.image.index.v1+json || pushed=
check "an image and a multi-arch index are pushed over the registry API" [ -n "$pushed" ]

cat >"$WORK/auth.json" <<JSON
{"auths": {"https://$REG/v1/": {"auth": "$(printf alice:s3cret | base64)"}}}
JSON
cat >"$WORK/wrong.json" <<JSON
{"auths": {"$REG": {"username": "alice", "password": "wrong"}}}
JSON
M1=sha256:$(sha "$D/manifest-amd64")
IDX=sha256:$(sha "$D/index")
CFG=sha256:$(sha "$D/config-amd64")
LAYER=sha256:$(sha "$D/layer")
LSIZE=$(size "$D/layer")
NONE=sha256:$(printf '%064d' 0)

# probe OUT ARGS... <<< commands: runs oci_probe on one client, output in $WORK/OUT
probe() {
	local out=$WORK/$1
	shift
	timeout 60 "$PROBE" "$@" >"$out" 2>&1
	local rc=$?
	[ -z "${OCI_VERBOSE:-}" ] || cat "$out"
	# a crash, a sanitizer report or a leak (ASan builds) fails the run
	if [ $rc != 0 ] && ! grep -q '^OPEN_FAILED' "$out"; then
		fail "oci_probe ($(basename "$out")) exited $rc"
		tail -n 30 "$out"
	fi
}
# line OUT N: the Nth answer
line() { sed -n "${2}p" "$WORK/$1"; }
# has OUT N REGEX
has() { [[ "$(line "$1" "$2")" =~ $3 ]] || { echo "     got: $(line "$1" "$2")"; false; }; }
# fast OUT N MS: answered within MS milliseconds
fast() {
	local ms
	ms=$(line "$1" "$2" | awk '$1 == "OK" {print $5} $1 == "ERR" {print $3}')
	[ -n "$ms" ] && [ "$ms" -le "$3" ] || { echo "     took ${ms:-?} ms"; false; }
}

probe real --host "$REG" --ca "$CA" --auth "$WORK/auth.json" <<EOF
resolve app v1
manifest app $M1
manifest app multi
blob app $CFG $(size "$D/config-amd64") 65536
blob app $LAYER $((LSIZE - 1)) 65536
blob app $LAYER $((LSIZE + 1)) 65536
blob app $NONE 10 65536
manifest app $NONE
resolve app nosuchtag
referrers app $M1 application/vnd.dev.cosign.artifact.sig.v1+json
blob app $LAYER $LSIZE 1024
resolve app sha256:$(sha "$D/manifest-arm64")
EOF
check "resolve app:v1 gives the digest of the pushed manifest" has real 1 "^OK $M1 - 0 "
check "manifest by digest: OCI manifest, every byte, digest checked" \
	has real 2 "^OK $M1 application/vnd.oci.image.manifest.v1\+json $(size "$D/manifest-amd64") "
check "manifest by tag: the multi-arch index and its digest" \
	has real 3 "^OK $IDX application/vnd.oci.image.index.v1\+json $(size "$D/index") "
check "blob with its size: verified" has real 4 "^OK $CFG - $(size "$D/config-amd64") "
check "blob larger than its descriptor: bad digest, not read past the size" \
	has real 5 "^ERR bad_digest .* sends more than the $((LSIZE - 1)) bytes its descriptor says"
check "blob shorter than its descriptor: bad digest" \
	has real 6 "^ERR bad_digest .*: $LSIZE bytes sent, its descriptor says $((LSIZE + 1))"
check "missing blob: not found, naming host and blob" \
	has real 7 "^ERR not_found [0-9]+ $REG: blob app@$NONE: HTTP 404 \(BLOB_UNKNOWN"
check "missing manifest digest: not found" has real 8 "^ERR not_found .*MANIFEST_UNKNOWN"
check "missing tag: not found" has real 9 "^ERR not_found [0-9]+ $REG: digest of app:nosuchtag: HTTP 404"
check "referrers on distribution 2.8: not supported (fall back to the tag schema)" \
	has real 10 "^ERR not_supported .*no referrers API \(HTTP 404\)"
check "blob above the caller's maximum: too large, not asked" \
	has real 11 "^ERR too_large .*above the limit of 1024: not asked"
check "resolve by digest: the registry confirms it" has real 12 "^OK sha256:$(sha "$D/manifest-arm64") "

probe big --host "$REG" --ca "$CA" --auth "$WORK/auth.json" <<EOF
resolve app big
EOF
check "resolve a tag whose index is past 64 KiB: the HEAD's Content-Length is no reason to refuse" \
	has big 1 "^OK sha256:$(sha "$D/index-big") - 0 "

probe small --host "$REG" --ca "$CA" --auth "$WORK/auth.json" --max-manifest 1024 <<EOF
manifest app multi
manifest app v1
EOF
check "an index over --max-manifest (1 KiB) is refused while receiving" \
	has small 1 "^ERR too_large .*manifest app:multi: the answer is larger than 1024 bytes: cut there$"
check "  and the same client still fetches a small manifest" has small 2 "^OK $M1 "

probe anon --host "$REG" --ca "$CA" <<EOF
resolve app v1
EOF
check "no credentials: auth refused, saying none are configured" \
	has anon 1 "^ERR auth_refused .*asks for credentials \(Basic\) and none are configured"
probe wrong --host "$REG" --ca "$CA" --auth "$WORK/wrong.json" <<EOF
manifest app v1
EOF
check "wrong password: auth refused" has wrong 1 "^ERR auth_refused .*configured credentials were refused"
probe noca --host "$REG" --auth "$WORK/auth.json" <<EOF
resolve app v1
EOF
check "a registry whose CA is not trusted is unreachable, with the TLS reason" \
	has noca 1 "^ERR unreachable .*(certificate|SSL)"
probe plain --host "$REG" --insecure --auth "$WORK/auth.json" --timeout-ms 2000 <<EOF
resolve app v1
EOF
check "insecure_http to a TLS port fails cleanly (no answer in HTTP)" has plain 1 "^ERR "
probe remote --host registry.example.com --insecure <<EOF
EOF
check "insecure_http for a host that is not loopback is refused at open" \
	grep -q "^OPEN_FAILED .*loopback hosts only" "$WORK/remote"

# an endpoint: registry.corp.example's images asked of $REG; its credentials
# are the endpoint's entry, else the registry's
ep_auths() { # FILE ENDPOINT-PASSWORD HOST-PASSWORD ("": no entry)
	python3 -c 'import base64, json, sys
a = {}
for host, pw in ((sys.argv[2], sys.argv[3]), ("registry.corp.example", sys.argv[4])):
    if pw:
        a[host] = {"auth": base64.b64encode(("alice:" + pw).encode()).decode()}
json.dump({"auths": a}, open(sys.argv[1], "w"))' "$WORK/$1" "$REG" "$2" "$3"
}
ep_auths ep-endpoint.json s3cret ""
ep_auths ep-host.json "" s3cret
ep_auths ep-both.json s3cret wrong
ep_auths ep-wrong.json wrong s3cret
for creds in endpoint host both wrong; do
	probe "ep-$creds" --host registry.corp.example --endpoint "$REG" --ca "$CA" \
		--auth "$WORK/ep-$creds.json" <<<"resolve app v1"
done
check "endpoint: the registry's images are asked of the endpoint, with the endpoint's credentials" \
	has ep-endpoint 1 "^OK $M1 "
check "endpoint: without an entry for it, the registry's credentials are sent there" \
	has ep-host 1 "^OK $M1 "
check "endpoint: the endpoint's entry first (the registry's, wrong, is not used)" \
	has ep-both 1 "^OK $M1 "
check "endpoint: a refused password of the endpoint's entry is not retried with the registry's; the reason names the endpoint" \
	has ep-wrong 1 "^ERR auth_refused [0-9]+ $REG \(endpoint of registry.corp.example\): digest of app:v1: .*configured credentials were refused"
probe ep-remote --host 127.0.0.1:5000 --endpoint registry.example.com --insecure </dev/null
check "endpoint: insecure_http's loopback rule is the endpoint's (a loopback host with a remote endpoint is refused)" \
	grep -q "^OPEN_FAILED registry registry.example.com (endpoint of 127.0.0.1:5000): insecure_http is allowed for loopback hosts only" "$WORK/ep-remote"
probe ep-path --host registry.corp.example --endpoint "$REG/v2" </dev/null
check "endpoint: a path is refused at open" grep -q "^OPEN_FAILED .*endpoint \"$REG/v2\" is not a host" "$WORK/ep-path"
stop_registries

# ---- the same registry (same storage) with distribution's token auth ----
T_PORT=$(free_port)
TLOG=$WORK/token.log
: >"$TLOG"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$WORK/sign.key" -out "$WORK/sign.crt" \
	-days 1 -subj /CN=admitd-test-token-signer 2>/dev/null
python3 "$TOP/tests/integration/token_server.py" "$T_PORT" "$WORK/certs/tls.crt" \
	"$WORK/certs/tls.key" "$WORK/sign.crt" "$WORK/sign.key" admitd-test-issuer "$TLOG" \
	>"$WORK/token.out" 2>&1 &
TOKEN_PID=$!
for _ in $(seq 1 50); do grep -q ready "$WORK/token.out" 2>/dev/null && break; sleep 0.1; done
sed -e '/^auth:/,$d' "$WORK/registry.yml" >"$WORK/registry-token.yml"
cat >>"$WORK/registry-token.yml" <<YAML
auth:
  token:
    realm: https://127.0.0.1:$T_PORT/token
    service: admitd-test
    issuer: admitd-test-issuer
    rootcertbundle: $WORK/sign.crt
YAML
check "docker-registry restarts with token auth (realm on 127.0.0.1:$T_PORT)" \
	registry_start "$WORK/registry-token.yml" 401
probe token --host "$REG" --ca "$CA" --auth "$WORK/auth.json" --extra "127.0.0.1:$T_PORT" <<EOF
resolve app v1
manifest app multi
blob app $CFG $(size "$D/config-amd64") 65536
manifest app $M1
EOF
check "token auth: resolve with a token from the realm (an allowed extra host)" has token 1 "^OK $M1 "
check "  the index, a blob and a manifest by digest with the same token" \
	[ "$(grep -c '^OK ' "$WORK/token")" = 4 ]
check "  one token request for the scope, with the configured credentials" \
	[ "$(cat "$TLOG")" = "GET scope=repository:app:pull auth=Basic" ]
probe token_noextra --host "$REG" --ca "$CA" --auth "$WORK/auth.json" <<EOF
resolve app v1
EOF
check "token auth: a realm on a host not listed is refused" \
	has token_noextra 1 "^ERR protocol_error .*token realm refused: https://127.0.0.1:$T_PORT is neither"
probe token_anon --host "$REG" --ca "$CA" --extra "127.0.0.1:$T_PORT" <<EOF
resolve app v1
EOF
check "token auth without credentials: auth refused" \
	has token_anon 1 "^ERR auth_refused .*token server refused anonymous access"
stop_registries

# ---- the hostile registry ----
H_PORT=$(free_port)
H=127.0.0.1:$H_PORT
HLOG=$WORK/hostile.log
: >"$HLOG"
python3 "$TOP/tests/integration/hostile_registry.py" "$H_PORT" "$WORK/certs/tls.crt" \
	"$WORK/certs/tls.key" "$HLOG" >"$WORK/hostile.out" 2>&1 &
HOSTILE_PID=$!
for _ in $(seq 1 50); do grep -q ready "$WORK/hostile.out" 2>/dev/null && break; sleep 0.1; done
check "the hostile registry listens on $H" grep -q ready "$WORK/hostile.out"
cat >"$WORK/hauth.json" <<JSON
{"auths": {"$H": {"auth": "$(printf alice:s3cret | base64)"}}}
JSON
BLOB_SHA=sha256:$(printf 'hostile registry blob\n' | sha256sum | cut -d' ' -f1)

probe hostile --host "$H" --ca "$CA" --auth "$WORK/hauth.json" --extra "localhost:$H_PORT" \
	--timeout-ms 1000 <<EOF
manifest drip v1
manifest silent v1
manifest drop v1
manifest huge v1
manifest hugechunk v1
manifest baddigest $NONE
manifest lying v1
blob loop $NONE 10 100
blob cdn $BLOB_SHA 22 100
resolve tok v1
manifest tok v1
EOF
check "slow drip: timeout after the 1 s request timeout" has hostile 1 "^ERR timeout .*manifest drip:v1: no complete answer within 1000 ms"
check "  within 2 s" fast hostile 1 2000
check "no answer at all: timeout" has hostile 2 "^ERR timeout "
check "  within 2 s" fast hostile 2 2000
check "connection dropped mid-manifest: unreachable, saying so" \
	has hostile 3 "^ERR unreachable .*manifest drop:v1: the connection was dropped before the answer was complete \("
check "100 MB manifest with its length: too large, refused on the length" \
	has hostile 4 "^ERR too_large .*larger than 4194304 bytes: not read$"
check "  at once" fast hostile 4 1000
check "100 MB chunked manifest: too large, cut at 4 MiB" \
	has hostile 5 "^ERR too_large .*larger than 4194304 bytes: cut there$"
check "  within 2 s" fast hostile 5 2000
check "manifest whose bytes do not hash to the digest asked: bad digest" \
	has hostile 6 "^ERR bad_digest .*manifest baddigest@$NONE: the [0-9]+ bytes sent have digest sha256:"
check "Docker-Content-Digest that is not the body's: bad digest" \
	has hostile 7 "^ERR bad_digest .*Docker-Content-Digest says sha256:1111"
check "redirect loop: stopped after 3 hops" has hostile 8 "^ERR protocol_error .*more than 3 redirects"
check "  the registry was asked 4 times, no more" [ "$(grep -c '^GET /v2/loop/' "$HLOG")" = 4 ]
check "blob redirected to an allowed host is fetched and verified" has hostile 9 "^OK $BLOB_SHA - 22 "
check "  with the registry's Bearer token sent to the registry" grep -q "^GET /v2/cdn/blobs/.* auth=Bearer" "$HLOG"
check "  and no Authorization sent to the storage host" grep -q "^GET /store/.*sig=abc auth=-$" "$HLOG"
check "Bearer: resolve fetches a token with the credentials (HEAD, then GET: no digest named)" \
	has hostile 10 "^OK sha256:[0-9a-f]{64} - 0 "
check "  the manifest has the digest resolve gave" \
	[ "$(line hostile 10 | cut -d' ' -f2)" = "$(line hostile 11 | cut -d' ' -f2)" ]
check "  one token for the scope, cached across calls" [ "$(grep -c '^GET /token' "$HLOG")" = 2 ]
check "  (one for the cdn scope, one for tok)" [ "$(grep -c '^GET /token?scope=repository%3Atok%3Apull' "$HLOG")" = 1 ]
rss=$(sed -n 's/^RSS_KB //p' "$WORK/hostile")
# under ASan freed memory stays in quarantine and shadow memory counts: RSS says nothing there
if ldd "$OCI_PROBE" 2>/dev/null | grep -q libasan; then
	echo "     (sanitized probe: peak RSS ${rss:-?} KB not judged)"
elif [ -n "$rss" ] && [ "$rss" -lt 40960 ]; then
	pass "100 MB answers were never buffered: peak RSS ${rss:-?} KB < 40 MB"
else fail "100 MB answers were never buffered: peak RSS ${rss:-?} KB < 40 MB"; fi

: >"$HLOG"
probe hostile2 --host "$H" --ca "$CA" --timeout-ms 5000 --deadline-ms 1200 <<EOF
blob away $NONE 10 100
manifest evilrealm v1
manifest tok v1
manifest drip v1
EOF
check "redirect to a host not allowed: refused, not followed" \
	has hostile2 1 "^ERR protocol_error .*redirect refused: https://localhost:$H_PORT is neither the registry nor an allowed HTTPS host"
check "  the other host was never asked" bash -c "! grep -q '^GET /store/' '$HLOG'"
check "token realm on a host not allowed: refused" \
	has hostile2 2 "^ERR protocol_error .*token realm refused: https://evil.example:443"
check "no credentials for a token server that wants them: auth refused" \
	has hostile2 3 "^ERR auth_refused .*token server refused anonymous access \(HTTP 401\)"
check "the caller's deadline (1.2 s) stops a request whose timeout is 5 s" \
	has hostile2 4 "^ERR timeout .*\(the caller's deadline\)"
check "  within 2 s" fast hostile2 4 2000
stop_registries

elapsed=$((($(date +%s%N) - t_start) / 1000000))
echo "     test_oci.sh: ${elapsed} ms"
