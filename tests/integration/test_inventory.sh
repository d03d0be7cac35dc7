#!/usr/bin/env bash
# admitd inventory over files: every entry field, stable json (twice, and
# with the input reordered), and drift from a baseline by class and exit
# status. Services, NetworkPolicies and the ServiceAccount come after the
# workloads they concern (network.yaml is named after workloads.yaml).
source "$(dirname "$0")/lib.sh"
I=$DATA/inventory
CFG=$I/config.yaml
inv() { "$ADMITD" inventory --config "$CFG" "$@"; }
q() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$@"; }
W='[w for w in d["workloads"] if w["name"]=="%s"][0]'
web=$(printf "$W" web); agent=$(printf "$W" agent); debug=$(printf "$W" debug)

inv --output json "$I/workloads.yaml" "$I/network.yaml" > "$WORK/base.json"; rc=$?
check "inventory over files exits 0" [ "$rc" = 0 ]
B=$WORK/base.json
check "the Deployment's ReplicaSet and pod fold into it" \
	[ "$(q "$B" '",".join(sorted(w["kind"]+"/"+w["name"] for w in d["workloads"]))')" = "DaemonSet/agent,Deployment/web,Pod/debug" ]
check "container: image as written, registry, repository, tag" \
	[ "$(q "$B" "[(c['image'],c['registry'],c['repository'],c['tag']) for c in $web['containers']][0]")" = "('nginx:1.25', 'docker.io', 'library/nginx', '1.25')" ]
check "container: digest from the reference" \
	[ "$(q "$B" "$web['containers'][1]['digest']")" = "sha256:$(printf '1%.0s' {1..64})" ]
check "container: digest from a folded pod's status imageID" \
	[ "$(q "$B" "$web['containers'][0]['digest']")" = "sha256:$(printf 'a%.0s' {1..64})" ]
check "init containers are listed" [ "$(q "$B" "$web['containers'][1]['list']")" = initContainers ]
check "container ports and hostPorts" \
	[ "$(q "$B" "$agent['containers'][0]['ports']")" = "[{'containerPort': 9100, 'hostPort': 9100, 'protocol': 'TCP'}]" ]
check "host namespaces" [ "$(q "$B" "$agent['hostNamespaces']['hostNetwork']")" = True ]
check "added capabilities" [ "$(q "$B" "$web['containers'][0]['capabilities']")" = "['NET_BIND_SERVICE']" ]
check "privileged" [ "$(q "$B" "$web['containers'][0]['privileged']")" = False ]
check "effective user: the pod's runAsNonRoot" [ "$(q "$B" "$web['containers'][0]['user']")" = non-root ]
check "effective user: the container's runAsUser 0 over the pod's" [ "$(q "$B" "$web['containers'][1]['user']")" = root ]
check "effective user: unspecified" [ "$(q "$B" "$debug['containers'][0]['user']")" = "image default" ]
check "hostPath volumes are listed, configMap not" \
	[ "$(q "$B" "$agent['volumes']")" = "[{'name': 'root', 'path': '/', 'type': 'hostPath'}]" ]
check "service account and its token: the SA (later in the input) says no" \
	[ "$(q "$B" "($web['serviceAccount']['name'],$web['serviceAccount']['tokenMounted'],$web['serviceAccount']['tokenMountedBy'])")" = "('web-sa', False, 'serviceAccount')" ]
check "service account token: the pod says no" [ "$(q "$B" "$agent['serviceAccount']['tokenMountedBy']")" = pod ]
check "service account token: mounted by default" [ "$(q "$B" "$debug['serviceAccount']['tokenMounted']")" = True ]
check "segmentation labels: required-labels' keys" \
	[ "$(q "$B" "$web['segmentationLabels']")" = "{'segment': 'frontend', 'team': 'shop'}" ]
check "NetworkPolicy coverage by name and direction" \
	[ "$(q "$B" "($web['networkPolicies']['ingress'],$web['networkPolicies']['egress'])")" = "(['web-in'], ['deny-egress'])" ]
check "a pod only the empty selector covers: egress only" \
	[ "$(q "$B" "($debug['networkPolicies']['ingress'],$debug['networkPolicies']['egress'])")" = "([], ['deny-egress'])" ]
check "Services that select it, with type and ports; LoadBalancer external" \
	[ "$(q "$B" "[(s['name'],s['type'],s['external'],s['ports'][0]['port']) for s in $web['services']]")" = "[('web', 'ClusterIP', False, 80), ('web-public', 'LoadBalancer', True, 443)]" ]
