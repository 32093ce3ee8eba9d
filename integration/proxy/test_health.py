"""Health: passive ejection of a killed backend, active checks down and up,
a restarted backend coming back, all servers down, admin server states."""

import unittest

from lib import cluster_file, load, processes
from lib.wait import wait_until
from proxy.common import ProxyCase

# Requests right after a kill that may still fail (e.g. on a pooled upstream
# connection the backend's death reset), and how many must then all succeed.
GRACE_REQUESTS = 10
CHECKED_REQUESTS = 120


class Passive(ProxyCase):

    def test_killed_backend_is_ejected_and_clients_see_no_error(self):
        bs = self.backends(3)
        # No active check: only the passive check can take b2 out.
        p = self.start_proxy([cluster_file.pool(
            "app", bs, "ROUND_ROBIN", passive_check={"max_fails": 1, "fail_timeout_ms": 30000})])
        p.wait_usable("app")
        probe = load.Probe(*p.address("web"), keepalive=True)
        self.addCleanup(probe.close)
        warm = probe.run(30)
        self.assertEqual(load.failures(warm), [], load.describe(warm))
        self.assertIn("b2", load.by_backend(warm))

        bs[1].kill()
        grace = probe.run(GRACE_REQUESTS)
        checked = probe.run(CHECKED_REQUESTS)
        self.assertEqual(load.failures(checked), [],
                         f"after the first {GRACE_REQUESTS} requests following the kill: "
                         f"{load.describe(checked)}\n(grace: {load.describe(grace)})")
        counts = load.by_backend(checked)
        self.assertNotIn("b2", counts)
        self.assertEqual(set(counts), {"b1", "b3"})
        self.assertTrue(p.server("app", "b2")["ejected"], p.server("app", "b2"))
        self.assertGreaterEqual(p.server("app", "b2")["failures"], 1, p.server("app", "b2"))

    def test_ejection_never_empties_a_pool_and_errors_name_their_cause(self):
        # One server, no active check: the passive check ejects it after one
        # failed connect, for 30 s. The panic rule keeps trying it, so it is
        # back as soon as it listens again, and the 502 says what happened.
        bs = self.backends(1)
        p = self.start_proxy([cluster_file.pool(
            "app", bs, "ROUND_ROBIN", passive_check={"max_fails": 1, "fail_timeout_ms": 30000})])
        p.wait_usable("app")
        bs[0].kill()
        failed = load.curl(p.url("web"), max_time=5)
        self.assertEqual(failed.status, 502, failed)
        self.assertEqual(failed.body, "502 Bad Gateway: could not connect to any server.\n", failed)
        self.assertTrue(p.server("app", "b1")["ejected"], p.server("app", "b1"))
        wait_until(lambda: p.metrics().value("tandem_pool_panic", pool="app") == 1.0, 3,
                             what="tandem_pool_panic 1 for pool app")
        # The entry is counted by the control thread's 100 ms tick.
        wait_until(lambda: p.metrics().value("tandem_pool_panics_total", pool="app") >= 1.0, 3,
                             what="tandem_pool_panics_total counted")
        self.assertEqual(p.metrics().value("tandem_pool_panics_total", pool="app"), 1.0)
        bs[0].start()  # same port; still ejected for 30 s
        back = load.curl(p.url("web"), max_time=5)
        self.assertEqual((back.status, back.backend), (200, "b1"), back)
        self.assertTrue(p.server("app", "b1")["ejected"], "served by the panic rule, not after the cool-down")

    def test_connect_failure_is_retried_on_another_server(self):
        bs = self.backends(2)
        # Passive check off: every pick of b2 has to be rescued by a retry.
        p = self.start_proxy([cluster_file.pool("app", bs, "ROUND_ROBIN", passive_check={"max_fails": 0})])
        p.wait_usable("app")
        bs[1].kill()
        out = load.Probe(*p.address("web")).run(20)  # new connections: no pooled upstream to b2
        self.assertEqual(load.failures(out), [], load.describe(out))
        self.assertEqual(load.by_backend(out), {"b1": 20})


