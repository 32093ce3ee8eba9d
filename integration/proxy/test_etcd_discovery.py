"""A pool's servers from etcd v3 (docs/discovery.md "etcd"): Debian's real
etcd on loopback, written to through its JSON gateway; two lb-proxy
processes watch the same prefix. They follow puts and deletes, drain what
left without failing a request, keep their set while etcd is down, resume
(ranging again when their revision was compacted meanwhile) when it is back,
and agree on the set."""

import base64
import json
import os
import ssl
import sys
import time
import urllib.request

from lib import backend, cluster_file, load, processes, proxy as proxy_lib
from lib.wait import wait_until
from proxy.common import DEFAULTS, ProxyCase, assert_removal_drains, seconds_to_first_request
from proxy.test_tls import TestPki

PREFIX = "/tandem/pools/app/"


def b64(text):
    return base64.b64encode(text.encode()).decode()


class Etcd:
    """One etcd member on 127.0.0.1, its data in the test's temp dir; stopped by PID.
    With TLS = (pki, server (cert, key), client (cert, key)): HTTPS only, a
    client certificate from PKI's CA required (--client-cert-auth)."""

    def __init__(self, case, tls=None):
        self.h = case.h
        self.port = processes.free_port()
        self.peer_port = processes.free_port()
        self.data = self.h.path("etcd-data")
        self.proc = None
        self.tls = tls
        self.scheme = "https" if tls else "http"

    def start(self, port=None):
        port = port or self.port
        peer = f"http://127.0.0.1:{self.peer_port}"
        client = f"{self.scheme}://127.0.0.1:{port}"
        argv = ["/usr/bin/etcd", "--name", "n1", "--data-dir", self.data,
                "--listen-client-urls", client, "--advertise-client-urls", client,
                "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer, "--initial-cluster", f"n1={peer}",
                "--logger", "zap", "--log-level", "warn"]
        if self.tls:
            pki, (cert, key), _ = self.tls
            argv += ["--cert-file", cert, "--key-file", key, "--trusted-ca-file", pki.ca, "--client-cert-auth"]
        self.proc = self.h.start("etcd", argv)
        wait_until(lambda: self.answers(port), 15, what=f"etcd to answer on {port}")
        return port

    def answers(self, port):
        try:
            self.call("kv/range", {"key": b64("/")}, port)
            return True
        except OSError:
            return False

    def call(self, path, body, port=None):
        req = urllib.request.Request(f"{self.scheme}://127.0.0.1:{port or self.port}/v3/{path}",
                                     data=json.dumps(body).encode(), method="POST")
        context = None
        if self.tls:
            pki, _, (cert, key) = self.tls
            context = ssl.create_default_context(cafile=pki.ca)
            context.check_hostname = False  # the certificate names etcd.test; the chain is still verified
            context.load_cert_chain(cert, key)
        with urllib.request.urlopen(req, timeout=3, context=context) as r:
            return json.loads(r.read())

    def put(self, name, value, port=None):
        """Puts PREFIX+NAME; VALUE a dict (as JSON) or raw text. Returns the revision."""
        text = value if isinstance(value, str) else json.dumps(value)
        return int(self.call("kv/put", {"key": b64(PREFIX + name), "value": b64(text)}, port)["header"]["revision"])

    def delete(self, name, port=None):
        return int(self.call("kv/deleterange", {"key": b64(PREFIX + name)}, port)["header"]["revision"])

    def compact(self, revision, port=None):
        self.call("kv/compaction", {"revision": str(revision), "physical": True}, port)


def server(b, **more):
    return dict(address=b.address, **more)


