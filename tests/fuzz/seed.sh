#!/usr/bin/env bash
# seed.sh [OUT]: writes the seed corpora of the fuzz targets into
# OUT/<target>/ (default build/fuzz/corpus), generated from the repository's
# test data and examples and, when present, ../shared/conformance (Pod
# Security Standards pods, cosign signatures). Nothing is copied into the repository; every
# seed is named seed-<hash> so that a rerun rewrites the same files.
#
#   fuzz_review  every object found, wrapped into an AdmissionReview
#                (v1 and v1beta1, several namespaces and users), plus the
#                reviews in tests/data as they are
#   fuzz_config  every configuration and YAML file, plus the built-in default
#   fuzz_rules   PATH '\n' ASSERTION, from the rules in docs/examples and a
#                set covering every operator and combinator
#   fuzz_image   REF '\n' PATTERN, from every image and registry found
#   fuzz_yaml    every YAML file as it is, plus YAML 1.1 scalars and keys
#   fuzz_cosign  MODE byte + input (see fuzz_cosign.c): the real cosign
#                signatures of ../shared/conformance/cosign, and payloads,
#                bundles and statements for the target's own digest
#   fuzz_oci     WWW-Authenticate and Link headers as registries send them,
#                and docker config files (every parser reads every input)
#   fuzz_ocimf   a Content-Type byte + the real image manifests of
#                ../shared/conformance/cosign, signature manifests,
#                indexes (Docker, OCI, referrers) and image configurations
#   fuzz_vulnattest  MODE byte + input (see fuzz_vulnattest.c): cosign-vuln
#                predicates with Trivy reports (clean, every severity, an id
#                in two packages, missing and odd fields), RFC 3339 times as
#                Go writes them, the cache's form of scans, in-toto
#                statements (v0.1, v1, another predicate type or digest) and
#                DSSE envelopes
#
# Needs python3 with PyYAML (Debian: python3-yaml) for the YAML inputs;
# without it the JSON inputs still seed every target.
set -eu
TOP=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${1:-$TOP/build/fuzz/corpus}
SHARED=${ADMITD_SHARED:-$TOP/../shared}
mkdir -p "$OUT"/{fuzz_review,fuzz_config,fuzz_rules,fuzz_image,fuzz_yaml,fuzz_cosign,fuzz_oci,fuzz_ocimf,fuzz_baseline,fuzz_vulnattest}

python3 - "$TOP" "$OUT" "$SHARED" <<'PY'
import glob, hashlib, json, os, sys

top, out, shared = sys.argv[1:4]
try:
    import yaml
except ImportError:
    yaml = None
    print("seed.sh: python3-yaml missing, YAML inputs skipped", file=sys.stderr)

counts = {}

def put(target, data):
    if isinstance(data, str):
        data = data.encode()
    name = "seed-" + hashlib.sha1(data).hexdigest()[:16]
    with open(os.path.join(out, target, name), "wb") as f:
        f.write(data)
    counts[target] = counts.get(target, 0) + 1

def read(path):
    with open(path, "rb") as f:
        return f.read()

def docs(path):
    """Every document of a JSON or YAML file; [] when it does not parse."""
    raw = read(path)
    try:
        return [json.loads(raw)]
    except ValueError:
        pass
    if yaml is None:
        return []
    try:
        return [d for d in yaml.safe_load_all(raw) if d is not None]
    except Exception:
        return []

JUDGED = {"Pod": ("", "v1"), "ReplicationController": ("", "v1"),
          "Deployment": ("apps", "v1"), "StatefulSet": ("apps", "v1"),
          "DaemonSet": ("apps", "v1"), "ReplicaSet": ("apps", "v1"),
          "Job": ("batch", "v1"), "CronJob": ("batch", "v1")}

def objects(v):
    """Kubernetes objects anywhere inside v (List items, suite cases...)."""
    if isinstance(v, dict):
        if isinstance(v.get("kind"), str) and "apiVersion" in v and "metadata" in v:
            yield v
        for x in v.values():
            yield from objects(x)
    elif isinstance(v, list):
        for x in v:
            yield from objects(x)

