#!/usr/bin/env bash
# workloads: a custom resource with a pod template (an Argo Rollout) judged
# like a Deployment by the real server over TLS, counted under its own
# metrics label, reloaded away by SIGHUP, and judged by `admitd audit` in a
# file and with --cluster; a Rollout of another group never is.
source "$(dirname "$0")/lib.sh"
cat > "$WORK/admitd.yaml" <<'YAML'
podSecurity: {level: privileged}
policies:
  - {id: privileged, action: deny}
workloads:
  - group: argoproj.io
    kind: Rollout
    podTemplate: spec.template
    resource: rollouts
    versions: [v1beta1, v1alpha1]
YAML
MPORT=$(free_port)
start_server --config "$WORK/admitd.yaml" --metrics-listen 127.0.0.1:$MPORT --decision-log off || exit 1

# py EXPR JSON: EXPR of the document d (json_get only indexes into it)
py() { python3 -c 'import json,sys; d=json.loads(sys.argv[2]); print(json.dumps(eval(sys.argv[1])))' "$1" "$2"; }

# review GROUP FILE: an AdmissionReview of a privileged Rollout of GROUP
review() {
	cat > "$2" <<JSON
{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"r-1",
 "kind":{"group":"$1","version":"v1alpha1","kind":"Rollout"},
 "resource":{"group":"$1","version":"v1alpha1","resource":"rollouts"},
 "operation":"CREATE","namespace":"shop","name":"web","userInfo":{"username":"alice"},
 "object":{"apiVersion":"$1/v1alpha1","kind":"Rollout","metadata":{"name":"web","namespace":"shop"},
  "spec":{"strategy":{"canary":{}},"template":{"metadata":{"labels":{"app":"web"}},
   "spec":{"containers":[{"name":"app","image":"nginx","securityContext":{"privileged":true}}]}}}}}}
JSON
}
review argoproj.io "$WORK/rollout.json"
review example.com "$WORK/lookalike.json"

answered() { [ "$STATUS" = 200 ] && grep -q "\"allowed\":$1" <<<"$BODY"; }
post "$WORK/rollout.json"
check "server: an argoproj.io Rollout with a privileged container is denied" answered false
check "  the message names the Rollout and the container" \
	grep -q 'Rollout \\"web\\" in namespace \\"shop\\": \[privileged\] container \\"app\\"' <<<"$BODY"
post "$WORK/lookalike.json"
untouched() { answered true && ! grep -q warnings <<<"$BODY"; }
check "server: an example.com Rollout is allowed untouched" untouched
labelled() {
	local m
	m=$(curl -s --max-time 5 "http://127.0.0.1:$MPORT/metrics")
	grep -q '^admitd_decisions_total{kind="Rollout.argoproj.io",operation="CREATE",allowed="false",mode="enforce"} 1$' <<<"$m" &&
		grep -q '^admitd_decisions_total{kind="other",operation="CREATE",allowed="true",mode="enforce"} 1$' <<<"$m"
}
check "metrics: the Rollout is counted as Rollout.argoproj.io, the look-alike as other" labelled

# a reload without the entry: the same Rollout is a custom resource admitd does not judge
printf 'podSecurity: {level: privileged}\npolicies:\n  - {id: privileged, action: deny}\n' > "$WORK/next.yaml"
mv "$WORK/next.yaml" "$WORK/admitd.yaml"
kill -HUP "$SERVER_PID"
for _ in $(seq 1 40); do grep -q 'configuration reloaded' "$SERVER_LOG" && break; sleep 0.1; done
post "$WORK/rollout.json"
check "after a reload without workloads: the Rollout is allowed" answered true
stop_server

# admitd audit of a file: the Rollout is judged, the look-alike counted as not judged
cat > "$WORK/audit.yaml" <<'YAML'
podSecurity: {level: privileged}
policies:
  - {id: privileged, action: deny}
workloads:
  - {group: argoproj.io, kind: Rollout, podTemplate: spec.template, resource: rollouts, versions: [v1beta1, v1alpha1]}
YAML
cat > "$WORK/rollouts.yaml" <<'YAML'
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: web, namespace: shop}
spec:
  strategy: {canary: {}}
  template:
    spec: {containers: [{name: app, image: nginx, securityContext: {privileged: true}}]}
---
apiVersion: example.com/v1
kind: Rollout
metadata: {name: other, namespace: shop}
spec: {template: {spec: {containers: [{name: app, image: nginx, securityContext: {privileged: true}}]}}}
YAML
out=$("$ADMITD" audit --config "$WORK/audit.yaml" --output json "$WORK/rollouts.yaml"); rc=$?
check "audit: a file with a privileged Rollout exits 1" [ "$rc" = 1 ]
check "audit: the argoproj.io Rollout is the one result, denied by privileged" \
	[ "$(py '[(r["kind"], r["name"], r["allowed"], r["violations"][0]["policy"]) for r in d["results"]]' "$out")" = '[["Rollout", "web", false, "privileged"]]' ]
check "audit: the example.com Rollout is counted as not judged, with its group" \
	[ "$(json_get "$out" '["summary"]["skipped"]["Rollout (example.com/v1)"]')" = 1 ]
"$ADMITD" audit --output json "$WORK/rollouts.yaml" > /dev/null; rc=$?
check "audit: without workloads, neither Rollout is judged (exit 0)" [ "$rc" = 0 ]

# admitd audit --cluster lists the Rollouts at the first version the API server serves
start_fake_apiserver
kubeconfig s3cret
out=$("$ADMITD" audit --config "$WORK/audit.yaml" --cluster --kubeconfig "$WORK/kubeconfig" --output json 2>/dev/null)
listed() {
	grep -q '^/apis/argoproj.io/v1beta1/rollouts?' "$WORK/api.log" &&
		grep -q '^/apis/argoproj.io/v1alpha1/rollouts?' "$WORK/api.log"
}
check "cluster: Rollouts listed at v1alpha1 after a 404 at v1beta1" listed
check "cluster: the privileged Rollout is reported" \
	[ "$(py '[r["name"] for r in d["results"] if r["kind"] == "Rollout"]' "$out")" = '["canary"]' ]
kill $API_PID 2>/dev/null
