"""Bad input on the advert channel never changes state.

Issue 3 scenario (8): from the client namespace (same LAN, no key) send to
the advert group and port, while the cluster runs and the probe watches:
random datagrams, oversized ones, truncated real adverts, adverts signed with
a wrong key, unsigned ones, replays of real adverts captured on the LAN (and
old adverts correctly signed), and correctly signed adverts from a node the
cluster file does not know. Every agent drops and counts each one under its
reason (status adverts.dropped); no agent transitions, the probe never
switches node or fails, the VIP stays on edge1.

Run as root from integration/:
    TANDEM_BUILD=../build-it python3 -m unittest -v cluster/test_failover_wire.py
"""

import os
import random
import time
import unittest

from cluster.failover_common import (ADVERT_GROUP, ADVERT_PORT, FailoverTestCase, client_udp_socket, figure,
                                     udp_payloads)
from lib.netns import EDGES
from lib.wait import wait_until
from lib.wire import decode_advert, encode_advert_body, encode_signed

PER_KIND = 40            # datagrams of each kind
PACE_S = 0.002           # between datagrams: no socket-buffer overflow at the agents


def fresh_sequence() -> int:
    """A sequence above anything an agent sent so far (realtime µs, + 1 s)."""
    return int(time.time() * 1_000_000) + 1_000_000


