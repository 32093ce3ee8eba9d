"""Stickiness holds over many requests: by source IP, by a cookie the proxy
inserts, by a cookie the backend sets; a stuck server that goes down is
bypassed and the client re-stuck elsewhere."""

import unittest

from lib import cluster_file, load
from proxy.common import ProxyCase

CLIENTS = [f"127.0.0.{i}" for i in range(2, 8)]  # six clients on loopback
ROUNDS = 15


def cookie_value(set_cookie, name):
    """The value of cookie NAME in a Set-Cookie header, or None."""
    first = set_cookie.split(";", 1)[0]
    k, _, v = first.partition("=")
    return v.strip() if k.strip() == name else None


def find_cookie(outcome, name):
    for c in outcome.set_cookies:
        v = cookie_value(c, name)
        if v is not None:
            return v
    return None


class SourceIp(ProxyCase):

    def test_each_client_address_stays_on_one_server(self):
        bs = self.backends(3)
        p = self.start_proxy([cluster_file.pool("app", bs, "ROUND_ROBIN",
                                         stickiness={"kind": "SOURCE_IP", "ttl_ms": 60000})])
        p.wait_usable("app")
        host, port = p.address("web")
        seen = {ip: [] for ip in CLIENTS}
        # Interleave the clients, a new connection per request, so neither the
        # round-robin position nor a kept-alive connection explains stickiness.
        for _ in range(ROUNDS):
            for ip in CLIENTS:
                o = load.request(host, port, source=ip)
                self.assertTrue(o.ok, o)
                seen[ip].append(o.backend)
        for ip, names in seen.items():
            self.assertEqual(len(set(names)), 1, f"{ip} moved between servers: {names}")
        assigned = {ip: names[0] for ip, names in seen.items()}
        self.assertGreaterEqual(len(set(assigned.values())), 2,
                                f"all clients on one server, nothing was balanced: {assigned}")

        # curl from one of the addresses lands on the same server too.
        ip = CLIENTS[0]
        for _ in range(3):
            o = load.curl(p.url("web"), interface=ip)
            self.assertEqual((o.status, o.backend), (200, assigned[ip]), o)

        entries = p.stick("app")
        for ip, server_name in assigned.items():
            match = [e for e in entries if ip == e["key"] or ip in e["key"].split(":")]
            self.assertEqual(len(match), 1, f"no single stick entry for {ip}: {entries}")
            self.assertEqual(match[0]["server"], server_name, match)
            self.assertGreater(match[0]["ttl_remaining_ms"], 0, match)


class InsertCookie(ProxyCase):

    def setUp(self):
        super().setUp()
        self.bs = self.backends(3)
        self.p = self.start_proxy([cluster_file.pool(
            "app", self.bs, "ROUND_ROBIN",
            health_check=cluster_file.http_health(interval_ms=200, rise=2, fall=2),
            stickiness={"kind": "INSERT_COOKIE", "cookie": "TDM", "ttl_ms": 60000})])
        self.p.wait_usable("app")
        self.host, self.port = self.p.address("web")

    def new_session(self):
        o = load.request(self.host, self.port)
        self.assertTrue(o.ok, o)
        value = find_cookie(o, "TDM")
        self.assertIsNotNone(value, f"no Set-Cookie TDM=... in {o.set_cookies}")
        self.assertEqual(value, o.backend, "the inserted cookie must name the server that answered")
        return value

    def test_inserted_cookie_keeps_each_client_on_its_server(self):
        sessions = [self.new_session() for _ in range(6)]
        self.assertGreaterEqual(len(set(sessions)), 2, sessions)
        for _ in range(ROUNDS):
            for server_name in sessions:
                o = load.request(self.host, self.port, headers={"Cookie": f"TDM={server_name}"})
                self.assertTrue(o.ok, o)
                self.assertEqual(o.backend, server_name)

    def test_cookie_naming_a_server_is_honoured(self):
        for name in ("b3", "b1", "b2"):
            out = load.Probe(self.host, self.port, headers={"Cookie": f"TDM={name}"}).run(5)
            self.assertEqual(load.by_backend(out), {name: 5}, load.describe(out))

    def test_stuck_server_down_is_bypassed_and_client_restuck(self):
        self.bs[1].set_health(503)
        self.p.wait_health("app", "DOWN", ["b2"], timeout=5)
        o = load.request(self.host, self.port, headers={"Cookie": "TDM=b2"})
        self.assertTrue(o.ok, o)
        self.assertIn(o.backend, ("b1", "b3"))
        moved = find_cookie(o, "TDM")
        self.assertEqual(moved, o.backend, f"client not re-stuck: Set-Cookie {o.set_cookies}")
        out = load.Probe(self.host, self.port, headers={"Cookie": f"TDM={moved}"}).run(10)
        self.assertEqual(load.by_backend(out), {moved: 10}, load.describe(out))


class LearnCookie(ProxyCase):

    def test_learned_session_cookie_keeps_each_client_on_its_server(self):
        bs = self.backends(3, set_cookie="SESS")
        p = self.start_proxy([cluster_file.pool(
            "app", bs, "ROUND_ROBIN",
            stickiness={"kind": "LEARN_COOKIE", "cookie": "SESS", "ttl_ms": 60000})])
        p.wait_usable("app")
        host, port = p.address("web")
        sessions = {}
        for _ in range(6):
            o = load.request(host, port)
            self.assertTrue(o.ok, o)
            value = find_cookie(o, "SESS")
            self.assertIsNotNone(value, f"backend cookie not passed to the client: {o.set_cookies}")
            sessions[value] = o.backend
        self.assertGreaterEqual(len(set(sessions.values())), 2, sessions)

        for _ in range(ROUNDS):
            for value, server_name in sessions.items():
                o = load.request(host, port, headers={"Cookie": f"SESS={value}"})
                self.assertTrue(o.ok, o)
                self.assertEqual(o.backend, server_name, f"session {value} moved")

        entries = {e["key"]: e for e in p.stick("app")}
        for value, server_name in sessions.items():
            key = next((k for k in entries if k == value or k.endswith(value)), None)
            self.assertIsNotNone(key, f"session {value} not in the stick table: {list(entries)}")
            self.assertEqual(entries[key]["server"], server_name)

        # A cookie the proxy never learned is served normally.
        o = load.request(host, port, headers={"Cookie": "SESS=never-issued"})
        self.assertTrue(o.ok, o)


if __name__ == "__main__":
    unittest.main()
