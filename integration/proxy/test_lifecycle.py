"""The proxy's life: --check-config, SIGHUP reload (under load, invalid,
keeping connections), SIGTERM drain."""

import http.client
import re
import threading
import time
import unittest

from lib import cluster_file, load, processes, proxy
from lib.wait import wait_until
from proxy.common import DEFAULTS, ProxyCase


class CheckConfig(ProxyCase):

    def config(self):
        return proxy.Proxy(self.h, [cluster_file.listener("web", "HTTP", "app")],
                           [cluster_file.pool("app", [("s1", "127.0.0.1:9001")])], defaults=DEFAULTS)

    def test_good_config_exits_0(self):
        path = self.h.write("good.conf", self.config().render())
        rc, out = proxy.check_config(path)
        self.assertEqual(rc, 0, out)
        self.assertNotIn("error:", out)

    def test_syntax_error_is_reported_with_file_line_col(self):
        text = self.config().render().splitlines()
        line = next(i for i, l in enumerate(text) if l.startswith("listeners {")) + 2  # 1-based, next line
        text.insert(line - 1, "  colour: \"blue\"")  # no such field in Listener
        path = self.h.write("syntax.conf", "\n".join(text) + "\n")
        rc, out = proxy.check_config(path)
        self.assertEqual(rc, 1, out)
        self.assertRegex(out, re.escape(path) + rf":{line}:\d+: error: .*colour")

    def test_semantic_error_is_reported_with_file_line_col(self):
        text = self.config().render().replace('pool: "app"', 'pool: "nope"')
        line = next(i for i, l in enumerate(text.splitlines(), 1) if 'pool: "nope"' in l)
        col_field = text.splitlines()[line - 1].index("pool") + 1
        col_value = text.splitlines()[line - 1].index('"nope"') + 1
        path = self.h.write("semantic.conf", text)
        rc, out = proxy.check_config(path)
        self.assertEqual(rc, 1, out)
        m = re.search(re.escape(path) + r":(\d+):(\d+): error: .*'?nope'?", out)
        self.assertIsNotNone(m, out)
        self.assertEqual(int(m.group(1)), line, out)
        self.assertIn(int(m.group(2)), (col_field, col_value), out)

    def test_unknown_node_exits_1(self):
        path = self.h.write("node.conf", self.config().render())
        rc, out = proxy.check_config(path, node="elsewhere")
        self.assertEqual(rc, 1, out)
        self.assertIn("elsewhere", out)


class Reload(ProxyCase):

    def setUp(self):
        super().setUp()
        self.bs = self.backends(3)
        self.p = self.start_proxy([self.pool(self.bs[:2])])
        self.p.wait_usable("app")
        self.host, self.port = self.p.address("web")

    def pool(self, bs):
        return cluster_file.pool("app", bs, "ROUND_ROBIN",
                          health_check=cluster_file.http_health(interval_ms=200, rise=1, fall=2))

    def await_traffic(self, minimum):
        """Waits until the proxy has counted MINIMUM more requests: load is on."""
        base = self.p.metrics().value("tandem_requests_total", listener="web") or 0
        wait_until(
            lambda: self.p.metrics().value("tandem_requests_total", listener="web") >= base + minimum,
            5, what=f"{minimum} requests counted under load")

    def test_reload_under_load_adds_a_server_and_loses_no_request(self):
        wrk = load.Wrk(self.h, self.p.url("web"), duration_s=4, connections=8)
        self.await_traffic(200)
        self.p.reload(pools=[self.pool(self.bs)])
        self.p.wait_usable("app", ["b3"], timeout=5)
        r = wrk.result()
        self.assertGreater(r.requests, 200, r.output)
        self.assertEqual((r.socket_errors, r.non_2xx_3xx), (0, 0), r.output)
        out = load.Probe(self.host, self.port).run(30)
        self.assertEqual(load.failures(out), [], load.describe(out))
        self.assertGreaterEqual(load.by_backend(out).get("b3", 0), 5, load.by_backend(out))

    def test_reload_under_load_removes_a_server_and_loses_no_request(self):
        wrk = load.Wrk(self.h, self.p.url("web"), duration_s=4, connections=8)
        self.await_traffic(200)
        self.p.reload(pools=[self.pool(self.bs[:1])])
        wait_until(lambda: set(self.p.servers("app")) == {"b1"}, 5,
                   what=lambda: f"b2 gone from /status: {list(self.p.servers('app'))}")
        r = wrk.result()
        self.assertEqual((r.socket_errors, r.non_2xx_3xx), (0, 0), r.output)
        after = self.bs[1].count()
        out = load.Probe(self.host, self.port).run(20)
        self.assertEqual(load.by_backend(out), {"b1": 20}, load.describe(out))
        self.assertEqual(self.bs[1].count(), after, "the removed server still gets requests")

    def test_invalid_reload_is_refused_and_old_config_keeps_serving(self):
        good = self.p.render()
        # The refusal is logged: a line naming the reload (or config) and the failure.
        self.p.reload(text=good + "pools { name: \"app\" algorithm: SIDEWAYS }\n", expect="refused",
                      log_pattern=r"(?i)(reload|config).*(error|invalid|fail|refus|reject|keep)")
        self.assertTrue(self.p.proc.alive())
        self.assertEqual(set(self.p.servers("app")), {"b1", "b2"})
        out = load.Probe(self.host, self.port).run(20)
        self.assertEqual(load.failures(out), [], load.describe(out))
        self.assertEqual(set(load.by_backend(out)), {"b1", "b2"})
        # A valid file after the invalid one is taken.
        self.p.reload(pools=[self.pool(self.bs)])
        self.p.wait_usable("app", ["b3"], timeout=5)

    def test_established_connection_survives_reload(self):
        conn = http.client.HTTPConnection(self.host, self.port, timeout=5)
        self.addCleanup(conn.close)
        o = load.request(self.host, self.port, conn=conn)
        self.assertTrue(o.ok, o)
        local = conn.sock.getsockname()
        self.p.reload(pools=[self.pool(self.bs)])
        self.p.wait_usable("app", ["b3"], timeout=5)
        for _ in range(6):  # round robin over three servers passes b3
            o = load.request(self.host, self.port, conn=conn)
            self.assertTrue(o.ok, o)
            self.assertIsNotNone(conn.sock, "the proxy closed the connection on reload")
            self.assertEqual(conn.sock.getsockname(), local, "the connection was re-opened")


