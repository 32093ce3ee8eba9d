"""A passive capture of adverts cannot hold a restarted backup down.

Issue 9 part 2. Three edges (edge1 200, edge2 150, edge3 100), 100 ms
adverts. The story, as an attacker on the LAN could play it:
1. record ~5 s of edge1's (the master's) adverts from the client port;
2. edge1 dies (kill -9 of its agent and proxy); edge2 takes over;
3. edge3's agent crashes and restarts (kill -9, then a fresh start);
4. the capture is replayed at its original pace, from edge1's own address
   (edge1's namespace still exists: the attacker spoofs the dead master's
   address, so the source address check alone cannot save edge3);
5. edge2's agent dies (kill -9).
edge3 must take over within one Master_Down_Interval of edge2's last advert
(3 x 100 + (256-100) x 100/256 = 361 ms), plus a margin for two loaded
cores. Before the fix, edge3 believed every replayed advert (edge1 MASTER
at 200) and stayed BACKUP until the replay ended.

edge3 refuses the replay twice over: the sequences it persisted before the
crash (it had seen edge1's last adverts) and the clock bound
(ha.max_clock_skew_ms, default 2 s; the capture is older than that).

Run as root from integration/:
    TANDEM_BUILD=../build python3 -m unittest -v cluster/test_failover_replay.py
"""

import os
import socket
import threading
import time
import unittest

from cluster.failover_common import (ADVERT_GROUP, ADVERT_PORT, FailoverTestCase, client_udp_socket, figure,
                                     udp_payloads)
from lib.netns import EDGES
from lib.wait import wait_until
from lib.wire import decode_advert, encode_advert_body, encode_signed

CAPTURE_S = 5.0          # how much of edge1's advert stream is recorded
MASTER_DOWN_S = 0.361    # edge3's Master_Down_Interval at 100 ms adverts
TAKEOVER_BOUND_S = MASTER_DOWN_S + 0.64   # one interval plus margin: 1 s


class Replayer:
    """Sends captured advert payloads to the advert group from a host's
    namespace, at their original pace (bounded by the capture's length)."""

    def __init__(self, cluster, host: str, adverts: list[tuple[float, bytes]]):
        self.sock = cluster.topo.socket(host, socket.AF_INET, socket.SOCK_DGRAM)
        ip = EDGES[host]
        self.sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)
        self.sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(ip))
        self.sock.bind((ip, 0))
        self.adverts = adverts
        self.sent = 0
        self.started = self.ended = None
        self.stop_flag = threading.Event()
        self.thread = threading.Thread(target=self._run, name="replayer", daemon=True)

    def start(self) -> None:
        self.thread.start()
        wait_until(lambda: self.sent > 0, 2, 0.01, what="the replay to start")

    def _run(self) -> None:
        t_first = self.adverts[0][0]
        self.started = time.monotonic()
        for t, payload in self.adverts:
            # Pacing the sender to the capture's timing, not synchronisation.
            delay = self.started + (t - t_first) - time.monotonic()
            if delay > 0 and self.stop_flag.wait(delay):
                break
            self.sock.sendto(payload, (ADVERT_GROUP, ADVERT_PORT))
            self.sent += 1
        self.ended = time.monotonic()

    def stop(self) -> None:
        self.stop_flag.set()
        self.thread.join(timeout=CAPTURE_S + 5)
        self.sock.close()


def spoofed_adverts(key: bytes, node: str, count: int) -> list[bytes]:
    """Fresh, correctly signed adverts naming node as MASTER at 254: only
    the source address gives them away. Their sequences are 1 s ahead, inside
    the clock bound (2 s) and above what node itself sends meanwhile."""
    seq = int(time.time() * 1_000_000) + 1_000_000
    return [encode_signed(encode_advert_body(
                node=node, instance_id="www", priority=254, state="MASTER",
                advert_interval_ms=100, sequence=seq + i * 1000, boot_id=7), key)
            for i in range(count)]


class SourceCheck:
    """Adverts signed with the real key, with fresh sequences, sent from the
    client's address: every agent drops them as wrong_source and nothing
    moves."""

    def send_spoofed(self, destinations: list[str]) -> None:
        c = self.c
        before = {e: c.advert_drops(e).get("wrong_source", 0) for e in c.edges}
        marks = c.agent_marks()
        sock = client_udp_socket(c)
        try:
            for d in spoofed_adverts(self.key(), "edge3", 10):
                for dst in destinations:
                    sock.sendto(d, (dst, ADVERT_PORT))
                time.sleep(0.01)      # pacing the sender, not synchronisation
        finally:
            sock.close()
        # edge3 drops its own name as self; the others as wrong_source.
        others = [e for e in c.edges if e != "edge3"]
        wait_until(lambda: all(c.advert_drops(e).get("wrong_source", 0) - before[e] >= 10 for e in others),
                   5, 0.05, what=lambda: f"10 wrong_source drops on {others}: "
                   f"{ {e: c.advert_drops(e) for e in c.edges} }")
        self.assert_no_transitions(marks, self.diag())
        self.assertEqual(c.masters(), ["edge1"], self.diag())


