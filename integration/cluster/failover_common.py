"""Shared machinery of the failover scenarios (cluster/test_failover_*.py).

Not a test file itself (ctest runs test_*.py only). Each scenario class keeps
one Cluster (lib.cluster) for all its tests: setUpClass builds the namespace
LAN and starts backends, lb-proxy and ha-agent on every edge; setUp restores
the baseline (partition healed, loss cleared, links up, every process running,
the baseline master holding the VIP and serving the client), so tests are
independent of their order.

Every scenario asserts on what the client probe saw (lib.probe), and prints
its figures as one parseable line per measurement:
    FIGURE scenario=kill9 round=1 outage_ms=412 switch_ms=398
and one summary per scenario:
    FIGURE-SUMMARY scenario=kill9 n=3 outage_ms_min=.. outage_ms_median=.. ...
When $TANDEM_FIGURES names a file, the lines are appended to it as well.
"""

from __future__ import annotations

import os
import signal
import socket
import statistics
import sys
import time
import unittest
from typing import Callable

from lib.capture import UDP, parse_ipv4
from lib.cluster import ClassScope, Cluster, ProcessExited, cluster_or_skip
from lib.netns import CLIENT
from lib.probe import ProbeLog
from lib.wait import wait_until

ADVERT_GROUP = "224.0.0.18"
ADVERT_PORT = 5798
# nftables match for adverts only (lib.netns.Topology.netem's `match`).
ADVERT_MATCH = f"ip daddr {ADVERT_GROUP} udp dport {ADVERT_PORT}"


# ---- figures ------------------------------------------------------------------


def emit(line: str) -> None:
    """Prints a FIGURE line (stdout, flushed) and appends it to $TANDEM_FIGURES."""
    print(line, flush=True)
    path = os.environ.get("TANDEM_FIGURES")
    if path:
        with open(path, "a") as f:
            f.write(line + "\n")


def figure(scenario: str, **values) -> None:
    """FIGURE scenario=NAME k=v ... (floats in ms rounded to whole ms)."""
    parts = [f"scenario={scenario}"]
    for k, v in values.items():
        parts.append(f"{k}={round(v) if isinstance(v, float) else v}")
    emit("FIGURE " + " ".join(parts))


def figure_summary(scenario: str, series: dict[str, list[float]]) -> None:
    """FIGURE-SUMMARY with min/median/max of each named series (ms)."""
    parts = [f"scenario={scenario}"]
    n = max((len(v) for v in series.values()), default=0)
    parts.append(f"n={n}")
    for name, values in series.items():
        if values:
            parts += [f"{name}_min={min(values):.0f}", f"{name}_median={statistics.median(values):.0f}",
                      f"{name}_max={max(values):.0f}"]
    emit("FIGURE-SUMMARY " + " ".join(parts))


# ---- adverts on the wire (their codec is lib.wire) ---------------------------------


def udp_payloads(frames: list[tuple[float, bytes]], dport: int = ADVERT_PORT
                 ) -> list[tuple[float, str, bytes]]:
    """(time, source ip, UDP payload) of the IPv4/UDP frames to dport in a
    capture (Ethernet frames as tcpdump writes them)."""
    return [(t, p.src, p.payload) for t, frame in frames
            if (p := parse_ipv4(frame)) is not None and p.protocol == UDP and p.dport == dport]


def vip_arps(frames: list[tuple[float, bytes]], macs: dict[str, str], vip: str
             ) -> list[tuple[float, str, str]]:
    """(time, sender host, "request"/"reply") of the ARP frames in a capture
    whose sender protocol address is vip (gratuitous ARPs, and the ARP
    requests a VIP holder sends): who told the LAN it owns the VIP, when.
    macs maps MAC -> host name."""
    out = []
    for t, f in frames:
        if len(f) < 42 or f[12:14] != b"\x08\x06":
            continue
        if socket.inet_ntoa(f[28:32]) != vip:
            continue
        sha = ":".join(f"{b:02x}" for b in f[22:28])
        op = "request" if f[20:22] == b"\x00\x01" else "reply"
        out.append((t, macs.get(sha, sha), op))
    return out