class Active(ProxyCase):

    def pool(self, bs, **kw):
        return cluster_file.pool("app", bs, "ROUND_ROBIN",
                          health_check=cluster_file.http_health(interval_ms=200, rise=2, fall=2), **kw)

    def test_failing_health_check_marks_down_then_up(self):
        bs = self.backends(3)
        p = self.start_proxy([self.pool(bs)])
        p.wait_usable("app")
        bs[0].set_health(503)  # b1 still serves traffic; only its health check fails
        p.wait_health("app", "DOWN", ["b1"], timeout=5)
        self.assertEqual(p.metrics().value("tandem_server_up", pool="app", server="b1"), 0.0)
        out = load.Probe(*p.address("web")).run(30)
        self.assertEqual(load.failures(out), [], load.describe(out))
        self.assertNotIn("b1", load.by_backend(out))

        bs[0].set_health(200)
        p.wait_health("app", "UP", ["b1"], timeout=5)
        self.assertEqual(p.metrics().value("tandem_server_up", pool="app", server="b1"), 1.0)
        out = load.Probe(*p.address("web")).run(30)
        self.assertEqual(load.failures(out), [], load.describe(out))
        self.assertGreaterEqual(load.by_backend(out).get("b1", 0), 5, load.by_backend(out))

    def test_restarted_backend_comes_back(self):
        bs = self.backends(3)
        p = self.start_proxy([self.pool(bs, passive_check={"max_fails": 1, "fail_timeout_ms": 2000})])
        p.wait_usable("app")
        bs[1].kill()
        p.wait_health("app", "DOWN", ["b2"], timeout=5)
        out = load.Probe(*p.address("web")).run(20)
        self.assertEqual(load.failures(out), [], load.describe(out))
        self.assertNotIn("b2", load.by_backend(out))

        bs[1].start()  # same port
        p.wait_usable("app", ["b2"], timeout=10)
        out = load.Probe(*p.address("web")).run(30)
        self.assertEqual(load.failures(out), [], load.describe(out))
        self.assertGreaterEqual(load.by_backend(out).get("b2", 0), 5, load.by_backend(out))
        self.assertGreater(bs[1].count(), 0)

    def test_all_servers_down_answers_503_quickly(self):
        # Two servers on ports where nothing listens.
        dead = [("d1", f"127.0.0.1:{processes.free_port()}"),
                ("d2", f"127.0.0.1:{processes.free_port()}")]
        p = self.start_proxy([self.pool(dead)])
        p.wait_health("app", "DOWN", timeout=5)
        for _ in range(5):
            o = load.curl(p.url("web"), max_time=5)
            self.assertEqual(o.status, 503, o)
            self.assertLess(o.elapsed, 1.0, o)


class AdminState(ProxyCase):

    def test_drain_and_maintenance_take_a_server_out_of_rotation(self):
        bs = self.backends(3)
        p = self.start_proxy([cluster_file.pool("app", bs, "ROUND_ROBIN")])
        p.wait_usable("app")
        for value, shown in (("drain", "DRAIN"), ("maintenance", "MAINTENANCE")):
            with self.subTest(value=value):
                status, body = p.set_state("app", "b1", value)
                self.assertEqual(status, 200, body)
                self.assertEqual(p.server("app", "b1")["admin_state"], shown)
                out = load.Probe(*p.address("web")).run(20)
                self.assertEqual(load.failures(out), [], load.describe(out))
                self.assertNotIn("b1", load.by_backend(out))

                status, body = p.set_state("app", "b1", "ready")
                self.assertEqual(status, 200, body)
                self.assertEqual(p.server("app", "b1")["admin_state"], "READY")
                out = load.Probe(*p.address("web")).run(30)
                self.assertGreaterEqual(load.by_backend(out).get("b1", 0), 5, load.by_backend(out))

    def test_bad_state_requests_are_refused(self):
        bs = self.backends(1)
        p = self.start_proxy([cluster_file.pool("app", bs)])
        for path_value, what in ((("app", "b1", "sideways"), "unknown state"),
                                 (("app", "nope", "drain"), "unknown server"),
                                 (("nope", "b1", "drain"), "unknown pool")):
            with self.subTest(what):
                status, body = p.set_state(*path_value)
                self.assertGreaterEqual(status, 400, body)
                self.assertLess(status, 500, body)
        self.assertEqual(p.server("app", "b1")["admin_state"], "READY")


if __name__ == "__main__":
    unittest.main()
