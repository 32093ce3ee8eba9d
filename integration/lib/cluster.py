"""A whole Tandem cluster on a namespace LAN, as one test fixture.

    cluster = Cluster(self)            # in a unittest.TestCase
    cluster.start()                    # backends, lb-proxy and ha-agent per edge
    probe = cluster.start_probe(duration_s=5)
    cluster.kill("edge1", "agent")     # SIGKILL by PID
    log = probe.wait()                 # a probe.ProbeLog
    self.assertLess(log.longest_outage_s(), 0.6, log.summary())

Hosts (lib.netns): edge1..3 at 198.18.0.11-13, backend1..3 at
198.18.0.101-103 (lib.backend on port 8000), client at 198.18.0.50; the VIP is
198.18.0.100/24. One cluster file is written to the test's temp dir (built as
data by config(), written by lib.cluster_file), with per-node sockets and
state files in <tmp>/<node>/. Binaries come from lib.binaries ($TANDEM_BUILD,
default <repo>/build).

Cleanup (registered with the TestCase): every process is stopped by PID
(graceful first), then the namespaces go. Logs stay in the temp dir when the
test failed or TANDEM_KEEP_LOGS is set.

One cluster for a whole TestCase class (setUpClass), so several scenarios
share one topology:

    scope = ClassScope(cls)            # addCleanup -> cls.addClassCleanup
    cls.cluster = Cluster(scope, ...)
    ...
    scope.mark_failed()                # from a failing test: keep the logs

A script (the demo, a benchmark) uses `with ScriptScope("name") as scope:`.

The client's view: vip_get / vip_get_ok (a GET through the VIP, from one of
the client's addresses), served_by_vip(), stick(node) (a proxy's table).

The ha-agent's view (what scenarios assert on besides the probe):
state_file(node) parses the node's state file, agent_status(node) runs
`ha-agent --status --json` in its namespace, transitions(node, since) parses
the transition lines the agent logged, masters() lists the nodes whose running
agent reports MASTER, wait_roles(master) awaits a settled cluster.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import signal
import subprocess
import sys
import time
import unittest
from dataclasses import dataclass, field

from lib.binaries import INTEGRATION_DIR, binary, have_binary
from lib.cluster_file import http_health, listener, pool, to_text
from lib.netns import BACKENDS, CLIENT, EDGES, VIP, Topology, Unsupported
from lib.probe import ProbeLog
from lib.processes import Harness, Process
from lib.wait import GiveUp, wait_until

BACKEND_PORT = 8000
LISTEN_PORT = 80
# The admin listeners, on loopback inside each edge's namespace.
PROXY_ADMIN = "127.0.0.1:9100"
AGENT_ADMIN = "127.0.0.1:9200"
VIP_PREFIX = 24
# The pools' active check (cluster.proto HealthCheck fields).
DEFAULT_HEALTH_CHECK = http_health(path="/health", interval_ms=500, timeout_ms=300, rise=1, fall=2)


@dataclass
class ProbeRun:
    """A probe process running in the client namespace."""
    cluster: "Cluster"
    proc: Process
    path: str
    duration_s: float

    def log(self) -> ProbeLog:
        """What it recorded so far (readable while it runs)."""
        return ProbeLog.load(self.path)

    def wait(self, extra_s: float = 10.0) -> ProbeLog:
        """Waits for it to finish its duration; returns the full log."""
        try:
            self.proc.wait(timeout=self.duration_s + extra_s)
        except subprocess.TimeoutExpired:
            self.proc.stop(timeout=5)
            raise AssertionError(f"probe did not finish\n{self.proc.tail()}")
        self.proc.stop()
        if self.proc.popen.returncode != 0:
            raise AssertionError(f"probe failed\n{self.proc.tail()}")
        return self.log()

    def stop(self) -> ProbeLog:
        """Ends it now (SIGTERM: finishes attempts in flight); returns the log."""
        self.proc.stop(timeout=5)
        return self.log()

    def wait_success(self, timeout: float = 10.0, after: float | None = None,
                     node: str | None = None) -> float:
        """Polls the log until an attempt (started at/after `after`, served by
        node if given) succeeded; returns its start time."""
        def seen():
            log = self.log()
            return log.first_served_by(node, after) if node else log.first_success(after)
        return wait_until(seen, timeout, 0.02,
                          what=f"a probe success{' from ' + node if node else ''}")

    def wait_success_or_none(self, timeout: float = 10.0, after: float | None = None,
                             node: str | None = None) -> float | None:
        """wait_success, but None when no such success came in time: for a
        scenario that measures first and asserts on the figures after."""
        try:
            return self.wait_success(timeout, after, node)
        except TimeoutError:
            return None

    def wait_past(self, t: float, timeout: float) -> None:
        """Waits until the probe has made an attempt at or after t (it kept
        probing through a settle or observation window ending at t)."""
        wait_until(lambda: (lambda a: bool(a) and a[-1].t >= t)(self.log().attempts), timeout, 0.05,
                   what=lambda: f"the probe to run past the window\n{self.log().summary()}")


class _ScopeOutcome:
    """What Harness reads to decide whether to keep the logs."""

    def __init__(self) -> None:
        self.success = True


class ClassScope:
    """Stands in for a TestCase when a Cluster lives for a whole class:
    cleanups become class cleanups (run after tearDownClass, also when
    setUpClass failed half-way). mark_failed() keeps the logs and prints the
    process tails at cleanup, as a failed test's Harness does."""

    def __init__(self, cls) -> None:
        self.cls = cls
        self._outcome = _ScopeOutcome()

    def addCleanup(self, function, *args, **kwargs) -> None:  # noqa: N802 - TestCase API
        self.cls.addClassCleanup(function, *args, **kwargs)

    def mark_failed(self) -> None:
        """Keep the temp dir (logs, probe files, pcaps) for the post-mortem."""
        self._outcome.success = False

    def __str__(self) -> str:
        return f"class {self.cls.__name__}"


