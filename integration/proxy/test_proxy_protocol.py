"""PROXY protocol v1/v2 in and out, on real sockets.

In: a listener with accept_proxy takes the client address from the header a
trusted source sends (raw v1/v2 headers, curl --haproxy-protocol, and HAProxy
from Debian as the L4 balancer in front with send-proxy-v2); that address
reaches X-Forwarded-For and source-IP stickiness. A trusted peer without a
good header (missing, truncated, oversize, wrong signature, late) is closed
and counted; an untrusted peer's PROXY line is just a bad request.
Out: send_proxy v1/v2 puts the header on every backend connection in HTTP and
TCP mode (a Python backend parses it), and such a connection carries one
client only."""

import re
import shutil
import socket
import struct
import subprocess
import time
import unittest

from lib import cluster_file, processes
from lib.wait import wait_until
from proxy.common import ProxyCase, ThreadedListener, read_head, read_until_eof

V2_SIG = b"\r\n\r\n\x00\r\nQUIT\n"


def v2_inet(src, sport, dst, dport, command=0x21):
    block = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!HH", sport, dport)
    return V2_SIG + bytes([command, 0x11]) + struct.pack("!H", len(block)) + block


class ProxyHeaderBackend(ThreadedListener):
    """A backend thread that parses the PROXY header starting each connection
    (v1 or v2, minimal) and records it. HTTP: answers each request with
    "<header>|<requests on this connection>" and keeps the connection; TCP:
    answers the header it parsed and closes."""

    def __init__(self, case, http=True):
        self.http = http
        self.connections = []  # one dict per connection: header, requests
        super().__init__(case)

    @staticmethod
    def _read_header(conn, data):
        while len(data) < 16:
            chunk = conn.recv(4096)
            if not chunk:
                return None, data
            data += chunk
        if data.startswith(V2_SIG):
            length = struct.unpack("!H", data[14:16])[0]
            while len(data) < 16 + length:
                data += conn.recv(4096)
            fam, block = data[13], data[16:16 + length]
            if data[12] == 0x20:
                text = "v2 LOCAL"
            elif fam == 0x11:
                src, dst = socket.inet_ntoa(block[0:4]), socket.inet_ntoa(block[4:8])
                sport, dport = struct.unpack("!HH", block[8:12])
                text = f"v2 {src}:{sport} {dst}:{dport}"
            else:
                text = f"v2 family {fam:#x}"
            return text, data[16 + length:]
        while b"\r\n" not in data:
            data += conn.recv(4096)
        line, _, rest = data.partition(b"\r\n")
        return "v1 " + line.decode(), rest

    def _one(self, conn):
        conn.settimeout(10)
        record = {"header": None, "requests": 0}
        self.connections.append(record)
        try:
            record["header"], data = self._read_header(conn, b"")
            if not self.http:
                conn.sendall(f"{record['header']}\n".encode())
                conn.shutdown(socket.SHUT_WR)
                read_until_eof(conn, 2)
                return
            while True:
                got = read_head(conn, data)
                if got is None:
                    return
                _, data = got
                record["requests"] += 1
                body = f"{record['header']}|{record['requests']}".encode()
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
        except OSError:
            return
        finally:
            conn.close()


