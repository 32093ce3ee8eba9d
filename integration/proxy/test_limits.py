"""Limits that protect the proxy: slowloris is cut at request_header_ms while
other clients are served; oversized and too many headers get 431; request
smuggling shapes get 400 and a closed connection, and reach no backend.
Framing edge cases: agreeing Content-Length values reach the backend as one,
a chunk line with a bare LF gets a 400 at once, Expect: 100-continue gets the
proxy's 100 before the body is sent."""

import selectors
import socket
import subprocess
import tempfile
import threading
import time
import unittest

from lib import cluster_file, load
from proxy.common import ProxyCase

HEADER_MS = 1000
MAX_HEADER_BYTES = 4096
MAX_HEADER_COUNT = 20

DEFAULTS = {
    "timeouts": {"connect_ms": 500, "request_header_ms": HEADER_MS, "client_idle_ms": 30000,
                 "server_ms": 5000, "drain_grace_ms": 2000},
    "http_limits": {"max_header_bytes": MAX_HEADER_BYTES, "max_header_count": MAX_HEADER_COUNT},
}


class Limits(ProxyCase):

    def setUp(self):
        super().setUp()
        self.b = self.backends(1)[0]
        self.p = self.start_proxy([cluster_file.pool("app", [self.b])], defaults=DEFAULTS)
        self.p.wait_usable("app")
        self.host, self.port = self.p.address("web")

    def get(self, extra_headers=b""):
        return (b"GET /limits HTTP/1.1\r\nHost: test\r\n" + extra_headers +
                b"Connection: close\r\n\r\n")

    # ---- slowloris --------------------------------------------------------------

    def test_slowloris_is_cut_while_others_are_served(self):
        n_slow, drip_s, bound_s = 10, 0.2, 6.0
        sel = selectors.DefaultSelector()
        socks = []
        for _ in range(n_slow):
            s = socket.create_connection((self.host, self.port), timeout=2)
            s.setblocking(False)
            s.send(b"GET / HTTP/1.1\r\nHost: test\r\nX-Slow: ")
            sel.register(s, selectors.EVENT_READ)
            socks.append(s)
            self.addCleanup(s.close)
        started = time.monotonic()
        cut_at = {}

        def drip():
            # One header byte per socket every 200 ms, until the proxy closes
            # each socket or the bound passes. The 200 ms is the attack's pace.
            while len(cut_at) < n_slow and time.monotonic() - started < bound_s:
                for key, _ in sel.select(timeout=drip_s):
                    s = key.fileobj
                    if s in cut_at:
                        continue
                    try:
                        data = s.recv(4096)  # a 408 may come first; EOF is what counts
                    except ConnectionResetError:
                        data = b""
                    except BlockingIOError:
                        data = None
                    if data == b"":
                        cut_at[s] = time.monotonic() - started
                        sel.unregister(s)
                for s in socks:
                    if s in cut_at:
                        continue
                    try:
                        s.send(b"a")
                    except (BrokenPipeError, ConnectionResetError):
                        cut_at[s] = time.monotonic() - started
                        sel.unregister(s)
                    except BlockingIOError:
                        pass

        t = threading.Thread(target=drip)
        t.start()
        served = []
        probe = load.Probe(self.host, self.port, timeout=2)
        while t.is_alive() and len(served) < 500:
            served.append(probe.one())
        t.join(bound_s + 2)

        self.assertEqual(load.failures(served), [], load.describe(served))
        self.assertGreater(len(served), 5, "the normal client was barely served")
        self.assertEqual(len(cut_at), n_slow,
                         f"{n_slow - len(cut_at)} slowloris sockets still open after {bound_s}s")
        for s, at in cut_at.items():
            self.assertGreaterEqual(at, HEADER_MS / 1000 * 0.8, f"cut before the timeout: {at:.2f}s")
            self.assertLessEqual(at, HEADER_MS / 1000 + 1.5, f"cut too late: {at:.2f}s")

    # ---- header size and count ------------------------------------------------------

    def test_oversized_header_gets_431(self):
        r = load.raw_exchange(self.host, self.port,
                              self.get(b"X-Big: " + b"a" * (2 * MAX_HEADER_BYTES) + b"\r\n"))
        self.assertEqual(r.status, 431, r.data[:200])
        self.assertTrue(r.closed, "connection left open after 431")
        self.assertNotIn(b"X-Backend", r.data)

    def test_too_many_headers_get_431(self):
        many = b"".join(b"X-H%d: v\r\n" % i for i in range(MAX_HEADER_COUNT + 30))
        r = load.raw_exchange(self.host, self.port, self.get(many))
        self.assertEqual(r.status, 431, r.data[:200])
        self.assertTrue(r.closed, "connection left open after 431")

    def test_headers_within_limits_pass(self):
        some = b"".join(b"X-H%d: v\r\n" % i for i in range(MAX_HEADER_COUNT // 2))
        big = b"X-Big: " + b"a" * (MAX_HEADER_BYTES // 2) + b"\r\n"
        r = load.raw_exchange(self.host, self.port, self.get(some + big))
        self.assertEqual(r.status, 200, r.data[:200])
        self.assertIn(b"X-Backend: b1", r.data)

    # ---- request smuggling ----------------------------------------------------------------

    def assert_rejected(self, payload, smuggled_path):
        r = load.raw_exchange(self.host, self.port, payload)
        self.assertEqual(r.status, 400, r.data[:300])
        self.assertNotIn(b"X-Backend", r.data, "the 400 came from the backend, not the proxy")
        self.assertTrue(r.closed, "connection left open after a smuggling attempt")
        self.assertLess(r.elapsed, 2.5)
        # Nothing of it reached the backend. The paths are fetched from the
        # backend directly, after the proxy closed the connection.
        paths = self.b.paths()
        self.assertFalse([x for x in paths if x.startswith(smuggled_path) or x == "/front"], paths)
        # And the proxy still serves.
        o = load.request(self.host, self.port)
        self.assertTrue(o.ok, o)

    def test_content_length_and_transfer_encoding_gets_400(self):
        body = b"0\r\n\r\nGET /smuggled-clte HTTP/1.1\r\nHost: test\r\n\r\n"
        self.assert_rejected(
            b"POST /front HTTP/1.1\r\nHost: test\r\nContent-Length: %d\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n" % len(body) + body, "/smuggled-clte")

    def test_transfer_encoding_then_content_length_gets_400(self):
        body = b"0\r\n\r\nGET /smuggled-tecl HTTP/1.1\r\nHost: test\r\n\r\n"
        self.assert_rejected(
            b"POST /front HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n"
            b"Content-Length: 4\r\n\r\n" + body, "/smuggled-tecl")

    def test_differing_duplicate_content_length_gets_400(self):
        body = b"abcGET /smuggled-cl HTTP/1.1\r\nHost: test\r\n\r\n"
        self.assert_rejected(
            b"POST /front HTTP/1.1\r\nHost: test\r\nContent-Length: 3\r\n"
            b"Content-Length: %d\r\n\r\n" % len(body) + body, "/smuggled-cl")

    def test_agreeing_content_lengths_reach_the_backend_as_one(self):
        # RFC 9110 §8.6, HAProxy's rule: repeated or listed identical values
        # are folded to one Content-Length field on the forwarded request.
        for what, fields in {"repeated": b"Content-Length: 5\r\nContent-Length: 5\r\n",
                             "list": b"Content-Length: 5, 5\r\n"}.items():
            with self.subTest(what):
                r = load.raw_exchange(self.host, self.port,
                                      b"POST /folded HTTP/1.1\r\nHost: test\r\n" + fields +
                                      b"Connection: close\r\n\r\nhello")
                self.assertEqual(r.status, 200, r.data[:300])
                self.assertIn(b"X-Backend: b1", r.data)
                self.assertIn(b"\r\nX-Seen-Content-Length: 5\r\n", r.data)

    def assert_chunked_bodies_rejected(self, cases: dict[str, bytes]) -> None:
        """Each chunked body of CASES (what it breaks -> its bytes) gets a 400."""
        for what, chunks in cases.items():
            with self.subTest(what):
                self.assert_rejected(
                    b"POST /front HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n" + chunks,
                    "/front")

    def test_malformed_chunking_gets_400(self):
        cases = {
            "non-hex size": b"zz\r\nhello\r\n0\r\n\r\n",
            "overflowing size": b"fffffffffffffffffffff\r\nhello\r\n0\r\n\r\n",
            "data longer than size": b"2\r\nhello\r\n0\r\n\r\n",
        }
        self.assert_chunked_bodies_rejected(cases)

    def test_chunk_lines_with_bare_lf_get_400_at_once(self):
        # RFC 9112 §7.1 (§2.2 lets a recipient reject a bare LF): a 400 and a
        # close while the client holds the connection open, well under the
        # 30 s client_idle limit the body read is given.
        cases = {
            "chunk-size line, nothing after": b"5\nhello",
            "chunk-size line": b"5\nhello\r\n0\r\n\r\n",
            "every line": b"5\nhello\n0\n\n",
            "last chunk": b"5\r\nhello\r\n0\n\n",
        }
        self.assert_chunked_bodies_rejected(cases)

    def test_endless_chunk_lines_get_400_at_the_bound(self):
        # A chunk-size line or trailer line that never ends: a 400 and a close
        # once it passes 4 KiB (lb/http/chunk_lines.h), not a buffer that
        # grows until client_idle while the client holds the connection open.
        cases = {
            "leading zeros": b"0" * 20000,
            "endless extension": b"5;ext=" + b"x" * 20000,
            "endless trailer line": b"5\r\nhello\r\n0\r\nX-T: " + b"y" * 20000,
        }
        self.assert_chunked_bodies_rejected(cases)

    # ---- Expect: 100-continue ---------------------------------------------------------

    def test_expect_100_continue_gets_100_before_the_body(self):
        # The client waits for the 100 before it sends the body, as curl does
        # (for 1 s by default); the proxy answers it once connected upstream
        # and does not forward the expectation, so no second 100 follows.
        s = socket.create_connection((self.host, self.port), timeout=5)
        try:
            started = time.monotonic()
            s.sendall(b"POST /continue HTTP/1.1\r\nHost: test\r\nContent-Length: 5\r\n"
                      b"Expect: 100-continue\r\nConnection: close\r\n\r\n")
            interim = b"HTTP/1.1 100 Continue\r\n\r\n"
            data = b""
            s.settimeout(2.0)
            while len(data) < len(interim):
                chunk = s.recv(len(interim) - len(data))
                if not chunk:
                    break
                data += chunk
            self.assertEqual(data, interim)
            self.assertLess(time.monotonic() - started, 1.0)
            s.sendall(b"hello")
            s.settimeout(5.0)
            rest = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                rest += chunk
        finally:
            s.close()
        self.assertTrue(rest.startswith(b"HTTP/1.1 200 "), rest[:300])
        self.assertIn(b"X-Backend: b1", rest)
        self.assertNotIn(b"100 Continue", rest)
        self.assertIn("/continue", self.b.paths())

    def test_curl_sends_its_body_on_the_100_not_on_its_timeout(self):
        # curl waits --expect100-timeout (5 s here) for the 100 before it
        # sends a large body; answered at once, the upload takes well under that.
        with tempfile.NamedTemporaryFile(suffix=".bin") as f:
            f.write(b"x" * (2 * 1024 * 1024))
            f.flush()
            r = subprocess.run(
                ["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code} %{time_total}", "--max-time", "10",
                 "--expect100-timeout", "5", "-H", "Expect: 100-continue", "--data-binary", "@" + f.name,
                 "http://%s:%d/upload" % (self.host, self.port)],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=20)
        self.assertEqual(r.returncode, 0, r.stderr)
        code, total = r.stdout.decode().split()
        self.assertEqual(code, "200")
        self.assertLess(float(total), 2.5, "curl waited for a 100 that did not come")

    def test_expect_100_continue_with_the_body_sent_gets_no_100(self):
        # A client that did not wait is not waiting: the answer is the final
        # one (the expectation is not forwarded, so the backend's 100 cannot
        # be taken for it either).
        r = load.raw_exchange(self.host, self.port,
                              b"POST /no-wait HTTP/1.1\r\nHost: test\r\nContent-Length: 5\r\n"
                              b"Expect: 100-continue\r\nConnection: close\r\n\r\nhello")
        self.assertTrue(r.data.startswith(b"HTTP/1.1 200 "), r.data[:300])


if __name__ == "__main__":
    unittest.main()
