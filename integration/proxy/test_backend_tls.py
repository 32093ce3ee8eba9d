"""TLS to backends (issue 12, item 1: "optional TLS to backends, verified
against a CA file, with SNI"): lb-proxy in front of real TLS servers
(Python's ssl, OpenSSL underneath), with certificates made at test time by
a throw-away CA, and a second CA the proxy does not trust.

One proxy serves every case through its own listener and pool, so the
processes start once:
  ok       verified against the CA, SNI and name backend.test: 200, the
           backend saw SNI backend.test; keep-alive reuses the connection;
           a new connection resumes the server's session (no full handshake);
           HTTP/2 clients (h2c) are forwarded over TLS too; the TLS health
           check passes.
  badca    the server's chain leads to a CA the pool does not trust: the
           health check marks it DOWN with "certificate verify failed" in
           /status and the log; requests get 503.
  badname  a trusted certificate for another name: refused the same way
           ("hostname mismatch"), no request passes.
  noverify `verify: false`: the untrusted server is used, with a warning.
  mtls     a server that requires a client certificate gets the pool's.
Then: --check-config names a bad CA file (file:line:col and why) and a TCP
listener in front of a `tls` pool; a reload with a bad CA file is refused
and the previous context keeps serving.
"""

import json
import os
import re
import ssl
import subprocess
import threading

from lib import cluster_file, proxy
from lib.wait import wait_until
from proxy.common import ProxyCase, ThreadedListener, read_head
from proxy.test_tls import TestPki


class TlsBackend(ThreadedListener):
    """An HTTP/1.1 keep-alive server over TLS. Answers every request with 200
    and X-Seen-SNI (the SNI of its connection), X-Conn-Seq (requests on this
    connection), X-Client-Cert (the client certificate's CN, "-" when none).
    /close answers with Connection: close. Counts handshakes, and those that
    resumed a session."""

    def __init__(self, case, cert, key, name, client_ca=None):
        self.name = name
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(cert, key)
        if client_ca:
            self.ctx.verify_mode = ssl.CERT_REQUIRED
            self.ctx.load_verify_locations(client_ca)
        self.lock = threading.Lock()
        self.handshakes = 0
        self.resumed = 0
        self.ctx.sni_callback = self._sni
        super().__init__(case)

    def _sni(self, sslobj, server_name, ctx):
        sslobj.seen_sni = server_name  # per connection (health checks run beside requests)

    def counts(self):
        with self.lock:
            return self.handshakes, self.resumed

    def _one(self, conn):
        conn.settimeout(10)
        try:
            tls = self.ctx.wrap_socket(conn, server_side=True)
        except (ssl.SSLError, OSError):
            conn.close()
            return
        with self.lock:
            self.handshakes += 1
            self.resumed += 1 if tls.session_reused else 0
        peer = tls.getpeercert()
        cn = dict(x[0] for x in peer["subject"]).get("commonName", "?") if peer else "-"
        sni = getattr(tls, "seen_sni", None)
        seq, buf = 0, b""
        try:
            while True:
                got = read_head(tls, buf)
                if got is None:
                    return
                head, buf = got
                lines = head.decode("latin-1").split("\r\n")
                path = lines[0].split(" ")[1]
                headers = {k.strip().lower(): v.strip() for k, _, v in (l.partition(":") for l in lines[1:])}
                length = int(headers.get("content-length", "0"))
                while len(buf) < length:
                    buf += tls.recv(65536)
                buf = buf[length:]
                seq += 1
                close = path == "/close"
                body = self.name.encode()
                tls.sendall(
                    (f"HTTP/1.1 200 OK\r\nContent-Length: {len(body)}\r\nX-Backend: {self.name}\r\n"
                     f"X-Conn-Seq: {seq}\r\nX-Seen-SNI: {sni or '-'}\r\nX-Client-Cert: {cn}\r\n"
                     f"{'Connection: close' if close else 'Connection: keep-alive'}\r\n\r\n").encode() + body)
                if close:
                    return
        except (ssl.SSLError, OSError, IndexError, ValueError):
            pass
        finally:
            tls.close()


def curl(url, *args):
    r = subprocess.run(["curl", "-sS", "--max-time", "5", "-D", "-", *args, url],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=10)
    return r.returncode, r.stdout.decode("utf-8", "replace")


def status_of(out):
    m = re.search(r"^HTTP/[\d.]+ (\d+)", out, re.M)
    return int(m.group(1)) if m else None


