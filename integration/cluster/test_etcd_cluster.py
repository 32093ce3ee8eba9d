"""etcd discovery on the namespace cluster (issue 13, docs/discovery.md "Do
all nodes agree?"). A real three-member etcd cluster (Debian's etcd-server)
on hosts etcd1..3 (198.18.0.61-63), three edges with lb-proxy and ha-agent
whose pool "web" watches one prefix with two endpoints (etcd1, etcd2), and
the real lbctl from the client namespace. One cluster for the class; the
tests run in name order:

  a: a key put in etcd gets traffic through every node's own address
     within 2 s; `lbctl status` shows the same set version on every node.
  b: edge3 cut from etcd alone (nftables in edge3's namespace dropping
     etcd's client port) while the set changes: `lbctl status` flags edge3
     (DIFFERS, exit 1, the JSON's exit_code and warnings say so); healed,
     it converges and the flag goes.
  c: 100 servers put in one etcd transaction, then deleted in one
     deleterange: every node converges on the same version and the same
     member list, both ways.
  d: the etcd member a proxy watches is killed (SIGKILL): the watch resumes
     on the other endpoint from the same revision (the proxy's log), the
     pool is unchanged (digest, generation), a probe through the VIP fails
     no request, and a later put reaches every node through the new watch.

Run as root from integration/:
    TANDEM_BUILD=../build PYTHONPATH=. python3 -m unittest -v cluster/test_etcd_cluster.py
"""

from __future__ import annotations

import base64
import json
import os
import re
import sys
import time
import unittest

from lib.binaries import binary
from lib.cluster import LISTEN_PORT, ClassScope, Cluster, SharedClusterTestCase, cluster_or_skip
from lib.cluster_file import pool
from lib.netns import BACKENDS, CLIENT
from lib.wait import wait_until

ETCD_BIN = "/usr/bin/etcd"
ETCD = {"etcd1": "198.18.0.61", "etcd2": "198.18.0.62", "etcd3": "198.18.0.63"}
ETCD_PORT = 2379
PREFIX = "/tandem/pools/web/"
CLIENT_HOST = CLIENT[0]
# The pool watches two of the three members: the third keeps the quorum
# when one of the two is killed (test d).
WATCHED = [f"{ETCD['etcd1']}:{ETCD_PORT}", f"{ETCD['etcd2']}:{ETCD_PORT}"]


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def value(host: str, port: int = 8000, **more) -> str:
    return json.dumps({"address": f"{BACKENDS[host]}:{port}", **more})


class EtcdCluster(Cluster):
    """Pool "web" has no servers in the file: its set is the prefix's keys."""

    def backend_pool(self, name: str, stickiness: dict | None = None) -> dict:
        p = pool(name, [], "ROUND_ROBIN", health_check=self.health_check, stickiness=stickiness)
        p["etcd"] = dict(endpoints=WATCHED, prefix=PREFIX, timeout_ms=500, retry_min_ms=100, retry_max_ms=1000)
        return p


