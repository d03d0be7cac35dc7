#!/usr/bin/env bash
# test_image_contents.sh: the image-contents policies (image-runs-as-root,
# image-exposed-ports, image-env-secrets) through the real server over TLS
# and through `admitd audit`, against Debian's docker-registry on loopback:
# images whose configurations have each kind of user, port and env; init
# and ephemeral containers; a multi-arch index whose platforms differ; a
# Windows pod; a 50 MB configuration and one that is not JSON (bounded,
# fail closed); the registry down.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/registry.sh"

registry_install || { fail "cannot install docker-registry"; exit 1; }
HOSTILE_PID=
trap 'registry_stop; kill $HOSTILE_PID 2>/dev/null; cleanup' EXIT
make_certs
registry_serve || { fail "docker-registry serves TLS on $REG"; exit 1; }
CURL=(curl -sS --fail --max-time 30 --cacert "$CA")
I=$WORK/img
cfg() { # USER PORTS-JSON ENV-JSON [ARCH]
	printf '{"architecture":"%s","os":"linux","config":{%s"ExposedPorts":%s,"Env":%s},"rootfs":{"type":"layers","diff_ids":[]}}' \
		"${4:-amd64}" "${1:+\"User\":\"$1\",}" "$2" "$3"
}
AKIA=AKIA$(printf 'IOSFODNN7EXAMPLEQ' | head -c 16)
ROOT=$(make_image_config app/root 1 "$I" "$(cfg "" '{"8080/tcp":{}}' '["PATH=/usr/bin"]')")
ROOT0=$(make_image_config app/root0 1 "$I" "$(cfg "0:0" '{}' '[]')")
USER=$(make_image_config app/user 1 "$I" "$(cfg "1000:1000" '{"8080/tcp":{}}' '["PATH=/usr/bin","DB_PASSWORD="]')")
NAMED=$(make_image_config app/named 1 "$I" "$(cfg "nginx" '{}' '[]')")
SSH=$(make_image_config app/ssh 1 "$I" "$(cfg "1000" '{"22/tcp":{},"8080/tcp":{}}' '[]')")
TELNET=$(make_image_config app/telnet 1 "$I" "$(cfg "1000" '{"23":{}}' '[]')")
SECRET=$(make_image_config app/secret 1 "$I" "$(cfg "1000" '{}' '["DB_PASSWORD=hunter2-very-secret"]')")
AWS=$(make_image_config app/aws 1 "$I" "$(cfg "1000" '{}' "[\"SETTING=$AKIA\"]")")
AMD=$(make_image_config app/multi amd "$I" "$(cfg "" '{}' '[]' amd64)")
ARM=$(make_image_config app/multi arm "$I" "$(cfg "1000" '{}' '[]' arm64)")
MULTI=$(make_index app/multi 1 "$I" "$AMD:linux/amd64" "$ARM:linux/arm64")
NOTJSON=$(make_image_config app/notjson 1 "$I" 'this is not JSON')
head -c 52428800 /dev/zero >"$WORK/big.config"
push_blob app/big "$WORK/big.config"
head -c 512 /dev/urandom >"$WORK/big.layer"
push_blob app/big "$WORK/big.layer"
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:%s","size":512}]}' \
	"$(sha "$WORK/big.config")" "$(size "$WORK/big.config")" "$(sha "$WORK/big.layer")" >"$WORK/big.manifest"
push_manifest app/big 1 "$WORK/big.manifest" application/vnd.oci.image.manifest.v1+json
if [ -n "$ROOT" ] && [ -n "$MULTI" ] && [ -n "$NOTJSON" ] && [ -n "$SECRET" ]; then
	pass "images with each kind of user, port and env, and a multi-arch index, are in $REG"
else fail "images with each kind of user, port and env, and a multi-arch index, are in $REG"; fi

HPORT=$(free_port)
python3 "$TOP/tests/integration/hostile_registry.py" "$HPORT" "$WORK/certs/tls.crt" \
	"$WORK/certs/tls.key" "$WORK/hostile.log" >"$WORK/hostile.out" 2>&1 &
HOSTILE_PID=$!
for _ in $(seq 1 50); do grep -q ready "$WORK/hostile.out" 2>/dev/null && break; sleep 0.1; done

cat >"$WORK/admitd.yaml" <<YAML
podSecurity: {level: privileged}
registries:
  - {host: "$REG", caFile: "$CA"}
  - {host: "127.0.0.1:$HPORT", caFile: "$CA", timeoutSeconds: 2}
policies:
  - id: image-runs-as-root
    action: deny
    images: ["$REG/app", "127.0.0.1:$HPORT"]
    timeoutSeconds: 3
  - id: image-exposed-ports
    action: deny
    images: ["$REG/app"]
  - id: image-env-secrets
    action: deny
    images: ["$REG/app"]
YAML
start_server --config "$WORK/admitd.yaml" || { fail "admitd starts with the contents policies"; exit 1; }

# review NAME SPEC-JSON: a pod review in $WORK/NAME.json
review() {
	cat >"$WORK/$1.json" <<JSON
{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u-$1",
 "kind":{"group":"","version":"v1","kind":"Pod"},"resource":{"group":"","version":"v1","resource":"pods"},
 "operation":"CREATE","namespace":"shop","name":"$1","userInfo":{"username":"alice"},
 "object":{"apiVersion":"v1","kind":"Pod","metadata":{"name":"$1","namespace":"shop"},"spec":$2}}}
JSON
}
one() { echo "{\"containers\":[{\"name\":\"c\",\"image\":\"$REG/app/$1:1\"${2:+,$2}}]${3:+,$3}}"; }
message() { json_get "$BODY" '["response"]["status"]["message"]' 2>/dev/null; }
warnings() { json_get "$BODY" '["response"]["warnings"]' 2>/dev/null; }
allowed() { [ "$(json_get "$BODY" '["response"]["allowed"]')" = true ]; }
denied_with() { [ "$(json_get "$BODY" '["response"]["allowed"]')" = false ] && grep -qF -- "$1" <<<"$(message)"; }
ask() { review "$1" "$2"; post "$WORK/$1.json"; }

