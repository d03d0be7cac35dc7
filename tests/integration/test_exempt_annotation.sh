#!/usr/bin/env bash
# The admitd.io/exempt annotation: `admitd audit --output json` honours it in
# any namespace and lists the exemption quoting it; the real server over
# TLS ignores it (and says so) outside exemptions.annotationNamespaces, and
# honours it inside, with the reason in the audit annotation `exempt`.
source "$(dirname "$0")/lib.sh"
cat > "$WORK/admitd.yaml" <<'YAML'
podSecurity: {level: baseline}
exemptions:
  annotationNamespaces: ["ci-*"]
YAML
cat > "$WORK/objects.yaml" <<'YAML'
apiVersion: v1
kind: Pod
metadata:
  name: debug
  namespace: shop
  annotations: {admitd.io/exempt: "privileged"}
spec:
  containers: [{name: c, image: nginx, securityContext: {privileged: true}}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: agent, namespace: shop}
spec:
  template:
    metadata:
      annotations: {admitd.io/exempt: "host-namespaces"}
    spec:
      hostNetwork: true
      containers: [{name: c, image: nginx}]
YAML
py() { python3 -c 'import json,sys; d=json.loads(sys.argv[2]); print(json.dumps(eval(sys.argv[1])))' "$1" "$2"; }

out=$("$ADMITD" audit --config "$WORK/admitd.yaml" --output json "$WORK/objects.yaml"); rc=$?
check "audit: both objects exempted by their annotation, nothing fails (exit 0)" [ "$rc" = 0 ]
check "audit: the pod's exemption quotes its annotation" \
	[ "$(py '[r["exemptions"] for r in d["results"] if r["name"] == "debug"]' "$out")" = \
	'[[{"policy": "privileged", "reason": "annotation admitd.io/exempt: \"privileged\" (metadata.annotations)"}]]' ]
check "audit: the Deployment's is read on its pod template" \
	[ "$(py '[e["reason"] for r in d["results"] if r["name"] == "agent" for e in r["exemptions"]]' "$out")" = \
	'["annotation admitd.io/exempt: \"host-namespaces\" (spec.template.metadata.annotations)"]' ]
check "audit: no violation is left" [ "$(py 'sum(len(r["violations"]) for r in d["results"])' "$out")" = 0 ]

# the webhook: the same pod as a review in namespace NS
review() {
	cat > "$WORK/review-$1.json" <<JSON
{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"x",
 "kind":{"group":"","version":"v1","kind":"Pod"},"operation":"CREATE","namespace":"$1",
 "name":"debug","userInfo":{"username":"alice"},
 "object":{"apiVersion":"v1","kind":"Pod","metadata":{"name":"debug","namespace":"$1",
  "annotations":{"admitd.io/exempt":"privileged"}},
  "spec":{"containers":[{"name":"c","image":"nginx","securityContext":{"privileged":true}}]}}}}
JSON
}
start_server --config "$WORK/admitd.yaml" --decision-log off || exit 1
review shop
post "$WORK/review-shop.json"
check "server: in a namespace not listed the annotation is ignored: denied" grep -q '"allowed":false' <<<"$BODY"
check "  and kubectl is told why" \
	grep -q '\[admitd\] the annotation admitd.io/exempt is ignored: namespace \\"shop\\" is not in exemptions.annotationNamespaces' <<<"$BODY"
review ci-build
post "$WORK/review-ci-build.json"
check "server: in ci-build (listed as ci-*) it is honoured: allowed" grep -q '"allowed":true' <<<"$BODY"
check "  with the exemption in the audit annotation exempt" \
	[ "$(json_get "$BODY" '["response"]["auditAnnotations"]["exempt"]')" = \
	'privileged: annotation admitd.io/exempt: "privileged" (metadata.annotations)' ]
