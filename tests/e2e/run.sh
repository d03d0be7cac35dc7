#!/usr/bin/env bash
# End-to-end test (issue 4): admitd behind a real kube-apiserver v1.20.2.
#
#   ADMITD=build/admitd tests/e2e/run.sh
#
# Starts etcd, the kube-apiserver (tests/e2e/build-apiserver.sh builds it
# once and caches it) and admitd, all on 127.0.0.1 with free ports, a CA
# generated for the run, serving certificates from that CA, a service-account
# key pair and a static admin token. admitd is registered with the
# ValidatingWebhookConfiguration rendered from manifests/base, switched to a
# `url:` client config (there is no cluster network for the Service). Then
# every check runs with kubectl against that API server; no nodes exist, so
# pods stay Pending: admission is what is tested.
#
# Prints one ok/FAIL line per check and appends pass/fail to $RESULTS, like
# tests/integration. Every process is stopped by its PID on exit, also when a
# step fails or the deadline ($E2E_DEADLINE seconds, default 900) passes.
#
# Environment: ADMITD (required), KUBE_APISERVER (skip the build script and
# use this binary), E2E_KEEP=1 (keep the work directory; it is always kept
# when a check failed), E2E_DEADLINE.
# shellcheck disable=SC2016 # bash -c '...' _ ARGS: the inner shell expands them
set -u

: "${ADMITD:?set ADMITD to the admitd binary}"
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
case $ADMITD in /*) ;; *) ADMITD=$PWD/$ADMITD ;; esac
# before anything runs: one FAIL line, counted in the caller's $RESULTS
early_fail() { echo "FAIL e2e: $1"; [ -n "${RESULTS:-}" ] && echo fail >> "$RESULTS"; exit 1; }
[ -x "$ADMITD" ] || early_fail "ADMITD=$ADMITD is not executable"
DEADLINE=${E2E_DEADLINE:-900}
T0=$(date +%s)

# The API server comes first: the build (first run only) is not part of the deadline.
if [ -z "${KUBE_APISERVER:-}" ]; then
	KUBE_APISERVER=$("$HERE/build-apiserver.sh") || early_fail "no kube-apiserver (tests/e2e/build-apiserver.sh failed)"
fi

WORK=$(mktemp -d /tmp/admitd-e2e.XXXXXX)
MINE=$WORK/results # this run's own counts; also appended to the caller's $RESULTS
OUTER=${RESULTS:-}
ETCD_PID='' APISERVER_PID='' ADMITD_PID='' LOAD_PID='' WATCHDOG_PID=''
ADMITD_N=0 # admitd instances started so far (each gets its own log files)

# ---- processes ----

# stop_pid PID: SIGTERM, up to 10 s to exit, then SIGKILL; reaps it.
stop_pid() {
	local pid=$1 _
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }
	for _ in $(seq 1 100); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return 0
}

cleanup() {
	local st=$?
	trap - EXIT INT TERM
	[ -n "$LOAD_PID" ] && stop_load
	stop_pid "$ADMITD_PID"
	stop_pid "$APISERVER_PID"
	stop_pid "$ETCD_PID"
	[ -n "$WATCHDOG_PID" ] && stop_pid "$WATCHDOG_PID"
	local passed failed
	passed=$(grep -c '^pass$' "$MINE" 2>/dev/null)
	failed=$(grep -c '^fail$' "$MINE" 2>/dev/null)
	[ -n "$OUTER" ] && [ -f "$MINE" ] && cat "$MINE" >> "$OUTER"
	echo "e2e: ${passed:-0} passed, ${failed:-0} failed ($(( $(date +%s) - T0 ))s)"
	if [ "${failed:-0}" -gt 0 ] || [ "${E2E_KEEP:-0}" = 1 ] || [ "$st" -ne 0 ]; then
		echo "e2e: logs kept in $WORK"
	else
		rm -rf "$WORK"
	fi
	[ "$st" -eq 0 ] && [ "${failed:-0}" -eq 0 ] && [ "${passed:-0}" -gt 0 ] && exit 0
	exit 1
}
trap cleanup EXIT
trap 'echo "FAIL e2e: interrupted"; echo fail >> "$MINE"; exit 1' INT TERM
# Whatever hangs, the run ends: the watchdog signals this shell, whose trap stops everything.
(
	end=$(( $(date +%s) + DEADLINE ))
	while [ "$(date +%s)" -lt "$end" ]; do sleep 1; done
	echo "FAIL e2e: deadline of ${DEADLINE}s passed"
	kill -TERM $$
) </dev/null &
WATCHDOG_PID=$!

# ---- results ----

pass() { echo "ok   $1"; echo pass >> "$MINE"; }
fail() {
	echo "FAIL $1${2:+: $2}"
	echo fail >> "$MINE"
	# what the last command said, to see why without opening the logs
	[ -n "${OUT:-}" ] && tail -n 12 <<<"$OUT" | sed 's/^/     | /'
	return 0
}
# check NAME COMMAND...: passes when the command succeeds.
check() {
	local name=$1; shift
	if "$@"; then pass "$name"; else fail "$name"; fi
}
section() { echo "== $*"; }
# show TEXT: prints the last output from TEXT (a fixed string) to the end of
# its line, as kubectl printed it, cut at 200 characters
show() {
	local line
	case $OUT in *"$1"*) ;; *) return 0 ;; esac
	line=$1${OUT#*"$1"}
	line=${line%%$'\n'*}
	[ ${#line} -gt 200 ] && line="${line:0:197}..."
	echo "     > $line"
}
# setup steps: a failure ends the run (nothing after it would mean anything)
must() {
	local name=$1; shift
	if "$@"; then pass "$name"; else fail "$name"; exit 1; fi
}

# ---- kubectl ----

KC=$WORK/kubeconfig
# kk ARGS...: kubectl against the test API server; output in $OUT, status in $RC.
kk() {
	OUT=$(timeout 60 kubectl --kubeconfig "$KC" --request-timeout=30s \
		--cache-dir "$WORK/kube-cache" "$@" 2>&1)
	RC=$?
}
ok_rc() { [ "$RC" -eq 0 ]; }
# has STRING...: the last output contains every string (fixed strings)
has() {
	local s
	for s in "$@"; do grep -qF -- "$s" <<<"$OUT" || return 1; done
}
lacks() { ! grep -qF -- "$1" <<<"$OUT"; }
# refused STRING...: the last command failed with admitd's denial carrying every string
# shellcheck disable=SC2120 # called through check with the strings
refused() { [ "$RC" -ne 0 ] && has 'admission webhook "validate.admitd.io" denied the request' "$@"; }
# accepted_warning STRING...: the last command succeeded and kubectl printed each as a warning
accepted_warning() {
	local s
	ok_rc || return 1
	for s in "$@"; do grep '^Warning:' <<<"$OUT" | grep -qF -- "$s" || return 1; done
}
# absent KIND NAME NAMESPACE: the object is not stored
absent() {
	local save=$OUT
	kk get "$1" "$2" -n "$3" -o name
	local r=$RC o=$OUT
	OUT=$save
	[ "$r" -ne 0 ] && grep -q NotFound <<<"$o"
}
present() {
	local save=$OUT
	kk get "$1" "$2" -n "$3" -o name
	local r=$RC
	OUT=$save
	[ "$r" -eq 0 ]
}
# eventually SECONDS COMMAND...: retries COMMAND every 0.5 s until it succeeds
eventually() {
	local until=$(( $(date +%s) + $1 )); shift
	while :; do
		"$@" && return 0
		[ "$(date +%s)" -ge "$until" ] && return 1
		sleep 0.5
	done
}

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}
# wait_http SECONDS URL CURL-ARGS...: until URL answers 200
wait_http() {
	local secs=$1 url=$2; shift 2
	local until=$(( $(date +%s) + secs ))
	while [ "$(date +%s)" -lt "$until" ]; do
		[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$@" "$url")" = 200 ] && return 0
		sleep 0.3
	done
	return 1
}

# ---- objects ----

# podspec VARIANT INDENT: a pod spec. good: restricted-compliant with limits;
# nolimits: compliant but no resources.limits (the warn policy);
# priv: a privileged container (without allowPrivilegeEscalation: false, which
# the API server itself refuses with privileged: true).
podspec() {
	local pad
	pad=$(printf '%*s' "$2" '')
	case $1 in
	good | nolimits)
		cat <<-'YAML'
		securityContext:
		  runAsNonRoot: true
		  runAsUser: 65532
		  seccompProfile: {type: RuntimeDefault}
		containers:
		  - name: app
		    image: registry.k8s.io/pause:3.2
		    securityContext:
		      allowPrivilegeEscalation: false
		      capabilities: {drop: [ALL]}
		YAML
		[ "$1" = good ] && echo "    resources: {limits: {cpu: 100m, memory: 32Mi}}"
		;;
	priv)
		cat <<-'YAML'
		containers:
		  - name: app
		    image: registry.k8s.io/pause:3.2
		    resources: {limits: {cpu: 100m, memory: 32Mi}}
		    securityContext: {privileged: true}
		YAML
		;;
	esac | sed "s/^/$pad/"
}

# pod NAME NAMESPACE VARIANT [LABELS as k: v, ...]
pod() {
	cat <<-YAML
	apiVersion: v1
	kind: Pod
	metadata:
	  name: $1
	  namespace: $2
	  labels: {app: e2e${4:+, $4}}
	spec:
	YAML
	podspec "$3" 2
}

# workload KIND NAME NAMESPACE VARIANT: a Deployment, StatefulSet or CronJob
workload() {
	case $1 in
	Deployment | StatefulSet)
		cat <<-YAML
		apiVersion: apps/v1
		kind: $1
		metadata: {name: $2, namespace: $3}
		spec:
		  replicas: 1
		  selector: {matchLabels: {app: $2}}
		YAML
		[ "$1" = StatefulSet ] && echo "  serviceName: $2"
		cat <<-YAML
		  template:
		    metadata: {labels: {app: $2}}
		    spec:
		YAML
		podspec "$4" 6
		;;
	CronJob) # batch/v1beta1: CronJob is not in batch/v1 before 1.21
		cat <<-YAML
		apiVersion: batch/v1beta1
		kind: CronJob
		metadata: {name: $2, namespace: $3}
		spec:
		  schedule: "*/5 * * * *"
		  jobTemplate:
		    spec:
		      template:
		        spec:
		          restartPolicy: Never
		YAML
		podspec "$4" 10
		;;
	esac
}