check "exposed: an external Service, or a hostPort" [ "$(q "$B" "d['cluster']['exposed']")" = "['ops/DaemonSet/agent', 'shop/Deployment/web']" ]
check "namespaces without a NetworkPolicy" [ "$(q "$B" "d['cluster']['namespacesWithoutNetworkPolicy']")" = "['ops']" ]
check "registries with counts" [ "$(q "$B" "d['cluster']['registries']['docker.io']")" = 1 ]
check "images per namespace" [ "$(q "$B" "sorted(d['namespaces']['shop']['images'])[0]")" = docker.io/library/nginx:1.25 ]

# stable: twice, and with the input reordered
inv --output json "$I/workloads.yaml" "$I/network.yaml" > "$WORK/again.json"
check "json is identical on a second run" cmp -s "$B" "$WORK/again.json"
python3 - "$I/workloads.yaml" "$I/network.yaml" "$WORK/reordered.yaml" <<'PY'
import sys
docs = []
for f in sys.argv[1:3]:
    docs += [d for d in open(f).read().split("\n---\n")]
open(sys.argv[3], "w").write("\n---\n".join(reversed(docs)) + "\n")
PY
inv --output json "$WORK/reordered.yaml" > "$WORK/reordered.json"
check "json is identical with the input reversed" cmp -s "$B" "$WORK/reordered.json"
check "no timestamps" bash -c "! grep -qi 'time' '$B'"

out=$(inv --output table "$I/workloads.yaml" "$I/network.yaml")
check "table: a row per container" grep -q '^ops *DaemonSet *agent *agent *quay.io/acme/agent:2.0 *9100(host 9100)' <<<"$out"

# drift: nothing changed
inv --baseline "$B" --output json "$I/workloads.yaml" "$I/network.yaml" > "$WORK/d0.json"; rc=$?
check "unchanged: exit 0" [ "$rc" = 0 ]
check "unchanged: no drift" [ "$(q "$WORK/d0.json" "len(d['drift'])")" = 0 ]

# drift: an image, a hostPort, a NodePort Service, a NetworkPolicy removed, a privileged DaemonSet
sed -e 's/image: nginx:1.25/image: nginx:1.26/' -e 's/ports: \[{containerPort: 8080}\]/ports: [{containerPort: 8080, hostPort: 8443}]/' \
	"$I/workloads.yaml" > "$WORK/w2.yaml"
python3 - "$I/network.yaml" "$WORK/n2.yaml" <<'PY'
import sys
docs = open(sys.argv[1]).read().split("\n---\n")
docs = [d for d in docs if "name: web-in" not in d]
docs.append("""apiVersion: v1
kind: Service
metadata: {name: agent-np, namespace: ops}
spec:
  type: NodePort
  selector: {app: agent}
  ports: [{port: 9100, nodePort: 30910}]""")
docs.append("""apiVersion: apps/v1
kind: DaemonSet
metadata: {name: root-shell, namespace: ops}
spec:
  template:
    metadata: {labels: {app: root-shell}}
    spec:
      containers:
        - {name: sh, image: quay.io/acme/agent:2.0, securityContext: {privileged: true}}""")
open(sys.argv[2], "w").write("\n---\n".join(docs) + "\n")
PY
inv --baseline "$B" --output json "$WORK/w2.yaml" "$WORK/n2.yaml" > "$WORK/d1.json"; rc=$?
check "drift: exit 1" [ "$rc" = 1 ]
D=$WORK/d1.json
has() { [ "$(q "$D" "len([x for x in d['drift'] if x['class']=='$1' and x['name']=='$2'])")" -ge 1 ]; }
check "drift: the changed image is new-image" has new-image web
check "drift: the hostPort is new-port" has new-port web
check "drift: the NodePort Service is new-external-service" has new-external-service agent
check "drift: the removed NetworkPolicy is lost-network-policy" has lost-network-policy web
check "drift: the privileged DaemonSet is new-workload" has new-workload root-shell
check "drift: and new-privilege" has new-privilege root-shell
check "drift: the json is sorted" [ "$(q "$D" "d['drift']==sorted(d['drift'],key=lambda x:(x['namespace'],x['kind'],x['name'],x['class'],x.get('container',''),x['message']))")" = True ]