class SharedClusterTestCase(unittest.TestCase):
    """Tests of one class share a Cluster: setUpClass builds it as cls.c
    under cls.scope = ClassScope(cls). Each test gets it as self.c, and a
    test that fails keeps the class's logs."""

    c: "Cluster"
    scope: ClassScope

    def setUp(self) -> None:
        self.c = type(self).c

    def tearDown(self) -> None:
        outcome = getattr(self, "_outcome", None)
        if outcome is not None and not outcome.success:
            self.scope.mark_failed()


class ScriptScope:
    """Stands in for a TestCase when a script (the demo, a benchmark) owns a
    Cluster: collects the cleanups and runs them (LIFO) when the `with`
    block ends, carrying on past a failing one. An exception out of the
    block, mark_failed() or keep_logs keeps the logs, as a failed test does.

        with ScriptScope("demo") as scope:
            cluster = Cluster(scope)
    """

    def __init__(self, name: str, keep_logs: bool = False) -> None:
        self.name = name
        self._cleanups: list = []
        self._outcome = _ScopeOutcome()
        self._outcome.success = not keep_logs

    def addCleanup(self, function, *args, **kwargs) -> None:  # noqa: N802 - TestCase API
        self._cleanups.append((function, args, kwargs))

    def mark_failed(self) -> None:
        """Keep the temp dir (logs, probe files, pcaps) for the post-mortem."""
        self._outcome.success = False

    def run_cleanups(self) -> None:
        while self._cleanups:
            function, args, kwargs = self._cleanups.pop()
            try:
                function(*args, **kwargs)
            except Exception as e:  # noqa: BLE001 - keep cleaning
                print(f"{self.name}: cleanup {function!r}: {e!r}", file=sys.stderr)

    def __enter__(self) -> "ScriptScope":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            self.mark_failed()
        self.run_cleanups()

    def __str__(self) -> str:
        return self.name


# A transition line of ha-agent's log:
#   ... ha-agent transition instance=www from=BACKUP to=MASTER cause="..."
_TRANSITION_RE = re.compile(r"\btransition instance=(\S+) from=(\S+) to=(\S+)"
                            r'(?: cause="((?:[^"\\]|\\.)*)")?')
# key=value tokens of a state-file line; values may be "quoted".
_KV_RE = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|\S*)')


@dataclass(frozen=True)
class Transition:
    """One transition an agent logged."""
    node: str
    instance: str
    from_state: str
    to_state: str
    cause: str
    line: str


