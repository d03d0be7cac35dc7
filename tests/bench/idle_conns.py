#!/usr/bin/env python3
"""Opens N TLS keep-alive connections to admitd, sends one request on
each, holds them idle, and prints admitd's resident memory (KiB)."""
import socket, ssl, sys, time

port, ca, pid, n = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
ctx = ssl.create_default_context(cafile=ca)
conns = []
req = b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n"
for _ in range(n):
    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)), server_hostname="localhost")
    s.sendall(req)
    s.recv(4096)
    conns.append(s)
time.sleep(0.5)
rss = [l for l in open(f"/proc/{pid}/status") if l.startswith("VmRSS")][0].split()[1]
print(rss)
for s in conns:
    s.close()
