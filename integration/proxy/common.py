"""What every proxy test starts from: a harness, backends and one lb-proxy."""

import unittest

from lib import backend, cluster_file, processes, proxy

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
