"""The daemons as the packaged units run them: not uid 0, with only their
ambient capabilities (issue 10 §7). systemd is not PID 1 here, so setpriv
does what the units' User=, AmbientCapabilities= and CapabilityBoundingSet=
do, and the test asserts what they must keep working: the agent's rtnetlink
(the VIP), raw ARP socket and multicast adverts, the proxy's port 80, and the
unix sockets and state file they share in a directory the user owns.

Two edges: edge1 (priority 200) runs both daemons as an unprivileged uid,
edge2 runs them as root. Run as root from integration/:
    TANDEM_BUILD=../build PYTHONPATH=. python3 -m unittest -v cluster/test_unprivileged.py
"""

from __future__ import annotations

import os
import shutil
import signal
import stat
import unittest

from lib.binaries import binary, have_binary
from lib.cluster import Cluster
from lib.netns import Unsupported

UID = GID = 64_123          # no such user needed: setpriv takes numbers
AGENT_CAPS = "net_admin,net_raw"
PROXY_CAPS = "net_bind_service"
CAP_BITS = {"net_bind_service": 10, "net_admin": 12, "net_raw": 13}


def setpriv(caps: str) -> list[str]:
    plus = ",".join("+" + c for c in caps.split(","))
    return ["setpriv", f"--reuid={UID}", f"--regid={GID}", "--clear-groups", f"--inh-caps=-all,{plus}",
            f"--ambient-caps={plus}", f"--bounding-set=-all,{plus}", "--no-new-privs"]


def traversable_by_others(path: str) -> bool:
    while path not in ("/", ""):
        path = os.path.dirname(path)
        if not os.stat(path).st_mode & stat.S_IXOTH:
            return False
    return True


def status_of(pid: int) -> dict[str, str]:
    with open(f"/proc/{pid}/status") as f:
        return dict(line.rstrip("\n").split(":\t", 1) for line in f if ":\t" in line)


class UnprivilegedTest(unittest.TestCase):
    def setUp(self) -> None:
        if os.geteuid() != 0:
            self.skipTest("the namespace cluster needs root")
        if not shutil.which("setpriv"):
            self.skipTest("no setpriv (util-linux)")
        for kind in ("proxy", "agent"):
            if not have_binary(kind):
                self.skipTest(f"{binary(kind)} is not built")
            if not traversable_by_others(binary(kind)):
                self.skipTest(f"{binary(kind)} is not reachable by other users")
        try:
            self.c = Cluster(self, edges=2, backends=1, agents=True)
        except Unsupported as e:
            self.skipTest(str(e))
        c = self.c
        # What the package sets up: the daemons' directory is theirs, the key
        # is root:tandem 0640, the file readable.
        os.chmod(c.dir, 0o755)
        os.chown(c.node_dir("edge1"), UID, GID)
        os.chown(c.key_path, 0, GID)
        os.chmod(c.key_path, 0o640)
        os.chmod(c.config_path, 0o644)

    def start_unprivileged(self, node: str, kind: str, caps: str):
        return self.c._start(node, kind, setpriv(caps) + [binary(kind), "--config", self.c.config_path,
                                                          "--node", node])

    def assert_runs_as(self, pid: int, caps: str) -> None:
        status = status_of(pid)
        self.assertEqual(status["Uid"].split()[:2], [str(UID), str(UID)], status["Uid"])
        expected = sum(1 << CAP_BITS[c] for c in caps.split(","))
        self.assertEqual(int(status["CapEff"], 16), expected, status["CapEff"])
        self.assertEqual(int(status["CapBnd"], 16), expected, status["CapBnd"])

    def test_both_daemons_work_as_an_unprivileged_user_with_ambient_capabilities(self) -> None:
        c = self.c
        for b in c.backends:
            c.start_backend(b)
        proxy = self.start_unprivileged("edge1", "proxy", PROXY_CAPS)
        c.wait_proxy_ready("edge1")                         # port 80 without root
        c.start_proxy("edge2")
        c.start_agent("edge2")
        agent = self.start_unprivileged("edge1", "agent", AGENT_CAPS)
        # rtnetlink (the VIP is added), multicast adverts (edge2 hears edge1
        # and stays BACKUP), the raw ARP socket (the client reaches edge1
        # through the VIP edge2 had before), the local channel (edge1 is not
        # FAULT for a proxy it cannot hear).
        c.wait_roles("edge1", timeout=15)
        c.wait_served_by("edge1", timeout=10)
        self.assert_runs_as(proxy.pid, PROXY_CAPS)   # (setpriv has exec'd the binary by now)
        self.assert_runs_as(agent.pid, AGENT_CAPS)
        self.assertNotIn("Operation not permitted", agent.tail(200))
        # A graceful stop removes the VIP without root, and edge2 takes over.
        c.proc("edge1", "agent").signal(signal.SIGTERM)
        self.assertEqual(c.proc("edge1", "agent").wait(10), 0)
        c.wait_roles("edge2", timeout=10)
        c.wait_served_by("edge2", timeout=10)


if __name__ == "__main__":
    unittest.main()
