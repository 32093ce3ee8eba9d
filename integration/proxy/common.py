"""What every proxy test starts from: a harness, backends and one lb-proxy."""

import socket
import threading
import time
import unittest

from lib import backend, cluster_file, load, processes, proxy
from lib.wait import wait_until

# Timeouts short enough for tests, long enough for a loaded CI machine.
DEFAULTS = {
    "timeouts": {"connect_ms": 500, "request_header_ms": 5000, "client_idle_ms": 30000,
                 "server_ms": 10000, "drain_grace_ms": 5000},
    "http_limits": {"max_header_bytes": 16384, "max_header_count": 100},
}


class ProxyCase(unittest.TestCase):
    """A test with a processes.Harness (self.h), cleaned up by PID."""

    def setUp(self):
        self.h = processes.Harness(self)

    def backends(self, n, prefix="b", **kw):
        """Starts N backends named PREFIX1..PREFIXn; returns them."""
        return [backend.Backend(self.h, f"{prefix}{i}", **kw) for i in range(1, n + 1)]

    def start_proxy(self, pools, listeners=None, defaults=None, workers=2, extra=None):
        """Starts lb-proxy with POOLS and, by default, an HTTP listener "web"
        on the first pool; awaits its admin API and listeners."""
        if listeners is None:
            listeners = [cluster_file.listener("web", "HTTP", pools[0]["name"])]
        p = proxy.Proxy(self.h, listeners, pools, defaults=defaults or DEFAULTS, workers=workers, extra=extra)
        p.start()
        # Runs before the harness stops it: a crash during the test fails it.
        self.addCleanup(p.assert_survived)
        return p


class ThreadedListener:
    """A loopback TCP listener that hands each connection to self._one(conn)
    on a thread of its own, until CASE ends. Subclasses set their own fields
    before calling __init__ (the accept thread starts here)."""

    def __init__(self, case, backlog=64):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(backlog)
        case.addCleanup(self.sock.close)
        self.address = "127.0.0.1:%d" % self.sock.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._one, args=(conn,), daemon=True).start()

    def _one(self, conn):
        raise NotImplementedError


def read_head(sock, data=b""):
    """Reads from SOCK until DATA (what was already read) holds a whole
    header section; returns (the head, the bytes after it), or None when the
    peer closes before that."""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    return head, rest


def read_until_eof(sock, timeout=5):
    """Everything SOCK sends until EOF, a reset or TIMEOUT seconds of silence."""
    sock.settimeout(timeout)
    data = b""
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    except (socket.timeout, ConnectionResetError):
        pass
    return data


# ---- a pool's server set changing under traffic (discovery tests) ----------

def seconds_to_first_request(case, address, new_server, limit_s=5.0):
    """Sends requests to ADDRESS one at a time, each of which must succeed,
    until the backend NEW_SERVER has had one (bounded: LIMIT_S, 2000
    requests); returns the seconds that took."""
    start = time.monotonic()
    probe = load.Probe(*address)
    for _ in range(2000):
        if new_server.count() > 0 or time.monotonic() - start > limit_s:
            break
        outcome = probe.one()
        case.assertTrue(outcome.ok, outcome)
    case.assertGreater(new_server.count(), 0, f"the new server got no request in {limit_s:g} s")
    return time.monotonic() - start


def assert_removal_drains(case, address, removed, remove):
    """Under keep-alive load on ADDRESS, calls REMOVE() (which returns once
    the proxy has dropped the backend REMOVED from the pool); asserts that no
    request failed, before or after, and that REMOVED got no new request
    once it was gone."""
    results, stop = [], threading.Event()

    def keepalive_load():
        client = load.Probe(*address, keepalive=True)
        try:
            for _ in range(3000):  # bounded; stopped much sooner
                if stop.is_set():
                    break
                results.append(client.one())
        finally:
            client.close()

    loader = threading.Thread(target=keepalive_load)
    loader.start()
    try:
        wait_until(lambda: len(results) >= 20, 5, what="the load to start")
        remove()
        seen = len(results)
        wait_until(lambda: len(results) >= seen + 30, 5, what="load after the removal")
    finally:
        stop.set()
        loader.join(10)
    case.assertEqual(load.failures(results), [], load.describe(results))
    after = removed.count()
    out = load.Probe(*address, keepalive=True).run(30)
    case.assertEqual(load.failures(out), [], load.describe(out))
    case.assertEqual(removed.count(), after, "the removed server still got new requests")
