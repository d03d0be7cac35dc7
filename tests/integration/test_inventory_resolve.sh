#!/usr/bin/env bash
# admitd inventory --resolve against Debian's docker-registry on loopback
# (TLS): a tag's digest asked of its registry, once per distinct image; a
# baseline taken with --resolve, the tag re-pointed to another image:
# digest-changed naming the container, exit 1; the tag unchanged: no
# drift; without --resolve the re-pointed tag is not seen, and a baseline
# without --resolve compared with a run with it reports nothing. An image
# on an unconfigured registry is not asked; a closed port and a registry
# that never answers fail in bounded time, said in errors (exit 2).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/registry.sh"

registry_install || { fail "cannot install docker-registry"; exit 1; }
HOSTILE_PID=
trap 'registry_stop; kill $HOSTILE_PID 2>/dev/null; cleanup' EXIT
make_certs
# with its access log: the test counts the tag requests
REGISTRY_ACCESSLOG=1 registry_serve || { fail "docker-registry serves TLS on $REG"; exit 1; }
CURL=(curl -sS --fail --max-time 30 --cacert "$CA")
I=$WORK/img
ONE=$(make_image_config app/web 1 "$I" '{"architecture":"amd64","os":"linux","n":"one"}')
TOOLS=$(make_image_config app/tools 2 "$I" '{"architecture":"amd64","os":"linux","n":"tools"}')
if [ -n "$ONE" ] && [ -n "$TOOLS" ]; then pass "app/web:1 and app/tools:2 are in $REG"
else fail "app/web:1 and app/tools:2 are in $REG"; fi

HPORT=$(free_port)
python3 "$TOP/tests/integration/hostile_registry.py" "$HPORT" "$WORK/certs/tls.crt" \
	"$WORK/certs/tls.key" "$WORK/hostile.log" >"$WORK/hostile.out" 2>&1 &
HOSTILE_PID=$!
for _ in $(seq 1 50); do grep -q ready "$WORK/hostile.out" 2>/dev/null && break; sleep 0.1; done
DPORT=$(free_port) # nothing listens there

cat >"$WORK/admitd.yaml" <<YAML
registries:
  - {host: "$REG", caFile: "$CA"}
  - {host: "127.0.0.1:$DPORT", caFile: "$CA", timeoutSeconds: 2}
  - {host: "127.0.0.1:$HPORT", caFile: "$CA", timeoutSeconds: 1}
YAML
# the same image in three workloads and two namespaces; a pinned one; one from Docker Hub
cat >"$WORK/w.yaml" <<YAML
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      initContainers:
        - {name: setup, image: "$REG/app/tools:2"}
      containers:
        - {name: web, image: "$REG/app/web:1"}
        - {name: pinned, image: "$REG/app/web@$ONE"}
        - {name: hub, image: "nginx:1.25"}
---
apiVersion: v1
kind: Pod
metadata: {name: batch, namespace: shop}
spec:
  containers:
    - {name: batch, image: "$REG/app/web:1"}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: ops}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      containers:
        - {name: agent, image: "$REG/app/web:1"}
YAML
inv() { "$ADMITD" inventory --config "$WORK/admitd.yaml" "$@"; }
q() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$@"; }
C='[c for w in d["workloads"] if w["name"]=="%s" for c in w["containers"] if c["name"]=="%s"][0]'
web=$(printf "$C" web web); pinned=$(printf "$C" web pinned); hub=$(printf "$C" web hub)
setup=$(printf "$C" web setup); batch=$(printf "$C" batch batch)
# tag requests the registry saw for app/web (its access log)
asked() { grep -c '"\(HEAD\|GET\) /v2/app/web/manifests/1 ' "$WORK/registry.log"; }

# ---- the baseline, with --resolve ----
n0=$(asked)
inv --resolve --output json "$WORK/w.yaml" >"$WORK/base.json" 2>"$WORK/base.err"; rc=$?
B=$WORK/base.json
check "--resolve over files: exit 0" [ "$rc" = 0 ]
check "a tag's digest, asked of its registry" \
	[ "$(q "$B" "($web['resolvedDigest'],$web['resolveStatus'])")" = "('$ONE', 'resolved')" ]
