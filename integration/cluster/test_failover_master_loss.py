"""The master is lost without warning; a backup must serve the clients.

Issue 3 scenarios (1) kill -9 of the master's ha-agent, (2) the master's
link goes down, (7) the master's lb-proxy dies while its agent lives. Three
edges (edge1 200, edge2 150, edge3 100), 100 ms adverts, preemption on; the
probe in the client namespace opens a connection to the VIP every 5 ms.

With 100 ms adverts edge2's Master_Down_Interval is 3 x 100 + (256-150) x
100/256 = 341 ms; the bound on what the client sees is 600 ms.

Run as root from integration/:
    TANDEM_BUILD=../build-it python3 -m unittest -v cluster/test_failover_master_loss.py
"""

import time
import unittest

from cluster.failover_common import FailoverTestCase, figure_summary
from lib.wait import wait_until

ROUNDS = 5               # kill -9 and link-down rounds (min/median/max)
PROXY_ROUNDS = 3
DOWN_BOUND_S = 0.6       # Master_Down_Interval (341 ms) + margin
PROXY_BOUND_S = 1.5      # dead_after_ms 500 + failover + margin


class MasterLossTest(FailoverTestCase):
    cluster_params = {"proxy_track": {"heartbeat_ms": 100, "dead_after_ms": 500, "weight": 0}}

    def test_kill9_master_agent(self):
        """(1) SIGKILL edge1's agent: edge2 serves within Master_Down_Interval
        + margin. edge1's VIP stays on its interface (nobody removes it) until
        its agent restarts and removes the leftover."""
        c = self.c
        series: dict[str, list[float]] = {}
        for r in range(1, ROUNDS + 1):
            with self.subTest(round=r):
                if r > 1:
                    self.restore()
                marks = c.agent_marks()
                log, t0, t_new = self.failover(f"probe-kill9-{r}",
                                               lambda: c.kill("edge1", "agent"), "edge1", "edge2")
                msg = self.assert_switched("kill9", r, series, log, t0, t_new, "edge1", "edge2",
                                           DOWN_BOUND_S, DOWN_BOUND_S)
                # Among the live agents exactly one master, and it holds the VIP;
                # edge1 (agent dead) still carries its leftover copy.
                self.assertEqual(c.roles(), {"edge1": "-", "edge2": "MASTER", "edge3": "BACKUP"},
                                 msg)
                self.assertEqual(sorted(c.vip_holders()), ["edge1", "edge2"], msg)
                promoted = [(t.node, t.to_state) for t in c.transitions_since(marks)
                            if t.to_state == "MASTER"]
                self.assertEqual(promoted, [("edge2", "MASTER")], msg)
                # The agent restarted on edge1 removes the leftover and (preempt)
                # takes the VIP back: on exactly one host again.
                c.start_agent("edge1")
                c.wait_roles("edge1", timeout=10)
                self.assertEqual(c.vip_holders(), ["edge1"])
        figure_summary("kill9", series)

    def test_master_link_down(self):
        """(2) edge1's cable is pulled: edge2 serves within the same bound;
        edge1's agent sees the link go and leaves MASTER (link tracking)."""
        c = self.c
        series: dict[str, list[float]] = {}
        for r in range(1, ROUNDS + 1):
            with self.subTest(round=r):
                if r > 1:
                    self.restore()

                def cut():
                    t = time.monotonic()
                    c.topo.link_down("edge1")
                    return t
                log, t0, t_new = self.failover(f"probe-linkdown-{r}", cut, "edge1", "edge2")
                msg = self.assert_switched("linkdown", r, series, log, t0, t_new, "edge1", "edge2",
                                           DOWN_BOUND_S, DOWN_BOUND_S)
                self.assertEqual(c.state_file("edge2").state(), "MASTER", msg)
                self.assertEqual(c.state_file("edge3").state(), "BACKUP", msg)
                # edge1 cannot hear anyone; it must not stay MASTER on a dead link.
                wait_until(lambda: c.state_file("edge1").state() == "FAULT", 3, 0.05,
                           what=lambda: "edge1 FAULT on link down\n" + self.diag())
                wait_until(lambda: "edge1" not in c.vip_holders(), 3, 0.05,
                           what=lambda: "edge1 releasing the VIP on link down\n" + self.diag())
        figure_summary("linkdown", series)

    def test_master_proxy_dies(self):
        """(7) SIGKILL edge1's lb-proxy while its agent lives: the agent sees
        the heartbeats stop (dead_after_ms 500), goes FAULT and hands the VIP
        to edge2, whose proxy is healthy."""
        c = self.c
        series: dict[str, list[float]] = {}
        for r in range(1, PROXY_ROUNDS + 1):
            with self.subTest(round=r):
                if r > 1:
                    self.restore()
                marks = c.agent_marks()
                log, t0, t_new = self.failover(f"probe-proxy-{r}",
                                               lambda: c.kill("edge1", "proxy"), "edge1", "edge2")
                msg = self.assert_switched("proxydeath", r, series, log, t0, t_new, "edge1", "edge2",
                                           PROXY_BOUND_S, PROXY_BOUND_S)
                self.assertTrue(c.alive("edge1", "agent"), msg)
                self.assertEqual(c.roles(), {"edge1": "FAULT", "edge2": "MASTER",
                                             "edge3": "BACKUP"}, msg)
                self.assertEqual(c.vip_holders(), ["edge2"], msg)
                promoted = [(t.node, t.to_state) for t in c.transitions_since(marks)]
                self.assertIn(("edge1", "FAULT"), promoted, msg)
                self.assertIn(("edge2", "MASTER"), promoted, msg)
                self.assertNotIn(("edge3", "MASTER"), promoted, msg)
                # The proxy comes back: edge1 recovers and (preempt) is master again.
                c.start_proxy("edge1")
                c.wait_roles("edge1", timeout=10)
        figure_summary("proxydeath", series)


if __name__ == "__main__":
    unittest.main()
