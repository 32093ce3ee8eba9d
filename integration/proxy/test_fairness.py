"""Fairness under many connections: while 200 keep-alive clients keep one
worker busy, a burst of 800 new connections is served too, on an HTTP and a
TCP listener. Each new connection sends one request at once; the time from
its request to its response's header is bounded, and so is the spread
between the fastest half and the slowest (generously: the test must hold
on a loaded CI machine).

The burst used to wait in the kernel's accept queue: the accept loop took
one connection per pass of the worker's scheduler, behind every busy
session, so the last of a thousand clients waited over a second (issue 15).

The backend is nginx (fast enough that the proxy, not the backend, is the
busy part); the background load is wrk. Everything is bounded in count
(800 + 200 connections) and time (wrk 4 s, every wait 10 s).
"""

import resource
import selectors
import shutil
import socket
import statistics
import time
import unittest

from lib import cluster_file, load, processes
from lib.wait import wait_until
from proxy.common import DEFAULTS, ProxyCase

BURST = 800
BACKGROUND = 200
# The longest a new connection may wait for its first response while the
# others are served, and the most the slowest may trail the median. Seen on
# a 2-CPU VM at load 15: max 0.34-0.70 s, spread 0.05-0.2 s with batched
# accepts; max 1.4-3.0 s or spread 0.8 s with one accept per pass (main
# before issue 15), in each of three runs.
BOUND_S = 1.2
SPREAD_S = 0.6
REQUEST = b"GET / HTTP/1.1\r\nHost: fairness\r\n\r\n"

NGINX_CONF = """
worker_processes 1;
daemon off;
pid {dir}/nginx.pid;
error_log {dir}/nginx-error.log crit;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  keepalive_requests 1000000;
  client_body_temp_path {dir}/b-body; proxy_temp_path {dir}/b-proxy;
  fastcgi_temp_path {dir}/b-fcgi; uwsgi_temp_path {dir}/b-uwsgi; scgi_temp_path {dir}/b-scgi;
  server {{
    listen 127.0.0.1:{port} backlog=4096;
    location / {{ return 200 "fair"; }}
  }}
}}
"""


def burst(host, port, count, timeout):
    """Connects COUNT sockets one after the other as fast as the kernel
    completes the handshakes (which it does without the proxy's accept), each
    sending its request at once; returns, per connection, the seconds from
    its request to its response's header (None on a failure)."""
    sel = selectors.DefaultSelector()
    sent, got, heads = {}, {}, {}
    try:
        for _ in range(count):
            s = socket.create_connection((host, port), timeout=timeout)
            s.sendall(REQUEST)
            sent[s] = time.monotonic()
            s.setblocking(False)
            heads[s] = b""
            sel.register(s, selectors.EVENT_READ)
        deadline = time.monotonic() + timeout
        while len(got) < count and time.monotonic() < deadline:
            for key, _ in sel.select(timeout=0.2):
                s = key.fileobj
                try:
                    chunk = s.recv(4096)
                except BlockingIOError:
                    continue
                except OSError:
                    chunk = b""
                heads[s] += chunk
                if b"\r\n\r\n" in heads[s] or not chunk:
                    ok = heads[s].startswith(b"HTTP/1.1 200")
                    got[s] = time.monotonic() - sent[s] if ok else None
                    sel.unregister(s)
        return [got.get(s) for s in sent] + [None] * (count - len(sent))
    finally:
        for s in sent:
            s.close()
        sel.close()


@unittest.skipUnless(shutil.which("nginx") or shutil.which("/usr/sbin/nginx"), "needs nginx")
class Fairness(ProxyCase):

    def setUp(self):
        super().setUp()
        # lb-proxy (a child) needs two descriptors per TCP-mode connection.
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if hard != resource.RLIM_INFINITY and hard < 4 * (BURST + BACKGROUND):
            self.skipTest(f"RLIMIT_NOFILE hard limit {hard} is too low")
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        self.addCleanup(resource.setrlimit, resource.RLIMIT_NOFILE, (soft, hard))
        port = processes.free_port()
        conf = self.h.write("nginx.conf", NGINX_CONF.format(dir=self.h.dir, port=port))
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        self.h.start("nginx", [nginx, "-c", conf, "-p", self.h.dir])
        wait_until(lambda: processes.can_connect("127.0.0.1", port, 0.2), 10, what="nginx backend")
        pool = cluster_file.pool("be", [("n1", f"127.0.0.1:{port}")])
        self.p = self.start_proxy(
            [pool], workers=1, defaults=DEFAULTS,
            listeners=[cluster_file.listener("web", "HTTP", "be", max_connections=4000, forwarded_headers=False),
                       cluster_file.listener("raw", "TCP", "be", max_connections=4000)])
        self.p.wait_usable("be")

    def assert_burst_served(self, listener):
        host, port = self.p.address(listener)
        url = f"http://{host}:{port}/"
        background = load.Wrk(self.h, url, duration_s=4, connections=BACKGROUND, timeout_s=5)
        # The burst starts once wrk's clients are all open (and busy).
        wait_until(lambda: (self.p.metrics().value("tandem_connections_active", listener=listener) or 0)
                   >= BACKGROUND, 3, what=f"{BACKGROUND} wrk connections on {listener}")
        times = burst(host, port, BURST, 10.0)
        result = background.result()
        failed = sum(1 for t in times if t is None)
        served = sorted(t for t in times if t is not None)
        summary = (f"{listener}: {len(served)} of {BURST} served, median {statistics.median(served):.3f} s, "
                   f"max {served[-1]:.3f} s; background {result.requests_per_s:.0f} req/s"
                   if served else f"{listener}: none of {BURST} served")
        print(summary)
        self.assertEqual(failed, 0, summary)
        self.assertLess(served[-1], BOUND_S, summary)
        self.assertLess(served[-1] - statistics.median(served), SPREAD_S, summary)
        self.assertGreater(result.requests, 0, "the background load was not served meanwhile")
        self.assertEqual(result.socket_errors, 0, result.output)

    def test_a_burst_of_new_connections_is_served_beside_busy_ones(self):
        self.assert_burst_served("web")
        self.assert_burst_served("raw")


if __name__ == "__main__":
    unittest.main()