def images(v):
    if isinstance(v, dict):
        for k, x in v.items():
            if k == "image" and isinstance(x, str):
                yield x
            elif k in ("registries", "images") and isinstance(x, list):
                yield from (i for i in x if isinstance(i, str))
            else:
                yield from images(x)
    elif isinstance(v, list):
        for x in v:
            yield from images(x)

def compact(v):
    return json.dumps(v, separators=(",", ":"), sort_keys=False)

# ---- inputs ----
files = []
for pat in ("tests/data/*.json", "tests/data/audit/*", "tests/data/suites/*",
            "docs/examples/*.yaml", "tests/policy-suites/**/*"):
    files += [p for p in glob.glob(os.path.join(top, pat), recursive=True) if os.path.isfile(p)]
pss = sorted(glob.glob(os.path.join(shared, "conformance/pod-security-standards/**/*.yaml"),
                       recursive=True))
all_docs = []
for p in sorted(files) + pss:
    for d in docs(p):
        all_docs.append((p, d))

# ---- fuzz_yaml ----
for p in sorted(files):
    if p.endswith((".yaml", ".yml")):
        put("fuzz_yaml", read(p))
put("fuzz_yaml", "a: yes\nb: 0755\nc: 0x_1F\nd: 1_000\ne: .5\nf: 1e3\ny: n\n0o17: on\n"
                 "g: [~, Null, -.inf, .NaN, 08, +12, 0b101]\n<<: {h: 1}\n---\ni: &a {j: 1}\nk: *a\n")

# ---- fuzz_review ----
variants = [
    ("admission.k8s.io/v1", "CREATE", "prod-a", "alice", ["dev", "system:authenticated"]),
    ("admission.k8s.io/v1beta1", "UPDATE", "default", "bob", ["system:authenticated"]),
    ("admission.k8s.io/v1", "CREATE", "kube-system", "admin", ["system:masters-exempt"]),
]
seen = set()
n = 0
for path, d in all_docs:
    if isinstance(d, dict) and d.get("kind") == "AdmissionReview":
        put("fuzz_review", read(path) if path.endswith(".json") else compact(d))
        continue
    for obj in objects(d):
        kind = obj.get("kind")
        if kind not in JUDGED and kind not in ("ConfigMap", "Service", "Namespace"):
            continue
        key = compact(obj)
        if key in seen:
            continue
        seen.add(key)
        group, version = JUDGED.get(kind, ("", "v1"))
        api, op, ns, user, groups = variants[n % len(variants)]
        n += 1
        meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
        rq = {"uid": "00000000-0000-0000-0000-%012d" % n,
              "kind": {"group": group, "version": version, "kind": kind},
              "resource": {"group": group, "version": version,
                           "resource": kind.lower() + "s"},
              "operation": op, "namespace": meta.get("namespace", ns),
              "name": meta.get("name", "x"),
              "userInfo": {"username": user, "groups": groups},
              "object": obj, "dryRun": n % 5 == 0}
        if op == "UPDATE":
            rq["oldObject"] = obj
        put("fuzz_review", compact({"apiVersion": api, "kind": "AdmissionReview",
                                    "request": rq}))
# edges the data does not have
R = '{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":%s}'
for rq in ['{"uid":"u","operation":"DELETE","kind":{"kind":"Pod"},"oldObject":{}}',
           '{"uid":"u","operation":"CREATE","kind":{"group":"x.io","kind":"Pod"},"object":{}}',
           '{"uid":"u","operation":"CREATE","subResource":"ephemeralcontainers",'
           '"kind":{"kind":"Pod"},"object":{"spec":{"ephemeralContainers":[{"name":"d"}]}}}',
           '{"uid":"u","operation":"CREATE","kind":{"group":"batch","kind":"CronJob"},'
           '"object":{"spec":{"jobTemplate":{"spec":{"template":{"spec":{"containers":'
           '[{"name":"c","image":"x","securityContext":{"privileged":"yes"}}]}}}}}}}',
           '{"uid":"u","operation":"CREATE","kind":{"kind":"Pod"},"object":{"spec":'
           '{"containers":{"name":"c"},"volumes":[1,null,[]],"securityContext":7}}}',
           '{"uid":"u","uid":"v","operation":"CREATE"}',
           '{"uid":"u","operation":"CREATE","object":' + '[' * 70 + ']' * 70 + '}']:
    put("fuzz_review", R % rq)

