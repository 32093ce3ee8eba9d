"""Active-active VRRP and TLS across a failover, on the namespace cluster
(issue 14 item 1, issue 12's cluster tests).

Three edges, two VRRP instances as in config/examples/active-active.conf:
"a" (VIP 198.18.0.100) is master on edge1 (200; edge2 100, edge3 50), "b"
(VIP 198.18.0.110) on edge2 (200; edge1 100, edge3 50); 100 ms adverts,
preemption on. Every proxy listens on 0.0.0.0, so each serves whichever
VIPs its node holds:
  :80   HTTP, pool "web", LEARN_COOKIE SID (the backends set SID)
  :8080 HTTP, pool "app", INSERT_COOKIE TDM (the proxy names the server)
  :8081 HTTP, pool "ws" (lib.ws_backend on every backend, port 9000)
  :443  TLS (a throw-away CA and an ECDSA P-256 leaf made at test time),
        pool "web"; session tickets from keys derived from the cluster key.

One cluster for the class; every test starts from the baseline (both
masters in place, every process running) and kills edge1's agent AND proxy
(SIGKILL by PID) once. Asserts:
- only "a" moves (to edge2, the next priority); "b" and its VIP stay on
  edge2, and a probe on B's VIP sees no failure at all across the kill;
- cookie sessions of both pools, made through both VIPs, keep their backend
  through either VIP after the failover; `lbctl status --json` shows both
  instances with their masters before and after;
- a TLS keep-alive client on A's VIP (reconnecting on failure) is served by
  edge2 within 1 s of the kill; only requests written on connections to
  edge1 fail, none on the new master's connections, and every request is
  answered in the end (the client retries on a fresh connection);
- a TLS 1.2 and a TLS 1.3 session that `openssl s_client -sess_out` got from
  edge1 is resumed ("Reused") on edge2 after the kill;
- headless Chromium in the client namespace loads https://www.test/ through
  B's VIP: the page arrives, and its net log shows h2 over TLS 1.3 to the VIP
  (this test kills nothing).
- a WebSocket (python3-websockets, :8081, pool "ws" of lib.ws_backend) on
  A's VIP across a graceful `lbctl failover --instance a --to edge3`: the
  old master's proxy keeps running, the client's next frame reaches edge3,
  which resets it (the client sees 1006 within 1 s, no close frame), and a
  new WebSocket through the VIP works on edge3; B's WebSocket carries on.
  The old master keeps its half of the tunnel until timeouts.tunnel_ms
  (printed as a figure, not asserted).

Run as root from integration/:
    TANDEM_BUILD=../build PYTHONPATH=. python3 -m unittest -v cluster/test_active_active.py
"""

from __future__ import annotations

import json
import os
import ssl
import subprocess
import sys
import threading
import time
import unittest
from dataclasses import dataclass

from lib import browser
from lib.binaries import binary, have_program
from lib.cluster import ClassScope, Cluster, cluster_or_skip
from lib.cluster_file import listener, pool, tcp_health
from lib.netns import BACKENDS, CLIENT
from lib.wait import wait_until

VIP_A, VIP_B = "198.18.0.100", "198.18.0.110"
APP_PORT, TLS_PORT, WS_PORT = 8080, 443, 8081
WS_BACKEND_PORT = 9000
SERVER_NAME = "www.test"
SESSIONS = 12            # cookie sessions per pool and VIP
RECONNECT_BOUND_S = 1.0  # kill -> first TLS answer from the new master
TLS_STREAM_MAX = 1500    # requests; bounded in count and time as well
TLS_STREAM_S = 10.0
CLIENT_HOST = CLIENT[0]