namespace() {
	printf 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: %s\n' "$1"
}

# ---- admitd configurations ----

# C1: restricted at deny, resource limits at warn, two rules that make an
# UPDATE's new labels and annotations count. No namespace exemption: only
# the webhook's namespaceSelector keeps kube-system and admitd out.
cat > "$WORK/enforce.yaml" <<'YAML'
mode: enforce
podSecurity: {level: restricted, action: deny}
policies:
  - id: resource-limits
    action: warn
rules:
  - id: no-bad-label
    action: deny
    assert: {path: metadata.labels.bad, op: absent}
    message: "the label bad is not allowed"
  - id: no-bad-annotation
    action: deny
    assert: {path: metadata.annotations.bad, op: absent}
    message: "the annotation bad is not allowed"
YAML
# C2: C1 plus a required team label; the SIGHUP reload switches to it.
cat "$WORK/enforce.yaml" > "$WORK/stricter.yaml"
sed -i 's/^policies:$/policies:\n  - id: required-labels\n    action: deny\n    labels: [{key: team}]/' "$WORK/stricter.yaml"
CONFIG=$WORK/admitd.yaml # the file the running admitd reads and reloads

# start_admitd [ARGS...]: a new admitd instance on $ADMITD_PORT, waits for /readyz.
start_admitd() {
	ADMITD_N=$((ADMITD_N + 1))
	ADMITD_LOG=$WORK/admitd.$ADMITD_N.log
	DECISIONS=$WORK/decisions.$ADMITD_N.log
	"$ADMITD" serve --config "$CONFIG" --listen "127.0.0.1:$ADMITD_PORT" \
		--cert "$WORK/pki/admitd.crt" --key "$WORK/pki/admitd.key" --threads 2 \
		--decision-log "$DECISIONS" "$@" </dev/null >"$ADMITD_LOG" 2>&1 &
	ADMITD_PID=$!
	wait_http 20 "https://127.0.0.1:$ADMITD_PORT/readyz" --cacert "$WORK/pki/ca.crt"
}
stop_admitd() { stop_pid "$ADMITD_PID"; ADMITD_PID=; }
# stop_load: the load loop ends after its current request (bounded by its timeout)
stop_load() {
	local _
	touch "$WORK/load.stop"
	for _ in $(seq 1 70); do kill -0 "$LOAD_PID" 2>/dev/null || break; sleep 0.5; done
	stop_pid "$LOAD_PID"
	LOAD_PID=
}

# decisions_about NAMESPACE: how many decisions the current admitd logged for it
decisions_about() {
	python3 - "$DECISIONS" "$1" <<-'PY'
	import json, sys
	n = 0
	for line in open(sys.argv[1]):
	    try:
	        n += json.loads(line).get("namespace") == sys.argv[2]
	    except ValueError:
	        pass
	print(n)
	PY
}

# ================================================================ setup
section "setup: certificates, etcd, kube-apiserver, admitd, webhook configuration"
echo "     kube-apiserver: $KUBE_APISERVER"

