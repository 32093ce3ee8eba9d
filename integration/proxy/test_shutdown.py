"""lb-proxy stopped while every kind of session is still open exits 0.

When SIGTERM's drain grace runs out, the process ends with sessions in the
middle of their work: their coroutine frames are destroyed by the shutdown,
not resumed. Those frames release upstream slots, connection counts and
pooled buffers as they go, so the shutdown must destroy them while the
worker's and the control thread's objects they touch still exist. One proxy
is stopped here holding: an h2 connection with a stream waiting on a slow
server, a half-sent upload, an HTTP/1.1 request waiting on a slow server
(in plain text and over TLS), a TLS handshake half done,
an idle keep-alive client with its idle upstream connection in the pool, a
TCP-mode session, a client queued behind a full listener (max_connections),
a WebSocket-style tunnel after a 101, and a half-sent admin request. It must
exit 0 (the harness also fails a crash signal at stop), and every client
must see its connection closed rather than left hanging."""

import socket
import ssl
import struct
import time
import unittest

from lib import backend, cluster_file, processes
from lib.wait import wait_until
from proxy.common import DEFAULTS, ProxyCase, ThreadedListener, read_head
from proxy.test_tls import TestPki

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
# GET /slow with :authority "a": HPACK static-table indexes and two literals.
GET_SLOW_BLOCK = b"\x82\x86\x44\x05/slow\x41\x01a"
GRACE_MS = 600


def frame(ftype, flags, stream, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([ftype, flags]) + struct.pack(">I", stream) + payload


def closed_by_peer(sock, timeout=5):
    """Reads SOCK until the peer closes it (EOF, a reset, a TLS connection
    cut without close_notify): True; or TIMEOUT seconds pass: False."""
    sock.settimeout(timeout)
    try:
        while sock.recv(65536):
            pass
        return True
    except socket.timeout:
        return False
    except OSError:  # ConnectionResetError, ssl.SSLEOFError
        return True


class UpgradingBackend(ThreadedListener):
    """Answers any request with a 101 and then echoes bytes: a tunnel."""

    def _one(self, conn):
        with conn:
            conn.settimeout(30)
            if read_head(conn) is None:
                return
            conn.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
            try:
                while chunk := conn.recv(4096):
                    conn.sendall(chunk)
            except OSError:
                pass


class StopWithOpenSessions(ProxyCase):

    def connect(self, address):
        s = socket.create_connection(address, timeout=5)
        self.addCleanup(s.close)
        return s

    def test_sigterm_with_sessions_open_everywhere_exits_0_and_closes_them(self):
        web, = self.backends(1, delays=[("/slow", 30.0)])
        echo = backend.Backend(self.h, "echo", tcp_echo=True)
        tunnel_backend = UpgradingBackend(self)
        pki = TestPki(self.h.path(""))
        cert, key = pki.leaf("a", ["a.test"])
        defaults = {**DEFAULTS, "timeouts": {**DEFAULTS["timeouts"], "drain_grace_ms": GRACE_MS}}
        self.p = self.start_proxy(
            [cluster_file.pool("app", [web], "ROUND_ROBIN"),
             cluster_file.pool("echo", [echo], "ROUND_ROBIN"),
             cluster_file.pool("up", [("up", tunnel_backend.address)], "ROUND_ROBIN")],
            listeners=[cluster_file.listener("web", "HTTP", "app"),
                       cluster_file.listener("tcp", "TCP", "echo"),
                       cluster_file.listener("full", "HTTP", "app", max_connections=1),
                       cluster_file.listener("ws", "HTTP", "up"),
                       cluster_file.listener("tls", "HTTP", "app",
                                             tls={"certificates": [{"cert_file": cert, "key_file": key}]})],
            defaults=defaults, workers=1)
        for pool in ("app", "echo", "up"):
            self.p.wait_usable(pool)
        web_address = self.p.address("web")
        open_clients = {}

        # h2 by prior knowledge, one stream waiting on the slow server.
        h2 = self.connect(web_address)
        h2.sendall(PREFACE + frame(0x4, 0, 0) + frame(0x1, 0x5, 1, GET_SLOW_BLOCK))
        open_clients["h2 stream"] = h2
        # An upload whose body stops after 1000 of its 1 MB.
        upload = self.connect(web_address)
        upload.sendall(b"POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 1000000\r\n\r\n" + b"x" * 1000)
        open_clients["half-sent upload"] = upload
        # An HTTP/1.1 request waiting on the slow server.
        slow = self.connect(web_address)
        slow.sendall(b"GET /slow HTTP/1.1\r\nHost: a\r\n\r\n")
        open_clients["request in flight"] = slow
        # An idle keep-alive client whose upstream connection went back to the pool.
        idle = self.connect(web_address)
        idle.sendall(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        idle.settimeout(5)
        self.assertIn(b"200", idle.recv(65536))
        open_clients["idle keep-alive"] = idle
        # A TCP-mode session with bytes crossing.
        tcp = self.connect(self.p.address("tcp"))
        tcp.sendall(b"ping")
        tcp.settimeout(5)
        self.assertEqual(tcp.recv(4), b"ping")
        open_clients["tcp session"] = tcp
        # A full listener: the second client waits for a slot.
        first = self.connect(self.p.address("full"))
        first.sendall(b"GET /slow HTTP/1.1\r\nHost: a\r\n\r\n")
        open_clients["full listener's client"] = first
        # The same over TLS, and a handshake stopped after the ClientHello.
        context = ssl.create_default_context(cafile=pki.ca)
        tls = context.wrap_socket(self.connect(self.p.address("tls")), server_hostname="a.test")
        tls.sendall(b"GET /slow HTTP/1.1\r\nHost: a.test\r\n\r\n")
        open_clients["request in flight over TLS"] = tls
        handshake = self.connect(self.p.address("tls"))
        hello = ssl.MemoryBIO()
        half = context.wrap_bio(ssl.MemoryBIO(), hello, server_hostname="a.test")
        with self.assertRaises(ssl.SSLWantReadError):
            half.do_handshake()
        handshake.sendall(hello.read())
        open_clients["half-done TLS handshake"] = handshake
        wait_until(lambda: web.inflight() == 4, 10,
                   what="the h2 stream and the three slow HTTP/1.1 requests at the backend")
        queued = self.connect(self.p.address("full"))
        queued.sendall(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        # A tunnel after a 101.
        ws = self.connect(self.p.address("ws"))
        ws.sendall(b"GET /chat HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n")
        ws.settimeout(5)
        self.assertIn(b" 101 ", ws.recv(65536))
        ws.sendall(b"frame")
        self.assertEqual(ws.recv(5), b"frame")
        open_clients["tunnel"] = ws
        # Half an admin request.
        admin = self.connect(self.p.admin)
        admin.sendall(b"GET /status HTTP/1.1\r\n")
        open_clients["half-sent admin request"] = admin

        sent = time.monotonic()
        self.p.terminate()
        rc = self.p.proc.wait(timeout=GRACE_MS / 1000 + 10)
        took = time.monotonic() - sent
        self.assertEqual(rc, 0, self.p.proc.tail())
        self.assertGreaterEqual(took, GRACE_MS / 1000 * 0.8, "exited before the drain grace with sessions open")
        for what, s in open_clients.items():
            self.assertTrue(closed_by_peer(s), f"the {what} was left open after the proxy exited")
        self.assertFalse(processes.can_connect(*web_address), "the listener outlived the process")


if __name__ == "__main__":
    unittest.main()
