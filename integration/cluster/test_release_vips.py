"""`ha-agent --release-vips`, the unit's ExecStopPost (issue 9 §4).

kill -9 of the agent alone left the VIP on that node (and it answered ARP
for it) while the peer was MASTER, until a new agent started. The unit now
runs `ha-agent --release-vips` after the agent stops, however it stopped.

Two edges (edge1 200, edge2 150), 100 ms adverts. Run as root from integration/:
    TANDEM_BUILD=../build PYTHONPATH=. python3 -m unittest -v cluster/test_release_vips.py
"""

from __future__ import annotations

import unittest

from lib.binaries import binary
from lib.cluster import Cluster, VIP, cluster_or_skip
from lib.wait import wait_until

ANNOUNCED_VIP = "198.18.0.200"
TABLE = 200


class AnnounceCluster(Cluster):
    """One edge in ha.announce mode with no routing daemon (routing_socket
    "none"): the agent's routes in table 200 are what a BIRD would export."""

    def config(self) -> dict:
        c = super().config()
        c["ha"]["instances"] = None
        c["ha"]["announce"] = {"vips": f"{ANNOUNCED_VIP}/32", "table": TABLE, "hold_down_ms": 0}
        for n in c["nodes"]:
            n["routing_socket"] = "none"
        return c


class ReleaseVipsTest(unittest.TestCase):
    def setUp(self) -> None:
        self.c = cluster_or_skip(self, edges=2, backends=1)

    def release(self, node: str) -> tuple[int, str]:
        r = self.c.topo.run(node, [binary("agent"), "--config", self.c.config_path, "--node", node,
                                   "--release-vips"], check=False, timeout=30)
        return r.returncode, r.stdout + r.stderr

    def test_release_removes_the_vip_and_is_idempotent(self) -> None:
        c = self.c
        c.add_vip_by_hand("edge1")
        c.wait_vip("edge1", timeout=2)
        code, out = self.release("edge1")
        self.assertEqual(code, 0, out)
        self.assertIn(f"released {VIP}/24 from {c.topo.host('edge1').ifname}", out)
        self.assertEqual(c.vip_holders(), [])
        code, out = self.release("edge1")   # nothing left: still success, and says so
        self.assertEqual(code, 0, out)
        self.assertIn("no VIP of edge1 was on", out)

    def test_kill9_of_the_master_agent_then_release_leaves_the_vip_on_the_new_master_only(self) -> None:
        c = self.c
        c.start(proxies=True, agents=True)
        c.wait_roles("edge1", timeout=15)
        c.wait_vip("edge1", timeout=5)
        # Not while the agent lives: its VIPs are its own.
        code, out = self.release("edge1")
        self.assertEqual(code, 1, out)
        self.assertIn("an agent still answers on", out)
        self.assertEqual(c.vip_holders(), ["edge1"])
        c.kill("edge1", "agent")
        c.wait_state("edge2", "MASTER", timeout=5)
        # The defect: edge1's dead agent left its copy of the VIP behind.
        self.assertEqual(sorted(c.vip_holders()), ["edge1", "edge2"])
        code, out = self.release("edge1")   # what systemd's ExecStopPost runs
        self.assertEqual(code, 0, out)
        c.wait_vip("edge2", timeout=2)
        c.wait_served_by("edge2", timeout=5)



class ReleaseAnnouncedVipsTest(unittest.TestCase):
    """Every node active (ha.announce): a kill -9'd agent left its host route
    in table 200, so the node's BIRD would go on announcing it, and the VIP on
    lo; --release-vips said "runs no instance" and left both."""

    def setUp(self) -> None:
        self.c = cluster_or_skip(self, AnnounceCluster, edges=1, backends=1)

    def routes(self) -> str:
        return self.c.topo.run("edge1", ["ip", "route", "show", "table", str(TABLE)], timeout=10).stdout

    def on_lo(self) -> str:
        return self.c.topo.run("edge1", ["ip", "-4", "addr", "show", "dev", "lo"], timeout=10).stdout

    def test_release_withdraws_the_route_and_the_vip_left_by_a_dead_agent(self) -> None:
        c = self.c
        c.start(proxies=True, agents=True)
        wait_until(lambda: ANNOUNCED_VIP in self.routes(), 15, what="edge1's agent to announce the VIP")
        self.assertIn(ANNOUNCED_VIP, self.on_lo())
        c.kill("edge1", "agent")
        self.assertIn(ANNOUNCED_VIP, self.routes())   # what a dead agent leaves behind
        r = c.topo.run("edge1", [binary("agent"), "--config", c.config_path, "--node", "edge1",
                                 "--release-vips"], check=False, timeout=30)
        out = r.stdout + r.stderr
        self.assertEqual(r.returncode, 0, out)
        self.assertIn(f"withdrew {ANNOUNCED_VIP}/32 (routing table {TABLE})", out)
        self.assertIn(f"released {ANNOUNCED_VIP}/32 from lo", out)
        self.assertNotIn(ANNOUNCED_VIP, self.routes())
        self.assertNotIn(ANNOUNCED_VIP, self.on_lo())
        r = c.topo.run("edge1", [binary("agent"), "--config", c.config_path, "--node", "edge1",
                                 "--release-vips"], check=False, timeout=30)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)   # idempotent
        self.assertIn("no VIP of edge1 was on", r.stdout)


if __name__ == "__main__":
    unittest.main()