mkdir -p "$WORK/pki" "$WORK/etcd" "$WORK/obj"
make_pki() (
	set -e
	cd "$WORK/pki"
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ca.key 2>/dev/null
	openssl req -x509 -new -key ca.key -subj /CN=admitd-e2e-ca -days 2 -out ca.crt \
		-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
	for who in apiserver admitd; do
		openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out $who.key 2>/dev/null
		openssl req -new -key $who.key -subj "/CN=$who" -out $who.csr
		printf '%s\n' 'basicConstraints=CA:FALSE' 'keyUsage=critical,digitalSignature' \
			'extendedKeyUsage=serverAuth' 'subjectAltName=IP:127.0.0.1,DNS:localhost' > $who.ext
		openssl x509 -req -in $who.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
			-extfile $who.ext -out $who.crt 2>/dev/null
	done
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out sa.key 2>/dev/null
	openssl pkey -in sa.key -pubout -out sa.pub
	TOKEN=$(openssl rand -hex 24)
	echo "$TOKEN,admin,admin-uid,\"system:masters\"" > tokens.csv
	echo "$TOKEN" > admin.token
	chmod 600 ./*.key tokens.csv admin.token
)
must "CA, serving certificates (API server, admitd), service-account keys, admin token" make_pki
TOKEN=$(cat "$WORK/pki/admin.token")

ETCD_PORT=$(free_port) ETCD_PEER=$(free_port) API_PORT=$(free_port) ADMITD_PORT=$(free_port)
API=https://127.0.0.1:$API_PORT

etcd --name e2e --data-dir "$WORK/etcd" --logger zap --log-level warn \
	--listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
	--listen-peer-urls "http://127.0.0.1:$ETCD_PEER" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER" \
	--initial-cluster "e2e=http://127.0.0.1:$ETCD_PEER" </dev/null >"$WORK/etcd.log" 2>&1 &
ETCD_PID=$!
must "etcd serves on 127.0.0.1:$ETCD_PORT" wait_http 30 "http://127.0.0.1:$ETCD_PORT/health"

# No proxy from the environment may carry the webhook call off the machine.
env -u http_proxy -u https_proxy -u HTTP_PROXY -u HTTPS_PROXY -u no_proxy -u NO_PROXY \
	"$KUBE_APISERVER" \
	--bind-address=127.0.0.1 --secure-port="$API_PORT" --insecure-port=0 \
	--advertise-address=127.0.0.1 --etcd-servers="http://127.0.0.1:$ETCD_PORT" \
	--tls-cert-file="$WORK/pki/apiserver.crt" --tls-private-key-file="$WORK/pki/apiserver.key" \
	--client-ca-file="$WORK/pki/ca.crt" --token-auth-file="$WORK/pki/tokens.csv" \
	--authorization-mode=RBAC \
	--service-account-key-file="$WORK/pki/sa.pub" \
	--service-account-signing-key-file="$WORK/pki/sa.key" \
	--service-account-issuer=https://kubernetes.default.svc.cluster.local \
	--service-cluster-ip-range=10.0.0.0/24 --allow-privileged=true \
	--disable-admission-plugins=ServiceAccount --endpoint-reconciler-type=none \
	--cert-dir="$WORK/apiserver-certs" --profiling=false --v=1 \
	</dev/null >"$WORK/apiserver.log" 2>&1 &
APISERVER_PID=$!
must "kube-apiserver ready on $API" wait_http 120 "$API/readyz" --cacert "$WORK/pki/ca.crt" -H "Authorization: Bearer $TOKEN"

cat > "$KC" <<YAML
apiVersion: v1
kind: Config
clusters:
  - name: e2e
    cluster: {server: "$API", certificate-authority: "$WORK/pki/ca.crt"}
users:
  - name: admin
    user: {token: "$TOKEN"}
contexts:
  - name: e2e
    context: {cluster: e2e, user: admin, namespace: e2e}
current-context: e2e
YAML
kk version -o json
must "kubectl reaches the API server (v1.20.2) with the kubeconfig" has '"gitVersion": "v1.20.2'

cp "$WORK/enforce.yaml" "$CONFIG"
must "admitd serves on 127.0.0.1:$ADMITD_PORT (certificate from the same CA)" start_admitd

# The project's webhook configuration, switched to a url: client config.
render_webhook() {
	kubectl kustomize "$TOP/manifests/base" > "$WORK/rendered.yaml" 2>"$WORK/render.err" || return 1
	python3 - "$WORK/rendered.yaml" "https://127.0.0.1:$ADMITD_PORT/validate" "$WORK/pki/ca.crt" \
		"$WORK/obj/webhook.json" "$WORK/obj/admitd-namespace.json" <<-'PY'
	import base64, json, sys, yaml
	docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
	vwc = [d for d in docs if d["kind"] == "ValidatingWebhookConfiguration"]
	hooks = [w for d in vwc for w in d["webhooks"] if w["name"] == "validate.admitd.io"]
	assert len(vwc) == 1 and len(hooks) == 1, "no single validate.admitd.io webhook"
	ca = base64.b64encode(open(sys.argv[3], "rb").read()).decode()
	hooks[0]["clientConfig"] = {"url": sys.argv[2], "caBundle": ca}
	json.dump(vwc[0], open(sys.argv[4], "w"), indent=1)
	ns = [d for d in docs if d["kind"] == "Namespace"]
	assert len(ns) == 1
	json.dump(ns[0], open(sys.argv[5], "w"), indent=1)
	PY
}
must "webhook configuration rendered from manifests/base (kubectl kustomize), url: client config" render_webhook
kk apply -f "$WORK/obj/admitd-namespace.json"
must "admitd's namespace from the manifests is created" ok_rc
kk apply -f "$WORK/obj/webhook.json"
must "ValidatingWebhookConfiguration applied" ok_rc
# The rest of the install (Deployment, Service, ConfigMap, ServiceAccount,
# NetworkPolicy, PodDisruptionBudget) as the API server validates it. 1.20
# serves PodDisruptionBudget only as policy/v1beta1 (same fields), so the
# test sends it that way; the manifests target 1.21+ (docs/operations.md).
install_rest() {
	python3 - "$WORK/rendered.yaml" "$WORK/obj/rest.json" <<-'PY'
	import json, sys, yaml
	docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
	rest = [d for d in docs if d["kind"] not in ("Namespace", "ValidatingWebhookConfiguration")]
	for d in rest:
	    if d["kind"] == "PodDisruptionBudget" and d["apiVersion"] == "policy/v1":
	        d["apiVersion"] = "policy/v1beta1"
	kinds = sorted({d["kind"] for d in rest})
	assert {"Deployment", "Service", "ConfigMap", "ServiceAccount"} <= set(kinds), kinds
	json.dump({"apiVersion": "v1", "kind": "List", "items": rest}, open(sys.argv[2], "w"))
	PY
	kk apply --dry-run=server -f "$WORK/obj/rest.json"
	ok_rc && has "deployment.apps/admitd" && has "service/admitd"
}
check "the rest of manifests/base is accepted by the API server (kubectl apply --dry-run=server)" install_rest
echo "     > $(grep -c 'server dry run' <<<"$OUT") objects accepted: $(grep -o '^[a-z.]*/[a-z-]*' <<<"$OUT" | tr '\n' ' ')"
make_namespaces() {
	local ns
	for ns in e2e e2e-dryrun; do kk apply -f - <<<"$(namespace $ns)"; ok_rc || return 1; done
}
must "test namespaces e2e and e2e-dryrun created" make_namespaces
# The API server picks the configuration up asynchronously.
webhook_active() {
	kk create --dry-run=server -f - <<<"$(pod probe e2e priv)"
	refused
}
must "the API server calls admitd (a probe is refused within 30 s)" eventually 30 webhook_active

# ================================================================ benchmark mode
# E2E_BENCH_PODS=N (make bench): create N compliant pods through the API
# server and report admitd's share of pod-creation latency as the cluster
# sees it, from the API server's own histograms; then stop.
if [ -n "${E2E_BENCH_PODS:-}" ]; then
	section "benchmark: $E2E_BENCH_PODS pods through the API server"
	python3 - "$E2E_BENCH_PODS" > "$WORK/bench-pods.yaml" <<-'PY'
	import sys
	for i in range(int(sys.argv[1])):
	    print(f"""---
	apiVersion: v1
	kind: Pod
	metadata: {{name: bench-{i}, namespace: e2e, labels: {{app: bench}}}}
	spec:
	  securityContext: {{runAsNonRoot: true, seccompProfile: {{type: RuntimeDefault}}}}
	  containers:
	  - name: app
	    image: registry.k8s.io/pause:3.9
	    securityContext: {{allowPrivilegeEscalation: false, capabilities: {{drop: [ALL]}}}}""")
	PY
	curl -s --max-time 10 --cacert "$WORK/pki/ca.crt" -H "Authorization: Bearer $TOKEN" "$API/metrics" > "$WORK/m0.txt"
	t0=$(date +%s%N)
	timeout 600 kubectl --kubeconfig "$KC" --request-timeout=60s create -f "$WORK/bench-pods.yaml" >/dev/null 2>"$WORK/bench.err"
	rc=$?
	t1=$(date +%s%N)
	curl -s --max-time 10 --cacert "$WORK/pki/ca.crt" -H "Authorization: Bearer $TOKEN" "$API/metrics" > "$WORK/m1.txt"
	check "$E2E_BENCH_PODS pods created through admitd" [ "$rc" = 0 ]
	python3 - "$WORK/m0.txt" "$WORK/m1.txt" "$E2E_BENCH_PODS" "$(( (t1 - t0) / 1000000 ))" <<-'PY'
	import re, sys
	def hist(path, name, want):
	    b, s, c = {}, 0.0, 0.0
	    for line in open(path):
	        m = re.match(name + r'_(bucket|sum|count)\{(.*)\} (\S+)$', line.strip())
	        if not m or not all(w in m.group(2) for w in want):
	            continue
	        v = float(m.group(3))
	        if m.group(1) == "bucket":
	            le = re.search(r'le="([^"]+)"', m.group(2)).group(1)
	            b[le] = b.get(le, 0) + v
	        elif m.group(1) == "sum":
	            s += v
	        else:
	            c += v
	    return b, s, c
	def delta(name, want):
	    b0, s0, c0 = hist(sys.argv[1], name, want)
	    b1, s1, c1 = hist(sys.argv[2], name, want)
	    return {k: b1[k] - b0.get(k, 0) for k in b1}, s1 - s0, c1 - c0
	def pct(b, c, q):
	    for le in sorted((k for k in b if k != "+Inf"), key=float):
	        if b[le] >= q * c:
	            return "<= %g ms" % (float(le) * 1000)
	    return "> largest bucket"
	wb, ws, wc = delta("apiserver_admission_webhook_admission_duration_seconds", ['name="validate.admitd.io"'])
	rb, rs, rc = delta("apiserver_request_duration_seconds", ['verb="POST"', 'resource="pods"'])
	n, ms = int(sys.argv[3]), int(sys.argv[4])
	print("     pods created: %d in %d ms (kubectl create, one client)" % (n, ms))
	if wc:
	    print("     admitd as the API server sees it: %d calls, mean %.2f ms, p50 %s, p99 %s"
	          % (wc, 1000 * ws / wc, pct(wb, wc, 0.5), pct(wb, wc, 0.99)))
	if rc:
	    print("     pod POST in the API server:      %d requests, mean %.2f ms" % (rc, 1000 * rs / rc))
	if wc and rc:
	    print("     admitd's share of pod-creation latency: %.1f%%" % (100 * (ws / wc) / (rs / rc)))
	PY
	exit 0
fi

# ================================================================ pods
section "pods"
kk apply -f - <<<"$(pod good e2e good)"
check "a compliant Pod is created" ok_rc
check "  and carries no warning" lacks "Warning:"
kk apply -f - <<<"$(pod priv e2e priv)"
check "a privileged Pod is refused with admitd's message" \
	refused '[privileged] container "app" must not set securityContext.privileged=true'
show 'admission webhook'
check "  and is not stored" absent pod priv e2e

# ================================================================ workloads
section "workloads: refused at kubectl apply, not at a ReplicaSet or Job"
for kind in Deployment StatefulSet CronJob; do
	name=$(tr '[:upper:]' '[:lower:]' <<<"$kind")-priv
	kk apply -f - <<<"$(workload $kind "$name" e2e priv)"
	check "a $kind with a privileged pod template is refused at apply" \
		refused "$kind \"$name\"" '[privileged] container "app" must not set securityContext.privileged=true'
	[ "$kind" = CronJob ] && show "$kind \"$name\""
	check "  and the $kind is not stored" absent "$kind" "$name" e2e
	# and a compliant one goes through
	kk apply -f - <<<"$(workload $kind "${name%-priv}-ok" e2e good)"
	check "a $kind with a compliant pod template is created" ok_rc
done

# ================================================================ warn
section "warn policy"
kk apply -f - <<<"$(pod nolimits e2e nolimits)"
check "a Pod that only breaks a warn policy is created" ok_rc
check "  and kubectl prints admitd's warning" \
	accepted_warning '[resource-limits] container "app" must set resources.limits for: cpu, memory'
show 'Warning: [resource-limits]'
check "  and it is stored" present pod nolimits e2e

# ================================================================ server dry-run
section "kubectl apply --dry-run=server"
kk apply --dry-run=server -f - <<<"$(pod dry-priv e2e priv)"
check "a violating Pod is judged and refused under --dry-run=server" refused '[privileged] container "app"'
kk apply --dry-run=server -f - <<<"$(pod dry-good e2e good)"
check "a compliant Pod is accepted under --dry-run=server" has "(server dry run)"
check "  and nothing is stored" absent pod dry-good e2e
check "  admitd judged it (decision log)" grep -q '"name":"dry-good"' "$DECISIONS"
kk apply --dry-run=server -f - <<<"$(workload Deployment dry-web e2e priv)"
check "a violating Deployment is refused under --dry-run=server" refused 'Deployment "dry-web"' '[privileged]'

# ================================================================ UPDATE, DELETE
section "UPDATE is judged on the new object; DELETE goes through"
kk label pod good bad=1
check "kubectl label adding a forbidden label is refused" refused '[no-bad-label] the label bad is not allowed'
show 'Pod "good"'
kk label pod good tier=web
check "kubectl label adding another label is accepted" ok_rc
kk get pod good -o 'jsonpath={.metadata.labels}'
check "  the stored pod has tier=web and no bad label" bash -c 'grep -q "\"tier\":\"web\"" <<<"$1" && ! grep -q "\"bad\"" <<<"$1"' _ "$OUT"
kk annotate pod good bad=1
check "kubectl annotate adding a forbidden annotation is refused" refused '[no-bad-annotation] the annotation bad is not allowed'
kk annotate pod good note=fine
check "kubectl annotate adding another annotation is accepted" ok_rc
check "  admitd saw both as UPDATEs (decision log)" \
	bash -c '[ "$(grep "\"operation\":\"UPDATE\"" "$1" | grep -c "\"name\":\"good\"")" -ge 4 ]' _ "$DECISIONS"
kk delete pod nolimits --wait=false
check "kubectl delete of a Pod goes through" ok_rc
check "  and it is gone" absent pod nolimits e2e

# ================================================================ exemptions
section "exemptions: the namespaceSelector keeps kube-system and admitd out"
# Kubernetes sets kubernetes.io/metadata.name on every namespace from 1.21 on;
# 1.20 does not, so the selector (NotIn [kube-system, admitd]) matches an
# unlabelled kube-system: until it is labelled, its pods go to admitd.
kk get ns kube-system -o 'jsonpath={.metadata.labels}'
check "1.20 does not label kube-system with kubernetes.io/metadata.name" lacks "kubernetes.io/metadata.name"
kk create --dry-run=server -f - <<<"$(pod sys-priv kube-system priv)"
check "  so an unlabelled kube-system is in admitd's path (privileged pod refused)" refused '[privileged]'
kk label ns kube-system kubernetes.io/metadata.name=kube-system
check "labelling kube-system with kubernetes.io/metadata.name (what 1.21+ does by itself)" ok_rc
# the API server sees the new label through its namespace informer: wait for it
sys_admitted() { kk create --dry-run=server -f - <<<"$(pod sys-priv kube-system priv)"; ok_rc; }
eventually 15 sys_admitted
before=$(decisions_about kube-system)
kk apply -f - <<<"$(pod sys-priv kube-system priv)"
check "a privileged Pod in kube-system is then created" ok_rc
check "  without admitd being asked (no new decision for kube-system)" \
	[ "$(decisions_about kube-system)" = "$before" ]
kk get ns admitd -o 'jsonpath={.metadata.labels.kubernetes\.io/metadata\.name}'
check "admitd's namespace carries the label in the manifests" has admitd
kk apply -f - <<<"$(pod own-priv admitd priv)"
check "a privileged Pod in admitd's own namespace is created" ok_rc
check "  without admitd being asked" [ "$(decisions_about admitd)" = 0 ]
kk apply -f - <<<"$(pod other-priv e2e priv)"
check "the same Pod in another namespace is still refused" refused '[privileged]'
# They would be reported by the audit below: gone before it.
kk delete pod sys-priv -n kube-system --wait=false
check "kubectl delete in kube-system goes through" ok_rc
kk delete pod own-priv -n admitd --wait=false
check "kubectl delete in admitd's namespace goes through" ok_rc

# ================================================================ failurePolicy
section "failurePolicy: Fail"
stop_admitd
kk apply -f - <<<"$(pod while-down e2e good)"
check "with admitd stopped, a compliant Pod is refused" \
	bash -c '[ "$1" -ne 0 ] && grep -qF "failed calling webhook \"validate.admitd.io\"" <<<"$2"' _ "$RC" "$OUT"
show 'failed calling webhook'
check "  and is not stored" absent pod while-down e2e
check "admitd starts again on the same address" start_admitd
kk apply -f - <<<"$(pod while-down e2e good)"
check "with admitd back, the Pod is created" ok_rc

# ================================================================ SIGHUP
section "SIGHUP reload to a stricter configuration"
metric_sum() { # metric_sum NAME LABEL-REGEX: sum of a counter's samples from the API server's /metrics
	curl -s --max-time 10 --cacert "$WORK/pki/ca.crt" -H "Authorization: Bearer $TOKEN" "$API/metrics" |
		python3 -c 'import re,sys
t=0.0
for l in sys.stdin:
    m=re.match(r"(\w+)\{(.*)\} (\S+)$", l.strip())
    if m and m.group(1)==sys.argv[1] and re.search(sys.argv[2], m.group(2)): t+=float(m.group(3))
print(int(t))' "$1" "$2"
}
kk apply -f - <<<"$(pod loose-1 e2e good)"
check "before the reload, a Pod without a team label is created" ok_rc
calls_failed_before=$(metric_sum apiserver_admission_webhook_rejection_count 'name="validate.admitd.io".*error_type="calling_webhook_error"|error_type="calling_webhook_error".*name="validate.admitd.io"')
# Load: server-side dry-run creates of a Pod that both configurations admit.
pod load e2e good "team: load" > "$WORK/obj/load.yaml"
: > "$WORK/load.log"
(
	while [ ! -e "$WORK/load.stop" ]; do
		if timeout 30 kubectl --kubeconfig "$KC" --request-timeout=20s --cache-dir "$WORK/kube-cache" \
			create --dry-run=server -f "$WORK/obj/load.yaml" >>"$WORK/load.out" 2>&1; then
			echo ok >> "$WORK/load.log"
		else
			echo fail >> "$WORK/load.log"
		fi
	done
) </dev/null &
LOAD_PID=$!
eventually 60 bash -c '[ "$(wc -l < "$1")" -ge 3 ]' _ "$WORK/load.log"
at_reload=$(wc -l < "$WORK/load.log")
reloads_before=$(grep -c 'configuration reloaded' "$ADMITD_LOG")
cp "$WORK/stricter.yaml" "$CONFIG.new" && mv "$CONFIG.new" "$CONFIG"
kill -HUP "$ADMITD_PID"
check "admitd reloads on SIGHUP" eventually 10 \
	bash -c '[ "$(grep -c "configuration reloaded" "$1")" -gt "$2" ]' _ "$ADMITD_LOG" "$reloads_before"
eventually 60 bash -c '[ "$(wc -l < "$1")" -ge $(( $2 + 3 )) ]' _ "$WORK/load.log" "$at_reload"
stop_load
n_ok=$(grep -c '^ok$' "$WORK/load.log") n_fail=$(grep -c '^fail$' "$WORK/load.log")
echo "     load during the reload: $n_ok requests admitted, $n_fail failed ($at_reload before the signal)"
check "no request failed across the reload" test "$n_fail" -eq 0 -a "$n_ok" -ge 6
calls_failed_after=$(metric_sum apiserver_admission_webhook_rejection_count 'name="validate.admitd.io".*error_type="calling_webhook_error"|error_type="calling_webhook_error".*name="validate.admitd.io"')
check "  and the API server counted no failed webhook call ($calls_failed_before before, $calls_failed_after after)" \
	[ "$calls_failed_before" = "$calls_failed_after" ]
kk apply -f - <<<"$(pod loose-2 e2e good)"
check "after the reload, the same Pod without a team label is refused" refused '[required-labels]'
kk apply -f - <<<"$(pod teamed e2e good "team: e2e")"
check "  and one with a team label is created" ok_rc
kk delete pod loose-1 --wait=false
check "DELETE of a Pod the new configuration would refuse goes through" ok_rc
kk label pod good team=e2e
check "an UPDATE adding the now-required label to an existing Pod is accepted" ok_rc

# ================================================================ dry-run mode + audit
section "dry-run mode, then admitd audit --cluster against the same API server"
stop_admitd
cp "$WORK/enforce.yaml" "$CONFIG"
check "admitd restarts with --dry-run" start_admitd --dry-run
declare -a DRY=(Pod/priv Pod/legacy Deployment/web StatefulSet/db CronJob/tick)
for obj in "${DRY[@]}"; do
	kind=${obj%/*} name=${obj#*/}
	if [ "$kind" = Pod ]; then y=$(pod "$name" e2e-dryrun priv); else y=$(workload "$kind" "$name" e2e-dryrun priv); fi
	# legacy keeps a finalizer, as a Job's pods do, for the update rule's checks below
	[ "$name" = legacy ] && y=$(sed 's/^  name: legacy$/&\n  finalizers: [e2e.admitd.io\/keep]/' <<<"$y")
	kk apply -f - <<<"$y"
	check "dry-run mode: a violating $kind is created" ok_rc
	check "  with admitd's warning" \
		accepted_warning '[privileged] container "app" must not set securityContext.privileged=true (dry-run: would deny)'
done
show 'Warning: [privileged]'
timeout 60 "$ADMITD" audit --cluster --kubeconfig "$KC" --config "$WORK/enforce.yaml" --output json \
	>"$WORK/audit.json" 2>"$WORK/audit.err"
audit_rc=$?
OUT=$(cat "$WORK/audit.err")
check "admitd audit --cluster exits 1 (something would be denied)" [ "$audit_rc" -eq 1 ]
audit_set() {
	python3 - "$WORK/audit.json" "$@" <<-'PY'
	import json, sys
	doc = json.load(open(sys.argv[1]))
	got = sorted("%s/%s/%s" % (r["namespace"], r["kind"], r["name"])
	             for r in doc["results"] if not r["allowed"])
	want = sorted("e2e-dryrun/" + o for o in sys.argv[2:])
	print("     audit would deny:", ", ".join(got) or "nothing")
	s = doc["summary"]
	if s.get("errors") or s.get("notListed"):
	    print("     audit errors:", s.get("errors"), s.get("notListed"))
	    sys.exit(1)
	sys.exit(0 if got == want else 1)
	PY
}
check "the audit reports exactly the objects created in dry-run mode" audit_set "${DRY[@]}"
timeout 60 "$ADMITD" audit --cluster --kubeconfig "$KC" --config "$WORK/enforce.yaml" --output policyreport \
	>"$WORK/reports.json" 2>"$WORK/reports.err"
check "admitd audit --output policyreport writes reports" \
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert any(i["kind"]=="PolicyReport" for i in d["items"])' "$WORK/reports.json"
kk apply -f "$HERE/policyreport-crd.yaml"
check "the PolicyReport CRDs (wgpolicyk8s.io/v1alpha2) install" ok_rc
kk wait --for condition=established --timeout=30s crd/policyreports.wgpolicyk8s.io crd/clusterpolicyreports.wgpolicyk8s.io
check "  and are established" ok_rc
apply_reports() { timeout 60 kubectl --kubeconfig "$KC" --request-timeout=30s --cache-dir "$WORK/kube-cache" \
	apply --dry-run=server -f "$WORK/reports.json" -o json >"$WORK/reports.applied.json" 2>"$WORK/reports.apply.err"; }
# discovery of the new group can lag a moment behind "established"
eventually 20 apply_reports
RC=$? OUT=$(cat "$WORK/reports.apply.err")
check "kubectl apply --dry-run=server accepts the reports" ok_rc
compare_reports() {
	python3 - "$WORK/reports.json" "$WORK/reports.applied.json" "${DRY[@]}" <<-'PY'
	import json, sys
	sent = {i["metadata"]["name"]: i for i in json.load(open(sys.argv[1]))["items"]}
	back = json.load(open(sys.argv[2]))
	back = {i["metadata"]["name"]: i for i in back.get("items", [back])}
	assert sent.keys() == back.keys(), (sent.keys(), back.keys())
	for name, rep in sent.items():
	    for key in ("results", "summary"):
	        assert rep[key] == back[name][key], "%s: %s changed (a field pruned?)" % (name, key)
	fails = {"%s/%s" % (r["resources"][0]["kind"], r["resources"][0]["name"])
	         for r in sent["admitd-e2e-dryrun"]["results"] if r["result"] == "fail"}
	assert fails == set(sys.argv[3:]), fails
	PY
}
check "  with every field kept, and fail results for exactly those objects" compare_reports
kk get policyreports,clusterpolicyreports -A -o name
check "  and nothing is stored" bash -c '[ "$1" -eq 0 ] && ! grep -qi policyreport <<<"$2"' _ "$RC" "$OUT"
# the audit CronJob's way: --write-reports stores them (server-side apply), twice is idempotent
write_reports() {
	timeout 120 "$ADMITD" audit --cluster --kubeconfig "$KC" --output policyreport --write-reports \
		>/dev/null 2>"$WORK/write-reports.err"
	[ $? -eq 1 ] || { cat "$WORK/write-reports.err"; return 1; }
	timeout 120 "$ADMITD" audit --cluster --kubeconfig "$KC" --output policyreport --write-reports \
		>/dev/null 2>>"$WORK/write-reports.err"
	[ $? -eq 1 ] || { cat "$WORK/write-reports.err"; return 1; }
	kk get policyreports -n e2e-dryrun -o json
	ok_rc && python3 -c 'import json,sys
d = json.loads(sys.argv[1]); items = d["items"]
assert [i["metadata"]["name"] for i in items] == ["admitd-e2e-dryrun"], items
assert items[0]["summary"]["fail"] >= 4, items[0]["summary"]' "$OUT"
}
check "admitd audit --cluster --write-reports stores the PolicyReports (and again, idempotently)" write_reports

section "admitd inventory --cluster: a baseline, then drift"
# still in dry-run mode: every change below is admitted, so the drift is the cluster's own
kk create namespace e2e-inv
kk apply -f - <<'YAML'
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: e2e-inv}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - {name: app, image: "registry.corp.example/shop/web:1.0", ports: [{containerPort: 8080}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-in, namespace: e2e-inv}
spec:
  podSelector: {matchLabels: {app: web}}
  policyTypes: [Ingress]
  ingress: [{from: [{podSelector: {}}]}]
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: e2e-inv}
spec: {selector: {app: web}, ports: [{port: 80, targetPort: 8080}]}
YAML
check "a Deployment, its NetworkPolicy and a ClusterIP Service are created" ok_rc
inventory() { # ARGS...: admitd inventory of the cluster; INV_RC and $WORK/inv.out
	timeout 60 "$ADMITD" inventory --cluster --kubeconfig "$KC" --config "$WORK/enforce.yaml" "$@" \
		>"$WORK/inv.out" 2>"$WORK/inv.err"
	INV_RC=$?
}
inventory --output json
cp "$WORK/inv.out" "$WORK/baseline.json"
check "admitd inventory --cluster writes a json inventory (exit 0)" [ "$INV_RC" -eq 0 ]
inv_web() {
	python3 - "$WORK/baseline.json" <<-'PY'
	import json, sys
	d = json.load(open(sys.argv[1]))
	web = [e for e in d["workloads"] if e["namespace"] == "e2e-inv" and e["name"] == "web"]
	assert len(web) == 1, [e["name"] for e in d["workloads"]]
	print("     web:", json.dumps(web[0], sort_keys=True)[:300])
	PY
}
check "  it has the web Deployment" inv_web
inventory --output json --baseline "$WORK/baseline.json"
drift_classes() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(" ".join(sorted({"%s:%s" % (x["class"], x["name"]) for x in d["drift"]})))' "$WORK/inv.out"; }
check "an unchanged cluster: no drift, exit 0" bash -c "[ $INV_RC -eq 0 ] && [ -z '$(drift_classes)' ]"
kk -n e2e-inv set image deployment/web app=registry.corp.example/shop/web:2.0
check "the image is changed" ok_rc
kk -n e2e-inv patch deployment web --type=json -p '[{"op":"add","path":"/spec/template/spec/containers/0/ports/0/hostPort","value":30080}]'
check "a hostPort is added" ok_rc
kk -n e2e-inv apply -f - <<'YAML'
apiVersion: v1
kind: Service
metadata: {name: web-ext, namespace: e2e-inv}
spec: {type: NodePort, selector: {app: web}, ports: [{port: 80, targetPort: 8080}]}
YAML
check "a NodePort Service is added" ok_rc
kk -n e2e-inv delete networkpolicy web-in
check "the NetworkPolicy is removed" ok_rc
kk apply -f - <<'YAML'
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: e2e-inv}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      containers:
        - {name: agent, image: "registry.corp.example/ops/agent:1", securityContext: {privileged: true}}