class ProxyProtocolIn(ProxyCase):

    def setUp(self):
        super().setUp()
        self.bs = self.backends(1)
        web = cluster_file.pool("web", self.bs, stickiness={"kind": "SOURCE_IP"})
        trusted = {"trusted_sources": ["127.0.0.1/32"], "header_timeout_ms": 400}
        self.p = self.start_proxy([web], listeners=[
            cluster_file.listener("pp", "HTTP", "web", accept_proxy=trusted),
            cluster_file.listener("untrusted", "HTTP", "web", accept_proxy={"trusted_sources": ["198.18.0.250"]}),
        ])
        self.p.wait_usable("web")
        # The harness's start-up probe connected to "pp" and sent nothing: it is
        # refused and counted once its header timeout (400 ms) ends, which may
        # be after wait_usable returns.
        wait_until(lambda: self.refused() >= 1, 5, what="the start-up probe's refusal counted")
        self.baseline = self.refused()

    def send(self, data, listener="pp", request=True, timeout=5):
        s = socket.create_connection(self.p.address(listener), timeout=timeout)
        self.addCleanup(s.close)
        if request:
            data += b"GET /who HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        s.sendall(data)
        return read_until_eof(s, timeout)

    @staticmethod
    def seen_xff(response):
        m = re.search(rb"X-Seen-XFF: ([^\r]*)\r\n", response)
        return m.group(1).decode() if m else None

    def refused(self):
        return self.p.metrics().value("tandem_proxy_header_refused_total", listener="pp") or 0

    def test_valid_headers_name_the_client(self):
        r = self.send(b"PROXY TCP4 198.18.0.7 198.18.0.100 40000 80\r\n")
        self.assertTrue(r.startswith(b"HTTP/1.1 200"), r)
        self.assertEqual(self.seen_xff(r), "198.18.0.7")
        r = self.send(v2_inet("198.18.0.8", 40001, "198.18.0.100", 80))
        self.assertEqual(self.seen_xff(r), "198.18.0.8")
        # v2 with TLVs after the addresses: skipped.
        tlvs = b"\x01\x00\x02h2" + b"\x04\x00\x00"
        hdr = v2_inet("198.18.0.9", 1, "198.18.0.100", 80)
        hdr = hdr[:14] + struct.pack("!H", 12 + len(tlvs)) + hdr[16:] + tlvs
        self.assertEqual(self.seen_xff(self.send(hdr)), "198.18.0.9")
        # LOCAL (the balancer's own check) and UNKNOWN: the peer's own address.
        self.assertEqual(self.seen_xff(self.send(V2_SIG + b"\x20\x00\x00\x00")), "127.0.0.1")
        self.assertEqual(self.seen_xff(self.send(b"PROXY UNKNOWN\r\n")), "127.0.0.1")
        # IPv6 in v1.
        self.assertEqual(self.seen_xff(self.send(b"PROXY TCP6 2001:db8::7 2001:db8::1 5 80\r\n")), "2001:db8::7")
        # Source-IP stickiness keyed on the header's address, not the balancer's.
        keys = {e.get("key") for e in self.p.stick("web")}
        self.assertTrue({"198.18.0.7", "198.18.0.8", "2001:db8::7"} <= keys, keys)
        self.assertEqual(self.refused(), self.baseline)

    def test_bad_headers_from_a_trusted_source_are_closed_and_counted(self):
        cases = {
            "missing": b"",
            "wrong v1 keyword": b"PROXY TCP5 198.18.0.7 198.18.0.100 1 2\r\n",
            "bad v2 signature": V2_SIG[:5] + b"\x0e" + V2_SIG[6:] + b"\x21\x11\x00\x0c" + b"\0" * 12,
            "oversize v1": b"PROXY UNKNOWN " + b"x" * 200,
            "v2 truncated TLV": V2_SIG + b"\x21\x11\x00\x0e" + b"\0" * 12 + b"\x01\x00",
        }
        for why, data in cases.items():
            r = self.send(data)
            self.assertEqual(r, b"", f"{why}: {r!r}")
        # Truncated then silent: cut at the header timeout (400 ms), no answer.
        started = time.monotonic()
        r = self.send(b"PROXY TCP4 198.18.0.7 198.1", request=False)
        self.assertEqual(r, b"")
        self.assertLess(time.monotonic() - started, 3.0)
        wait_until(lambda: self.refused() == self.baseline + len(cases) + 1, 5, what="every refusal counted")
        self.assertEqual(self.bs[0].count(), 0, "a refused connection reached the backend")

    def test_untrusted_source_cannot_claim_an_address(self):
        r = self.send(b"PROXY TCP4 198.18.0.66 198.18.0.100 1 80\r\n", listener="untrusted")
        self.assertTrue(r.startswith(b"HTTP/1.1 400"), r)
        r = self.send(b"", listener="untrusted")
        self.assertEqual(self.seen_xff(r), "127.0.0.1")

    def test_curl_haproxy_protocol(self):
        out = subprocess.run(["curl", "-sS", "-i", "--haproxy-protocol", "--interface", "127.0.0.1",
                              self.p.url("pp", "/curl")], capture_output=True, timeout=10)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertTrue(out.stdout.startswith(b"HTTP/1.1 200"), out.stdout)
        self.assertEqual(self.seen_xff(out.stdout), "127.0.0.1")

    @unittest.skipUnless(shutil.which("haproxy"), "haproxy not installed")
    def test_haproxy_in_front_with_send_proxy_v2(self):
        port = processes.free_port()
        host, pp_port = self.p.address("pp")
        cfg = self.h.write("haproxy.cfg", f"""
global
  maxconn 64
defaults
  mode tcp
  timeout connect 2s
  timeout client 10s
  timeout server 10s
frontend fe
  bind 127.0.0.1:{port}
  default_backend be
backend be
  server tandem {host}:{pp_port} send-proxy-v2
""")
        self.h.start("haproxy", ["haproxy", "-db", "-f", cfg])
        wait_until(lambda: processes.can_connect("127.0.0.1", port), 10, what="haproxy listening")
        # The client comes from 127.0.0.2; HAProxy connects to us from 127.0.0.1.
        out = subprocess.run(["curl", "-sS", "-i", "--interface", "127.0.0.2", f"http://127.0.0.1:{port}/via"],
                             capture_output=True, timeout=10)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(self.seen_xff(out.stdout), "127.0.0.2", out.stdout)