def openssl(*args: str, cwd: str | None = None) -> str:
    r = subprocess.run(["openssl", *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=20, cwd=cwd)
    if r.returncode != 0:
        raise AssertionError(f"openssl {' '.join(args)}: {r.stdout.decode(errors='replace')}")
    return r.stdout.decode(errors="replace")


def make_pki(directory: str) -> tuple[str, str, str]:
    """(CA cert, leaf cert, leaf key): a test-only CA and an ECDSA P-256 leaf
    for SERVER_NAME."""
    p = lambda n: os.path.join(directory, n)  # noqa: E731
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", p("ca.key"), "-out", p("ca.pem"), "-days", "2", "-subj", "/CN=tandem test CA")
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", p("www.key"), "-out", p("www.csr"), "-subj", f"/CN={SERVER_NAME}")
    with open(p("www.ext"), "w") as f:
        f.write(f"subjectAltName=DNS:{SERVER_NAME}\n")
    openssl("x509", "-req", "-in", p("www.csr"), "-CA", p("ca.pem"), "-CAkey", p("ca.key"),
            "-CAcreateserial", "-days", "2", "-extfile", p("www.ext"), "-out", p("www.pem"))
    return p("ca.pem"), p("www.pem"), p("www.key")


class ActiveActiveCluster(Cluster):
    """The test cluster with the two instances and three listeners above."""

    def __init__(self, testcase, **params):
        super().__init__(testcase, stickiness={"kind": "LEARN_COOKIE", "cookie": "SID", "ttl_ms": 600000},
                         backend_cookie="SID",
                         proxy_track={"heartbeat_ms": 100, "dead_after_ms": 500, "weight": 0}, **params)
        self.ca, self.cert, self.key = make_pki(self.dir)
        self.write_config()

    def config(self) -> dict:
        config = super().config()
        base = config["ha"]["instances"][0]
        config["ha"]["instances"] = [
            {**base, "name": "a", "id": 51, "vips": f"{VIP_A}/24",
             "priorities": [{"node": "edge1", "priority": 200}, {"node": "edge2", "priority": 100},
                            {"node": "edge3", "priority": 50}]},
            {**base, "name": "b", "id": 52, "vips": f"{VIP_B}/24",
             "priorities": [{"node": "edge1", "priority": 100}, {"node": "edge2", "priority": 200},
                            {"node": "edge3", "priority": 50}]}]
        config["listeners"].append(listener("app", "HTTP", "app", bind=f"0.0.0.0:{APP_PORT}"))
        config["pools"].append(self.backend_pool(
            "app", {"kind": "INSERT_COOKIE", "cookie": "TDM", "ttl_ms": 600000}))
        config["listeners"].append(listener("ws", "HTTP", "ws", bind=f"0.0.0.0:{WS_PORT}"))
        config["pools"].append(pool("ws", [(b, f"{BACKENDS[b]}:{WS_BACKEND_PORT}") for b in self.backends],
                                    "ROUND_ROBIN", health_check=tcp_health(interval_ms=500, timeout_ms=300,
                                                                           rise=1, fall=2)))
        if getattr(self, "cert", None):   # (the base constructor writes once before the PKI exists)
            config["listeners"].append(listener(
                "www-tls", "HTTP", "web", bind=f"0.0.0.0:{TLS_PORT}",
                tls={"certificates": [{"cert_file": self.cert, "key_file": self.key}]}))
        return config

    def start_ws_backends(self) -> None:
        """lib.ws_backend on every backend host, port 9000 (echo, "hello NAME" first)."""
        for b in self.backends:
            self._start(b, "ws", [sys.executable, "-m", "lib.ws_backend", "--host", BACKENDS[b],
                                  "--port", str(WS_BACKEND_PORT), "--name", b], ready=r"^ready port=\d+$")

    def settled(self) -> bool:
        """a on edge1 only, b on edge2 only, every other running agent BACKUP."""
        want = {"a": ("edge1", VIP_A), "b": ("edge2", VIP_B)}
        for inst, (master, vip) in want.items():
            roles = self.roles(inst)
            if roles.get(master) != "MASTER" or self.vip_holders(vip) != [master]:
                return False
            if any(r not in ("BACKUP", "-") for e, r in roles.items() if e != master):
                return False
        return True

    def get(self, vip: str, port: int, path: str, cookie: str = "") -> dict[str, str]:
        """GET through vip:port from the client until it answers 200 (20 tries,
        50 ms apart): the response headers."""
        return self.vip_get_ok(path, port, cookie=cookie, vip=vip)


@dataclass
class TlsRequest:
    """One request of the TLS keep-alive stream."""
    seq: int
    t_sent: float
    conn: int               # which connection it was written on
    conn_opened: float      # when that connection was established
    ok: bool
    node: str | None = None
    error: str = ""


class TlsStream:
    """A TLS keep-alive client in a thread: GET / on one connection to
    vip:443 every 10 ms; a request that fails is retried on a fresh
    connection (connects retried every 20 ms), so every request is answered
    in the end unless the stream runs out of time. Bounded in count and time."""

    def __init__(self, cluster: ActiveActiveCluster, vip: str):
        self.c, self.vip = cluster, vip
        self.ctx = ssl.create_default_context(cafile=cluster.ca)
        self.requests: list[TlsRequest] = []
        self.answered: set[int] = set()
        self.connects_failed = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="tls-stream", daemon=True)

    def start(self) -> "TlsStream":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(15)

    def _connect(self, deadline: float):
        while not self._stop.is_set() and time.monotonic() < deadline:
            raw = self.c.topo.socket(CLIENT_HOST)
            raw.settimeout(0.3)
            try:
                raw.connect((self.vip, TLS_PORT))
                s = self.ctx.wrap_socket(raw, server_hostname=SERVER_NAME)
                return s, time.monotonic()
            except OSError:
                raw.close()
                self.connects_failed += 1
                time.sleep(0.02)
        return None, 0.0

    @staticmethod
    def _exchange(s) -> str | None:
        s.sendall(f"GET / HTTP/1.1\r\nHost: {SERVER_NAME}\r\n\r\n".encode())
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = s.recv(65536)
            if not chunk:
                raise ConnectionError("closed before the answer")
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        headers = {k.strip().lower(): v.strip() for k, _, v in
                   (line.partition(":") for line in head.decode("latin-1").split("\r\n")[1:])}
        length = int(headers.get("content-length", "0"))
        while len(body) < length:
            chunk = s.recv(65536)
            if not chunk:
                raise ConnectionError("closed inside the body")
            body += chunk
        if not head.startswith(b"HTTP/1.1 200"):
            raise ConnectionError(head.split(b"\r\n")[0].decode("latin-1"))
        return headers.get("x-tandem-node")

    def _run(self) -> None:
        deadline = time.monotonic() + TLS_STREAM_S
        s, opened, conn, seq = None, 0.0, 0, 0
        while seq < TLS_STREAM_MAX and time.monotonic() < deadline and not self._stop.is_set():
            if s is None:
                s, opened = self._connect(deadline)
                if s is None:
                    return
                conn += 1
            t = time.monotonic()
            try:
                node = self._exchange(s)
                self.requests.append(TlsRequest(seq, t, conn, opened, True, node))
                self.answered.add(seq)
                seq += 1
                time.sleep(0.01)
            except OSError as e:   # ssl.SSLError and socket errors; retry seq on a new connection
                self.requests.append(TlsRequest(seq, t, conn, opened, False, error=repr(e)))
                s.close()
                s = None
        if s is not None:
            s.close()


