"""TLS termination (issue 12 item 1): real clients (curl, openssl s_client,
Python's ssl) against a TLS listener. Certificates are made at test time by
a throw-away CA: ECDSA P-256 and RSA 2048 leaves for a.test (both on one
name), an ECDSA leaf for b.test.

Asserts: TLS 1.2 and 1.3 served, TLS 1.1 refused; the certificate follows
SNI (default without one); the key type follows what the client can verify;
ALPN h2 then http/1.1; X-Forwarded-Proto and Forwarded say https; a reload swaps the
certificate for new connections while an established one keeps working; a
bad certificate is refused by --check-config and by a reload (file and
reason), the previous one serving on; a client that never finishes its
handshake is cut at handshake_timeout_ms and counted; TCP mode over TLS.
"""

import hashlib
import os
import re
import socket
import ssl
import subprocess
import time
import unittest

from lib import cluster_file, processes, proxy
from lib.wait import wait_until
from proxy.common import ProxyCase


def openssl(*args, stdin=None, timeout=10):
    r = subprocess.run(["openssl", *args], input=stdin, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=timeout)
    return r.returncode, r.stdout.decode("utf-8", "replace")


class TestPki:
    """A CA and leaves under DIR (test-only keys, made per test)."""

    def __init__(self, directory):
        self.dir = directory
        self.ca_key, self.ca = self.path("ca.key"), self.path("ca.pem")
        self._run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                  "-keyout", self.ca_key, "-out", self.ca, "-days", "2", "-subj", "/CN=tandem test CA")

    def path(self, name):
        return os.path.join(self.dir, name)

    def _run(self, *args):
        rc, out = openssl(*args)
        if rc != 0:
            raise AssertionError(f"openssl {' '.join(args)}: {out}")

    def leaf(self, name, names, kind="ec"):
        """(cert path, key path) of a leaf for NAMES signed by the CA."""
        key, csr, cert, ext = (self.path(f"{name}.{x}") for x in ("key", "csr", "pem", "ext"))
        keyopt = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"] if kind == "ec" else \
            ["-newkey", "rsa:2048"]
        self._run("req", *keyopt, "-nodes", "-keyout", key, "-out", csr, "-subj", f"/CN={names[0]}")
        with open(ext, "w") as f:
            f.write("subjectAltName=" + ",".join(f"DNS:{n}" for n in names) + "\n")
        self._run("x509", "-req", "-in", csr, "-CA", self.ca, "-CAkey", self.ca_key, "-CAcreateserial",
                  "-days", "2", "-extfile", ext, "-out", cert)
        return cert, key


def fingerprint(der):
    return hashlib.sha256(der).hexdigest()