class ProxyProtocolOut(ProxyCase):

    def test_http_backend_connections_start_with_the_header_and_serve_one_client(self):
        b = ProxyHeaderBackend(self)
        b2 = ProxyHeaderBackend(self)
        pools = [cluster_file.pool("v1", [("h1", b.address)], send_proxy=cluster_file.Enum("SEND_PROXY_V1")),
                 cluster_file.pool("v2", [("h2", b2.address)])]
        pools[1]["servers"][0]["send_proxy"] = cluster_file.Enum("SEND_PROXY_V2")  # a server's own setting
        p = self.start_proxy(pools, listeners=[cluster_file.listener("web", "HTTP", "v1"),
                                               cluster_file.listener("web2", "HTTP", "v2")])
        host, port = p.address("web")
        bodies = []
        for _ in range(2):  # two clients, two keep-alive requests each
            s = socket.create_connection((host, port), timeout=5)
            self.addCleanup(s.close)
            for _ in range(2):
                s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
                head = b""
                while b"\r\n\r\n" not in head:
                    head += s.recv(4096)
                head, _, body = head.partition(b"\r\n\r\n")
                length = int(re.search(rb"Content-Length: (\d+)", head).group(1))
                while len(body) < length:
                    body += s.recv(4096)
                bodies.append(body.decode())
        for body in bodies:
            self.assertRegex(body, rf"^v1 PROXY TCP4 127\.0\.0\.1 127\.0\.0\.1 \d+ {port}\|1$")
        # Every backend connection carried one request: none was pooled across clients.
        self.assertTrue(all(c["requests"] <= 1 for c in b.connections), b.connections)
        r = subprocess.run(["curl", "-sS", p.url("web2", "/")], capture_output=True, text=True, timeout=10)
        self.assertRegex(r.stdout, rf"^v2 127\.0\.0\.1:\d+ 127\.0\.0\.1:{p.address('web2')[1]}\|1$")

    def test_tcp_mode_passes_the_client_address_on(self):
        b = ProxyHeaderBackend(self, http=False)
        pool = cluster_file.pool("sink", [("t1", b.address)], send_proxy=cluster_file.Enum("SEND_PROXY_V2"))
        p = self.start_proxy([pool], listeners=[cluster_file.listener(
            "raw", "TCP", "sink", accept_proxy={"trusted_sources": ["127.0.0.0/8"]})])
        s = socket.create_connection(p.address("raw"), timeout=5)
        self.addCleanup(s.close)
        # The address a balancer names in v1 goes on to the backend in v2.
        s.sendall(b"PROXY TCP4 198.18.0.44 198.18.0.100 4444 443\r\n")
        self.assertEqual(read_until_eof(s), b"v2 198.18.0.44:4444 198.18.0.100:443\n")