check "an init container's tag too" [ "$(q "$B" "$setup['resolvedDigest']")" = "$TOOLS" ]
check "the reference's digest stays in digest; a tag's stays null there" \
	[ "$(q "$B" "($web['digest'],$pinned['digest'])")" = "(None, '$ONE')" ]
check "a pinned reference: its own digest, not asked" \
	[ "$(q "$B" "($pinned['resolvedDigest'],$pinned['resolveStatus'])")" = "('$ONE', 'pinned')" ]
if [ "$(q "$B" "($hub['resolvedDigest'],$hub['resolveStatus'])")" = "(None, 'no-registry')" ] &&
	q "$B" "$hub['resolveReason']" | grep -q 'docker.io is not under registries:'; then
	pass "an image on an unconfigured registry is not asked: resolvedDigest null, the reason said"
else fail "an image on an unconfigured registry is not asked: resolvedDigest null, the reason said" "$(q "$B" "$hub")"; fi
check "an unconfigured registry is no error" [ "$(q "$B" "len(d['errors'])")" = 0 ]
check "the same image in three workloads is the same digest in each" \
	[ "$(q "$B" "sorted(set(c['resolvedDigest'] for w in d['workloads'] for c in w['containers'] if c['image']=='$REG/app/web:1'))")" = "['$ONE']" ]
n1=$(asked)
check "and the registry was asked its tag once ($((n1 - n0)) requests)" [ $((n1 - n0)) = 1 ]
inv --resolve --output json "$WORK/w.yaml" >"$WORK/again.json"
check "--resolve json is identical on a second run" cmp -s "$B" "$WORK/again.json"
# a pod whose status says what it runs, and the tag's digest beside it
runner() {
	cat >"$WORK/runner-$1.yaml" <<-YAML
	apiVersion: v1
	kind: Pod
	metadata: {name: runner, namespace: ops}
	spec:
	  containers:
	    - {name: app, image: "$REG/app/web:1"}
	status:
	  containerStatuses:
	    - {name: app, imageID: "docker-pullable://$REG/app/web@$1"}
	YAML
	echo "$WORK/runner-$1.yaml"
}
inv --resolve --output json "$WORK/w.yaml" "$(runner "$ONE")" >"$WORK/base-status.json"
check "a pod's status digest and its tag's digest side by side" \
	[ "$(q "$WORK/base-status.json" "[(c['digest'],c['resolvedDigest']) for w in d['workloads'] if w['name']=='runner' for c in w['containers']][0]")" = "('$ONE', '$ONE')" ]

# ---- without --resolve: no resolve fields, and the baseline without them ----
inv --output json "$WORK/w.yaml" >"$WORK/plain.json"
check "without --resolve no container has resolvedDigest" \
	[ "$(q "$WORK/plain.json" "any('resolvedDigest' in c for w in d['workloads'] for c in w['containers'])")" = False ]

# ---- the tag unchanged: no drift ----
inv --resolve --baseline "$B" --output json "$WORK/w.yaml" >"$WORK/d0.json"; rc=$?
check "the tag unchanged: exit 0" [ "$rc" = 0 ]
check "the tag unchanged: no drift" [ "$(q "$WORK/d0.json" "len(d['drift'])")" = 0 ]

# ---- the tag re-pointed to another image ----
TWO=$(make_image_config app/web 1 "$I" '{"architecture":"amd64","os":"linux","n":"two"}')
if [ -n "$TWO" ] && [ "$TWO" != "$ONE" ]; then pass "app/web:1 re-pointed to another image"
else fail "app/web:1 re-pointed to another image"; fi
inv --resolve --baseline "$B" --output json "$WORK/w.yaml" >"$WORK/d1.json"; rc=$?
D=$WORK/d1.json
check "re-pointed tag: exit 1" [ "$rc" = 1 ]
check "re-pointed tag: digest-changed for each container that uses it, nothing else" \
	[ "$(q "$D" "sorted((x['class'],x['name'],x.get('container')) for x in d['drift'])")" = "[('digest-changed', 'agent', 'agent'), ('digest-changed', 'batch', 'batch'), ('digest-changed', 'web', 'web')]" ]