# ---- fuzz_config ----
for p in sorted(files):
    if p.endswith((".yaml", ".yml")):
        put("fuzz_config", read(p))
put("fuzz_config", "# admitd built-in default configuration\nmode: enforce\npodSecurity:\n"
    "  level: restricted\n  action: deny\nexemptions:\n  namespaces: [kube-system]\n")
put("fuzz_config", """mode: dry-run
podSecurity: {level: baseline, action: warn}
exemptions: {namespaces: [kube-system, "team-*"], users: [admin], groups: [ops]}
server: {listen: "127.0.0.1:8443", threads: "2", maxBodyBytes: "1048576", http2: true}
policies:
  - id: allowed-registries
    registries: [registry.corp.example, "localhost:5000/x", "[::1]:5000"]
    requireDigest: true
    allowLatest: false
    exemptions: {images: [nginx, "ghcr.io/acme/x@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"]}
  - id: required-labels
    labels: [{key: team}, {key: example.com/tier, values: [a, ""]}]
  - {id: read-only-root-filesystem, action: audit}
  - {id: resource-limits, resources: [memory, ephemeral-storage]}
  - {id: no-secrets-in-env, patterns: [PASSWORD, TOKEN]}
  - {id: forbidden-ports, ports: [22, 3389]}
  - {id: privileged, action: off}
  - {id: network-policy-coverage, action: audit}
rules:
  - id: r1
    match: {kinds: [Pod], namespaces: ["prod-*"]}
    assert: {not: {any: [{path: "pod.spec.containers[*].ports[0].containerPort", op: gt, value: "1024"}]}}
""")

# ---- fuzz_rules ----
rule_seeds = [
    ("metadata.labels.team", {"path": "metadata.labels.team", "op": "exists"}),
    ("pod.spec.hostNetwork", {"path": "pod.spec.hostNetwork", "op": "absent"}),
    ("pod.metadata.labels.tier", {"path": "pod.metadata.labels.tier", "op": "equals", "value": "1"}),
    ("spec.replicas", {"path": "spec.replicas", "op": "notEquals", "value": "3"}),
    ("pod.spec.serviceAccountName", {"path": "pod.spec.serviceAccountName", "op": "notIn",
                                     "values": ["", "default"]}),
    ("pod.spec.volumes[*].name", {"path": "pod.spec.volumes[*].name", "op": "in",
                                  "values": ["data", "cfg"]}),
    ("pod.spec.containers[*].image", {"path": "pod.spec.containers[*].image", "op": "matches",
                                      "value": "@sha256:[0-9a-f]{64}$"}),
    ("pod.spec.containers[*].resources.limits.memory",
     {"path": "pod.spec.containers[*].resources.limits.memory", "op": "lt", "value": "1e3"}),
    ("spec.template.spec.containers[0].ports[0].containerPort",
     {"path": "spec.template.spec.containers[0].ports[0].containerPort", "op": "gte",
      "value": "-1.5"}),
    ("pod.spec.priority", {"path": "pod.spec.priority", "op": "lte", "value": "0"}),
    ("pod.spec.containers[*].args[*]", {"path": "pod.spec.containers[*].args[*]", "op": "gt",
                                        "value": "0x10"}),
    ("a[0][1]", {"all": [{"path": "metadata.name", "op": "matches", "value": "^(a|b)*c?$"},
                         {"any": [{"path": "spec.x[3]", "op": "exists"},
                                  {"not": {"path": "pod.spec.containers[*].name",
                                           "op": "in", "values": ["web"]}}]}]}),
]
for p in sorted(files):
    for d in docs(p) if p.endswith(".yaml") else []:
        for r in (d.get("rules") or []) if isinstance(d, dict) else []:
            if isinstance(r, dict) and isinstance(r.get("assert"), dict):
                a = r["assert"]
                rule_seeds.append((a.get("path", "metadata.name"), a))
