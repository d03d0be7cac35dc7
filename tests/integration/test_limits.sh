#!/usr/bin/env bash
# Limits and faults: client certificates, maxConnections, maxContainers,
# maxJsonDepth, maxMatchLength, and a policy failing internally (fail
# closed by default, fail open with onPolicyError: allow).
source "$(dirname "$0")/lib.sh"
make_certs
# a client certificate from the same CA (the API server's, in a cluster)
openssl ecparam -name prime256v1 -genkey -noout -out "$WORK/client.key" 2>/dev/null
openssl req -new -key "$WORK/client.key" -subj "/CN=kube-apiserver" -out "$WORK/client.csr" 2>/dev/null
openssl x509 -req -in "$WORK/client.csr" -CA "$WORK/certs/ca.crt" -CAkey "$WORK/certs/ca.key" \
	-CAcreateserial -days 1 -out "$WORK/client.crt" 2>/dev/null
"$TOP/tests/gen-cert.sh" "$WORK/other" >/dev/null   # an unrelated CA and cert

start_server --client-ca "$WORK/certs/ca.crt" >/dev/null || true   # its poll has no certificate
# readiness polling has no client cert, so poll with one
for _ in $(seq 1 50); do
	curl -s -o /dev/null --cacert "$WORK/certs/ca.crt" --cert "$WORK/client.crt" --key "$WORK/client.key" "$BASE/healthz" && break
	sleep 0.1
done
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$WORK/certs/ca.crt" --cert "$WORK/client.crt" --key "$WORK/client.key" \
	--data-binary @"$DATA/review-pod-allowed.json" "$BASE/validate")
check "client CA: a caller with a certificate from the CA is served" [ "$code" = 200 ]
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$WORK/certs/ca.crt" "$BASE/healthz")
check "client CA: a caller without a certificate is refused at the handshake" [ "$code" = 000 ]
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$WORK/certs/ca.crt" --cert "$WORK/other/tls.crt" --key "$WORK/other/tls.key" "$BASE/healthz")
check "client CA: a certificate from another CA is refused" [ "$code" = 000 ]
check "client CA: openssl s_client without a certificate fails the handshake" \
	bash -c "! timeout 5 openssl s_client -tls1_2 -connect 127.0.0.1:$PORT -CAfile '$WORK/certs/ca.crt' </dev/null >/dev/null 2>&1"
check "client CA: openssl s_client with the certificate succeeds" \
	bash -c "timeout 5 openssl s_client -tls1_2 -connect 127.0.0.1:$PORT -CAfile '$WORK/certs/ca.crt' -cert '$WORK/client.crt' -key '$WORK/client.key' </dev/null >/dev/null 2>&1"
stop_server

cat > "$WORK/limits.yaml" <<YAML
podSecurity: {level: baseline}
server:
  maxConnections: "3"
limits:
  maxJsonDepth: "20"
  maxContainers: "2"
  maxMatchLength: "32"
rules:
  - id: short-names
    assert: {path: "pod.spec.containers[*].image", op: matches, value: "^[a-z/:.0-9]+$"}
YAML
start_server --config "$WORK/limits.yaml" || exit 1
python3 - "$DATA/review-pod-allowed.json" "$WORK" <<'PY'
import json, sys, copy
d = json.load(open(sys.argv[1]))
c = d["request"]["object"]["spec"]["containers"][0]
three = copy.deepcopy(d); three["request"]["object"]["spec"]["containers"] = [dict(c, name=f"c{i}") for i in range(3)]
json.dump(three, open(sys.argv[2] + "/three.json", "w"))
longimg = copy.deepcopy(d); longimg["request"]["object"]["spec"]["containers"][0]["image"] = "registry.k8s.io/" + "a" * 40
json.dump(longimg, open(sys.argv[2] + "/long.json", "w"))
deep = copy.deepcopy(d); x = deep["request"]["object"]["metadata"]
for _ in range(20): x["n"] = {}; x = x["n"]
json.dump(deep, open(sys.argv[2] + "/deep.json", "w"))
PY
post "$WORK/three.json"
check "maxContainers: 3 containers over a limit of 2 are denied" grep -q 'more than the limit of 2 (limits.maxContainers)' <<<"$BODY"
post "$WORK/long.json"
check "maxMatchLength: a string over the limit fails the regex rule" grep -q '\[short-names\]' <<<"$BODY"
post "$DATA/review-pod-allowed.json"
check "maxMatchLength: a short image passes the same rule" grep -q '"allowed":true' <<<"$BODY"
post "$WORK/deep.json"
check "maxJsonDepth: configured bound of 20 refuses a deeper body (400)" [ "$STATUS" = 400 ]
# maxConnections: hold 3 idle connections, a 4th is closed at once, then served again
python3 - "$PORT" "$WORK/certs/ca.crt" > "$WORK/conns.out" <<'PY' &
import socket, ssl, sys, time
port, ca = int(sys.argv[1]), sys.argv[2]
ctx = ssl.create_default_context(cafile=ca)
held = []
for _ in range(3):
    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)), server_hostname="localhost")
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"); s.recv(4096); held.append(s)
print("held", flush=True)
time.sleep(3)
PY
HOLDER=$!
for _ in $(seq 1 30); do grep -q held "$WORK/conns.out" && break; sleep 0.1; done
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 3 --cacert "$WORK/certs/ca.crt" "$BASE/healthz")
check "maxConnections: a connection over the limit is closed" [ "$code" = 000 ]
wait $HOLDER
sleep 0.3
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 3 --cacert "$WORK/certs/ca.crt" "$BASE/healthz")
check "maxConnections: served again once connections close" [ "$code" = 200 ]
stop_server

# a policy that fails internally: fail closed, or open when configured
export ADMITD_FAULT_POLICY=host-ports
start_server || exit 1
post "$DATA/review-pod-allowed.json"
check "policy failure: denied (fail closed) with a message that says so" \
	grep -q 'policy host-ports failed internally' <<<"$(json_get "$BODY" '["response"]["status"]["message"]')"
check "policy failure: the server carries on" [ "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$WORK/certs/ca.crt" "$BASE/healthz")" = 200 ]
stop_server
printf 'podSecurity: {level: restricted}\nonPolicyError: allow\n' > "$WORK/open.yaml"
start_server --config "$WORK/open.yaml" || exit 1
post "$DATA/review-pod-allowed.json"
check "onPolicyError: allow fails open" [ "$(json_get "$BODY" '["response"]["allowed"]')" = true ]
check "... and warns that a policy was skipped" grep -q 'allowed: onPolicyError is allow' <<<"$BODY"
stop_server
unset ADMITD_FAULT_POLICY
