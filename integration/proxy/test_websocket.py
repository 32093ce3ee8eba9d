"""WebSocket and HTTP Upgrade through an HTTP listener, with python3-websockets
on both ends: the handshake reaches the backend whole, the connection then
carries frames both ways (large ones too) and the close handshake in either
direction; the tunnel counts for LEAST_CONNECTIONS, follows stickiness, has
its own idle limit, survives a reload and lasts a drain's grace period.
A raw backend checks the edges: h2c is stripped, HTTP/1.0 gets no upgrade, a
non-101 answer keeps HTTP semantics, a 101 nobody asked for is a 502."""

import asyncio
import os
import signal
import socket
import subprocess
import time

import websockets

from lib import cluster_file
from lib.wait import wait_until
from lib.ws_backend import READY_RE
from proxy.common import DEFAULTS, ProxyCase, ThreadedListener, read_head, read_until_eof


def ws_backends(case, n):
    out = []
    for i in range(1, n + 1):
        proc, m = case.h.start_python_module(f"ws{i}", "lib.ws_backend", ["--name", f"ws{i}"], ready=READY_RE)
        out.append((f"ws{i}", f"127.0.0.1:{m.group(1)}"))
    return out


class RawBackend(ThreadedListener):
    """One-shot scripted HTTP backend in a thread: records each request head
    (and body, by Content-Length) and answers with ANSWER; after a 101 it
    echoes bytes until EOF."""

    def __init__(self, case, answer):
        self.answer = answer
        self.requests = []
        super().__init__(case, backlog=16)

    def _one(self, conn):
        conn.settimeout(10)
        data = b""
        try:
            while True:
                got = read_head(conn, data)
                if got is None:
                    return
                head, data = got
                length = 0
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                while len(data) < length:
                    data += conn.recv(65536)
                body, data = data[:length], data[length:]
                self.requests.append((head.decode(), body))
                conn.sendall(self.answer)
                if self.answer.startswith(b"HTTP/1.1 101"):
                    if data:
                        conn.sendall(data)
                    while True:
                        chunk = conn.recv(65536)
                        if not chunk:
                            conn.shutdown(socket.SHUT_WR)
                            return
                        conn.sendall(chunk)
        except OSError:
            return
        finally:
            conn.close()


def exchange(sock, request, timeout=5):
    """Sends REQUEST, returns everything until EOF or TIMEOUT of silence."""
    sock.settimeout(timeout)
    if request:
        sock.sendall(request)
    return read_until_eof(sock, timeout)


def head_fields(head):
    return {line.partition(":")[0].strip().lower(): line.partition(":")[2].strip()
            for line in head.split("\r\n")[1:]}