class Drain(ProxyCase):

    def start(self, delay_s, grace_ms):
        self.b = self.backends(1, delays=[("/slow", delay_s)])[0]
        defaults = {"timeouts": dict(DEFAULTS["timeouts"], drain_grace_ms=grace_ms),
                    "http_limits": DEFAULTS["http_limits"]}
        self.p = self.start_proxy([cluster_file.pool("app", [self.b])], defaults=defaults)
        self.p.wait_usable("app")
        self.host, self.port = self.p.address("web")

    def slow_request_in_flight(self):
        result = []
        t = threading.Thread(target=lambda: result.append(
            load.request(self.host, self.port, "/slow", timeout=30)))
        t.start()
        self.addCleanup(t.join, 35)
        wait_until(lambda: self.b.inflight() == 1, 5, what="the slow request at the backend")
        return t, result

    def test_sigterm_finishes_in_flight_request_then_exits_0(self):
        self.start(delay_s=2.0, grace_ms=8000)
        t, result = self.slow_request_in_flight()
        self.p.terminate()
        wait_until(lambda: processes.connect_refused(self.host, self.port), 2,
                             what="new connections refused after SIGTERM")
        self.assertTrue(t.is_alive(), "the in-flight request ended before the listener closed")
        self.assertTrue(self.p.proc.alive(), "exited with a request in flight")
        t.join(10)
        self.assertTrue(result and result[0].ok, result)
        self.assertEqual(result[0].body, "b1")
        rc = self.p.proc.wait(timeout=5)
        self.assertEqual(rc, 0, self.p.proc.tail())

    def test_sigterm_exits_after_grace_even_if_request_hangs(self):
        self.start(delay_s=20.0, grace_ms=1000)
        t, result = self.slow_request_in_flight()
        sent = time.monotonic()
        self.p.terminate()
        rc = self.p.proc.wait(timeout=1.0 + 4.0)
        took = time.monotonic() - sent
        self.assertEqual(rc, 0, self.p.proc.tail())
        self.assertGreaterEqual(took, 0.8, "exited before the grace period with a request in flight")
        t.join(5)
        self.assertFalse(t.is_alive(), "the client was left hanging after the proxy exited")

    def test_sigterm_when_idle_exits_0_promptly(self):
        self.start(delay_s=0.1, grace_ms=5000)
        sent = time.monotonic()
        self.p.terminate()
        rc = self.p.proc.wait(timeout=5)
        self.assertEqual(rc, 0, self.p.proc.tail())
        self.assertLess(time.monotonic() - sent, 2.0, "an idle proxy waited for the grace period")


if __name__ == "__main__":
    unittest.main()
