#!/usr/bin/env python3
"""check_rendered.py: checks on admitd's rendered Kubernetes objects, for
tests/deploy/test_deploy.sh. Each subcommand prints what is wrong and exits
1, or exits 0 silently.

  structure FILE [--flavor F] [--namespace NS] [--replicas N] [--failure-policy P]
            [--timeout S] [--mode M] [--audit] [--excluded NS,...] [--workloads G/R,...]
            [--keys SRC] [--registry-ca SRC:KEY] [--pull-secret NAME]
            [--registry-egress CIDR,...[@PORT,...]] [--dns NS|CIDR,...]
            [--drift configmap:NAME,secret:NAME,...] [--drift-fail-on CLASSES]
      the invariants of issue 7 on one rendering; F is how the certificate
      comes: certs (gen-certs.sh), cert-manager, generated (the chart's own)
      or existing (a Secret made outside, caBundle given); --workloads are
      the configuration's custom resources (group/resource), which the
      webhook's rules and the audit's ClusterRole must cover too.
      The image-signatures files, in every pod template (the Deployment and
      the audit CronJob alike), and none of them when not given: --keys
      (inline:FILE,... | configmap:NAME | secret:NAME) at /etc/admitd/keys,
      --registry-ca (configmap:NAME:KEY | secret:NAME:KEY) as
      /etc/admitd/registry-ca/ca.crt, --pull-secret as
      /etc/admitd/pull/.dockerconfigjson. --registry-egress: the
      NetworkPolicy's only egress is to these CIDRs (ports: 443) and DNS
      (--dns: a namespace's kube-dns pods, or CIDRs; default kube-system);
      without it, no egress at all. No Role or ClusterRole may grant Secrets.
      --drift: the audit CronJob's second container runs `admitd inventory
      --cluster --baseline /etc/admitd/baseline ... --write-reports` (with
      --fail-on from --drift-fail-on) with the audit's mounts and these
      objects read-only at /etc/admitd/baseline/KIND-NAME, and the
      ClusterRole adds get/list on Services and ServiceAccounts; without
      it, the CronJob has the audit container only and no baseline volume.
  compare CHART MANIFESTS
      the chart's rendering and the kustomize rendering hold the same
      objects (kind and name, Namespace and Secret aside) with the same key
      fields
  get FILE KIND NAME PATH
      prints one field: PATH like webhooks/0/clientConfig/caBundle or
      data/tls.crt ("" for the whole object); a string as is, else JSON
  list FILE
      prints the pods and workloads of FILE as one JSON List, as
      `kubectl get ... -o json` would
  privileged IN OUT
      copies IN to OUT with the first container of every pod template made
      privileged (the negative control for `admitd audit`)
  materialize FILE KIND[/CONTAINER] ROOT [OBJECTS...]
      writes under ROOT the files the first container (or CONTAINER) of
      FILE's one KIND (Deployment, CronJob) sees through its volumeMounts, as the kubelet
      would make them: configMap, secret and projected volumes, their items
      and modes, from the ConfigMaps and Secrets of FILE and of OBJECTS (the
      operator's own); a volume whose object is nowhere is an error, as it
      keeps the pod from starting
"""
import base64
import copy
import json
import os
import sys

import yaml

JUDGED = {
    "": {"pods", "pods/ephemeralcontainers", "replicationcontrollers"},
    "apps": {"deployments", "replicasets", "statefulsets", "daemonsets"},
    "batch": {"jobs", "cronjobs"},
}
POD_TEMPLATE = {
    "Deployment": ["spec", "template"],
    "StatefulSet": ["spec", "template"],
    "DaemonSet": ["spec", "template"],
    "ReplicaSet": ["spec", "template"],
    "Job": ["spec", "template"],
    "CronJob": ["spec", "jobTemplate", "spec", "template"],
}

problems = []


def bad(msg):
    problems.append(msg)


def load(path):
    with open(path) as f:
        return [d for d in yaml.safe_load_all(f) if d]


def index(docs):
    out = {}
    for d in docs:
        key = (d.get("kind"), d.get("metadata", {}).get("name"))
        if key in out:
            bad(f"{key[0]}/{key[1]} is rendered twice")
        out[key] = d
    return out


def dig(obj, path):
    for part in path:
        obj = obj[part]
    return obj


def one(objs, kind, name=None):
    found = [o for (k, n), o in objs.items() if k == kind and (name is None or n == name)]
    if len(found) != 1:
        bad(f"expected one {kind}{'/' + name if name else ''}, found {len(found)}")
        return {}
    return found[0]


