#!/usr/bin/env python3
"""Writes the benchmark's reviews into DIR: pod-5k.json (a pod review of
about 5 KB, restricted-compliant) and deployment-20k.json (a Deployment
with sidecars, about 20 KB)."""
import json, sys

out = sys.argv[1]
SC = {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]},
      "readOnlyRootFilesystem": True}

def container(name, i):
    return {"name": name, "image": f"registry.corp.example/team/{name}:1.{i}.0",
            "imagePullPolicy": "IfNotPresent",
            "ports": [{"name": "http", "containerPort": 8080 + i, "protocol": "TCP"}],
            "env": [{"name": f"{name.upper()}_SETTING_{k}", "value": f"value-{k}"} for k in range(6)]
                   + [{"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}}],
            "resources": {"limits": {"cpu": "500m", "memory": "256Mi"},
                          "requests": {"cpu": "100m", "memory": "128Mi"}},
            "livenessProbe": {"httpGet": {"path": "/healthz", "port": 8080 + i}, "periodSeconds": 10},
            "readinessProbe": {"httpGet": {"path": "/readyz", "port": 8080 + i}, "periodSeconds": 5},
            "volumeMounts": [{"name": "config", "mountPath": "/etc/app"}, {"name": "tmp", "mountPath": "/tmp"}],
            "securityContext": SC}

def podspec(names):
    return {"securityContext": {"runAsNonRoot": True, "runAsUser": 10001,
                                "seccompProfile": {"type": "RuntimeDefault"}},
            "serviceAccountName": "app",
            "containers": [container(n, i) for i, n in enumerate(names)],
            "initContainers": [container("migrate", 9)],
            "volumes": [{"name": "config", "configMap": {"name": "app-config"}},
                        {"name": "tmp", "emptyDir": {}}]}

def meta(name, extra):
    return {"name": name, "namespace": "shop", "uid": "7d9e2c1a-0000-4000-8000-000000000001",
            "labels": {"app": name, "segment": "frontend", "team": "shop", "version": "1.4.2"},
            "annotations": {f"example.com/note-{k}": "x" * 40 for k in range(extra)}}

def review(kind, group, obj, uid):
    return {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
            "request": {"uid": uid, "kind": {"group": group, "version": "v1", "kind": kind},
                        "resource": {"group": group, "version": "v1", "resource": kind.lower() + "s"},
                        "name": obj["metadata"]["name"], "namespace": "shop", "operation": "CREATE",
                        "userInfo": {"username": "system:serviceaccount:shop:deployer",
                                     "groups": ["system:serviceaccounts", "system:authenticated"]},
                        "object": obj, "oldObject": None, "dryRun": False}}

def fit(make, target):
    n = 0
    while True:
        doc = make(n)
        text = json.dumps(doc, separators=(",", ":"))
        if len(text) >= target:
            return text
        n += 1

pod = lambda n: review("Pod", "", {"apiVersion": "v1", "kind": "Pod", "metadata": meta("web", n),
                                   "spec": podspec(["web"])}, "0b5c5f4e-1111-4d1e-9a3e-5b6f7c8d9e01")
dep = lambda n: review("Deployment", "apps", {"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": meta("shop", n), "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "shop"}},
        "template": {"metadata": {"labels": {"app": "shop", "segment": "frontend"}},
                     "spec": podspec(["shop", "envoy", "log-shipper", "metrics", "cache"])}}},
        "0b5c5f4e-2222-4d1e-9a3e-5b6f7c8d9e02")
open(f"{out}/pod-5k.json", "w").write(fit(pod, 5 * 1024))
open(f"{out}/deployment-20k.json", "w").write(fit(dep, 20 * 1024))