class EtcdClusterTest(SharedClusterTestCase):

    @classmethod
    def setUpClass(cls) -> None:
        if not os.access(ETCD_BIN, os.X_OK):
            raise unittest.SkipTest(f"{ETCD_BIN} is not installed (Debian etcd-server)")
        cls.scope = ClassScope(cls)
        started = time.monotonic()
        cls.c = c = cluster_or_skip(cls.scope, EtcdCluster, binaries=("proxy", "agent", "lbctl"), preempt=False)
        for name, ip in ETCD.items():
            c.topo.add_host(name, ip)
        members = ",".join(f"{n}=http://{ip}:2380" for n, ip in ETCD.items())
        for name, ip in ETCD.items():
            c._start(name, "etcd", [
                ETCD_BIN, "--name", name, "--data-dir", os.path.join(c.dir, f"{name}-data"),
                "--listen-client-urls", f"http://{ip}:{ETCD_PORT}", "--advertise-client-urls", f"http://{ip}:{ETCD_PORT}",
                "--listen-peer-urls", f"http://{ip}:2380", "--initial-advertise-peer-urls", f"http://{ip}:2380",
                "--initial-cluster", members, "--initial-cluster-state", "new", "--initial-cluster-token", "tandem-it",
                # A quick election when test d kills a member (defaults: 100 / 1000 ms).
                "--heartbeat-interval", "50", "--election-timeout", "500",
                "--logger", "zap", "--log-level", "warn"])
        # A put answered means a leader and a quorum.
        wait_until(lambda: cls.try_put("backend1", value("backend1")), 20, 0.1, what="the etcd cluster to accept a put")
        cls.put("backend2", value("backend2"))
        c.start()
        for e in c.edges:
            c.wait_serving(e)
        # lbctl's exit code covers the roles too: settled before it is read.
        cls.master = c.wait_roles(None)
        sys.stderr.write(f"etcd cluster: set up in {time.monotonic() - started:.1f} s\n")

    # ---- etcd, through its JSON gateway from the client namespace -----------

    @classmethod
    def etcd_call(cls, path: str, body: dict, member: str = "etcd2") -> dict:
        addr = (ETCD[member], ETCD_PORT)
        data = json.dumps(body).encode()
        with cls.c.topo.socket(CLIENT_HOST) as s:
            s.settimeout(3.0)
            s.connect(addr)
            s.sendall(f"POST /v3/{path} HTTP/1.0\r\nHost: {addr[0]}\r\nContent-Type: application/json\r\n"
                      f"Content-Length: {len(data)}\r\nConnection: close\r\n\r\n".encode() + data)
            raw = b""
            for _ in range(10_000):
                chunk = s.recv(65536)
                if not chunk:
                    break
                raw += chunk
        head, _, payload = raw.partition(b"\r\n\r\n")
        status = int(head.split()[1])
        if status != 200:
            raise OSError(f"etcd {path}: HTTP {status} {payload[:200]!r}")
        return json.loads(payload)

    @classmethod
    def put(cls, name: str, text: str, member: str = "etcd2") -> int:
        """Puts PREFIX+NAME; the revision."""
        return int(cls.etcd_call("kv/put", {"key": b64(PREFIX + name), "value": b64(text)}, member)["header"]["revision"])

    @classmethod
    def try_put(cls, name: str, text: str) -> bool:
        try:
            cls.put(name, text)
            return True
        except (OSError, ValueError, IndexError):
            return False

    # ---- what the nodes say --------------------------------------------------

    def lbctl(self, *args: str) -> tuple[int, str, str]:
        r = self.c.topo.run(CLIENT_HOST, [binary("lbctl"), "--config", self.c.config_path, *args],
                            check=False, timeout=30)
        return r.returncode, r.stdout, r.stderr

    def lbctl_sets(self) -> tuple[int, dict, dict]:
        """lbctl status --json: (exit, pool web's server_sets entry, the view)."""
        code, out, err = self.lbctl("status", "--json", "--interval", "0")
        view = json.loads(out.strip().splitlines()[-1])
        for p in view.get("server_sets", []):
            if p["pool"] == "web":
                return code, p, view
        self.fail(f"no server set for web in lbctl status: {out} {err}")

    def set_of(self, node: str) -> dict:
        """Node's /status pools[web]: {"set": server_set facts, "names": [...], "generation": N}."""
        st = self.c.proxy_admin(node)
        for p in st["pools"]:
            if p["name"] == "web":
                return {"set": p["server_set"], "names": [s["name"] for s in p["servers"]],
                        "generation": st["generation"]}
        raise KeyError("web")

    def wait_version(self, nodes: list[str], revision: int, timeout: float, what: str) -> None:
        for n in nodes:
            wait_until(lambda: self.set_of(n)["set"]["version"] >= revision, timeout, 0.02,
                       what=lambda: f"{what}: {n} at revision {revision}, has {self.set_of(n)['set']}")

    def backend_of(self, node: str) -> str | None:
        addr = f"{self.c.topo.host(node).ip}:{LISTEN_PORT}"
        try:
            status, headers, _ = self.c.topo.http_get(node, addr, "/", 1.0)
        except (OSError, ValueError, IndexError):
            return None
        return headers.get("x-backend") if status == 200 else f"status {status}"

    def watched_endpoint(self, node: str) -> str:
        lines = [m for line in self.c.proc(node, "proxy").lines()
                 if (m := re.search(r"etcd_watching pool=web endpoint=(\S+)", line))]
        self.assertTrue(lines, f"{node} never watched")
        return lines[-1].group(1)

    # ---- the scenarios -------------------------------------------------------

    def test_a_a_put_key_serves_on_every_node_within_2s(self) -> None:
        revision = self.put("backend3", value("backend3"))
        put_at = time.monotonic()
        reached = {}
        for e in self.c.edges:
            # Round robin over three servers: backend3 answers one request in three.
            wait_until(lambda: self.backend_of(e) == "backend3", max(0.1, put_at + 2.0 - time.monotonic()), 0.01,
                       what=f"{e} sending a request to backend3 within 2 s of the put")
            reached[e] = time.monotonic() - put_at
        sys.stderr.write("etcd put to first request on backend3: "
                         + ", ".join(f"{e} {t * 1000:.0f} ms" for e, t in reached.items()) + "\n")
        code, sets, view = self.lbctl_sets()
        self.assertEqual(code, 0, (sets, view["warnings"]))
        self.assertEqual(sets["source"], "etcd")
        self.assertEqual(sets["disagreeing"], [])
        self.assertEqual({n: v["version"] for n, v in sets["nodes"].items()}, {e: revision for e in self.c.edges})
        self.assertEqual(len({v["digest"] for v in sets["nodes"].values()}), 1, sets)
        self.assertEqual({v["servers"] for v in sets["nodes"].values()}, {3})
        code, out, _ = self.lbctl("status", "--interval", "0")
        self.assertEqual(code, 0, out)
        self.assertRegex(out, rf"web \(etcd\): edge1 v{revision} [0-9a-f]{{8}} 3 servers; edge2 v{revision} ")
        self.assertNotIn("DIFFERS", out)

    def test_b_a_node_cut_from_etcd_is_flagged_and_converges_when_healed(self) -> None:
        c = self.c
        before = self.set_of("edge3")["set"]
        # edge3 alone loses etcd: its packets to and from etcd's client port
        # are dropped (the LAN, the agents and the backends stay reachable).
        c.topo._nft(c.topo.ns("edge3"), "table inet tdmetcdcut {\n"
                    f"  chain out {{ type filter hook output priority 0; policy accept; tcp dport {ETCD_PORT} drop; }}\n"
                    f"  chain in {{ type filter hook input priority 0; policy accept; tcp sport {ETCD_PORT} drop; }}\n"
                    "}\n")
        healed = False
        try:
            revision = self.put("backend3", value("backend3", weight=2))
            self.wait_version(["edge1", "edge2"], revision, 3, "the others following")
            code, sets, view = self.lbctl_sets()
            self.assertEqual(code, 1, sets)
            self.assertEqual(view["exit_code"], 1)
            self.assertEqual(view["health"], "degraded")
            self.assertEqual(sets["disagreeing"], ["edge3"])
            self.assertEqual(sets["nodes"]["edge3"]["version"], before["version"])
            self.assertEqual(sets["nodes"]["edge1"]["version"], revision)
            self.assertTrue(any("edge3" in w and "web" in w for w in map(str, view["warnings"])), view["warnings"])
            code, out, _ = self.lbctl("status", "--interval", "0")
            self.assertEqual(code, 1, out)
            self.assertRegex(out, rf"edge3 v{before['version']} [0-9a-f]{{8}} 3 servers DIFFERS")
            self.assertRegex(out, r"cannot reach etcd")
            # lbctl watch shows the same, and exits 1 with it.
            code, out, _ = self.lbctl("watch", "--count", "1")
            self.assertEqual(code, 1, out)
            self.assertRegex(out, rf"edge3 v{before['version']} [0-9a-f]{{8}} 3 servers DIFFERS")
            # Clients of edge3 are still served, by the set it had.
            self.assertIn(self.backend_of("edge3"), {"backend1", "backend2", "backend3"})
            c.topo.run("edge3", ["nft", "delete", "table", "inet", "tdmetcdcut"])
            healed = True
            healed_at = time.monotonic()
            # The stream resumes when TCP retransmits through the healed path
            # (or, after a long cut, keepalive ends it and the proxy reconnects).
            wait_until(lambda: self.lbctl_sets()[0] == 0, 20, 0.2, what="lbctl status healthy after the heal")
            sys.stderr.write(f"etcd cut healed: edge3 agreed again after {time.monotonic() - healed_at:.1f} s\n")
            code, sets, view = self.lbctl_sets()
            self.assertEqual(sets["disagreeing"], [])
            self.assertEqual({v["version"] for v in sets["nodes"].values()}, {revision})
            code, out, _ = self.lbctl("status", "--interval", "0")
            self.assertNotIn("DIFFERS", out)
        finally:
            if not healed:
                c.topo.run("edge3", ["nft", "delete", "table", "inet", "tdmetcdcut"], check=False)

    def test_c_a_burst_of_100_servers_converges_on_every_node(self) -> None:
        c = self.c
        base = sorted(self.set_of("edge1")["names"])
        puts = [{"requestPut": {"key": b64(PREFIX + f"burst{i:03d}"), "value": b64(value("backend3", 9000 + i))}}
                for i in range(100)]
        t0 = time.monotonic()
        added = int(self.etcd_call("kv/txn", {"success": puts})["header"]["revision"])
        self.wait_version(c.edges, added, 10, "100 servers added")
        grown = time.monotonic() - t0
        sets = {e: self.set_of(e) for e in c.edges}
        names = {e: sorted(s["names"]) for e, s in sets.items()}
        self.assertEqual(len(names["edge1"]), len(base) + 100)
        self.assertEqual(names["edge2"], names["edge1"])
        self.assertEqual(names["edge3"], names["edge1"])
        self.assertEqual(len({(s["set"]["version"], s["set"]["digest"]) for s in sets.values()}), 1, sets)
        code, agreed, _ = self.lbctl_sets()
        self.assertEqual(code, 0, agreed)
        self.assertEqual({v["servers"] for v in agreed["nodes"].values()}, {len(base) + 100})

        t0 = time.monotonic()
        gone = int(self.etcd_call("kv/deleterange", {"key": b64(PREFIX + "burst"),
                                                     "range_end": b64(PREFIX + "bursu")})["header"]["revision"])
        self.wait_version(c.edges, gone, 10, "100 servers deleted")
        shrunk = time.monotonic() - t0
        sets = {e: self.set_of(e) for e in c.edges}
        for e, s in sets.items():
            self.assertEqual(sorted(s["names"]), base, e)
        self.assertEqual(len({(s["set"]["version"], s["set"]["digest"]) for s in sets.values()}), 1, sets)
        code, agreed, _ = self.lbctl_sets()
        self.assertEqual(code, 0, agreed)
        sys.stderr.write(f"etcd burst: 100 keys in one txn on all 3 nodes in {grown * 1000:.0f} ms, "
                         f"deleted in {shrunk * 1000:.0f} ms\n")

    def test_d_the_watched_member_killed_the_watch_moves_on_unchanged(self) -> None:
        c = self.c
        watching = {e: self.watched_endpoint(e) for e in c.edges}
        victim_ep = watching[self.master]   # the probe goes through the master
        victim = next(n for n, ip in ETCD.items() if f"{ip}:{ETCD_PORT}" == victim_ep)
        other_ep = next(ep for ep in WATCHED if ep != victim_ep)
        moved = [e for e, ep in watching.items() if ep == victim_ep]
        before = {e: self.set_of(e) for e in c.edges}
        marks = {e: c.proc(e, "proxy").mark() for e in c.edges}
        probe = c.start_probe(4.0, interval_ms=10, timeout_ms=500)
        time.sleep(0.5)  # traffic before the kill, not synchronisation
        c.kill(victim, "etcd")
        for e in moved:
            line = c.proc(e, "proxy").wait_for_line(
                rf"etcd_watching pool=web endpoint={re.escape(other_ep)} from_revision=(\d+)", 5, since=marks[e])
            self.assertEqual(int(line.group(1)), before[e]["set"]["version"] + 1, e)
        log = probe.wait()
        self.assertEqual(log.failure_count(), 0, log.summary())
        self.assertGreater(len(log.successes), 50, log.summary())
        for e in c.edges:
            after = self.set_of(e)
            self.assertEqual(after["set"], before[e]["set"], e)
            self.assertEqual(after["generation"], before[e]["generation"], f"{e} built a new generation")
            self.assertFalse([ln for ln in c.proc(e, "proxy").lines(marks[e]) if "etcd_set_changed" in ln], e)
        # The new watch is live: a put through the surviving members reaches every node.
        survivor = next(n for n in ETCD if n != victim)
        revision = wait_until(lambda: self.try_put_on(survivor, "backend3", value("backend3")), 5, 0.1,
                              what="a put after the kill")
        self.wait_version(c.edges, revision, 3, "a put after the failover")
        code, sets, _ = self.lbctl_sets()
        self.assertEqual(code, 0, sets)
        sys.stderr.write(f"etcd failover: killed {victim} ({victim_ep}), {moved} moved to {other_ep}; "
                         f"probe {log.summary()}\n")

    def try_put_on(self, member: str, name: str, text: str) -> int | None:
        try:
            return self.put(name, text, member)
        except (OSError, ValueError, IndexError):
            return None


if __name__ == "__main__":
    unittest.main()