def pod_specs(objs):
    """(label, pod spec) of every pod template."""
    for (kind, name), o in objs.items():
        if kind in POD_TEMPLATE:
            yield f"{kind}/{name}", dig(o, POD_TEMPLATE[kind])["spec"]


def check_restricted(label, spec, want_token):
    """admitd's own pods: non-root, read-only, nothing added, no token unless needed."""
    psc = spec.get("securityContext", {})
    if psc.get("runAsNonRoot") is not True:
        bad(f"{label}: pod securityContext.runAsNonRoot is not true")
    if not isinstance(psc.get("runAsUser"), int) or psc.get("runAsUser") == 0:
        bad(f"{label}: pod securityContext.runAsUser is not a non-zero number")
    if psc.get("seccompProfile", {}).get("type") != "RuntimeDefault":
        bad(f"{label}: pod seccompProfile is not RuntimeDefault")
    if spec.get("automountServiceAccountToken") is not want_token:
        bad(f"{label}: automountServiceAccountToken is {spec.get('automountServiceAccountToken')!r}, want {want_token}")
    for key in ("hostNetwork", "hostPID", "hostIPC"):
        if spec.get(key):
            bad(f"{label}: {key} is set")
    for c in spec.get("containers", []) + spec.get("initContainers", []):
        sc = c.get("securityContext", {})
        where = f"{label} container {c.get('name')}"
        if sc.get("readOnlyRootFilesystem") is not True:
            bad(f"{where}: readOnlyRootFilesystem is not true")
        if sc.get("allowPrivilegeEscalation") is not False:
            bad(f"{where}: allowPrivilegeEscalation is not false")
        if sc.get("privileged"):
            bad(f"{where}: privileged")
        if sc.get("capabilities", {}).get("drop") != ["ALL"]:
            bad(f"{where}: capabilities.drop is not [ALL]")
        if sc.get("capabilities", {}).get("add"):
            bad(f"{where}: adds capabilities")
        if sc.get("runAsNonRoot") is False or sc.get("runAsUser") == 0:
            bad(f"{where}: runs as root")
        res = c.get("resources", {})
        for part in ("requests", "limits"):
            for r in ("cpu", "memory"):
                if r not in res.get(part, {}):
                    bad(f"{where}: no resources.{part}.{r}")


def check_webhook(vwc, ns, failure_policy, timeout, excluded, judged):
    hooks = vwc.get("webhooks", [])
    if len(hooks) != 1:
        bad(f"ValidatingWebhookConfiguration has {len(hooks)} webhooks, want 1")
        return {}
    w = hooks[0]
    if w.get("name") != "validate.admitd.io":
        bad(f"webhook name {w.get('name')!r}")
    if w.get("admissionReviewVersions") != ["v1", "v1beta1"]:
        bad(f"admissionReviewVersions {w.get('admissionReviewVersions')}")
    if w.get("sideEffects") != "None":
        bad(f"sideEffects {w.get('sideEffects')!r}")
    if w.get("failurePolicy") != failure_policy:
        bad(f"failurePolicy {w.get('failurePolicy')!r}, want {failure_policy}")
    t = w.get("timeoutSeconds")
    if t != timeout:
        bad(f"timeoutSeconds {t!r}, want {timeout}")
    svc = w.get("clientConfig", {}).get("service", {})
    if svc.get("path") != "/validate" or svc.get("port") != 443 or svc.get("namespace") != ns:
        bad(f"clientConfig.service {svc}")
    sel = w.get("namespaceSelector", {}).get("matchExpressions", [])
    names = [e for e in sel if e.get("key") == "kubernetes.io/metadata.name" and e.get("operator") == "NotIn"]
    if len(names) != 1:
        bad("namespaceSelector has no kubernetes.io/metadata.name NotIn expression")
    else:
        got = set(names[0].get("values", []))
        want = {"kube-system", ns} | set(excluded)
        if got != want:
            bad(f"namespaceSelector excludes {sorted(got)}, want {sorted(want)}")
    covered = {}
    for r in w.get("rules", []):
        if set(r.get("operations", [])) != {"CREATE", "UPDATE"}:
            bad(f"rule {r} is not CREATE and UPDATE")
        if r.get("apiVersions") != ["*"]:
            bad(f"rule {r} pins apiVersions")
        for g in r.get("apiGroups", []):
            covered.setdefault(g, set()).update(r.get("resources", []))
    for g, res in judged.items():
        missing = res - covered.get(g, set())
        if missing:
            bad(f"rules miss {sorted(missing)} in group {g!r}")
    return w


SIG_MOUNTS = {"signature-keys": "/etc/admitd/keys", "registry-ca": "/etc/admitd/registry-ca",
              "registry-pull": "/etc/admitd/pull"}