YAML
check "a privileged DaemonSet is added" ok_rc
inventory --output json --baseline "$WORK/baseline.json"
DRIFT=$(drift_classes)
echo "     drift: $DRIFT"
for want in new-image:web new-port:web new-external-service:web lost-network-policy:web \
	new-workload:agent new-privilege:agent; do
	check "drift: $want" grep -qw -- "$want" <<<"$DRIFT"
done
check "drift that widens the attack surface exits 1" [ "$INV_RC" -eq 1 ]
cp "$WORK/inv.out" "$WORK/drift.json"

# the CronJob's drift container: the drift stored as PolicyReports beside
# the audit's, each run's sweep deleting only its own kind
reports_of() { # KIND NAMESPACE|-A: admitd's PolicyReports labelled KIND, "ns/name" sorted
	local where=(-n "$2")
	[ "$2" = -A ] && where=(-A)
	timeout 60 kubectl --kubeconfig "$KC" --request-timeout=30s --cache-dir "$WORK/kube-cache" \
		get policyreports "${where[@]}" -l "app.kubernetes.io/managed-by=admitd,admitd.io/report=$1" \
		-o jsonpath='{range .items[*]}{.metadata.namespace}/{.metadata.name}{"\n"}{end}' 2>/dev/null |
		sort | tr '\n' ' '
}
stored_drift() { # the stored drift reports' results as "class ns/Kind/name message" lines, and the json's
	kk get policyreports -n e2e-inv -l admitd.io/report=drift -o json
	ok_rc && python3 - "$OUT" "$WORK/drift.json" <<-'PY'
	import json, sys
	items = json.loads(sys.argv[1])["items"]
	got = sorted((r["policy"], r["resources"][0]["namespace"], r["resources"][0]["kind"],
	              r["resources"][0]["name"], r["message"], r["source"]) for i in items for r in i["results"])
	want = sorted((x["class"], x["namespace"], x["kind"], x["name"], x["message"], "admitd-drift")
	              for x in json.load(open(sys.argv[2]))["drift"] if x["namespace"] == "e2e-inv")
	assert [i["metadata"]["name"] for i in items] == ["admitd-drift-e2e-inv"], [i["metadata"]["name"] for i in items]
	assert got == want and len(got) >= 6, (got, want)
	s = items[0]["summary"]
	assert s["fail"] == len([w for w in want if w[0] != "removed-workload"]), s
	PY
}
inventory --output policyreport --baseline "$WORK/baseline.json" --write-reports
OUT=$(cat "$WORK/inv.err")
check "admitd inventory --write-reports stores the drift (exit 1: drift)" [ "$INV_RC" -eq 1 ]
check "  as PolicyReport admitd-drift-e2e-inv, one fail result per drift item, source admitd-drift" stored_drift
FIRST=$(reports_of drift -A)
inventory --output policyreport --baseline "$WORK/baseline.json" --write-reports
OUT=$(cat "$WORK/inv.err")
check "  again: exit 1, the same reports and results (idempotent)" \
	bash -c '[ "$1" -eq 1 ] && [ "$2" = "$3" ] && [ "$2" = "e2e-inv/admitd-drift-e2e-inv " ]' _ "$INV_RC" "$FIRST" "$(reports_of drift -A)"
