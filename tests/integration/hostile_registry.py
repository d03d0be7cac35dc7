#!/usr/bin/env python3
"""hostile_registry.py PORT CERT KEY LOG: a registry that misbehaves, over
TLS on 127.0.0.1, for tests/integration/test_oci.sh (the registry client)
and test_signatures*.sh (the image-signatures policy through the server).
The repository name picks the misbehaviour:

  drip       a manifest that trickles one byte every 0.5 s
  silent     accepts the request, never answers
  drop       sends part of a manifest, then closes the connection
  huge       a 100 MB manifest with its Content-Length
  hugechunk  a 100 MB manifest, chunked (no length to refuse it by)
  baddigest  any manifest by digest: bytes that do not hash to it
  lying      a manifest whose Docker-Content-Digest is another one
  loop       blobs redirect to themselves, forever
  away       blobs redirect to https://localhost:PORT (another origin)
  cdn        blobs need a Bearer token, then redirect to /store/ on
             localhost:PORT (allowed by the test), which serves them
  tok        manifests need a Bearer token from /token (Basic alice:s3cret)
  evilrealm  a Bearer challenge whose realm is on another host

A HEAD on drip, drop, huge and hugechunk gets the GET's headers at once
(no Docker-Content-Digest) and no body, so that resolving a tag reaches
the GET that misbehaves. In loop and away, where only blobs misbehave,
manifests are served: a tag or digest gets a small image manifest (with
its Docker-Content-Digest), the tag sha256-<hex>.sig a cosign 2.x
signature manifest whose one simple-signing layer is a blob, so that the
policy's signature check reaches the blob. Any other repository, and the
referrers API, answer 404 NAME_UNKNOWN: an image there is unsigned.

Every request is logged to LOG as "METHOD PATH auth=<scheme or ->" so the
test can count token requests and see what a redirect target was sent.
"""
import hashlib
import json
import socket
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT, CERT, KEY, LOG = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
LOCK = threading.Lock()
MANIFEST = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                       "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                  "digest": "sha256:" + "0" * 64, "size": 2},
                       "layers": []}).encode()
MT = "application/vnd.oci.image.manifest.v1+json"
BLOB = b"hostile registry blob\n"
BLOB_DIGEST = "sha256:" + hashlib.sha256(BLOB).hexdigest()
MANIFEST_DIGEST = "sha256:" + hashlib.sha256(MANIFEST).hexdigest()
SIGNATURE = json.dumps({"schemaVersion": 2, "mediaType": MT,
                        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                   "digest": "sha256:" + "0" * 64, "size": 2},
                        "layers": [{"mediaType": "application/vnd.dev.cosign.simplesigning.v1+json",
                                    "digest": BLOB_DIGEST, "size": len(BLOB),
                                    "annotations": {"dev.cosignproject.cosign/signature":
                                                    "MEUCIQDhostilehostilehostile"}}]}).encode()