SIG_PATHS = set(SIG_MOUNTS.values())
SECRET_MODE = 0o440  # read by the group, fsGroup 65532: admitd's user


def want_signature_volumes(opts, fullname):
    """{volume name: its expected volume source}, from the options."""
    want = {}
    keys = opts["keys"]
    if keys:
        kind, _, rest = keys.partition(":")
        if kind == "inline":
            want["signature-keys"] = {"configMap": {"name": f"{fullname}-signature-keys"}}
        elif kind == "configmap":
            want["signature-keys"] = {"configMap": {"name": rest}}
        else:
            want["signature-keys"] = {"secret": {"secretName": rest, "defaultMode": SECRET_MODE}}
    if opts["registry-ca"]:
        kind, name, key = opts["registry-ca"].split(":")
        items = [{"key": key, "path": "ca.crt"}]
        want["registry-ca"] = {"configMap": {"name": name, "items": items}} if kind == "configmap" else \
            {"secret": {"secretName": name, "defaultMode": SECRET_MODE, "items": items}}
    if opts["pull-secret"]:
        want["registry-pull"] = {"secret": {"secretName": opts["pull-secret"], "defaultMode": SECRET_MODE,
                                            "items": [{"key": ".dockerconfigjson",
                                                       "path": ".dockerconfigjson"}]}}
    return want


def check_signature_files(objs, opts, fullname):
    """The image-signatures files: the same volumes and read-only mounts at
    the same paths in every pod template, exactly those asked for."""
    want = want_signature_volumes(opts, fullname)
    for label, spec in pod_specs(objs):
        vols = {v["name"]: v for v in spec.get("volumes", [])}
        got = {n: {k: v for k, v in vol.items() if k != "name"} for n, vol in vols.items() if n in SIG_MOUNTS}
        if got != want:
            bad(f"{label}: signature volumes {got}, want {want}")
        for c in spec.get("containers", []):
            mounts = [m for m in c.get("volumeMounts", [])
                      if m.get("name") in SIG_MOUNTS or m.get("mountPath", "").rstrip("/") in SIG_PATHS]
            have = {m["name"]: m for m in mounts}
            if len(have) != len(mounts):
                bad(f"{label} container {c.get('name')}: a signature volume is mounted twice")
            if set(have) != set(want):
                bad(f"{label} container {c.get('name')}: signature mounts {sorted(have)}, want {sorted(want)}")
            for name, m in have.items():
                if m.get("mountPath") != SIG_MOUNTS[name] or m.get("readOnly") is not True or m.get("subPath"):
                    bad(f"{label} container {c.get('name')}: mount {m}, want {SIG_MOUNTS[name]} read-only, whole")
    keys = opts["keys"]
    inline = sorted(x for x in keys.partition(":")[2].split(",") if x) if keys.startswith("inline:") else []
    cm = objs.get(("ConfigMap", f"{fullname}-signature-keys"))
    if inline:
        if cm is None:
            bad(f"no ConfigMap {fullname}-signature-keys for the inline keys")
        else:
            data = cm.get("data", {})
            if sorted(data) != inline:
                bad(f"ConfigMap {fullname}-signature-keys holds {sorted(data)}, want {inline}")
            for k, v in data.items():
                if not v.startswith("-----BEGIN PUBLIC KEY-----\n") or not v.endswith("-----END PUBLIC KEY-----\n"):
                    bad(f"ConfigMap {fullname}-signature-keys: {k} is not one PEM public key: {v!r}")
    elif cm is not None:
        bad(f"ConfigMap {fullname}-signature-keys rendered without inline keys")
    dep = [o for (k, n), o in objs.items() if k == "Deployment"]
    for d in dep:
        ann = d["spec"]["template"]["metadata"].get("annotations", {})
        if bool(inline) != ("checksum/signature-keys" in ann):
            bad(f"Deployment annotations {sorted(ann)}: checksum/signature-keys is wanted exactly with inline keys")
    # Secrets reach admitd only as volumes the operator names
    for (kind, name), o in objs.items():
        if kind in ("Role", "ClusterRole"):
            for r in o.get("rules", []):
                res = set(r.get("resources", []))
                if "secrets" in res or "*" in res:
                    bad(f"{kind}/{name} grants {sorted(res)} {r.get('verbs')}: the chart must never grant Secrets")


