#!/usr/bin/env python3
"""make_manifests.py DIR N: N pods for the audit figures, written twice:
DIR/pods-N.yaml (multi-document YAML, as manifests are) and
DIR/pods-N.json (one kubectl List, as `kubectl get pods -A -o json`).
Every tenth pod is privileged, a realistic share of findings; each pod
carries what the API server adds (uid, owner, token volume, status)."""
import json, sys

out, n = sys.argv[1], int(sys.argv[2])

def pod(i):
    ns = "team-%d" % (i % 50)
    return {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "web-%06d" % i, "namespace": ns, "uid": "uid-%d" % i,
                     "labels": {"app": "web-%d" % (i % 500), "pod-template-hash": "5d8f7c9b4"},
                     "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet",
                                          "name": "web-%d-5d8f7c9b4" % (i % 500),
                                          "uid": "rs-%d" % (i % 500), "controller": True}]},
        "spec": {
            "serviceAccountName": "default", "nodeName": "node-%d" % (i % 20),
            "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
            "containers": [{
                "name": "web", "image": "registry.corp.example/shop/web:1.%d" % (i % 7),
                "ports": [{"containerPort": 8080, "protocol": "TCP"}],
                "resources": {"limits": {"cpu": "500m", "memory": "256Mi"},
                              "requests": {"cpu": "100m", "memory": "128Mi"}},
                "securityContext": {"allowPrivilegeEscalation": False, "privileged": i % 10 == 0,
                                    "capabilities": {"drop": ["ALL"]}},
                "volumeMounts": [{"name": "kube-api-access", "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount",
                                  "readOnly": True}]}],
            "volumes": [{"name": "kube-api-access", "projected": {"sources": [
                {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}}]}}],
            "tolerations": [{"key": "node.kubernetes.io/not-ready", "operator": "Exists",
                             "effect": "NoExecute", "tolerationSeconds": 300}]},
        "status": {"phase": "Running", "podIP": "10.0.%d.%d" % (i // 250 % 250, i % 250)},
    }

def yaml_value(v, ind):
    """A small YAML writer for these plain shapes (block style, as kubectl -o yaml)."""
    pad = "  " * ind
    if isinstance(v, dict):
        lines = []
        for k, x in v.items():
            if isinstance(x, (dict, list)) and x:
                lines.append("%s%s:" % (pad, k))
                lines.append(yaml_value(x, ind + 1))
            else:
                lines.append("%s%s: %s" % (pad, k, scalar(x)))
        return "\n".join(lines)
    items = []
    for x in v:
        body = yaml_value(x, ind + 1) if isinstance(x, (dict, list)) else "  " * (ind + 1) + scalar(x)
        items.append(pad + "- " + body.lstrip())
    return "\n".join(items)

def scalar(x):
    if isinstance(x, bool):
        return "true" if x else "false"
    if isinstance(x, (int, float)):
        return str(x)
    if isinstance(x, (dict, list)):
        return json.dumps(x)
    return json.dumps(x) if (not x or x[0] in "-*&!{[" or ": " in x or x in ("true", "false", "null")) else x

pods = [pod(i) for i in range(n)]
with open("%s/pods-%d.yaml" % (out, n), "w") as f:
    for p in pods:
        f.write("---\n" + yaml_value(p, 0) + "\n")
with open("%s/pods-%d.json" % (out, n), "w") as f:
    json.dump({"apiVersion": "v1", "items": pods, "kind": "List", "metadata": {"resourceVersion": ""}}, f, indent=4)
