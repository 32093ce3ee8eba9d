"""TCP (L4) listeners: bytes both ways intact, half-close forwarded, a dead
backend retried on another."""

import hashlib
import os
import socket
import threading
import unittest

from lib import cluster_file
from proxy.common import ProxyCase


def read_to_eof(sock, limit=16 << 20):
    """Everything until the peer's EOF (bounded by LIMIT bytes and the socket timeout)."""
    chunks, total = [], 0
    while total < limit:
        chunk = sock.recv(65536)
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    return b"".join(chunks)


class Tcp(ProxyCase):

    def setUp(self):
        super().setUp()
        self.bs = self.backends(2, prefix="e", tcp_echo=True)
        pool = cluster_file.pool("echo", self.bs, "ROUND_ROBIN",
                          passive_check={"max_fails": 1, "fail_timeout_ms": 30000})
        self.p = self.start_proxy([pool], listeners=[cluster_file.listener("raw", "TCP", "echo")])
        self.p.wait_usable("echo")
        self.addr = self.p.address("raw")

    def connect(self):
        s = socket.create_connection(self.addr, timeout=5)
        self.addCleanup(s.close)
        return s

    def test_half_close_reaches_the_backend_which_can_still_reply(self):
        s = self.connect()
        s.sendall(b"hello")
        s.shutdown(socket.SHUT_WR)  # the backend sees EOF, answers "bye", then closes
        self.assertEqual(read_to_eof(s), b"hellobye")

    def test_data_both_ways_intact(self):
        s = self.connect()
        payload = os.urandom(2 << 20)
        received = []

        def reader():
            received.append(read_to_eof(s))
        t = threading.Thread(target=reader)
        t.start()
        s.sendall(payload)  # the reader drains the echo meanwhile, so no deadlock
        s.shutdown(socket.SHUT_WR)
        t.join(20)
        self.assertFalse(t.is_alive(), "no EOF from the proxy")
        got = received[0]
        self.assertEqual(len(got), len(payload) + 3)
        self.assertEqual(hashlib.sha256(got).hexdigest(),
                         hashlib.sha256(payload + b"bye").hexdigest())

    def test_many_connections_at_once(self):
        socks = [self.connect() for _ in range(20)]
        for i, s in enumerate(socks):
            s.sendall(b"n%d;" % i)
        for i, s in enumerate(socks):
            s.shutdown(socket.SHUT_WR)
        for i, s in enumerate(socks):
            self.assertEqual(read_to_eof(s), b"n%d;bye" % i)
        # Both servers carried some of them.
        status = self.p.servers("echo")
        self.assertTrue(all(status[b.name]["requests"] > 0 for b in self.bs), status)

    def test_dead_backend_is_retried_on_another(self):
        self.bs[1].kill()
        for i in range(10):
            s = self.connect()
            s.sendall(b"try%d" % i)
            s.shutdown(socket.SHUT_WR)
            self.assertEqual(read_to_eof(s), b"try%dbye" % i)


if __name__ == "__main__":
    unittest.main()
