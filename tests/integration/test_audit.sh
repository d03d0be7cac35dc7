#!/usr/bin/env bash
# admitd audit: files (a recorded kubectl List, multi-document YAML, a
# broken file among good ones), all three outputs and exit codes, and
# --cluster against a stand-in API server on loopback.
source "$(dirname "$0")/lib.sh"
A=$DATA/audit

out=$("$ADMITD" audit --output json "$A/kubectl-get-all.json"); rc=$?
check "recorded kubectl List with violations exits 1" [ "$rc" = 1 ]
check "json: Deployment web reported once with its pods" \
	[ "$(json_get "$out" '["results"][[r["name"] for r in d["results"]].index("web")]["podsAffected"]')" = 2 ]
check "json: pods of web not reported on their own" \
	[ "$(json_get "$out" '[len([r for r in d["results"] if r["name"].startswith("web-")])]' 2>/dev/null || python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(len([r for r in d["results"] if r["name"].startswith("web-")]))' "$out")" = 0 ]
check "json: a standalone pod is reported" grep -q '"name": "debug"' <<<"$out"
check "json: summary counts would-deny objects" [ "$(json_get "$out" '["summary"]["wouldDeny"]')" = 2 ]
check "json: the ConfigMap is counted as not judged" [ "$(json_get "$out" '["summary"]["skipped"]["ConfigMap"]')" = 1 ]
check "json: violation names policy, action and container" \
	[ "$(json_get "$out" '["results"][0]["violations"][0]["container"]')" != "" ]

# look-alike kinds of other API groups are not judged (as in the webhook), but counted
cat > "$WORK/lookalike.yaml" <<'YAML'
apiVersion: example.com/v1
kind: Deployment
metadata: {name: crd-deploy}
spec: {template: {spec: {containers: [{name: c, image: x, securityContext: {privileged: true}}]}}}
---
apiVersion: batch.volcano.sh/v1alpha1
kind: Job
metadata: {name: volcano}
spec: {template: {spec: {containers: [{name: c, image: x, securityContext: {privileged: true}}]}}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: real}
spec: {template: {spec: {containers: [{name: c, image: x, securityContext: {privileged: true}}]}}}
YAML
out=$("$ADMITD" audit --output json "$WORK/lookalike.yaml"); rc=$?
check "look-alikes: only the apps/v1 Deployment is judged" \
	[ "$(python3 -c 'import json,sys; print(",".join(r["name"] for r in json.loads(sys.argv[1])["results"]))' "$out")" = real ]
check "  the example.com Deployment is counted as not judged, with its group" \
	[ "$(json_get "$out" '["summary"]["skipped"]["Deployment (example.com/v1)"]')" = 1 ]
check "  and so is the Volcano Job" \
	[ "$(json_get "$out" '["summary"]["skipped"]["Job (batch.volcano.sh/v1alpha1)"]')" = 1 ]

out=$("$ADMITD" audit --output table "$A/manifests.yaml"); rc=$?
check "multi-document YAML with a violation exits 1" [ "$rc" = 1 ]
check "table has a header row" grep -q '^NAMESPACE *KIND *NAME *CONTAINER *POLICY *ACTION *MESSAGE' <<<"$out"
check "table row names the CronJob and the privileged container" grep -q 'CronJob *backup *dump *privileged *deny' <<<"$out"
check "table summary by policy" grep -q '^By policy:' <<<"$out"
check "table summary by namespace" grep -q '^By namespace:' <<<"$out"

out=$("$ADMITD" audit --output json "$A/clean.yaml"); rc=$?
check "clean input exits 0" [ "$rc" = 0 ]

out=$("$ADMITD" audit --output json "$A/manifests.yaml" "$A/broken.yaml" "$A/clean.yaml" 2>"$WORK/err"); rc=$?
check "a broken file among good ones exits 2" [ "$rc" = 2 ]
check "the broken file is named with its line" grep -q 'broken.yaml:5: invalid YAML: .*begun at line 4' "$WORK/err"
check "the good files are still audited" grep -q '"name": "backup"' <<<"$out"
out=$("$ADMITD" audit --output json "$A" 2>/dev/null); rc=$?
check "a directory is walked" grep -q '"name": "backup"' <<<"$out"
out=$(cat "$A/manifests.yaml" | "$ADMITD" audit --output json - ); rc=$?
check "standard input is read" [ "$rc" = 1 ]

out=$("$ADMITD" audit --output policyreport "$A/kubectl-get-all.json")
check "policyreport: one PolicyReport per namespace" \
	[ "$(python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(sorted(i["metadata"]["namespace"] for i in d["items"]))' "$out")" = "['dev', 'prod']" ]
check "policyreport: wgpolicyk8s.io/v1alpha2" python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert {i["apiVersion"] for i in d["items"]} == {"wgpolicyk8s.io/v1alpha2"}' "$out"
check "policyreport: failing results are result=fail" grep -q '"result":"fail"' <<<"$out"
"$ADMITD" audit --output nope "$A/clean.yaml" 2>/dev/null; rc=$?
check "bad --output is a usage error (2)" [ "$rc" = 2 ]
"$ADMITD" audit 2>/dev/null; rc=$?
check "no PATH is a usage error (2)" [ "$rc" = 2 ]