class EtcdDiscovery(ProxyCase):

    def etcd_pool(self, etcd, **fields):
        pool = cluster_file.pool("app", [], "ROUND_ROBIN", **fields)
        pool["etcd"] = dict(endpoints=[f"127.0.0.1:{etcd.port}"], prefix=PREFIX, timeout_ms=500,
                            retry_min_ms=100, retry_max_ms=500)
        return pool

    def second_proxy(self, pools):
        p = proxy_lib.Proxy(self.h, [cluster_file.listener("web", "HTTP", "app")], pools, defaults=DEFAULTS)
        p.config_path = self.h.path("lb2.conf")  # the first proxy's file stays its own
        p.start()
        self.addCleanup(p.assert_survived)
        return p

    @staticmethod
    def set_facts(p):
        for pool in p.status()["pools"]:
            if pool["name"] == "app":
                return pool["server_set"]
        raise KeyError("app")

    def wait_set(self, proxies, want, timeout=3, what=""):
        for p in proxies:
            wait_until(lambda: sorted(p.servers("app")) == sorted(want), timeout,
                       what=lambda: f"{what}: the pool to hold {sorted(want)}, has {sorted(p.servers('app'))}")

    def test_keys_are_followed_drained_kept_through_an_outage_and_agreed_on(self):
        started = time.monotonic()
        bs = self.backends(3)
        etcd = Etcd(self)
        etcd.start()
        etcd.put("b1", server(bs[0]))
        etcd.put("b2", server(bs[1], weight=2))
        etcd.put("broken", "not json")  # skipped, counted, never fatal
        p = self.start_proxy([self.etcd_pool(etcd)])
        p2 = self.second_proxy([self.etcd_pool(etcd)])
        both = [p, p2]
        self.wait_set(both, ["b1", "b2"], what="first range")
        self.assertEqual(p.servers("app")["b2"]["weight"], 2)
        p.proc.wait_for_line(r'etcd_value_refused pool=app key="/tandem/pools/app/broken: ', 3)
        facts = self.set_facts(p)
        self.assertEqual(facts["source"], "etcd")
        self.assertEqual(facts["refused_keys"], 1)
        self.assertGreater(facts["version"], 0)
        self.assertEqual(facts["digest"], self.set_facts(p2)["digest"])
        self.assertEqual(p.metrics().value("tandem_discovery_refused_keys", pool="app"), 1)
        out = load.Probe(*p.address("web")).run(30)
        self.assertEqual(load.failures(out), [], load.describe(out))
        self.assertEqual(set(load.by_backend(out)), {"b1", "b2"})
        # A runtime change on an etcd pool is refused, not silently overridden.
        status, body = p.admin_request("POST", "/pools/app/servers?set=x,127.0.0.1:1,1,1")
        self.assertEqual(status, 409, body)
        self.assertIn("takes its servers from etcd", body)

        # A key added: traffic to it within 2 s.
        etcd.put("b3", server(bs[2]))
        delay = seconds_to_first_request(self, p.address("web"), bs[2])
        print(f"etcd put to first request on the new server: {delay * 1000:.0f} ms", file=sys.stderr)
        self.assertLess(delay, 2.0, "b3 took longer than 2 s to get traffic")

        # A key deleted under keep-alive load: drained, no request fails.
        def delete_b1():
            etcd.delete("b1")
            self.wait_set([p], ["b2", "b3"], what="b1 deleted")
        assert_removal_drains(self, p.address("web"), bs[0], delete_b1)

        # A compaction while watching: the live watches go on.
        etcd.compact(etcd.put("b1", server(bs[0], state="drain")))
        etcd.put("b1", server(bs[0]))
        self.wait_set(both, ["b1", "b2", "b3"], what="after a compaction")
        wait_until(lambda: p.servers("app")["b1"]["admin_state"] == "READY", 3, what="b1 enabled again")

        # etcd killed: the pool is unchanged, clients are served.
        mark = p.proc.mark()
        etcd.proc.kill()
        p.proc.wait_for_line(r"etcd_retry pool=app .*servers=3", 5, since=mark)
        self.assertEqual(sorted(p.servers("app")), ["b1", "b2", "b3"])
        out = load.Probe(*p.address("web")).run(30)
        self.assertEqual(load.failures(out), [], load.describe(out))

        # While the proxies cannot reach it (etcd on another port), keys
        # change and the history they would resume from is compacted.
        aside = etcd.start(processes.free_port())
        etcd.delete("b3", aside)
        etcd.compact(etcd.put("b2", server(bs[1], weight=3), aside), aside)
        etcd.proc.stop()
        mark = p.proc.mark()
        etcd.start()
        # Back: updates resume, through a fresh range.
        self.wait_set(both, ["b1", "b2"], timeout=5, what="etcd back")
        p.proc.wait_for_line(r"etcd_rerange pool=app reason=\"watch start compacted", 3, since=mark)
        self.assertEqual(p.servers("app")["b2"]["weight"], 3)
        wait_until(lambda: self.set_facts(p)["digest"] == self.set_facts(p2)["digest"], 3,
                   what="both proxies to agree on the digest")
        etcd.put("b3", server(bs[2]))
        self.wait_set(both, ["b1", "b2", "b3"], what="a put after the restart")
        print(f"etcd test wall time: {time.monotonic() - started:.1f} s", file=sys.stderr)

    def test_an_empty_prefix_means_503_until_a_key_appears(self):
        b = backend.Backend(self.h, "b1")
        etcd = Etcd(self)
        etcd.start()
        p = self.start_proxy([self.etcd_pool(etcd)])
        p.proc.wait_for_line(r'etcd_kept pool=app reason="no key under the prefix" servers=0', 5)
        out = load.Probe(*p.address("web")).run(3)
        self.assertEqual([o.status for o in out], [503] * 3, load.describe(out))
        etcd.put("b1", server(b))
        self.wait_set([p], ["b1"], what="the first key")
        out = load.Probe(*p.address("web")).run(5)
        self.assertEqual(load.failures(out), [], load.describe(out))
        # Deleting every key keeps the last good set: etcd never empties a pool.
        mark = p.proc.mark()
        etcd.delete("b1")
        p.proc.wait_for_line(r'etcd_kept pool=app reason="no key under the prefix" servers=1', 3, since=mark)
        self.assertEqual(sorted(p.servers("app")), ["b1"])

    def test_check_config_points_at_a_bad_etcd_block(self):
        pool = cluster_file.pool("app", [], "ROUND_ROBIN")
        pool["etcd"] = dict(endpoints=["http://127.0.0.1:2379"], retry_min_ms=5000, retry_max_ms=100)
        p = proxy_lib.Proxy(self.h, [cluster_file.listener("web", "HTTP", "app")], [pool])
        path = self.h.write("bad.conf", p.render())
        code, out = proxy_lib.check_config(path)
        self.assertNotEqual(code, 0, out)
        self.assertRegex(out, r"bad\.conf:\d+:\d+: .*etcd endpoint \"http://127.0.0.1:2379\" is not HOST:PORT")
        self.assertRegex(out, r"bad\.conf:\d+:\d+: .*etcd needs `prefix")
        self.assertRegex(out, r"bad\.conf:\d+:\d+: .*retry_max_ms 100 is below retry_min_ms 5000")