class Tls(ProxyCase):

    def setUp(self):
        super().setUp()
        self.pki = TestPki(self.h.path(""))
        self.a_ec = self.pki.leaf("a-ec", ["a.test", "*.a.test"], "ec")
        self.a_rsa = self.pki.leaf("a-rsa", ["a.test", "*.a.test"], "rsa")
        self.b_ec = self.pki.leaf("b-ec", ["b.test"], "ec")
        self.bs = self.backends(1)

    def tls_block(self, certs=None, **extra):
        certs = certs if certs is not None else [self.a_ec, self.a_rsa, self.b_ec]
        d = {"certificates": [{"cert_file": c, "key_file": k} for c, k in certs]}
        d.update(extra)
        return d

    def start_tls(self, mode="HTTP", pool=None, **tls_extra):
        pool = pool or cluster_file.pool("app", self.bs)
        self.p = self.start_proxy([pool], listeners=[
            cluster_file.listener("web", mode, pool["name"], tls=self.tls_block(**tls_extra))])
        self.p.wait_usable(pool["name"])
        self.host, self.port = self.p.address("web")
        return self.p

    def curl(self, *args, name="a.test", path="/"):
        # HTTP/1.1: these tests are about TLS; curl would pick h2 by ALPN
        # (test_http2_tls.py covers that).
        r = subprocess.run(["curl", "-sS", "--http1.1", "--max-time", "5", "--cacert", self.pki.ca,
                            "--resolve", f"{name}:{self.port}:{self.host}", "-D", "-", *args,
                            f"https://{name}:{self.port}{path}"],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=10)
        return r.returncode, r.stdout.decode("utf-8", "replace")

    def tls13_session(self, address):
        """(the client context, the session) of one TLS 1.3 request to
        ADDRESS with Python: tickets come after the handshake, with the
        response, so the whole answer is read before the session is taken."""
        ctx = ssl.create_default_context(cafile=self.pki.ca)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_3
        s = ctx.wrap_socket(socket.create_connection(address, timeout=5), server_hostname="a.test")
        s.sendall(b"GET / HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n")
        while s.recv(4096):
            pass
        session = s.session
        s.close()
        return ctx, session

    def s_client(self, *args):
        return openssl("s_client", "-connect", f"{self.host}:{self.port}", "-CAfile", self.pki.ca, *args,
                       stdin=b"", timeout=10)

    def client_context(self):
        ctx = ssl.create_default_context(cafile=self.pki.ca)
        return ctx

    def test_versions_sni_key_types_alpn_and_forwarding_headers(self):
        self.start_tls()
        for version in ("--tlsv1.3", "--tlsv1.2"):
            extra = ["--tls-max", "1.2"] if version == "--tlsv1.2" else []
            rc, out = self.curl(version, *extra)
            self.assertEqual(rc, 0, out)
            self.assertRegex(out, r"HTTP/1.1 200")
            self.assertIn("x-seen-xfp: https", out.lower())
            self.assertRegex(out.lower(), r"x-seen-forwarded: [^\n]*proto=https")
        # Older protocols are refused.
        rc, out = self.s_client("-tls1_1", "-servername", "a.test")
        self.assertNotEqual(rc, 0, out)
        # SNI picks the certificate; none, or an unknown name, gets the default (the first).
        _, out = self.s_client("-servername", "b.test")
        self.assertRegex(out, r"subject=CN\s*=\s*b\.test")
        self.assertIn("Verify return code: 0 (ok)", out)
        _, out = self.s_client("-noservername")
        self.assertRegex(out, r"subject=CN\s*=\s*a\.test")
        _, out = self.s_client("-servername", "www.a.test")  # the wildcard
        self.assertRegex(out, r"subject=CN\s*=\s*a\.test")
        # Both key types on a.test: each client gets the one it can verify.
        _, out = self.s_client("-servername", "a.test", "-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256")
        self.assertIn("Server public key is 2048 bit", out)
        _, out = self.s_client("-servername", "a.test", "-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256")
        self.assertIn("Server public key is 256 bit", out)
        _, out = self.s_client("-servername", "a.test", "-tls1_3", "-sigalgs", "rsa_pss_rsae_sha256")
        self.assertIn("Server public key is 2048 bit", out)
        # ALPN (http2 on by default): h2 preferred, http/1.1 for a client that
        # offers only that (test_http2_tls.py serves both).
        _, out = self.s_client("-servername", "a.test", "-alpn", "h2,http/1.1")
        self.assertIn("ALPN protocol: h2", out)
        _, out = self.s_client("-servername", "a.test", "-alpn", "http/1.1")
        self.assertIn("ALPN protocol: http/1.1", out)
        # Keep-alive over one TLS connection: two requests, one handshake.
        before = self.p.metrics().value("tandem_tls_handshakes_total")
        rc, out = self.curl("-o", "/dev/null", "-o", "/dev/null", "-w", "%{num_connects}\\n",
                            f"https://a.test:{self.port}/two")
        self.assertEqual(rc, 0, out)
        self.assertEqual(out.count("HTTP/1.1 200"), 2, out)
        self.assertEqual(self.p.metrics().value("tandem_tls_handshakes_total") - before, 1)

    def test_reload_swaps_certificates_and_a_bad_one_is_refused(self):
        self.start_tls()
        ctx = self.client_context()
        old = ctx.wrap_socket(socket.create_connection((self.host, self.port), timeout=5), server_hostname="a.test")
        self.addCleanup(old.close)
        old_fp = fingerprint(old.getpeercert(binary_form=True))
        old.sendall(b"GET /1 HTTP/1.1\r\nHost: a.test\r\n\r\n")
        self.assertIn(b"200 OK", old.recv(4096))

        # A new certificate for a.test in the same files: new connections get it.
        self.a_ec = self.pki.leaf("a-ec", ["a.test", "*.a.test"], "ec")
        self.p.reload(listeners=self.p.listeners)
        new = ctx.wrap_socket(socket.create_connection((self.host, self.port), timeout=5), server_hostname="a.test")
        self.addCleanup(new.close)
        new_fp = fingerprint(new.getpeercert(binary_form=True))
        self.assertNotEqual(new_fp, old_fp)
        # The connection made before the reload carries on.
        old.sendall(b"GET /2 HTTP/1.1\r\nHost: a.test\r\n\r\n")
        self.assertIn(b"200 OK", old.recv(4096))

        # A key that does not match its certificate: the reload is refused with
        # the file and the reason, and the last good certificate keeps serving.
        _, wrong_key = self.pki.leaf("other", ["other.test"], "ec")
        with open(self.a_ec[1], "wb") as f, open(wrong_key, "rb") as g:
            f.write(g.read())
        line = self.p.reload(listeners=self.p.listeners, expect="refused",
                             log_pattern=r"reload_refused where=.*does not belong")
        self.assertIn(self.a_ec[1], line)
        again = ctx.wrap_socket(socket.create_connection((self.host, self.port), timeout=5), server_hostname="a.test")
        self.addCleanup(again.close)
        self.assertEqual(fingerprint(again.getpeercert(binary_form=True)), new_fp)

    def test_check_config_names_each_bad_file_and_why(self):
        junk = self.pki.path("junk.pem")
        with open(junk, "w") as f:
            f.write("this is not a certificate\n")
        missing = self.pki.path("missing.pem")
        listeners = [cluster_file.listener("web", "HTTP", "app", bind="127.0.0.1:1", tls=self.tls_block(certs=[
            (missing, self.a_ec[1]), (junk, self.a_ec[1]), (self.a_ec[0], self.b_ec[1])]))]
        p = proxy.Proxy(self.h, listeners, [cluster_file.pool("app", self.bs)])
        self.h.write("bad.conf", p.render())
        rc, out = proxy.check_config(self.h.path("bad.conf"))
        self.assertEqual(rc, 1, out)
        self.assertRegex(out, re.escape(missing) + r": cannot read it \(No such file")
        self.assertRegex(out, re.escape(junk) + r": holds no PEM certificate")
        self.assertRegex(out, re.escape(self.b_ec[1]) + r": this private key does not belong")
        self.assertRegex(out, r"bad\.conf:\d+:\d+: ")
        # The good file passes.
        listeners[0]["tls"] = self.tls_block()
        self.h.write("good.conf", p.render(listeners=listeners))
        rc, out = proxy.check_config(self.h.path("good.conf"))
        self.assertEqual(rc, 0, out)

    def test_a_stalled_handshake_is_cut_and_others_are_served(self):
        self.start_tls(handshake_timeout_ms=400)
        stalled = socket.create_connection((self.host, self.port), timeout=5)
        self.addCleanup(stalled.close)
        stalled.sendall(b"\x16\x03\x01")  # the start of a ClientHello, then silence
        garbage = socket.create_connection((self.host, self.port), timeout=5)
        self.addCleanup(garbage.close)
        garbage.sendall(b"GET / HTTP/1.1\r\nHost: a.test\r\n\r\n")  # plain HTTP on a TLS port
        started = time.monotonic()
        self.assertEqual(stalled.recv(100), b"")  # closed by the proxy
        self.assertLess(time.monotonic() - started, 3.0)
        rc, out = self.curl()
        self.assertEqual(rc, 0, out)
        wait_until(lambda: self.p.metrics().value("tandem_tls_handshake_timeouts_total") >= 1, 5,
                   what="the handshake timeout counted")
        wait_until(lambda: self.p.metrics().value("tandem_tls_handshake_failures_total") >= 1, 5,
                   what="the plain-text client counted as a failed handshake")

    def test_tcp_mode_over_tls(self):
        self.bs = self.backends(1, prefix="e", tcp_echo=True)
        self.start_tls(mode="TCP", pool=cluster_file.pool("echo", self.bs))
        s = self.client_context().wrap_socket(socket.create_connection((self.host, self.port), timeout=5),
                                              server_hostname="b.test")
        self.addCleanup(s.close)
        self.assertEqual(s.version() in ("TLSv1.3", "TLSv1.2"), True)
        payload = os.urandom(100000)
        s.sendall(payload)
        got = b""
        while len(got) < len(payload):
            chunk = s.recv(65536)
            if not chunk:
                break
            got += chunk
        self.assertEqual(got, payload)

    def test_a_ticket_from_one_node_resumes_on_another_after_it_stops(self):
        """Issue 12 item 2: both nodes derive the ticket keys from the
        cluster key (lb/tls/ticket_keys.h), so edge2 resumes what edge1 issued."""
        pool = cluster_file.pool("app", self.bs)
        listener = cluster_file.listener("web", "HTTP", "app", tls=self.tls_block())
        edges = []
        for node in ("edge1", "edge2"):
            p = proxy.Proxy(self.h, [listener], [pool], node=node, workers=1)
            p.start()
            self.addCleanup(p.assert_survived)
            edges.append(p)
        # A node with another cluster key: its tickets are not ours.
        stranger_h = processes.Harness(self)
        stranger = proxy.Proxy(stranger_h, [listener], [pool], node="edge3", workers=1).start()
        self.addCleanup(stranger.assert_survived)
        edge1, edge2 = edges

        # TLS 1.2 with openssl s_client: the ticket comes in the handshake.
        sess = self.pki.path("s12.pem")
        self.host, self.port = edge1.address("web")
        _, out = self.s_client("-tls1_2", "-servername", "a.test", "-sess_out", sess)
        self.assertRegex(out, r"\bNew, TLSv1.2")
        # TLS 1.3 with Python: the tickets come after the handshake, with the response.
        ctx, session13 = self.tls13_session(edge1.address("web"))
        self.assertIsNotNone(session13)
        self.assertTrue(session13.has_ticket)

        edge1.stop()  # edge1 goes away; its clients come back to edge2
        self.host, self.port = edge2.address("web")
        _, out = self.s_client("-tls1_2", "-servername", "a.test", "-sess_in", sess)
        self.assertRegex(out, r"\bReused, TLSv1.2")
        s = ctx.wrap_socket(socket.create_connection(edge2.address("web"), timeout=5), server_hostname="a.test",
                            session=session13)
        self.addCleanup(s.close)
        self.assertTrue(s.session_reused)
        s.sendall(b"GET / HTTP/1.1\r\nHost: a.test\r\n\r\n")
        self.assertIn(b"200 OK", s.recv(4096))

        # The stranger cannot read the ticket: a full handshake.
        self.host, self.port = stranger.address("web")
        _, out = self.s_client("-tls1_2", "-servername", "a.test", "-sess_in", sess)
        self.assertRegex(out, r"\bNew, TLSv1.2")

    def test_resumption_can_be_switched_off(self):
        """`session_resumption: false`: no ticket of either version, no cache;
        a client offering its last session gets a full handshake."""
        p = self.start_tls(session_resumption=False)
        sess = self.pki.path("off12.pem")
        _, out = self.s_client("-tls1_2", "-servername", "a.test", "-sess_out", sess)
        self.assertRegex(out, r"\bNew, TLSv1.2")
        self.assertNotIn("TLS session ticket:", out)
        # With nothing to resume s_client may keep no session at all; if it
        # kept one, offering it gets a full handshake.
        if os.path.exists(sess):
            _, out = self.s_client("-tls1_2", "-servername", "a.test", "-sess_in", sess)
            self.assertRegex(out, r"\bNew, TLSv1.2")
        _, session13 = self.tls13_session(p.address("web"))
        self.assertFalse(session13 is not None and session13.has_ticket, "a TLS 1.3 ticket was sent")


if __name__ == "__main__":
    unittest.main()