def want_egress(opts):
    if not opts["registry-egress"]:
        return []
    cidrs, _, ports = opts["registry-egress"].partition("@")
    ports = [int(p) for p in ports.split(",")] if ports else [443]
    rules = [{"ports": [{"port": p, "protocol": "TCP"} for p in ports],
              "to": [{"ipBlock": {"cidr": c}} for c in cidrs.split(",")]}]
    to = []
    for d in opts["dns"].split(","):
        if "/" in d:
            to.append({"ipBlock": {"cidr": d}})
        else:
            to.append({"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": d}},
                       "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}})
    rules.append({"ports": [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}], "to": to})
    return rules


def b64pem(s):
    return base64.b64decode(s).decode()


def cmd_structure(args):
    path = args[0]
    opts = {"flavor": "certs", "namespace": "admitd", "replicas": "2", "failure-policy": "Fail",
            "timeout": "5", "mode": "enforce", "excluded": "", "metrics": "9090",
            "workloads": "", "keys": "", "registry-ca": "", "pull-secret": "",
            "registry-egress": "", "dns": "kube-system", "drift": "", "drift-fail-on": ""}
    audit = False
    i = 1
    while i < len(args):
        a = args[i]
        if a == "--audit":
            audit = True
            i += 1
            continue
        if a == "--no-metrics":
            opts["metrics"] = ""
            i += 1
            continue
        opts[a[2:]] = args[i + 1]
        i += 2
    ns = opts["namespace"]
    flavor = opts["flavor"]
    objs = index(load(path))
    judged = copy.deepcopy(JUDGED)
    for gr in [x for x in opts["workloads"].split(",") if x]:
        g, r = gr.split("/")
        judged.setdefault(g, set()).add(r)

    for (kind, name), o in objs.items():
        if kind not in ("Namespace", "ValidatingWebhookConfiguration", "ClusterRole",
                        "ClusterRoleBinding") and o["metadata"].get("namespace") != ns:
            bad(f"{kind}/{name} is in namespace {o['metadata'].get('namespace')!r}, want {ns}")

    dep = one(objs, "Deployment")
    if dep:
        if dep["spec"].get("replicas") != int(opts["replicas"]):
            bad(f"Deployment replicas {dep['spec'].get('replicas')}, want {opts['replicas']}")
        spec = dep["spec"]["template"]["spec"]
        sel = dep["spec"]["selector"]["matchLabels"]
        anti = spec.get("affinity", {}).get("podAntiAffinity", {})
        terms = anti.get("preferredDuringSchedulingIgnoredDuringExecution", []) + [
            {"podAffinityTerm": t} for t in anti.get("requiredDuringSchedulingIgnoredDuringExecution", [])]
        if not any(t["podAffinityTerm"].get("topologyKey") == "kubernetes.io/hostname" and
                   t["podAffinityTerm"].get("labelSelector", {}).get("matchLabels") == sel for t in terms):
            bad("Deployment has no pod anti-affinity across nodes (kubernetes.io/hostname) on its own pods")
        c = spec["containers"][0]
        for probe, p in (("readinessProbe", "/readyz"), ("livenessProbe", "/healthz")):
            hg = c.get(probe, {}).get("httpGet", {})
            if hg.get("path") != p or hg.get("scheme") != "HTTPS" or hg.get("port") != "https":
                bad(f"{probe} is not HTTPS GET {p} on the https port: {hg}")
        ports = {p["name"]: p["containerPort"] for p in c.get("ports", [])}
        want_ports = {"https": 8443}
        if opts["metrics"]:
            want_ports["metrics"] = int(opts["metrics"])
        if ports != want_ports:
            bad(f"container ports {ports}, want {want_ports}")
        args_ = c.get("args", [])
        wanted = ["--listen=:8443", "--config=/etc/admitd/config/config.yaml",
                  "--cert=/etc/admitd/tls/tls.crt", "--key=/etc/admitd/tls/tls.key"]
        if opts["metrics"]:
            wanted.append(f"--metrics-listen=:{opts['metrics']}")
        for want in wanted:
            if want not in args_:
                bad(f"container args {args_} miss {want}")
        if not opts["metrics"] and any(a.startswith("--metrics-listen") for a in args_):
            bad("--metrics-listen though metrics are off")
        if "--dry-run" in args_:
            bad("--dry-run flag used: it is lost on a configuration reload; dry-run goes in the configuration")
        for m in c.get("volumeMounts", []):
            if m.get("subPath"):
                bad(f"volumeMount {m['name']} uses subPath: updates would never reach admitd")
        vols = {v["name"]: v for v in spec.get("volumes", [])}
        tls_secret = vols.get("tls", {}).get("secret", {}).get("secretName")
        if tls_secret is None:
            bad("no tls volume from a Secret")
        cm = vols.get("config", {}).get("configMap", {}).get("name")
        if ("ConfigMap", cm) not in objs:
            bad(f"config volume names ConfigMap {cm!r}, which is not rendered")
        else:
            cfg = yaml.safe_load(objs[("ConfigMap", cm)]["data"]["config.yaml"])
            if cfg.get("mode", "enforce") != opts["mode"]:
                bad(f"configuration mode {cfg.get('mode')!r}, want {opts['mode']}")
        sa = spec.get("serviceAccountName")
        if objs.get(("ServiceAccount", sa), {}).get("automountServiceAccountToken") is not False:
            bad(f"ServiceAccount {sa} mounts a token")

    for label, spec in pod_specs(objs):
        check_restricted(label, spec, want_token=label.startswith("CronJob/"))

    svc = one(objs, "Service")
    if svc:
        ports = svc["spec"].get("ports", [])
        if [(p.get("port"), p.get("targetPort")) for p in ports] != [(443, "https")]:
            bad(f"Service ports {ports}, want 443 -> https")
        if dep and svc["spec"].get("selector") != dep["spec"]["selector"]["matchLabels"]:
            bad("Service selector is not the Deployment's")

    pdb = one(objs, "PodDisruptionBudget")
    if pdb and (pdb["spec"].get("minAvailable") != 1 or
                (dep and pdb["spec"]["selector"]["matchLabels"] != dep["spec"]["selector"]["matchLabels"])):
        bad(f"PodDisruptionBudget {pdb['spec']}")

    np = one(objs, "NetworkPolicy")
    if np:
        s = np["spec"]
        if dep and s.get("podSelector", {}).get("matchLabels") != dep["spec"]["selector"]["matchLabels"]:
            bad("NetworkPolicy does not select admitd's pods")
        if set(s.get("policyTypes", [])) != {"Ingress", "Egress"}:
            bad(f"NetworkPolicy does not restrict egress: {s.get('policyTypes')}")
        if s.get("egress") != want_egress(opts):
            bad(f"NetworkPolicy egress {s.get('egress')}, want {want_egress(opts)}")
        # 8443 from anywhere or from CIDRs (the API server); the metrics port
        # from one namespace (monitoring); nothing else
        seen = []
        for r in s.get("ingress", []):
            ports = [p.get("port") for p in r.get("ports", [])]
            froms = r.get("from", [])
            if ports == [8443] and all(set(f) == {"ipBlock"} for f in froms):
                seen.append(8443)
            elif opts["metrics"] and ports == [int(opts["metrics"])] and len(froms) == 1 and \
                    list(froms[0]) == ["namespaceSelector"] and \
                    list(froms[0]["namespaceSelector"].get("matchLabels", {})) == ["kubernetes.io/metadata.name"]:
                seen.append(ports[0])
            else:
                bad(f"NetworkPolicy ingress rule {r} lets in more than the webhook and metrics ports")
        want = [8443] + ([int(opts["metrics"])] if opts["metrics"] else [])
        if seen != want:
            bad(f"NetworkPolicy ingress covers ports {seen}, want {want}")

    vwc = one(objs, "ValidatingWebhookConfiguration")
    w = check_webhook(vwc, ns, opts["failure-policy"], int(opts["timeout"]),
                      [x for x in opts["excluded"].split(",") if x], judged) if vwc else {}
    bundle = w.get("clientConfig", {}).get("caBundle")
    inject = vwc.get("metadata", {}).get("annotations", {}).get("cert-manager.io/inject-ca-from")
    secrets = {n: o for (k, n), o in objs.items() if k == "Secret"}
    if flavor == "cert-manager":
        if bundle:
            bad("cert-manager flavour with a caBundle")
        serving = [o for (k, n), o in objs.items() if k == "Certificate" and not o["spec"].get("isCA")]
        if len(serving) != 1:
            bad(f"{len(serving)} serving Certificates")
        else:
            cert = serving[0]
            if inject != f"{ns}/{cert['metadata']['name']}":
                bad(f"inject-ca-from {inject!r} does not name Certificate {ns}/{cert['metadata']['name']}")
            if cert["spec"].get("secretName") != tls_secret:
                bad(f"serving Certificate writes {cert['spec'].get('secretName')}, the pods read {tls_secret}")
            svcname = svc.get("metadata", {}).get("name")
            want = [f"{svcname}.{ns}.svc", f"{svcname}.{ns}.svc.cluster.local"]
            if cert["spec"].get("dnsNames") != want:
                bad(f"serving Certificate dnsNames {cert['spec'].get('dnsNames')}, want {want}")
            if cert["spec"].get("privateKey", {}).get("algorithm") != "ECDSA":
                bad("serving Certificate key is not ECDSA")
            issuer = cert["spec"]["issuerRef"]["name"]
            ca_issuer = objs.get(("Issuer", issuer), {})
            ca_cert = [o for (k, n), o in objs.items() if k == "Certificate" and o["spec"].get("isCA")]
            if not ca_issuer.get("spec", {}).get("ca") or len(ca_cert) != 1 or \
                    ca_cert[0]["spec"]["secretName"] != ca_issuer["spec"]["ca"]["secretName"]:
                bad("the serving Certificate is not issued by a CA Issuer backed by a CA Certificate")
        if secrets:
            bad(f"cert-manager flavour renders Secrets {sorted(secrets)}")
    else:
        if inject:
            bad("inject-ca-from annotation without cert-manager")
        if not bundle:
            bad("no caBundle: the API server could not verify admitd")
        if flavor in ("certs", "generated"):
            sec = secrets.get(tls_secret)
            if sec is None:
                bad(f"the pods read Secret {tls_secret!r}, which is not rendered")
            elif bundle and b64pem(sec["data"]["ca.crt"]) not in b64pem(bundle):
                bad("the caBundle does not hold the Secret's CA")
        elif flavor == "existing" and tls_secret in secrets:
            bad("existing-Secret flavour renders the Secret")

    if dep:
        check_signature_files(objs, opts, dep["metadata"]["name"])

    cron = [o for (k, n), o in objs.items() if k == "CronJob"]
    if audit:
        if len(cron) != 1:
            bad(f"{len(cron)} CronJobs, want the audit one")
        else:
            spec = dig(cron[0], POD_TEMPLATE["CronJob"])["spec"]
            c = spec["containers"][0]
            if c.get("command") != ["/admitd"] or c.get("args", [])[:3] != ["audit", "--cluster", "--output"] \
                    or c.get("args", [None] * 4)[3] not in ("policyreport", "openreports"):
                bad(f"audit CronJob runs {c.get('command')} {c.get('args')}")
            # the root filesystem is read-only; audit spills its results to /tmp
            scratch = {v["name"] for v in spec.get("volumes", []) if "emptyDir" in v}
            for k in spec["containers"]:
                tmp = [m for m in k.get("volumeMounts", []) if m.get("mountPath") == "/tmp"]
                if len(tmp) != 1 or tmp[0]["name"] not in scratch or tmp[0].get("readOnly"):
                    bad(f"audit CronJob container {k.get('name')}: no writable emptyDir at /tmp")
            check_drift(spec, opts)
            sa = spec.get("serviceAccountName")
            if dep and sa == dep["spec"]["template"]["spec"].get("serviceAccountName"):
                bad("the audit CronJob shares the webhook's ServiceAccount")
            binding = [o for (k, n), o in objs.items() if k == "ClusterRoleBinding" and
                       any(s.get("name") == sa and s.get("namespace") == ns for s in o.get("subjects", []))]
            if len(binding) != 1:
                bad(f"{len(binding)} ClusterRoleBindings for {sa}")
            else:
                role = objs.get(("ClusterRole", binding[0]["roleRef"]["name"]), {})
                grants = {}
                for r in role.get("rules", []):
                    for g in r.get("apiGroups", []):
                        for res in r.get("resources", []):
                            grants[(g, res)] = set(r.get("verbs", []))
                want = {(g, r): {"get", "list"} for g, rs in judged.items() for r in rs
                        if "/" not in r}
                want[("networking.k8s.io", "networkpolicies")] = {"get", "list"}
                if opts["drift"]:
                    # the inventory: the Services that select a workload, its ServiceAccount
                    want[("", "services")] = {"get", "list"}
                    want[("", "serviceaccounts")] = {"get", "list"}
                # --write-reports stores them with server-side apply, and deletes stale ones
                for g, res in (("wgpolicyk8s.io", "policyreports"), ("wgpolicyk8s.io", "clusterpolicyreports"),
                               ("openreports.io", "reports"), ("openreports.io", "clusterreports")):
                    want[(g, res)] = {"get", "list", "create", "update", "patch", "delete"}
                if grants != want:
                    bad(f"audit ClusterRole grants {sorted((k, sorted(v)) for k, v in grants.items())}")
    elif cron:
        bad("an audit CronJob is rendered though it is off")
    return 1 if problems else 0


