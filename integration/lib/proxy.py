"""Run the real lb-proxy binary: write its config, start it, ask its admin API.

The binary is found by lib.binaries ($TANDEM_BUILD/lb/lb-proxy). Configs are
built from Python data (the blocks of lib.cluster_file) and written by it in
protobuf text format:

    p = Proxy(harness,
              listeners=[cluster_file.listener("web", "HTTP", "app")],
              pools=[cluster_file.pool("app", backends, algorithm="ROUND_ROBIN")])
    p.start()                      # awaits /status and every listener
    p.wait_health("app", "UP")     # every server up
    p.url("web")                   # "http://127.0.0.1:PORT"

Listeners without a "bind" get a free loopback port; the admin listener too.
A reload keeps those addresses: p.reload(pools=[...]) renders the new file
with the same binds, writes it, sends SIGHUP and awaits the outcome.
"""

import hashlib
import hmac
import http.client
import json
import os
import re
import signal
import subprocess
import time

from lib import processes
from lib.binaries import require_binary
from lib.cluster_file import to_text
from lib.wait import GiveUp, WaitTimeout, wait_until


def check_config(path, node="local", timeout=10):
    """Runs `lb-proxy --check-config`; returns (exit code, stdout+stderr)."""
    r = subprocess.run([require_binary("proxy"), "--config", path, "--node", node, "--check-config"],
                       stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=timeout)
    return r.returncode, r.stdout.decode("utf-8", "replace")


# ---- metrics ------------------------------------------------------------------

_SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)")
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse_metrics(text):
    """Prometheus text -> {(name, frozenset(labels.items())): float}."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = _SAMPLE.match(line)
        if not m:
            continue
        labels = frozenset(_LABEL.findall(m.group(2) or ""))
        out[(m.group(1), labels)] = float(m.group(3))
    return out


class Metrics(dict):
    """Parsed /metrics; .value(name, **labels) sums the matching series."""

    def series(self, name, **labels):
        want = {(k, str(v)) for k, v in labels.items()}
        return {k: v for k, v in self.items() if k[0] == name and want <= k[1]}

    def value(self, name, **labels):
        """Sum of every series NAME whose labels include LABELS; None if none."""
        s = self.series(name, **labels)
        return sum(s.values()) if s else None


# ---- the running proxy ----------------------------------------------------------


def admin_authorization(key: bytes, method: str, target: str, host: str, unix_ms: int | None = None,
                        nonce_hex: str | None = None) -> str:
    """The Authorization header of a signed admin state change
    (common/control/admin_auth.h; scripts/tandem-admin does the same)."""
    t = str(int(time.time() * 1000) if unix_ms is None else unix_ms)
    n = nonce_hex or os.urandom(16).hex()
    data = b"tandem-admin-request/1\0" + b"\0".join(x.encode() for x in (method, target, host, t, n))
    return f"Tandem-HMAC t={t},n={n},s={hmac.new(key, data, hashlib.sha256).hexdigest()}"


class Proxy:
    """One lb-proxy process and its config; see the module docstring."""

    def __init__(self, harness, listeners, pools, defaults=None, workers=2, node="local",
                 log_level="info", extra=None):
        self.harness = harness
        self.extra = dict(extra or {})  # more top-level fields of the cluster file (access_log...)
        self.node = node
        self.workers = workers
        self.log_level = log_level
        self.admin = ("127.0.0.1", processes.free_port())
        self.listeners = [self._bind(dict(l)) for l in listeners]
        self.pools = pools
        self.defaults = defaults
        self.config_path = harness.path("lb.conf")
        # The cluster key: admin state changes are signed with it
        # (common/control/admin_auth.h), as the agent does for lbctl.
        self.key = b"integration-proxy-key-" + os.urandom(12).hex().encode()
        self.key_path = harness.path("cluster.key")
        if not os.path.exists(self.key_path):
            fd = os.open(self.key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(self.key + b"\n")
        else:
            with open(self.key_path, "rb") as f:
                self.key = f.read().strip()
        self.proc = None
        self.launcher = []  # a command lb-proxy runs under, e.g. ["prlimit", "--nofile=1024:1024", "--"]
        self.exit_expected = False  # set by terminate()/stop(); see assert_survived

    @staticmethod
    def _bind(l):
        if not l.get("bind"):
            l["bind"] = f"127.0.0.1:{processes.free_port()}"
        return l

    # ---- config -------------------------------------------------------------

    def config_dict(self, listeners=None, pools=None, defaults=None, extra=None):
        listeners = self.listeners if listeners is None else [self._bind(dict(l)) for l in listeners]
        return {
            "name": "it",
            "nodes": [{"name": self.node, "address": "127.0.0.1",
                       "proxy_admin": f"{self.admin[0]}:{self.admin[1]}", "workers": self.workers}],
            "defaults": self.defaults if defaults is None else defaults,
            "listeners": listeners,
            "pools": self.pools if pools is None else pools,
            "ha": {"key_file": self.key_path},
            **(self.extra if extra is None else extra),
        }

    def render(self, **changes):
        """The config text, with LISTENERS/POOLS/DEFAULTS replaced if given."""
        return to_text(self.config_dict(**changes))

    def address(self, listener_name):
        """(host, port) of a listener."""
        for l in self.listeners:
            if l["name"] == listener_name:
                host, _, port = l["bind"].rpartition(":")
                return host, int(port)
        raise KeyError(listener_name)

    def url(self, listener_name, path="/"):
        host, port = self.address(listener_name)
        return f"http://{host}:{port}{path}"

    # ---- lifecycle ----------------------------------------------------------

    def start(self, timeout=10.0):
        """Writes the config, starts lb-proxy, awaits /status and every listener."""
        self.harness.write(os.path.basename(self.config_path), self.render())
        self.proc = self.harness.start(
            "lb-proxy", self.launcher + [require_binary("proxy"), "--config", self.config_path, "--node", self.node,
                         "--log-level", self.log_level])

        def up():
            self.check_alive("during start-up")
            st = self.status(timeout=1.0)
            return st.get("node") == self.node and all(
                processes.can_connect(*self.address(l["name"])) for l in self.listeners)
        try:
            wait_until(up, timeout, what="lb-proxy admin /status and listeners")
        except WaitTimeout as e:
            raise AssertionError(f"{e}\n{self.proc.tail()}") from None
        return self

    def reload_counts(self):
        """(reloads applied, reloads refused) from /metrics."""
        m = self.metrics()
        return (int(m.value("tandem_config_reloads_total") or 0),
                int(m.value("tandem_config_reload_failures_total") or 0))

    def reload(self, text=None, log_pattern=None, timeout=5.0, expect="applied", **changes):
        """Writes a new config (TEXT, or rendered from CHANGES), sends SIGHUP.

        Awaits the outcome in /metrics (tandem_config_reloads_total or
        tandem_config_reload_failures_total going up) and checks it is EXPECT
        ("applied" or "refused"); if LOG_PATTERN is given, also awaits a log
        line matching it printed after the signal. Returns that line (or None).
        Updates this object's listeners/pools/defaults when CHANGES are used.
        """
        if text is None:
            text = self.render(**changes)
        before = self.reload_counts()
        mark = self.proc.mark()
        self.harness.write(os.path.basename(self.config_path), text)
        self.proc.signal(signal.SIGHUP)

        def moved():
            self.check_alive("after SIGHUP")
            counts = self.reload_counts()
            return counts if counts != before else None
        after = wait_until(moved, timeout, what="the reload counters in /metrics to move after SIGHUP")
        outcome = "applied" if after[0] > before[0] else "refused"
        if outcome != expect:
            raise AssertionError(f"reload {outcome}, expected {expect}\n{self.proc.tail()}")
        if outcome == "applied":
            if "listeners" in changes:
                self.listeners = [self._bind(dict(l)) for l in changes["listeners"]]
            if "pools" in changes:
                self.pools = changes["pools"]
            if "defaults" in changes:
                self.defaults = changes["defaults"]
            if "extra" in changes:
                self.extra = changes["extra"]
        if log_pattern is None:
            return None
        return self.proc.wait_for_line(log_pattern, timeout, since=mark).string

    def check_alive(self, when=""):
        """Raises GiveUp (with the log tail) if lb-proxy has exited."""
        rc = self.proc.popen.poll()
        if rc is not None:
            self.proc._reader.join(timeout=2)
            raise GiveUp(f"lb-proxy exited with {rc} {when}\n{self.proc.tail()}")

    def terminate(self):
        """Sends SIGTERM (drain and exit) without waiting."""
        self.exit_expected = True
        self.proc.signal(signal.SIGTERM)

    def stop(self, timeout=10.0):
        """SIGTERM and wait; returns the exit code (SIGKILL after TIMEOUT)."""
        self.exit_expected = True
        return self.proc.stop(timeout=timeout)

    def assert_survived(self):
        """Fails if lb-proxy exited without being asked to (a crash mid-test)."""
        if self.proc is not None and not self.exit_expected:
            self.check_alive("before the end of the test, unasked")

    # ---- admin API ----------------------------------------------------------

    def admin_request(self, method, path, timeout=3.0, sign=True, headers=None):
        """(status, body text) of METHOD PATH on the admin listener; a state
        change is signed with the cluster key unless SIGN is false."""
        conn = http.client.HTTPConnection(*self.admin, timeout=timeout)
        h = {"Content-Length": "0"} if method == "POST" else {}
        if method != "GET" and sign:
            h["Authorization"] = admin_authorization(self.key, method, path, f"{self.admin[0]}:{self.admin[1]}")
        h.update(headers or {})
        try:
            conn.request(method, path, headers=h)
            resp = conn.getresponse()
            return resp.status, resp.read().decode("utf-8", "replace")
        finally:
            conn.close()

    def admin_json(self, path, timeout=3.0):
        status, body = self.admin_request("GET", path, timeout)
        if status != 200:
            raise AssertionError(f"admin GET {path}: {status} {body[:200]}")
        return json.loads(body)

    def status(self, timeout=3.0):
        return self.admin_json("/status", timeout)

    def server(self, pool_name, server_name):
        """The /status entry of one server."""
        for p in self.status()["pools"]:
            if p["name"] == pool_name:
                for s in p["servers"]:
                    if s["name"] == server_name:
                        return s
        raise KeyError(f"{pool_name}/{server_name} not in /status")

    def servers(self, pool_name):
        """{server name: /status entry} of a pool."""
        for p in self.status()["pools"]:
            if p["name"] == pool_name:
                return {s["name"]: s for s in p["servers"]}
        raise KeyError(f"pool {pool_name} not in /status")

    def metrics(self):
        status, body = self.admin_request("GET", "/metrics")
        if status != 200:
            raise AssertionError(f"admin GET /metrics: {status}")
        return Metrics(parse_metrics(body))

    def stick(self, pool_name):
        """The stick table entries of a pool."""
        return self.admin_json(f"/stick?pool={pool_name}")["entries"]

    def set_state(self, pool_name, server_name, value):
        """POST /servers/POOL/SERVER/state?value=VALUE; returns (status, body)."""
        return self.admin_request("POST", f"/servers/{pool_name}/{server_name}/state?value={value}")

    def wait_health(self, pool_name, health, names=None, timeout=10.0):
        """Waits until every server in NAMES (default all) shows HEALTH in /status."""
        def ok():
            servers = self.servers(pool_name)
            wanted = names if names is not None else list(servers)
            return all(servers[n]["health"] == health for n in wanted)
        wait_until(ok, timeout, what=f"{pool_name} servers {names or 'all'} {health}")

    def wait_usable(self, pool_name, names=None, timeout=10.0):
        """Waits until servers are UP, READY and not ejected."""
        def ok():
            servers = self.servers(pool_name)
            wanted = names if names is not None else list(servers)
            return all(servers[n]["health"] == "UP" and not servers[n]["ejected"]
                       and servers[n]["admin_state"] == "READY" for n in wanted)
        wait_until(ok, timeout, what=f"{pool_name} servers {names or 'all'} usable")