class EtcdTls(ProxyCase):
    """HTTPS to etcd: a real etcd started with --cert-file, --key-file,
    --trusted-ca-file and --client-cert-auth, certificates from a throw-away
    CA (proxy/test_tls.TestPki)."""

    def setUp(self):
        super().setUp()
        self.pki = TestPki(self.h.path(""))
        other = self.h.path("other")
        os.makedirs(other, exist_ok=True)
        self.other = TestPki(other)  # a CA etcd's certificate does not lead to
        self.client = self.pki.leaf("proxy-client", ["tandem-proxy"])
        self.etcd = Etcd(self, tls=(self.pki, self.pki.leaf("etcd", ["etcd.test"]), self.client))

    def pool(self, name, **tls):
        pool = cluster_file.pool(name, [], "ROUND_ROBIN")
        pool["etcd"] = dict(endpoints=[f"127.0.0.1:{self.etcd.port}"], prefix=PREFIX, timeout_ms=500,
                            retry_min_ms=100, retry_max_ms=500, tls=tls)
        return pool

    def test_a_pool_watches_etcd_over_tls_and_refuses_what_it_cannot_trust(self):
        bs = self.backends(2)
        self.etcd.start()
        self.etcd.put("b1", server(bs[0]))
        cert, key = self.client
        pools = [
            self.pool("app", ca_file=self.pki.ca, cert_file=cert, key_file=key, server_name="etcd.test"),
            # etcd's certificate leads to a CA this pool does not trust.
            self.pool("badca", ca_file=self.other.ca, cert_file=cert, key_file=key, server_name="etcd.test"),
            # No server_name: the endpoint's address, which the certificate does not carry.
            self.pool("noname", ca_file=self.pki.ca, cert_file=cert, key_file=key),
            # No client certificate: etcd refuses the connection.
            self.pool("nocert", ca_file=self.pki.ca, server_name="etcd.test"),
        ]
        p = self.start_proxy(pools, listeners=[cluster_file.listener(n["name"], "HTTP", n["name"]) for n in pools])
        wait_until(lambda: sorted(p.servers("app")) == ["b1"], 5, what="the first range over TLS")
        p.proc.wait_for_line(r"etcd_watching pool=app endpoint=127\.0\.0\.1:\d+ ", 3)
        p.proc.wait_for_line(r"tls_etcd pool=app verify=on name=etcd\.test ", 1)
        # The watch stream is live over TLS: a put reaches the pool.
        self.etcd.put("b2", server(bs[1]))
        wait_until(lambda: sorted(p.servers("app")) == ["b1", "b2"], 3, what="a put over the TLS watch")
        out = load.Probe(*p.address("app")).run(10)
        self.assertEqual(load.failures(out), [], load.describe(out))
        p.proc.wait_for_line(r'etcd_retry pool=badca reason="127\.0\.0\.1:\d+: tls: certificate verify failed: '
                             r'unable to get local issuer certificate"', 3)
        p.proc.wait_for_line(r'etcd_retry pool=noname reason="127\.0\.0\.1:\d+: tls: certificate verify failed: '
                             r'IP address mismatch"', 3)
        p.proc.wait_for_line(r'etcd_retry pool=nocert reason="127\.0\.0\.1:\d+: .*(certificate|alert|reset|closed|'
                             r'end of stream)', 3)
        for name in ("badca", "noname", "nocert"):
            self.assertEqual(p.servers(name), {}, name)
        self.assertEqual(sorted(p.servers("app")), ["b1", "b2"])

    def test_check_config_names_a_bad_ca_or_key_file_and_why(self):
        not_pem = self.h.write("not-a-ca.pem", "this is no certificate\n")
        cert, key = self.client
        _, other_key = self.other.leaf("stranger", ["stranger.test"])
        pools = [self.pool("app", ca_file=not_pem),
                 self.pool("missing", ca_file=self.h.path("absent.pem")),
                 self.pool("wrongkey", ca_file=self.pki.ca, cert_file=cert, key_file=other_key)]
        p = proxy_lib.Proxy(self.h, [cluster_file.listener(n["name"], "HTTP", n["name"]) for n in pools], pools)
        path = self.h.write("bad.conf", p.render())
        code, out = proxy_lib.check_config(path)
        self.assertNotEqual(code, 0, out)
        self.assertRegex(out, r"bad\.conf:\d+:\d+: .*pool 'app' etcd tls: .*not-a-ca\.pem: holds no PEM certificate")
        self.assertRegex(out, r"bad\.conf:\d+:\d+: .*pool 'missing' etcd tls: .*absent\.pem: cannot read it "
                              r"\(No such file or directory\)")
        self.assertRegex(out, r"bad\.conf:\d+:\d+: .*pool 'wrongkey' etcd tls: .*: this key does not belong to")
