"""The three binaries' command lines and --check-config on the node itself
(issue 10 §5, §6; issue 9 §4), driven through the real binaries.

- A bad command line gives a message naming the option, the usage, exit 2,
  and starts nothing (no listener bound, no control socket made).
- --check-config refuses what the start would refuse: a missing, short or
  world-readable key file (ha-agent and lb-proxy), a missing interface
  (ha-agent, on the node), a unix socket path longer than sun_path and a VIP
  on no node's subnet, each at the file:line:col of its key.

Loopback only; no namespaces. Run as root from integration/:
    TANDEM_BUILD=../build PYTHONPATH=. python3 -m unittest -v cli/test_command_line.py
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import unittest

from lib.binaries import binary
from lib.cluster_file import listener, to_text
from lib.processes import free_port

# The binaries by the name they print in their usage, as lib.binaries kinds.
BINARIES = {"lb-proxy": "proxy", "ha-agent": "agent", "lbctl": "lbctl"}


def path_of(name: str) -> str:
    return binary(BINARIES[name])


def run(name: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([path_of(name), *args], stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=20)


class CommandLineTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        for name in BINARIES:
            if not os.access(path_of(name), os.X_OK):
                raise unittest.SkipTest(f"{path_of(name)} is not built")

    def setUp(self) -> None:
        self.dir = tempfile.mkdtemp(prefix="tandem-cli-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.key = os.path.join(self.dir, "cluster.key")
        self.write_key("k" * 44, 0o600)
        self.port = free_port()
        self.control = os.path.join(self.dir, "control.sock")

    def write_key(self, text: str, mode: int) -> None:
        with open(self.key, "w") as f:
            f.write(text + "\n")
        os.chmod(self.key, mode)

    def write_config(self, *, interface: str = "lo", vip: str = "127.0.0.100/8", local_channel: str = "") -> str:
        """A one-node cluster on loopback; key_file is on line 10, interface
        on line 5, local_channel on line 6, the VIP on line 13 (the tests
        assert those positions in the errors)."""
        config = {
            "name": "cli",
            "nodes": [{"name": "local", "address": "127.0.0.1", "interface": interface,
                       "local_channel": local_channel or os.path.join(self.dir, "local.sock"),
                       "control_socket": self.control}],
            "ha": {"key_file": self.key, "unicast": True,
                   "instances": [{"vips": vip, "name": "www", "id": 7,
                                  "priorities": [{"node": "local", "priority": 100}]}]},
            "listeners": [listener("web", "HTTP", "app", bind=f"127.0.0.1:{self.port}")],
            "pools": [{"name": "app", "servers": [{"name": "s1", "address": "127.0.0.1:9"}]}],
        }
        path = os.path.join(self.dir, "cluster.conf")
        with open(path, "w") as f:
            f.write(to_text(config))
        return path

    def assert_usage_error(self, name: str, args: list[str], message: str) -> None:
        out = run(name, *args)
        self.assertEqual(out.returncode, 2, f"{name} {args}: {out.stdout}{out.stderr}")
        self.assertIn(message, out.stderr, f"{name} {args}")
        self.assertIn(f"usage: {name}", out.stderr, f"{name} {args}")
        self.assertEqual(out.stdout, "", f"{name} {args}")
        self.assertNotIn("terminate called", out.stderr)

    def assert_nothing_started(self) -> None:
        with socket.socket() as s:
            s.settimeout(0.5)
            self.assertNotEqual(s.connect_ex(("127.0.0.1", self.port)), 0, "a listener was bound")
        self.assertFalse(os.path.exists(self.control), "a control socket was made")

    def test_bad_values_exit_2_with_a_message_and_start_nothing(self) -> None:
        conf = self.write_config()
        base = ["--config", conf, "--node", "local"]
        # `lb-proxy --workers abc` aborted on an uncaught std::invalid_argument (issue 10 §6).
        self.assert_usage_error("lb-proxy", base + ["--workers", "abc"], "--workers: 'abc' is not a number")
        self.assert_usage_error("lb-proxy", base + ["--workers", "-1"], "--workers: '-1'")
        self.assert_usage_error("lb-proxy", base + ["--workers"], "--workers")
        self.assert_usage_error("lb-proxy", base + ["--wrkers", "2"], "--wrkers")
        self.assert_usage_error("lb-proxy", ["--config", conf], "--config and --node are required")
        self.assert_usage_error("ha-agent", base + ["--bogus"], "--bogus")
        self.assert_usage_error("ha-agent", base + ["--status", "--switchover"], "exclude each other")
        self.assert_usage_error("ha-agent", base + ["--to", "edge2"], "--to and --instance go with --switchover")
        self.assert_usage_error("ha-agent", base + ["--node", "other"], "--node")
        self.assert_usage_error("lbctl", ["--config", conf, "status", "--timeout", "abc"],
                                "--timeout: 'abc' is not a duration")
        self.assert_usage_error("lbctl", ["--config", conf, "status", "--timeout"], "--timeout")
        self.assert_usage_error("lbctl", ["--config", conf, "frobnicate"], "unknown command 'frobnicate'")
        self.assert_nothing_started()

    def test_each_binary_has_help(self) -> None:
        for name, options in {"lb-proxy": ["--config", "--node", "--check-config", "--workers", "--log-level"],
                              "ha-agent": ["--config", "--check-config", "--status", "--switchover",
                                           "--release-vips"],
                              "lbctl": ["--config", "--key", "--timeout", "--json"]}.items():
            for flag in ("--help", "-h"):
                out = run(name, flag)
                self.assertEqual(out.returncode, 0, f"{name} {flag}: {out.stderr}")
                self.assertIn(f"usage: {name}", out.stdout)
                for option in options:
                    self.assertIn(option, out.stdout, f"{name} {flag}")

    def check(self, name: str, conf: str) -> tuple[int, str]:
        out = run(name, "--config", conf, "--node", "local", "--check-config")
        return out.returncode, out.stdout + out.stderr

    def test_check_config_refuses_a_key_file_the_start_refuses(self) -> None:
        conf = self.write_config()
        for name in ("ha-agent", "lb-proxy"):
            self.assertEqual(self.check(name, conf), (0, f"{conf}: configuration is valid for node local\n"))
        cases = {
            "short": lambda: self.write_key("k" * 31, 0o600),
            "world-readable": lambda: self.write_key("k" * 44, 0o644),
            "missing": lambda: os.remove(self.key),
        }
        expect = {"short": "holds 31 bytes; at least 32 are needed",
                  "world-readable": "is readable by every user (mode 0644)",
                  "missing": "cannot read key file"}
        for case, make in cases.items():
            make()
            for name in ("ha-agent", "lb-proxy"):
                with self.subTest(case=case, binary=name):
                    code, out = self.check(name, conf)
                    self.assertEqual(code, 1, out)
                    self.assertIn(f"{conf}:10:3: error: ha: key_file: ", out)
                    self.assertIn(expect[case], out)
        # 0640 (group tandem reads it, as the packaged units do) is fine.
        self.write_key("k" * 44, 0o640)
        self.assertEqual(self.check("ha-agent", conf)[0], 0)

    def test_check_config_on_the_node_finds_a_missing_interface(self) -> None:
        conf = self.write_config(interface="tdmnosuch0")
        code, out = self.check("ha-agent", conf)
        self.assertEqual(code, 1, out)
        self.assertIn(f"{conf}:5:3: error: node 'local': interface 'tdmnosuch0' does not exist on this host", out)
        # The proxy does not use the interface.
        self.assertEqual(self.check("lb-proxy", conf)[0], 0)

    def test_check_config_finds_a_unix_socket_path_too_long(self) -> None:
        """The agent died at start with "File name too long", naming no path (issue 9 §4)."""
        long_path = os.path.join(self.dir, "s" * 120 + ".sock")
        conf = self.write_config(local_channel=long_path)
        for name in ("ha-agent", "lb-proxy"):
            code, out = self.check(name, conf)
            self.assertEqual(code, 1, out)
            self.assertIn(f"{conf}:6:3: error: local_channel: the path is {len(long_path)} bytes; a unix socket "
                          "path holds at most 107", out)

    def test_check_config_finds_a_vip_on_no_nodes_subnet(self) -> None:
        conf = self.write_config(vip="198.18.0.100/24")
        code, out = self.check("ha-agent", conf)
        self.assertEqual(code, 1, out)
        self.assertIn(f"{conf}:13:5: error: instance 'www': vip 198.18.0.100/24 is outside the subnet of every "
                      "node that runs it (local 127.0.0.1)", out)


if __name__ == "__main__":
    unittest.main()
