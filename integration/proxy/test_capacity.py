"""Capacity at many connections.

File descriptors: lb-proxy raises RLIMIT_NOFILE's soft limit to the hard one
at start and says so (log line `fd_limit`, /status `fd_limit` and
`fds_needed`), so 1100 client connections fit under a soft limit of 1024
that would otherwise stop accept() near 1010; with a hard limit too low for
max_connections it warns (`fd_limit_short`) and still starts; a reload is
planned again.

Server connection reuse: idle keep-alive connections to a server are kept up
to the pool's max_idle_per_server per worker (default 1024), so a second
burst of 100 concurrent requests reuses the first burst's 100 connections
instead of connecting again; a pool capped at 8 reuses 8."""

import concurrent.futures
import resource
import socket
import unittest

from lib import cluster_file
from proxy.common import ProxyCase, read_head

RESERVE = 64  # lb/limits/fd_budget.h kReserveDescriptors
# Client connections held at once: with their proxy's own descriptors, more
# than a soft limit of 1024 carries (main's lb-proxy stopped accepting near 1010).
CLIENTS = 1100


def http_get(host, port, path, close=True, timeout=10.0):
    """One GET on a new connection; returns (status, headers dict)."""
    with socket.create_connection((host, port), timeout=timeout) as s:
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: t\r\n{'Connection: close' if close else ''}\r\n\r\n".encode())
        got = read_head(s)
    assert got is not None, f"GET {path}: the connection closed before a response head"
    head = got[0].decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in head[1:])}
    return int(head[0].split()[1]), headers


class FileDescriptors(ProxyCase):

    def setUp(self):
        super().setUp()
        soft, self.hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if self.hard < 4096:
            self.skipTest(f"the hard RLIMIT_NOFILE here is {self.hard}: too low for {CLIENTS} connections")
        if soft < 2400:  # this test's own client sockets
            resource.setrlimit(resource.RLIMIT_NOFILE, (min(self.hard, 4096), self.hard))
        self.b = self.backends(1)[0]

    def start_limited(self, nofile, max_connections):
        from lib import proxy as proxy_lib
        from proxy.common import DEFAULTS
        listeners = [cluster_file.listener("web", "HTTP", "app", max_connections=max_connections)]
        p = proxy_lib.Proxy(self.h, listeners, [cluster_file.pool("app", [self.b])], defaults=DEFAULTS, workers=1)
        p.launcher = ["prlimit", f"--nofile={nofile}", "--"]
        p.start()
        self.addCleanup(p.assert_survived)
        p.wait_usable("app")
        return p

    def test_1100_connections_fit_under_a_soft_limit_of_1024(self):
        p = self.start_limited(f"1024:{self.hard}", 2000)
        st = p.status()
        self.assertEqual(st["fd_limit"], self.hard)
        self.assertEqual(st["fds_needed"], 2 * 2000 + 1 + 1 + RESERVE)
        p.proc.wait_for_line(rf"fd_limit soft={self.hard} was=1024 hard={self.hard} needed={2 * 2000 + 2 + RESERVE}", 5)

        host, port = p.address("web")
        conns = []
        self.addCleanup(lambda: [c.close() for c in conns])
        request = b"GET /held HTTP/1.1\r\nHost: t\r\n\r\n"
        for i in range(CLIENTS):
            s = socket.create_connection((host, port), timeout=5)
            conns.append(s)
            s.sendall(request)
            data = s.recv(4096)
            self.assertTrue(data.startswith(b"HTTP/1.1 200"), f"connection {i + 1}: {data[:40]!r}")
        self.assertGreaterEqual(p.status()["open_connections"], CLIENTS)
        # Every one still carries a request (one at a time: the
        # backend is a small threaded server).
        for i, s in enumerate(conns):
            s.sendall(request)
            data = s.recv(4096)
            self.assertTrue(data.startswith(b"HTTP/1.1 200"), f"connection {i + 1}, 2nd request: {data[:40]!r}")

    def test_a_hard_limit_below_max_connections_is_warned(self):
        p = self.start_limited("512:512", 1000)
        st = p.status()
        self.assertEqual(st["fd_limit"], 512)
        self.assertEqual(st["fds_needed"], 2 * 1000 + 2 + RESERVE)
        line = p.proc.wait_for_line(r"fd_limit_short .*max_connections cannot be met", 5).string
        self.assertIn("about 223 client connections", line)  # (512 - 66) / 2
        self.assertEqual(http_get(*p.address("web"), "/")[0], 200)

    def test_a_reload_beyond_the_limit_is_warned(self):
        p = self.start_limited("512:512", 100)
        self.assertEqual(p.status()["fds_needed"], 2 * 100 + 2 + RESERVE)
        self.assertFalse(any("fd_limit_short" in line for line in p.proc.lines()))
        listeners = [dict(p.listeners[0], max_connections=1000)]  # same bind
        line = p.reload(listeners=listeners, log_pattern=r"fd_limit_short .*max_connections cannot be met")
        self.assertIn("about 223 client connections", line)
        st = p.status()
        self.assertEqual((st["fd_limit"], st["fds_needed"]), (512, 2 * 1000 + 2 + RESERVE))
        self.assertEqual(http_get(*p.address("web"), "/")[0], 200)


class ServerConnectionReuse(ProxyCase):
    BURST = 100

    def setUp(self):
        super().setUp()
        self.b1, self.b2 = self.backends(2, delays=[("/slow", 0.6)])
        listeners = [cluster_file.listener("web", "HTTP", "big"), cluster_file.listener("small", "HTTP", "small")]
        pools = [cluster_file.pool("big", [self.b1]),
                 cluster_file.pool("small", [self.b2], max_idle_per_server=8)]
        # One worker: one pool of idle connections, whichever client comes.
        self.p = self.start_proxy(pools, listeners=listeners, workers=1)
        self.p.wait_usable("big")
        self.p.wait_usable("small")

    def burst(self, listener):
        """BURST concurrent GET /slow, each on its own client connection;
        returns how many went over a reused server connection."""
        host, port = self.p.address(listener)
        with concurrent.futures.ThreadPoolExecutor(self.BURST) as pool:
            results = list(pool.map(lambda _: http_get(host, port, "/slow"), range(self.BURST)))
        self.assertEqual([status for status, _ in results], [200] * self.BURST)
        return sum(1 for _, h in results if int(h["x-conn-seq"]) > 1)

    def test_a_second_burst_reuses_every_server_connection(self):
        self.assertEqual(self.burst("web"), 0)
        # Main kept 64 per server and worker: 36 of these connected again.
        self.assertGreaterEqual(self.burst("web"), self.BURST - 5)

    def test_max_idle_per_server_caps_what_is_kept(self):
        self.burst("small")
        reused = self.burst("small")
        self.assertGreaterEqual(reused, 1)
        self.assertLessEqual(reused, 8)


if __name__ == "__main__":
    unittest.main()
