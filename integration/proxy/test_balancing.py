"""Traffic spreads as configured; requests carry the forwarding headers;
connections are kept alive on both sides; metrics count what happened."""

import http.client
import re
import socket
import threading
import unittest

from lib import cluster_file, load
from lib.wait import wait_until
from proxy.common import ProxyCase


class Balancing(ProxyCase):

    def test_round_robin_spreads_evenly(self):
        bs = self.backends(3)
        p = self.start_proxy([cluster_file.pool("app", bs, "ROUND_ROBIN")])
        p.wait_usable("app")
        out = load.Probe(*p.address("web")).run(300)  # a new connection per request
        self.assertEqual(load.failures(out), [], load.describe(out))
        counts = load.by_backend(out)
        # Round robin per worker is exact; across 2 workers each server is
        # off by at most one per worker.
        for b in bs:
            self.assertLessEqual(abs(counts.get(b.name, 0) - 100), 4, counts)
        # The backends agree with what the clients saw.
        self.assertEqual({b.name: b.count() for b in bs}, counts)

    def test_weighted_round_robin_follows_weights(self):
        bs = self.backends(3)
        p = self.start_proxy([cluster_file.pool("app", bs, "WEIGHTED_ROUND_ROBIN", weights={"b1": 2})])
        p.wait_usable("app")
        out = load.Probe(*p.address("web")).run(400)
        self.assertEqual(load.failures(out), [], load.describe(out))
        counts = load.by_backend(out)
        expected = {"b1": 200, "b2": 100, "b3": 100}
        for name, want in expected.items():
            self.assertLessEqual(abs(counts.get(name, 0) - want), 0.1 * want + 4, counts)

    def test_weights_hold_under_concurrent_keepalive_load(self):
        bs = self.backends(3)
        p = self.start_proxy([cluster_file.pool("app", bs, "WEIGHTED_ROUND_ROBIN", weights={"b1": 2})])
        p.wait_usable("app")
        r = load.run_wrk(p.url("web"), duration_s=2, connections=8)
        self.assertGreater(r.requests, 100, r.output)
        self.assertEqual((r.socket_errors, r.non_2xx_3xx), (0, 0), r.output)
        counts = {b.name: b.count() for b in bs}
        total = sum(counts.values())
        self.assertGreaterEqual(total, r.requests, counts)
        for name, share in {"b1": 0.5, "b2": 0.25, "b3": 0.25}.items():
            self.assertAlmostEqual(counts[name] / total, share, delta=0.05, msg=counts)
        # The proxy's per-server request counters match what the backends saw,
        # give or take a request per wrk connection cut when wrk stopped.
        wait_until(
            lambda: all(abs(s["requests"] - counts[n]) <= 8 for n, s in p.servers("app").items()), 3,
            what=lambda: f"/status requests {p.servers('app')} to match the backends' counts {counts}")

    def test_least_connections_avoids_the_busy_server(self):
        bs = self.backends(2, delays=[("/slow", 3.0)])
        # One worker: the connection counts the algorithm sees are all in one place.
        p = self.start_proxy([cluster_file.pool("app", bs, "LEAST_CONNECTIONS")], workers=1)
        p.wait_usable("app")
        host, port = p.address("web")
        slow = []
        t = threading.Thread(target=lambda: slow.append(load.request(host, port, "/slow", timeout=10)))
        t.start()
        self.addCleanup(t.join, 15)
        busy = wait_until(
            lambda: next((b for b in bs if b.inflight() == 1), None), 5, what="the slow request at a backend")
        idle = next(b for b in bs if b is not busy)
        out = load.Probe(host, port).run(10)
        self.assertEqual(load.failures(out), [], load.describe(out))
        self.assertEqual(load.by_backend(out), {idle.name: 10})
        self.assertEqual(p.server("app", busy.name)["active"], 1)
        t.join(15)
        self.assertTrue(slow and slow[0].ok and slow[0].backend == busy.name, slow)


