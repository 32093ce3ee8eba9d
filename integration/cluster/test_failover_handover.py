"""Planned hand-overs and the old master's return.

Issue 3 scenarios (3) graceful stop (SIGTERM) of the master: it resigns with
a priority-0 advert naming its successor, which takes over at once, so the
client sees at most the skew time plus a margin (bound 300 ms); (4) the old
master returns: with preemption it takes the VIP back with one short switch,
without preemption nothing moves. Three edges (edge1 200, edge2 150,
edge3 100), 100 ms adverts.

Run as root from integration/:
    TANDEM_BUILD=../build-it python3 -m unittest -v cluster/test_failover_handover.py
"""

import time
import unittest

from cluster.failover_common import ADVERT_PORT, FailoverTestCase, figure, figure_summary, udp_payloads
from lib.wait import wait_until
from lib.wire import decode_advert

ROUNDS = 5                 # graceful-stop rounds (min/median/max)
RETURN_ROUNDS = 3          # preempting returns
GRACEFUL_BOUND_S = 0.3     # skew time (41 ms for edge2) + margin
RETURN_BOUND_S = 0.3       # the preempting switch back: one short switch
QUIET_WINDOW_S = 5.0       # without preemption: nothing moves for this long


class GracefulAndPreemptTest(FailoverTestCase):
    """Preemption on (the default)."""

    def test_graceful_stop_hands_over_to_named_successor(self):
        """(3) SIGTERM edge1's agent: its last advert has priority 0 and
        names edge2 (the highest-priority healthy backup); edge2 serves after
        at most the skew time plus a margin; edge3 stays backup; edge1 exits
        0, removes its VIP and marks its state file stopped."""
        c = self.c
        series: dict[str, list[float]] = {}
        for r in range(1, ROUNDS + 1):
            with self.subTest(round=r):
                if r > 1:
                    self.restore()
                marks = c.agent_marks()
                cap = c.topo.capture("client", f"udp port {ADVERT_PORT}", name=f"graceful-{r}")
                log, t0, t_new = self.failover(f"probe-graceful-{r}",
                                               lambda: self.stop_agent_gracefully("edge1"),
                                               "edge1", "edge2")
                cap.stop()
                msg = self.assert_switched("graceful", r, series, log, t0, t_new, "edge1", "edge2",
                                           GRACEFUL_BOUND_S, GRACEFUL_BOUND_S)
                self.assertEqual(self.wait_exit("edge1", "agent"), 0, msg)
                self.assertEqual(c.vip_holders(), ["edge2"], msg)
                self.assertEqual(c.state_file("edge1").agent, "stopped", msg)
                self.assertEqual(c.roles(), {"edge1": "-", "edge2": "MASTER", "edge3": "BACKUP"},
                                 msg)
                moved = [(t.node, t.to_state) for t in c.transitions_since(marks)
                         if t.node != "edge1"]
                self.assertEqual(moved, [("edge2", "MASTER")], msg)
                # The resigning advert on the wire: priority 0, successor edge2.
                resign = []
                for _, src, payload in udp_payloads(cap.packets()):
                    try:
                        adv = decode_advert(payload)
                    except ValueError:
                        continue
                    if adv.get("node") == "edge1" and adv.get("priority") == 0:
                        resign.append(adv)
                self.assertTrue(resign, "no priority-0 advert from edge1 captured\n" + msg)
                self.assertEqual({a.get("successor") for a in resign}, {"edge2"}, resign)
        figure_summary("graceful", series)

    def test_old_master_returns_and_preempts_with_one_short_switch(self):
        """(4, preempt) edge1 stops gracefully, edge2 serves; edge1's agent
        starts again: it takes the VIP back, the client sees exactly one
        switch (edge2 -> edge1) and a short outage, then nothing moves."""
        c = self.c
        series: dict[str, list[float]] = {}
        for r in range(1, RETURN_ROUNDS + 1):
            with self.subTest(round=r):
                if r > 1:
                    self.restore()
                self.stop_agent_gracefully("edge1")
                self.wait_exit("edge1", "agent")
                c.wait_roles("edge2", timeout=5)
                c.wait_served_by("edge2", timeout=5)
                marks = c.agent_marks()

                def come_back():
                    t = time.monotonic()
                    c.start_agent("edge1", wait=False)
                    return t
                log, t0, t_new = self.failover(f"probe-preempt-{r}", come_back, "edge2", "edge1",
                                               switch_timeout=5.0, settle_s=1.5)
                msg = self.assert_switched("preempt_return", r, series, log, t0, t_new, "edge2", "edge1",
                                           RETURN_BOUND_S)
                c.wait_roles("edge1", timeout=3)
                moved = [(t.node, t.to_state) for t in c.transitions_since(marks)]
                self.assertIn(("edge2", "BACKUP"), moved, msg)
                self.assertEqual([m for m in moved if m[1] == "MASTER"], [("edge1", "MASTER")],
                                 msg)
                self.assertEqual([m for m in moved if m[0] == "edge3"], [], msg)
        figure_summary("preempt_return", series)


class NoPreemptTest(FailoverTestCase):
    """Preemption off: a returning higher-priority node stays backup."""

    cluster_params = {"preempt": False}
    baseline_master = None

    def test_old_master_returns_and_nothing_moves(self):
        """(4, no preempt) the master stops gracefully, its successor serves;
        the old master's agent starts again and settles as BACKUP; for
        QUIET_WINDOW_S the client is served by the successor only, without
        a failure, no agent logs a transition and the VIP stays put."""
        c = self.c
        old = c.wait_roles(None, timeout=5)
        others = [e for e in c.edges if e != old]
        best = max(others, key=lambda e: c.priorities[e])
        self.stop_agent_gracefully(old)
        self.wait_exit(old, "agent")
        new = c.wait_roles(best, timeout=5)
        c.wait_served_by(new, timeout=5)
        probe = self.start_probe("probe-nopreempt", node=new)
        try:
            c.start_agent(old)
            c.wait_state(old, "BACKUP", timeout=5)
            marks = c.agent_marks()           # after old's INIT -> BACKUP
            t0 = time.monotonic()
            # The assertion is a fixed observation window: nothing may move in it.
            wait_until(lambda: time.monotonic() >= t0 + QUIET_WINDOW_S, QUIET_WINDOW_S + 1, 0.1,
                       what="the observation window")
        finally:
            log = probe.stop()
        window = log.between(t0, t0 + QUIET_WINDOW_S)
        msg = self.diag(log, t0)
        figure("nopreempt_return", window_s=QUIET_WINDOW_S, failures=log.failure_count(),
               switches=log.switches())
        self.assertGreater(len(window.attempts), 500, msg)
        self.assertEqual(log.failure_count(), 0, msg)
        self.assertEqual(log.nodes(), {new: len(log.successes)}, msg)
        self.assert_no_transitions(marks, msg)
        self.assertEqual(c.vip_holders(), [new], msg)
        self.assertEqual(c.roles()[old], "BACKUP", msg)
        self.assertEqual(c.state_file(old).master(), new, msg)


if __name__ == "__main__":
    unittest.main()
