#!/usr/bin/env bash
# admitd audit: a report that does not lie. Folding never hides a
# violation, YAML merge keys are honoured, exempt objects are listed, links
# and cycles are read once, positions are given, and the CI flags
# (--fail-on, --namespace) and the kubeconfig default work.
source "$(dirname "$0")/lib.sh"

py() { python3 -c "import json,sys; d=json.loads(sys.argv[1]); $1" "$2"; }

# A Deployment whose template is compliant, its old ReplicaSet (privileged,
# hostNetwork) with 3 pods, and a pod of the new ReplicaSet that carries a
# privileged ephemeral debug container: 4 objects hold violations.
pod() { # name owner-rs uid privileged(true|false) [ephemeral]
	local eph=""
	[ -n "${5:-}" ] && eph=', "ephemeralContainers": [{"name": "debugger", "image": "busybox", "securityContext": {"privileged": true}}]'
	local host=""
	[ "$4" = true ] && host='"hostNetwork": true, '
	cat <<JSON
{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "$1", "namespace": "shop", "uid": "$3",
 "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "$2", "uid": "uid-$2", "controller": true}]},
 "spec": {$host"nodeName": "node-1", "containers": [{"name": "web", "image": "nginx", "securityContext": {"privileged": $4}}],
   "volumes": [{"name": "kube-api-access-x", "projected": {"sources": [{"serviceAccountToken": {"path": "token"}}]}}]$eph}}
JSON
}
rs() { # name privileged
	local host=""
	[ "$2" = true ] && host='"hostNetwork": true, '
	cat <<JSON
{"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "$1", "namespace": "shop", "uid": "uid-$1",
 "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "web", "uid": "uid-web", "controller": true}]},
 "spec": {"replicas": 3, "template": {"spec": {${host}"containers": [{"name": "web", "image": "nginx", "securityContext": {"privileged": $2}}]}}}}
JSON
}
cat > "$WORK/fold.yaml" <<YAML
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop, uid: uid-web}
spec: {template: {spec: {containers: [{name: web, image: nginx, securityContext: {privileged: false}}]}}}
---
$(rs web-old true)
---
$(rs web-new false)
---
$(pod web-old-1 web-old p1 true)
---
$(pod web-old-2 web-old p2 true)
---
$(pod web-old-3 web-old p3 true)
---
$(pod web-new-1 web-new p4 false)
---
$(pod web-new-2 web-new p5 false debug)
YAML
cfg="$WORK/baseline.yaml"
echo 'podSecurity: {level: baseline, action: deny}' > "$cfg"
out=$("$ADMITD" audit --config "$cfg" --output json "$WORK/fold.yaml"); rc=$?
check "fold: the old ReplicaSet's violations are reported (exit 1)" [ "$rc" = 1 ]
check "  all 8 objects are judged" [ "$(json_get "$out" '["summary"]["judged"]')" = 8 ]
check "  the old ReplicaSet is an entry of its own, with its 3 pods folded into it" \
	[ "$(py 'print([r.get("podsAffected") for r in d["results"] if r["name"]=="web-old"][0])' "$out")" = 3 ]
check "  and its owner is named" \
	[ "$(py 'print([r["owner"]["name"] for r in d["results"] if r["name"]=="web-old"][0])' "$out")" = web ]
check "  the Deployment is clean and has the clean pod folded in" \
	[ "$(py 'r=[r for r in d["results"] if r["name"]=="web"][0]; print(len(r["violations"]), r.get("podsAffected"))' "$out")" = "0 1" ]
check "  the pod with a privileged ephemeral container is reported on its own" \
	grep -q 'debugger' <<<"$(py 'print([v["container"] for r in d["results"] if r["name"]=="web-new-2" for v in r["violations"]])' "$out")"
check "  naming its ReplicaSet" \
	[ "$(py 'print([r["owner"]["kind"]+"/"+r["owner"]["name"] for r in d["results"] if r["name"]=="web-new-2"][0])' "$out")" = ReplicaSet/web-new ]