TOKEN = "good-token"
BASIC = "Basic YWxpY2U6czNjcmV0"  # alice:s3cret


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def log(self):
        auth = self.headers.get("Authorization", "-").split(" ")[0]
        with LOCK, open(LOG, "a") as f:
            f.write("%s %s auth=%s\n" % (self.command, self.path, auth))

    def send(self, status, body=b"", headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def challenge(self, realm):
        scope = "repository:%s:pull" % self.path.split("/")[2]
        self.send(401, b'{"errors":[{"code":"UNAUTHORIZED","message":"token needed"}]}',
                  [("WWW-Authenticate",
                    'Bearer realm="%s",service="hostile",scope="%s"' % (realm, scope))])

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        self.log()
        parts = self.path.split("?")[0].split("/")
        if self.path.startswith("/token"):
            if self.headers.get("Authorization") != BASIC:
                return self.send(401, b"{}", [("WWW-Authenticate", 'Basic realm="t"')])
            return self.send(200, json.dumps({"token": TOKEN, "expires_in": 300}).encode())
        if self.path.startswith("/store/"):
            return self.send(200, BLOB)
        if len(parts) < 5 or parts[1] != "v2":
            return self.send(404)
        repo, kind = parts[2], parts[3]
        realm = "https://127.0.0.1:%d/token" % PORT
        if self.command == "HEAD" and repo in ("drip", "drop", "huge", "hugechunk"):
            self.send_response(200)
            self.send_header("Content-Type", MT)
            if repo == "hugechunk":
                self.send_header("Transfer-Encoding", "chunked")
            else:
                self.send_header("Content-Length", str(100 << 20) if repo == "huge" else "1000")
            self.end_headers()
            return
        if repo in ("loop", "away") and kind == "manifests":
            if parts[4].startswith("sha256-") and parts[4].endswith(".sig"):
                return self.send(200, SIGNATURE, [("Content-Type", MT)])
            if parts[4].startswith("sha256-"):
                return self.send(404, b'{"errors":[{"code":"MANIFEST_UNKNOWN","message":"no such tag"}]}')
            return self.send(200, MANIFEST, [("Content-Type", MT),
                                             ("Docker-Content-Digest", MANIFEST_DIGEST)])
        if repo in ("loop", "away") and kind == "referrers":
            return self.send(404, b'{"errors":[{"code":"NAME_UNKNOWN","message":"no referrers API"}]}')
        if repo == "drip":
            self.send_response(200)
            self.send_header("Content-Type", MT)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            try:
                for _ in range(1000):
                    self.wfile.write(b" ")
                    self.wfile.flush()
                    time.sleep(0.5)
            except OSError:
                pass
            return
        if repo == "silent":
            time.sleep(30)
            return
        if repo == "drop":
            self.send_response(200)
            self.send_header("Content-Type", MT)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            self.wfile.write(MANIFEST[:100])
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True
            return
        if repo in ("huge", "hugechunk"):
            self.send_response(200)
            self.send_header("Content-Type", MT)
            if repo == "huge":
                self.send_header("Content-Length", str(100 << 20))
            else:
                self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            chunk = b"x" * 65536
            try:
                for _ in range(1600):  # 100 MiB
                    if repo == "huge":
                        self.wfile.write(chunk)
                    else:
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                if repo == "hugechunk":
                    self.wfile.write(b"0\r\n\r\n")
            except OSError:
                pass
            self.close_connection = True
            return
        if repo == "baddigest":
            return self.send(200, MANIFEST, [("Content-Type", MT)])
        if repo == "lying":
            return self.send(200, MANIFEST, [("Content-Type", MT),
                                             ("Docker-Content-Digest", "sha256:" + "1" * 64)])
        if repo == "loop":
            n = int(self.path.split("hop=")[1]) + 1 if "hop=" in self.path else 1
            return self.send(307, b"", [("Location", "%s?hop=%d" % (self.path.split("?")[0], n))])
        if repo == "away":
            return self.send(307, b"", [("Location", "https://localhost:%d/store/x" % PORT)])
        if repo == "cdn":
            if self.headers.get("Authorization") != "Bearer " + TOKEN:
                return self.challenge(realm)
            return self.send(307, b"", [("Location",
                                         "https://localhost:%d/store/%s?sig=abc" % (PORT, parts[4]))])
        if repo == "tok":
            if self.headers.get("Authorization") != "Bearer " + TOKEN:
                return self.challenge(realm)
            return self.send(200, MANIFEST, [("Content-Type", MT)])
        if repo == "evilrealm":
            return self.challenge("https://evil.example/token")
        return self.send(404, b'{"errors":[{"code":"NAME_UNKNOWN","message":"no such repository"}]}')


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # a client that hung up is what these tests expect


ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(CERT, KEY)
srv = Server(("127.0.0.1", PORT), Handler)
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
print("ready", flush=True)
srv.serve_forever()