def check_drift(spec, opts):
    """The audit CronJob's drift container, or its absence."""
    names = [k.get("name") for k in spec["containers"]]
    base_vols = [v for v in spec.get("volumes", []) if v["name"].startswith("baseline")]
    if not opts["drift"]:
        if names != ["audit"] or base_vols:
            bad(f"drift is off, but the CronJob has containers {names} and volumes {[v['name'] for v in base_vols]}")
        return
    if names != ["audit", "drift"]:
        bad(f"audit CronJob containers are {names}, want audit and drift")
        return
    audit, drift = spec["containers"]
    want_args = ["inventory", "--cluster", "--baseline", "/etc/admitd/baseline", "--output",
                 audit["args"][3], "--write-reports", "--config", "/etc/admitd/config/config.yaml"]
    if opts["drift-fail-on"]:
        want_args += ["--fail-on", opts["drift-fail-on"]]
    if drift.get("command") != ["/admitd"] or drift.get("args") != want_args:
        bad(f"drift runs {drift.get('command')} {drift.get('args')}, want {want_args}")
    for key in ("image", "imagePullPolicy", "securityContext", "resources"):
        if drift.get(key) != audit.get(key):
            bad(f"drift's {key} is {drift.get(key)!r}, the audit's {audit.get(key)!r}")
    mounts = drift.get("volumeMounts", [])
    shared = [m for m in mounts if not m["mountPath"].startswith("/etc/admitd/baseline")]
    if shared != audit.get("volumeMounts"):
        bad(f"drift's mounts {shared} are not the audit's {audit.get('volumeMounts')}")
    vols = {v["name"]: v for v in spec.get("volumes", [])}
    got = []
    for m in mounts:
        if not m["mountPath"].startswith("/etc/admitd/baseline"):
            continue
        v = vols.get(m["name"], {})
        src = ("configmap", v["configMap"]["name"]) if "configMap" in v else \
            ("secret", v["secret"]["secretName"]) if "secret" in v else ("?", m["name"])
        if m["mountPath"] != "/etc/admitd/baseline/%s-%s" % src or m.get("readOnly") is not True:
            bad(f"baseline mount {m}: want /etc/admitd/baseline/{src[0]}-{src[1]}, read-only")
        got.append("%s:%s" % src)
    if got != opts["drift"].split(","):
        bad(f"the baseline mounted is {got}, want {opts['drift']}")
    if len(base_vols) != len(got):
        bad(f"{len(base_vols)} baseline volumes, {len(got)} mounted")