check "  would-deny counts the entries that deny" [ "$(json_get "$out" '["summary"]["wouldDeny"]')" = 2 ]
check "  each result names its file and the line of its document" \
	[ "$(py 'print([str(r["line"])+":"+r["source"].split("/")[-1] for r in d["results"] if r["name"]=="web-old"][0])' "$out")" = 6:fold.yaml ]

# YAML merge keys, as kubectl and Helm read them
cat > "$WORK/merge.yaml" <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: merged, namespace: shop}
spec:
  containers:
    - &c
      <<: {image: nginx, securityContext: {privileged: true}}
      name: app
    - <<: [{name: ignored-later}, {name: side, image: busybox, securityContext: {privileged: true}}]
YAML
out=$("$ADMITD" audit --config "$cfg" --output json "$WORK/merge.yaml" 2>"$WORK/merge.err"); rc=$?
check "merge keys: privileged from <<: is judged (exit 1)" [ "$rc" = 1 ]
check "  on the container that merged it" \
	[ "$(py 'print(sorted(v["container"] for r in d["results"] for v in r["violations"] if v["policy"]=="privileged"))' "$out")" = "['app', 'ignored-later']" ]
cat > "$WORK/merge-bad.yaml" <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: bad}
spec:
  containers:
    - <<: just-a-string
      name: app
YAML
"$ADMITD" audit --output json "$WORK/merge-bad.yaml" >/dev/null 2>"$WORK/mb.err"; rc=$?
check "merge keys: a scalar after << is an input error with its line (exit 2)" [ "$rc" = 2 ]
check "  saying what << takes" grep -q 'merge-bad.yaml:6: .*merge key (<<) takes a mapping' "$WORK/mb.err"

# exempt objects are listed, not silent
cat > "$WORK/exempt.yaml" <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: kube-proxy-x, namespace: kube-system}
spec: {hostNetwork: true, containers: [{name: kube-proxy, image: registry.k8s.io/kube-proxy:v1.30.0, securityContext: {privileged: true}}]}
YAML
out=$("$ADMITD" audit --output json "$WORK/exempt.yaml"); rc=$?
check "exempt: an exempt kube-system pod does not fail the audit" [ "$rc" = 0 ]
check "  but is a result, with the exemption that applied" \
	grep -q 'kube-system' <<<"$(py 'print([r["exempt"] for r in d["results"] if r["name"]=="kube-proxy-x"][0])' "$out")"
check "  and counted" [ "$(json_get "$out" '["summary"]["exempt"]')" = 1 ]
out=$("$ADMITD" audit --output table "$WORK/exempt.yaml")
check "  the table shows it as a row" grep -q '^kube-system *Pod *kube-proxy-x .*(exempt)' <<<"$out"
check "  and says 1 object, not 1 objects" grep -q '^Summary: 1 object judged, 0 would be denied, 0 violations, 1 exempt$' <<<"$out"

# links: a directory cycle and a file reached twice are read once
mkdir -p "$WORK/tree/a"
cp "$WORK/exempt.yaml" "$WORK/tree/a/pod.yaml"
ln -s ../ "$WORK/tree/a/up"
ln -s a/pod.yaml "$WORK/tree/again.yaml"
out=$(timeout 20 "$ADMITD" audit --output json "$WORK/tree"); rc=$?
check "links: a tree with a cycle is walked and ends (exit 0)" [ "$rc" = 0 ]
check "  the pod is judged once" [ "$(json_get "$out" '["summary"]["judged"]')" = 1 ]
check "  the cycle and the second name are listed as read once" \
	[ "$(py 'print(len(d["summary"]["ignored"]))' "$out")" = 2 ]

