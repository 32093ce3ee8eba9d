"""The lb-proxy admin listener refuses what a LAN attacker or a web page
would send (issue 10 item 4), through the real binary on loopback:

    an unsigned POST state change (401), a cross-site form (Origin of
    another site, text/plain body), a signature for another Host, a
    replayed signed request, a read whose Host is a DNS name (rebinding);
    while a signed change (as the agent and scripts/tandem-admin send it)
    and plain reads by address still work, and refusals are counted.

Run as root or not, from integration/:
    TANDEM_BUILD=../build PYTHONPATH=. python3 -m unittest -v proxy/test_admin_security.py
"""

import http.client
import os
import subprocess
import unittest

from lib import cluster_file, proxy
from proxy.common import ProxyCase

TARGET = "/servers/app/b1/state?value=maintenance"


class AdminSecurity(ProxyCase):

    def setUp(self):
        super().setUp()
        self.p = self.start_proxy([cluster_file.pool("app", self.backends(1))])
        self.host = f"{self.p.admin[0]}:{self.p.admin[1]}"

    def raw(self, method, path, headers=None, body=None):
        """(status, body) with exactly HEADERS (http.client adds Host unless given)."""
        conn = http.client.HTTPConnection(*self.p.admin, timeout=3)
        try:
            h = dict(headers or {})
            skip_host = "Host" in h
            conn.putrequest(method, path, skip_host=skip_host, skip_accept_encoding=True)
            for k, v in h.items():
                conn.putheader(k, v)
            data = body.encode() if body else b""
            if method == "POST":
                conn.putheader("Content-Length", str(len(data)))
            conn.endheaders(data or None)
            resp = conn.getresponse()
            return resp.status, resp.read().decode("utf-8", "replace")
        finally:
            conn.close()

    def state(self):
        return self.p.server("app", "b1")["admin_state"]

    def sign(self, target=TARGET, host=None):
        return proxy.admin_authorization(self.p.key, "POST", target, host or self.host)

    def test_unsigned_and_cross_site_state_changes_are_refused(self):
        status, body = self.raw("POST", TARGET)
        self.assertEqual(status, 401, body)
        self.assertIn("lbctl", body)
        # What a cross-site form sends: another Origin, a text/plain body.
        status, body = self.raw("POST", TARGET, {"Origin": "http://evil.example", "Content-Type": "text/plain"},
                                body="x=1")
        self.assertEqual(status, 403, body)
        status, body = self.raw("POST", TARGET, {"Content-Type": "text/plain", "Authorization": self.sign()},
                                body="x=1")
        self.assertEqual(status, 415, body)
        # Signed for another proxy's address, replayed here.
        status, body = self.raw("POST", TARGET, {"Authorization": self.sign(host="198.18.0.12:9100")})
        self.assertEqual(status, 401, body)
        # A wrong key.
        wrong = proxy.admin_authorization(b"not-the-cluster-key-0123456789", "POST", TARGET, self.host)
        self.assertEqual(self.raw("POST", TARGET, {"Authorization": wrong})[0], 401)
        self.assertEqual(self.state(), "READY")

    def test_signed_change_applies_once(self):
        auth = self.sign()
        status, body = self.raw("POST", TARGET, {"Authorization": auth})
        self.assertEqual(status, 200, body)
        self.assertEqual(self.state(), "MAINTENANCE")
        status, _ = self.p.set_state("app", "b1", "ready")
        self.assertEqual(status, 200)
        # The captured request, replayed: refused, nothing changes.
        status, body = self.raw("POST", TARGET, {"Authorization": auth})
        self.assertEqual(status, 401, body)
        self.assertIn("already used", body)
        self.assertEqual(self.state(), "READY")
        # scripts/tandem-admin signs the same way.
        script = os.path.join(os.path.dirname(__file__), "..", "..", "scripts", "tandem-admin")
        r = subprocess.run([script, "--key", self.p.key_path, "POST", self.host,
                            "/servers/app/b1/state?value=drain"], capture_output=True, text=True, timeout=10)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(self.state(), "DRAIN")

    def test_reads_check_host_and_origin(self):
        for path in ("/status", "/metrics", "/stick?pool=app"):
            status, body = self.raw("GET", path, {"Host": "evil.example:%d" % self.p.admin[1]})
            self.assertEqual(status, 403, (path, body))
            status, _ = self.raw("GET", path, {"Origin": "http://evil.example"})
            self.assertEqual(status, 403, path)
        self.assertEqual(self.raw("GET", "/status")[0], 200)
        self.assertEqual(self.raw("GET", "/status", {"Host": "localhost:%d" % self.p.admin[1]})[0], 200)
        metrics = self.raw("GET", "/metrics")[1]
        self.assertRegex(metrics, r'tandem_admin_refused_total\{reason="bad_host"\} [1-9]')
        self.assertRegex(metrics, r'tandem_admin_refused_total\{reason="cross_origin"\} [1-9]')


if __name__ == "__main__":
    unittest.main()