for path, a in rule_seeds:
    put("fuzz_rules", path + "\n" + compact(a))
# block style after the newline, as a person writes it
put("fuzz_rules", "pod.spec.containers[*].securityContext.runAsUser\n\n"
    "      path: pod.spec.containers[*].securityContext.runAsUser\n      op: gt\n"
    "      value: \"999\"")
put("fuzz_rules", "spec.template.metadata.labels\n\n      all:\n"
    "        - {path: spec.template.metadata.labels.app, op: exists}\n"
    "        - not: {path: spec.replicas, op: gt, value: \"50\"}")

# ---- fuzz_image ----
imgs = set()
for _, d in all_docs:
    imgs.update(images(d))
imgs.update(["nginx", "acme/app:1.2", "Registry.Corp.Example/x@sha256:" + "a" * 64,
              "localhost:5000/x:dev", "[::1]:5000/a/b:c", "index.docker.io/library/nginx",
              "docker.io/nginx:latest@sha512:" + "b" * 128, "ghcr.io/acme/x:1",
              "ghcr.io/acme-evil/x", "registry.corp.example.evil.io/app", "a__b/c--d.e_f",
              "x@md5:00", "Nginx", "app:bad tag", "ghcr.io//x", "127.0.0.1:65535/x:" + "t" * 128])
pats = ["registry.corp.example", "ghcr.io/acme", "docker.io/library", "localhost:5000",
        "[::1]:5000", "nginx", "ghcr.io/acme/x:1", "docker.io"]
imgs = sorted(imgs)
for i, img in enumerate(imgs):
    put("fuzz_image", img + "\n" + pats[i % len(pats)])
for p in pats:
    put("fuzz_image", p)

# ---- fuzz_cosign ----
# modes: 0 SIG\nBLOB as given, 1 BLOB signed by the target, 2 bundle as given,
# 3 TYPE\nPAYLOAD wrapped and signed by the target; +4: any identity; +8: also
# the input as PEM key text
import base64
FD = "0123456789abcdef" * 4
def cosign(mode, data):
    put("fuzz_cosign", bytes([mode]) + (data.encode() if isinstance(data, str) else data))
magic = b"\0sigstore-json\n"
for p in sorted(glob.glob(os.path.join(shared, "conformance/cosign/**/*"), recursive=True)):
    raw = read(p) if os.path.isfile(p) else b""
    if not raw.startswith(magic):
        continue
    try:
        doc = json.loads(raw[len(magic):])
        blob = base64.b64decode(doc["payload"])
        sig = doc["annotations"]["dev.cosignproject.cosign/signature"].encode()
    except (ValueError, KeyError):
        continue
    cosign(0, sig + b"\n" + blob)
    cosign(1, blob)
for p in sorted(glob.glob(os.path.join(shared, "conformance/cosign/*.pub"))):
    cosign(8, read(p))
