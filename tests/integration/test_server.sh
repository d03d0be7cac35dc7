#!/usr/bin/env bash
# The webhook over real TLS: verdicts, uid echo, v1 and v1beta1, error
# statuses, health endpoints. HTTP/1.1 here; HTTP/2 in test_http2.sh.
source "$(dirname "$0")/lib.sh"
start_server || exit 1

post "$DATA/review-pod-allowed.json"
check "compliant pod is allowed (200)" [ "$STATUS" = 200 ]
check "allowed answer echoes uid" [ "$(json_get "$BODY" '["response"]["uid"]')" = 2f1c5a9e-0d7b-4c1e-9a3e-5b6f7c8d9e01 ]
check "allowed answer is allowed:true" [ "$(json_get "$BODY" '["response"]["allowed"]')" = true ]
check "answer is kind AdmissionReview v1" [ "$(json_get "$BODY" '["apiVersion"]')/$(json_get "$BODY" '["kind"]')" = admission.k8s.io/v1/AdmissionReview ]

post "$DATA/review-pod-privileged.json"
msg=$(json_get "$BODY" '["response"]["status"]["message"]')
check "privileged pod is denied" [ "$(json_get "$BODY" '["response"]["allowed"]')" = false ]
check "denial has code 403 Forbidden" [ "$(json_get "$BODY" '["response"]["status"]["code"]')/$(json_get "$BODY" '["response"]["status"]["reason"]')" = 403/Forbidden ]
check "denial names the container and field" grep -qF '[privileged] container "setup" must not set securityContext.privileged=true' <<<"$msg"
check "denial names the object" grep -qF 'Pod "web-privileged" in namespace "default"' <<<"$msg"

post "$DATA/review-pod-privileged-v1beta1.json"
check "v1beta1 review answered in v1beta1" [ "$(json_get "$BODY" '["apiVersion"]')" = admission.k8s.io/v1beta1 ]
check "v1beta1 uid echoed" [ "$(json_get "$BODY" '["response"]["uid"]')" = b3e6a1f2-1111-4c1e-9a3e-000000000002 ]
check "v1beta1 privileged pod denied" [ "$(json_get "$BODY" '["response"]["allowed"]')" = false ]

post "$DATA/review-deployment-kubectl.json"
check "kubectl-generated Deployment judged on its template (denied under restricted)" \
	grep -qF '[run-as-non-root]' <<<"$(json_get "$BODY" '["response"]["status"]["message"]')" 
post "$DATA/review-pod-delete.json"
check "DELETE is allowed" [ "$(json_get "$BODY" '["response"]["allowed"]')" = true ]
post "$DATA/review-configmap.json"
check "a ConfigMap is allowed untouched" [ "$(json_get "$BODY" '["response"]["allowed"]')" = true ]

# real apiserver requests, with ?timeout= on the path as the apiserver sends it
BODY=$(curl -sS --cacert "$WORK/certs/ca.crt" -H 'Content-Type: application/json' \
	--data-binary @"$TOP/../shared/conformance/kube-apiserver-1.20/admissionreview-pod-create.json" \
	"$BASE/validate?timeout=5s")
check "captured apiserver CREATE (privileged) is denied" [ "$(json_get "$BODY" '["response"]["allowed"]')" = false ]
check "captured apiserver CREATE uid echoed" [ "$(json_get "$BODY" '["response"]["uid"]')" = 1ee3ba26-cede-4ecd-83d0-0304eae9e1e1 ]
BODY=$(curl -sS --cacert "$WORK/certs/ca.crt" -H 'Content-Type: application/json' \
	--data-binary @"$TOP/../shared/conformance/kube-apiserver-1.20/admissionreview-pod-update.json" \
	"$BASE/validate?timeout=5s")
# a `kubectl label` of that privileged pod: the update rule lets it through, with warnings
check "captured apiserver UPDATE (kubectl label) of a privileged pod is allowed" [ "$(json_get "$BODY" '["response"]["allowed"]')" = true ]
check "  with a warning that the violation predates the update" \
	grep -qF '[privileged] (predates this update, not denied)' <<<"$(json_get "$BODY" '["response"]["warnings"]')"

