#!/usr/bin/env python3
"""clients.py: hostile clients for tests/integration/test_hostile.sh.

Each subcommand misbehaves against an admitd on loopback in one way, for a
bounded count and time, and prints `key=value` lines the test reads. When
the hostile state is established it writes the --ready file, so that the
test can check that a normal client is still served meanwhile.

  slow       TLS, then a request one byte per --interval: when is it dropped?
  halfopen   TCP connections that send nothing (or a few bytes of a
             ClientHello, --partial): when are they closed?
  idle       COUNT TLS connections, handshake done, no request; holds them
             until --release appears or --hold runs out
  garbage    random bytes (or a plaintext HTTP request) instead of TLS
  truncated  Content-Length larger than the body sent, then close (--mode
             close, COUNT times) or wait for the server (--mode hold)
  headers    one header of --size bytes, or --count headers: what answer?
"""
import argparse
import os
import select
import socket
import ssl
import sys
import time

REVIEW = (b'{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":'
          b'{"uid":"slow-1","kind":{"group":"","version":"v1","kind":"Pod"},'
          b'"operation":"CREATE","namespace":"default","object":{"apiVersion":"v1",'
          b'"kind":"Pod","metadata":{"name":"p"},"spec":{"containers":[{"name":"c",'
          b'"image":"busybox"}]}}}}')


def out(**kv):
    for k, v in kv.items():
        if isinstance(v, float):
            v = "%.2f" % v
        print("%s=%s" % (k, v))
    sys.stdout.flush()


def ready(path, **kv):
    if path:
        tmp = path + ".tmp"
        with open(tmp, "w") as f:
            for k, v in kv.items():
                f.write("%s=%s\n" % (k, v))
        os.rename(tmp, path)


def tls_context(cafile):
    ctx = ssl.create_default_context(cafile=cafile)
    ctx.set_alpn_protocols(["http/1.1"])
    return ctx


def tls_connect(a, timeout=5.0):
    raw = socket.create_connection((a.host, a.port), timeout=timeout)
    s = tls_context(a.cafile).wrap_socket(raw, server_hostname="localhost")
    return s


def peer_closed(s):
    """True when the peer closed or reset the connection; never blocks."""
    try:
        # poll, not select: descriptors go past FD_SETSIZE with 2,000 connections
        p = select.poll()
        p.register(s, select.POLLIN)
        if not p.poll(0):
            return False
        if isinstance(s, ssl.SSLSocket):
            s.setblocking(False)
            try:
                data = s.recv(4096)
            except ssl.SSLWantReadError:
                return False
            finally:
                s.setblocking(True)
        else:
            data = s.recv(4096, socket.MSG_DONTWAIT)
        return data == b""
    except (BlockingIOError, InterruptedError):
        return False
    except (OSError, ssl.SSLError):
        return True


def wait_closed(s, limit):
    """Seconds until the peer closes (reading and discarding), or None."""
    start = time.monotonic()
    s.settimeout(0.2)
    got = b""
    while time.monotonic() - start < limit:
        try:
            data = s.recv(65536)
        except (socket.timeout, ssl.SSLWantReadError):
            continue
        except (OSError, ssl.SSLError):
            return time.monotonic() - start, got
        if data == b"":
            return time.monotonic() - start, got
        got += data[:4096]
    return None, got


def cmd_slow(a):
    start = time.monotonic()
    s = tls_connect(a)
    req = (b"POST /validate HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
           b"Content-Length: %d\r\n\r\n" % len(REVIEW)) + REVIEW
    sent = 0
    result = "open"
    t0 = time.monotonic()
    while time.monotonic() - t0 < a.max:
        try:
            s.sendall(req[sent:sent + 1])
            sent += 1
        except (OSError, ssl.SSLError):
            result = "dropped"
            break
        if sent == 1:
            ready(a.ready, handshake=round(t0 - start, 3))
        if sent == len(req):
            result = "completed"
            break
        deadline = time.monotonic() + a.interval
        while time.monotonic() < deadline:
            if peer_closed(s):
                result = "dropped"
                break
            time.sleep(0.05)
        if result == "dropped":
            break
    out(result=result, after=time.monotonic() - t0, bytes_sent=sent, request_bytes=len(req))
    s.close()