msg=$(q "$D" "[x['message'] for x in d['drift'] if x['name']=='web'][0]")
if grep -qF "$REG/app/web:1 now resolves to $TWO in its registry, was $ONE" <<<"$msg"; then
	pass "the message names the image, the new digest and the old one"
else fail "the message names the image, the new digest and the old one" "$msg"; fi
# the page: a pod still running the old image, its tag moved on
inv --resolve --output html "$(runner "$ONE")" >"$WORK/moved.html"
check "html: the digest a container runs, and where its tag points now" \
	grep -qF "\"${ONE:0:19}, its tag now ${TWO:0:19}\"" "$WORK/moved.html"
inv --resolve --output html "$(runner "$TWO")" >"$WORK/same.html"
check "html: a container on its tag's digest shows that one digest" \
	grep -qF "\"${TWO:0:19}\"" "$WORK/same.html"
out=$(inv --resolve --baseline "$B" --output table "$WORK/w.yaml"); rc=$?
if [ "$rc" = 1 ] && grep -q '^digest-changed *shop *Deployment *web *web ' <<<"$out"; then
	pass "table: the re-pointed tag is digest-changed for shop/Deployment/web, container web"
else fail "table: the re-pointed tag is digest-changed for shop/Deployment/web, container web" "$out"; fi
inv --resolve --baseline "$B" --fail-on new-image --output json "$WORK/w.yaml" >/dev/null; rc=$?
check "--fail-on without digest-changed: listed, exit 0" [ "$rc" = 0 ]

# without --resolve the reference has no digest: the re-pointed tag is not seen
inv --baseline "$WORK/plain.json" --output json "$WORK/w.yaml" >"$WORK/d2.json"; rc=$?
check "without --resolve the re-pointed tag is not seen: exit 0" [ "$rc" = 0 ]
check "without --resolve: no drift" [ "$(q "$WORK/d2.json" "len(d['drift'])")" = 0 ]
# a baseline without --resolve, a run with it: nothing to compare the resolved digest with
inv --resolve --baseline "$WORK/plain.json" --output json "$WORK/w.yaml" >"$WORK/d3.json"; rc=$?
check "baseline without --resolve, run with it: exit 0" [ "$rc" = 0 ]
check "baseline without --resolve, run with it: no tagged image reported changed" \
	[ "$(q "$WORK/d3.json" "len(d['drift'])")" = 0 ]
# a baseline with --resolve, a run without it: the same
inv --baseline "$B" --output json "$WORK/w.yaml" >"$WORK/d4.json"; rc=$?
check "baseline with --resolve, run without it: exit 0, no drift" \
	[ "$rc:$(q "$WORK/d4.json" "len(d['drift'])")" = "0:0" ]
# a pod restarted on the new digest (its status) as the tag moved: one item, not two
inv --resolve --baseline "$WORK/base-status.json" --output json "$WORK/w.yaml" \
	"$(runner "$TWO")" >"$WORK/d5.json"; rc=$?
check "the pod runs the new digest the tag points to: one digest-changed item for it" \
	[ "$rc:$(q "$WORK/d5.json" "[x['class'] for x in d['drift'] if x['name']=='runner']")" = "1:['digest-changed']" ]

# ---- a registry that refuses connections (a closed loopback port) ----
cat >"$WORK/down.yaml" <<YAML
apiVersion: apps/v1
kind: Deployment
metadata: {name: down, namespace: shop}
spec:
  selector: {matchLabels: {app: down}}
  template:
    metadata: {labels: {app: down}}
    spec:
      containers:
        - {name: a, image: "127.0.0.1:$DPORT/app/a:1"}
        - {name: b, image: "127.0.0.1:$DPORT/app/b:1"}
        - {name: web, image: "$REG/app/web:1"}
