"""The access log (issue 12 item 6) and the latency histograms in /metrics,
through the real lb-proxy with real clients: one JSON line per HTTP request
and per TCP connection, hostile bytes escaped, errors logged whatever the
sampling, SIGUSR1 reopening the file after a rotation, and a bad access_log
section refused with where and why."""

import http.client
import json
import os
import signal
import socket
import subprocess
import unittest

from lib import cluster_file, processes
from lib.proxy import check_config
from lib.wait import wait_until
from proxy.common import ProxyCase


def read_lines(path):
    """The JSON objects in PATH (each line must parse on its own), without
    the start-up probes' empty connections to the TCP listener (the harness
    connects to every listener to see it is up; those are logged too)."""
    if not os.path.exists(path):
        return []
    with open(path, "rb") as f:
        data = f.read()
    lines = [json.loads(line) for line in data.decode("utf-8").splitlines()]
    return [l for l in lines if not (l["kind"] == "tcp" and l["bytes_in"] == 0)]


class AccessLog(ProxyCase):

    def setUp(self):
        super().setUp()
        self.bs = self.backends(2)
        self.echo = self.backends(1, prefix="t", tcp_echo=True)
        self.dead_port = processes.free_port()  # nothing listens there
        self.log_path = self.h.path("access.log")
        self.access_log = {"path": self.log_path, "flush_ms": 50}
        pools = [cluster_file.pool("app", self.bs, "ROUND_ROBIN"),
                 cluster_file.pool("echo", self.echo, "ROUND_ROBIN"),
                 {"name": "dead", "servers": [{"name": "gone", "address": f"127.0.0.1:{self.dead_port}"}],
                  "retries": 0}]
        listeners = [cluster_file.listener("web", "HTTP", "app"),
                     cluster_file.listener("raw", "TCP", "echo"),
                     cluster_file.listener("broken", "HTTP", "dead")]
        # One worker: the 1-in-N sampling count is per worker, so exact here.
        self.p = self.start_proxy(pools, listeners=listeners, workers=1, extra={"access_log": self.access_log})
        self.p.wait_usable("app")

    def wait_lines(self, n, path=None, timeout=5.0):
        path = path or self.log_path
        return wait_until(lambda: (lambda ls: ls if len(ls) >= n else None)(read_lines(path)), timeout,
                          what=f"{n} access log lines in {path}")

    def get(self, listener, path):
        host, port = self.p.address(listener)
        conn = http.client.HTTPConnection(host, port, timeout=5)
        try:
            conn.request("GET", path)
            r = conn.getresponse()
            r.read()
            return r.status
        finally:
            conn.close()

    def test_one_line_per_request_and_connection_with_escaped_bytes(self):
        self.assertEqual(self.get("web", "/hello?x=1"), 200)
        # A raw client: a target with a quote, a backslash and a byte that is not UTF-8.
        host, port = self.p.address("web")
        with socket.create_connection((host, port), timeout=5) as s:
            s.sendall(b'GET /q"uo\\te\xff HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
            while s.recv(65536):
                pass
        # A TCP connection through the L4 listener: 5 bytes each way.
        with socket.create_connection(self.p.address("raw"), timeout=5) as s:
            s.sendall(b"hello")
            s.shutdown(socket.SHUT_WR)
            got = b""
            while chunk := s.recv(65536):
                got += chunk
        # Two requests to a pool whose one server refuses connections: 5xx, logged.
        for _ in range(2):
            self.assertGreaterEqual(self.get("broken", "/x"), 500)
        lines = self.wait_lines(5)

        ok = lines[0]
        self.assertEqual(ok["kind"], "http")
        self.assertEqual(ok["listener"], "web")
        self.assertEqual(ok["method"], "GET")
        self.assertEqual(ok["path"], "/hello?x=1")
        self.assertEqual(ok["status"], 200)
        self.assertIn(ok["server"], ("b1", "b2"))
        self.assertEqual(ok["client"], "127.0.0.1")
        self.assertGreater(ok["client_port"], 0)
        self.assertEqual(ok["term"], "--")
        self.assertEqual((ok["tls"], ok["sni"]), ("", ""))
        self.assertGreater(ok["bytes_in"], len("GET /hello?x=1 HTTP/1.1\r\n"))
        self.assertEqual(ok["bytes_out"], 2)  # the backend's body: its name
        for t in ("request_ms", "connect_ms", "first_byte_ms", "total_ms"):
            self.assertIsInstance(ok[t], float, t)
        self.assertLessEqual(ok["request_ms"], ok["first_byte_ms"])
        self.assertLessEqual(ok["first_byte_ms"], ok["total_ms"])

        hostile = lines[1]
        self.assertEqual(hostile["path"], '/q"uo\\te\ufffd')
        self.assertEqual(hostile["status"], 200)

        tcp = next(l for l in lines if l["kind"] == "tcp")
        self.assertEqual(got, b"hellobye")
        self.assertEqual((tcp["listener"], tcp["server"], tcp["term"]), ("raw", "t1", "--"))
        self.assertEqual((tcp["bytes_in"], tcp["bytes_out"]), (5, 8))
        self.assertNotIn("path", tcp)

        failed = [l for l in lines if l["listener"] == "broken"]
        self.assertEqual(len(failed), 2)
        for l in failed:
            self.assertGreaterEqual(l["status"], 500)
            self.assertIn(l["term"], ("SC", "PC"))

    def test_sampling_keeps_one_in_n_and_every_error(self):
        self.p.reload(extra={"access_log": dict(self.access_log, sample=10)})
        for i in range(50):
            self.assertEqual(self.get("web", f"/s{i}"), 200)
        for _ in range(3):
            self.assertGreaterEqual(self.get("broken", "/e"), 500)
        lines = self.wait_lines(8)
        self.p.admin_request("GET", "/metrics")  # let a late buffer land before the count
        self.assertEqual(len(read_lines(self.log_path)), 8)
        # One in ten, counted: five lines, ten requests apart (where the count
        # stood at the reload depends on what reached the worker before).
        kept = sorted(int(l["path"][2:]) for l in lines if l["status"] == 200)
        self.assertEqual(len(kept), 5)
        self.assertEqual([b - a for a, b in zip(kept, kept[1:])], [10, 10, 10, 10])
        self.assertEqual(sum(1 for l in lines if l["status"] >= 500), 3)

    def test_sigusr1_reopens_the_file_after_logrotate_moved_it(self):
        self.assertEqual(self.get("web", "/before"), 200)
        self.wait_lines(1)
        os.rename(self.log_path, self.log_path + ".1")
        self.p.proc.signal(signal.SIGUSR1)
        wait_until(lambda: self.p.metrics().value("tandem_access_log_reopens_total") == 1, 5,
                   what="tandem_access_log_reopens_total to reach 1")
        self.assertEqual(self.get("web", "/after"), 200)
        self.assertEqual([l["path"] for l in self.wait_lines(1)], ["/after"])
        self.assertEqual([l["path"] for l in read_lines(self.log_path + ".1")], ["/before"])
        self.assertTrue(self.p.proc.alive())

    def test_sigterm_writes_the_buffered_lines_before_exit(self):
        # A minute before a buffer would be handed over on its own: only the exit writes it.
        self.p.reload(extra={"access_log": dict(self.access_log, flush_ms=60000)})
        self.assertEqual(self.get("web", "/last-words"), 200)
        self.assertEqual(self.p.stop(), 0)
        self.assertEqual([l["path"] for l in read_lines(self.log_path)], ["/last-words"])

    def test_latency_histograms_per_listener_and_server(self):
        for i in range(6):
            self.assertEqual(self.get("web", f"/h{i}"), 200)
        m = self.p.metrics()
        for name in ("tandem_request_duration_seconds", "tandem_first_byte_seconds", "tandem_connect_duration_seconds"):
            self.assertEqual(m.value(f"{name}_count", listener="web"), 6, name)
            self.assertEqual(m.value(f"{name}_bucket", listener="web", le="+Inf"), 6, name)
            self.assertEqual(m.value(f"tandem_server_{name[len('tandem_'):]}_count", pool="app"), 6, name)
            self.assertEqual(m.value(f"tandem_server_{name[len('tandem_'):]}_count", pool="app", server="b1"), 3, name)
        # Loopback requests end well within a second: cumulative buckets reach the total by le=1.
        self.assertEqual(m.value("tandem_request_duration_seconds_bucket", listener="web", le="1"), 6)
        wait_until(lambda: self.p.metrics().value("tandem_access_log_lines_total") >= 6, 5,
                   what="the six lines counted as written")
        self.assertEqual(self.p.metrics().value("tandem_access_log_dropped_lines_total"), 0)


class AccessLogConfig(ProxyCase):

    def test_a_relative_path_is_refused_with_its_position(self):
        p = self.h.write("bad.conf", 'name: "x"\nnodes { name: "local" address: "127.0.0.1" }\n'
                                     'access_log {\n  path: "logs/access.log"\n}\n')
        code, out = check_config(p)
        self.assertNotEqual(code, 0, out)
        self.assertRegex(out, r"bad\.conf:4:\d+: .*access_log: path 'logs/access.log' must be absolute")

    def test_an_unwritable_directory_stops_the_start_with_the_reason(self):
        bs = self.backends(1)
        pool = cluster_file.pool("app", bs, "ROUND_ROBIN")
        from lib import proxy as proxy_lib
        p = proxy_lib.Proxy(self.h, [cluster_file.listener("web", "HTTP", "app")], [pool],
                            extra={"access_log": {"path": self.h.path("no/such/dir/access.log")}})
        self.h.write("lb.conf", p.render())
        r = subprocess.run([proxy_lib.require_binary("proxy"), "--config", p.config_path, "--node", "local"],
                           stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=10)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("cannot open", r.stdout + r.stderr)
        self.assertIn("No such file or directory", r.stdout + r.stderr)


if __name__ == "__main__":
    unittest.main()