def cmd_halfopen(a):
    socks = []
    for _ in range(a.count):
        s = socket.create_connection((a.host, a.port), timeout=5)
        if a.partial:
            # the first bytes of a TLS ClientHello record, then nothing
            s.sendall(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03")
        socks.append(s)
    ready(a.ready, opened=len(socks))
    t0 = time.monotonic()
    closed = {}
    while time.monotonic() - t0 < a.hold and len(closed) < len(socks):
        for i, s in enumerate(socks):
            if i not in closed and peer_closed(s):
                closed[i] = time.monotonic() - t0
        time.sleep(0.1)
    times = sorted(closed.values())
    out(opened=len(socks), closed=len(closed), held=time.monotonic() - t0,
        first_close=times[0] if times else -1.0, last_close=times[-1] if times else -1.0)
    for s in socks:
        s.close()


def cmd_idle(a):
    ctx = tls_context(a.cafile)
    socks = []
    failed = 0
    err = ""
    t0 = time.monotonic()
    for _ in range(a.count):
        if time.monotonic() - t0 > a.open_limit:
            break
        try:
            raw = socket.create_connection((a.host, a.port), timeout=5)
            socks.append(ctx.wrap_socket(raw, server_hostname="localhost"))
        except (OSError, ssl.SSLError) as e:
            failed += 1
            err = str(e)[:80].replace(" ", "_")
    opened = time.monotonic() - t0
    ready(a.ready, opened=len(socks), failed=failed, seconds=round(opened, 2))
    t1 = time.monotonic()
    while time.monotonic() - t1 < a.hold and not (a.release and os.path.exists(a.release)):
        time.sleep(0.1)
    alive = sum(1 for s in socks if not peer_closed(s))
    held = time.monotonic() - t1
    # then: how long does the server keep the rest open?
    t2 = time.monotonic()
    left = alive
    while left > 0 and time.monotonic() - t2 < a.watch:
        time.sleep(0.25)
        left = sum(1 for s in socks if not peer_closed(s))
    out(opened=len(socks), failed=failed, open_seconds=opened, still_open=alive, held=held,
        all_closed_after=(held + time.monotonic() - t2) if left == 0 else -1.0,
        open_at_end=left, error=err or "-")
    for s in socks:
        s.close()


def cmd_garbage(a):
    closed = 0
    slowest = 0.0
    reply = b""
    for i in range(a.count):
        s = socket.create_connection((a.host, a.port), timeout=5)
        if a.plaintext:
            payload = (b"POST /validate HTTP/1.1\r\nHost: localhost\r\nContent-Length: %d"
                       b"\r\n\r\n" % len(REVIEW)) + REVIEW
        else:
            payload = os.urandom(a.bytes)
        try:
            s.sendall(payload)
        except OSError:
            pass
        if i == 0:
            ready(a.ready, started=1)
        after, got = wait_closed(s, a.max)
        reply = reply or got
        if after is not None:
            closed += 1
            slowest = max(slowest, after)
        s.close()
    out(sent=a.count, closed=closed, slowest_close=slowest, reply_bytes=len(reply),
        reply_head=(reply[:16].hex() or "-"))


def cmd_truncated(a):
    body = REVIEW[:a.send] if a.send <= len(REVIEW) else REVIEW + b" " * (a.send - len(REVIEW))
    head = (b"POST /validate HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\n\r\n" % a.declared)
    if a.mode == "close":
        done = 0
        t0 = time.monotonic()
        for i in range(a.count):
            s = tls_connect(a)
            s.sendall(head + body)
            if i == 0:
                ready(a.ready, started=1)
            s.close()
            done += 1
        out(sent=done, seconds=time.monotonic() - t0)
        return
    s = tls_connect(a)
    s.sendall(head + body)
    ready(a.ready, started=1)
    after, got = wait_closed(s, a.max)
    first = got.split(b"\r\n", 1)[0].decode("latin-1").replace(" ", "_") if got else "-"
    out(closed=after is not None, after=after if after is not None else -1.0, response=first)
    s.close()


def cmd_headers(a):
    head = b"POST /validate HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
    if a.size:
        head += b"X-Big: " + b"a" * a.size + b"\r\n"
    for i in range(a.count):
        head += b"X-H%d: v\r\n" % i
    req = head + b"Content-Length: %d\r\n\r\n" % len(REVIEW) + REVIEW
    s = tls_connect(a)
    try:
        s.sendall(req)
    except (OSError, ssl.SSLError):
        pass
    after, got = wait_closed(s, a.max)
    first = got.split(b"\r\n", 1)[0].decode("latin-1").replace(" ", "_") if got else "-"
    status = first.split("_")[1] if first.startswith("HTTP/") else "-"
    out(request_bytes=len(req), status=status, response=first, closed=after is not None,
        after=after if after is not None else -1.0)
    s.close()


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--cafile")
    p.add_argument("--ready", help="file written once the hostile state is established")
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("slow")
    s.add_argument("--interval", type=float, default=1.0)
    s.add_argument("--max", type=float, default=30.0)
    s = sub.add_parser("halfopen")
    s.add_argument("--count", type=int, default=50)
    s.add_argument("--hold", type=float, default=15.0)
    s.add_argument("--partial", action="store_true")
    s = sub.add_parser("idle")
    s.add_argument("--count", type=int, default=2000)
    s.add_argument("--hold", type=float, default=60.0)
    s.add_argument("--open-limit", type=float, default=60.0)
    s.add_argument("--release")
    s.add_argument("--watch", type=float, default=0.0,
                   help="after release, seconds to wait for the server to close the rest")
    s = sub.add_parser("garbage")
    s.add_argument("--bytes", type=int, default=65536)
    s.add_argument("--plaintext", action="store_true")
    s.add_argument("--count", type=int, default=1)
    s.add_argument("--max", type=float, default=15.0)
    s = sub.add_parser("truncated")
    s.add_argument("--declared", type=int, default=5000)
    s.add_argument("--send", type=int, default=100)
    s.add_argument("--mode", choices=["close", "hold"], default="close")
    s.add_argument("--count", type=int, default=100)
    s.add_argument("--max", type=float, default=30.0)
    s = sub.add_parser("headers")
    s.add_argument("--size", type=int, default=0)
    s.add_argument("--count", type=int, default=0)
    s.add_argument("--max", type=float, default=5.0)
    a = p.parse_args()
    {"slow": cmd_slow, "halfopen": cmd_halfopen, "idle": cmd_idle, "garbage": cmd_garbage,
     "truncated": cmd_truncated, "headers": cmd_headers}[a.cmd](a)


if __name__ == "__main__":
    main()
