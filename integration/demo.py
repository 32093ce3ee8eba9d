#!/usr/bin/python3
"""The Tandem demo: a three-node cluster on this machine, told as a story.

Builds a LAN of network namespaces (198.18.0.0/24): three edge hosts running
lb-proxy and ha-agent, three web backends, one client. Sends steady traffic
through the virtual IP, shows the cluster, kills the master's processes,
shows the failover as the client saw it, checks that sticky clients kept
their backend, then cuts the new master's cable (a host death: nothing closes
a connection, the backups notice only the missing adverts) and shows that
failover with its own figure, and removes everything it created. Run it through scripts/demo.sh (as root).
"""

from __future__ import annotations

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from lib.binaries import binary, have_binary  # noqa: E402
from lib.cluster import Cluster, ScriptScope  # noqa: E402
from lib.netns import VIP  # noqa: E402
from lib.wait import wait_until  # noqa: E402

BOLD = "\033[1m" if sys.stdout.isatty() else ""
DIM = "\033[2m" if sys.stdout.isatty() else ""
RESET = "\033[0m" if sys.stdout.isatty() else ""
STICKY_CLIENTS = 12


def say(text: str) -> None:
    print(f"\n{BOLD}== {text}{RESET}", flush=True)


def detail(text: str) -> None:
    print(f"   {text}", flush=True)


# The demo's cluster: the application sets a session cookie (SID) and the
# proxy learns which backend owns each session. That table lives on the
# master's proxy; ha-agent replicates it to the other nodes, which is what
# lets the sessions survive the failover.
DEMO_CLUSTER = {"stickiness": {"kind": "LEARN_COOKIE", "cookie": "SID", "ttl_ms": 600000},
                "backend_cookie": "SID"}


def lbctl(cluster: Cluster, *args: str) -> None:
    """Runs lbctl from the client host (it reaches every node's control endpoint) and shows its output."""
    print(f"{DIM}   $ lbctl {' '.join(args)}{RESET}")
    r = cluster.topo.run("client", [binary("lbctl"), "--config", cluster.config_path, *args], check=False, timeout=30)
    for line in (r.stdout + r.stderr).rstrip().splitlines():
        print("   " + line)


def show_cluster(cluster: Cluster) -> None:
    if have_binary("lbctl"):
        lbctl(cluster, "status", "--no-color")
        return
    print(f"   {'node':6} {'role':7} {'priority':>8} {'VIP':>4} {'proxy':>6} {'servers up':>10}")
    holders = cluster.vip_holders()
    for node in cluster.edges:
        status = cluster.agent_status(node) or {}
        inst = (status.get("instances") or [{}])[0]
        try:
            proxy = cluster.proxy_admin(node, "/status") or {}
        except OSError:
            proxy = {}
        pools = proxy.get("pools") or [{}]
        up = f"{pools[0].get('servers_up', '?')}/{len(pools[0].get('servers', []))}"
        print(f"   {node:6} {inst.get('state', 'DOWN'):7} {inst.get('effective_priority', '-'):>8} "
              f"{'yes' if node in holders else '':>4} {'up' if proxy else 'down':>6} {up:>10}")


def stick_entries(cluster: Cluster, node: str) -> int:
    """How many sessions node's proxy knows (its admin /stick listing)."""
    try:
        return len(cluster.stick(node))
    except OSError:
        return 0


def sticky_clients(cluster: Cluster) -> dict[int, tuple[str, str]]:
    """Opens STICKY_CLIENTS sessions through the VIP; returns their cookie and backend."""
    sessions = {}
    for i in range(STICKY_CLIENTS):
        _, headers = cluster.vip_get(f"/session/{i}")
        cookie = headers.get("set-cookie", "").split(";")[0]
        sessions[i] = (cookie, headers.get("x-backend", "?"))
    return sessions


def revisit(cluster: Cluster, sessions: dict[int, tuple[str, str]]) -> tuple[int, list[str]]:
    kept, moved = 0, []
    for i, (cookie, backend) in sessions.items():
        _, headers = cluster.vip_get(f"/session/{i}", cookie=cookie)
        if headers.get("x-backend") == backend:
            kept += 1
        else:
            moved.append(f"client {i}: {backend} -> {headers.get('x-backend')}")
    return kept, moved