check "  with the same results" stored_drift
check "  audit's reports are still there (the drift sweep leaves them)" \
	[ "$(reports_of audit e2e-dryrun)" = "e2e-dryrun/admitd-e2e-dryrun " ]
timeout 120 "$ADMITD" audit --cluster --kubeconfig "$KC" --output policyreport --write-reports \
	>/dev/null 2>"$WORK/audit-beside.err"
RC=$? OUT=$(cat "$WORK/audit-beside.err")
check "admitd audit --write-reports now (exit 1: the privileged DaemonSet and the dry-run objects)" [ "$RC" -eq 1 ]
check "  stores audit's report in e2e-inv beside drift's" \
	bash -c '[[ "$1" == *"e2e-inv/admitd-e2e-inv "* ]]' _ "$(reports_of audit -A)"
check "  and its sweep leaves drift's" [ "$(reports_of drift -A)" = "e2e-inv/admitd-drift-e2e-inv " ]
# the drift is accepted: a new baseline, and nothing has drifted from it
inventory --output json
cp "$WORK/inv.out" "$WORK/baseline-2.json"
inventory --output policyreport --baseline "$WORK/baseline-2.json" --write-reports
OUT=$(cat "$WORK/inv.err")
check "drift --write-reports against a new baseline of the same cluster: exit 0" [ "$INV_RC" -eq 0 ]
check "  and the earlier drift reports are deleted" [ "$(reports_of drift -A)" = "" ]
AUDIT_LEFT=$(reports_of audit -A)
check "  audit's are not" bash -c '[[ "$1" == *"e2e-dryrun/admitd-e2e-dryrun "* && "$1" == *"e2e-inv/admitd-e2e-inv "* ]]' _ "$AUDIT_LEFT"