YAML
start=$(date +%s)
timeout 60 "$ADMITD" inventory --config "$WORK/admitd.yaml" --resolve --output json \
	"$WORK/down.yaml" >"$WORK/down.json" 2>"$WORK/down.err"; rc=$?
took=$(($(date +%s) - start))
DN=$WORK/down.json
a=$(printf "$C" down a); b=$(printf "$C" down b); dweb=$(printf "$C" down web)
check "a closed port: exit 2, as for an input that cannot be read ($rc)" [ "$rc" = 2 ]
check "a closed port: no hang (${took}s)" [ "$took" -le 10 ]
if [ "$(q "$DN" "($a['resolvedDigest'],$a['resolveStatus'])")" = "(None, 'failed')" ] &&
	q "$DN" "$a['resolveReason']" | grep -q 'could not be resolved to a digest.*(unreachable)'; then
	pass "a closed port: the container says failed, unreachable"
else fail "a closed port: the container says failed, unreachable" "$(q "$DN" "$a")"; fi
if q "$DN" "d['errors']" | grep -qF "'source': '127.0.0.1:$DPORT/app/a:1'" &&
	grep -q "127.0.0.1:$DPORT/app/a:1: .*(unreachable)" "$WORK/down.err"; then
	pass "a closed port: in errors and on stderr, naming the image"
else fail "a closed port: in errors and on stderr, naming the image" "$(cat "$WORK/down.err")"; fi
if [ "$(q "$DN" "$b['resolveStatus']")" = failed ] &&
	q "$DN" "$b['resolveReason']" | grep -q "not asked: its registry 127.0.0.1:$DPORT did not answer"; then
	pass "a registry that did not answer is not asked again in the run"
else fail "a registry that did not answer is not asked again in the run" "$(q "$DN" "$b")"; fi
check "the other registry's image is still resolved" [ "$(q "$DN" "$dweb['resolvedDigest']")" = "$TWO" ]
check "each failed image is one error" [ "$(q "$DN" "len(d['errors'])")" = 2 ]

# ---- a registry that accepts and never answers: bounded by its timeoutSeconds ----
cat >"$WORK/silent.yaml" <<YAML
apiVersion: v1
kind: Pod
metadata: {name: quiet, namespace: shop}
spec:
  containers:
$(for t in 1 2 3 4 5 6; do echo "    - {name: c$t, image: \"127.0.0.1:$HPORT/silent:$t\"}"; done)
YAML
start=$(date +%s)
timeout 60 "$ADMITD" inventory --config "$WORK/admitd.yaml" --resolve --output json \
	"$WORK/silent.yaml" >"$WORK/silent.json" 2>"$WORK/silent.err"; rc=$?
took=$(($(date +%s) - start))
a=$(printf "$C" quiet c1)
check "a silent registry: exit 2" [ "$rc" = 2 ]
# six images at 1 s each would be 6 s: the registry is given up on after the first
check "a silent registry: bounded by its timeoutSeconds, not once per image (${took}s)" [ "$took" -le 4 ]
if q "$WORK/silent.json" "$a['resolveReason']" | grep -q '(timeout)'; then
	pass "a silent registry: the container says timeout"
else fail "a silent registry: the container says timeout" "$(q "$WORK/silent.json" "$a")"; fi

# ---- the registry gone since the baseline: nothing to compare, and exit 2 says so ----
registry_stop
inv --resolve --baseline "$B" --output json "$WORK/w.yaml" >"$WORK/d6.json" 2>/dev/null; rc=$?
check "registry down since the baseline: exit 2 (errors), no digest-changed claimed" \
	[ "$rc:$(q "$WORK/d6.json" "[x['class'] for x in d['drift']]"):$(q "$WORK/d6.json" "len(d['errors'])")" = "2:[]:2" ]