class WebSocketEcho(ProxyCase):
    """python3-websockets client -> lb-proxy -> python3-websockets server."""

    def setUp(self):
        super().setUp()
        self.ws = ws_backends(self, 2)
        lc = cluster_file.pool("lc", self.ws, "LEAST_CONNECTIONS")
        sticky = cluster_file.pool("sticky", self.ws, "LEAST_CONNECTIONS", stickiness={"kind": "SOURCE_IP"})
        defaults = dict(DEFAULTS, timeouts=dict(DEFAULTS["timeouts"], drain_grace_ms=1500))
        # One worker: least connections counts per worker (its load view).
        self.p = self.start_proxy([lc, sticky], defaults=defaults, workers=1, listeners=[
            cluster_file.listener("web", "HTTP", "lc"),
            cluster_file.listener("stuck", "HTTP", "sticky"),
            cluster_file.listener("short", "HTTP", "lc", timeouts={"tunnel_ms": 400}),
        ])
        self.p.wait_usable("lc")
        self.p.wait_usable("sticky")

    def uri(self, listener="web"):
        host, port = self.p.address(listener)
        return f"ws://{host}:{port}/chat"

    def run_async(self, coro, timeout=30):
        return asyncio.run(asyncio.wait_for(coro, timeout))

    def metric(self, name, listener="web"):
        return self.p.metrics().value(name, listener=listener) or 0

    def test_echo_large_frames_and_close_handshake_both_ways(self):
        big = os.urandom(4 << 20)

        async def scenario():
            async with websockets.connect(self.uri(), max_size=None, ping_interval=None) as ws:
                hello = await ws.recv()
                self.assertRegex(hello, r"^hello ws\d$")
                self.assertEqual(self.metric("tandem_tunnels_active"), 1)
                await ws.send("text frame")
                self.assertEqual(await ws.recv(), "text frame")
                await ws.send(big)  # 4 MiB in one binary frame
                self.assertEqual(await ws.recv(), big)
            # The client's close: the server answered it through the proxy.
            self.assertEqual(ws.close_code, 1000)
            async with websockets.connect(self.uri(), ping_interval=None) as ws:
                await ws.recv()
                await ws.send("close")  # the server starts the close handshake
                with self.assertRaises(websockets.ConnectionClosed):
                    await ws.recv()
                self.assertEqual(ws.close_code, 4000)
                self.assertRegex(ws.close_reason, r"^bye from ws\d$")
        self.run_async(scenario())
        wait_until(lambda: self.metric("tandem_tunnels_active") == 0, 5, what="tunnels_active back to 0")
        self.assertEqual(self.metric("tandem_tunnels_total"), 2)
        self.assertGreater(self.metric("tandem_bytes_in_total"), len(big))
        self.assertGreater(self.metric("tandem_bytes_out_total"), len(big))

    def test_open_websockets_count_for_least_connections(self):
        async def scenario():
            conns = [await websockets.connect(self.uri(), ping_interval=None) for _ in range(6)]
            names = [await ws.recv() for ws in conns]
            servers = self.p.servers("lc")
            active = {name: servers[name]["active"] for name, _ in self.ws}
            for ws in conns:
                await ws.close()
            return names, active
        names, active = self.run_async(scenario())
        # Each open tunnel holds its server's slot, so the picks alternate.
        self.assertEqual(sorted(names), ["hello ws1"] * 3 + ["hello ws2"] * 3, names)
        self.assertEqual(active, {"ws1": 3, "ws2": 3})

    def test_stickiness_applies_to_the_upgrade_request(self):
        async def scenario():
            conns = [await websockets.connect(self.uri("stuck"), ping_interval=None) for _ in range(4)]
            names = [await ws.recv() for ws in conns]
            for ws in conns:
                await ws.close()
            return names
        names = self.run_async(scenario())
        # Least connections alone would spread them; the source-IP entry keeps them together.
        self.assertEqual(len(set(names)), 1, names)

    def test_tunnel_idle_limit_closes_a_silent_websocket(self):
        async def scenario():
            async with websockets.connect(self.uri("short"), ping_interval=None) as ws:
                await ws.recv()
                for _ in range(4):  # traffic keeps it open past the limit
                    await asyncio.sleep(0.2)
                    await ws.send("x")
                    self.assertEqual(await ws.recv(), "x")
                started = time.monotonic()
                with self.assertRaises(websockets.ConnectionClosed):
                    await asyncio.wait_for(ws.recv(), 5)
                return time.monotonic() - started
        silent = self.run_async(scenario())
        self.assertLess(silent, 3.0)

    def test_reload_keeps_and_drain_ends_an_open_websocket(self):
        async def scenario():
            async with websockets.connect(self.uri(), ping_interval=None) as ws:
                await ws.recv()
                await asyncio.to_thread(self.p.reload)  # SIGHUP: the tunnel stays
                await ws.send("after reload")
                self.assertEqual(await ws.recv(), "after reload")
                self.p.exit_expected = True
                self.p.proc.signal(signal.SIGTERM)  # drain: the tunnel lasts the grace period...
                await asyncio.sleep(0.3)
                await ws.send("while draining")
                self.assertEqual(await ws.recv(), "while draining")
                started = time.monotonic()
                with self.assertRaises(websockets.ConnectionClosed):  # ...then is cut with the process
                    await asyncio.wait_for(ws.recv(), 10)
                return time.monotonic() - started
        cut_after = self.run_async(scenario())
        self.assertLess(cut_after, 5.0)
        self.assertEqual(self.p.proc.wait(10), 0)


