#!/usr/bin/python3
"""Client-visible failover outage: Tandem's ha-agent vs keepalived, in the
same namespace topology, with the same advert interval.

    sudo bench/failover_bench.py --build build [--rounds 5] [--json out.json]

Both clusters are integration/lib/cluster.py's standard one: edge1..3
(priorities 200/150/100, preemption on), three backends, a client, the VIP
198.18.0.100/24 on one bridge in namespaces this run creates (198.18.0.0/24
only). lb-proxy runs on every edge in both cases; the only difference is what
moves the VIP:

- tandem: ha-agent, advert_interval_ms 100 (adverts over UDP multicast).
- keepalived: Debian's keepalived 2.2.7 per edge, VRRPv3, advert_int 0.1,
  one vrrp_instance (virtual_router_id 52), started as
  `setsid keepalived -n -l -G -D -P -f CONF -p PID -r VRRP_PID` inside the
  edge's namespace with its own files in the run's temp dir.

Scenarios, each `--rounds` times on a settled cluster (edge1 master):
- kill9: SIGKILL to edge1's VRRP daemon. Tandem: the ha-agent process.
  keepalived: its whole process group (parent and VRRP child at once, so the
  child cannot notice its parent's death and resign). Either way edge1's VIP
  stays on its interface; only the backup's gratuitous ARP moves the client.
- linkdown: edge1's bridge port goes down, at a set phase after one of
  edge1's adverts as the client's interface saw it (round i of n: (i - 0.5)
  / n of the advert interval; Tandem's repeated copies do not count). A cut
  is noticed only by silence, so the outage is Master_Down_Interval minus
  that phase: unpaired random cuts would compare the two systems' luck.
- graceful: SIGTERM to the daemon (both resign with priority 0).

The probe (integration/lib/probe.py) opens a new TCP connection + GET to the
VIP every 5 ms from the client namespace; the outage is its longest run of
failures (ProbeLog.longest_outage_s), switch the time from the fault to the
first answer from edge2. Every attempt of every round is kept in the JSON for
the timeline plot. Cleanup by PID and by namespace, also on failure/SIGTERM.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
INTEGRATION = os.path.join(os.path.dirname(HERE), "integration")
sys.path.insert(0, INTEGRATION)

from cluster.failover_common import ADVERT_PORT  # noqa: E402
from lib.binaries import binary  # noqa: E402
from lib.capture import ETH_P_ALL, UDP, parse_ipv4  # noqa: E402
from lib.cluster import Cluster, ScriptScope  # noqa: E402
from lib.netns import CLIENT, EDGES, VIP, Unsupported  # noqa: E402
from lib.wait import wait_until  # noqa: E402
from lib.wire import decode_advert  # noqa: E402

SCENARIOS = ("kill9", "linkdown", "graceful")
NODES = {"edge1": 1, "edge2": 2, "edge3": 3}
KEEPALIVED_VRID = 52
ADVERT_MS = 100
SYNC_CLIENTS = [f"198.18.0.{150 + i}" for i in range(40)]   # extra client addresses


# SOURCE_IP stickiness on pool "web" (for both systems: the proxies are
# configured alike), so Tandem's agents have stick-table changes to sync.
STICKY = {"kind": "SOURCE_IP", "ttl_ms": 600000}


# ---- the two ways to move the VIP ------------------------------------------------


class VrrpDaemon:
    """What the two systems share: one daemon per edge, of process kind
    `kind` in the Cluster; a subclass says how to start and kill it."""
    name = ""
    kind = ""

    def __init__(self, c: Cluster) -> None:
        self.c = c

    def start(self, node: str) -> None:
        raise NotImplementedError

    def start_all(self) -> None:
        for e in self.c.edges:
            self.start(e)

    def alive(self, node: str) -> bool:
        return self.c.alive(node, self.kind)

    def kill9(self, node: str) -> float:
        return self.c.kill(node, self.kind)

    def graceful(self, node: str) -> float:
        return self.c.kill(node, self.kind, signal.SIGTERM)


class Tandem(VrrpDaemon):
    name = "tandem"
    kind = "agent"

    def start(self, node: str) -> None:
        self.c.start_agent(node)

    def settled(self, master: str, timeout: float) -> None:
        self.c.wait_roles(master, timeout=timeout)

    def version(self) -> str:
        return "ha-agent (this tree)"


class Keepalived(VrrpDaemon):
    name = "keepalived"
    kind = "keepalived"

    def __init__(self, c: Cluster) -> None:
        super().__init__(c)
        self.dir = os.path.join(c.dir, "keepalived")
        os.makedirs(self.dir, exist_ok=True)

    def conf(self, node: str) -> str:
        h = self.c.topo.host(node)
        return f"""# bench/failover_bench.py: one VRRPv3 instance, the VIP only.
