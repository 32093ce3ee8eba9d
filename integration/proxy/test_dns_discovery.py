"""A pool's servers from DNS (docs/discovery.md "DNS"): a real dnsmasq on
loopback answers A and SRV queries; the proxy follows changes, drains what
vanished without failing a request, and keeps its set while DNS is down."""

import signal
import sys

from lib import cluster_file, load, processes, proxy as proxy_lib
from lib.cluster_file import Enum
from lib.wait import wait_until
from proxy.common import ProxyCase, assert_removal_drains, seconds_to_first_request

RESOLVER_HOST = "127.0.0.53"


class DnsDiscovery(ProxyCase):

    def dnsmasq(self, port, *options, local_ttl=0):
        """Starts dnsmasq on RESOLVER_HOST:PORT with OPTIONS, no other source of
        names; its own records (SRV, hosts) carry LOCAL_TTL unless they set one."""
        argv = ["/usr/sbin/dnsmasq", "--no-daemon", "--conf-file=/dev/null", "--no-resolv", "--no-hosts",
                "--bind-interfaces", f"--listen-address={RESOLVER_HOST}",
                f"--port={port}", "--user=root", f"--pid-file={self.h.path('dnsmasq.pid')}",
                f"--local-ttl={local_ttl}", "--log-queries", *options]
        proc = self.h.start("dnsmasq", argv)
        wait_until(lambda: self.answers(port), 5, what="dnsmasq to answer")
        return proc

    @staticmethod
    def answers(port):
        """True when something answers DNS on RESOLVER_HOST:PORT (a query for '.')."""
        import socket
        query = bytes.fromhex("1234 0100 0001 0000 0000 0000 00 0002 0001".replace(" ", ""))
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.settimeout(0.2)
            try:
                s.sendto(query, (RESOLVER_HOST, port))
                return s.recv(512)[:2] == b"\x12\x34"
            except OSError:
                return False

    def backends_on(self, hosts, port=0):
        """One backend per loopback address in HOSTS, all on one port (A records carry no port)."""
        out = []
        for i, host in enumerate(hosts, 1):
            b = load_backend(self.h, f"b{i}", host, port)
            port = b.port
            out.append(b)
        return out

    def dns_pool(self, dns, **fields):
        d = cluster_file.pool("app", [], "ROUND_ROBIN", **fields)
        d["dns"] = dns
        return d

    def test_a_records_follow_changes_and_survive_an_outage(self):
        bs = self.backends_on(["127.0.0.11", "127.0.0.12", "127.0.0.13"])
        port = bs[0].port
        names = [f"{b.host}:{port}" for b in bs]
        hosts = lambda members: "".join(f"{b.host} web.test\n" for b in members)  # noqa: E731
        hosts_file = self.h.write("hosts", hosts(bs[:2]))
        dns_port = processes.free_port(RESOLVER_HOST)
        dns = self.dnsmasq(dns_port, f"--addn-hosts={hosts_file}")
        p = self.start_proxy([self.dns_pool(dict(name="web.test", type=Enum("A"), port=port,
                                                 resolver=f"{RESOLVER_HOST}:{dns_port}", min_ttl_ms=300,
                                                 max_ttl_ms=1000, timeout_ms=300))])
        wait_until(lambda: sorted(p.servers("app")) == names[:2], 5,
                   what=lambda: f"the pool to hold {names[:2]}, has {sorted(p.servers('app'))}")
        out = load.Probe(*p.address("web")).run(40)
        self.assertEqual(load.failures(out), [], load.describe(out))
        self.assertEqual(set(load.by_backend(out)), {"b1", "b2"})

        # A new address: traffic within 2 s (min_ttl 300 ms bounds the delay).
        self.h.write("hosts", hosts(bs))
        dns.signal(signal.SIGHUP)
        delay = seconds_to_first_request(self, p.address("web"), bs[2])
        print(f"dns change to first request on the new server: {delay * 1000:.0f} ms", file=sys.stderr)
        self.assertLess(delay, 2.0, "b3 took longer than 2 s to get traffic")

        # An address removed under keep-alive load: drained, no request fails.
        def remove_b1():
            self.h.write("hosts", hosts(bs[1:]))
            dns.signal(signal.SIGHUP)
            wait_until(lambda: sorted(p.servers("app")) == names[1:], 3,
                       what=lambda: f"b1 to leave the pool, has {sorted(p.servers('app'))}")
        assert_removal_drains(self, p.address("web"), bs[0], remove_b1)

        # DNS down: the last good set stays, clients are served.
        mark = p.proc.mark()
        dns.kill()
        p.proc.wait_for_line(r"dns_kept pool=app .*failures=2", 5, since=mark)
        self.assertEqual(sorted(p.servers("app")), names[1:])
        out = load.Probe(*p.address("web")).run(30)
        self.assertEqual(load.failures(out), [], load.describe(out))

        # DNS back (with b1 again): updates resume.
        self.h.write("hosts", hosts(bs))
        self.dnsmasq(dns_port, f"--addn-hosts={hosts_file}")
        wait_until(lambda: sorted(p.servers("app")) == names, 5,
                   what=lambda: f"the pool to follow DNS again, has {sorted(p.servers('app'))}")

    def test_srv_records_give_ports_weights_and_priorities(self):
        bs = [load_backend(self.h, f"s{i}", "127.0.0.21") for i in (1, 2, 3)]
        dns_port = processes.free_port(RESOLVER_HOST)
        srv = lambda b, prio, weight: f"--srv-host=_http._tcp.web.test,{b.name}.web.test,{b.port},{prio},{weight}"  # noqa: E731
        records = [f"--host-record={b.name}.web.test,{b.host}" for b in bs]
        dns = self.dnsmasq(dns_port, *records, srv(bs[0], 0, 30), srv(bs[1], 0, 10), srv(bs[2], 1, 10))
        p = self.start_proxy([self.dns_pool(dict(name="_http._tcp.web.test", type=Enum("SRV"),
                                                 resolver=f"{RESOLVER_HOST}:{dns_port}", min_ttl_ms=300,
                                                 max_ttl_ms=1000, timeout_ms=300))])
        first = sorted(b.address for b in bs[:2])
        wait_until(lambda: sorted(p.servers("app")) == first, 5,
                   what=lambda: f"the pool to hold {first}, has {sorted(p.servers('app'))}")
        # The priority-1 record is a fallback, not a member; weights come from the records.
        self.assertEqual(p.servers("app")[bs[0].address]["weight"], 30)
        self.assertEqual(p.servers("app")[bs[1].address]["weight"], 10)
        # lbctl servers add|remove on a DNS pool is refused, not silently overridden.
        status, body = p.admin_request("POST", "/pools/app/servers?set=x,127.0.0.1:1,1,1")
        self.assertEqual(status, 409, body)
        self.assertIn("takes its servers from DNS", body)

        # SRV changes need a dnsmasq restart: s1 leaves, s3 is promoted.
        dns.stop()
        self.dnsmasq(dns_port, *records, srv(bs[1], 0, 10), srv(bs[2], 0, 20))
        second = sorted(b.address for b in bs[1:])
        wait_until(lambda: sorted(p.servers("app")) == second, 5,
                   what=lambda: f"the pool to hold {second}, has {sorted(p.servers('app'))}")
        out = load.Probe(*p.address("web")).run(30)
        self.assertEqual(load.failures(out), [], load.describe(out))
        self.assertEqual(set(load.by_backend(out)), {"s2", "s3"})

    def test_the_srv_ttl_paces_queries_when_the_hosts_live_longer(self):
        # The SRV set says 1 s, its targets' addresses an hour: the set must be
        # followed at the SRV's pace. (c-ares does not report an SRV record's
        # TTL; without reading it the proxy asked again only after max_ttl.)
        bs = [load_backend(self.h, f"t{i}", "127.0.0.31") for i in (1, 2)]
        dns_port = processes.free_port(RESOLVER_HOST)
        srv = lambda b: f"--srv-host=_http._tcp.web.test,{b.name}.web.test,{b.port},0,10"  # noqa: E731
        records = [f"--host-record={b.name}.web.test,{b.host},3600" for b in bs]
        dns = self.dnsmasq(dns_port, *records, srv(bs[0]), local_ttl=1)
        p = self.start_proxy([self.dns_pool(dict(name="_http._tcp.web.test", type=Enum("SRV"),
                                                 resolver=f"{RESOLVER_HOST}:{dns_port}", min_ttl_ms=200,
                                                 max_ttl_ms=60000, timeout_ms=300))])
        wait_until(lambda: list(p.servers("app")) == [bs[0].address], 5,
                   what=lambda: f"the pool to hold {bs[0].address}, has {sorted(p.servers('app'))}")
        dns.stop()
        self.dnsmasq(dns_port, *records, srv(bs[1]), local_ttl=1)
        wait_until(lambda: list(p.servers("app")) == [bs[1].address], 5,
                   what=lambda: f"the pool to follow the SRV set to {bs[1].address} within the SRV's TTL, "
                                f"has {sorted(p.servers('app'))}")
        answers = [line for line in p.proc.lines() if "dns_answer pool=app" in line]
        self.assertTrue(answers and all(line.rstrip().endswith("next_ms=1000") for line in answers), answers)

    def test_no_answer_yet_means_503_not_a_crash(self):
        # Nothing answers on the resolver's port: the pool has no servers yet.
        dns_port = processes.free_port(RESOLVER_HOST)
        mark = 0
        p = self.start_proxy([self.dns_pool(dict(name="web.test", type=Enum("A"), port=80,
                                                 resolver=f"{RESOLVER_HOST}:{dns_port}", min_ttl_ms=200,
                                                 timeout_ms=200))])
        p.proc.wait_for_line(r"dns_kept pool=app name=web.test reason=.* servers=0", 5, since=mark)
        out = load.Probe(*p.address("web")).run(3)
        self.assertEqual([o.status for o in out], [503] * 3, load.describe(out))

    def test_check_config_points_at_a_bad_dns_block(self):
        p = proxy_lib.Proxy(self.h, [cluster_file.listener("web", "HTTP", "app")],
                            [self.dns_pool(dict(name="web.test", type=Enum("A"), resolver="127.0.0.1:99999",
                                                min_ttl_ms=5000, max_ttl_ms=1000))])
        path = self.h.write("bad.conf", p.render())
        code, out = proxy_lib.check_config(path)
        self.assertNotEqual(code, 0, out)
        self.assertRegex(out, r"bad\.conf:\d+:\d+: .*dns A/AAAA needs `port`")
        self.assertRegex(out, r"bad\.conf:\d+:\d+: .*dns resolver: ")
        self.assertRegex(out, r"bad\.conf:\d+:\d+: .*max_ttl_ms 1000 is below min_ttl_ms 5000")


def load_backend(harness, name, host, port=0):
    from lib import backend
    return backend.Backend(harness, name, port=port, host=host)
