#!/usr/bin/env bash
# The update rule over TLS (docs/configuration.md, `updates`): UPDATEs of
# objects that already violate the restricted profile are allowed with
# warnings when they change only labels, annotations, finalizers, replicas
# or a revision annotation; image changes, new violating containers and
# template changes are denied; `updates: all` restores CREATE-like verdicts.
# Also: an image volume from an unapproved registry is denied.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

# Writes $WORK/<name>.json: AdmissionReview UPDATEs of a violating Pod and
# Deployment, each with one change, as the API server sends them.
python3 - "$WORK" <<'PY'
import copy, json, sys
work = sys.argv[1]
pod = {
    "apiVersion": "v1", "kind": "Pod",
    "metadata": {"name": "legacy", "namespace": "team-a", "labels": {"app": "legacy"},
                 "finalizers": ["batch.kubernetes.io/job-tracking"]},
    "spec": {"hostNetwork": True, "containers": [
        {"name": "app", "image": "registry.corp.example/app:1",
         "securityContext": {"privileged": True}}]},
}
deploy = {
    "apiVersion": "apps/v1", "kind": "Deployment",
    "metadata": {"name": "web", "namespace": "team-a",
                 "annotations": {"deployment.kubernetes.io/revision": "1"}},
    "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web"}},
             "template": {"metadata": {"labels": {"app": "web"}}, "spec": copy.deepcopy(pod["spec"])}},
}

def review(name, kind, group, old, new, op="UPDATE"):
    r = {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": {
        "uid": "u-" + name, "kind": {"group": group, "version": "v1", "kind": kind},
        "operation": op, "namespace": "team-a", "name": new["metadata"]["name"],
        "userInfo": {"username": "system:serviceaccount:kube-system:some-controller"},
        "object": new, "oldObject": old}}
    json.dump(r, open("%s/%s.json" % (work, name), "w"))

def pod_edit(name, f):
    new = copy.deepcopy(pod); f(new); review(name, "Pod", "", pod, new)

def deploy_edit(name, f):
    new = copy.deepcopy(deploy); f(new); review(name, "Deployment", "apps", deploy, new)

pod_edit("pod-label", lambda p: p["metadata"]["labels"].update(extra="1"))
pod_edit("pod-annotate", lambda p: p["metadata"].update(annotations={"note": "x"}))
pod_edit("pod-finalizer", lambda p: p["metadata"].update(finalizers=[]))
pod_edit("pod-owner", lambda p: p["metadata"].update(ownerReferences=[
    {"apiVersion": "batch/v1", "kind": "Job", "name": "j", "uid": "1"}]))
pod_edit("pod-image", lambda p: p["spec"]["containers"][0].update(image="registry.corp.example/app:2"))
pod_edit("pod-debug-ok", lambda p: p["spec"].update(ephemeralContainers=[
    {"name": "dbg", "image": "registry.corp.example/dbg:1", "securityContext": {
        "allowPrivilegeEscalation": False, "runAsNonRoot": True,
        "capabilities": {"drop": ["ALL"]}, "seccompProfile": {"type": "RuntimeDefault"}}}]))
pod_edit("pod-debug-priv", lambda p: p["spec"].update(ephemeralContainers=[
    {"name": "dbg", "image": "registry.corp.example/dbg:1", "securityContext": {"privileged": True}}]))
def deleting(p):
    p["metadata"]["finalizers"] = []
review("pod-deleting", "Pod", "",
       dict(pod, metadata=dict(pod["metadata"], deletionTimestamp="2026-12-02T10:00:00Z")),
       dict(pod, metadata=dict(pod["metadata"], deletionTimestamp="2026-12-02T10:00:00Z", finalizers=[])))
deploy_edit("deploy-scale", lambda d: d["spec"].update(replicas=0))
deploy_edit("deploy-revision", lambda d: d["metadata"]["annotations"].update(
    {"deployment.kubernetes.io/revision": "2"}))