# ---- chart vs manifests ----

def key_fields(o):
    kind = o["kind"]
    if kind == "ValidatingWebhookConfiguration":
        hooks = copy.deepcopy(o["webhooks"])
        for w in hooks:
            w["clientConfig"].pop("caBundle", None)
            for e in w.get("namespaceSelector", {}).get("matchExpressions", []):
                e["values"] = sorted(e.get("values", []))
        ann = o["metadata"].get("annotations", {}).get("cert-manager.io/inject-ca-from")
        return {"webhooks": hooks, "inject-ca-from": ann}
    if kind in POD_TEMPLATE:
        s = copy.deepcopy(o["spec"])
        dig(s, POD_TEMPLATE[kind][1:])["metadata"].pop("labels", None)  # the chart adds helm's own
        return s
    if kind == "ClusterRole":
        return o.get("rules")
    if kind == "ClusterRoleBinding":
        return {"roleRef": o.get("roleRef"), "subjects": o.get("subjects")}
    if kind == "ConfigMap":
        return {k: yaml.safe_load(v) for k, v in o.get("data", {}).items()}
    if kind == "ServiceAccount":
        return {"automountServiceAccountToken": o.get("automountServiceAccountToken")}
    return o.get("spec")


def differences(a, b, path=""):
    """(path, a's value, b's value) of every place where a and b differ."""
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b), key=str):
            yield from differences(a.get(k), b.get(k), f"{path}.{k}" if path else str(k))
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            yield from differences(x, y, f"{path}[{i}]")
    elif a != b:
        yield path, a, b


