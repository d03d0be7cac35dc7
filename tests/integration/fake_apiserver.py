#!/usr/bin/env python3
"""A stand-in Kubernetes API server for `admitd audit --cluster` tests.

Serves list endpoints over TLS on loopback with a bearer token; pages every
list two items at a time (whatever `limit` asks: servers may return fewer),
answers 403 for StatefulSets and 404 for batch/v1 CronJobs (an old cluster)
and for argoproj.io/v1beta1 Rollouts (a custom resource served at v1alpha1),
and logs each request path to a file. Pods are paged with continue tokens
of 3,000 bytes (the API server's are opaque and unbounded).
"""
import json, ssl, sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlparse, parse_qs

port, cert, key, token, log = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]

def priv(name, ns, privileged, labels=None):
    return {"metadata": {"name": name, "namespace": ns, "uid": "uid-" + name},
            "spec": {"template": {"metadata": {"labels": labels or {"app": name}},
                     "spec": {"containers": [{"name": "main", "image": "nginx",
                              "securityContext": {"privileged": privileged}}]}}}}

DATA = {
    "/apis/networking.k8s.io/v1/networkpolicies": [
        {"metadata": {"name": "web-in", "namespace": "prod"},
         "spec": {"podSelector": {"matchLabels": {"app": "web"}}, "policyTypes": ["Ingress"]}}],
    "/apis/apps/v1/deployments": [priv("web", "prod", True, {"app": "web"}),
                                  priv("api", "prod", False), priv("db", "data", True),
                                  priv("ok", "data", False), priv("cache", "data", True)],
    "/apis/argoproj.io/v1alpha1/rollouts": [priv("canary", "prod", True)],
    "/apis/batch/v1beta1/cronjobs": [{"metadata": {"name": "nightly", "namespace": "ops"},
        "spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": [
            {"name": "job", "image": "busybox", "securityContext": {"privileged": True}}]}}}}}}],
}
DATA["/api/v1/pods"] = [
    {"metadata": {"name": "pod-%d" % i, "namespace": "data", "uid": "uid-pod-%d" % i},
     "spec": {"containers": [{"name": "main", "image": "nginx",
                              "securityContext": {"privileged": True}}]}} for i in range(3)]
LONG_TOKENS = {"/api/v1/pods"}
FORBIDDEN = {"/apis/apps/v1/statefulsets"}
MISSING = {"/apis/batch/v1/cronjobs", "/apis/argoproj.io/v1beta1/rollouts"}

class Handler(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def send(self, code, doc):
        body = json.dumps(doc).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        with open(log, "a") as f:
            f.write(self.path + "\n")
        if self.headers.get("Authorization") != "Bearer " + token:
            return self.send(401, {"kind": "Status", "code": 401, "reason": "Unauthorized"})
        u = urlparse(self.path)
        if u.path in FORBIDDEN:
            return self.send(403, {"kind": "Status", "code": 403, "reason": "Forbidden"})
        if u.path in MISSING:
            return self.send(404, {"kind": "Status", "code": 404, "reason": "NotFound"})
        items = DATA.get(u.path, [])
        start = int(parse_qs(u.query).get("continue", ["0"])[0].split(":")[0])
        page = items[start:start + 2]
        meta = {"resourceVersion": "1"}
        if start + 2 < len(items):
            meta["continue"] = str(start + 2) + (":" + "k" * 3000 if u.path in LONG_TOKENS else "")
        self.send(200, {"kind": "List", "apiVersion": "v1", "metadata": meta, "items": page})

srv = ThreadingHTTPServer(("127.0.0.1", port), Handler)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
print("ready", flush=True)
srv.serve_forever()