class ReplayAfterRestartTest(SourceCheck, FailoverTestCase):

    def crash_and_restart_agent(self, node: str) -> None:
        """kill -9 of node's agent, then a fresh start."""
        self.c.kill(node, "agent")
        self.c.start_agent(node)

    def capture_master_adverts(self) -> list[tuple[float, bytes]]:
        c = self.c
        cap = c.topo.capture("client", f"udp port {ADVERT_PORT}", name="edge1-adverts")

        def long_enough():
            mine = [(t, p) for t, src, p in udp_payloads(cap.packets()) if src == EDGES["edge1"]]
            return mine if mine and mine[-1][0] - mine[0][0] >= CAPTURE_S else None
        try:
            adverts = wait_until(long_enough, CAPTURE_S + 5, 0.2, what=f"{CAPTURE_S} s of edge1's adverts")
        finally:
            cap.stop()
        self.assertEqual(decode_advert(adverts[0][1]).get("state"), "MASTER")
        return adverts

    def test_replayed_capture_does_not_hold_restarted_backup_down(self):
        c = self.c
        adverts = self.capture_master_adverts()

        # 2. The master dies; edge2 takes over.
        c.kill("edge1", "agent")
        c.kill("edge1", "proxy")
        c.wait_state("edge2", "MASTER", timeout=5)
        # edge3 has seen edge1's last advert; let its sequence file (written
        # at most every 500 ms while adverts flow) catch up before the crash.
        seq_file = c.node_paths("edge3")["state_file"] + ".sequences"
        edge1_gone = time.time()

        def written_since():
            try:
                return os.stat(seq_file).st_mtime > edge1_gone
            except FileNotFoundError:
                return False
        wait_until(written_since, 5, 0.05, what=f"{seq_file} written after edge1's death")

        # 3. edge3's agent crashes and restarts.
        self.crash_and_restart_agent("edge3")
        c.proc("edge3", "agent").wait_for_line(r"sync_initial_done", timeout=10)
        c.wait_state("edge3", "BACKUP", timeout=5)
        wait_until(lambda: c.state_file("edge3").master() == "edge2", 3, 0.02,
                   what=lambda: "edge3 to follow edge2\n" + self.diag())

        # 4. Replay the capture from edge1's address; 5. edge2 dies early in it.
        drops_before = c.advert_drops("edge3")
        probe = self.start_probe("probe-replay", node="edge2")
        replay = Replayer(c, "edge1", adverts)
        t_kill = t_edge3 = None
        try:
            replay.start()
            wait_until(lambda: replay.sent >= 5, 3, 0.01, what="5 replayed adverts")
            t_kill = c.kill("edge2", "agent")
            c.kill("edge2", "proxy")   # the host is gone: nothing serves there
            t_edge3 = probe.wait_success_or_none(timeout=CAPTURE_S + 3, after=t_kill, node="edge3")
            became_master = c.state_file("edge3").state() == "MASTER"
            replay_left_s = CAPTURE_S - (t_kill - replay.started)
        finally:
            replay.stop()
            log = probe.stop()
        drops = c.advert_drops("edge3")
        refused = {r: drops.get(r, 0) - drops_before.get(r, 0) for r in ("replayed", "clock_skew")}
        msg = (f"replayed {replay.sent} adverts; edge3 refused {refused}; replay had "
               f"{replay_left_s:.2f} s left at the kill\n" + self.diag(log, t_kill))
        takeover = None if t_edge3 is None else t_edge3 - t_kill
        figure("replay_after_restart", replayed=replay.sent,
               takeover_ms=-1 if takeover is None else takeover * 1000,
               outage_ms=log.longest_outage_s() * 1000, failed_probes=log.failure_count(),
               refused_replayed=refused["replayed"], refused_clock_skew=refused["clock_skew"])
        self.assertIsNotNone(t_edge3, "edge3 never served the client\n" + msg)
        self.assertTrue(became_master, msg)
        self.assertLess(takeover, TAKEOVER_BOUND_S, msg)
        self.assertLess(log.longest_outage_s(), TAKEOVER_BOUND_S, msg)
        # edge3 saw the replay and refused it (counted), not merely missed it.
        self.assertGreaterEqual(sum(refused.values()), 5, msg)

    def test_spoofed_source_dropped(self):
        """Multicast: a fresh advert signed with the real key, from the wrong address."""
        self.send_spoofed([ADVERT_GROUP])


class SpoofedSourceUnicastTest(SourceCheck, FailoverTestCase):
    """Unicast mode: adverts go to each node's address, from the sender's
    own (IP_PKTINFO), so the cluster forms; a spoof is dropped."""
    cluster_params = {"unicast": True}

    def test_spoofed_source_dropped(self):
        c = self.c
        for e in c.edges:   # the real adverts were all accepted from their senders' addresses
            self.assertEqual(c.advert_drops(e).get("wrong_source", 0), 0, self.diag())
        self.send_spoofed([EDGES[e] for e in c.edges])


if __name__ == "__main__":
    unittest.main()