cosign(8, "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
cosign(8, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
def simple(ref, digest="sha256:" + FD, typ="cosign container image signature"):
    return compact({"critical": {"identity": {"docker-reference": ref},
                                 "image": {"docker-manifest-digest": digest}, "type": typ},
                    "optional": None})
for ref in ("ghcr.io/acme/app:v1", "ghcr.io/acme/upstream", "nginx", "index.docker.io/library/nginx",
            "ghcr.io/acme/app-evil", "not a ref"):
    cosign(1, simple(ref))
cosign(5, simple("elsewhere.example/x"))
cosign(1, simple("ghcr.io/acme/app", digest="sha256:" + "f" * 64))
cosign(1, simple("ghcr.io/acme/app", typ="cosign attestation"))
cosign(1, "this is not a signature, regardless of the annotation")
def stmt(name, digest=FD, typ="https://in-toto.io/Statement/v1",
         ptype="https://cosign.sigstore.dev/attestation/vuln/v1"):
    subj = {"digest": {"sha256": digest}}
    if name is not None:
        subj["name"] = name
    return compact({"_type": typ, "subject": [subj], "predicateType": ptype,
                    "predicate": {"scanner": {"uri": "pkg:github/aquasecurity/trivy"}}})
intoto = "application/vnd.in-toto+json\n"
for s_ in (stmt("ghcr.io/acme/app"), stmt(None), stmt("ghcr.io/acme/other"),
           stmt("ghcr.io/acme/app", digest="f" * 64),
           stmt("index.docker.io/library/nginx", typ="https://in-toto.io/Statement/v0.1")):
    cosign(3, intoto + s_)
cosign(7, intoto + stmt("ghcr.io/acme/other"))
cosign(3, "application/json\n" + stmt("ghcr.io/acme/app"))
def bundle(vm, env, media="application/vnd.dev.sigstore.bundle.v0.3+json"):
    b = {"mediaType": media, "verificationMaterial": vm}
    b.update(env)
    return compact(b)
env = {"dsseEnvelope": {"payload": base64.b64encode(stmt("ghcr.io/acme/app").encode()).decode(),
                        "payloadType": "application/vnd.in-toto+json",
                        "signatures": [{"keyid": "", "sig": "MEUCIQDmtamqYPjMg81nqeBhptrPls44aA=="}]}}
cosign(2, bundle({"publicKey": {"hint": "aGludA=="}}, env))
cosign(2, bundle({"publicKey": {"hint": "x"}}, env,
                 media="application/vnd.dev.sigstore.bundle+json;version=0.1"))
cosign(2, bundle({"certificate": {"rawBytes": "MIIB"}}, env))
cosign(2, bundle({"publicKey": {}}, {"messageSignature": {
    "messageDigest": {"algorithm": "SHA2_256", "digest": "AAAA"}, "signature": "AAAA"}}))
# ---- fuzz_oci ----
for h in ['Bearer realm="https://auth.docker.io/token",service="registry.docker.io",'
          'scope="repository:library/nginx:pull"',
          'Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:a/b:pull",'
          'error="insufficient_scope"',
          'Basic realm="admitd-test"',
          'Newauth realm="apps", type=1, title="Login to \\"apps\\"", Basic realm="simple"',
          'Negotiate abc+/x==, Bearer realm=b',
          'bearer  Realm = "r" ,\tSERVICE=svc',
          '</v2/app/tags/list?last=b&n=2>; rel="next"',
          '</v2/a/referrers/sha256:ab?artifactType=x%2By&page=1>; rel="next"',
          '<https://r.example/p0>; rel="prev", </p1>; title="a, b"; rel="last next"']:
    put("fuzz_oci", h)
for c in [{"auths": {"registry.example:5000": {"auth": "YWxpY2U6czNjcmV0"}}},
          {"auths": {"https://index.docker.io/v1/": {"auth": "dTpw", "email": "x@y"}}},
          {"auths": {"http://registry.example:5000/v2/": {"username": "bob", "password": "pw"}}},
          {"auths": {"registry.example:5000": {"identitytoken": "t"}}},
          {"credHelpers": {"docker.io": "desktop"}, "credsStore": "desktop"},
          {"auths": {}}]:
    put("fuzz_oci", json.dumps(c, indent=1))

# ---- fuzz_ocimf ----
D1 = "sha256:" + "1" * 64
D2 = "sha256:" + "2" * 64
def ocimf(kind, doc):
    put("fuzz_ocimf", bytes([kind]) + (doc if isinstance(doc, bytes) else json.dumps(doc).encode()))
for d in sorted(glob.glob(os.path.join(shared, "conformance/cosign/dir-img-*/manifest.json"))):
    with open(d, "rb") as f:
        ocimf(0, f.read())
ocimf(1, {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
          "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": D1, "size": 2},
          "layers": [{"mediaType": "application/vnd.dev.cosign.simplesigning.v1+json", "digest": D2,
                      "size": 250, "annotations": {"dev.cosignproject.cosign/signature": "MEUC"}}]})
ocimf(0, {"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.list.v2+json",
          "manifests": [{"digest": D1, "size": 1, "platform": {"os": "linux", "architecture": "arm",
                                                              "variant": "v7"}},
                        {"digest": D2, "size": 2, "platform": {"os": "windows", "architecture": "amd64"}}]})
ocimf(2, {"schemaVersion": 2, "manifests": [
    {"mediaType": "application/vnd.oci.image.manifest.v1+json",
     "artifactType": "application/vnd.dev.sigstore.bundle.v0.3+json", "digest": D1, "size": 5}],
    "subject": {"digest": D2, "size": 9}})
ocimf(0, {"architecture": "amd64", "os": "linux", "config": {
    "User": "1000:1000", "ExposedPorts": {"22/tcp": {}, "53/UDP": {}, "8080": {}},
    "Env": ["PATH=/usr/bin", "DB_PASSWORD=x"]}, "rootfs": {"type": "layers", "diff_ids": [D1]}})
ocimf(0, {"architecture": "arm64", "os": "linux"})
ocimf(0, {"p": [{"platform": "linux/amd64", "os": "linux", "arch": "amd64", "user": None,
                 "ports": ["22/tcp"], "env": ["PATH=/bin", "A=b"]}]})

# ---- fuzz_baseline ----
W = {"kind": "Deployment", "namespace": "shop", "name": "web",
     "containers": [{"list": "containers", "name": "c", "image": "nginx:1.25", "registry": "docker.io",
                     "repository": "library/nginx", "tag": "1.25", "digest": D1, "privileged": True,
                     "capabilities": ["NET_ADMIN"], "ports": [{"containerPort": 80, "hostPort": 80,
                                                              "protocol": "TCP"}]}],
     "hostNamespaces": {"hostNetwork": True}, "volumes": [{"name": "r", "type": "hostPath", "path": "/"}],
     "networkPolicies": {"ingress": ["a"], "egress": []},
     "services": [{"name": "s", "type": "NodePort", "external": True,
                   "ports": [{"port": 80, "protocol": "TCP"}]}]}
put("fuzz_baseline", json.dumps({"workloads": [W]}))
put("fuzz_baseline", json.dumps({"workloads": [W, dict(W, name="other", namespace="ops")]}))
put("fuzz_baseline", json.dumps({"workloads": []}))
for p in sorted(glob.glob(os.path.join(top, "tests/data/inventory/*.json"))):
    put("fuzz_baseline", read(p))
# ---- fuzz_vulnattest ----
# modes: 0 predicate, 1 time, 2 cache form, 3 statement (signed here), 4 envelope as given
def vulnattest(mode, data):
    put("fuzz_vulnattest", bytes([mode]) + (data.encode() if isinstance(data, str) else data))
def finding(vid, sev, pkg, i):
    v = {"VulnerabilityID": vid, "PkgID": "%s@1.%d" % (pkg, i), "PkgName": pkg,
         "PkgIdentifier": {"PURL": "pkg:deb/debian/%s@1.%d?arch=amd64&distro=debian-12.8" % (pkg, i)},
         "InstalledVersion": "1.%d" % i, "FixedVersion": "1.%d" % (i + 1), "Status": "fixed",
         "SeveritySource": "nvd", "PrimaryURL": "https://avd.aquasec.com/nvd/" + vid.lower(),
         "DataSource": {"ID": "debian", "Name": "Debian Security Tracker"},
         "Title": "%s: a flaw" % pkg, "CweIDs": ["CWE-787"], "VendorSeverity": {"nvd": 3},
         "CVSS": {"nvd": {"V3Vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "V3Score": 9.8}},
         "References": ["https://nvd.nist.gov/vuln/detail/" + vid],
         "PublishedDate": "2024-03-29T17:15:21.15Z"}
    if sev is not None:
        v["Severity"] = sev
    return v
def vuln_predicate(finished, results, schema=2):
    report = {"SchemaVersion": schema, "CreatedAt": finished, "ArtifactName": "ghcr.io/acme/app:1",
              "ArtifactType": "container_image", "Metadata": {"OS": {"Family": "debian", "Name": "12.8"}}}
    if results is not None:
        report["Results"] = results
    return {"invocation": {"parameters": None, "uri": "", "event_id": "", "builder.id": ""},
            "scanner": {"uri": "pkg:github/aquasecurity/trivy@0.58.1", "version": "0.58.1",
                        "db": {"uri": "", "version": ""}, "result": report},
            "metadata": {"scanStartedOn": finished, "scanFinishedOn": finished}}
sevs = ["CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN"]
mixed = [{"Target": "app (debian 12.8)", "Class": "os-pkgs", "Type": "debian",
          "Vulnerabilities": [finding("CVE-2024-%04d" % i, sevs[i % 5], "pkg%d" % i, i)
                              for i in range(12)] + [finding("CVE-2024-0001", "LOW", "libx", 99)]},
         {"Target": "app/package-lock.json", "Class": "lang-pkgs", "Type": "npm",
          "Vulnerabilities": [finding("GHSA-c2qf-rxjj-qqgw", "HIGH", "semver", 1),
                              finding("TEMP-0841856-B18BAF", None, "bash", 2)]},
         {"Target": "usr/bin/tool", "Class": "lang-pkgs", "Type": "gobinary"},
         {"Target": "other", "Vulnerabilities": None}]
preds = [vuln_predicate("2026-12-01T10:20:30.123456789Z", mixed),
         vuln_predicate("2026-12-01T12:20:30+02:00", None),
         vuln_predicate("2026-12-01T10:20:30Z", [{"Target": "x", "Class": "os-pkgs"}]),
         vuln_predicate("0001-01-01T00:00:00Z", []),
         vuln_predicate("2026-12-01T10:20:30Z", mixed, schema=1),
         vuln_predicate("2026-12-01T10:20:30Z",
                        [{"Vulnerabilities": [finding("CVE-1", "SEVERE", "a", 1),
                                              {"PkgName": "no-id"}]}])]
for p_ in preds:
    vulnattest(0, compact(p_))
vulnattest(0, compact({"metadata": {"scanFinishedOn": "2026-12-01T10:20:30Z"},
                       "scanner": {"result": {"SchemaVersion": 2, "Results": {}}}}))
for t_ in ["2026-12-01T10:20:30Z", "2026-12-01T10:20:30.123456789Z", "2026-12-01T12:20:30+02:00",
           "2024-02-29T00:00:00-04:30", "1970-01-01T00:00:00Z", "9999-12-31T23:59:59-23:59",
           "2023-02-29T10:20:30Z", "2026-12-01T10:20:60Z", "2026-12-01t10:20:30z"]:
    vulnattest(1, t_)
for c_ in ['{"t":1796120430,"c":[1,1,1,1,2],"f":[["CVE-2024-0001",4],["CVE-2024-0002",4],'
           '["CVE-2024-0003",3],["GHSA-c2qf-rxjj-qqgw",2],["CVE-2024-0004",1],["TEMP-1",0]]}',
           '{"t":1796120430,"c":[0,0,0,0,0],"f":[]}',
           '{"t":1796120430,"c":[0,0,0,0,1],"f":[["CVE-1",4],["CVE-2",4]]}']:
    vulnattest(2, c_)
def vuln_statement(digest=FD, typ="https://in-toto.io/Statement/v0.1",
                   ptype="https://cosign.sigstore.dev/attestation/vuln/v1", pred=None):
    return compact({"_type": typ, "predicateType": ptype,
                    "subject": [{"name": "ghcr.io/acme/app", "digest": {"sha256": digest}}],
                    "predicate": pred if pred is not None else preds[0]})
for s_ in (vuln_statement(), vuln_statement(typ="https://in-toto.io/Statement/v1", pred=preds[1]),
           vuln_statement(digest="f" * 64), vuln_statement(ptype="https://slsa.dev/provenance/v1"),
           vuln_statement(pred=preds[3])):
    vulnattest(3, s_)
vulnattest(4, compact({"payloadType": "application/vnd.in-toto+json",
                       "payload": base64.b64encode(vuln_statement().encode()).decode(),
                       "signatures": [{"keyid": "", "sig": "MEUCIQDmtamqYPjMg81nqeBhptrPls44aA=="}]}))
vulnattest(4, compact({"payloadType": "application/vnd.in-toto+json",
                       "payload": base64.b64encode(vuln_statement().encode()).decode(),
                       "signatures": []}))

for t in sorted(counts):
    print("seed.sh: %-12s %4d seeds" % (t, counts[t]))
PY