section "OpenReports (openreports.io/v1alpha1), split reports and their clean-up"
OPENREPORTS=${ADMITD_SHARED:-$HERE/../../../shared}/conformance/openreports
kk apply -f "$OPENREPORTS/openreports.io_reports.yaml" -f "$OPENREPORTS/openreports.io_clusterreports.yaml"
check "the OpenReports CRDs (from ../shared/conformance/openreports) install" ok_rc
kk wait --for condition=established --timeout=30s crd/reports.openreports.io crd/clusterreports.openreports.io
check "  and are established" ok_rc
timeout 60 "$ADMITD" audit --cluster --kubeconfig "$KC" --config "$WORK/enforce.yaml" --output openreports \
	>"$WORK/openreports.json" 2>"$WORK/openreports.err"
apply_openreports() { timeout 60 kubectl --kubeconfig "$KC" --request-timeout=30s --cache-dir "$WORK/kube-cache" \
	apply --dry-run=server -f "$WORK/openreports.json" -o json >"$WORK/openreports.applied.json" 2>"$WORK/openreports.apply.err"; }
eventually 20 apply_openreports
RC=$? OUT=$(cat "$WORK/openreports.apply.err")
check "kubectl apply --dry-run=server accepts the OpenReports" ok_rc
compare_openreports() {
	python3 - "$WORK/openreports.json" "$WORK/openreports.applied.json" <<-'PY'
	import json, sys
	sent = {i["metadata"]["name"]: i for i in json.load(open(sys.argv[1]))["items"]}
	back = json.load(open(sys.argv[2]))
	back = {i["metadata"]["name"]: i for i in back.get("items", [back])}
	assert sent.keys() == back.keys() and sent, (sent.keys(), back.keys())
	for name, rep in sent.items():
	    assert rep["apiVersion"] == "openreports.io/v1alpha1", rep["apiVersion"]
	    for key in ("results", "summary", "source"):
	        assert rep[key] == back[name][key], "%s: %s changed (a field pruned?)" % (name, key)
	assert sent["admitd-e2e-dryrun"]["summary"]["fail"] >= 4
	PY
}
check "  with every field kept (results, summary, source)" compare_openreports
# small reports: one result each, so the namespace has several chunks; then a
# default run needs one, and deletes the others
reports_in() { # NAMESPACE: the names of admitd's Reports there, in version order
	timeout 60 kubectl --kubeconfig "$KC" --request-timeout=30s --cache-dir "$WORK/kube-cache" \
		get reports.openreports.io -n "$1" -l admitd.io/report=audit \
		-o jsonpath='{.items[*].metadata.name}' 2>/dev/null | tr ' ' '\n' | sort -V | tr '\n' ' '
}
timeout 120 "$ADMITD" audit --cluster --kubeconfig "$KC" --output openreports --write-reports \
	--report-bytes 1000 >/dev/null 2>"$WORK/or-split.err"