# error statuses
printf '{"apiVersion":' > "$WORK/bad.json"; post "$WORK/bad.json"
check "malformed JSON -> 400" [ "$STATUS" = 400 ]
check "400 has a JSON error body" grep -q '"error"' <<<"$BODY"
printf '{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"a","uid":"b","operation":"CREATE"}}' > "$WORK/dup.json"; post "$WORK/dup.json"
check "duplicate keys -> 400" [ "$STATUS" = 400 ]
python3 -c 'print("{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":{\"uid\":\"x\",\"operation\":\"CREATE\",\"object\":" + "["*100 + "]"*100 + "}}")' > "$WORK/deep.json"; post "$WORK/deep.json"
check "deeply nested JSON -> 400" [ "$STATUS" = 400 ]
printf '{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}' > "$WORK/noreq.json"; post "$WORK/noreq.json"
check "missing request -> 400" [ "$STATUS" = 400 ]
printf '{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":[]}' > "$WORK/arrreq.json"; post "$WORK/arrreq.json"
check "non-object request -> 400" [ "$STATUS" = 400 ]
printf '{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"operation":"CREATE"}}' > "$WORK/nouid.json"; post "$WORK/nouid.json"
check "missing uid -> 400" [ "$STATUS" = 400 ]
head -c $((8 * 1024 * 1024)) /dev/zero | tr '\0' ' ' > "$WORK/huge.json"; post "$WORK/huge.json"
check "body over 7 MiB -> 413" [ "$STATUS" = 413 ]
check "  with admitd's JSON error naming the limit (HTTP/1.1)" \
	[ "$(json_get "$BODY" '["error"]')" = "request body larger than server.maxBodyBytes (7340032 bytes)" ]
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$WORK/certs/ca.crt" "$BASE/validate")
check "GET /validate -> 405" [ "$code" = 405 ]
before=$(curl -s --cacert "$WORK/certs/ca.crt" "$BASE/metrics" | sed -n 's/^admitd_requests_total{code="404"} //p')
nf=$(curl -s -D "$WORK/nf.h" -w '\n%{http_code}' --cacert "$WORK/certs/ca.crt" "$BASE/nothing-here")
check "unknown path -> 404" [ "${nf##*$'\n'}" = 404 ]
check "  as JSON, naming the path" [ "$(json_get "${nf%$'\n'*}" '["error"]' | cut -c1-31)" = "no such endpoint: /nothing-here" ]
check "  with Content-Type application/json" grep -qi '^content-type: application/json' "$WORK/nf.h"
nf=$(curl -s -w '\n%{http_code}' --cacert "$WORK/certs/ca.crt" -X POST --data '{}' "$BASE/validate/extra")
check "/validate/extra -> 404" [ "${nf##*$'\n'}" = 404 ]
check "  as JSON" grep -qF '"error":"no such endpoint: /validate/extra' <<<"$nf"
after=$(curl -s --cacert "$WORK/certs/ca.crt" "$BASE/metrics" | sed -n 's/^admitd_requests_total{code="404"} //p')
check "admitd_requests_total{code=\"404\"} counts both ($before -> $after)" [ "$after" = $((before + 2)) ]
c413=$(curl -s --cacert "$WORK/certs/ca.crt" "$BASE/metrics" | sed -n 's/^admitd_requests_total{code="413"} //p')
check "admitd_requests_total{code=\"413\"} counts the body over the limit ($c413)" [ "${c413:-0}" -ge 1 ]

# health
check "/healthz 200" [ "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$WORK/certs/ca.crt" "$BASE/healthz")" = 200 ]
check "/readyz 200 with config checksum" grep -q '"config":"[0-9a-f]\{16\}"' <<<"$(curl -s --cacert "$WORK/certs/ca.crt" "$BASE/readyz")"

# TLS
check "ALPN offers http/1.1 only by default" bash -c "! curl -s --http2 -o /dev/null -w '%{http_version}' --cacert '$WORK/certs/ca.crt' '$BASE/healthz' | grep -q '^2'"
check "TLS 1.1 client is refused" bash -c "! curl -s -o /dev/null --tlsv1.1 --tls-max 1.1 --cacert '$WORK/certs/ca.crt' '$BASE/healthz'"
check "server is still up after bad input" [ "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$WORK/certs/ca.crt" "$BASE/healthz")" = 200 ]

stop_server
check "SIGTERM exits 0" [ "$SERVER_STATUS" = 0 ]