class BackendTls(ProxyCase):

    def setUp(self):
        super().setUp()
        self.pki = TestPki(self.h.path(""))
        other_dir = self.h.path("other")
        os.makedirs(other_dir, exist_ok=True)
        self.other = TestPki(other_dir)  # a CA the proxy does not trust
        self.good = self.pki.leaf("backend", ["backend.test"])
        self.wrong_name = self.pki.leaf("elsewhere", ["elsewhere.test"])
        self.untrusted = self.other.leaf("backend", ["backend.test"])
        self.client = self.pki.leaf("proxy-client", ["tandem-proxy"])

    def pool(self, name, backend, health=True, **tls):
        tls.setdefault("ca_file", self.pki.ca)
        check = {"kind": "HTTP", "interval_ms": 300, "timeout_ms": 300, "rise": 1, "fall": 1} if health else None
        return cluster_file.pool(name, [(name + "-s1", backend.address)], health_check=check, tls=tls)

    def test_backend_tls(self):
        ok = TlsBackend(self, *self.good, "ok")
        badca = TlsBackend(self, *self.untrusted, "badca")
        badname = TlsBackend(self, *self.wrong_name, "badname")
        mtls = TlsBackend(self, *self.good, "mtls", client_ca=self.pki.ca)
        pools = [
            self.pool("ok", ok, server_name="backend.test"),
            self.pool("badca", badca, server_name="backend.test"),
            self.pool("badca_nocheck", badca, health=False, server_name="backend.test"),
            self.pool("badname", badname, server_name="backend.test"),
            self.pool("noverify", badca, verify=False),
            self.pool("mtls", mtls, server_name="backend.test", cert_file=self.client[0], key_file=self.client[1]),
        ]
        listeners = [cluster_file.listener(p["name"], "HTTP", p["name"]) for p in pools]
        # TLS from clients too, for the access log's tls and sni fields.
        self.front = self.pki.leaf("front", ["front.test"])
        listeners.append(cluster_file.listener("front", "HTTP", "ok", tls={
            "certificates": [{"cert_file": self.front[0], "key_file": self.front[1]}]}))
        log_path = self.h.path("access.log")
        # One worker: keep-alive reuse and resumption are per worker.
        p = self.start_proxy(pools, listeners=listeners, workers=1,
                             extra={"access_log": {"path": log_path, "flush_ms": 50}})
        for name in ("ok", "noverify", "mtls"):
            p.wait_usable(name)

        # Verified, with SNI; keep-alive reuses one TLS connection.
        for i in range(5):
            rc, out = curl(p.url("ok", f"/r{i}"))
            self.assertEqual(status_of(out), 200, out)
            self.assertIn("x-seen-sni: backend.test", out.lower())
            self.assertIn("x-backend: ok", out.lower())
        self.assertRegex(out.lower(), r"x-conn-seq: [2-9]")  # the 5th request rode a pooled connection
        # A server that closes each connection: the next one resumes its session.
        before = ok.counts()
        for i in range(4):
            rc, out = curl(p.url("ok", "/close"))
            self.assertEqual(status_of(out), 200, out)
        handshakes, resumed = ok.counts()
        self.assertGreaterEqual(handshakes - before[0], 3, "each /close needs a new connection")
        self.assertGreaterEqual(resumed - before[1], 2, f"new connections resumed: {ok.counts()} from {before}")
        m = p.metrics()
        self.assertGreaterEqual(m.value("tandem_server_tls_resumed_total", pool="ok", server="ok-s1"), 2)
        self.assertGreaterEqual(m.value("tandem_server_tls_handshakes_total", pool="ok", server="ok-s1"), 4)
        # HTTP/2 from the client (h2c by prior knowledge), TLS to the server.
        rc, out = curl(p.url("ok", "/h2"), "--http2-prior-knowledge")
        self.assertEqual(rc, 0, out)
        self.assertRegex(out, r"^HTTP/2 200", out)
        self.assertIn("x-seen-sni: backend.test", out.lower())

        self.check_access_log(p, log_path)

        # An untrusted chain: DOWN with the reason, and no request reaches it.
        p.wait_health("badca", "DOWN")
        cause = p.server("badca", "badca-s1").get("check_cause", "")
        self.assertIn("certificate verify failed", cause)
        rc, out = curl(p.url("badca"))
        self.assertEqual(status_of(out), 503, out)
        # Without a health check the request fails at its handshake: 503 too.
        served = badca.counts()
        rc, out = curl(p.url("badca_nocheck"))
        self.assertIn(status_of(out), (502, 503), out)
        self.assertNotIn("x-backend: badca", out.lower())
        p.proc.wait_for_line(r"upstream_tls_failed pool=badca_nocheck .*certificate verify failed", 5)
        self.assertGreaterEqual(p.metrics().value("tandem_server_tls_failures_total", pool="badca_nocheck",
                                                  server="badca_nocheck-s1"), 1)
        # A trusted certificate for another name.
        p.wait_health("badname", "DOWN")
        self.assertIn("hostname mismatch", p.server("badname", "badname-s1").get("check_cause", ""))
        rc, out = curl(p.url("badname"))
        self.assertEqual(status_of(out), 503, out)
        self.assertEqual(badname.counts()[0], 0, "no handshake with the wrong name completed")
        # verify: false takes the untrusted server, with a warning at start.
        rc, out = curl(p.url("noverify"))
        self.assertEqual(status_of(out), 200, out)
        self.assertIn("x-backend: badca", out.lower())
        self.assertIn("x-seen-sni: -", out.lower())  # no name configured, none from DNS: no SNI
        p.proc.wait_for_line(r"tls_upstream_unverified pool 'noverify'", 1)
        self.assertGreater(badca.counts()[0], served[0])
        # Mutual TLS: the server asked for our certificate and got it.
        rc, out = curl(p.url("mtls"))
        self.assertEqual(status_of(out), 200, out)
        self.assertIn("x-client-cert: tandem-proxy", out.lower())

        # A reload whose CA file is junk is refused; the old context serves on.
        junk = self.pki.path("junk-ca.pem")
        with open(junk, "w") as f:
            f.write("not a certificate\n")
        bad_pools = [dict(x) for x in pools]
        bad_pools[0] = self.pool("ok", ok, server_name="backend.test", ca_file=junk)
        line = p.reload(expect="refused", pools=bad_pools, log_pattern=r"reload_refused where=\S+:\d+:\d+ .*junk-ca")
        self.assertIn("holds no PEM certificate", line)
        rc, out = curl(p.url("ok", "/after-reload"))
        self.assertEqual(status_of(out), 200, out)

    def check_access_log(self, p, log_path):
        """TLS version and SNI of TLS clients, one line per HTTP/2 stream."""
        host, port = p.address("front")
        base = ["curl", "-sS", "-o", "/dev/null", "--max-time", "5", "--cacert", self.pki.ca,
                "--resolve", f"front.test:{port}:{host}"]
        subprocess.run(base + ["--http1.1", "--tlsv1.2", "--tls-max", "1.2", f"https://front.test:{port}/tls12"],
                       check=True, timeout=10)
        subprocess.run(base + ["--http2", f"https://front.test:{port}/tls-h2"], check=True, timeout=10)
        # Four streams on one h2c connection: four lines, stream ids 1, 3, 5, 7.
        h2load = subprocess.run(["h2load", "-n", "4", "-c", "1", "-m", "4", p.url("ok", "/streams")],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=20)
        self.assertIn("4 succeeded", h2load.stdout.decode(), h2load.stdout.decode())

        def lines():
            if not os.path.exists(log_path):
                return None
            with open(log_path) as f:
                got = [json.loads(l) for l in f if l.strip()]
            got = [l for l in got if l["kind"] == "http" and l["path"] in ("/tls12", "/tls-h2", "/streams")]
            return got if len(got) >= 6 else None
        got = wait_until(lines, 5, what="6 access log lines")
        by_path = {}
        for l in got:
            by_path.setdefault(l["path"], []).append(l)
        tls12 = by_path["/tls12"][0]
        self.assertEqual((tls12["tls"], tls12["sni"], tls12["protocol"]), ("TLSv1.2", "front.test", "HTTP/1.1"))
        self.assertNotIn("stream", tls12)
        h2 = by_path["/tls-h2"][0]
        self.assertEqual((h2["tls"], h2["sni"], h2["protocol"], h2["stream"]), ("TLSv1.3", "front.test", "HTTP/2", 1))
        self.assertEqual((h2["status"], h2["server"], h2["term"]), (200, "ok-s1", "--"))
        self.assertGreater(h2["bytes_out"], 0)
        streams = by_path["/streams"]
        self.assertEqual(sorted(l["stream"] for l in streams), [1, 3, 5, 7])
        for l in streams:
            self.assertEqual((l["tls"], l["protocol"], l["status"], l["method"]), ("", "HTTP/2", 200, "GET"))
            self.assertIsNotNone(l["first_byte_ms"])

    def test_check_config_names_the_bad_file_and_a_tcp_listener(self):
        missing = self.pki.path("missing-ca.pem")
        pools = [cluster_file.pool("app", [("s1", "127.0.0.1:9")], tls={"ca_file": missing, "key_file": "k.pem"})]
        p = proxy.Proxy(self.h, [cluster_file.listener("web", "HTTP", "app", bind="127.0.0.1:1")], pools)
        self.h.write("bad.conf", p.render())
        rc, out = proxy.check_config(self.h.path("bad.conf"))
        self.assertEqual(rc, 1, out)
        self.assertRegex(out, r"bad\.conf:\d+:\d+: error: pool 'app' tls: " + re.escape(missing) +
                         r": cannot read it \(No such file")
        self.assertRegex(out, r"bad\.conf:\d+:\d+: error: pool 'app' tls: `key_file` without `cert_file`")
        # TLS to servers is an HTTP listener's.
        pools = [cluster_file.pool("app", [("s1", "127.0.0.1:9")], tls={"ca_file": self.pki.ca})]
        self.h.write("tcp.conf", p.render(listeners=[cluster_file.listener("t", "TCP", "app", bind="127.0.0.1:1")],
                                          pools=pools))
        rc, out = proxy.check_config(self.h.path("tcp.conf"))
        self.assertEqual(rc, 1, out)
        self.assertRegex(out, r"tcp\.conf:\d+:\d+: error: listener 't' is TCP but pool 'app' speaks TLS")
        # verify: false passes, with a warning.
        pools = [cluster_file.pool("app", [("s1", "127.0.0.1:9")], tls={"verify": False})]
        self.h.write("nv.conf", p.render(pools=pools))
        rc, out = proxy.check_config(self.h.path("nv.conf"))
        self.assertEqual(rc, 0, out)
        self.assertIn("verify is false", out)


if __name__ == "__main__":
    import unittest
    unittest.main()
