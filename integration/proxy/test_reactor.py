"""The reactor lb-proxy was built with (epoll, or io_uring with
-DTANDEM_IO_URING=ON), started where io_uring is refused by a seccomp filter
as container runtimes' default profiles do.

An io_uring build must stop at once with a message that says what to
change (never a silent failure, never a crash at its first socket); an epoll
build must not care."""

import os
import subprocess
import sys
import unittest
import urllib.request

from lib import binaries, cluster_file, proxy, seccomp
from proxy.common import DEFAULTS, ProxyCase


def built_with_io_uring() -> bool:
    """TANDEM_IO_URING in the build directory's CMake cache."""
    with open(os.path.join(binaries.build_dir(), "CMakeCache.txt")) as f:
        return any(line.strip().upper() in ("TANDEM_IO_URING:BOOL=ON", "TANDEM_IO_URING:BOOL=TRUE",
                                            "TANDEM_IO_URING:BOOL=1") for line in f)


LAUNCHER = [sys.executable, "-m", "lib.seccomp", "--"]


@unittest.skipUnless(seccomp.supported(), "the seccomp filter knows x86_64 and aarch64 only")
class IoUringRefused(ProxyCase):

    def config(self, servers):
        return proxy.Proxy(self.h, [cluster_file.listener("web", "HTTP", "app")], [cluster_file.pool("app", servers)],
                           defaults=DEFAULTS, workers=1)

    def test_the_refusal_is_named_with_what_to_do(self):
        p = self.config([("s1", "127.0.0.1:9")])
        if not binaries.have_binary("proxy"):
            self.skipTest("lb-proxy not built")
        path = self.h.write("refused.conf", p.render())
        env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        argv = LAUNCHER + [binaries.binary("proxy"), "--config", path, "--node", p.node, "--log-level", "info"]
        if not built_with_io_uring():
            # epoll: the filter changes nothing; the proxy serves (below).
            self.skipTest("an epoll build: see test_an_epoll_build_does_not_need_io_uring")
        r = subprocess.run(argv, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=20)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("lb-proxy: this build runs every socket through io_uring", r.stderr)
        self.assertIn("Operation not permitted", r.stderr)
        self.assertIn("seccomp filter refuses it", r.stderr)
        self.assertIn("-DTANDEM_IO_URING=OFF", r.stderr)
        self.assertNotIn("ready node=", r.stdout + r.stderr)

    def test_an_epoll_build_does_not_need_io_uring(self):
        if built_with_io_uring():
            self.skipTest("an io_uring build: see test_the_refusal_is_named_with_what_to_do")
        b = self.backends(1)[0]
        p = self.config([b])
        p.launcher = LAUNCHER
        p.start()
        self.addCleanup(p.assert_survived)
        with urllib.request.urlopen(p.url("web"), timeout=5) as r:
            self.assertEqual(r.status, 200)
        self.assertIn("reactor epoll", p.proc.tail())


if __name__ == "__main__":
    unittest.main()