out=$(inv --baseline "$B" --fail-on none --output json "$WORK/w2.yaml" "$WORK/n2.yaml"); rc=$?
check "--fail-on none: exit 0" [ "$rc" = 0 ]
inv --baseline "$B" --output json "$I/network.yaml" > "$WORK/d2.json"; rc=$?
check "removals only: exit 0 by default" [ "$rc" = 0 ]
check "removals only: removed-workload listed" [ "$(q "$WORK/d2.json" "sorted(set(x['class'] for x in d['drift']))")" = "['removed-workload']" ]
inv --baseline "$B" --fail-on removed-workload --output json "$I/network.yaml" >/dev/null; rc=$?
check "--fail-on removed-workload: exit 1" [ "$rc" = 1 ]
inv --fail-on nonsense "$I/network.yaml" >/dev/null 2>&1; rc=$?
check "--fail-on with an unknown class: exit 2" [ "$rc" = 2 ]

# same tag, another digest: a pod's status imageID
sed 's/sha256:aaaaaaaa/sha256:bbbbbbbb/' "$I/workloads.yaml" > "$WORK/w3.yaml"
inv --baseline "$B" --output json "$WORK/w3.yaml" "$I/network.yaml" > "$WORK/d3.json"; rc=$?
check "digest-changed from pod status: exit 1" [ "$rc" = 1 ]
check "digest-changed is the only drift" [ "$(q "$WORK/d3.json" "[x['class'] for x in d['drift']]")" = "['digest-changed']" ]

# drift as PolicyReports
out=$(inv --baseline "$B" --output policyreport "$WORK/w2.yaml" "$WORK/n2.yaml"); rc=$?
check "drift as policyreport: exit 1" [ "$rc" = 1 ]
check "drift results have source admitd-drift" \
	[ "$(json_get "$out" '["items"][0]["results"][0]["source"]')" = admitd-drift ]

# drift's reports are named and labelled as drift's, never as audit's, so
# that both can be stored side by side and each sweep deletes only its own
items() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$@"; }
inv --baseline "$B" --output policyreport "$WORK/w2.yaml" "$WORK/n2.yaml" > "$WORK/pr.json"
inv --baseline "$B" --output json "$WORK/w2.yaml" "$WORK/n2.yaml" > "$WORK/pr-drift.json"
check "drift reports are named admitd-drift-NS" \
	[ "$(items "$WORK/pr.json" '" ".join(i["metadata"]["name"] for i in d["items"])')" = "admitd-drift-ops admitd-drift-shop" ]
check "  labelled admitd.io/report: drift, managed by admitd" \
	[ "$(items "$WORK/pr.json" 'sorted({(i["metadata"]["labels"]["admitd.io/report"], i["metadata"]["labels"]["app.kubernetes.io/managed-by"]) for i in d["items"]})')" = "[('drift', 'admitd')]" ]
check "  every result's source is admitd-drift" \
	[ "$(items "$WORK/pr.json" 'sorted({r["source"] for i in d["items"] for r in i["results"]})')" = "['admitd-drift']" ]
one_per_item() { # one result per drift item: (namespace, name, class, message) as the json lists them
	python3 - "$WORK/pr.json" "$WORK/pr-drift.json" <<'PY'
import json, sys
rep = json.load(open(sys.argv[1]))["items"]
drift = json.load(open(sys.argv[2]))["drift"]
got = sorted((r["resources"][0]["namespace"], r["resources"][0]["name"], r["policy"], r["message"])
             for i in rep for r in i["results"])
want = sorted((x["namespace"], x["name"], x["class"], x["message"]) for x in drift)
assert got == want and len(got) > 5, (got, want)
PY
}
check "  one result per drift item" one_per_item
inv --baseline "$B" --output openreports "$WORK/w2.yaml" "$WORK/n2.yaml" > "$WORK/or.json"
check "drift OpenReports: Report admitd-drift-NS with source admitd-drift" \
	[ "$(items "$WORK/or.json" '[(i["kind"], i["metadata"]["name"], i["source"]) for i in d["items"]][0]')" = "('Report', 'admitd-drift-ops', 'admitd-drift')" ]
"$ADMITD" audit --config "$CFG" --output policyreport "$WORK/w2.yaml" "$WORK/n2.yaml" > "$WORK/audit-pr.json"
check "audit's reports keep their names, label and source (admitd-NS, audit, admitd)" \
	[ "$(items "$WORK/audit-pr.json" 'sorted({(i["metadata"]["name"], i["metadata"]["labels"]["admitd.io/report"]) + tuple({r["source"] for r in i["results"]}) for i in d["items"]})')" = "[('admitd-ops', 'audit', 'admitd'), ('admitd-shop', 'audit', 'admitd')]" ]