deploy_edit("deploy-label", lambda d: d["metadata"].update(labels={"tier": "web"}))
deploy_edit("deploy-template", lambda d: d["spec"]["template"]["spec"].update(hostPID=True))
# an image volume (Kubernetes 1.31+) from an unapproved registry, on CREATE
vol = copy.deepcopy(pod)
vol["spec"] = {"containers": [{"name": "app", "image": "registry.corp.example/app:1"}],
               "volumes": [{"name": "models", "image": {"reference": "docker.io/evil/models:1"}}]}
review("pod-image-volume", "Pod", "", None, vol, op="CREATE")
PY

cat > "$WORK/strict.yaml" <<'YAML'
updates: all
podSecurity: {level: restricted, action: deny}
YAML
cat > "$WORK/registries.yaml" <<'YAML'
podSecurity: {level: privileged}
policies:
  - id: allowed-registries
    action: deny
    registries: [registry.corp.example]
YAML

allowed() { [ "$STATUS" = 200 ] && [ "$(json_get "$BODY" '["response"]["allowed"]')" = true ]; }
denied_with() {
	[ "$STATUS" = 200 ] && [ "$(json_get "$BODY" '["response"]["allowed"]')" = false ] &&
		json_get "$BODY" '["response"]["status"]["message"]' | grep -qF -- "$1"
}
# warned_preexisting: allowed, every warning says the violation predates the update
warned_preexisting() {
	allowed || return 1
	python3 -c 'import json,sys
w = json.loads(sys.argv[1])["response"].get("warnings", [])
assert w and all("(predates this update, not denied)" in x for x in w), w' "$BODY"
}

start_server --decision-log "$WORK/decisions.log"
for r in pod-label pod-annotate pod-finalizer pod-owner pod-debug-ok deploy-scale deploy-revision deploy-label; do
	post "$WORK/$r.json"
	check "default rule: $r of a violating object is allowed with 'predates' warnings" warned_preexisting
done
post "$WORK/pod-image.json"
check "default rule: a changed image is judged in full (denied, naming the container)" \
	denied_with '[privileged] container "app" must not set securityContext.privileged=true'
post "$WORK/pod-debug-priv.json"
denied_without() { denied_with "$1" && ! json_get "$BODY" '["response"]["status"]["message"]' | grep -qF -- "$2"; }
check "default rule: a privileged ephemeral container is denied, and only it is named" \
	denied_without '[privileged] container "dbg"' 'container "app"'
post "$WORK/deploy-template.json"
check "default rule: a template change to another violating template is denied in full" \
	denied_with '[host-namespaces]'
check "  and the template's old violations deny too" denied_with '[privileged]'
post "$WORK/pod-deleting.json"
check "default rule: removing the finalizer of a pod being deleted is allowed" allowed
check "  and says why in the audit annotation" \
	bash -c 'grep -qF "being deleted (metadata.deletionTimestamp is set)" <<<"$1"' _ "$BODY"
check "the decision log marks violations that predate the update" \
	grep -q '"name":"legacy".*"preexisting":true' "$WORK/decisions.log"
metrics=$(curl -s --max-time 5 --cacert "$WORK/certs/ca.crt" "$BASE/metrics")
pre=$(sed -n 's/^admitd_violations_preexisting_total \([0-9]*\)$/\1/p' <<<"$metrics")
check "admitd_violations_preexisting_total counts them ($pre)" [ "${pre:-0}" -ge 8 ]
stop_server

start_server --config "$WORK/strict.yaml"
for r in pod-label pod-finalizer deploy-scale deploy-revision; do
	post "$WORK/$r.json"
	check "updates: all: $r of a violating object is denied, as before the rule" denied_with '[privileged]'
done
post "$WORK/pod-deleting.json"
check "updates: all: a pod being deleted still loses its finalizer" allowed
post "$TOP/../shared/conformance/kube-apiserver-1.20/admissionreview-pod-update.json"
check "updates: all: the captured apiserver UPDATE (kubectl label) is denied" denied_with '[privileged]'
stop_server

start_server --config "$WORK/registries.yaml"
post "$WORK/pod-image-volume.json"
check "an image volume from an unapproved registry is denied, naming the volume" \
	denied_with '[allowed-registries] volume "models" image "docker.io/evil/models:1" is not from an approved registry'
stop_server