# NetworkPolicy coverage, audit only
cat > "$WORK/npc.yaml" <<YAML
podSecurity: {level: privileged}
policies:
  - {id: network-policy-coverage, action: warn}
YAML
out=$("$ADMITD" audit --config "$WORK/npc.yaml" --output json "$A/netpol.yaml"); rc=$?
check "coverage: warn only, exit 0" [ "$rc" = 0 ]
check "coverage: covered workload has no violation" \
	[ "$(python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print([len(r["violations"]) for r in d["results"] if r["name"]=="web"][0])' "$out")" = 0 ]
check "coverage: uncovered egress named" grep -q 'api.*\|egress' <<<"$(python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print([v["message"] for r in d["results"] if r["name"]=="api" for v in r["violations"]])' "$out")"
check "coverage: matchExpressions NotIn excludes the batch workload from ingress" \
	grep -q 'for ingress' <<<"$(python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print([v["message"] for r in d["results"] if r["name"]=="batch" for v in r["violations"]])' "$out")"
check "coverage: other namespace has no NetworkPolicy at all" \
	[ "$(python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print([len(r["violations"]) for r in d["results"] if r["name"]=="lonely"][0])' "$out")" = 2 ]

# --cluster against the stand-in API server
start_fake_apiserver
kubeconfig s3cret
out=$("$ADMITD" audit --cluster --kubeconfig "$WORK/kubeconfig" --output json 2>"$WORK/cluster.err"); rc=$?
check "cluster: violations found, exit 1" [ "$rc" = 1 ]
check "cluster: all 5 deployments read across 3 pages" \
	[ "$(python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(len([r for r in d["results"] if r["kind"]=="Deployment"]))' "$out")" = 5 ]
check "cluster: paging followed continue tokens" grep -q 'deployments?limit=500&continue=4' "$WORK/api.log"
check "cluster: a continue token of 3,000 bytes is followed (all 3 pods read)" \
	[ "$(python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(len([r for r in d["results"] if r["kind"]=="Pod"]))' "$out")" = 3 ]
check "  and sent whole" grep -qE '^/api/v1/pods\?limit=500&continue=2%3Ak{3000}$' "$WORK/api.log"
check "cluster: 403 on StatefulSets reported, not fatal" grep -q 'cannot list StatefulSet' "$WORK/cluster.err"
check "cluster: 403 listed in summary.notListed" grep -q 'StatefulSet' <<<"$(json_get "$out" '["summary"]["notListed"]')"
check "cluster: CronJob read from batch/v1beta1 after a 404" grep -q '"name": "nightly"' <<<"$out"
# inventory reads the cluster as audit does: what it could not list, it says it does not see
out=$("$ADMITD" inventory --cluster --kubeconfig "$WORK/kubeconfig" --output json 2>"$WORK/inv.err"); rc=$?
if [ "$rc" = 0 ] && grep -q 'StatefulSet' <<<"$(json_get "$out" '["notListed"]')" &&
	grep -q 'admitd inventory: incomplete: .*cannot list StatefulSet' "$WORK/inv.err"; then
	pass "inventory --cluster: the 403 on StatefulSets in notListed and on stderr (incomplete)"
else fail "inventory --cluster: the 403 on StatefulSets in notListed and on stderr (incomplete)" "rc=$rc $(cat "$WORK/inv.err")"; fi
"$ADMITD" inventory --cluster --kubeconfig "$WORK/kubeconfig" --output json >"$WORK/inv-base.json" 2>/dev/null
out=$("$ADMITD" inventory --cluster --kubeconfig "$WORK/kubeconfig" --baseline "$WORK/inv-base.json" --output table 2>/dev/null); rc=$?
if [ "$rc" = 0 ] && grep -q 'Not listed (the inventory is incomplete)' <<<"$out" && grep -q 'StatefulSet' <<<"$out"; then
	pass "inventory --cluster --baseline: no drift, and the table says what was not listed"
else fail "inventory --cluster --baseline: no drift, and the table says what was not listed" "rc=$rc $out"; fi
out=$(KUBECONFIG="$WORK/kubeconfig" "$ADMITD" audit --cluster --output policyreport 2>/dev/null); rc=$?
check "cluster: \$KUBECONFIG works and policyreport lists namespaces" grep -q '"name":"admitd-data"' <<<"$out"
kubeconfig wrong
"$ADMITD" audit --cluster --kubeconfig "$WORK/kubeconfig" --output json >/dev/null 2>"$WORK/bad.err"; rc=$?
check "cluster: a bad token exits 2" [ "$rc" = 2 ]
check "cluster: a bad token says 401" grep -q '401 Unauthorized' "$WORK/bad.err"
kill $API_PID 2>/dev/null