# file-level errors have no ":0"; columns follow the longest value
"$ADMITD" audit --output table "$WORK/missing.yaml" >"$WORK/miss.out" 2>"$WORK/miss.err"; rc=$?
check "errors: a missing file exits 2" [ "$rc" = 2 ]
check "  named without a line" grep -q "^$WORK/missing.yaml: cannot read" "$WORK/miss.err"
check "  in the table too" grep -q "^  $WORK/missing.yaml: cannot read" "$WORK/miss.out"
cat > "$WORK/long.yaml" <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: p, namespace: a-rather-long-namespace-name}
spec: {containers: [{name: a-container-with-a-long-name, image: x, securityContext: {privileged: true}}, {name: c, image: x, securityContext: {privileged: true}}]}
YAML
out=$("$ADMITD" audit --config "$cfg" --output table "$WORK/long.yaml")
check "table: POLICY starts at one column in the header and every row" \
	[ "$(awk '/^(NAMESPACE|a-rather)/ {print index($0, $5)}' <<<"$out" | sort -u | wc -l)" = 1 ]

# a List streams item by item, with the line of each item, whatever comes first
cat > "$WORK/list.yaml" <<'YAML'
apiVersion: v1
items:
- apiVersion: v1
  kind: Pod
  metadata: {name: one, namespace: shop}
  spec: {containers: [{name: c, image: x}]}
- apiVersion: v1
  kind: Pod
  metadata: {name: two, namespace: shop}
  spec: {containers: [{name: c, image: x, securityContext: {privileged: true}}]}
kind: List
metadata: {resourceVersion: ""}
YAML
out=$("$ADMITD" audit --config "$cfg" --output json "$WORK/list.yaml")
check "list: kubectl's List (kind after items) is read item by item, each with its line" \
	[ "$(py 'print(",".join(r["name"]+":"+str(r["line"]) for r in d["results"]))' "$out")" = one:3,two:7 ]
printf '{"kind": "PodList", "apiVersion": "v1", "items": [{"metadata": {"name": "typed", "namespace": "shop"}, "spec": {"containers": [{"name": "c", "image": "x", "securityContext": {"privileged": true}}]}}]}' > "$WORK/typed.json"
out=$("$ADMITD" audit --config "$cfg" --output json "$WORK/typed.json"); rc=$?
check "list: a typed List's items take its kind" [ "$(py 'print(d["results"][0]["kind"])' "$out")" = Pod ]

# NetworkPolicies after the workloads they cover, also on standard input
cat > "$WORK/npc.yaml" <<'YAML'
podSecurity: {level: privileged}
policies:
  - {id: network-policy-coverage, action: deny}
YAML
late=$( (grep -v -e NetworkPolicy -e '^---$' "$DATA/audit/netpol.yaml"; grep NetworkPolicy "$DATA/audit/netpol.yaml") | sed '1!s/^/---\n/')
out=$(printf '%s\n' "$late" | "$ADMITD" audit --config "$WORK/npc.yaml" --output json -)
check "netpol: a NetworkPolicy after the workload still covers it (stdin, two passes)" \
	[ "$(py 'print([len(r["violations"]) for r in d["results"] if r["name"]=="web"][0])' "$out")" = 0 ]
check "  and the one it leaves uncovered is found" \
	grep -q 'egress' <<<"$(py 'print([v["message"] for r in d["results"] if r["name"]=="api" for v in r["violations"]])' "$out")"

# --fail-on and --namespace
cat > "$WORK/warn.yaml" <<'YAML'
podSecurity: {level: baseline, action: warn}
YAML
"$ADMITD" audit --config "$WORK/warn.yaml" --output json "$WORK/long.yaml" >/dev/null; rc=$?
check "fail-on: warnings alone exit 0 by default" [ "$rc" = 0 ]
"$ADMITD" audit --config "$WORK/warn.yaml" --fail-on deny,warn --output json "$WORK/long.yaml" >/dev/null; rc=$?
check "fail-on: --fail-on deny,warn makes them exit 1" [ "$rc" = 1 ]
"$ADMITD" audit --config "$cfg" --fail-on none --output json "$WORK/long.yaml" >/dev/null; rc=$?
check "fail-on: none exits 0 on denials" [ "$rc" = 0 ]
"$ADMITD" audit --fail-on sometimes --output json "$WORK/long.yaml" >/dev/null 2>"$WORK/fo.err"; rc=$?
if [ "$rc" = 2 ] && grep -q 'fail-on takes' "$WORK/fo.err"; then
	pass "fail-on: a word that is not an action is a usage error"