def main() -> int:
    if os.geteuid() != 0:
        print("the demo creates network namespaces: run it as root (scripts/demo.sh)", file=sys.stderr)
        return 2
    scope = ScriptScope("demo")
    started = time.monotonic()
    try:
        say("Building the LAN: 3 edge hosts, 3 web backends and a client in network namespaces")
        cluster = Cluster(scope, **DEMO_CLUSTER)
        detail(f"bridge LAN 198.18.0.0/24, virtual IP {VIP}, config {cluster.config_path}")
        cluster.start()
        cluster.wait_roles("edge1", timeout=15)
        say("The cluster is up: edge1 has the highest priority, so it is master and holds the VIP")
        show_cluster(cluster)

        say(f"{STICKY_CLIENTS} clients log in; the application sets a session cookie, the proxy learns its backend")
        sessions = sticky_clients(cluster)
        by_backend: dict[str, int] = {}
        for _, backend in sessions.values():
            by_backend[backend] = by_backend.get(backend, 0) + 1
        detail("sessions per backend: " + ", ".join(f"{b}={n}" for b, n in sorted(by_backend.items())))
        wait_until(lambda: all(stick_entries(cluster, n) >= STICKY_CLIENTS for n in ("edge2", "edge3")),
                   timeout=5, what="the sessions replicated to edge2 and edge3")
        detail(f"replicated: the backups' proxies already know all {STICKY_CLIENTS} sessions "
               f"(edge2: {stick_entries(cluster, 'edge2')}, edge3: {stick_entries(cluster, 'edge3')} entries)")

        say("Steady traffic: a probe opens a new connection to the VIP every 5 ms")
        probe = cluster.start_probe(duration_s=8, interval_ms=5)
        probe.wait_success(timeout=5)
        time.sleep(1.5)  # the story needs traffic before the failure; this is a demo, not a test

        say("Killing the master: kill -9 of edge1's ha-agent and lb-proxy (as if the processes crashed)")
        detail("the kernel closes edge1's sync connections, so the backups learn at once that its agent is gone; "
               "a host death comes later, with its own figure")
        killed_at = cluster.kill("edge1", "agent")
        cluster.kill("edge1", "proxy")
        cluster.topo.run("edge1", ["ip", "addr", "del", f"{VIP}/24", "dev", cluster.topo.host("edge1").ifname],
                         check=False)
        new_master_at = cluster.wait_vip("edge2", timeout=5)
        detail(f"edge2 claimed the VIP {1000 * (new_master_at - killed_at):.0f} ms after the kill")
        log = probe.wait()

        say("What the client saw")
        outages = log.outages()
        longest = max((o.duration or 0.0 for o in outages), default=0.0)
        detail(f"{len(log.attempts)} connections, {log.failure_count()} failed, "
               f"longest gap without service: {1000 * longest:.0f} ms")
        t0 = log.attempts[0].t
        for seg in log.served_ranges():
            detail(f"served by {seg.node} from t={seg.start - t0:5.2f}s to t={seg.end - t0:5.2f}s ({seg.count} requests)")

        say("The new master's events, and the cluster as lbctl sees it now (edge1 is gone)")
        if have_binary("lbctl"):
            lbctl(cluster, "events", "--limit", "4", "--no-color")
        else:
            for t in cluster.transitions("edge2")[-3:]:
                detail(f"{t.from_state} -> {t.to_state}: {t.cause}")
        show_cluster(cluster)

        say("Did the sticky clients keep their backend?")
        kept, moved = revisit(cluster, sessions)
        detail(f"{kept}/{len(sessions)} sessions went back to the same backend through edge2")
        for m in moved:
            detail(m)

        say("Now a host death: edge2's cable is cut (its LAN link goes down)")
        detail("a dead host closes no connection: edge3 notices only that edge2's adverts stopped "
               "(3 advert intervals plus skew, RFC 5798 Master_Down_Interval)")
        probe = cluster.start_probe(duration_s=6, interval_ms=5)
        probe.wait_success(timeout=5)
        time.sleep(1.0)  # the story needs traffic before the failure; this is a demo, not a test
        cut_at = time.monotonic()
        cluster.topo.link_down("edge2")
        # edge2's own agent drops the VIP too (link down: FAULT); time edge3's claim alone.
        wait_until(lambda: "edge3" in cluster.vip_holders(), timeout=5, interval=0.01, what="edge3 to claim the VIP")
        edge3_at = time.monotonic()
        detail(f"edge3 claimed the VIP {1000 * (edge3_at - cut_at):.0f} ms after the cable cut "
               f"(the process crash above took {1000 * (new_master_at - killed_at):.0f} ms)")
        log = probe.wait()
        outages = log.outages()
        longest_cut = max((o.duration or 0.0 for o in outages), default=0.0)
        detail(f"{len(log.attempts)} connections, {log.failure_count()} failed, "
               f"longest gap without service: {1000 * longest_cut:.0f} ms")

        say(f"Done in {time.monotonic() - started:.0f} s; removing namespaces and processes")
        return 0 if kept == len(sessions) else 1
    finally:
        scope.run_cleanups()


if __name__ == "__main__":
    sys.exit(main())
