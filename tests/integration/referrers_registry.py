#!/usr/bin/env python3
"""referrers_registry.py: an OCI 1.1 registry for the tests, made of Debian's
docker-registry (distribution 2.8.2, which has no referrers API) and this
HTTPS front on 127.0.0.1 that adds what distribution-spec 1.1 adds:

  - a manifest PUT whose body has a `subject` is forwarded, and when the
    registry took it (201) the front records the referrer and answers with
    `OCI-Subject: <subject digest>` ("Pushing Manifests with Subject"): the
    pusher then knows not to maintain the sha256-<hex> tag index itself;
  - GET /v2/<name>/referrers/<digest> answers 200 with an image index
    (Content-Type application/vnd.oci.image.index.v1+json) of the recorded
    referrers of <digest> in <name>, never 404; an empty index when there
    are none; 400 DIGEST_INVALID for a malformed digest ("Listing
    Referrers"). Each descriptor has the referrer's mediaType, digest, size,
    artifactType (the manifest's, else its config's mediaType; omitted for
    an index without one) and its annotations;
  - `?artifactType=X` keeps the descriptors of that artifactType and answers
    `OCI-Filters-Applied: artifactType`, unless --no-filter: then the
    filter is ignored (the spec's SHOULD) and the header not sent, so the
    client must filter itself;
  - --page-size N: at most N descriptors per answer, the rest behind a
    `Link: <...>; rel="next"` header, as the spec requires when the list
    does not fit one answer; the link is relative, or starts with
    --link-base (an origin: "https://127.0.0.1:PORT", or another host's
    to see that a client does not follow it);
  - a manifest DELETE by digest (202) forgets that referrer.

Everything else is forwarded unchanged (Host too, so upload Locations name
the front). Referrers are kept in --state (JSON), so a front restarted
with other flags on the same port knows what was pushed before.

Every request is appended to --log, one line "METHOD PATH-AND-QUERY STATUS",
so a test can assert which API a client used (the referrers API, not the
sha256-<hex> tag) and how many requests it made.

  referrers_registry.py --listen PORT --backend HOST:PORT --cert CRT --key KEY
                        --ca CA --state FILE --log FILE [--no-filter]
                        [--page-size N [--link-base ORIGIN]]

Prints "ready" once it listens. Test-only.
"""
import argparse
import hashlib
import http.client
import json
import os
import re
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, quote, urlsplit

INDEX = "application/vnd.oci.image.index.v1+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te",
       "trailer", "transfer-encoding", "upgrade", "content-length"}
# distribution-spec: <name> components and <digest> (algorithm:encoded)
NAME = re.compile(r"[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*")
DIGEST = re.compile(r"[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+")
HEXLEN = {"sha256": 64, "sha512": 128}

ap = argparse.ArgumentParser()
ap.add_argument("--listen", type=int, required=True)
ap.add_argument("--backend", required=True)
ap.add_argument("--cert", required=True)
ap.add_argument("--key", required=True)
ap.add_argument("--ca", required=True)
ap.add_argument("--state", required=True)
ap.add_argument("--log", required=True)
ap.add_argument("--no-filter", action="store_true")
ap.add_argument("--page-size", type=int, default=0)
ap.add_argument("--link-base", default="")
ARGS = ap.parse_args()

LOCK = threading.Lock()
BACKEND_CTX = ssl.create_default_context(cafile=ARGS.ca)


def load_state():
    try:
        with open(ARGS.state) as f:
            return json.load(f)
    except FileNotFoundError:
        return {}


STATE = load_state()  # "name@subject-digest" -> [descriptor, ...] in push order


def save_state():
    tmp = ARGS.state + ".tmp"
    with open(tmp, "w") as f:
        json.dump(STATE, f)
    os.replace(tmp, ARGS.state)


def valid_digest(d):
    if not DIGEST.fullmatch(d):
        return False
    algo, enc = d.split(":", 1)
    n = HEXLEN.get(algo)
    return n is None or (len(enc) == n and re.fullmatch(r"[0-9a-f]+", enc) is not None)


def descriptor(doc, body, media_type, digest):
    """The referrers-list descriptor of a pushed manifest or index."""
    mt = doc.get("mediaType") or media_type
    d = {"mediaType": mt, "digest": digest, "size": len(body)}
    at = doc.get("artifactType")
    if not at and mt not in (INDEX, DOCKER_LIST):
        at = (doc.get("config") or {}).get("mediaType")
    if at:
        d["artifactType"] = at
    if doc.get("annotations"):
        d["annotations"] = doc["annotations"]
    return d