ask root "$(one root)"
if denied_with "[image-runs-as-root]" && denied_with "the image sets no USER" && denied_with "$ROOT" &&
	denied_with "linux/amd64" && denied_with "runAsUser"; then
	pass "an image with no USER: denied, naming the digest, the platform and the fix"
else fail "an image with no USER: denied, naming the digest, the platform and the fix" "$(message)"; fi
ask root0 "$(one root0)"
if denied_with "USER is \"0:0\""; then pass "USER 0:0 is root"; else fail "USER 0:0 is root" "$(message)"; fi
ask user "$(one user)"
check "USER 1000:1000, port 8080 and an empty DB_PASSWORD: allowed" allowed
ask runas "$(one root '"securityContext":{"runAsUser":1000}')"
check "a root image whose container sets runAsUser: allowed (the pod decides the user)" allowed
ask podrunas "$(one root "" '"securityContext":{"runAsUser":1000}')"
check "... or whose pod sets it" allowed
ask nonroot "$(one root '"securityContext":{"runAsNonRoot":true}')"
if denied_with "kubelet will refuse"; then
	pass "a root image under runAsNonRoot: true: denied, saying the kubelet would refuse it"
else fail "a root image under runAsNonRoot: true: denied, saying the kubelet would refuse it" "$(message)"; fi
ask named "$(one named)"
if allowed && grep -q "cannot tell" <<<"$(warnings)"; then
	pass "USER nginx (a name): allowed with a 'cannot tell' warning (unknownUser: warn)"
else fail "USER nginx (a name): allowed with a 'cannot tell' warning (unknownUser: warn)" "$BODY"; fi
ask namednonroot "$(one named '"securityContext":{"runAsNonRoot":true}')"
if denied_with "cannot verify it is non-root"; then
	pass "USER nginx under runAsNonRoot: true: denied with the kubelet's reason"
else fail "USER nginx under runAsNonRoot: true: denied with the kubelet's reason" "$(message)"; fi
ask init "{\"initContainers\":[{\"name\":\"setup\",\"image\":\"$REG/app/root:1\"}],\"containers\":[{\"name\":\"c\",\"image\":\"$REG/app/user:1\"}]}"
if denied_with "container \"setup\"" && ! denied_with "container \"c\""; then
	pass "a root init container beside a fine container: denied, naming the init container only"
