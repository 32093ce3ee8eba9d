"""A real browser through the proxy (issue 12: "Chromium, loading a page over
HTTPS/h2"): Debian's headless Chromium (lib.browser) loads a page from a TLS
listener on 127.0.0.1, with the name a.test mapped there by
--host-resolver-rules and the leaf's public key trusted by
--ignore-certificate-errors-spki-list. (Through a VIP of the namespace
cluster: cluster/test_active_active.py.)

Asserts: the page's script (a sub-resource, /app.js) ran and wrote into the
DOM the protocol the browser itself used for the page (Navigation Timing's
nextHopProtocol: "h2"), read back with --dump-dom; lb-proxy's access log has
the page and the script as HTTP/2 streams of a TLS 1.3 connection with SNI
a.test, both 200; the backend got both over HTTP/1.1 with X-Forwarded-Proto
https. Chromium runs in a session of its own, under a time limit, and its
process group is killed by the group's id when it is done.
"""

import http.server
import json
import os
import threading
import unittest

from lib import binaries, browser, cluster_file
from lib.wait import wait_until
from proxy.common import ProxyCase
from proxy.test_tls import TestPki

PAGE = (b"<!doctype html><html><head><title>tandem over h2</title></head><body>"
        b"<p id=\"state\">static</p><script src=\"/app.js\"></script></body></html>")
SCRIPT = (b"document.getElementById('state').textContent = 'script ran over ' + "
          b"performance.getEntriesByType('navigation')[0].nextHopProtocol;")


class PageBackend:
    """An HTTP/1.1 keep-alive server for the page and its script; records
    each request's path and X-Forwarded-Proto."""

    def __init__(self, case):
        seen = self.seen = []
        files = {"/": ("text/html", PAGE), "/app.js": ("application/javascript", SCRIPT)}

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                seen.append((self.path, self.request_version, self.headers.get("X-Forwarded-Proto")))
                kind, body = files.get(self.path, ("text/plain", b"not here"))
                self.send_response(200 if self.path in files else 404)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.address = f"127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        case.addCleanup(self.server.server_close)
        case.addCleanup(self.server.shutdown)


class ChromiumOverH2(ProxyCase):

    def setUp(self):
        if not binaries.have_program(browser.CHROMIUM):
            self.skipTest(f"{browser.CHROMIUM} is not installed (scripts/install-deps.sh installs it)")
        super().setUp()
        self.pki = TestPki(self.h.path(""))
        self.cert = self.pki.leaf("a-ec", ["a.test"], "ec")
        self.backend = PageBackend(self)
        self.log_path = self.h.path("access.log")
        tls = {"certificates": [{"cert_file": self.cert[0], "key_file": self.cert[1]}]}
        self.p = self.start_proxy([cluster_file.pool("site", [("page", self.backend.address)])],
                                  listeners=[cluster_file.listener("www", "HTTP", "site", tls=tls)],
                                  workers=1, extra={"access_log": {"path": self.log_path, "flush_ms": 50}})
        self.p.wait_usable("site")

    def browse(self, url):
        """(exit status, DOM) of headless Chromium loading URL (lib.browser)."""
        rc, dom, self.browser_err = browser.load_page(url, name="a.test", address="127.0.0.1", cert_path=self.cert[0],
                                                      profile_dir=self.h.path("chromium-profile"))
        return rc, dom

    def access_lines(self):
        if not os.path.exists(self.log_path):
            return []
        with open(self.log_path, encoding="utf-8") as f:
            return [json.loads(line) for line in f if line.strip()]

    def test_page_and_script_over_h2_and_tls13(self):
        _, port = self.p.address("www")
        rc, dom = self.browse(f"https://a.test:{port}/")
        self.assertEqual(rc, 0, self.browser_err)
        # The script came (a second request) and ran; the browser says h2.
        self.assertIn('<p id="state">script ran over h2</p>', dom, dom + self.browser_err)

        def both_logged():
            lines = {l.get("path"): l for l in self.access_lines() if l.get("path") in ("/", "/app.js")}
            return lines if len(lines) == 2 else None
        lines = wait_until(both_logged, 5, what="access log lines for / and /app.js")
        for path, line in lines.items():
            self.assertEqual(line["protocol"], "HTTP/2", line)
            self.assertEqual(line["tls"], "TLSv1.3", line)
            self.assertEqual(line["sni"], "a.test", line)
            self.assertEqual(line["status"], 200, line)
            self.assertEqual(line["method"], "GET", line)
        # Two streams of one connection: the same client port.
        self.assertEqual(lines["/"]["client_port"], lines["/app.js"]["client_port"])
        # The backend got both over HTTP/1.1, told the client spoke HTTPS.
        got = {path: (version, xfp) for path, version, xfp in self.backend.seen}
        self.assertEqual(got.get("/"), ("HTTP/1.1", "https"))
        self.assertEqual(got.get("/app.js"), ("HTTP/1.1", "https"))


if __name__ == "__main__":
    unittest.main()