class Forwarding(ProxyCase):

    def setUp(self):
        super().setUp()
        self.b = self.backends(1)[0]
        self.p = self.start_proxy([cluster_file.pool("app", [self.b])])
        self.p.wait_usable("app")

    def test_forwarded_headers_reach_the_backend(self):
        o = load.curl(self.p.url("web", "/hello"), interface="127.0.0.3")
        self.assertEqual(o.status, 200, o)
        self.assertEqual(o.backend, "b1")
        self.assertEqual(o.headers["x-seen-xff"], "127.0.0.3")
        self.assertEqual(o.headers["x-seen-xfp"], "http")
        fwd = o.headers["x-seen-forwarded"]
        self.assertRegex(fwd, r'(?i)for="?127\.0\.0\.3"?')
        self.assertRegex(fwd, r"(?i)proto=http")

    def test_client_x_forwarded_for_is_appended_to(self):
        o = load.curl(self.p.url("web"), interface="127.0.0.4",
                      headers=["X-Forwarded-For: 203.0.113.9"])
        self.assertEqual(o.status, 200, o)
        self.assertEqual(re.split(r"\s*,\s*", o.headers["x-seen-xff"]), ["203.0.113.9", "127.0.0.4"])

    def test_http10_without_host_gets_one_upstream(self):
        # Upstream is HTTP/1.1, where a request without Host is a 400 (nginx
        # answers so): the proxy names the address the client reached.
        host, port = self.p.address("web")
        with socket.create_connection((host, port), timeout=5) as s:
            s.sendall(b"GET /old HTTP/1.0\r\n\r\n")
            data = b""
            while chunk := s.recv(65536):
                data += chunk
        head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1").lower()
        self.assertTrue(head.startswith("http/1.1 200"), head)
        self.assertIn(f"x-seen-host: {host}:{port}", head)

    def test_keepalive_on_both_sides(self):
        host, port = self.p.address("web")
        conn = http.client.HTTPConnection(host, port, timeout=5)
        self.addCleanup(conn.close)
        seqs = []
        first_sock = None
        for _ in range(20):
            o = load.request(host, port, conn=conn)
            self.assertTrue(o.ok, o)
            if first_sock is None:
                first_sock = conn.sock.getsockname()
            self.assertIsNotNone(conn.sock, "the proxy closed the client connection")
            self.assertEqual(conn.sock.getsockname(), first_sock, "client connection was not kept")
            seqs.append(int(o.headers["x-conn-seq"]))
        # Fresh client connections still reuse pooled upstream connections.
        out = load.Probe(host, port).run(20)
        self.assertEqual(load.failures(out), [], load.describe(out))
        seqs += [int(o.headers["x-conn-seq"]) for o in out]
        self.assertGreater(max(seqs), 1, f"every request opened a new upstream connection: {seqs}")

    def test_metrics_count_requests_and_server_health(self):
        before = self.p.metrics()
        req0 = before.value("tandem_requests_total", listener="web") or 0
        ok0 = before.value("tandem_responses_total", listener="web", **{"class": "2xx"}) or 0
        out = load.Probe(*self.p.address("web")).run(25)
        self.assertEqual(load.failures(out), [], load.describe(out))

        def counted():
            m = self.p.metrics()
            return (m.value("tandem_requests_total", listener="web") >= req0 + 25 and
                    m.value("tandem_responses_total", listener="web", **{"class": "2xx"}) >= ok0 + 25)
        wait_until(counted, 3, what="requests and 2xx responses counted in /metrics")
        m = self.p.metrics()
        self.assertEqual(m.value("tandem_server_up", pool="app", server="b1"), 1.0)
        self.assertIsNotNone(m.value("tandem_connections_active", listener="web"),
                             "tandem_connections_active{listener=web} missing")
        served = self.b.count()
        wait_until(lambda: self.p.server("app", "b1")["requests"] == served, 3,
                             what=f"/status requests of b1 to equal the {served} it served")


if __name__ == "__main__":
    unittest.main()