RC=$?
check "--write-reports --report-bytes 1000 stores the reports (exit 1: violations)" [ "$RC" -eq 1 ]
CHUNKS=$(reports_in e2e-dryrun)
echo "     reports in e2e-dryrun: $CHUNKS"
check "  split into several Reports in one namespace: admitd-e2e-dryrun, admitd-e2e-dryrun-2, ..." \
	bash -c '[[ "$1" == *"admitd-e2e-dryrun admitd-e2e-dryrun-2 "* ]]' _ "$CHUNKS"
kk create namespace e2e-stale
kk apply -f - <<<'{"apiVersion": "openreports.io/v1alpha1", "kind": "Report", "metadata": {"name": "admitd-e2e-stale", "namespace": "e2e-stale", "labels": {"app.kubernetes.io/managed-by": "admitd", "admitd.io/report": "audit"}}, "source": "admitd", "results": []}'
check "  (a report of an earlier run in a namespace with nothing left is stored)" ok_rc
timeout 120 "$ADMITD" audit --cluster --kubeconfig "$KC" --output openreports --write-reports \
	>/dev/null 2>"$WORK/or-sweep.err"
RC=$?
check "a default rerun stores its reports (exit 1)" [ "$RC" -eq 1 ]
check "  and the chunks it no longer needs are deleted" [ "$(reports_in e2e-dryrun)" = "admitd-e2e-dryrun " ]
check "  and so is the earlier run's report where nothing is left" [ "$(reports_in e2e-stale)" = "" ]
kk get policyreports -n e2e-dryrun -o name
check "  the PolicyReports of the other format are not touched" has policyreport.wgpolicyk8s.io/admitd-e2e-dryrun

