#!/usr/bin/env python3
"""Time from exec of `admitd serve` to its first answered review (ms)."""
import json, socket, ssl, subprocess, sys, time

admitd, cert, key, ca, review, port = sys.argv[1:7]
body = open(review, "rb").read()
ctx = ssl.create_default_context(cafile=ca)
req = (b"POST /validate HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
       b"Content-Length: " + str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n" + body)
t0 = time.perf_counter()
p = subprocess.Popen([admitd, "serve", "--listen", f"127.0.0.1:{port}", "--cert", cert, "--key", key,
                      "--decision-log", "off"], stderr=subprocess.DEVNULL)
try:
    while time.perf_counter() - t0 < 10:
        try:
            with socket.create_connection(("127.0.0.1", int(port)), timeout=1) as s:
                with ctx.wrap_socket(s, server_hostname="localhost") as t:
                    t.sendall(req)
                    data = b""
                    while True:
                        chunk = t.recv(65536)
                        if not chunk:
                            break
                        data += chunk
                    if b'"uid"' in data:
                        print(f"{(time.perf_counter() - t0) * 1000:.1f}")
                        break
        except OSError:
            time.sleep(0.0005)
finally:
    p.terminate()
    p.wait()
