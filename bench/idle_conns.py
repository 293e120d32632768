#!/usr/bin/env python3
"""Opens N keep-alive connections to a loopback HTTP server, sends one request on each,
reads each response, keeps all of them open (idle) for HOLD seconds and reports the
server's VmRSS (from /proc/PID/status) before, while open (peak) and after closing.

usage: idle_conns.py PID HOST PORT PATH [N=1000] [HOLD=5]
prints one line: key=value pairs (rss values in kB), exits non-zero on failure.
"""
import resource
import socket
import sys
import time


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def read_response(sock, deadline):
    """Reads one HTTP/1.1 response with Content-Length; returns the status code."""
    buf = b""
    while b"\r\n\r\n" not in buf:
        sock.settimeout(max(0.1, deadline - time.time()))
        chunk = sock.recv(65536)
        if not chunk:
            raise RuntimeError("connection closed before the response headers")
        buf += chunk
    head, _, body = buf.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value.strip())
    while len(body) < length:
        sock.settimeout(max(0.1, deadline - time.time()))
        chunk = sock.recv(65536)
        if not chunk:
            raise RuntimeError("connection closed mid-body")
        body += chunk
    return status


def main():
    pid, host, port, path = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
    n = int(sys.argv[5]) if len(sys.argv) > 5 else 1000
    hold = float(sys.argv[6]) if len(sys.argv) > 6 else 5.0
    if host not in ("127.0.0.1", "localhost", "::1"):
        sys.exit("loopback only")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < n + 64:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, n + 64), hard))

    before = rss_kb(pid)
    request = f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: keep-alive\r\n\r\n".encode()
    deadline = time.time() + 60
    socks, statuses = [], {}
    try:
        for _ in range(n):
            s = socket.create_connection((host, port), timeout=10)
            s.sendall(request)
            socks.append(s)
        for s in socks:
            st = read_response(s, deadline)
            statuses[st] = statuses.get(st, 0) + 1
        opened = rss_kb(pid)
        peak = opened
        end = time.time() + hold
        while time.time() < end:
            time.sleep(0.25)
            peak = max(peak, rss_kb(pid))
        # all connections must still be open (server did not drop idle keep-alives)
        alive = 0
        for s in socks:
            s.setblocking(False)
            try:
                alive += 0 if s.recv(1) == b"" else 1
            except BlockingIOError:
                alive += 1
            except OSError:
                pass
    finally:
        for s in socks:
            s.close()
    time.sleep(0.5)
    after = rss_kb(pid)
    status_text = ",".join(f"{k}:{v}" for k, v in sorted(statuses.items()))
    print(f"before={before} opened={opened} peak={peak} after={after} alive={alive} n={n} statuses={status_text}")


if __name__ == "__main__":
    main()
