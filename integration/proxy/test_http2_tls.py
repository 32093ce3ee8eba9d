"""HTTP/2 over TLS by ALPN (issue 12 item 3): curl and h2load against TLS
listeners, one lb-proxy for the whole file. Certificates come from
test_tls.TestPki.

Asserts: curl --http2 gets HTTP/2 with X-Forwarded-Proto https at the
backend, and curl --http1.1 on the same port still gets 1.1; h2load's
streams all get 2xx; a listener with http2 disabled never selects h2 (an
offer of only h2 gets no ALPN, and HTTP/1.1 is served); with a trusted PROXY
header in front, an h2 client's X-Forwarded-For is the address the header
named, and an h2 stream to a send_proxy server passes that address on;
--check-config refuses `alpn: "h2"` on a listener with http2 disabled.
"""

import shutil
import socket
import subprocess
import tempfile
import threading
import unittest

from lib import backend, cluster_file, processes, proxy
from proxy.common import DEFAULTS
from proxy.test_proxy_protocol import ProxyHeaderBackend
from proxy.test_tls import TestPki, openssl

# What the relay's PROXY header claims: an address no socket here has.
CLAIMED = "PROXY TCP4 198.18.0.7 198.18.0.1 40000 443\r\n"


class ProxyHeaderRelay:
    """A balancer in front: for each connection, connects to TARGET, sends
    the PROXY v1 header CLAIMED, then copies bytes both ways until either
    side closes."""

    def __init__(self, case, target):
        self.target = target
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        case.addCleanup(self.sock.close)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target, timeout=10)
            upstream.sendall(CLAIMED.encode())
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._copy, args=(a, b), daemon=True).start()

    @staticmethod
    def _copy(src, dst):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class Http2OverTls(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.pki = TestPki(cls.tmp.name)
        cls.cert = cls.pki.leaf("a-ec", ["a.test"], "ec")

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def setUp(self):
        self.h = processes.Harness(self)
        self.bs = [backend.Backend(self.h, f"b{i}") for i in (1, 2)]
        self.pph = ProxyHeaderBackend(self)
        tls = {"certificates": [{"cert_file": self.cert[0], "key_file": self.cert[1]}]}
        trusted = {"trusted_sources": ["127.0.0.0/8"]}
        pools = [cluster_file.pool("app", self.bs),
                 cluster_file.pool("pph", [("p1", self.pph.address)], send_proxy=cluster_file.Enum("SEND_PROXY_V1"))]
        listeners = [cluster_file.listener("web", "HTTP", "app", tls=tls),
                     cluster_file.listener("h1only", "HTTP", "app", tls=tls, http2={"enabled": False}),
                     cluster_file.listener("pp", "HTTP", "app", tls=tls, accept_proxy=trusted),
                     cluster_file.listener("ppout", "HTTP", "pph", tls=tls, accept_proxy=trusted)]
        self.p = proxy.Proxy(self.h, listeners, pools, defaults=DEFAULTS, workers=2)
        self.p.start()
        self.addCleanup(self.p.assert_survived)
        self.p.wait_usable("app")

    def curl(self, port, *args, path="/"):
        """(exit code, output: headers then the -w line) of curl to a.test on PORT."""
        r = subprocess.run(["curl", "-sS", "--max-time", "5", "--cacert", self.pki.ca,
                            "--resolve", f"a.test:{port}:127.0.0.1", "-D", "-", "-o", "/dev/null",
                            "-w", "version=%{http_version}\\n", *args, f"https://a.test:{port}{path}"],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=10)
        return r.returncode, r.stdout.decode("utf-8", "replace").lower()

    def s_client(self, port, *args):
        return openssl("s_client", "-connect", f"127.0.0.1:{port}", "-servername", "a.test",
                       "-CAfile", self.pki.ca, *args, stdin=b"", timeout=10)

    def test_h2_by_alpn_http1_on_the_same_port_and_h2_off_listeners(self):
        _, port = self.p.address("web")
        rc, out = self.curl(port, "--http2")
        self.assertEqual(rc, 0, out)
        self.assertIn("version=2", out)
        self.assertRegex(out, r"http/2 200")
        self.assertIn("x-seen-xfp: https", out)
        self.assertRegex(out, r"x-seen-forwarded: [^\n]*proto=https")
        self.assertIn("x-seen-xff: 127.0.0.1", out)
        rc, out = self.curl(port, "--http1.1")
        self.assertEqual(rc, 0, out)
        self.assertIn("version=1.1", out)
        self.assertIn("x-seen-xfp: https", out)
        # A request body over h2 reaches the backend whole.
        rc, out = self.curl(port, "--http2", "--data-binary", "x" * 100000)
        self.assertEqual(rc, 0, out)
        self.assertIn("x-seen-content-length: 100000", out)

        # A listener with http2 disabled: never h2, whatever the client offers.
        _, h1_port = self.p.address("h1only")
        _, out = self.s_client(h1_port, "-alpn", "h2")
        self.assertIn("No ALPN negotiated", out)
        _, out = self.s_client(h1_port, "-alpn", "h2,http/1.1")
        self.assertIn("ALPN protocol: http/1.1", out)
        rc, out = self.curl(h1_port, "--http2")
        self.assertEqual(rc, 0, out)
        self.assertIn("version=1.1", out)

    @unittest.skipUnless(shutil.which("h2load"), "h2load (nghttp2-client) is not installed")
    def test_h2load_over_tls(self):
        _, port = self.p.address("web")
        before = self.p.metrics().value("tandem_tls_handshakes_total") or 0
        r = subprocess.run(["h2load", "-n", "2000", "-c", "4", "-m", "16", f"https://127.0.0.1:{port}/load"],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("Application protocol: h2", r.stdout)
        self.assertRegex(r.stdout, r"requests: 2000 total, 2000 started, 2000 done, 2000 succeeded")
        self.assertRegex(r.stdout, r"status codes: 2000 2xx")
        # Four connections, four handshakes: the streams shared them.
        self.assertEqual(self.p.metrics().value("tandem_tls_handshakes_total") - before, 4)

    def test_proxy_protocol_addresses_reach_h2_streams(self):
        relay = ProxyHeaderRelay(self, self.p.address("pp"))
        rc, out = self.curl(relay.port, "--http2")
        self.assertEqual(rc, 0, out)
        self.assertIn("version=2", out)
        self.assertIn("x-seen-xff: 198.18.0.7", out)
        self.assertIn("x-seen-xfp: https", out)
        # An h2 stream to a send_proxy server names the real client, not UNKNOWN.
        relay_out = ProxyHeaderRelay(self, self.p.address("ppout"))
        r = subprocess.run(["curl", "-sS", "--max-time", "5", "--http2", "--cacert", self.pki.ca,
                            "--resolve", f"a.test:{relay_out.port}:127.0.0.1", "-w", "\\nversion=%{http_version}",
                            f"https://a.test:{relay_out.port}/"], capture_output=True, text=True, timeout=10)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("version=2", r.stdout)
        self.assertRegex(r.stdout, r"^v1 PROXY TCP4 198\.18\.0\.7 198\.18\.0\.1 40000 443\|1")

    def test_check_config_refuses_h2_on_a_listener_with_http2_off(self):
        tls = {"certificates": [{"cert_file": self.cert[0], "key_file": self.cert[1]}], "alpn": ["h2", "http/1.1"]}
        listeners = [cluster_file.listener("web", "HTTP", "app", bind="127.0.0.1:1", tls=tls,
                                           http2={"enabled": False})]
        self.h.write("bad.conf", self.p.render(listeners=listeners))
        rc, out = proxy.check_config(self.h.path("bad.conf"))
        self.assertEqual(rc, 1, out)
        self.assertRegex(out, r"bad\.conf:\d+:\d+: .*ALPN \"h2\" with http2 disabled")
        del listeners[0]["http2"]
        self.h.write("good.conf", self.p.render(listeners=listeners))
        rc, out = proxy.check_config(self.h.path("good.conf"))
        self.assertEqual(rc, 0, out)


if __name__ == "__main__":
    unittest.main()
