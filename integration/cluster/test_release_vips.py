"""`ha-agent --release-vips`, the unit's ExecStopPost (issue 9 §4).

kill -9 of the agent alone left the VIP on that node (and it answered ARP
for it) while the peer was MASTER, until a new agent started. The unit now
runs `ha-agent --release-vips` after the agent stops, however it stopped.

Two edges (edge1 200, edge2 150), 100 ms adverts. Run as root from integration/:
    TANDEM_BUILD=../build PYTHONPATH=. python3 -m unittest -v cluster/test_release_vips.py
"""

from __future__ import annotations

import os
import unittest

from lib.binaries import binary, have_binary
from lib.cluster import Cluster, VIP
from lib.netns import Unsupported


class ReleaseVipsTest(unittest.TestCase):
    def setUp(self) -> None:
        if os.geteuid() != 0:
            self.skipTest("the namespace cluster needs root")
        for kind in ("proxy", "agent"):
            if not have_binary(kind):
                self.skipTest(f"{binary(kind)} is not built")
        try:
            self.c = Cluster(self, edges=2, backends=1, agents=True)
        except Unsupported as e:
            self.skipTest(str(e))

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


if __name__ == "__main__":
    unittest.main()