class BadInputTest(FailoverTestCase):

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        # Real adverts, as any host on the LAN can record them.
        c = cls.cluster
        cap = c.topo.capture("client", f"udp port {ADVERT_PORT}", name="real-adverts")

        def enough():
            got = {}
            for _, src, payload in udp_payloads(cap.packets()):
                got.setdefault(src, []).append(payload)
            return got if all(len(got.get(EDGES[e], [])) >= 5 for e in c.edges) else None
        try:
            cls.real = wait_until(enough, 5, 0.1, what="5 captured adverts from every edge")
        finally:
            cap.stop()

    def setUp(self) -> None:
        super().setUp()
        self.rng = random.Random(int.from_bytes(os.urandom(4), "big"))

    def send_and_check(self, kind: str, datagrams: list[bytes],
                       expect: dict[str, dict[str, int]] | None = None) -> None:
        """Sends datagrams to the advert group from the client while probing;
        then every agent's drop counters must grow by len(datagrams) in total
        (and by expect[node][reason] for the reasons given), and nothing may
        have moved."""
        c = self.c
        before = {e: c.advert_drops(e) for e in c.edges}
        files = {e: c.state_file(e).state() for e in c.edges}
        marks = c.agent_marks()
        probe = self.start_probe(f"probe-wire-{kind}", node="edge1")
        sock = client_udp_socket(c)
        try:
            t0 = time.monotonic()
            for d in datagrams:
                sock.sendto(d, (ADVERT_GROUP, ADVERT_PORT))
                time.sleep(PACE_S)    # pacing the sender, not synchronisation

            def grown(e):
                now = c.advert_drops(e)
                return sum(now.values()) - sum(before[e].values())

            def counted():
                return all(grown(e) >= len(datagrams) for e in c.edges)
            try:
                wait_until(counted, 5, 0.1, what="the drops counted")
            except AssertionError:
                pass      # reported with the numbers below
            # Keep probing a moment past the last datagram: a late reaction counts too.
            wait_until(lambda: time.monotonic() >= t0 + 1.0, 3, 0.05, what="the window")
        finally:
            sock.close()
            log = probe.stop()
        after = {e: c.advert_drops(e) for e in c.edges}
        delta = {e: {r: after[e].get(r, 0) - before[e].get(r, 0) for r in after[e]
                     if after[e].get(r, 0) != before[e].get(r, 0)} for e in c.edges}
        figure(f"wire_{kind}", sent=len(datagrams),
               **{f"{e}_dropped": sum(delta[e].values()) for e in c.edges},
               **{f"{e}_reasons": ",".join(f"{r}:{n}" for r, n in sorted(delta[e].items())) or "-"
                  for e in c.edges})
        msg = f"sent {len(datagrams)} {kind}; drops by reason per node {delta}\n" + \
            self.diag(log, t0)
        for e in c.edges:
            self.assertGreaterEqual(sum(delta[e].values()), len(datagrams), msg)
            for reason, n in (expect or {}).get(e, {}).items():
                self.assertGreaterEqual(delta[e].get(reason, 0), n, msg)
        self.assert_no_transitions(marks, msg)
        self.assertEqual({e: c.state_file(e).state() for e in c.edges}, files, msg)
        self.assertEqual(c.vip_holders(), ["edge1"], msg)
        self.assertEqual(log.failure_count(), 0, msg)
        self.assertEqual(log.nodes(), {"edge1": len(log.successes)}, msg)
        for e in c.edges:
            self.assertTrue(c.alive(e, "agent"), f"ha-agent on {e} died\n{msg}")

    def every(self, reason: str, n: int) -> dict[str, dict[str, int]]:
        return {e: {reason: n} for e in self.c.edges}

    # ---- the kinds ---------------------------------------------------------

    def test_random_datagrams(self):
        data = [bytes(self.rng.getrandbits(8) for _ in range(self.rng.randint(0, 900)))
                for _ in range(PER_KIND)]
        self.send_and_check("random", data)

    def test_oversized_datagrams(self):
        data = [bytes(self.rng.getrandbits(8) for _ in range(1400)) for _ in range(PER_KIND)]
        self.send_and_check("oversized", data, self.every("oversized", PER_KIND))

    def test_truncated_real_adverts(self):
        real = self.real[EDGES["edge1"]]
        data = []
        for i in range(PER_KIND):
            adv = real[i % len(real)]
            data.append(adv[:self.rng.randint(1, len(adv) - 1)])
        self.send_and_check("truncated", data)

    def test_forged_with_wrong_key(self):
        """A would-be master (edge3 claiming priority 254) signed with a key
        that is not the cluster's."""
        wrong = os.urandom(32)
        data = [encode_signed(encode_advert_body(
                    node="edge3", instance_id="www", priority=254, state="MASTER",
                    advert_interval_ms=100, sequence=fresh_sequence() + i, boot_id=7), wrong)
                for i in range(PER_KIND)]
        self.send_and_check("forged", data, self.every("bad_signature", PER_KIND))

    def test_unsigned(self):
        data = [encode_signed(encode_advert_body(
                    node="edge3", instance_id="www", priority=254, state="MASTER",
                    advert_interval_ms=100, sequence=fresh_sequence() + i, boot_id=7), None)
                for i in range(PER_KIND)]
        self.send_and_check("unsigned", data, self.every("unsigned", PER_KIND))

    def test_replayed_real_adverts(self):
        """Captured adverts of edge1 and edge2 sent again, and an old advert
        correctly signed (edge2 claiming priority 254 with sequence 1): the
        named node drops them as its own, the others as replayed."""
        e1 = self.real[EDGES["edge1"]]
        e2 = self.real[EDGES["edge2"]]
        key = self.key()
        old = encode_signed(encode_advert_body(
            node="edge2", instance_id="www", priority=254, state="MASTER",
            advert_interval_ms=100, sequence=1, boot_id=7), key)
        third = PER_KIND // 3
        data = ([e1[i % len(e1)] for i in range(third)] + [e2[i % len(e2)] for i in range(third)]
                + [old] * (PER_KIND - 2 * third))
        n_e1, n_e2 = third, PER_KIND - third
        expect = {"edge1": {"self": n_e1, "replayed": n_e2},
                  "edge2": {"self": n_e2, "replayed": n_e1},
                  "edge3": {"replayed": PER_KIND}}
        # Sanity: what was captured is what the agents send.
        self.assertEqual(decode_advert(e1[0]).get("node"), "edge1")
        self.send_and_check("replayed", data, expect)

    def test_unknown_node_correctly_signed(self):
        data = [encode_signed(encode_advert_body(
                    node="intruder", instance_id="www", priority=254, state="MASTER",
                    advert_interval_ms=100, sequence=fresh_sequence() + i, boot_id=7), self.key())
                for i in range(PER_KIND)]
        self.send_and_check("unknown_node", data, self.every("unknown_node", PER_KIND))


if __name__ == "__main__":
    unittest.main()