def cmd_compare(args):
    chart = index(load(args[0]))
    mani = index(load(args[1]))
    skip = {"Namespace", "Secret"}
    a = {k for k in chart if k[0] not in skip}
    b = {k for k in mani if k[0] not in skip}
    if a != b:
        bad(f"only in the chart: {sorted(a - b)}; only in manifests/: {sorted(b - a)}")
    for k in sorted(a & b):
        for path, x, y in differences(key_fields(chart[k]), key_fields(mani[k])):
            bad(f"{k[0]}/{k[1]} {path or '(whole)'}: chart {json.dumps(x)}, manifests {json.dumps(y)}")
    return 1 if problems else 0


def cmd_get(args):
    path, kind, name, field = args
    objs = index(load(path))
    o = objs.get((kind, name))
    if o is None:
        print(f"no {kind}/{name} in {path}", file=sys.stderr)
        return 1
    for part in [p for p in field.split("/") if p]:
        o = o[int(part)] if isinstance(o, list) else o[part]
    print(o if isinstance(o, str) else json.dumps(o))
    return 0


def cmd_list(args):
    items = [d for d in load(args[0]) if d.get("kind") == "Pod" or d.get("kind") in POD_TEMPLATE]
    print(json.dumps({"apiVersion": "v1", "kind": "List", "items": items}))
    return 0