class UpgradeEdges(ProxyCase):
    """A scripted backend sees exactly what the proxy forwards."""

    def proxy_to(self, backend):
        self.p = self.start_proxy([cluster_file.pool("raw", [("raw", backend.address)])])
        self.p.wait_usable("raw")

    def client(self):
        s = socket.create_connection(self.p.address("web"), timeout=5)
        self.addCleanup(s.close)
        return s

    def test_upgrade_headers_reach_the_backend_and_early_bytes_cross(self):
        b = RawBackend(self, b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n")
        self.proxy_to(b)
        s = self.client()
        # A body, and bytes sent before the 101: both arrive in order.
        got = exchange(s, b"POST /x HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, Upgrade\r\n"
                          b"Upgrade: echo, h2c\r\nContent-Length: 4\r\n\r\nbodyEARLY", timeout=1)
        head, _, rest = got.partition(b"\r\n\r\n")
        self.assertTrue(head.startswith(b"HTTP/1.1 101"), got)
        fields = head_fields(head.decode())
        self.assertEqual(fields.get("upgrade"), "echo")
        self.assertEqual(fields.get("connection", "").lower(), "upgrade")
        self.assertEqual(rest, b"EARLY")
        s.sendall(b"more")
        s.shutdown(socket.SHUT_WR)  # half-close crosses: the backend closes after echoing
        self.assertEqual(exchange(s, b""), b"more")
        req_head, body = b.requests[0]
        req = head_fields(req_head)
        self.assertEqual(req.get("upgrade"), "echo")  # h2c dropped from the offer
        self.assertIn("upgrade", req.get("connection", "").lower())
        self.assertEqual(body, b"body")

    def test_h2c_only_is_served_as_http11_and_http10_gets_no_upgrade(self):
        b = RawBackend(self, b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        self.proxy_to(b)
        out = subprocess.run(["curl", "-sS", "--http2", "-o", "/dev/null", "-w", "%{http_version} %{http_code}",
                              self.p.url("web", "/h2c")], capture_output=True, text=True, timeout=10)
        self.assertEqual(out.stdout, "1.1 200", out.stderr)
        got = exchange(self.client(), b"GET /old HTTP/1.0\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n")
        self.assertTrue(got.startswith(b"HTTP/1.1 200"), got)  # served, not switched
        for head, _ in b.requests:
            fields = head_fields(head)
            self.assertNotIn("upgrade", fields, head)
            self.assertNotIn("http2-settings", fields, head)

    def test_a_non_101_answer_keeps_http_semantics(self):
        b = RawBackend(self, b"HTTP/1.1 426 Upgrade Required\r\nContent-Length: 4\r\n\r\nnope")
        self.proxy_to(b)
        s = self.client()
        req = b"GET /ws HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n"
        got = exchange(s, req + req, timeout=1)
        # Both answered on the same client connection: keep-alive went on.
        self.assertEqual(got.count(b"HTTP/1.1 426"), 2, got)

    def test_a_101_nobody_asked_for_is_a_502(self):
        b = RawBackend(self, b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
        self.proxy_to(b)
        got = exchange(self.client(), b"GET / HTTP/1.1\r\nHost: a\r\n\r\n", timeout=2)
        self.assertTrue(got.startswith(b"HTTP/1.1 502"), got)
        self.assertEqual(self.p.metrics().value("tandem_tunnels_total", listener="web") or 0, 0)