global_defs {{
  router_id {node}
  vrrp_version 3
  script_user root
  enable_script_security
}}
vrrp_instance tandem_bench {{
  state BACKUP
  interface {h.ifname}
  virtual_router_id {KEEPALIVED_VRID}
  priority {self.c.priorities[node]}
  advert_int {ADVERT_MS / 1000:g}
  virtual_ipaddress {{
    {VIP}/24 dev {h.ifname}
  }}
}}
"""

    def start(self, node: str) -> None:
        d = os.path.join(self.dir, node)
        os.makedirs(d, exist_ok=True)
        conf = os.path.join(d, "keepalived.conf")
        with open(conf, "w") as f:
            f.write(self.conf(node))
        # A kill -9 leaves the VIP behind; a fresh keepalived must not start
        # next to a leftover it did not add (ha-agent removes its own).
        if any(a.split("/")[0] == VIP for a in self.c.topo.addresses(node)):
            self.c.del_vip_by_hand(node)
        # kill -9 leaves the pid files; keepalived then believes it still runs.
        for f in ("keepalived.pid", "vrrp.pid", "checkers.pid", "bfd.pid"):
            try:
                os.remove(os.path.join(d, f))
            except FileNotFoundError:
                pass
        argv = ["setsid", "keepalived", "-n", "-l", "-G", "-D", "-P", "-f", conf,
                "-p", os.path.join(d, "keepalived.pid"), "-r", os.path.join(d, "vrrp.pid"),
                "-c", os.path.join(d, "checkers.pid"), "-b", os.path.join(d, "bfd.pid")]
        self.c._start(node, "keepalived", argv)   # noqa: SLF001 - the fixture's own starter
        proc = self.c.proc(node, "keepalived")
        vrrp_pid = os.path.join(d, "vrrp.pid")
        wait_until(lambda: os.path.exists(vrrp_pid) or not proc.alive(), 10, 0.02,
                   what=f"keepalived's VRRP child on {node}")
        if not proc.alive():
            raise RuntimeError(f"keepalived on {node} exited\n{proc.tail()}")

    def kill9(self, node: str) -> float:
        proc = self.c.proc(node, "keepalived")
        pgid = os.getpgid(proc.pid)
        if pgid != proc.pid:
            raise RuntimeError(f"keepalived on {node} is not its own process group")
        t = time.monotonic()
        os.killpg(pgid, signal.SIGKILL)        # parent and VRRP child in one go
        proc.kill()                            # reap
        return t

    def settled(self, master: str, timeout: float) -> None:
        wait_until(lambda: self.c.vip_holders() == [master], timeout, 0.05,
                   what=lambda: f"VIP on {master} only (now {self.c.vip_holders()})")

    def version(self) -> str:
        return subprocess.run(["keepalived", "--version"], capture_output=True,
                              text=True).stderr.splitlines()[0]


# ---- measuring --------------------------------------------------------------------


def restore(c: Cluster, vrrp) -> None:
    """Back to the baseline: links up, every daemon running, edge1 master
    holding the VIP alone and serving the client."""
    for (host, kind), proc in list(c.procs.items()):
        if kind.startswith("probe") and proc.alive():
            proc.stop(timeout=5)
    for e in c.edges:
        c.topo.link_up(e)
    for e in c.edges:
        if not vrrp.alive(e):
            proc = c.procs.get((e, vrrp.kind))
            if proc is not None:
                proc.stop(timeout=5)
            vrrp.start(e)
    vrrp.settled("edge1", timeout=15)
    c.wait_served_by("edge1", timeout=10)
    time.sleep(0.3)


VRRP_PROTO = 112


def is_master_advert(frame: bytes, system: str) -> bool:
    """An advert from edge1 as master in an Ethernet frame: VRRP (IP protocol
    112) for keepalived; for Tandem a UDP advert that is an original, not a
    repeated copy (its repeat_delay_us is 0)."""
    packet = parse_ipv4(frame)
    if packet is None or packet.src != EDGES["edge1"]:
        return False
    if system == "keepalived":
        return packet.protocol == VRRP_PROTO
    if packet.protocol != UDP or packet.dport != ADVERT_PORT:
        return False
    try:
        advert = decode_advert(packet.payload)
    except ValueError:
        return False
    return advert.get("state") == "MASTER" and not advert.get("repeat_delay_us")


def cut_at_phase(c: Cluster, system: str, phase_ms: float) -> float:
    """Takes edge1's link down phase_ms after its next advert reaches the
    client's interface; returns the time of the cut (monotonic)."""
    with c.topo.socket(CLIENT[0], socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL)) as s:
        s.bind((c.topo.host(CLIENT[0]).ifname, 0))
        deadline = time.monotonic() + 3
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no advert from edge1 seen on the client's interface in 3 s")
            s.settimeout(left)
            if is_master_advert(s.recv(65535), system):
                t_advert = time.monotonic()
                break
    while time.monotonic() < t_advert + phase_ms / 1000:
        pass  # a spin of under one interval: sleep() would add its own lateness
    t = time.monotonic()
    c.topo.link_down("edge1")
    return t