def cmd_privileged(args):
    docs = load(args[0])
    for d in docs:
        if d.get("kind") in POD_TEMPLATE:
            c = dig(d, POD_TEMPLATE[d["kind"]])["spec"]["containers"][0]
            c.setdefault("securityContext", {})["privileged"] = True
    with open(args[1], "w") as f:
        yaml.safe_dump_all(docs, f)
    return 0


def volume_files(vol, objs):
    """[(relative path, bytes, mode)] of one volume, as the kubelet writes it."""
    def source(kind, name, items, default_mode, optional):
        o = objs.get((kind, name))
        if o is None:
            if optional:
                return []
            bad(f"volume {vol['name']}: {kind} {name!r} is neither rendered nor given: the pod would not start")
            return []
        data = {}
        for k, v in (o.get("data") or {}).items():
            data[k] = base64.b64decode(v) if kind == "Secret" else v.encode()
        for k, v in (o.get("binaryData") or {}).items():
            data[k] = base64.b64decode(v)
        for k, v in (o.get("stringData") or {}).items():
            data[k] = v.encode()
        if not items:
            return [(k, v, default_mode) for k, v in sorted(data.items())]
        out = []
        for it in items:
            if it["key"] not in data:
                bad(f"volume {vol['name']}: {kind} {name} has no key {it['key']!r}")
                continue
            out.append((it["path"], data[it["key"]], it.get("mode", default_mode)))
        return out

    if "emptyDir" in vol:
        return []  # scratch space, empty when the pod starts
    if "configMap" in vol:
        s = vol["configMap"]
        return source("ConfigMap", s["name"], s.get("items"), s.get("defaultMode", 0o644), s.get("optional"))
    if "secret" in vol:
        s = vol["secret"]
        return source("Secret", s["secretName"], s.get("items"), s.get("defaultMode", 0o644), s.get("optional"))
    if "projected" in vol:
        out, mode = [], vol["projected"].get("defaultMode", 0o644)
        for src in vol["projected"].get("sources", []):
            if "configMap" in src:
                s = src["configMap"]
                out += source("ConfigMap", s["name"], s.get("items"), mode, s.get("optional"))
            elif "secret" in src:
                s = src["secret"]
                out += source("Secret", s["name"], s.get("items"), mode, s.get("optional"))
        return out
    bad(f"volume {vol['name']}: materialize knows configMap, secret and projected volumes only")
    return []


def cmd_materialize(args):
    path, kind, root = args[:3]
    kind, _, container = kind.partition("/")
    docs = load(path)
    for extra in args[3:]:
        docs += load(extra)
    objs = {}
    for d in docs:
        objs[(d.get("kind"), d.get("metadata", {}).get("name"))] = d
    found = [d for d in load(path) if d.get("kind") == kind]
    if len(found) != 1:
        bad(f"{len(found)} {kind}s in {path}")
        return 1
    spec = dig(found[0], POD_TEMPLATE[kind])["spec"]
    vols = {v["name"]: v for v in spec.get("volumes", [])}
    chosen = [k for k in spec["containers"] if not container or k.get("name") == container]
    if not chosen:
        bad(f"no container {container!r} in the {kind}")
        return 1
    for m in chosen[0].get("volumeMounts", []):
        vol = vols.get(m["name"])
        if vol is None:
            bad(f"mount {m['name']} has no volume")
            continue
        for rel, data, mode in volume_files(vol, objs):
            f = os.path.join(root + m["mountPath"], rel)
            os.makedirs(os.path.dirname(f), exist_ok=True)
            with open(f, "wb") as out:
                out.write(data)
            os.chmod(f, mode)
    return 1 if problems else 0


def main():
    cmds = {"structure": cmd_structure, "compare": cmd_compare, "get": cmd_get,
            "list": cmd_list, "privileged": cmd_privileged, "materialize": cmd_materialize}
    if len(sys.argv) < 2 or sys.argv[1] not in cmds:
        print(__doc__, file=sys.stderr)
        return 2
    rc = cmds[sys.argv[1]](sys.argv[2:])
    for p in problems:
        print(f"  {p}", file=sys.stderr)
    return rc


if __name__ == "__main__":
    sys.exit(main())