section "enforce again: objects that predate enforcement (the update rule)"
stop_admitd
check "admitd restarts in enforce mode" start_admitd
PRE='(predates this update, not denied)'
kk label pod legacy -n e2e-dryrun touched=1
check "kubectl label of a violating Pod created in dry-run mode is accepted" ok_rc
check "  with a warning that its violation predates the update" \
	accepted_warning "[privileged] $PRE container \"app\" must not set securityContext.privileged=true"
show 'Warning: [privileged]'
kk annotate pod legacy -n e2e-dryrun note=1
check "kubectl annotate of it is accepted" accepted_warning "$PRE"
kk label pod legacy -n e2e-dryrun bad=1
check "  but a label a rule forbids is a new violation (refused)" refused '[no-bad-label]'
kk set image pod/legacy -n e2e-dryrun app=registry.k8s.io/pause:3.1
check "kubectl set image on it is refused (the container's image changes)" refused '[privileged] container "app"'
# kubectl scale uses the scale subresource; the Deployment controller's scale-down
# of an old ReplicaSet is a plain UPDATE of spec.replicas: send that
kk get deployment web -n e2e-dryrun -o json
scaled=$(python3 -c 'import json,sys; d=json.loads(sys.argv[1]); d["spec"]["replicas"]=0; print(json.dumps(d))' "$OUT")
kk replace -f - <<<"$scaled"
check "a plain UPDATE scaling the violating Deployment to 0 is accepted" accepted_warning "$PRE"
kk get deployment web -n e2e-dryrun -o 'jsonpath={.spec.replicas}'
check "  and stored" [ "$OUT" = 0 ]
kk annotate deployment web -n e2e-dryrun deployment.kubernetes.io/revision=2 --overwrite
check "annotating it (the controller's revision bump) is accepted" accepted_warning "$PRE"
kk patch deployment web -n e2e-dryrun --type=json \
	-p '[{"op":"add","path":"/spec/template/spec/hostPID","value":true}]'
check "changing its template to another violating one is refused" refused '[privileged]' '[host-namespaces]'
kk delete pod legacy -n e2e-dryrun --wait=false
check "DELETE of the Pod with a finalizer goes through" ok_rc
kk get pod legacy -n e2e-dryrun -o 'jsonpath={.metadata.deletionTimestamp}'
check "  it stays, being deleted, while the finalizer is there" [ -n "$OUT" ]
kk patch pod legacy -n e2e-dryrun --type=json -p '[{"op":"remove","path":"/metadata/finalizers"}]'
check "removing its finalizer (an UPDATE of a violating pod being deleted) is accepted" ok_rc
check "  and it is gone" eventually 20 absent pod legacy e2e-dryrun
check "  admitd logged the finalizer removal as not judged, the object being deleted" \
	grep -q 'being deleted (metadata.deletionTimestamp is set)' "$DECISIONS"
kk delete -n e2e-dryrun pod/priv deployment/web statefulset/db cronjob/tick --wait=false
check "DELETE of every dry-run object goes through" ok_rc
gone() { local o k n; for o in "${DRY[@]}"; do k=${o%/*} n=${o#*/}; absent "$k" "$n" e2e-dryrun || return 1; done; }
check "  and they are gone" gone

# ================================================================ metrics
section "the API server's own metrics"
curl -s --max-time 10 --cacert "$WORK/pki/ca.crt" -H "Authorization: Bearer $TOKEN" "$API/metrics" > "$WORK/metrics.txt"
decided=$(cat "$WORK"/decisions.*.log | wc -l)
# Every call the API server made is either a decision admitd logged or a
# call that failed (only while admitd was stopped).
summarize_metrics() {
	python3 - "$WORK/metrics.txt" "$decided" <<-'PY'
	import re, sys
	count = total = failed = 0.0
	by = {}
	for line in open(sys.argv[1]):
	    f = re.match(r'apiserver_admission_webhook_rejection_count\{(.*)\} (\S+)$', line.strip())
	    if f and 'name="validate.admitd.io"' in f.group(1) and 'error_type="calling_webhook_error"' in f.group(1):
	        failed += float(f.group(2))
	    m = re.match(r'apiserver_admission_webhook_admission_duration_seconds_(count|sum)\{(.*)\} (\S+)$', line.strip())
	    if not m or 'name="validate.admitd.io"' not in m.group(2):
	        continue
	    v = float(m.group(3))
	    if m.group(1) == "count":
	        count += v
	        op = re.search(r'operation="(\w+)"', m.group(2)).group(1)
	        rej = re.search(r'rejected="(\w+)"', m.group(2)).group(1)
	        key = "%s%s" % (op, " rejected" if rej == "true" else "")
	        by[key] = by.get(key, 0) + v
	    else:
	        total += v
	if count == 0:
	    print("     no apiserver_admission_webhook_admission_duration_seconds sample for validate.admitd.io")
	    sys.exit(1)
	print("     apiserver_admission_webhook_admission_duration_seconds{name=\"validate.admitd.io\"}:"
	      " %d calls, mean %.2f ms" % (count, 1000 * total / count))
	print("     by operation: " + ", ".join("%s %d" % kv for kv in sorted(by.items())))
	print("     admitd's decision logs: %s decisions; calls that failed (admitd stopped): %d"
	      % (sys.argv[2], failed))
	sys.exit(0 if count == int(sys.argv[2]) + failed and failed >= 1 else 1)
	PY
}
check "the API server's webhook duration metric counts every call (decisions + failed calls)" summarize_metrics