def one_round(c: Cluster, vrrp, scenario: str, r: int, rounds: int) -> dict:
    probe = c.start_probe(duration_s=60, name=f"probe-{vrrp.name}-{scenario}-{r}")
    phase_ms = (r - 0.5) / rounds * ADVERT_MS if scenario == "linkdown" else None
    t_new = None
    try:
        # A quiet baseline: the last 40 attempts (200 ms) all answered by edge1.
        def quiet():
            a = probe.log().attempts[-40:]
            return len(a) == 40 and all(x.ok and x.node == "edge1" for x in a)
        wait_until(quiet, 10, 0.02,
                   what=lambda: "40 probe successes in a row from edge1\n" + probe.log().summary())
        if scenario == "kill9":
            t0 = vrrp.kill9("edge1")
        elif scenario == "graceful":
            t0 = vrrp.graceful("edge1")
        else:
            t0 = cut_at_phase(c, vrrp.name, phase_ms)
        t_new = probe.wait_success_or_none(timeout=5, after=t0, node="edge2")
        settle_until = (t_new or t0 + 5) + 0.7
        probe.wait_past(settle_until, 10)
    finally:
        log = probe.stop()
    if scenario == "graceful":
        # keepalived takes about a second to stop: let it finish before restore().
        proc = c.proc("edge1", vrrp.kind)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
    # Only what follows the fault counts (from the last attempt before it).
    before = [a for a in log.attempts if a.t < t0]
    outage = log.between(before[-1].t if before else t0, None).longest_outage_s()
    attempts = [[round((a.t - t0) * 1000, 1), NODES.get(a.node, 9) if a.ok else 0]
                for a in log.attempts if a.t >= t0 - 0.5]
    served = [s.node for s in log.served_ranges()]
    return {"round": r, "phase_ms": phase_ms, "outage_ms": outage * 1000,
            "switch_ms": None if t_new is None else (t_new - t0) * 1000,
            "failures": sum(1 for a in log.attempts if not a.ok and a.t >= t0),
            "served": served, "attempts": attempts}


def get_from(c: Cluster, source: str) -> bool:
    """One GET / through the VIP from the client namespace, bound to source, answered 200."""
    try:
        return c.vip_get(source=source)[0] == 200
    except (OSError, ValueError, IndexError):
        return False