def describe_arps(arps: list[tuple[float, str, str]], t_ref: float) -> str:
    """One line per VIP ARP, time relative to t_ref (wall clock, as pcap)."""
    return "\n".join(f"  {1000 * (t - t_ref):+.0f} ms ARP {op} for the VIP from {who}"
                     for t, who, op in arps[:60]) or "  (none)"


# ---- the shared-cluster test case ----------------------------------------------


class FailoverTestCase(unittest.TestCase):
    """One cluster per class; setUp restores the baseline. Subclasses set
    cluster_params (Cluster keyword arguments) and baseline_master (None:
    any one master)."""

    cluster_params: dict = {}
    baseline_master: str | None = "edge1"
    cluster: Cluster
    scope: ClassScope

    @classmethod
    def setUpClass(cls) -> None:
        cls.scope = ClassScope(cls)
        cls.cluster = cluster_or_skip(cls.scope, **cls.cluster_params)
        c = cls.cluster
        try:
            c.start(proxies=True, agents=False)
            for e in c.edges:
                c.start_agent(e)
        except ProcessExited as e:
            if e.kind == "agent" and e.returncode == 0:
                raise unittest.SkipTest("ha-agent exits at once (still the skeleton main?)")
            cls.scope.mark_failed()
            raise
        except BaseException:
            cls.scope.mark_failed()
            raise
        try:
            master = c.wait_roles(cls.baseline_master, timeout=15)
            c.wait_served_by(master, timeout=10)
        except BaseException:
            cls.scope.mark_failed()
            sys.stderr.write(c.describe(("agent", "proxy")) + "\n")
            raise

    def _problems(self) -> int:
        """Failures and errors recorded so far by the running TestResult."""
        result = getattr(getattr(self, "_outcome", None), "result", None)
        return len(getattr(result, "failures", [])) + len(getattr(result, "errors", []))

    def setUp(self) -> None:
        self.c = self.cluster
        self._problems_before = self._problems()
        try:
            self.restore()
        except BaseException:
            self.scope.mark_failed()
            sys.stderr.write(f"restore failed; logs kept in {self.c.dir}\n")
            raise

    def tearDown(self) -> None:
        # (_outcome.success is reset for each test part, so count the
        # result's failures instead; subtests' failures land there at once.)
        if self._problems() > self._problems_before:
            self.scope.mark_failed()
            sys.stderr.write(f"logs kept in {self.c.dir}\n")

    # ---- baseline ---------------------------------------------------------

    def restore(self) -> str:
        """Back to the baseline: network whole, every process running, one
        master (the baseline one) holding the VIP and serving the client."""
        c = self.c
        for (host, kind), proc in list(c.procs.items()):
            if kind.startswith("probe") and proc.alive():
                proc.stop(timeout=5)
        c.topo.heal()
        for e in c.edges:
            c.topo.clear_netem(e)
            c.topo.link_up(e)
        for e in c.edges:
            if not c.alive(e, "proxy"):
                c.start_proxy(e)
        for e in c.edges:
            if not c.alive(e, "agent"):
                c.start_agent(e)
        master = c.wait_roles(self.baseline_master, timeout=10)
        c.wait_served_by(master, timeout=5)
        return master

    # ---- measuring ---------------------------------------------------------

    def diag(self, log: ProbeLog | None = None, t0: float | None = None) -> str:
        """Probe summary (times relative to t0) and the cluster's state, for messages."""
        parts = []
        if log is not None:
            parts.append(log.summary(t0))
        parts.append(self.c.describe(("agent",), 20))
        return "\n".join(parts)

    def start_probe(self, name: str, min_ok: int = 20, node: str | None = None):
        """A probe (5 ms, 200 ms timeout) against the VIP, returned once it
        has min_ok successes (from node, when given)."""
        probe = self.c.start_probe(duration_s=120, name=name)

        def warmed():
            log = probe.log()
            ok = [a for a in log.successes if node is None or a.node == node]
            return len(ok) >= min_ok
        try:
            wait_until(warmed, 5, 0.02, what=lambda: f"{min_ok} probe successes"
                       f"{' from ' + node if node else ''}\n{probe.log().summary()}")
        except AssertionError:
            probe.stop()
            raise
        return probe

    def failover(self, name: str, action: Callable[[], float], old: str, new: str,
                 switch_timeout: float = 5.0, settle_s: float = 0.7
                 ) -> tuple[ProbeLog, float, float | None]:
        """Probes the VIP, runs action (returns time.monotonic() of the
        fault), waits until the probe is served by new (at most
        switch_timeout), keeps probing settle_s more, and stops the probe.
        Returns (log, t0, time of the first success from new or None)."""
        probe = self.start_probe(name, node=old)
        t_new = None
        try:
            t0 = action()
            t_new = probe.wait_success_or_none(timeout=switch_timeout, after=t0, node=new)
            if t_new is not None:
                probe.wait_past(t_new + settle_s, settle_s + 5)
        finally:
            log = probe.stop()
        return log, t0, t_new

    def assert_switched(self, scenario: str, r: int, series: dict[str, list[float]], log: ProbeLog,
                        t0: float, t_new: float | None, old: str, new: str, outage_bound_s: float,
                        switch_bound_s: float | None = None) -> str:
        """What every failover round checks: new served the client, the
        figures (FIGURE line, and the outage_ms/switch_ms series for the
        summary), the outage (and, when given, the switch) under its bound,
        one switch from old to new. Returns the diagnostics for more asserts."""
        msg = self.diag(log, t0)
        self.assertIsNotNone(t_new, f"{new} never served the client\n" + msg)
        outage, switch = log.longest_outage_s(), t_new - t0
        figure(scenario, round=r, outage_ms=outage * 1000, switch_ms=switch * 1000)
        series.setdefault("outage_ms", []).append(outage * 1000)
        series.setdefault("switch_ms", []).append(switch * 1000)
        self.assertLess(outage, outage_bound_s, msg)
        if switch_bound_s is not None:
            self.assertLess(switch, switch_bound_s, msg)
        self.assert_one_switch(log, old, new, msg)
        return msg

    def assert_one_switch(self, log: ProbeLog, old: str, new: str, msg: str) -> None:
        """The probe was served by old, then by new, and never by anyone else."""
        self.assertEqual([s.node for s in log.served_ranges()], [old, new], msg)

    def assert_no_transitions(self, marks, msg: str = "") -> None:
        """No agent logged a transition since marks (Cluster.agent_marks())."""
        seen = self.c.transitions_since(marks)
        self.assertEqual([t.line for t in seen], [], msg)

    def stop_agent_gracefully(self, node: str) -> float:
        """SIGTERM to node's agent (by PID); returns time.monotonic() before."""
        return self.c.kill(node, "agent", signal.SIGTERM)

    def wait_exit(self, node: str, kind: str, timeout: float = 5.0) -> int:
        """Waits for node's kind process to exit; returns its exit status."""
        proc = self.c.proc(node, kind)
        wait_until(lambda: not proc.alive(), timeout, 0.02,
                   what=lambda: f"{kind} on {node} to exit\n{proc.tail()}")
        return proc.popen.returncode

    def key(self) -> bytes:
        """The cluster's shared key as ha-agent reads it (whitespace stripped)."""
        with open(self.c.key_path, "rb") as f:
            return f.read().strip()


def client_udp_socket(cluster: Cluster) -> socket.socket:
    """A UDP socket in the client namespace that sends link-local multicast
    out of the client's LAN interface (TTL 1)."""
    s = cluster.topo.socket(CLIENT[0], socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(CLIENT[1]))
    return s


def now() -> float:
    """time.monotonic(), the probe's clock."""
    return time.monotonic()