else fail "a root init container beside a fine container: denied, naming the init container only" "$(message)"; fi
ask ephemeral "{\"containers\":[{\"name\":\"c\",\"image\":\"$REG/app/user:1\"}],\"ephemeralContainers\":[{\"name\":\"debug\",\"image\":\"$REG/app/ssh:1\"}]}"
if denied_with "container \"debug\"" && denied_with "22/tcp (SSH)"; then
	pass "an ephemeral container whose image exposes SSH: denied, naming it"
else fail "an ephemeral container whose image exposes SSH: denied, naming it" "$(message)"; fi
ask sidecar "{\"initContainers\":[{\"name\":\"proxy\",\"image\":\"$REG/app/ssh:1\",\"restartPolicy\":\"Always\"}],\"containers\":[{\"name\":\"c\",\"image\":\"$REG/app/user:1\"}]}"
if denied_with "container \"proxy\"" && denied_with "22/tcp (SSH)" && ! denied_with "container \"c\""; then
	pass "a sidecar (restartPolicy: Always) whose image exposes SSH: denied, naming it"
else fail "a sidecar (restartPolicy: Always) whose image exposes SSH: denied, naming it" "$(message)"; fi

# multi-arch: linux/amd64 runs as root, linux/arm64 does not
ask multi "$(one multi)"
if denied_with "linux/amd64" && ! denied_with "linux/arm64" && denied_with "$MULTI"; then
	pass "a multi-arch index whose amd64 runs as root: denied, naming that platform and the index digest"
else fail "a multi-arch index whose amd64 runs as root: denied, naming that platform and the index digest" "$(message)"; fi
ask multiarm "$(one multi "" '"nodeSelector":{"kubernetes.io/arch":"arm64"}')"
check "the same pod pinned to arm64 by its node selector: allowed" allowed
ask multiaff "$(one multi "" '"affinity":{"nodeAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":{"nodeSelectorTerms":[{"matchExpressions":[{"key":"kubernetes.io/arch","operator":"NotIn","values":["amd64"]}]}]}}}')"
check "... or by a required node affinity (NotIn amd64)" allowed
ask windows "$(one root "" '"nodeSelector":{"kubernetes.io/os":"windows"}')"
check "a Windows pod is not judged by these checks" allowed

ask ssh "$(one ssh)"
if denied_with "[image-exposed-ports]" && denied_with "22/tcp (SSH)" && ! denied_with "8080"; then
	pass "EXPOSE 22: denied as SSH, whether or not the pod declares it; 8080 is not named"
else fail "EXPOSE 22: denied as SSH, whether or not the pod declares it; 8080 is not named" "$(message)"; fi
ask telnet "$(one telnet)"
if denied_with "23/tcp (Telnet)"; then pass "EXPOSE 23 (no protocol: tcp): denied as Telnet"; else fail "EXPOSE 23 (no protocol: tcp): denied as Telnet" "$(message)"; fi
ask secret "$(one secret)"
if denied_with "[image-env-secrets]" && denied_with "ENV DB_PASSWORD" && ! grep -q hunter2 <<<"$BODY"; then
	pass "ENV DB_PASSWORD=...: denied, naming the variable and never its value"
else fail "ENV DB_PASSWORD=...: denied, naming the variable and never its value" "$BODY"; fi
ask aws "$(one aws)"
if denied_with "SETTING (an AWS access key id)" && ! grep -q "$AKIA" <<<"$BODY"; then
	pass "an AWS access key id under an innocent name: denied, saying what it looks like"
else fail "an AWS access key id under an innocent name: denied, saying what it looks like" "$BODY"; fi

# hostile configurations: bounded, fail closed, named
t0=$(date +%s%N)
ask big "$(one big)"
took=$((($(date +%s%N) - t0) / 1000000))
if denied_with "52428800 bytes, more than 1048576: not read"; then
	pass "a 50 MB configuration: denied, too large, not read (${took} ms)"
else fail "a 50 MB configuration: denied, too large, not read (${took} ms)" "$(message)"; fi
ask notjson "$(one notjson)"
if denied_with "configuration" && denied_with "malformed: not JSON"; then
	pass "a configuration that is not JSON: denied as malformed"
