"""lbctl and the agents' status page against the namespace cluster (issue 5).

lbctl runs in the client namespace (198.18.0.50), which reaches every node's
remote control endpoint (node.address:5799) and the VIP, like an operator's
machine on the LAN. One three-edge cluster for the class (preempt off, so a
planned switchover stays where it was sent); the tests run in name order and
each leaves edge1 master.

    status before/after a failover (--json parsed), drain respected by new
    connections, `failover --to edge3`, an unreachable node (agent killed;
    link cut: reported within --timeout), split brain (partition) with exit 1,
    and the status page in headless chromium with a screenshot taken during a
    failover (kept in $TANDEM_SCREENSHOT_DIR, default /tmp/tandem-screenshots).

Run as root from integration/:
    TANDEM_BUILD=/work/main/build-ctl PYTHONPATH=. python3 -m unittest -v cluster/test_lbctl.py
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import threading
import tempfile
import time
import unittest

from lib.binaries import binary, build_dir, have_binary
from lib.capture import TcpCapture
from lib.cluster import ClassScope, Cluster, SharedClusterTestCase
from lib.netns import CLIENT, Unsupported
from lib.wait import wait_until

CLIENT_HOST = CLIENT[0]
SCREENSHOT_DIR = os.environ.get("TANDEM_SCREENSHOT_DIR", "/tmp/tandem-screenshots")


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


class LbctlTest(SharedClusterTestCase):

    @classmethod
    def setUpClass(cls) -> None:
        if os.geteuid() != 0:
            raise unittest.SkipTest("network namespaces need root")
        for kind in ("proxy", "agent"):
            if not have_binary(kind):
                raise unittest.SkipTest(f"no {kind} binary in {build_dir()}")
        if not have_binary("lbctl"):
            raise unittest.SkipTest(f"no lbctl in {build_dir()}/ctl")
        cls.scope = ClassScope(cls)
        try:
            cls.c = Cluster(cls.scope, preempt=False, agents=True)
        except Unsupported as e:
            raise unittest.SkipTest(str(e))
        cls.c.start()
        cls.c.wait_roles("edge1", timeout=15)
        cls.c.wait_served_by("edge1")

    # ---- helpers -----------------------------------------------------------

    def lbctl(self, *args: str, timeout: float = 30.0) -> tuple[int, str, str, float]:
        """lbctl --config F ARGS in the client namespace: (exit, stdout, stderr, seconds)."""
        argv = [binary("lbctl"), "--config", self.c.config_path, *args]
        t0 = time.monotonic()
        r = self.c.topo.run(CLIENT_HOST, argv, check=False, timeout=timeout)
        return r.returncode, r.stdout, r.stderr, time.monotonic() - t0

    def lbctl_json(self, *args: str, expect: int | None = 0, timeout: float = 30.0) -> tuple[int, dict, float]:
        code, out, err, secs = self.lbctl(*args, "--json", timeout=timeout)
        try:
            js = json.loads(out.strip().splitlines()[-1])
        except (ValueError, IndexError):
            self.fail(f"lbctl {' '.join(args)} --json: not JSON (exit {code}): {out!r} {err!r}")
        if expect is not None:
            self.assertEqual(code, expect, f"lbctl {' '.join(args)}: {json.dumps(js)[:3000]} {err}")
        return code, js, secs

    def node(self, view: dict, name: str) -> dict:
        return next(n for n in view["nodes"] if n["node"] == name)

    def role(self, view: dict, name: str, instance: str = "www") -> str | None:
        n = self.node(view, name)
        if not n["reachable"]:
            return None
        return next(i["state"] for i in n["instances"] if i["name"] == instance)

    def restore_edge1(self) -> None:
        """Every agent running, every link up, no partition, edge1 master."""
        c = self.c
        c.topo.heal()
        for e in c.edges:
            c.topo.link_up(e)
            if not c.alive(e, "agent"):
                c.start_agent(e)
        if c.masters() != ["edge1"]:
            try:
                c.wait_roles(None, timeout=10)
            except AssertionError:
                pass
            if c.masters() != ["edge1"]:
                # The master refuses to hand over to a node that cannot serve
                # yet (a restarted agent before its proxy's first heartbeat).
                wait_until(lambda: self.lbctl("failover", "--to", "edge1", "--no-probe")[0] == 0,
                           10.0, 0.2, what="lbctl failover --to edge1 accepted")
        c.wait_roles("edge1", timeout=15)

    def screenshot(self, host: str, url: str, name: str) -> tuple[str, str]:
        """Headless chromium inside host's namespace: a PNG of url (after
        its scripts ran) and the DOM as text. Returns (png path, dom)."""
        exe = chromium()
        os.makedirs(SCREENSHOT_DIR, exist_ok=True)
        png = os.path.join(SCREENSHOT_DIR, f"{name}.png")
        common = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--window-size=1200,800", "--virtual-time-budget=3000", "--hide-scrollbars"]
        out = []
        for extra in ([f"--screenshot={png}"], ["--dump-dom"]):
            profile = tempfile.mkdtemp(prefix="tdm-chromium-")
            try:
                r = self.c.topo.run(host, [exe, *common, f"--user-data-dir={profile}", *extra, url],
                                    check=False, timeout=60)
                out.append(r.stdout)
            finally:
                shutil.rmtree(profile, ignore_errors=True)
        self.assertTrue(os.path.exists(png), f"chromium wrote no screenshot: {out}")
        return png, out[1]

    def admin_state(self, node: str, server: str = "backend1") -> str:
        st = self.c.proxy_admin(node)
        return next(s for s in st["pools"][0]["servers"] if s["name"] == server)["admin_state"]

    def send_raw(self, node: str, data: bytes, timeout: float = 3.0) -> bytes:
        """DATA to NODE's remote control endpoint from the client namespace; what came back."""
        with self.c.topo.socket(CLIENT_HOST) as s:
            s.settimeout(timeout)
            s.connect((self.c.topo.host(node).ip, 5799))
            s.sendall(data)
            got = b""
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                try:
                    chunk = s.recv(65536)
                except socket.timeout:
                    break
                if not chunk:
                    break
                got += chunk
            return got

    def wrong_key(self) -> str:
        bad = os.path.join(self.c.dir, "wrong.key")
        with open(bad, "w") as f:
            f.write("x" * 40)
        return bad

    # ---- scenarios ---------------------------------------------------------

    def test_0_each_proxy_hears_its_nodes_role(self):
        """The agent tells its proxy the node's role over the local channel
        (a NodeRole enum, common/proto/local_channel.proto); the proxy logs
        it spelled for people."""
        for edge, role in self.c.roles().items():
            self.assertIn(role, ("MASTER", "BACKUP"), f"{edge}: {self.c.roles()}")
            self.c.proc(edge, "proxy").wait_for_line(rf"agent_role role={role}\b", timeout=5)

    def test_1_status_before_and_after_failover_to_edge3(self):
        """status --json: healthy, edge1 master holding the VIP, proxies ok,
        3/3 servers; `failover --to edge3` returns once edge3 serves the VIP
        and reports the gap; status then shows edge3 master."""
        c = self.c
        code, view, _ = self.lbctl_json("status")
        self.assertEqual(view["health"], "healthy", view["warnings"])
        self.assertEqual(view["warnings"], [])
        self.assertEqual(self.role(view, "edge1"), "MASTER")
        self.assertEqual(self.role(view, "edge2"), "BACKUP")
        self.assertEqual(self.role(view, "edge3"), "BACKUP")
        www = next(i for i in view["instances"] if i["name"] == "www")
        self.assertEqual(www["masters"], ["edge1"])
        self.assertEqual(www["vip_holders"], ["edge1"])
        for e in c.edges:
            n = self.node(view, e)
            self.assertEqual(n["proxy"]["health"], "ok", n)
            self.assertEqual((n["proxy"]["servers_up"], n["proxy"]["servers_total"]), (3, 3), n)
            self.assertIsNotNone(n["proxy"]["requests_per_s"], n)
        self.assertEqual(self.node(view, "edge1")["instances"][0]["base_priority"], 200)
        # The text table says the same, without colour off a terminal.
        code, text, _, _ = self.lbctl("status", "--interval", "0")
        self.assertEqual(code, 0, text)
        self.assertIn("www=MASTER", text)
        self.assertNotIn("\033[", text)

        probe = c.start_probe(duration_s=6, name="probe-lbctl-failover")
        probe.wait_success(timeout=5, node="edge1")
        code, out, secs = self.lbctl_json("failover", "--to", "edge3")
        log = probe.stop()
        sw = out["switched"][0]
        self.assertEqual((sw["instance"], sw["from"], sw["to"]), ("www", "edge1", "edge3"), out)
        self.assertEqual(sw["gap_method"], "tcp_probe", out)
        self.assertLess(sw["gap_ms"], 1000, out)
        self.assertGreater(sw["probe"]["attempts"], 10, out)
        self.assertLess(secs, 5, out)
        print(f"\nlbctl failover --to edge3: took {sw['took_ms']} ms, gap {sw['gap_ms']:.1f} ms "
              f"({sw['probe']['failed']}/{sw['probe']['attempts']} connects failed), transitions "
              f"{sw['transitions_gap_ms']} ms; the client probe's longest outage "
              f"{log.longest_outage_s() * 1000:.0f} ms")
        self.assertEqual(c.vip_holders(), ["edge3"])
        code, view, _ = self.lbctl_json("status", "--interval", "0")
        self.assertEqual(self.role(view, "edge3"), "MASTER")
        self.assertEqual(self.role(view, "edge1"), "BACKUP")
        self.assertEqual(next(i for i in view["instances"] if i["name"] == "www")["vip_holders"], ["edge3"])
        code, ev, _ = self.lbctl_json("events")
        last = [(e["node"], e["from"], e["to"]) for e in ev["events"][-3:]]
        self.assertIn(("edge3", "BACKUP", "MASTER"), last, ev)
        self.assertIn(("edge1", "MASTER", "BACKUP"), last, ev)
        # Back, for the next tests.
        code, out, _ = self.lbctl_json("failover", "--to", "edge1")
        self.assertEqual(out["switched"][0]["to"], "edge1")
        c.wait_roles("edge1")

    def test_2_drain_respected_by_new_connections(self):
        """drain backend1 on every node: new requests through the VIP avoid
        it; enable brings it back."""
        c = self.c
        code, out, _ = self.lbctl_json("drain", "backend1")
        self.assertEqual([r["ok"] for r in out["results"]], [True] * 3, out)
        for e in c.edges:
            st = c.proxy_admin(e)
            s = next(s for s in st["pools"][0]["servers"] if s["name"] == "backend1")
            self.assertEqual(s["admin_state"], "DRAIN", (e, s))
        code, sv, _ = self.lbctl_json("servers", "web", "--interval", "0")
        states = {(r["node"], r["server"]): r["admin_state"] for r in sv["servers"]}
        self.assertEqual(states[("edge2", "backend1")], "DRAIN")
        served = []
        for _ in range(30):
            status, headers, _ = c.topo.http_get(CLIENT_HOST, "198.18.0.100:80", "/", 1.0)
            self.assertEqual(status, 200)
            served.append(headers.get("x-backend"))
        self.assertNotIn("backend1", served, served)
        self.assertEqual(set(served), {"backend2", "backend3"}, served)
        code, out, _ = self.lbctl_json("enable", "backend1")
        served = [c.topo.http_get(CLIENT_HOST, "198.18.0.100:80", "/", 1.0)[1].get("x-backend")
                  for _ in range(9)]
        self.assertIn("backend1", served, served)

    def test_3_status_page_during_failover(self):
        """The agent's admin listener serves the page; chromium (inside
        edge2's namespace, where agent_admin 127.0.0.1:9200 lives) renders it
        while edge1's agent has just been killed and edge2 takes over."""
        if chromium() is None:
            self.skipTest("chromium is not installed (scripts/install-deps.sh)")
        c = self.c
        status, headers, body = c.topo.http_get("edge2", "127.0.0.1:9200", "/", 2.0)
        self.assertEqual(status, 200)
        self.assertIn("text/html", headers.get("content-type", ""))
        self.assertNotIn(b"http://", body.replace(b"http://www.w3.org", b""))  # no external assets
        status, _, body = c.topo.http_get("edge2", "127.0.0.1:9200", "/cluster.json", 3.0)
        self.assertEqual(status, 200)
        self.assertEqual(json.loads(body)["instances"][0]["masters"], ["edge1"])
        png, dom = self.screenshot("edge2", "http://127.0.0.1:9200/", "status-page-healthy")
        self.assertIn("HEALTHY", dom)

        c.kill("edge1", "agent")           # the master dies: edge2 takes over
        c.del_vip_by_hand("edge1")         # SIGKILL left its VIP behind
        c.wait_state("edge2", "MASTER", timeout=5)
        png, dom = self.screenshot("edge2", "http://127.0.0.1:9200/", "status-page-failover")
        print(f"\nstatus page screenshot during the failover: {png}")
        self.assertIn("unreachable", dom)
        self.assertIn("edge2", dom)
        self.assertIn("MASTER", dom)
        self.assertIn("UNREACHABLE", dom)   # the health badge
        self.restore_edge1()

    def test_4_unreachable_node_reported_within_timeout(self):
        """edge3's agent killed: its row says unreachable at once (connection
        refused), exit 2; edge3's cable cut: reported within --timeout while
        the other rows are complete."""
        c = self.c
        c.kill("edge3", "agent")
        code, view, secs = self.lbctl_json("status", "--interval", "0", "--timeout", "1s", expect=2)
        n = self.node(view, "edge3")
        self.assertFalse(n["reachable"])
        self.assertIn("edge3 unreachable", " ".join(view["warnings"]))
        self.assertEqual(self.role(view, "edge1"), "MASTER")
        self.assertLess(secs, 2.0)
        code, text, _, _ = self.lbctl("status", "--interval", "0")
        self.assertEqual(code, 2)
        self.assertRegex(text, r"edge3\s+unreachable")
        c.start_agent("edge3")

        c.topo.link_down("edge3")
        try:
            code, view, secs = self.lbctl_json("status", "--interval", "0", "--timeout", "700ms", expect=2)
            self.assertFalse(self.node(view, "edge3")["reachable"])
            self.assertIn("no answer within 700 ms", self.node(view, "edge3")["error"])
            self.assertTrue(self.node(view, "edge1")["reachable"])
            self.assertTrue(self.node(view, "edge2")["reachable"])
            self.assertLess(secs, 0.7 + 0.8, "one unreachable node stalled the rest")
        finally:
            c.topo.link_up("edge3")
        self.restore_edge1()

    def test_5_split_brain_is_reported(self):
        """Partition edge1 from edge2+edge3: both sides elect a master; lbctl
        (in the client namespace, reaching both sides) warns and exits 1."""
        c = self.c
        c.topo.partition(["edge1"], ["edge2", "edge3"])
        try:
            wait_until(lambda: sorted(c.masters()) == ["edge1", "edge2"], 5,
                       what=lambda: f"two masters (now {c.masters()})")
            code, view, _ = self.lbctl_json("status", "--interval", "0", expect=1)
            self.assertEqual(view["health"], "degraded")
            split = [w for w in view["warnings"] if w.startswith("SPLIT BRAIN")]
            self.assertTrue(split, view["warnings"])
            self.assertIn("edge1", split[0])
            self.assertIn("edge2", split[0])
            code, text, _, _ = self.lbctl("status", "--interval", "0")
            self.assertEqual(code, 1)
            self.assertIn("!!! SPLIT BRAIN", text)
        finally:
            c.topo.heal()
        self.restore_edge1()

    def test_6_stick_events_check_config_help(self):
        """The remaining commands answer and keep their exit codes."""
        code, out, _, _ = self.lbctl("check-config")
        self.assertEqual(code, 0, out)
        code, js, _ = self.lbctl_json("events")
        self.assertTrue(js["events"])
        code, js, _ = self.lbctl_json("stick", "count", "web")
        self.assertEqual(len(js["tables"]), 3, js)
        for cmd in ("status", "watch", "servers", "drain", "failover", "stick", "events", "check-config"):
            code, out, _, _ = self.lbctl(cmd, "--help")
            self.assertEqual(code, 0)
            self.assertIn("usage: lbctl", out)
        code, out, err, _ = self.lbctl("watch", "--count", "2", "--interval", "500ms")
        self.assertEqual(code, 0, err)
        self.assertEqual(out.count("Latest transitions"), 2)
        # A wrong key is refused by every node (and the agents count it).
        bad = os.path.join(self.c.dir, "wrong.key")
        with open(bad, "w") as f:
            f.write("x" * 40)
        code, view, _ = self.lbctl_json("status", "--interval", "0", "--key", bad, expect=2)
        self.assertTrue(all("refused: bad_signature" in n["error"] for n in view["nodes"]), view)
        status, _, body = self.c.topo.http_get("edge1", "127.0.0.1:9200", "/metrics", 2.0)
        self.assertIn(b'tandem_remote_control_refused_total{reason="bad_signature"}', body)

    def test_7_captured_request_replayed_to_another_node_is_refused(self):
        """Issue 10 item 1: the bytes of `lbctl disable backend1` sent to
        edge1, captured on the LAN and replayed after `lbctl enable` to
        edge2 and edge3 (and to edge1), change nothing."""
        c = self.c
        with TcpCapture(c.topo, CLIENT_HOST, dst=(c.topo.host("edge1").ip, 5799)) as cap:
            _, out, _ = self.lbctl_json("disable", "backend1")
        self.assertEqual([r["ok"] for r in out["results"]], [True] * 3, out)
        streams = [b for b in cap.streams().values() if b]
        self.assertEqual(len(streams), 1, f"expected one request stream to edge1, got {len(streams)}")
        captured = streams[0]
        self.lbctl_json("enable", "backend1")
        for e in c.edges:
            self.assertEqual(self.admin_state(e), "READY", e)
        for e in ("edge2", "edge3"):
            answer = self.send_raw(e, captured)
            self.assertIn(b"wrong_node", answer, (e, answer))
            self.assertEqual(self.admin_state(e), "READY", f"{e} obeyed a request captured for edge1")
            status, _, body = c.topo.http_get(e, "127.0.0.1:9200", "/metrics", 2.0)
            self.assertRegex(body.decode(), r'tandem_remote_control_refused_total\{reason="wrong_node"\} [1-9]')
        answer = self.send_raw("edge1", captured)
        self.assertIn(b"replayed", answer)
        self.assertEqual(self.admin_state("edge1"), "READY")

    def test_8_idle_connections_do_not_lock_out_the_operator(self):
        """Issue 10 item 2: keyless clients on the LAN hold 80 idle
        connections to edge1's control port (8 from each of 10 addresses,
        more than the 64 the node keeps; what the node closes is reopened
        twice a second); lbctl status and failover still work every time."""
        c = self.c
        edge1 = (c.topo.host("edge1").ip, 5799)
        client = c.topo.host(CLIENT_HOST)
        sources = [f"198.18.0.{i}" for i in range(60, 70)]
        for ip in sources:
            subprocess.run(["ip", "-n", client.ns, "addr", "add", f"{ip}/24", "dev", client.ifname], check=True)
        stop = threading.Event()
        opened = [0]
        idlers: list[tuple[str, socket.socket]] = []

        def open_one(src: str) -> None:
            s = c.topo.socket(CLIENT_HOST)
            s.settimeout(0.5)
            try:
                s.bind((src, 0))
                s.connect(edge1)
                s.setblocking(False)
                idlers.append((src, s))
                opened[0] += 1
            except OSError:
                s.close()

        def fill() -> None:
            for src in sources:
                have = sum(1 for a, _ in idlers if a == src)
                for _ in range(8 - have):
                    if not stop.is_set():
                        open_one(src)

        def attacker() -> None:
            while not stop.is_set() and opened[0] < 4000:
                for entry in list(idlers):  # reopen what the node closed
                    try:
                        if entry[1].recv(1) == b"":
                            raise OSError("closed")
                    except BlockingIOError:
                        continue
                    except OSError:
                        pass
                    idlers.remove(entry)
                    entry[1].close()
                fill()
                stop.wait(0.5)

        fill()
        self.assertGreaterEqual(len(idlers), 70)
        t = threading.Thread(target=attacker, daemon=True)
        t.start()
        try:
            for i in range(8):
                code, view, _ = self.lbctl_json("status", "--interval", "0", expect=None)
                self.assertTrue(self.node(view, "edge1")["reachable"], f"call {i}: {self.node(view, 'edge1')}")
                self.assertEqual(code, 0, view["warnings"])
            code, out, err, _ = self.lbctl("failover", "--to", "edge2", "--no-probe")
            self.assertEqual(code, 0, out + err)
            code, out, err, _ = self.lbctl("failover", "--to", "edge1", "--no-probe")
            self.assertEqual(code, 0, out + err)
        finally:
            stop.set()
            t.join(10)
            for _, s in idlers:
                s.close()
            for ip in sources:
                subprocess.run(["ip", "-n", client.ns, "addr", "del", f"{ip}/24", "dev", client.ifname],
                               check=False)
        self.assertGreater(opened[0], 80)
        status, _, body = c.topo.http_get("edge1", "127.0.0.1:9200", "/metrics", 2.0)
        self.assertRegex(body.decode(), r"tandem_remote_control_displaced_total [1-9]")
        self.restore_edge1()

    def test_9_no_command_reports_success_for_work_not_done(self):
        """Issue 10 item 3: with a key every node refuses, every command
        exits 2 (failover used to exit 0 with nothing done); failover also
        refuses an unknown instance and says when there is nothing to do."""
        bad = self.wrong_key()
        code, out, err, _ = self.lbctl("failover", "--key", bad, "--no-probe")
        self.assertEqual(code, 2, out + err)
        self.assertIn("no node answered", err)
        code, js, _ = self.lbctl_json("failover", "--key", bad, "--no-probe", expect=2)
        self.assertFalse(js["ok"])
        for argv in (["status", "--interval", "0"], ["servers", "--interval", "0"], ["drain", "backend1"],
                     ["enable", "backend1"], ["stick", "count", "web"], ["stick", "list", "web"], ["events"],
                     ["failover", "--to", "edge2", "--no-probe"], ["watch", "--count", "1"]):
            code, out, err, _ = self.lbctl(*argv, "--key", bad)
            self.assertEqual(code, 2, f"lbctl {' '.join(argv)} with a refused key exited {code}: {out} {err}")
        code, out, err, _ = self.lbctl("failover", "--instance", "nope", "--no-probe")
        self.assertEqual(code, 2, out + err)
        code, out, err, _ = self.lbctl("failover", "--to", "edge1", "--no-probe")
        self.assertEqual(code, 0, out + err)
        self.assertIn("already master", out)
        self.assertEqual(self.c.masters(), ["edge1"])

    def test_z_key_rotation_without_downtime(self):
        """Issue 10 item 9 (docs/security.md): rotate the cluster key on the
        running cluster with SIGHUP only: no transition, no advert or lbctl
        call refused, and lbctl names the nodes still signing with the old
        key while the swap is under way. Runs last: it leaves the new key."""
        c = self.c
        old_path = c.key_path
        new_path = os.path.join(c.dir, "cluster.key.new")
        fd = os.open(new_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(os.urandom(32).hex() + "\n")
        # A reload refuses a key file every user can read, as a start does,
        # and keeps the keys it had.
        os.chmod(new_path, 0o644)
        c.write_config(extra_ha={"next_key_file": new_path})
        for kind in ("agent", "proxy"):
            proc = c.proc("edge1", kind)
            mark = proc.mark()
            proc.signal(signal.SIGHUP)
            proc.wait_for_line(r"refused.*readable by every user", 10, since=mark)
        os.chmod(new_path, 0o600)
        self.assertEqual(c.masters(), ["edge1"])
        marks = c.agent_marks()
        drops_before = {e: c.advert_drops(e).get("bad_signature", 0) for e in c.edges}
        failures: list[str] = []
        calls = [0]
        stop = threading.Event()

        def operator() -> None:  # lbctl status all along, with whatever file is current
            while not stop.is_set() and calls[0] < 200:
                code, out, err, _ = self.lbctl("status", "--interval", "0", "--json", timeout=10)
                calls[0] += 1
                if code != 0:
                    failures.append(f"exit {code}: {out[-400:]} {err[-400:]}")
                stop.wait(0.2)

        def reload_all(key_file: str, next_key_file: str | None) -> None:
            extra = {"next_key_file": next_key_file} if next_key_file else {}
            c.write_config(key_path=key_file, extra_ha=extra)
            for e in c.edges:  # one node at a time, as an operator would
                for kind, pattern in (("agent", r"keys_reloaded"), ("proxy", r"admin_keys signing=")):
                    proc = c.proc(e, kind)
                    mark = proc.mark()
                    proc.signal(signal.SIGHUP)
                    proc.wait_for_line(pattern, 10, since=mark)

        t = threading.Thread(target=operator, daemon=True)
        t.start()
        try:
            reload_all(old_path, new_path)          # 1. accept both, sign with the old key
            c.write_config(key_path=new_path, extra_ha={"next_key_file": old_path})
            # 2. swap, node by node; lbctl (new file) names those still on the old key
            mark = c.proc("edge1", "agent").mark()
            c.proc("edge1", "agent").signal(signal.SIGHUP)
            c.proc("edge1", "agent").wait_for_line(r"keys_reloaded", 10, since=mark)
            _, view, _ = self.lbctl_json("status", "--interval", "0")
            old = [w for w in view["warnings"] if "still signs with key" in w]
            self.assertEqual(sorted(w.split()[0] for w in old), ["edge2", "edge3"], view["warnings"])
            self.assertNotEqual(self.node(view, "edge1")["key"], self.node(view, "edge2")["key"])
            reload_all(new_path, old_path)
            _, view, _ = self.lbctl_json("status", "--interval", "0")
            self.assertFalse([w for w in view["warnings"] if "still signs" in w], view["warnings"])
            reload_all(new_path, None)             # 3. the old key is refused from now on
            stop.wait(1.0)
        finally:
            stop.set()
            t.join(30)
        self.assertFalse(failures, f"{len(failures)} of {calls[0]} lbctl calls failed: {failures[:3]}")
        self.assertGreater(calls[0], 3)
        self.assertEqual(c.transitions_since(marks), [], "a failover during the rotation")
        self.assertEqual(c.masters(), ["edge1"])
        for e in c.edges:
            self.assertEqual(c.advert_drops(e).get("bad_signature", 0), drops_before[e], e)
        # The old key no longer opens anything.
        code, view, _ = self.lbctl_json("status", "--interval", "0", "--key", old_path, expect=2)
        self.assertTrue(all("bad_signature" in n["error"] for n in view["nodes"]), view)
        # lbctl still changes state through the agents, signed with the new key.
        _, out, _ = self.lbctl_json("drain", "backend2")
        self.assertEqual([r["ok"] for r in out["results"]], [True] * 3, out)
        self.lbctl_json("enable", "backend2")


if __name__ == "__main__":
    unittest.main()