@dataclass
class StateFile:
    """A node's state file, parsed: `agent=running|stopped` and per instance
    its key=value fields (state, priority, master, since...)."""
    agent: str | None = None
    instances: dict[str, dict[str, str]] = field(default_factory=dict)
    text: str = ""

    def state(self, instance: str = "www") -> str | None:
        """The instance's state ("MASTER"...), None when not listed."""
        return self.instances.get(instance, {}).get("state")

    def master(self, instance: str = "www") -> str | None:
        """Who the node believes is master of the instance."""
        m = self.instances.get(instance, {}).get("master")
        return None if m in (None, "", "-") else m


def parse_state_file(text: str) -> StateFile:
    """Parses the text of an ha-agent state file (unknown lines are kept in
    text only)."""
    out = StateFile(text=text)
    for line in text.splitlines()[:1000]:
        fields = {k: (v[1:-1] if v.startswith('"') and v.endswith('"') and len(v) >= 2 else v)
                  for k, v in _KV_RE.findall(line)}
        if "instance" in fields:
            out.instances[fields["instance"]] = fields
        elif "agent" in fields:
            out.agent = fields["agent"]
    return out


class Cluster:
    """The standard test cluster; see the module docstring.

    Parameters shape the config: advert_interval_ms, preempt,
    preempt_delay_ms, priorities ({node: prio}), quorum, unicast,
    proxy_track (dict of ProxyTrack fields), health_check (the pools'
    HealthCheck fields), stickiness (pool "web"'s Stickiness fields, None:
    not sticky), backend_cookie (the backends set this session cookie),
    extra_ha / extra_instance / extra (fields added to ha{}, to the instance
    and at top level; lib.cluster_file data). agents: True start ha-agent, False don't, None start it when the
    binary exists.
    """

    def __init__(self, testcase, *, edges: int = 3, backends: int = 3,
                 agents: bool | None = None, advert_interval_ms: int = 100,
                 preempt: bool = True, preempt_delay_ms: int = 0,
                 priorities: dict[str, int] | None = None, quorum: bool = False,
                 unicast: bool = False, proxy_track: dict | None = None,
                 health_check: dict = DEFAULT_HEALTH_CHECK, stickiness: dict | None = None,
                 backend_cookie: str | None = None, extra_ha: dict | None = None,
                 extra_instance: dict | None = None, extra: dict | None = None):
        self.testcase = testcase
        self.harness = Harness(testcase)
        self.dir = self.harness.dir
        self.topo = Topology(workdir=self.dir)
        testcase.addCleanup(self.topo.cleanup)
        testcase.addCleanup(self.stop_all)          # runs first (LIFO)
        self.edges = list(EDGES)[:edges]
        self.backends = list(BACKENDS)[:backends]
        self.topo.add_standard_hosts(edges=edges, backends=backends, client=True)
        self.agents = have_binary("agent") if agents is None else agents
        self.advert_interval_ms = advert_interval_ms
        self.preempt = preempt
        self.preempt_delay_ms = preempt_delay_ms
        default_prio = {"edge1": 200, "edge2": 150, "edge3": 100}
        self.priorities = priorities or {e: default_prio[e] for e in self.edges}
        self.quorum = quorum
        self.unicast = unicast
        self.proxy_track = proxy_track or {}
        self.health_check = health_check
        self.stickiness = stickiness
        self.backend_cookie = backend_cookie
        self.extra_ha, self.extra_instance, self.extra = extra_ha or {}, extra_instance or {}, extra or {}
        self.procs: dict[tuple[str, str], Process] = {}
        self.key_path = os.path.join(self.dir, "cluster.key")
        with open(os.open(self.key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as f:
            f.write(secrets.token_hex(32) + "\n")
        for e in self.edges:
            os.makedirs(self.node_dir(e), exist_ok=True)
        self.config_path = os.path.join(self.dir, "cluster.conf")
        self.write_config()

    # ---- configuration ---------------------------------------------------

    def node_dir(self, node: str) -> str:
        """<tmp>/<node>: that node's sockets and state file."""
        return os.path.join(self.dir, node)

    def node_paths(self, node: str) -> dict[str, str]:
        """local_channel, control_socket and state_file of a node."""
        d = self.node_dir(node)
        return {"local_channel": os.path.join(d, "local.sock"),
                "control_socket": os.path.join(d, "control.sock"),
                "state_file": os.path.join(d, "state")}

    def config(self) -> dict:
        """The cluster file for the current parameters, as data for
        lib.cluster_file (a subclass extends it: more pools, listeners...)."""
        nodes = []
        for e in self.edges:
            h = self.topo.host(e)
            nodes.append({"name": e, "address": h.ip, "interface": h.ifname,
                          "proxy_admin": PROXY_ADMIN, "agent_admin": AGENT_ADMIN,
                          **self.node_paths(e), "workers": 2})
        instance = {"name": "www", "id": 51, "vips": f"{VIP}/{VIP_PREFIX}",
                    "advert_interval_ms": self.advert_interval_ms, "preempt": self.preempt,
                    "preempt_delay_ms": self.preempt_delay_ms or None,
                    "priorities": [{"node": n, "priority": p} for n, p in self.priorities.items()],
                    **self.extra_instance}
        return {
            "name": "tandem-test",
            "nodes": nodes,
            "defaults": {"timeouts": {"connect_ms": 500, "server_ms": 2000, "drain_grace_ms": 1000}},
            "listeners": [listener("www", "HTTP", "web", bind=f"0.0.0.0:{LISTEN_PORT}")],
            "pools": [self.backend_pool("web", self.stickiness)],
            "ha": {"key_file": self.key_path, "multicast_group": "224.0.0.18",
                   "unicast": self.unicast or None, "quorum": self.quorum or None,
                   "proxy": self.proxy_track or None, "instances": [instance], **self.extra_ha},
            "sync": {"port": 5800, "flush_interval_ms": 50},
            **self.extra,
        }

    def backend_pool(self, name: str, stickiness: dict | None = None) -> dict:
        """A round-robin pool over every backend (port 8000), with the
        cluster's health check."""
        servers = [(b, f"{BACKENDS[b]}:{BACKEND_PORT}") for b in self.backends]
        return pool(name, servers, "ROUND_ROBIN", health_check=self.health_check, stickiness=stickiness)

    def config_text(self) -> str:
        """The cluster file for the current parameters (protobuf text)."""
        return "# Written by integration/lib/cluster.py for one test run.\n" + to_text(self.config())

    def write_config(self, **params) -> str:
        """Updates parameters (same names as the constructor's) and rewrites
        the cluster file atomically; returns its path. Running processes are
        not told: restart them (or signal a reload) yourself."""
        for k, v in params.items():
            if not hasattr(self, k):
                raise AttributeError(f"no cluster parameter {k}")
            setattr(self, k, v)
        tmp = self.config_path + ".tmp"
        with open(tmp, "w") as f:
            f.write(self.config_text())
        os.replace(tmp, self.config_path)
        return self.config_path

    def check_config(self, kind: str = "proxy", node: str = "edge1") -> tuple[int, str]:
        """Runs `<binary> --config F --node NODE --check-config` (in node's
        namespace, where the interface exists); returns (exit code, output)."""
        r = self.topo.run(node, [binary(kind), "--config", self.config_path, "--node", node,
                                 "--check-config"], check=False, timeout=30)
        return r.returncode, r.stdout + r.stderr

    # ---- processes -------------------------------------------------------

    def _start(self, host: str, kind: str, argv: list[str], ready: str | None = None,
               ready_timeout: float = 10.0) -> Process:
        key = (host, kind)
        old = self.procs.get(key)
        if old is not None and old.alive():
            raise RuntimeError(f"{kind} on {host} already runs (pid {old.pid})")
        env = dict(os.environ)
        env["PYTHONPATH"] = INTEGRATION_DIR + (os.pathsep + env["PYTHONPATH"]
                                               if env.get("PYTHONPATH") else "")
        env["PYTHONUNBUFFERED"] = "1"
        result = self.harness.start(f"{host}-{kind}", self.topo.exec_argv(host, argv),
                                    env=env, ready=ready, ready_timeout=ready_timeout)
        proc = result[0] if ready else result
        self.procs[key] = proc
        return proc

    def proc(self, host: str, kind: str) -> Process:
        """The Process of kind ("proxy", "agent", "backend", "probe") on host."""
        return self.procs[(host, kind)]

    def start_backend(self, name: str) -> Process:
        """lib.backend on <backend ip>:8000 in its namespace (setting the
        backend_cookie session cookie, if any); waits for "ready"."""
        cookie = ["--set-cookie", self.backend_cookie] if self.backend_cookie else []
        return self._start(name, "backend",
                           [sys.executable, "-m", "lib.backend", "--host", BACKENDS[name],
                            "--port", str(BACKEND_PORT), "--name", name, *cookie],
                           ready=r"^ready port=\d+$")

    def start_proxy(self, node: str, wait: bool = True, timeout: float = 10.0) -> Process:
        """lb-proxy --config F --node NODE in the edge namespace; with wait,
        polls until it is ready (wait_proxy_ready)."""
        proc = self._start(node, "proxy", [binary("proxy"), "--config", self.config_path,
                                           "--node", node])
        if wait:
            self.wait_proxy_ready(node, timeout)
        return proc

    def wait_proxy_ready(self, node: str, timeout: float = 10.0) -> None:
        """Polls until node's lb-proxy accepts connections on port 80 AND on
        its admin listener (from inside that namespace). lb-proxy binds its
        listeners first and its admin after them: a test that asks the admin
        as soon as port 80 accepts would race the start-up."""
        proc = self.proc(node, "proxy")
        addr = f"{self.topo.host(node).ip}:{LISTEN_PORT}"

        def ready():
            if not proc.alive():
                raise ProcessExited(node, "proxy", proc)
            return self.topo.can_connect(node, addr, 0.2) and self.topo.can_connect(node, PROXY_ADMIN, 0.2)
        wait_until(ready, timeout, 0.02, what=f"lb-proxy on {node} accepting on {addr} and {PROXY_ADMIN}")

    def wait_serving(self, node: str, timeout: float = 10.0) -> dict[str, str]:
        """Polls until GET / through node's proxy (its own address) answers
        200; returns the response headers."""
        addr = f"{self.topo.host(node).ip}:{LISTEN_PORT}"

        def ok():
            try:
                status, headers, _ = self.topo.http_get(node, addr, "/", 0.5)
            except (OSError, ValueError, IndexError):
                return None
            return headers if status == 200 else None
        return wait_until(ok, timeout, 0.05, what=f"{node} serving 200 through lb-proxy")

    def proxy_admin(self, node: str, path: str = "/status", timeout: float = 1.0):
        """GET path on node's lb-proxy admin listener (PROXY_ADMIN inside
        its namespace); JSON-decoded when it parses, else (status, text)."""
        status, _, body = self.topo.http_get(node, PROXY_ADMIN, path, timeout)
        text = body.decode("utf-8", "replace")
        try:
            return json.loads(text) if status == 200 else (status, text)
        except ValueError:
            return status, text

    def start_agent(self, node: str, wait: bool = True, timeout: float = 10.0) -> Process:
        """ha-agent --config F --node NODE in the edge namespace; with wait,
        polls until its state file is (re)written or its control socket exists."""
        started = time.time() - 1.0   # mtime granularity; the file is rewritten often
        proc = self._start(node, "agent", [binary("agent"), "--config", self.config_path,
                                           "--node", node])
        if wait:
            paths = self.node_paths(node)

            def ready():
                if not proc.alive():
                    raise ProcessExited(node, "agent", proc)
                try:
                    return os.stat(paths["state_file"]).st_mtime >= started
                except FileNotFoundError:
                    return os.path.exists(paths["control_socket"])
            wait_until(ready, timeout, 0.02, what=f"ha-agent on {node} ready")
        return proc

    def start(self, proxies: bool = True, agents: bool | None = None) -> None:
        """Starts every backend, then per edge lb-proxy and (per self.agents
        unless given) ha-agent, each awaited."""
        for b in self.backends:
            self.start_backend(b)
        if proxies:
            for e in self.edges:
                self.start_proxy(e)
        if self.agents if agents is None else agents:
            for e in self.edges:
                self.start_agent(e)

    def stop(self, host: str, kind: str, timeout: float = 5.0) -> int | None:
        """Graceful stop (SIGTERM, then SIGKILL after timeout); exit status."""
        proc = self.procs.get((host, kind))
        return None if proc is None else proc.stop(timeout=timeout)

    def kill(self, host: str, kind: str, sig: int = signal.SIGKILL) -> float:
        """Sends sig to the process by PID; returns time.monotonic() just
        before, to compare with probe times. SIGKILL also reaps it."""
        proc = self.proc(host, kind)
        t = time.monotonic()
        if sig == signal.SIGKILL:
            proc.kill()
        else:
            proc.signal(sig)
        return t

    def stop_all(self) -> None:
        """Stops every process this cluster started, by PID: probe and
        agents first (agents remove their VIPs), then proxies, then backends."""
        order = {"probe": 0, "agent": 1, "proxy": 2, "backend": 3}
        for (host, kind), proc in sorted(self.procs.items(), key=lambda kv: order.get(kv[0][1], 9)):
            try:
                proc.stop(timeout=5)
            except Exception as e:  # noqa: BLE001 - keep stopping the others
                print(f"cluster: stopping {kind} on {host}: {e!r}", file=sys.stderr)

    # ---- the VIP ---------------------------------------------------------

    def vip_holders(self, vip: str = VIP) -> list[str]:
        """The edges whose LAN interface has vip (`ip -o addr` per namespace)."""
        return [e for e in self.edges
                if any(a.split("/")[0] == vip for a in self.topo.addresses(e))]

    def which_host_has_vip(self, vip: str = VIP) -> str | None:
        """The one edge holding vip, None if none; AssertionError if several."""
        holders = self.vip_holders(vip)
        if len(holders) > 1:
            raise AssertionError(f"VIP {vip} on several hosts: {holders}")
        return holders[0] if holders else None

    def wait_vip(self, node: str | None, timeout: float = 5.0, vip: str = VIP) -> float:
        """Polls until the VIP is on exactly node (None: on no host);
        returns time.monotonic() when seen."""
        wait_until(lambda: self.vip_holders(vip) == ([node] if node else []), timeout, 0.01,
                   what=f"VIP {vip} on {node or 'no host'} (now {self.vip_holders(vip)})")
        return time.monotonic()

    def add_vip_by_hand(self, node: str, vip: str = VIP) -> None:
        """ip addr add VIP/24 on node's interface (tests without ha-agent)."""
        h = self.topo.host(node)
        self.topo.run(node, ["ip", "addr", "add", f"{vip}/{VIP_PREFIX}", "dev", h.ifname])

    def del_vip_by_hand(self, node: str, vip: str = VIP) -> None:
        """ip addr del VIP/24 from node's interface."""
        h = self.topo.host(node)
        self.topo.run(node, ["ip", "addr", "del", f"{vip}/{VIP_PREFIX}", "dev", h.ifname])

    # ---- the agents' view ------------------------------------------------

    def alive(self, host: str, kind: str) -> bool:
        """A process of kind was started on host and still runs."""
        proc = self.procs.get((host, kind))
        return proc is not None and proc.alive()

    def state_file(self, node: str) -> StateFile:
        """node's state file, parsed (empty StateFile when there is none yet)."""
        try:
            with open(self.node_paths(node)["state_file"]) as f:
                return parse_state_file(f.read(1 << 20))
        except FileNotFoundError:
            return StateFile()

    def agent_status(self, node: str, timeout: float = 5.0) -> dict | None:
        """`ha-agent --config F --node NODE --status --json` in node's
        namespace: the decoded JSON, or None when the agent does not answer
        (exit 2). Other failures raise AssertionError with the output."""
        r = self.topo.run(node, [binary("agent"), "--config", self.config_path, "--node", node,
                                 "--status", "--json"], check=False, timeout=timeout)
        if r.returncode == 2:
            return None
        if r.returncode != 0:
            raise AssertionError(f"ha-agent --status on {node} exited {r.returncode}: "
                                 f"{r.stdout.strip()} {r.stderr.strip()}")
        try:
            return json.loads(r.stdout)
        except ValueError as e:
            raise AssertionError(f"ha-agent --status on {node}: not JSON ({e}): "
                                 f"{r.stdout[:2000]!r}") from None

    def status(self, node: str, timeout: float = 5.0) -> dict | None:
        """agent_status(node) unwrapped to the StatusResponse (the JSON may be
        a ControlResponse {"status": {...}} or the StatusResponse itself)."""
        js = self.agent_status(node, timeout)
        if js is None:
            return None
        return js.get("status", js) if isinstance(js, dict) else js

    def advert_drops(self, node: str) -> dict[str, int]:
        """Per reason, the adverts node's agent dropped (status
        adverts.dropped; protobuf JSON writes uint64 as strings)."""
        st = self.status(node)
        if st is None:
            raise AssertionError(f"ha-agent on {node} does not answer --status")
        dropped = (st.get("adverts") or {}).get("dropped") or {}
        return {k: int(v) for k, v in dropped.items()}

    def transitions(self, node: str, since: int = 0) -> list[Transition]:
        """The transitions node's current agent logged (from line index
        since; see Process.mark())."""
        proc = self.procs.get((node, "agent"))
        if proc is None:
            return []
        out = []
        for line in proc.lines(since):
            m = _TRANSITION_RE.search(line)
            if m:
                out.append(Transition(node, m.group(1), m.group(2), m.group(3),
                                      (m.group(4) or "").replace('\\"', '"'), line))
        return out

    def agent_marks(self) -> dict[str, tuple[int, int]]:
        """Per edge, (agent pid, end of its log now): pass to transitions_since."""
        return {e: (p.pid, p.mark()) for e in self.edges
                if (p := self.procs.get((e, "agent"))) is not None}

    def transitions_since(self, marks: dict[str, tuple[int, int]]) -> list[Transition]:
        """Every transition the agents logged after agent_marks() returned
        marks; an agent (re)started since then counts from its first line."""
        out = []
        for e in self.edges:
            proc = self.procs.get((e, "agent"))
            if proc is None:
                continue
            pid, mark = marks.get(e, (None, 0))
            out += self.transitions(e, mark if pid == proc.pid else 0)
        return out

    def running_agents(self) -> list[str]:
        """Edges whose agent process runs now."""
        return [e for e in self.edges if self.alive(e, "agent")]

    def masters(self, instance: str = "www") -> list[str]:
        """Edges whose running agent's state file says MASTER for instance."""
        return [e for e in self.running_agents() if self.state_file(e).state(instance) == "MASTER"]

    def roles(self, instance: str = "www") -> dict[str, str | None]:
        """Per edge, the instance's state in its state file ("-" when the
        agent does not run)."""
        return {e: (self.state_file(e).state(instance) if self.alive(e, "agent") else "-")
                for e in self.edges}

    def wait_state(self, node: str, state: str, timeout: float = 5.0,
                   instance: str = "www") -> None:
        """Polls node's state file until instance is in state."""
        wait_until(lambda: self.state_file(node).state(instance) == state, timeout, 0.02,
                   what=lambda: f"{node} {state} for {instance} (state file now "
                                f"{self.state_file(node).text.strip()!r})")

    def wait_roles(self, master: str | None, timeout: float = 10.0,
                   instance: str = "www") -> str:
        """Polls until the cluster is settled: exactly one running agent is
        MASTER (master, when given), every other running agent is BACKUP,
        and the VIP is on that master's interface only. Returns the master."""
        def settled():
            roles = {e: r for e, r in self.roles(instance).items() if r != "-"}
            ms = [e for e, r in roles.items() if r == "MASTER"]
            if len(ms) != 1 or (master is not None and ms != [master]):
                return None
            if any(r != "BACKUP" for e, r in roles.items() if e != ms[0]):
                return None
            return ms[0] if self.vip_holders() == ms else None
        return wait_until(settled, timeout, 0.05,
                          what=lambda: f"one master{' ' + master if master else ''}: roles "
                                       f"{self.roles(instance)}, VIP on {self.vip_holders()}")

    def add_client_addresses(self, addresses: list[str]) -> None:
        """Extra addresses (in 198.18.0.0/24) on the client's LAN interface:
        one source address per simulated client, for source-IP stickiness."""
        ifname = self.topo.host(CLIENT[0]).ifname
        for ip in addresses:
            self.topo.run(CLIENT[0], ["ip", "addr", "add", f"{ip}/24", "dev", ifname])

    def vip_get(self, path: str = "/", port: int = LISTEN_PORT, source: str | None = None,
                cookie: str = "", timeout: float = 2.0, vip: str = VIP) -> tuple[int, dict[str, str]]:
        """GET http://vip:port/path from the client namespace (bound to
        source, one of the client's addresses, when given; with the Cookie
        header when given): (status, lower-cased response headers). Raises
        OSError (or ValueError on a garbled answer) when it fails."""
        status, headers, _ = self.topo.http_get(CLIENT[0], f"{vip}:{port}", path, timeout, source=source,
                                                headers={"Cookie": cookie} if cookie else None)
        return status, headers

    def vip_get_ok(self, path: str = "/", port: int = LISTEN_PORT, source: str | None = None,
                   cookie: str = "", attempts: int = 20, vip: str = VIP) -> dict[str, str]:
        """vip_get until it answers 200 (attempts tries, 50 ms apart): the
        response headers; AssertionError naming the last outcome otherwise."""
        last: object = None
        for _ in range(attempts):
            try:
                status, headers = self.vip_get(path, port, source, cookie, vip=vip)
                if status == 200:
                    return headers
                last = (status, headers)
            except (OSError, ValueError, IndexError) as e:
                last = e
            time.sleep(0.05)
        raise AssertionError(f"GET {vip}:{port}{path} from {source} failed: {last!r}")

    def stick(self, node: str, pool: str = "web") -> dict[str, str]:
        """key -> server in node's lb-proxy stick table for pool (admin
        /stick); empty when the proxy does not answer with one."""
        got = self.proxy_admin(node, f"/stick?pool={pool}")
        if not isinstance(got, dict):
            return {}
        return {e["key"]: e["server"] for e in got.get("entries", [])}

    def served_by_vip(self, timeout: float = 0.5) -> str | None:
        """One GET through the VIP from the client: the X-Tandem-Node of a 200
        answer, None on any failure."""
        try:
            status, headers, _ = self.topo.http_get(CLIENT[0], f"{VIP}:{LISTEN_PORT}", "/",
                                                   timeout)
        except (OSError, ValueError, IndexError):
            return None
        return headers.get("x-tandem-node") if status == 200 else None

    def wait_served_by(self, node: str, timeout: float = 5.0) -> None:
        """Polls until a GET through the VIP from the client is served by node."""
        wait_until(lambda: self.served_by_vip() == node, timeout, 0.05,
                   what=lambda: f"the client served by {node} through the VIP "
                                f"(now {self.served_by_vip()}, VIP on {self.vip_holders()})")

    def describe(self, kinds: tuple[str, ...] = ("agent",), lines: int = 25) -> str:
        """Roles, VIP holders, state files and the log tails of kinds: for
        failure messages."""
        out = [f"roles {self.roles()}, VIP on {self.vip_holders()}"]
        for e in self.edges:
            out.append(f"{e} state file: {self.state_file(e).text.strip()!r}")
        for (host, kind), proc in sorted(self.procs.items()):
            if kind in kinds:
                out.append(proc.tail(lines))
        return "\n".join(out)

    # ---- the client ------------------------------------------------------

    def start_probe(self, duration_s: float, interval_ms: float = 5, timeout_ms: float = 200,
                    target: str | None = None, name: str = "probe", path: str = "/") -> ProbeRun:
        """Starts lib.probe in the client namespace against the VIP (or target);
        returns once it runs. Results in <tmp>/<name>.jsonl."""
        out = os.path.join(self.dir, f"{name}.jsonl")
        target = target or f"{VIP}:{LISTEN_PORT}"
        proc = self._start(CLIENT[0], name,
                           [sys.executable, "-m", "lib.probe", "--target", target,
                            "--interval-ms", str(interval_ms), "--duration-s", str(duration_s),
                            "--timeout-ms", str(timeout_ms), "--path", path, "--out", out],
                           ready=r"^ready$")
        return ProbeRun(self, proc, out, duration_s)

    def run_probe(self, duration_s: float, **kwargs) -> ProbeLog:
        """start_probe(...).wait(): blocks for duration_s, returns the log."""
        return self.start_probe(duration_s, **kwargs).wait()


class ProcessExited(GiveUp):
    """A process the cluster waited for exited first (ends a wait at once)."""

    def __init__(self, host: str, kind: str, proc: Process):
        self.host, self.kind, self.returncode = host, kind, proc.popen.returncode
        super().__init__(f"{kind} on {host} exited with {proc.popen.returncode} "
                         f"before it was ready\n{proc.tail()}")


def cluster_or_skip(scope, cluster_class=None, *, binaries=("proxy", "agent"), **params):
    """cluster_class(scope, agents=True, **params) (Cluster by default), or
    unittest.SkipTest with the reason it cannot run here: not root, one of
    BINARIES not built (a failure under ctest, lib/binaries.have_binary), or
    no network namespaces. SCOPE is a TestCase or a ClassScope; SkipTest
    skips from setUp and setUpClass alike."""
    if os.geteuid() != 0:
        raise unittest.SkipTest("the namespace cluster needs root")
    for kind in binaries:
        if not have_binary(kind):
            raise unittest.SkipTest(f"{binary(kind)} is not built")
    try:
        return (cluster_class or Cluster)(scope, agents=True, **params)
    except Unsupported as e:
        raise unittest.SkipTest(str(e)) from None
