"""Stick-table sync between the nodes (issue 4), on the namespace LAN.

Three edges (edge1 200, edge2 150, edge3 100), 100 ms adverts. Two sticky
services through the VIP: port 80, pool "web" with SOURCE_IP stickiness
(clients are extra addresses of the client namespace, one socket bound to
each), and port 8080, pool "app" with LEARN_COOKIE (the backends set
SID=<backend>-<n>, the proxy learns it).

Scenarios:
- kill -9 of the master's agent AND proxy: every client whose entry is
  older than the sync flush interval lands on the same backend afterwards
  (asserted 100%); clients stuck just before the kill are reported.
- sync lag, measured two ways: the agents' own (queued -> peer's ack) and end
  to end (a new client's entry appearing in a backup's proxy).
- a node restarted from nothing has the whole table before it is eligible.
- a proxy restarted alone gets its table back from its agent.
- kill -9 of the master's agent alone: the successor takes over on the
  closed sync connection + fast probes, well under Master_Down_Interval.
- garbage and unauthenticated frames on the sync port: disconnected, counted,
  nothing applied.

Run as root from integration/:
    TANDEM_BUILD=../build-sync python3 -m unittest -v cluster/test_sync.py
"""

from __future__ import annotations

import os
import sys
import time
import unittest

from lib.binaries import have_binary
from lib.cluster import Cluster
from lib.cluster_file import listener
from lib.netns import CLIENT
from lib.wait import wait_until
from lib.wire import sync_frame

APP_PORT = 8080
SYNC_PORT = 5800
FLUSH_MS = 50
SOURCE_CLIENTS = 40          # 198.18.0.150 .. 189
COOKIE_CLIENTS = 40
LATE_CLIENTS = 8             # stuck within the flush interval before the kill
ADVERT_DOWN_MS = 341         # 3 x 100 + (256-150) x 100 / 256 for edge2


def figure(name: str, **fields) -> None:
    text = " ".join(f"{k}={v:.0f}" if isinstance(v, float) else f"{k}={v}" for k, v in fields.items())
    print(f"FIGURE {name} {text}", file=sys.stderr, flush=True)


def quantile(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(q * (len(s) - 1))))] if s else 0.0


class SyncCluster(Cluster):
    """The test cluster with sticky pools: web (SOURCE_IP) on :80 and app
    (LEARN_COOKIE "SID") on :8080; backends set the SID cookie."""

    def __init__(self, testcase, **params):
        super().__init__(testcase, stickiness={"kind": "SOURCE_IP", "ttl_ms": 600000},
                         backend_cookie="SID", **params)

    def config(self) -> dict:
        config = super().config()
        config["listeners"].append(listener("app", "HTTP", "app", bind=f"0.0.0.0:{APP_PORT}"))
        config["pools"].append(self.backend_pool(
            "app", {"kind": "LEARN_COOKIE", "cookie": "SID", "ttl_ms": 600000}))
        return config