def sync_lag(c: Cluster) -> dict:
    """Stick-table sync lag: per new source client, from its response to
    its entry in edge2's proxy table (admin /stick polled every 2 ms), and
    the agents' own figure (queued on edge1's agent -> peer's ack)."""
    e2e = []
    for ip in SYNC_CLIENTS:
        for _ in range(10):
            if get_from(c, ip):
                break
            time.sleep(0.05)
        else:
            continue
        t = time.monotonic()
        try:
            wait_until(lambda: ip in c.stick("edge2"), 3.0, 0.002, what=f"{ip} on edge2")
        except AssertionError:
            continue
        e2e.append((time.monotonic() - t) * 1000)
    time.sleep(0.3)
    return {"e2e_ms": e2e, "agents": sync_figures(c)}


def sync_figures(c: Cluster) -> dict:
    """What ha-agent --status --json says about stick-table sync, per node."""
    out = {}
    for e in c.edges:
        try:
            st = c.status(e) or {}
        except AssertionError as ex:
            out[e] = {"error": str(ex)[:300]}
            continue
        out[e] = {k: v for k, v in st.items() if "sync" in k.lower()} if isinstance(st, dict) else {}
    return out


def run_system(kind: str, rounds: int, keep_logs: bool, scenarios: list[str]) -> dict:
    result: dict = {"scenarios": {}}
    with ScriptScope("failover_bench", keep_logs) as scope:
        c = Cluster(scope, stickiness=STICKY, agents=(kind == "tandem"), advert_interval_ms=ADVERT_MS)
        c.add_client_addresses(SYNC_CLIENTS)
        vrrp = Tandem(c) if kind == "tandem" else Keepalived(c)
        result["version"] = vrrp.version()
        c.start(proxies=True, agents=False)
        vrrp.start_all()
        restore(c, vrrp)
        for scenario in scenarios:
            rounds_out = []
            for r in range(1, rounds + 1):
                restore(c, vrrp)
                res = one_round(c, vrrp, scenario, r, rounds)
                rounds_out.append(res)
                sw = res["switch_ms"]
                print(f"  failover {kind} {scenario} round {r}: outage {res['outage_ms']:.0f} ms, "
                      f"switch {'-' if sw is None else f'{sw:.0f}'} ms, served {res['served']}",
                      file=sys.stderr, flush=True)
            result["scenarios"][scenario] = rounds_out
        if kind == "tandem":
            restore(c, vrrp)
            result["sync"] = sync_lag(c)
    return result


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=None, help="binaries' build dir ($TANDEM_BUILD)")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--systems", default="tandem,keepalived")
    ap.add_argument("--scenarios", default=",".join(SCENARIOS))
    ap.add_argument("--keep-logs", action="store_true")
    ap.add_argument("--json")
    args = ap.parse_args()
    if os.geteuid() != 0:
        print("failover_bench: needs root (network namespaces)", file=sys.stderr)
        return 2
    if args.build:
        os.environ["TANDEM_BUILD"] = os.path.abspath(args.build)
    for kind in ("proxy", "agent"):
        if not os.access(binary(kind), os.X_OK):
            print(f"failover_bench: {binary(kind)} is not built", file=sys.stderr)
            return 2
    out = {"advert_interval_ms": ADVERT_MS, "rounds": args.rounds, "systems": {}}
    try:
        for kind in args.systems.split(","):
            out["systems"][kind] = run_system(kind, args.rounds, args.keep_logs,
                                              args.scenarios.split(","))
    except Unsupported as e:
        print(f"failover_bench: {e}", file=sys.stderr)
        return 2
    finally:
        if args.json:
            with open(args.json, "w") as f:
                json.dump(out, f)
    for kind, res in out["systems"].items():
        for scenario, rounds in res["scenarios"].items():
            v = [r["outage_ms"] for r in rounds]
            print(f"{kind:10} {scenario:9} outage ms median {statistics.median(v):.0f} "
                  f"min {min(v):.0f} max {max(v):.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