else fail "a configuration that is not JSON: denied as malformed" "$(message)"; fi
ask unknown "$(one nosuch)"
if denied_with "(no digest): its tag could not be resolved to a digest" && denied_with "(not found)" &&
	denied_with "onRegistryError: deny"; then
	pass "an image the registry does not have: denied, fail closed"
else fail "an image the registry does not have: denied, fail closed" "$(message)"; fi
# a registry that never answers holds up only its own review, which fails closed in time
review silent "{\"containers\":[{\"name\":\"c\",\"image\":\"127.0.0.1:$HPORT/silent:1\"}]}"
(post "$WORK/silent.json"; echo "$BODY" >"$WORK/silent.out") &
SILENT=$!
sleep 0.3
post "$WORK/user.json"
if allowed && kill -0 $SILENT 2>/dev/null; then
	pass "while a registry is silent, another review is answered (the event loop never waits)"
else fail "while a registry is silent, another review is answered (the event loop never waits)"; fi
wait $SILENT
BODY=$(cat "$WORK/silent.out")
if denied_with "127.0.0.1:$HPORT/silent:1" && denied_with "(timeout)"; then
	pass "the silent registry's review is denied when its time runs out, saying so"
else fail "the silent registry's review is denied when its time runs out, saying so" "$(message)"; fi
M=$(curl -s --max-time 5 --cacert "$CA" "$BASE/metrics")
metric() { awk -v k="$1" '$1 == k {print $2}' <<<"$M"; }
if [ "$(metric 'admitd_image_facts_total{result="ok",cached="false"}')" -ge 5 ] &&
	[ "$(metric 'admitd_image_facts_total{result="ok",cached="true"}')" -ge 1 ] &&
	[ "$(metric 'admitd_image_facts_total{result="malformed",cached="false"}')" -ge 1 ]; then
	pass "metrics: image facts read by workers and from the cache are counted, by result"
else fail "metrics: image facts read by workers and from the cache are counted, by result" "$(grep image_facts <<<"$M")"; fi
rss=$(awk '/VmHWM/ {print $2}' "/proc/$SERVER_PID/status")
if ! ldd "$ADMITD" 2>/dev/null | grep -q libasan; then # ASan keeps freed memory: RSS says nothing
	check "the 50 MB configuration was never read: peak RSS ${rss} KB < 60 MB" [ "${rss:-999999}" -lt 61440 ]
fi

# cached: the registry down, what was read stays read (facts are per digest)
registry_stop
post "$WORK/root.json"
if denied_with "the image sets no USER"; then
	pass "registry down: facts read before still judge (cached by digest)"
else fail "registry down: facts read before still judge (cached by digest)" "$(message)"; fi
stop_server
check "SIGTERM: the server exits 0 (nothing leaked)" [ "$SERVER_STATUS" = 0 ]

# audit: the same verdicts from files, and --offline skips
registry_start "$WORK/registry.yml" 200
for n in root user ssh secret; do
	python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1]))["request"]["object"]))' \
		"$WORK/$n.json" >"$WORK/pod-$n.json"
done
out=$("$ADMITD" audit --config "$WORK/admitd.yaml" --output json "$WORK"/pod-*.json 2>"$WORK/audit.err")
rc=$?
n=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["summary"]["wouldDeny"])' "$out" 2>/dev/null)
if [ "$rc" = 1 ] && [ "$n" = 3 ]; then
	pass "audit: root, ssh and secret would be denied, user not (exit 1)"
else fail "audit: root, ssh and secret would be denied, user not (exit 1)" "rc=$rc wouldDeny=$n $(cat "$WORK/audit.err")"; fi
out=$("$ADMITD" audit --offline --config "$WORK/admitd.yaml" --output json "$WORK"/pod-*.json 2>/dev/null)
rc=$?
if [ "$rc" = 0 ] && grep -q '"image-runs-as-root"' <<<"$(json_get "$out" '["summary"]["skippedPolicies"]')"; then
	pass "audit --offline: nothing asked, the contents policies reported as skipped (exit 0)"
else fail "audit --offline: nothing asked, the contents policies reported as skipped (exit 0)" "rc=$rc"; fi
