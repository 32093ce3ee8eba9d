"""HTTP/2 to clients by prior knowledge (h2c) on an HTTP listener: curl and
h2load are served through the same phases as HTTP/1.1 (stickiness,
forwarding headers, error pages, limits), and the three known floods
(rapid reset, CONTINUATION, PING/SETTINGS) are cut with GOAWAY
ENHANCE_YOUR_CALM while other clients go on being served. docs/http2.md."""

import re
import shutil
import socket
import struct
import subprocess
import threading
import time
import unittest

from lib import cluster_file, load, proxy
from lib.wait import wait_until
from proxy.common import DEFAULTS, ProxyCase, ThreadedListener, read_head

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
ENHANCE_YOUR_CALM = 0xB
# GET / with :authority "a": HPACK static-table indexes and one literal.
GET_BLOCK = b"\x82\x86\x84\x41\x01a"

# Flood limits low enough to trip in a fraction of a second, far above
# what curl and h2load send.
HTTP2 = {"max_concurrent_streams": 64, "max_resets_per_window": 100, "max_control_frames_per_window": 200,
         "max_header_frames": 8}


def frame(ftype, flags, stream, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([ftype, flags]) + struct.pack(">I", stream) + payload


def h2_curl(url, *extra, max_time=10.0):
    """curl over h2c by prior knowledge; returns an Outcome (load.curl)."""
    return load.curl(url, max_time=max_time, extra=["--http2-prior-knowledge", *extra])


def read_goaway(sock, timeout=5.0):
    """Reads frames until the peer closes or TIMEOUT passes; returns
    (the first GOAWAY's error code or None, whether the peer closed)."""
    sock.settimeout(timeout)
    data, deadline, code = b"", time.monotonic() + timeout, None
    closed = False
    while time.monotonic() < deadline:
        try:
            chunk = sock.recv(65536)
        except (ConnectionResetError, BrokenPipeError):
            closed = True
            break
        except socket.timeout:
            break
        if not chunk:
            closed = True
            break
        data += chunk
    at = 0
    while at + 9 <= len(data):
        length = int.from_bytes(data[at:at + 3], "big")
        if data[at + 3] == 0x7 and code is None and length >= 8:
            code = int.from_bytes(data[at + 9 + 4:at + 9 + 8], "big")
        at += 9 + length
    return code, closed


def send_all(sock, payload):
    """Sends PAYLOAD, stopping quietly when the proxy has closed on us."""
    try:
        sock.sendall(payload)
        return True
    except (BrokenPipeError, ConnectionResetError):
        return False


class Http2(ProxyCase):

    def setUp(self):
        super().setUp()
        self.bs = self.backends(2)
        defaults = {**DEFAULTS, "http_limits": {**DEFAULTS["http_limits"], "max_body_bytes": 1 << 20}}
        self.p = self.start_proxy(
            [cluster_file.pool("app", self.bs, "ROUND_ROBIN",
                               stickiness={"kind": "INSERT_COOKIE", "cookie": "TDM", "ttl_ms": 60000}),
             cluster_file.pool("gone", [("dead", f"127.0.0.1:{self.closed_port()}")], "ROUND_ROBIN")],
            listeners=[cluster_file.listener("web", "HTTP", "app", http2=HTTP2),
                       cluster_file.listener("dead", "HTTP", "gone"),
                       cluster_file.listener("h1only", "HTTP", "app", http2={"enabled": False})],
            defaults=defaults, workers=1)
        self.p.wait_usable("app")
        self.host, self.port = self.p.address("web")

    @staticmethod
    def closed_port():
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        return port

    def assert_served_during(self, attack, clients=2, at_least=5):
        """Runs ATTACK (returns what it wants asserted) while CLIENTS threads
        request over h2c in a bounded loop; every request must succeed."""
        outcomes, stop = [], threading.Event()

        def client():
            for _ in range(200):
                if stop.is_set():
                    break
                outcomes.append(h2_curl(self.p.url("web")))

        threads = [threading.Thread(target=client) for _ in range(clients)]
        for t in threads:
            t.start()
        try:
            result = attack()
            wait_until(lambda: len(outcomes) >= at_least, timeout=20)
        finally:
            stop.set()
            for t in threads:
                t.join(timeout=30)
        bad = [o for o in outcomes if o.status != 200]
        self.assertEqual(bad, [], f"{len(bad)} of {len(outcomes)} clients failed during the attack")
        return result

    def test_curl_by_prior_knowledge_gets_the_http1_treatment(self):
        o = h2_curl(self.p.url("web", "/hello"))
        self.assertEqual(o.status, 200, o)
        self.assertIn(o.backend, {"b1", "b2"}, o)
        # Forwarding fields as for HTTP/1.1, our node's name, no hop-by-hop field.
        self.assertEqual(o.headers.get("x-seen-xff"), "127.0.0.1", o.headers)
        self.assertEqual(o.headers.get("x-seen-xfp"), "http", o.headers)
        self.assertIn("for=127.0.0.1", o.headers.get("x-seen-forwarded", ""), o.headers)
        self.assertEqual(o.headers.get("x-seen-host"), f"{self.host}:{self.port}", o.headers)
        self.assertIn("x-tandem-node", o.headers)
        self.assertNotIn("connection", o.headers)
        # Stickiness: the inserted cookie brings the client back to its server,
        # and is not passed to the application.
        cookie = next(c for c in o.set_cookies if c.startswith("TDM="))
        value = cookie.split(";", 1)[0]
        for _ in range(6):
            again = h2_curl(self.p.url("web"), "--cookie", value)
            self.assertEqual((again.status, again.backend), (200, o.backend), again)
            self.assertNotIn("TDM", again.headers.get("x-seen-cookie", ""), again.headers)
        # HTTP/1.1 on the same listener is unchanged.
        h1 = load.curl(self.p.url("web"))
        self.assertEqual(h1.status, 200, h1)
        # A listener with http2 off answers the preface as HTTP/1.1 does.
        reply = load.raw_exchange(*self.p.address("h1only"), PREFACE + frame(0x4, 0, 0))
        self.assertEqual(reply.status, 505, reply)

    def test_request_bodies_and_limits(self):
        body = self.h.write("body.bin", "x" * 200_000)
        o = h2_curl(self.p.url("web", "/upload"), "--data-binary", f"@{body}")
        self.assertEqual(o.status, 200, o)
        self.assertEqual(o.headers.get("x-seen-content-length"), "200000", o.headers)
        big = self.h.write("big.bin", "x" * (2 << 20))
        o = h2_curl(self.p.url("web", "/upload"), "--data-binary", f"@{big}")
        self.assertEqual(o.status, 413, o)
        self.assertIn("413", o.body)
        o = h2_curl(self.p.url("web"), "-H", "X-Big: " + "y" * 20000)
        self.assertEqual(o.status, 431, o)
        # No server answers: the HTTP/1.1 path's 502 page, over HTTP/2.
        o = h2_curl(self.p.url("dead"))
        self.assertEqual(o.status, 502, o)
        self.assertIn("could not connect", o.body)

    @unittest.skipUnless(shutil.which("h2load"), "h2load (nghttp2-client) is not installed")
    def test_h2load_many_streams_per_connection(self):
        r = subprocess.run(["h2load", "-n", "4000", "-c", "4", "-m", "32", self.p.url("web")],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
        out = r.stdout.decode()
        m = re.search(r"requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed", out)
        self.assertIsNotNone(m, out)
        self.assertEqual(int(m.group(4)), 4000, out)
        self.assertRegex(out, r"status codes: 4000 2xx", out)
        self.assertIn("h2c", out)

    def test_rapid_reset_is_cut_and_others_served(self):
        def attack():
            s = socket.create_connection((self.host, self.port), timeout=5)
            burst = b"".join(frame(0x1, 0x5, sid, GET_BLOCK) + frame(0x3, 0, sid, struct.pack(">I", 8))
                             for sid in range(1, 2 * 1000, 2))  # HEADERS then RST_STREAM CANCEL, 1000 times
            send_all(s, PREFACE + frame(0x4, 0, 0) + burst)
            code, closed = read_goaway(s)
            s.close()
            return code, closed

        mark = self.p.proc.mark()
        code, closed = self.assert_served_during(attack)
        self.assertEqual(code, ENHANCE_YOUR_CALM)
        self.assertTrue(closed)
        self.p.proc.wait_for_line(r"h2_connection_ended .*cause=reset_flood", timeout=5, since=mark)

    def test_continuation_flood_is_cut_and_others_served(self):
        def attack():
            s = socket.create_connection((self.host, self.port), timeout=5)
            # A header block that never ends: HEADERS without END_HEADERS, then
            # CONTINUATION frames, each a literal field of 1 KiB.
            field = b"\x00\x01x\x7f\x81\x07" + b"v" * 1024  # value length 127 + 0x81 + (7 << 7) = 1024
            payload = PREFACE + frame(0x4, 0, 0) + frame(0x1, 0x1, 1, GET_BLOCK)
            payload += b"".join(frame(0x9, 0, 1, field) for _ in range(2000))
            send_all(s, payload)
            code, closed = read_goaway(s)
            s.close()
            return code, closed

        mark = self.p.proc.mark()
        code, closed = self.assert_served_during(attack)
        self.assertEqual(code, ENHANCE_YOUR_CALM)
        self.assertTrue(closed)
        self.p.proc.wait_for_line(r"h2_connection_ended .*cause=header_flood", timeout=5, since=mark)

    def test_ping_and_settings_floods_are_cut_and_others_served(self):
        def attack(ftype, payload):
            s = socket.create_connection((self.host, self.port), timeout=5)
            send_all(s, PREFACE + frame(0x4, 0, 0) + frame(ftype, 0, 0, payload) * 5000)
            code, closed = read_goaway(s)
            s.close()
            return code, closed

        for name, ftype, payload in (("PING", 0x6, b"12345678"), ("SETTINGS", 0x4, b"")):
            mark = self.p.proc.mark()
            code, closed = self.assert_served_during(lambda: attack(ftype, payload))
            self.assertEqual(code, ENHANCE_YOUR_CALM, name)
            self.assertTrue(closed, name)
            self.p.proc.wait_for_line(r"h2_connection_ended .*cause=control_flood", timeout=5, since=mark)
        self.assertEqual(h2_curl(self.p.url("web")).status, 200)

    def test_a_bad_http2_option_is_refused_at_check_time(self):
        text = self.p.render().replace("max_concurrent_streams: 64", "initial_window_bytes: 3000000000")
        path = self.h.write("bad.conf", text)
        rc, out = proxy.check_config(path)
        self.assertEqual(rc, 1, out)
        self.assertRegex(out, re.escape(path) + r":\d+:\d+: error: .*initial_window_bytes must be at most 2147483647")


def pattern(n):
    """N bytes of a repeating ASCII text (any shift or loss shows in a comparison)."""
    unit = "".join(f"{i:05d}," for i in range(1000))
    return (unit * (n // len(unit) + 1))[:n]


class ShapedBackend(ThreadedListener):
    """HTTP/1.1 keep-alive answers of every framing a response body can have:
    /big a long body with Content-Length, /chunked one in many chunks, /close
    one delimited by the close, /stall never answers; anything else "ok"."""

    BIG = 1_500_000
    CHUNK, CHUNKS = 10_000, 30

    def _one(self, conn):
        data = b""
        with conn:
            while True:
                got = read_head(conn, data)
                if got is None:
                    return
                head, data = got
                path = head.split(b" ", 2)[1].decode()
                if path == "/stall":
                    while conn.recv(65536):  # until the proxy gives up on us
                        pass
                    return
                if path == "/big":
                    body = pattern(self.BIG).encode()
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
                elif path == "/chunked":
                    body = pattern(self.CHUNK * self.CHUNKS).encode()
                    conn.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
                    for at in range(0, len(body), self.CHUNK):
                        conn.sendall(b"%x\r\n" % self.CHUNK + body[at:at + self.CHUNK] + b"\r\n")
                    conn.sendall(b"0\r\n\r\n")
                elif path == "/close":
                    conn.sendall(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + pattern(100_000).encode())
                    return
                else:
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")


class Http2Relay(ProxyCase):
    """Response bodies of every framing cross HTTP/2 whole, a client slower
    than its server gets every byte (the proxy stops reading the server while
    the client is behind), and a server that never answers gets a 504 after
    server_ms."""

    def setUp(self):
        super().setUp()
        self.backend = ShapedBackend(self)
        defaults = {**DEFAULTS, "timeouts": {**DEFAULTS["timeouts"], "server_ms": 1000}}
        self.p = self.start_proxy([cluster_file.pool("shaped", [("s1", self.backend.address)], "ROUND_ROBIN")],
                                  listeners=[cluster_file.listener("web", "HTTP", "shaped", http2=HTTP2)],
                                  defaults=defaults, workers=1)
        self.p.wait_usable("shaped")

    def test_every_body_framing_and_a_slow_client(self):
        # 1.5 MB at 3 MB/s: the stream's 256 KiB backlog fills, the server waits.
        o = h2_curl(self.p.url("web", "/big"), "--limit-rate", "3M")
        self.assertEqual(o.status, 200, o)
        self.assertEqual(len(o.body), ShapedBackend.BIG)
        self.assertTrue(o.body == pattern(ShapedBackend.BIG), "the body changed on its way")
        o = h2_curl(self.p.url("web", "/chunked"))
        self.assertEqual(o.status, 200, o)
        self.assertTrue(o.body == pattern(ShapedBackend.CHUNK * ShapedBackend.CHUNKS), "the chunked body changed")
        o = h2_curl(self.p.url("web", "/close"))
        self.assertEqual(o.status, 200, o)
        self.assertTrue(o.body == pattern(100_000), "the body read until the close changed")
        # Several streams of one connection at once, all whole.
        urls = [self.p.url("web", "/big")] * 4 + [self.p.url("web", "/chunked")] * 4
        argv = ["curl", "-sS", "--http2-prior-knowledge", "--parallel", "--parallel-immediate", "--max-time", "20",
                "-w", "%{http_code} %{size_download}\n"]
        for url in urls:
            argv += ["-o", "/dev/null", url]
        r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, timeout=30)
        got = sorted(r.stdout.decode().splitlines())
        self.assertEqual(got, sorted([f"200 {ShapedBackend.BIG}"] * 4 +
                                     [f"200 {ShapedBackend.CHUNK * ShapedBackend.CHUNKS}"] * 4), got)

    def test_a_server_that_never_answers_gets_a_504_after_server_ms(self):
        o = h2_curl(self.p.url("web", "/stall"))
        self.assertEqual(o.status, 504, o)
        self.assertGreater(o.elapsed, 0.9, o)
        self.assertLess(o.elapsed, 5, o)
        # The connection's other streams were not held up.
        self.assertEqual(h2_curl(self.p.url("web", "/")).status, 200)


if __name__ == "__main__":
    unittest.main()
