"""The Debian package: builds with CPack, holds what an operator needs, and
its systemd units verify."""

from __future__ import annotations

import glob
import os
import re
import shutil
import subprocess
import tempfile
import unittest

from lib.binaries import binary, build_dir

EXPECTED = [
    "./usr/sbin/lb-proxy",
    "./usr/sbin/ha-agent",
    "./usr/lib/systemd/system/tandem-lb-proxy.service",
    "./usr/lib/systemd/system/tandem-ha-agent.service",
    "./usr/share/doc/tandem/examples/cluster.conf",
    "./usr/share/doc/tandem/examples/loopback.conf",
    "./usr/share/doc/tandem/cluster.proto",
    "./etc/default/tandem",
    "./etc/logrotate.d/tandem",
    "./usr/share/doc/tandem/grafana/tandem-dashboard.json",
]


def read(path: str) -> str:
    with open(path) as f:
        return f.read()


class PackageTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.tmp = tempfile.mkdtemp(prefix="tandem-pkg-")
        out = subprocess.run(["cpack", "-G", "DEB", "-B", cls.tmp], cwd=build_dir(), capture_output=True,
                             text=True, timeout=600)
        if out.returncode != 0:
            raise AssertionError("cpack failed:\n" + out.stdout + out.stderr)
        debs = glob.glob(os.path.join(cls.tmp, "tandem_*.deb"))
        assert len(debs) == 1, debs
        cls.deb = debs[0]
        cls.root = os.path.join(cls.tmp, "root")
        subprocess.run(["dpkg-deb", "-x", cls.deb, cls.root], check=True)

    @classmethod
    def tearDownClass(cls) -> None:
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_contents(self) -> None:
        listing = subprocess.run(["dpkg-deb", "-c", self.deb], capture_output=True, text=True, check=True).stdout
        paths = {line.split()[-1] for line in listing.splitlines()}
        for path in EXPECTED:
            self.assertIn(path, paths)
        if os.path.exists(binary("lbctl")):
            self.assertIn("./usr/bin/lbctl", paths)

    def test_control_fields(self) -> None:
        info = subprocess.run(["dpkg-deb", "-I", self.deb], capture_output=True, text=True, check=True).stdout
        self.assertIn("Package: tandem", info)
        # Shared-library dependencies were computed (protobuf, spdlog, boost, libnl).
        depends = next(line for line in info.splitlines() if line.strip().startswith("Depends:"))
        for lib in ("libprotobuf", "libspdlog", "libnl-route-3"):
            self.assertIn(lib, depends)
        conffiles = subprocess.run(["dpkg-deb", "-I", self.deb, "conffiles"], capture_output=True,
                                   text=True).stdout
        self.assertIn("/etc/default/tandem", conffiles)  # an operator's edits survive upgrades
        self.assertIn("/etc/logrotate.d/tandem", conffiles)
        self.assertIn("adduser", depends)  # postinst creates the tandem user with it

    def test_packaged_binaries_run(self) -> None:
        for name in ("lb-proxy", "ha-agent"):
            out = subprocess.run([os.path.join(self.root, "usr/sbin", name), "--help"], capture_output=True,
                                 text=True, timeout=10)
            self.assertEqual(out.returncode, 0, out.stderr)
            self.assertIn("--config", out.stdout + out.stderr)

    def test_systemd_units_verify(self) -> None:
        """systemd-analyze verify, with ExecStart pointing into the unpacked
        package (so it checks the packaged binaries, not this host's)."""
        units = []
        for name in ("tandem-lb-proxy.service", "tandem-ha-agent.service"):
            text = open(os.path.join(self.root, "usr/lib/systemd/system", name)).read()
            self.assertIn("CapabilityBoundingSet=", text)
            path = os.path.join(self.tmp, name)
            with open(path, "w") as f:
                f.write(text.replace("/usr/sbin/", os.path.join(self.root, "usr/sbin") + "/"))
            units.append(path)
        out = subprocess.run(["systemd-analyze", "verify"] + units, capture_output=True, text=True, timeout=60)
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        # Warnings (unknown keys, bad values) are printed but do not fail the command.
        self.assertEqual(out.stdout + out.stderr, "", "systemd-analyze warned")

    def test_units_grant_only_needed_capabilities(self) -> None:
        proxy = open(os.path.join(self.root, "usr/lib/systemd/system/tandem-lb-proxy.service")).read()
        agent = open(os.path.join(self.root, "usr/lib/systemd/system/tandem-ha-agent.service")).read()
        self.assertIn("CapabilityBoundingSet=CAP_NET_BIND_SERVICE\n", proxy)
        self.assertIn("CapabilityBoundingSet=CAP_NET_ADMIN CAP_NET_RAW\n", agent)

    def unit_paths(self) -> list[str]:
        return [os.path.join(self.root, "usr/lib/systemd/system", name)
                for name in ("tandem-lb-proxy.service", "tandem-ha-agent.service")]

    def test_units_run_as_the_tandem_user_with_ambient_capabilities(self) -> None:
        """Issue 10 §7: not uid 0; what the daemons need is granted as ambient
        capabilities, and the named sandboxing options are all on."""
        for path in self.unit_paths():
            text = read(path)
            with self.subTest(unit=os.path.basename(path)):
                self.assertIn("\nUser=tandem\n", text)
                self.assertIn("\nGroup=tandem\n", text)
                self.assertNotIn("User=root", text)
                self.assertRegex(text, r"\nAmbientCapabilities=CAP_NET_")
                for option in ("ProtectKernelTunables=yes", "ProtectKernelLogs=yes", "ProtectClock=yes",
                               "PrivateDevices=yes", "RestrictNamespaces=yes",
                               "SystemCallFilter=@system-service", "MemoryDenyWriteExecute=yes",
                               "LockPersonality=yes", "NoNewPrivileges=yes"):
                    self.assertIn(f"\n{option}\n", text)
        agent = read(self.unit_paths()[1])
        self.assertRegex(agent, r"\nExecStopPost=/usr/sbin/ha-agent .*--release-vips\n")

    def test_units_exposure_score(self) -> None:
        """`systemd-analyze security` rates each unit at most 2.5 (it was 5.8
        and 6.1 as root), so the sandbox cannot quietly regress."""
        for path in self.unit_paths():
            out = subprocess.run(["systemd-analyze", "security", "--offline=true", "--no-pager", path],
                                 capture_output=True, text=True, timeout=60)
            found = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", out.stdout + out.stderr)
            self.assertIsNotNone(found, out.stdout + out.stderr)
            score = float(found.group(1))
            print(f"\n{os.path.basename(path)}: exposure {score}")
            self.assertLessEqual(score, 2.5, out.stdout)

    def test_postinst_creates_the_tandem_user(self) -> None:
        """The maintainer script is in the package, executable, valid sh, and
        makes the system user and group idempotently. (Running it would add a
        user to this machine; its parts are checked instead.)"""
        ctl = os.path.join(self.tmp, "control")
        subprocess.run(["dpkg-deb", "-e", self.deb, ctl], check=True)
        postinst = os.path.join(ctl, "postinst")
        self.assertTrue(os.access(postinst, os.X_OK))
        subprocess.run(["sh", "-n", postinst], check=True)
        text = read(postinst)
        self.assertIn("getent passwd tandem", text)
        self.assertRegex(text, r"adduser --system .*--ingroup tandem")
        self.assertIn("addgroup --system --quiet tandem", text)


if __name__ == "__main__":
    unittest.main()