# a namespace's drift past one report's bytes: chunks admitd-drift-NS-2, ...
python3 - "$WORK/many.json" <<'PY'
import json, sys
ws = [{"kind": "Deployment", "namespace": "big", "name": "app-%04d" % i, "containers": []} for i in range(4000)]
json.dump({"workloads": ws}, open(sys.argv[1], "w"))
PY
inv --baseline "$WORK/many.json" --output policyreport "$I/network.yaml" > "$WORK/many-pr.json"; rc=$?
check "4,000 removed workloads: exit 0 (removals are listed, not failed)" [ "$rc" = 0 ]
check "  in chunks admitd-drift-big, admitd-drift-big-2, ..., one result each" \
	python3 -c 'import json,sys
items = [i for i in json.load(open(sys.argv[1]))["items"] if i["metadata"]["namespace"] == "big"]
names = [i["metadata"]["name"] for i in items]
assert len(items) > 1 and names == ["admitd-drift-big"] + ["admitd-drift-big-%d" % k for k in range(2, len(items) + 1)], names
assert sum(len(i["results"]) for i in items) == 4000' "$WORK/many-pr.json"
# more keys than keysort holds at once (256 KiB; 12,000 keys of about 70
# bytes): they go through its file in runs, and still come back in order
twice=$(python3 - "$WORK/big.yaml" <<'PY'
import random, sys
random.seed(7)
docs = [(i % 13, "Pod" if i % 3 else "CronJob", "w-%05d-%s" % (i, "x" * 40), "app:%d" % i) for i in range(12000)]
random.shuffle(docs)
docs.append(docs[0][:3] + ("app:last",))  # one object twice: the last wins
print("ns-%d/%s/%s" % docs[0][:3])
with open(sys.argv[1], "w") as f:
    for ns, kind, name, image in docs:
        spec = "containers: [{name: c, image: '%s'}]" % image
        if kind == "CronJob":
            spec = "schedule: '* * * * *'\n  jobTemplate: {spec: {template: {spec: {%s}}}}" % spec
        v = "batch/v1" if kind == "CronJob" else "v1"
        f.write("---\napiVersion: %s\nkind: %s\nmetadata: {name: %s, namespace: ns-%d}\nspec:\n  %s\n" % (v, kind, name, ns, spec))
PY
)
inv --output json "$WORK/big.yaml" > "$WORK/big.json"; rc=$?
check "12,000 workloads, their keys sorted through a file: exit 0" [ "$rc" = 0 ]
check "  each once, in key order (namespace/Kind/name)" python3 -c 'import json,sys
ws = json.load(open(sys.argv[1]))["workloads"]
keys = ["%s/%s/%s" % (w["namespace"], w["kind"], w["name"]) for w in ws]
assert len(keys) == 12000 and keys == sorted(set(keys), key=lambda k: k.encode()), len(keys)' "$WORK/big.json"
check "  an object given twice: the one read last" \
	[ "$(q "$WORK/big.json" '[w["containers"][0]["image"] for w in d["workloads"] if "%s/%s/%s" % (w["namespace"], w["kind"], w["name"]) == "'"$twice"'"]')" = "['app:last']" ]
inv --baseline "$WORK/big.json" --output json "$WORK/big.yaml" > "$WORK/big-drift.json"; rc=$?
check "  against itself as the baseline: no drift, exit 0" \
	[ "$rc:$(q "$WORK/big-drift.json" 'len(d["drift"])')" = 0:0 ]

# --write-reports stores them in a cluster: only with --cluster, a report format and --baseline
wr_refused() { # ARGS...: refused before anything is read, and said
	inv "$@" >/dev/null 2>"$WORK/wr.err"
	[ $? = 2 ] && grep -q -- '--write-reports goes with --cluster, --baseline' "$WORK/wr.err"
}
check "--write-reports without --cluster: exit 2, said" \
	wr_refused --baseline "$B" --output policyreport --write-reports "$I/network.yaml"
check "--write-reports without a report format: exit 2, said" \
	wr_refused --cluster --baseline "$B" --output json --write-reports
check "--write-reports without --baseline (and so without a report format): exit 2, said" \
	wr_refused --cluster --write-reports

# a baseline split into parts: a directory of inventories, merged
python3 - "$B" "$WORK/split" <<'PY'
import json, os, sys
d = json.load(open(sys.argv[1]))
by = {}
for w in d["workloads"]:
    by.setdefault(w["namespace"], []).append(w)