class Front(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def logged(self, status):
        with LOCK, open(ARGS.log, "a") as f:
            f.write("%s %s %d\n" % (self.command, self.path, status))

    def body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            out = b""
            while True:
                n = int(self.rfile.readline().split(b";")[0], 16)
                if n == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return out
                out += self.rfile.read(n)
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def answer(self, status, headers, body=b"", length=None):
        self.logged(status)  # before the answer: a client that has it finds it logged
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def error(self, status, code, message):
        body = json.dumps({"errors": [{"code": code, "message": message}]}).encode()
        self.answer(status, [("Content-Type", "application/json")], body)

    # ---- the referrers API ----

    def referrers(self, name, digest, query):
        if self.command not in ("GET", "HEAD"):
            return self.error(405, "UNSUPPORTED", "the referrers API is read-only")
        if not NAME.fullmatch(name):
            return self.error(400, "NAME_INVALID", "invalid repository name")
        if not valid_digest(digest):
            return self.error(400, "DIGEST_INVALID", "invalid digest")
        q = parse_qs(query)
        with LOCK:
            found = list(STATE.get(name + "@" + digest, []))
        headers = [("Content-Type", INDEX)]
        want = q.get("artifactType", [None])[0]
        if want is not None and not ARGS.no_filter:
            found = [d for d in found if d.get("artifactType") == want]
            headers.append(("OCI-Filters-Applied", "artifactType"))
        if ARGS.page_size > 0:
            page = int(q.get("page", ["0"])[0])
            start = page * ARGS.page_size
            if start + ARGS.page_size < len(found):
                nxt = "%s/v2/%s/referrers/%s?%spage=%d" % (
                    ARGS.link_base, name, digest, "artifactType=%s&" % quote(want, safe="") if want else "", page + 1)
                headers.append(("Link", '<%s>; rel="next"' % nxt))
            found = found[start:start + ARGS.page_size]
        body = json.dumps({"schemaVersion": 2, "mediaType": INDEX, "manifests": found}).encode()
        self.answer(200, headers, body)

    # ---- everything else: forwarded ----

    def forward(self, name=None, ref=None):
        body = self.body() if self.command in ("PUT", "POST", "PATCH") else b""
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP}
        if self.command in ("PUT", "POST", "PATCH"):
            headers["Content-Length"] = str(len(body))
        host, port = ARGS.backend.rsplit(":", 1)
        conn = http.client.HTTPSConnection(host, int(port), context=BACKEND_CTX, timeout=30)
        try:
            conn.request(self.command, self.path, body=body, headers=headers)
            resp = conn.getresponse()
            rbody = resp.read()
            rheaders = [(k, v) for k, v in resp.getheaders() if k.lower() not in HOP]
            status = resp.status
            length = resp.getheader("Content-Length") if self.command == "HEAD" else None
        finally:
            conn.close()
        front = "https://" + self.headers.get("Host", "")
        rheaders = [(k, v.replace("https://" + ARGS.backend, front) if k.lower() == "location" else v)
                    for k, v in rheaders]
        if name is not None and self.command == "PUT" and status == 201:
            rheaders += self.record(name, body, resp.getheader("Docker-Content-Digest"))
        if name is not None and self.command == "DELETE" and status == 202 and valid_digest(ref):
            self.forget(name, ref)
        self.answer(status, rheaders, rbody, int(length) if length is not None else None)

    def record(self, name, body, digest):
        try:
            doc = json.loads(body)
        except ValueError:
            return []
        subject = doc.get("subject") if isinstance(doc, dict) else None
        if not isinstance(subject, dict) or not valid_digest(str(subject.get("digest", ""))):
            return []
        digest = digest or "sha256:" + hashlib.sha256(body).hexdigest()
        mt = self.headers.get("Content-Type", "").split(";")[0].strip()
        d = descriptor(doc, body, mt, digest)
        key = name + "@" + subject["digest"]
        with LOCK:
            lst = [x for x in STATE.get(key, []) if x["digest"] != digest]
            STATE[key] = lst + [d]
            save_state()
        return [("OCI-Subject", subject["digest"])]

    def forget(self, name, digest):
        with LOCK:
            for key in [k for k in STATE if k.startswith(name + "@")]:
                STATE[key] = [x for x in STATE[key] if x["digest"] != digest]
            save_state()

    def route(self):
        u = urlsplit(self.path)
        m = re.fullmatch(r"/v2/(.+)/referrers/([^/]+)", u.path)
        if m:
            return self.referrers(m.group(1), m.group(2), u.query)
        m = re.fullmatch(r"/v2/(.+)/manifests/([^/]+)", u.path)
        if m:
            return self.forward(m.group(1), m.group(2))
        return self.forward()

    do_GET = do_HEAD = do_PUT = do_POST = do_PATCH = do_DELETE = route


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        pass  # a client that hangs up is not the test's business


ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(ARGS.cert, ARGS.key)
srv = Server(("127.0.0.1", ARGS.listen), Front)
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
print("ready", flush=True)
srv.serve_forever()