class SyncTest(unittest.TestCase):
    """One fresh cluster per test: the scenarios kill and restart nodes."""

    def setUp(self):
        if os.geteuid() != 0:
            self.skipTest("needs root (network namespaces)")
        if not (have_binary("proxy") and have_binary("agent")):
            self.skipTest("lb-proxy / ha-agent not built (set TANDEM_BUILD)")
        self.c = SyncCluster(self)
        self.sources = [f"198.18.0.{150 + i}" for i in range(SOURCE_CLIENTS + LATE_CLIENTS + 20)]
        self.c.add_client_addresses(self.sources)
        self.c.start()
        self.c.wait_roles("edge1", timeout=15)
        self.wait_sync_mesh()

    # ---- helpers ---------------------------------------------------------

    def sync_status(self, node: str) -> dict:
        status = self.c.agent_status(node) or {}
        return status.get("sync") or {}

    def wait_sync_mesh(self, nodes=None, timeout=10.0):
        nodes = nodes or self.c.edges
        want = len(self.c.edges) - 1

        def ready():
            return all(self.sync_status(n).get("connected_peers", 0) == want and
                       self.sync_status(n).get("initial_sync_done") for n in nodes)
        wait_until(ready, timeout, 0.1, what=lambda: {n: self.sync_status(n) for n in nodes})

    def establish_source(self, sources: list[str]) -> dict[str, tuple[str, float]]:
        """A GET / per source address: source -> (backend, time stuck)."""
        out = {}
        for ip in sources:
            h = self.c.vip_get_ok(source=ip)
            out[ip] = (h.get("x-backend", "?"), time.monotonic())
        return out

    def establish_cookie(self, count: int, tag: str) -> dict[str, tuple[str, str, float]]:
        """COUNT cookie sessions: cookie -> (backend, cookie header, time)."""
        out = {}
        for i in range(count):
            h = self.c.vip_get_ok(f"/{tag}/{i}", APP_PORT)
            cookie = h.get("set-cookie", "").split(";")[0]
            self.assertTrue(cookie.startswith("SID="), f"no SID cookie from the backend: {h}")
            # The second request proves the proxy learnt it.
            again = self.c.vip_get_ok(f"/{tag}/{i}", APP_PORT, cookie=cookie)
            self.assertEqual(again.get("x-backend"), h.get("x-backend"))
            out[cookie.split("=", 1)[1]] = (h.get("x-backend", "?"), cookie, time.monotonic())
        return out

    # ---- scenarios -------------------------------------------------------

    def test_stickiness_survives_master_kill(self):
        """kill -9 edge1's agent and proxy: 100% of the clients stuck more
        than the flush interval before keep their backend through edge2."""
        c = self.c
        src = self.establish_source(self.sources[:SOURCE_CLIENTS])
        ck = self.establish_cookie(COOKIE_CLIENTS, "s")
        self.assertGreater(len(set(b for b, _ in src.values())), 1, "round robin should spread clients")

        # End-to-end lag: a new source client, until edge2's proxy has it.
        e2e = []
        for ip in self.sources[SOURCE_CLIENTS + LATE_CLIENTS:]:
            c.vip_get_ok(source=ip)
            t = time.monotonic()
            wait_until(lambda: ip in self.c.stick("edge2", "web"), 3.0, 0.002, what=f"{ip} on edge2")
            e2e.append((time.monotonic() - t) * 1000)
        figure("sync_lag_e2e_ms", p50=quantile(e2e, 0.5), p99=quantile(e2e, 0.99), samples=len(e2e),
               note="client_response_to_backup_proxy_table_poll_2ms")

        # Every backup proxy runs hot with the whole table.
        def hot():
            for n in ("edge2", "edge3"):
                web, app = self.c.stick(n, "web"), self.c.stick(n, "app")
                if any(web.get(ip) != b for ip, (b, _) in src.items()):
                    return False
                if any(app.get(k) != b for k, (b, _, _) in ck.items()):
                    return False
            return True
        wait_until(hot, 5.0, 0.05, what="backups' proxies holding every entry")

        lag = self.sync_status("edge1")
        figure("sync_lag_ms", p50=float(lag.get("lag_p50_ms", 0)), p99=float(lag.get("lag_p99_ms", 0)),
               samples=lag.get("lag_samples"), note="queued_on_agent_to_peer_ack")

        time.sleep(FLUSH_MS * 4 / 1000)
        # Late clients: stuck right before the kill (reported, not asserted).
        late = self.establish_source(self.sources[SOURCE_CLIENTS:SOURCE_CLIENTS + LATE_CLIENTS])
        t_kill = c.kill("edge1", "agent")
        c.kill("edge1", "proxy")
        wait_until(lambda: c.state_file("edge2").state() == "MASTER", 5.0, 0.01,
                   what=lambda: f"edge2 MASTER (roles {c.roles()})")
        took_ms = (time.monotonic() - t_kill) * 1000

        kept, moved = 0, []
        for ip, (backend, at) in src.items():
            self.assertLess(at, t_kill - FLUSH_MS / 1000)
            got = c.vip_get_ok(source=ip).get("x-backend")
            kept += got == backend
            if got != backend:
                moved.append(f"{ip}: {backend} -> {got}")
        for key, (backend, cookie, at) in ck.items():
            got = c.vip_get_ok("/s/again", APP_PORT, cookie=cookie).get("x-backend")
            kept += got == backend
            if got != backend:
                moved.append(f"{cookie}: {backend} -> {got}")
        total = len(src) + len(ck)
        late_kept = sum(c.vip_get_ok(source=ip).get("x-backend") == b for ip, (b, at) in late.items())
        late_ages = [(t_kill - at) * 1000 for _, at in late.values()]
        figure("stickiness_kept", kept=f"{kept}/{total}", late_kept=f"{late_kept}/{len(late)}",
               late_age_ms_min=min(late_ages), late_age_ms_max=max(late_ages), failover_ms=took_ms)
        print(f"FIGURE stickiness_kept={kept}/{total}", file=sys.stderr, flush=True)
        self.assertEqual(kept, total, "clients moved: " + "; ".join(moved))

    def test_restarted_node_gets_the_table_before_it_is_eligible(self):
        """edge3 restarted from nothing, now with the top priority: it has
        the whole table (agent and proxy) before it may become MASTER."""
        c = self.c
        src = self.establish_source(self.sources[:SOURCE_CLIENTS])
        ck = self.establish_cookie(10, "r")
        c.kill("edge3", "agent")
        c.kill("edge3", "proxy")
        # Written while edge3 is down; the running nodes keep their config.
        c.write_config(priorities={"edge1": 200, "edge2": 150, "edge3": 250})
        c.start_proxy("edge3")
        self.assertEqual(self.c.stick("edge3", "web"), {}, "a fresh proxy starts empty")
        c.start_agent("edge3", wait=False)
        wait_until(lambda: c.state_file("edge3").state() == "MASTER", 10.0, 0.01,
                   what=lambda: f"edge3 MASTER (roles {c.roles()})")
        web = self.c.stick("edge3", "web")
        app = self.c.stick("edge3", "app")
        missing = [ip for ip, (b, _) in src.items() if web.get(ip) != b]
        missing += [k for k, (b, _, _) in ck.items() if app.get(k) != b]
        self.assertEqual(missing, [], "edge3 became MASTER without these entries")
        # The order in its log: snapshot in, gate open, then eligible.
        text = "\n".join(c.proc("edge3", "agent").lines())
        i_snap = text.find("sync_snapshot_received")
        i_gate = text.find("sync_initial_done")
        i_backup = text.find("to=BACKUP")
        self.assertTrue(0 <= i_snap < i_gate < i_backup, text[-3000:])
        self.assertIn("start with failing track sync", text)
        for ip, (b, _) in list(src.items())[:10]:
            self.assertEqual(c.vip_get_ok(source=ip).get("x-backend"), b)

    def test_proxy_restarted_alone_gets_its_table_back(self):
        """kill -9 of a backup's proxy: the new one gets the table from its agent."""
        c = self.c
        src = self.establish_source(self.sources[:SOURCE_CLIENTS])
        wait_until(lambda: len(self.c.stick("edge2", "web")) >= len(src), 5.0, 0.05, what="edge2 hot")
        before = self.c.stick("edge2", "web")
        c.kill("edge2", "proxy")
        t = time.monotonic()
        c.start_proxy("edge2")
        wait_until(lambda: self.c.stick("edge2", "web") == before, 5.0, 0.01,
                   what=lambda: f"edge2's table back ({len(self.c.stick('edge2', 'web'))}/{len(before)})")
        figure("proxy_restart_table_back", entries=len(before), ms=(time.monotonic() - t) * 1000)
        st = self.sync_status("edge2")
        self.assertGreaterEqual(int(st.get("proxy_resyncs", 0)), 2)
        # And the master's proxy too: its table comes back from its agent.
        before1 = self.c.stick("edge1", "web")
        c.kill("edge1", "proxy")
        c.start_proxy("edge1")
        wait_until(lambda: self.c.stick("edge1", "web") == before1, 5.0, 0.01, what="edge1's table back")

    def test_agent_kill_outage_uses_the_connection(self):
        """kill -9 of the master's agent alone: edge2 takes over on the
        closed sync connection confirmed by probes, well under the
        advert-based Master_Down_Interval."""
        c = self.c
        probe = c.start_probe(duration_s=3.0, interval_ms=5, timeout_ms=200)
        probe.wait_success(timeout=5)
        time.sleep(0.5)
        marks = c.agent_marks()
        t0 = c.kill("edge1", "agent")
        log = probe.wait()
        outage_ms = log.longest_outage_s() * 1000
        # edge1's proxy keeps serving on its leftover VIP until edge2's
        # gratuitous ARP: the client-visible figure is the outage, the
        # failover itself is the switch to edge2.
        t_new = log.first_served_by("edge2", t0)
        self.assertIsNotNone(t_new, log.summary(t0))
        switch_ms = (t_new - t0) * 1000
        print(f"FIGURE scenario=agent_kill_conn outage_ms={outage_ms:.0f} switch_ms={switch_ms:.0f} "
              f"advert_down_ms={ADVERT_DOWN_MS}", file=sys.stderr, flush=True)
        promoted = [t for t in c.transitions_since(marks) if t.to_state == "MASTER"]
        self.assertEqual([t.node for t in promoted], ["edge2"], log.summary(t0))
        self.assertIn("agent of edge1 gone", promoted[0].cause)
        self.assertLess(outage_ms, 250, log.summary(t0))
        self.assertLess(switch_ms, 250, log.summary(t0))  # advert-based: 341 ms + claim
        self.assertGreaterEqual(int(self.sync_status("edge2").get("fast_confirmations", 0)), 1)

    def test_garbage_on_the_sync_port_is_disconnected_and_counted(self):
        c = self.c
        c.vip_get_ok(source=self.sources[0])
        before = self.c.stick("edge1", "web")
        st0 = self.sync_status("edge1")

        def send(payload: bytes) -> float:
            with c.topo.socket(CLIENT[0]) as s:
                s.settimeout(3)
                s.connect((c.topo.host("edge1").ip, SYNC_PORT))
                s.sendall(payload)
                t = time.monotonic()
                while True:
                    try:
                        chunk = s.recv(65536)
                    except ConnectionResetError:
                        break
                    if not chunk:
                        break
                return (time.monotonic() - t) * 1000

        ms_garbage = send(b"\x00\x00\x01\x00" + b"\xff" * 256)        # a frame of noise
        ms_http = send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")               # a length of 1.2 GB
        ms_mac = send(sync_frame(hello=b"x", mac=bytes(32)))                # well-formed, a wrong MAC
        for ms in (ms_garbage, ms_http, ms_mac):
            self.assertLess(ms, 2000)
        st = self.sync_status("edge1")
        rej = {k: int(v) for k, v in (st.get("rejected") or {}).items()}
        rej0 = {k: int(v) for k, v in (st0.get("rejected") or {}).items()}
        self.assertGreaterEqual(rej.get("malformed", 0) - rej0.get("malformed", 0), 1, rej)
        self.assertGreaterEqual(rej.get("too_large", 0) - rej0.get("too_large", 0), 1, rej)
        self.assertGreaterEqual(rej.get("bad_mac", 0) - rej0.get("bad_mac", 0), 1, rej)
        self.assertEqual(self.c.stick("edge1", "web"), before)
        # The real peers are still connected.
        self.assertEqual(st.get("connected_peers"), 2)


if __name__ == "__main__":
    unittest.main()