else fail "fail-on: a word that is not an action is a usage error"; fi
out=$("$ADMITD" audit --config "$cfg" --namespace team-a --output json "$WORK/merge-bad.yaml" "$WORK/list.yaml" 2>/dev/null)
cat > "$WORK/nons.yaml" <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: nons}
spec: {containers: [{name: c, image: x}]}
YAML
out=$("$ADMITD" audit --config "$cfg" -n team-a --output json "$WORK/nons.yaml" "$WORK/list.yaml")
check "namespace: an object without one takes --namespace" \
	[ "$(py 'print(",".join(r["name"]+"@"+r["namespace"] for r in d["results"]))' "$out")" = nons@team-a,one@shop,two@shop ]
"$ADMITD" audit --help | grep -q '^usage: admitd audit'; rc=$?
check "help: audit --help prints its usage" [ "$rc" = 0 ]
"$ADMITD" audit -h | grep -q -- '--fail-on'; rc=$?
check "help: -h lists --fail-on" [ "$rc" = 0 ]

# Helm output: the `# Source:` comment names the chart's template
cat > "$WORK/helm.yaml" <<'YAML'
---
# Source: shop/templates/serviceaccount.yaml
apiVersion: v1
kind: ServiceAccount
metadata: {name: shop}
---
# Source: shop/templates/deployment.yaml
apiVersion: apps/v1
kind: Deployment
metadata: {name: shop}
spec: {template: {spec: {containers: [{name: web, image: nginx, securityContext: {privileged: true}}]}}}
---
apiVersion: v1
kind: Pod
metadata: {name: plain}
spec: {containers: [{name: c, image: x}]}
YAML
out=$("$ADMITD" audit --config "$cfg" --output json "$WORK/helm.yaml")
check "helm: a result names the template of its # Source: comment, and the rendered line" \
	[ "$(py 'print(";".join("%s:%s:%s" % (r["name"], r["line"], r.get("template")) for r in d["results"]))' "$out")" = "shop:8:shop/templates/deployment.yaml;plain:13:None" ]
out=$("$ADMITD" audit --config "$cfg" --output sarif "$WORK/helm.yaml")
check "helm: SARIF points at the template as a related location" \
	[ "$(py 'print(d["runs"][0]["results"][0]["relatedLocations"][0]["physicalLocation"]["artifactLocation"]["uri"])' "$out")" = shop/templates/deployment.yaml ]

# the field: a violation of a container points at that container's line
cat > "$WORK/lines.yaml" <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: lines, namespace: shop}
spec:
  containers:
    - name: ok
      image: x
    - name: bad
      image: x
      securityContext: {privileged: true}
YAML
out=$("$ADMITD" audit --config "$cfg" --output json "$WORK/lines.yaml")
check "lines: a container's violation carries the line where that container begins" \
	[ "$(py 'print([(v["container"], v["line"]) for r in d["results"] for v in r["violations"] if v["policy"] == "privileged"])' "$out")" = "[('bad', 8)]" ]
out=$("$ADMITD" audit --config "$cfg" --output sarif "$WORK/lines.yaml")
check "lines: SARIF's region is the container's line, not only the object's" \
	[ "$(py 'print([x["locations"][0]["physicalLocation"]["region"]["startLine"] for x in d["runs"][0]["results"] if x["ruleId"] == "privileged"])' "$out")" = "[8]" ]