class ActiveActiveTest(unittest.TestCase):
    cluster: ActiveActiveCluster
    scope: ClassScope

    @classmethod
    def setUpClass(cls) -> None:
        cls.scope = ClassScope(cls)
        cls.cluster = cluster_or_skip(cls.scope, ActiveActiveCluster, binaries=("proxy", "agent", "lbctl"))
        try:
            cls.cluster.start_ws_backends()
            cls.cluster.start()
        except BaseException:
            cls.scope.mark_failed()
            raise

    def setUp(self) -> None:
        self.c = self.cluster
        try:
            self.restore()
        except BaseException:
            self.scope.mark_failed()
            raise

    def tearDown(self) -> None:
        outcome = getattr(self, "_outcome", None)
        result = getattr(outcome, "result", None)
        if result is not None and (result.failures or result.errors):
            self.scope.mark_failed()

    # ---- helpers ------------------------------------------------------------

    def restore(self) -> None:
        """Every process running, a on edge1 and b on edge2 (preemption
        brings a back to a restarted edge1), both serving."""
        c = self.c
        for e in c.edges:
            if not c.alive(e, "proxy"):
                c.start_proxy(e)
        for e in c.edges:
            if not c.alive(e, "agent"):
                c.start_agent(e)
        if c.masters("a") == ["edge3"]:
            # After a planned switchover a stays where it was moved: move it home.
            wait_until(lambda: self.lbctl("failover", "--instance", "a", "--to", "edge1", "--no-probe") == 0,
                       10, 0.2, what="lbctl failover --instance a --to edge1 accepted")
        wait_until(c.settled, 15, 0.05, what=lambda: self.describe())
        for vip, node in ((VIP_A, "edge1"), (VIP_B, "edge2")):
            wait_until(lambda: c.get(vip, 80, "/").get("x-tandem-node") == node, 5, 0.05,
                       what=f"{vip} served by {node}")

    def describe(self) -> str:
        c = self.c
        return (f"a: {c.roles('a')} VIP on {c.vip_holders(VIP_A)}; "
                f"b: {c.roles('b')} VIP on {c.vip_holders(VIP_B)}\n" + c.describe(("agent",), 15))

    def kill_edge1(self) -> float:
        """SIGKILL edge1's agent and proxy; time.monotonic() before."""
        t = self.c.kill("edge1", "agent")
        self.c.kill("edge1", "proxy")
        return t

    def wait_a_on_edge2(self, timeout: float = 5.0) -> None:
        c = self.c
        wait_until(lambda: c.state_file("edge2").state("a") == "MASTER" and "edge2" in c.vip_holders(VIP_A),
                   timeout, 0.02, what=lambda: "a MASTER on edge2\n" + self.describe())

    def lbctl(self, *args: str) -> int:
        r = self.c.topo.run(CLIENT_HOST, [binary("lbctl"), "--config", self.c.config_path, *args],
                            check=False, timeout=30)
        self.lbctl_output = r.stdout + r.stderr
        return r.returncode

    def lbctl_status(self) -> dict:
        r = self.c.topo.run(CLIENT_HOST, [binary("lbctl"), "--config", self.c.config_path, "status", "--json"],
                            check=False, timeout=30)
        try:
            return json.loads(r.stdout.strip().splitlines()[-1])
        except (ValueError, IndexError):
            self.fail(f"lbctl status --json: not JSON (exit {r.returncode}): {r.stdout!r} {r.stderr!r}")

    def instance_view(self, view: dict) -> dict[str, tuple[list, list]]:
        return {i["name"]: (i["masters"], i["vip_holders"]) for i in view["instances"]}

    def sessions(self) -> list[tuple[str, int, str, str]]:
        """Cookie sessions in both pools through both VIPs:
        (vip, port, cookie header, backend); each checked sticky once."""
        c, out = self.c, []
        for vip in (VIP_A, VIP_B):
            for i in range(SESSIONS):
                h = c.get(vip, 80, f"/learn/{i}")
                cookie = h.get("set-cookie", "").split(";")[0]
                self.assertTrue(cookie.startswith("SID="), f"no SID cookie from the backend: {h}")
                again = c.get(vip, 80, f"/learn/{i}", cookie)
                self.assertEqual(again.get("x-backend"), h.get("x-backend"), "LEARN_COOKIE not sticky")
                out.append((vip, 80, cookie, h["x-backend"]))
                # SID sent already: the backend sets no cookie, the proxy its TDM.
                h = c.get(vip, APP_PORT, f"/insert/{i}", "SID=given")
                cookie = h.get("set-cookie", "").split(";")[0]
                self.assertTrue(cookie.startswith("TDM="), f"no TDM cookie from the proxy: {h}")
                out.append((vip, APP_PORT, f"SID=given; {cookie}", h["x-backend"]))
        return out

    def s_client(self, version: str, sess: str, mode: str) -> str:
        """openssl s_client against A's VIP from the client (HTTP/1.1 GET,
        the answer read, so a TLS 1.3 ticket arrives before it exits)."""
        r = self.c.topo.run(CLIENT_HOST, [
            "openssl", "s_client", "-connect", f"{VIP_A}:{TLS_PORT}", "-servername", SERVER_NAME,
            "-CAfile", self.c.ca, version, "-ign_eof", mode, sess],
            check=False, timeout=15,
            input=f"GET / HTTP/1.1\r\nHost: {SERVER_NAME}\r\nConnection: close\r\n\r\n")
        return r.stdout + r.stderr

    # ---- scenarios ------------------------------------------------------------

    def test_chromium_loads_a_page_over_h2_through_vip_b(self):
        # A real browser in the client namespace, www.test mapped to B's VIP:
        # the page comes back, and Chromium's own net log says it spoke h2
        # over TLS 1.3 to that VIP.
        if not have_program(browser.CHROMIUM):
            self.skipTest(f"{browser.CHROMIUM} is not installed (scripts/install-deps.sh installs it)")
        c = self.c
        netlog = os.path.join(c.dir, "chromium-netlog.json")
        rc, dom, err = browser.load_page(f"https://{SERVER_NAME}/", name=SERVER_NAME, address=VIP_B,
                                         cert_path=c.cert, profile_dir=os.path.join(c.dir, "chromium-profile"),
                                         netlog=netlog, prefix=c.topo.exec_argv(CLIENT_HOST, []))
        self.assertEqual(rc, 0, err)
        self.assertRegex(dom, r">backend[123]<", dom + err)
        with open(netlog, encoding="utf-8") as f:
            log = f.read()
        self.assertIn(f'"address":"{VIP_B}:{TLS_PORT}"', log)
        self.assertIn('"next_proto":"h2"', log)
        self.assertIn('"version":"TLS 1.3"', log)

    def test_kill_edge1_moves_only_a_and_sessions_stay(self):
        c = self.c
        view = self.lbctl_status()
        self.assertEqual(self.instance_view(view), {"a": (["edge1"], ["edge1"]), "b": (["edge2"], ["edge2"])},
                         json.dumps(view)[:3000])
        sessions = self.sessions()
        backends = {b for _, _, _, b in sessions}
        self.assertGreater(len(backends), 1, "sessions should spread over the backends")
        # The learned entries reach the survivor before the kill (sync: 50 ms flush).
        learned = {ck.split("=", 1)[1] for _, port, ck, _ in sessions if port == 80}
        wait_until(lambda: learned <= set(c.stick("edge2")), 5, 0.05,
                   what=lambda: f"edge2 holding every learned SID: {sorted(learned - set(c.stick('edge2')))[:5]}")
        probe = c.start_probe(duration_s=30, interval_ms=5, target=f"{VIP_B}:80", name="probe-b")
        probe.wait_success(timeout=5)
        t_kill = self.kill_edge1()
        self.wait_a_on_edge2()
        t_moved = time.monotonic()
        # Keep probing B for a while after a moved: nothing on B may flicker.
        probe.wait_past(t_moved + 1.0, timeout=5)
        log = probe.stop()
        around = log.between(t_kill - 0.5, t_moved + 1.0)
        self.assertGreater(len(around.successes), 100, around.summary(t_kill))
        self.assertEqual(around.failure_count(), 0, "B's clients saw failures\n" + around.summary(t_kill))
        self.assertEqual(set(around.nodes()), {"edge2"}, around.summary(t_kill))
        self.assertEqual(c.vip_holders(VIP_B), ["edge2"], self.describe())
        self.assertEqual(c.roles("b"), {"edge1": "-", "edge2": "MASTER", "edge3": "BACKUP"}, self.describe())
        self.assertEqual(c.roles("a"), {"edge1": "-", "edge2": "MASTER", "edge3": "BACKUP"}, self.describe())
        print(f"\nFIGURE active_active a_moved_ms={1000 * (t_moved - t_kill):.0f} "
              f"b_probe_ok={len(around.successes)} b_probe_failed={around.failure_count()}",
              file=sys.stderr, flush=True)
        # Every session keeps its backend, through either VIP (both on edge2 now).
        moved = []
        for vip, port, cookie, backend in sessions:
            for via in (VIP_A, VIP_B):
                h = c.get(via, port, "/again", cookie)
                if h.get("x-backend") != backend or h.get("x-tandem-node") != "edge2":
                    moved.append(f"{cookie} via {via}:{port}: {backend} -> {h.get('x-backend')} "
                                 f"on {h.get('x-tandem-node')}")
        self.assertEqual(moved, [], f"{len(moved)}/{2 * len(sessions)} lost their backend")
        view = self.lbctl_status()
        self.assertEqual(self.instance_view(view), {"a": (["edge2"], ["edge2"]), "b": (["edge2"], ["edge2"])},
                         json.dumps(view)[:3000])

    def test_tls_stream_and_resumption_across_the_kill(self):
        c = self.c
        sess_dir = os.path.join(c.dir, "tls-sessions")
        os.makedirs(sess_dir, exist_ok=True)
        first = {}
        for version in ("-tls1_2", "-tls1_3"):
            sess = os.path.join(sess_dir, f"{version.strip('-')}.pem")
            out = self.s_client(version, sess, "-sess_out")
            self.assertIn("x-tandem-node: edge1", out.lower(), out[-3000:])
            self.assertIn("New,", out, out[-3000:])
            self.assertTrue(os.path.getsize(sess) > 0, f"s_client wrote no session for {version}")
            first[version] = sess
        stream = TlsStream(c, VIP_A).start()
        wait_until(lambda: len(stream.answered) >= 20, 5, 0.02, what="20 TLS answers before the kill")
        t_kill = self.kill_edge1()
        self.wait_a_on_edge2()
        wait_until(lambda: any(r.ok and r.node == "edge2" for r in stream.requests[-50:]), 5, 0.02,
                   what="the TLS stream served by edge2")
        wait_until(lambda: len([r for r in stream.requests if r.ok and r.node == "edge2"]) >= 50, 5, 0.02,
                   what="50 TLS answers from edge2")
        stream.stop()
        reqs = list(stream.requests)
        first_new = min(r.t_sent for r in reqs if r.ok and r.node == "edge2")
        failed = [r for r in reqs if not r.ok]
        on_new = [r for r in failed if r.conn_opened > t_kill]
        last_seq = max(r.seq for r in reqs)
        unanswered = [s for s in range(last_seq) if s not in stream.answered]
        summary = (f"kill->first edge2 answer {1000 * (first_new - t_kill):.0f} ms, {len(reqs)} requests, "
                   f"{len(failed)} failed writes, {stream.connects_failed} failed connects, "
                   f"failures: {[(r.seq, r.conn, r.error) for r in failed][:10]}")
        print(f"\nFIGURE tls_failover reconnect_ms={1000 * (first_new - t_kill):.0f} "
              f"failed_writes={len(failed)} failed_connects={stream.connects_failed} requests={len(reqs)}",
              file=sys.stderr, flush=True)
        self.assertLess(first_new - t_kill, RECONNECT_BOUND_S, summary)
        self.assertEqual(on_new, [], "requests failed on connections made after the kill: " + summary)
        # Only a request in flight at the kill (one per old connection at most) failed.
        self.assertLessEqual(len(failed), 1, summary)
        self.assertEqual(unanswered, [], summary)
        # Resumption on edge2 from the sessions edge1 issued.
        for version, sess in first.items():
            out = self.s_client(version, sess, "-sess_in")
            self.assertIn("x-tandem-node: edge2", out.lower(), out[-3000:])
            self.assertIn("Reused,", out, f"{version}: not resumed on edge2\n{out[-3000:]}")

    def test_websocket_across_planned_failover(self):
        """A WebSocket through A's VIP while `lbctl failover` moves a to edge3
        (docs/websocket.md): the old master's proxy keeps running, but the
        client's next frame reaches edge3, which has no such connection and
        resets it; the client sees the close (1006) at once and reconnects,
        now through edge3. B's WebSocket on edge2 is not touched."""
        c = self.c
        result: dict = {}

        async def scenario():
            import asyncio
            import websockets

            async def open_ws(vip):
                sock = c.topo.socket(CLIENT_HOST)
                sock.settimeout(2)
                sock.connect((vip, WS_PORT))
                sock.setblocking(False)
                ws = await asyncio.wait_for(websockets.connect(f"ws://{vip}:{WS_PORT}/chat", sock=sock,
                                                               ping_interval=None, open_timeout=2), 3)
                hello = await asyncio.wait_for(ws.recv(), 2)
                return ws, hello

            async def echo(ws, text):
                await ws.send(text)
                return await asyncio.wait_for(ws.recv(), 2)

            ws_a, result["hello_a"] = await open_ws(VIP_A)
            ws_b, result["hello_b"] = await open_ws(VIP_B)
            result["echo_a_before"] = await echo(ws_a, "a1")
            result["echo_b_before"] = await echo(ws_b, "b1")
            code = await asyncio.get_running_loop().run_in_executor(
                None, lambda: self.lbctl("failover", "--instance", "a", "--to", "edge3"))
            result["lbctl"] = (code, self.lbctl_output)
            t0 = time.monotonic()
            try:
                result["echo_a_after"] = await echo(ws_a, "a2")
            except websockets.ConnectionClosed as e:
                result["a_closed"] = (e.rcvd.code if e.rcvd else None, type(e).__name__,
                                      time.monotonic() - t0)
                result["a_cause"] = repr(e.__cause__)
            except asyncio.TimeoutError:
                result["a_closed"] = ("timeout", "", time.monotonic() - t0)
            result["echo_b_after"] = await echo(ws_b, "b2")
            ws_a2, result["hello_a2"] = await open_ws(VIP_A)
            result["echo_a2"] = await echo(ws_a2, "a3")
            for ws in (ws_a, ws_a2, ws_b):
                await ws.close()

        import asyncio
        asyncio.run(asyncio.wait_for(scenario(), 40))
        msg = f"{result}\n{self.describe()}"
        self.assertEqual(result["lbctl"][0], 0, msg)
        self.assertEqual((result["echo_a_before"], result["echo_b_before"]), ("a1", "b1"), msg)
        self.assertEqual(c.masters("a"), ["edge3"], msg)
        self.assertEqual(c.vip_holders(VIP_A), ["edge3"], msg)
        self.assertTrue(c.alive("edge1", "proxy"), msg)
        # A's old tunnel is gone for the client, quickly (a reset, not a timeout).
        self.assertIn("a_closed", result, msg)
        self.assertIsNone(result["a_closed"][0], msg)       # no close frame: 1006
        self.assertIn("ConnectionResetError", result.get("a_cause", ""), msg)
        self.assertLess(result["a_closed"][2], 1.0, msg)
        # B's tunnel on edge2 carried on; a new tunnel on A's VIP works.
        self.assertEqual(result["echo_b_after"], "b2", msg)
        self.assertTrue(result["hello_a2"].startswith("hello backend"), msg)
        self.assertEqual(result["echo_a2"], "a3", msg)
        # The old master never hears of the reset: its half of the tunnel (and
        # the backend connection) stays until timeouts.tunnel_ms. Reported, not asserted.
        orphaned = self.tunnels_active("edge1")
        print(f"\nFIGURE ws_failover a_closed_after_ms={1000 * result['a_closed'][2]:.0f} "
              f"old_master_tunnels_active={orphaned}", file=sys.stderr, flush=True)

    def tunnels_active(self, node: str) -> int | None:
        """tandem_tunnels_active{listener="ws"} of node's proxy (None: not found)."""
        got = self.c.proxy_admin(node, "/metrics")
        text = got[1] if isinstance(got, tuple) else str(got)
        for line in text.splitlines():
            if line.startswith('tandem_tunnels_active{listener="ws"}'):
                return int(float(line.split()[-1]))
        return None


if __name__ == "__main__":
    unittest.main()
