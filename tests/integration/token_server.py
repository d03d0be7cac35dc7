#!/usr/bin/env python3
"""token_server.py PORT TLS-CERT TLS-KEY SIGN-CERT SIGN-KEY ISSUER LOG: the
token service of docker-registry's `auth.token`, for test_oci.sh, over TLS
on 127.0.0.1.

GET /token?service=S&scope=repository:NAME:ACTIONS... with Basic
alice:s3cret answers {"token": JWT, "expires_in": 300}; anything else 401.
The JWT is RS256, signed with `openssl dgst` (no JWT library needed), its
signing certificate in the x5c header: distribution checks it against
`rootcertbundle`. Each request is logged to LOG as "GET scope=... auth=...".
"""
import base64
import json
import os
import ssl
import subprocess
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

PORT, TLS_CERT, TLS_KEY, SIGN_CERT, SIGN_KEY, ISSUER, LOG = sys.argv[1:8]
BASIC = "Basic " + base64.b64encode(b"alice:s3cret").decode()
X5C = base64.b64encode(ssl.PEM_cert_to_DER_cert(open(SIGN_CERT).read())).decode()


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwt(claims):
    header = {"typ": "JWT", "alg": "RS256", "x5c": [X5C]}
    signing_input = b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())
    sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", SIGN_KEY],
                         input=signing_input.encode(), capture_output=True, check=True).stdout
    return signing_input + "." + b64url(sig)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send(self, status, body):
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        q = parse_qs(urlparse(self.path).query)
        auth = self.headers.get("Authorization", "-")
        with open(LOG, "a") as f:
            f.write("GET scope=%s auth=%s\n" % (",".join(q.get("scope", [])), auth.split(" ")[0]))
        if auth != BASIC:
            return self.send(401, b'{"details":"credentials needed"}')
        access = []
        for scope in q.get("scope", []):
            kind, name, actions = scope.split(":", 2) if scope.count(":") >= 2 else ("", "", "")
            if kind == "repository":
                access.append({"type": kind, "name": name, "actions": actions.split(",")})
        now = int(time.time())
        claims = {"iss": ISSUER, "sub": "alice", "aud": q.get("service", [""])[0],
                  "exp": now + 300, "nbf": now - 10, "iat": now,
                  "jti": os.urandom(8).hex(), "access": access}
        self.send(200, json.dumps({"token": jwt(claims), "expires_in": 300}).encode())


ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(TLS_CERT, TLS_KEY)
srv = ThreadingHTTPServer(("127.0.0.1", int(PORT)), Handler)
srv.daemon_threads = True
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
print("ready", flush=True)
srv.serve_forever()