os.makedirs(sys.argv[2])
for ns, ws in by.items():
    json.dump({"workloads": ws}, open(os.path.join(sys.argv[2], ns + ".json"), "w"))
PY
inv --baseline "$WORK/split" --output json "$I/workloads.yaml" "$I/network.yaml" > "$WORK/ds0.json"; rc=$?
check "a baseline split per namespace (a directory): unchanged, exit 0, no drift" \
	[ "$rc:$(q "$WORK/ds0.json" "len(d['drift'])")" = 0:0 ]
inv --baseline "$WORK/split" --output json "$WORK/w2.yaml" "$WORK/n2.yaml" > "$WORK/ds1.json"; rc=$?
check "  changed: exit 1, the same drift as from the whole baseline" \
	bash -c "[ $rc = 1 ] && cmp -s '$WORK/ds1.json' '$D'"
# as the kubelet mounts a ConfigMap or Secret: keys are links into ..data
K=$WORK/mounted
mkdir -p "$K/..2024_01_01_00_00_00.000000001/" "$K/more/..2024_01_01_00_00_00.000000002"
cp "$WORK/split/shop.json" "$K/..2024_01_01_00_00_00.000000001/"
cp "$WORK/split/ops.json" "$K/more/..2024_01_01_00_00_00.000000002/"
ln -s ..2024_01_01_00_00_00.000000001 "$K/..data" && ln -s ..data/shop.json "$K/shop.json"
ln -s ..2024_01_01_00_00_00.000000002 "$K/more/..data" && ln -s ..data/ops.json "$K/more/ops.json"
inv --baseline "$K" --output json "$I/workloads.yaml" "$I/network.yaml" > "$WORK/dk.json"; rc=$?
check "  mounted ConfigMaps (links into ..data, one per subdirectory): read once each, no drift" \
	[ "$rc:$(q "$WORK/dk.json" "len(d['drift'])")" = 0:0 ]
split_refused() { # WHAT: the split baseline made bad by the caller is refused, exit 2, WHAT said
	inv --baseline "$WORK/split" --output json "$I/workloads.yaml" "$I/network.yaml" >"$WORK/ds.out" 2>"$WORK/ds.err"
	local rc=$?
	[ "$rc" = 2 ] && [ ! -s "$WORK/ds.out" ] && grep -q -- "$1" "$WORK/ds.err" || { cat "$WORK/ds.err"; return 1; }
}
cp "$WORK/split/shop.json" "$WORK/split/shop-again.json"
check "  a workload in two parts: exit 2, both files named" \
	split_refused "/split/shop.json: workloads\[0\] (shop/Deployment/web) is also in .*/split/shop-again.json"
rm "$WORK/split/shop-again.json"
head -c 200 "$WORK/split/ops.json" > "$WORK/split/zz-truncated.json"
check "  a truncated part: exit 2, the file and its error named" split_refused "zz-truncated.json: line 1: not JSON"
rm "$WORK/split/zz-truncated.json"
echo '{"results": []}' > "$WORK/split/other.json"
check "  a part that is not an inventory: exit 2, said" split_refused "other.json: not an inventory"
rm "$WORK/split/other.json"
cp "$WORK/split/ops.json" "$WORK/split/ops.json.gz"
check "  anything but *.json (not skipped silently): exit 2, said" split_refused "ops.json.gz: not a \*.json inventory"
rm "$WORK/split/ops.json.gz"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d["workloads"].append(d["workloads"][0]); json.dump(d, open(sys.argv[1], "w"))' "$WORK/split/ops.json"
check "  one workload twice in one part: exit 2, said" split_refused "ops.json: workloads\[1\] (ops/DaemonSet/agent) is there twice"
mkdir -p "$WORK/empty"
inv --baseline "$WORK/empty" "$I/network.yaml" >/dev/null 2>"$WORK/err"; rc=$?
check "  a directory with no inventory: exit 2, said" \
	bash -c "[ $rc = 2 ] && grep -q 'no \*.json inventory' '$WORK/err'"

# a baseline that is not an inventory
echo '{"results": []}' > "$WORK/bad.json"
inv --baseline "$WORK/bad.json" "$I/network.yaml" >/dev/null 2>"$WORK/err"; rc=$?
check "a baseline that is not an inventory: exit 2, said" \
	bash -c "[ $rc = 2 ] && grep -q 'not an inventory' '$WORK/err'"
cleanup
