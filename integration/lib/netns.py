"""A throw-away multi-host LAN in Linux network namespaces.

One Linux bridge (in its own "lan" namespace, so the root namespace is never
touched) is the LAN; every host is a namespace with a veth to that bridge and
an address in 198.18.0.0/24. Everything a Topology creates carries the prefix
"tdm<run id>" and is removed by cleanup(), which also runs at interpreter exit
(atexit) and on SIGTERM, so a failing or interrupted test leaves nothing
behind. Processes started here are tracked and stopped by PID.

Fault injection:
  link_down/link_up  cut the host's cable (its bridge port goes down; the host
                     sees NO-CARRIER, as with a pulled cable)
  partition/heal     nftables "bridge" rules in the lan namespace: frames
                     between ports of different groups are dropped; hosts in no
                     group still reach everyone
  netem(loss=...)    random loss with nftables (numgen) on the host's link
  netem(delay_ms=..) tc netem; raises Unsupported when the kernel has no netem
  capture            tcpdump into a pcap in the work dir; packets() reads it

A run killed with SIGKILL cannot clean up; the next Topology (or
`python3 -m lib.netns --sweep`) removes what it left, by its owner file in
/run/tandem-netns. Needs root, iproute2, nftables, tcpdump.
Threading: a Topology is used from one thread (the test's).
"""

from __future__ import annotations

import atexit
import ctypes
import ctypes.util
import ipaddress
import os
import secrets
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import weakref
from dataclasses import dataclass
from typing import Iterable, Sequence

from lib.wait import wait_until

# The only addresses these tests may use.
TEST_NET = ipaddress.ip_network("198.18.0.0/24")

# The standard hosts of a Tandem test network.
EDGES = {"edge1": "198.18.0.11", "edge2": "198.18.0.12", "edge3": "198.18.0.13"}
BACKENDS = {"backend1": "198.18.0.101", "backend2": "198.18.0.102",
            "backend3": "198.18.0.103"}
CLIENT = ("client", "198.18.0.50")
VIP = "198.18.0.100"

PREFIX = "tdm"
# One file per live Topology, "<prefix>.owner" holding the owner's PID, so a
# later run can remove what a SIGKILLed run left (sweep_stale).
OWNER_DIR = "/run/tandem-netns"



class Unsupported(RuntimeError):
    """The kernel or the installed tools cannot do what was asked (a test skips)."""


def _sh(argv: Sequence[str], *, check: bool = True, timeout: float = 30,
        input: str | None = None) -> subprocess.CompletedProcess:
    proc = subprocess.run(list(argv), capture_output=True, text=True,
                          timeout=timeout, input=input)
    if check and proc.returncode != 0:
        raise subprocess.CalledProcessError(proc.returncode, argv, proc.stdout, proc.stderr)
    return proc


def signal_process(proc: subprocess.Popen, sig: int) -> None:
    """Sends sig to a still-running child by its PID (and to its own process
    group when it leads one, so a wrapper's children get it too). Never
    signals a reaped PID, which another process might own by now."""
    if proc.poll() is not None:
        return
    try:
        if os.getpgid(proc.pid) == proc.pid:
            os.killpg(proc.pid, sig)
        else:
            os.kill(proc.pid, sig)
    except ProcessLookupError:
        pass


_CLONE_NEWNET = 0x40000000
_libc = None


def socket_in_namespace(ns: str, family: int = socket.AF_INET,
                        type: int = socket.SOCK_STREAM, proto: int = 0) -> socket.socket:
    """A socket created inside network namespace ns (by a short-lived thread
    that setns()es into it); usable from any thread afterwards, so the test
    process can talk on the test LAN without spawning a process."""
    global _libc
    if _libc is None:
        _libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    result: dict = {}

    def make() -> None:
        try:
            with open(f"/run/netns/{ns}") as f:
                if _libc.setns(f.fileno(), _CLONE_NEWNET) != 0:
                    err = ctypes.get_errno()
                    raise OSError(err, f"setns({ns}): {os.strerror(err)}")
            result["sock"] = socket.socket(family, type, proto)
        except BaseException as e:  # noqa: BLE001 - handed to the caller
            result["error"] = e
    # The thread ends inside ns; that only affects the thread itself.
    t = threading.Thread(target=make, name=f"setns-{ns}")
    t.start()
    t.join(10)
    if "error" in result:
        raise result["error"]
    if "sock" not in result:
        raise TimeoutError(f"could not create a socket in {ns}")
    return result["sock"]


def list_namespaces() -> list[str]:
    """Names of all network namespaces known to iproute2."""
    out = _sh(["ip", "netns", "list"]).stdout
    return [line.split()[0] for line in out.splitlines() if line.strip()]


@dataclass
class Host:
    """One host of the LAN: a namespace with one interface on the bridge."""
    name: str
    ip: str
    prefix_len: int
    ns: str          # namespace name
    ifname: str      # the host's interface (inside ns)
    port: str        # the bridge-side end of its veth (inside the lan namespace)
    mac: str


class Capture:
    """A running tcpdump on one host's interface, writing a pcap file."""

    def __init__(self, topo: "Topology", host: str, path: str, proc: subprocess.Popen,
                 log_path: str):
        self.topo, self.host, self.path, self.proc, self.log_path = topo, host, path, proc, log_path

    def stop(self) -> str:
        """Stop tcpdump (flushing the file); returns the pcap path."""
        self.topo.stop_process(self.proc, signal.SIGINT, timeout=5)
        return self.path

    def packets(self) -> list[tuple[float, bytes]]:
        """(timestamp, frame bytes) of every captured packet so far."""
        return read_pcap(self.path)


def read_pcap(path: str, max_packets: int = 1_000_000) -> list[tuple[float, bytes]]:
    """Reads a classic pcap file (as tcpdump -w writes); tolerates a torn tail."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        return []
    if len(data) < 24:
        return []
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        endian = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        endian = ">"
    else:
        raise ValueError(f"{path}: not a pcap file")
    nano = magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
    out = []
    off = 24
    while off + 16 <= len(data) and len(out) < max_packets:
        sec, frac, incl, _orig = struct.unpack(endian + "IIII", data[off:off + 16])
        off += 16
        if off + incl > len(data):
            break
        out.append((sec + frac / (1e9 if nano else 1e6), data[off:off + incl]))
        off += incl
    return out


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep_stale() -> list[str]:
    """Removes the namespaces (and the processes inside them, by PID) of
    earlier runs whose owning process is gone (killed before its cleanup).
    Returns the prefixes swept. Live runs are never touched."""
    swept = []
    try:
        names = os.listdir(OWNER_DIR)
    except FileNotFoundError:
        return swept
    for name in names[:1000]:
        if not name.endswith(".owner") or not name.startswith(PREFIX):
            continue
        path = os.path.join(OWNER_DIR, name)
        try:
            with open(path) as f:
                pid = int(f.read().strip() or "0")
        except (OSError, ValueError):
            continue
        if pid > 0 and _pid_alive(pid):
            continue
        prefix = name[:-len(".owner")]
        for ns in list_namespaces():
            if ns.startswith(prefix + "-"):
                for p in _sh(["ip", "netns", "pids", ns], check=False).stdout.split():
                    try:
                        os.kill(int(p), signal.SIGKILL)
                    except (ProcessLookupError, ValueError):
                        pass
                _sh(["ip", "netns", "del", ns], check=False)
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
        swept.append(prefix)
    return swept


_live_topologies: "weakref.WeakSet[Topology]" = weakref.WeakSet()
_signal_installed = False


def _cleanup_all() -> None:
    for topo in list(_live_topologies):
        try:
            topo.cleanup()
        except Exception as e:  # noqa: BLE001 - best effort at exit
            print(f"netns: cleanup at exit failed: {e}", file=sys.stderr)


atexit.register(_cleanup_all)


def _install_sigterm() -> None:
    """SIGTERM (e.g. ctest giving up) becomes SystemExit so atexit cleanup runs."""
    global _signal_installed
    if _signal_installed:
        return
    try:
        if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
            signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    except ValueError:  # not the main thread
        return
    _signal_installed = True


class Topology:
    """A LAN of namespaces on one bridge; see the module docstring."""

    def __init__(self, workdir: str | None = None, *, ipv6: bool = False):
        """Creates the lan namespace and its bridge. workdir holds captures and
        logs (a fresh temp dir when None, removed by cleanup). ipv6=False
        disables IPv6 on every host, so nothing but 198.18.0.0/24 exists."""
        if os.geteuid() != 0:
            raise Unsupported("network namespaces need root")
        for tool in ("ip", "nft", "tcpdump"):
            if shutil.which(tool) is None:
                raise Unsupported(f"{tool} is not installed (scripts/install-deps.sh)")
        self._own_workdir = workdir is None
        self.workdir = workdir or tempfile.mkdtemp(prefix="tdm-")
        self.ipv6 = ipv6
        for prefix in sweep_stale():
            print(f"netns: removed {prefix}*, left by a run that was killed", file=sys.stderr)
        existing = set(list_namespaces())
        for _ in range(20):
            rid = secrets.token_hex(2)
            if not any(n.startswith(PREFIX + rid) for n in existing):
                break
        else:
            raise RuntimeError("could not pick an unused run id")
        self.run_id = rid
        self.prefix = PREFIX + rid                 # "tdm1a2b": 7 chars
        self.lan_ns = f"{self.prefix}-lan"
        self.bridge = f"{self.prefix}br"
        self.hosts: dict[str, Host] = {}
        self._namespaces: list[str] = []
        self._procs: list[subprocess.Popen] = []
        self._captures: list[Capture] = []
        self._partitioned = False
        self._closed = False
        _live_topologies.add(self)
        _install_sigterm()
        os.makedirs(OWNER_DIR, exist_ok=True)
        self._owner_file = os.path.join(OWNER_DIR, f"{self.prefix}.owner")
        with open(self._owner_file, "w") as f:
            f.write(f"{os.getpid()}\n")
        try:
            self._add_ns(self.lan_ns)
            self._ip(self.lan_ns, "link", "add", self.bridge, "type", "bridge",
                     "forward_delay", "0", "stp_state", "0",
                     "mcast_snooping", "0")   # multicast adverts flood to every port
            self._ip(self.lan_ns, "link", "set", self.bridge, "up")
        except BaseException:
            self.cleanup()
            raise

    # ---- building --------------------------------------------------------

    def _ip(self, ns: str, *args: str) -> subprocess.CompletedProcess:
        return _sh(["ip", "-n", ns, *args])

    def _add_ns(self, ns: str) -> None:
        _sh(["ip", "netns", "add", ns])
        self._namespaces.append(ns)
        self._sysctl(ns, "net.ipv6.conf.all.disable_ipv6", "0" if self.ipv6 else "1")
        self._sysctl(ns, "net.ipv6.conf.default.disable_ipv6", "0" if self.ipv6 else "1")
        self._ip(ns, "link", "set", "lo", "up")

    def _sysctl(self, ns: str, key: str, value: str) -> None:
        _sh(["ip", "netns", "exec", ns, "sysctl", "-q", "-w", f"{key}={value}"])

    def add_host(self, name: str, ip: str, prefix_len: int = 24) -> Host:
        """Adds a host namespace with lo up and `ip/prefix_len` on its veth."""
        if name in self.hosts:
            raise ValueError(f"host {name} exists")
        if ipaddress.ip_address(ip) not in TEST_NET:
            raise ValueError(f"{ip} is outside {TEST_NET}")
        idx = len(self.hosts) + 1
        ns = f"{self.prefix}-{name}"
        port = f"{self.prefix}p{idx}"
        ifname = f"{self.prefix}{name}"
        if len(ifname) > 15:
            ifname = f"{self.prefix}h{idx}"
        self._add_ns(ns)
        self._ip(self.lan_ns, "link", "add", port, "type", "veth",
                 "peer", "name", ifname, "netns", ns)
        self._ip(self.lan_ns, "link", "set", port, "master", self.bridge, "up")
        self._ip(ns, "addr", "add", f"{ip}/{prefix_len}", "dev", ifname)
        self._ip(ns, "link", "set", ifname, "up")
        # A host normally has a default route; without one, multicast to
        # 224.0.0.0/4 without IP_MULTICAST_IF fails with ENETUNREACH.
        self._ip(ns, "route", "add", "224.0.0.0/4", "dev", ifname)
        mac = self._read_mac(ns, ifname)
        host = Host(name, ip, prefix_len, ns, ifname, port, mac)
        self.hosts[name] = host
        return host

    def _read_mac(self, ns: str, ifname: str) -> str:
        out = self._ip(ns, "-o", "link", "show", ifname).stdout
        words = out.split()
        return words[words.index("link/ether") + 1] if "link/ether" in words else ""

    def add_standard_hosts(self, edges: int = 3, backends: int = 3,
                           client: bool = True) -> None:
        """edge1..N (198.18.0.11..), backend1..N (198.18.0.101..), client (.50)."""
        for name in list(EDGES)[:edges]:
            self.add_host(name, EDGES[name])
        for name in list(BACKENDS)[:backends]:
            self.add_host(name, BACKENDS[name])
        if client:
            self.add_host(*CLIENT)
            # Many short connections from the probe: reuse TIME_WAIT ports.
            self._sysctl(self.ns(CLIENT[0]), "net.ipv4.tcp_tw_reuse", "1")
            self._sysctl(self.ns(CLIENT[0]), "net.ipv4.ip_local_port_range", "10000 65000")

    def host(self, name: str) -> Host:
        """The Host called name (KeyError with the known names otherwise)."""
        try:
            return self.hosts[name]
        except KeyError:
            raise KeyError(f"no host {name!r}; have {sorted(self.hosts)}") from None

    def ns(self, host: str) -> str:
        """The namespace name of a host."""
        return self.host(host).ns

    # ---- running things ----------------------------------------------------

    def exec_argv(self, host: str, argv: Sequence[str]) -> list[str]:
        """argv prefixed to run inside the host's namespace."""
        return ["ip", "netns", "exec", self.ns(host), *argv]

    def run(self, host: str, argv: Sequence[str], *, check: bool = True,
            timeout: float = 30, input: str | None = None) -> subprocess.CompletedProcess:
        """Runs argv in the host's namespace to completion; text stdout/stderr."""
        return _sh(self.exec_argv(host, argv), check=check, timeout=timeout, input=input)

    def popen(self, host: str, argv: Sequence[str], **kwargs) -> subprocess.Popen:
        """Starts argv in the host's namespace (ip netns exec execs it, so the
        Popen's pid is the program itself, in its own session). Tracked and
        stopped by PID at cleanup. kwargs go to subprocess.Popen."""
        kwargs.setdefault("stdin", subprocess.DEVNULL)
        kwargs.setdefault("start_new_session", True)
        proc = subprocess.Popen(self.exec_argv(host, argv), **kwargs)
        self._procs.append(proc)
        return proc

    def stop_process(self, proc: subprocess.Popen, sig: int = signal.SIGTERM,
                     timeout: float = 5) -> int | None:
        """Sends sig to proc by PID, waits up to timeout, then SIGKILLs.
        Returns the exit status."""
        if proc.poll() is None:
            signal_process(proc, sig)
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                signal_process(proc, signal.SIGKILL)
                try:
                    proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    print(f"netns: pid {proc.pid} survived SIGKILL", file=sys.stderr)
        return proc.returncode

    def ping(self, src: str, dst_ip: str, count: int = 1, timeout_s: float = 1.0,
             interval_s: float = 0.2) -> tuple[int, int]:
        """Pings dst_ip from host src; returns (sent, received)."""
        argv = ["ping", "-n", "-q", "-c", str(count), "-i", str(interval_s),
                "-W", str(timeout_s), dst_ip]
        out = self.run(src, argv, check=False, timeout=count * (interval_s + timeout_s) + 10).stdout
        for line in out.splitlines():
            if "packets transmitted" in line:
                parts = line.split(",")
                return int(parts[0].split()[0]), int(parts[1].split()[0])
        return count, 0

    def can_reach(self, src: str, dst: str, timeout_s: float = 1.0) -> bool:
        """One ping from host src to host dst's address answered."""
        return self.ping(src, self.host(dst).ip, 1, timeout_s)[1] == 1

    def socket(self, host: str, family: int = socket.AF_INET,
               type: int = socket.SOCK_STREAM, proto: int = 0) -> socket.socket:
        """A socket living in the host's namespace (see socket_in_namespace)."""
        return socket_in_namespace(self.ns(host), family, type, proto)

    def http_get(self, host: str, addr: str, path: str = "/", timeout: float = 1.0,
                 source: str | None = None, headers: dict[str, str] | None = None
                 ) -> tuple[int, dict[str, str], bytes]:
        """GET http://addr/path from inside host ("Connection: close"), from
        the source address when given, with the extra request headers;
        returns (status, lower-cased headers, body). Raises OSError on failure."""
        ip, _, port = addr.rpartition(":")
        extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
        with self.socket(host) as s:
            s.settimeout(timeout)
            if source:
                s.bind((source, 0))
            s.connect((ip, int(port)))
            s.sendall(f"GET {path} HTTP/1.1\r\nHost: {addr}\r\n{extra}Connection: close\r\n\r\n".encode())
            data = b""
            deadline = time.monotonic() + timeout
            for _ in range(10_000):
                if time.monotonic() > deadline:
                    raise TimeoutError(f"GET {addr}{path} from {host}: response incomplete")
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
                if len(data) > (1 << 20):
                    break
        head, sep, body = data.partition(b"\r\n\r\n")
        if not sep:
            raise ConnectionError(f"GET {addr}{path} from {host}: no complete header")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        response_headers = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            response_headers[k.strip().lower()] = v.strip()
        return status, response_headers, body

    def can_connect(self, host: str, addr: str, timeout: float = 0.5) -> bool:
        """A TCP connect from host to "ip:port" succeeds now."""
        ip, _, port = addr.rpartition(":")
        try:
            with self.socket(host) as s:
                s.settimeout(timeout)
                s.connect((ip, int(port)))
                return True
        except OSError:
            return False

    def addresses(self, host: str) -> list[str]:
        """IPv4 addresses ("ip/len") on the host's LAN interface."""
        h = self.host(host)
        out = self._ip(h.ns, "-o", "-4", "addr", "show", "dev", h.ifname).stdout
        return [line.split()[3] for line in out.splitlines() if " inet " in line]

    # ---- faults ----------------------------------------------------------

    def link_down(self, host: str) -> None:
        """Cuts the host's cable: its bridge port goes down (host sees NO-CARRIER)."""
        self._ip(self.lan_ns, "link", "set", self.host(host).port, "down")

    def link_up(self, host: str) -> None:
        """Plugs the host's cable back in."""
        self._ip(self.lan_ns, "link", "set", self.host(host).port, "up")

    def partition(self, group_a: Iterable[str], group_b: Iterable[str],
                  *more: Iterable[str]) -> None:
        """Splits the LAN: no frame passes between hosts of different groups
        (unicast, broadcast and multicast alike). Hosts in no group still reach
        everyone. Replaces an earlier partition."""
        groups = [sorted(set(g)) for g in (group_a, group_b, *more)]
        seen: set[str] = set()
        for g in groups:
            for name in g:
                self.host(name)
                if name in seen:
                    raise ValueError(f"{name} is in two groups")
                seen.add(name)
        self.heal()
        rules = []
        for i, a in enumerate(groups):
            for j, b in enumerate(groups):
                if i == j or not a or not b:
                    continue
                ia = ", ".join(f'"{self.host(n).port}"' for n in a)
                ob = ", ".join(f'"{self.host(n).port}"' for n in b)
                rules.append(f"    iifname {{ {ia} }} oifname {{ {ob} }} counter drop")
        script = ("table bridge tdmpartition {\n"
                  "  chain split {\n"
                  "    type filter hook forward priority 0; policy accept;\n"
                  + "\n".join(rules) + "\n  }\n}\n")
        self._nft(self.lan_ns, script)
        self._partitioned = True

    def heal(self) -> None:
        """Removes a partition (no-op without one)."""
        if self._partitioned:
            _sh(["ip", "netns", "exec", self.lan_ns, "nft", "delete", "table",
                 "bridge", "tdmpartition"], check=False)
            self._partitioned = False

    def netem(self, host: str, loss: float = 0.0, delay_ms: float = 0.0,
              direction: str = "egress", match: str = "") -> None:
        """Degrades the host's link. loss (percent) drops that share of frames
        at random with nftables: "egress" = frames the host sends, "ingress"
        = frames it receives, or "both"; match is an optional nftables
        expression limiting it (e.g. "ip daddr 224.0.0.18" for adverts only).
        delay_ms adds egress delay with tc netem (Unsupported when the kernel
        lacks sch_netem, as this workplace's does). Replaces earlier settings."""
        if direction not in ("egress", "ingress", "both"):
            raise ValueError(f"direction {direction!r}")
        if not 0 <= loss <= 100:
            raise ValueError(f"loss {loss} is not a percentage")
        self.clear_netem(host)
        h = self.host(host)
        if delay_ms > 0:
            proc = self.run(host, ["tc", "qdisc", "replace", "dev", h.ifname, "root",
                                   "netem", "delay", f"{delay_ms}ms"], check=False)
            if proc.returncode != 0:
                raise Unsupported(f"tc netem unavailable: {proc.stderr.strip()}")
        if loss > 0:
            # Both directions are dropped on an ingress hook (the netdev egress
            # hook does not reliably drop on veth): the host's outgoing
            # frames where they enter its bridge port, its incoming frames
            # where they enter its interface. numgen yields 0..9999.
            verdict = ("drop" if loss >= 100 else
                       f"numgen random mod 10000 < {int(round(loss * 100))} drop")
            where = {"egress": [(self.lan_ns, h.port)], "ingress": [(h.ns, h.ifname)]}
            where["both"] = where["egress"] + where["ingress"]
            for ns, dev in where[direction]:
                self._nft(ns, f"table netdev tdmnetem_{dev} {{\n"
                              f"  chain loss {{\n"
                              f"    type filter hook ingress device \"{dev}\" priority 0; "
                              f"policy accept;\n"
                              f"    {match} counter {verdict}\n"
                              f"  }}\n}}\n")

    def clear_netem(self, host: str) -> None:
        """Removes loss and delay from the host's interface."""
        h = self.host(host)
        for ns, dev in ((self.lan_ns, h.port), (h.ns, h.ifname)):
            _sh(["ip", "netns", "exec", ns, "nft", "delete", "table", "netdev",
                 f"tdmnetem_{dev}"], check=False)
        _sh(["ip", "netns", "exec", h.ns, "tc", "qdisc", "del", "dev", h.ifname, "root"],
            check=False)

    def _nft(self, ns: str, script: str) -> None:
        proc = _sh(["ip", "netns", "exec", ns, "nft", "-f", "-"], check=False, input=script)
        if proc.returncode != 0:
            raise RuntimeError(f"nft failed in {ns}: {proc.stderr.strip()}\n{script}")

    def capture(self, host: str, filter: str = "", name: str | None = None,
                ready_timeout: float = 5.0) -> Capture:
        """Starts tcpdump on the host's interface writing <workdir>/<name>.pcap;
        returns once tcpdump is listening. Stopped at cleanup if not before."""
        h = self.host(host)
        name = name or f"{host}-{len(self._captures) + 1}"
        path = os.path.join(self.workdir, f"{name}.pcap")
        log_path = os.path.join(self.workdir, f"{name}.tcpdump.log")
        log = open(log_path, "w")
        argv = ["tcpdump", "-i", h.ifname, "-n", "-U", "--immediate-mode", "-Z", "root", "-w", path]
        if filter:
            argv += filter.split()
        try:
            proc = self.popen(host, argv, stdout=subprocess.DEVNULL, stderr=log)
        finally:
            log.close()
        cap = Capture(self, host, path, proc, log_path)
        self._captures.append(cap)

        def listening() -> bool:
            if proc.poll() is not None:
                raise RuntimeError(f"tcpdump exited: {open(log_path).read().strip()}")
            with open(log_path) as f:
                return "listening on" in f.read()
        wait_until(listening, ready_timeout, what=f"tcpdump on {host}")
        return cap

    # ---- teardown --------------------------------------------------------

    def cleanup(self) -> list[str]:
        """Stops every process and capture, deletes every namespace (and with
        them the veths and the bridge). Idempotent. Returns what could not be
        removed (empty when all is gone)."""
        if self._closed:
            return []
        problems: list[str] = []
        for proc in reversed(self._procs):
            try:
                self.stop_process(proc, signal.SIGTERM, timeout=3)
            except Exception as e:  # noqa: BLE001
                problems.append(f"pid {proc.pid}: {e}")
        for ns in reversed(self._namespaces):
            # Anything else still inside our namespaces was started by this run.
            pids = _sh(["ip", "netns", "pids", ns], check=False).stdout.split()
            for pid in pids:
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except (ProcessLookupError, ValueError):
                    pass
            proc = _sh(["ip", "netns", "del", ns], check=False)
            if proc.returncode != 0 and ns in list_namespaces():
                problems.append(f"netns {ns}: {proc.stderr.strip()}")
        leftovers = [n for n in list_namespaces() if n.startswith(self.prefix)]
        problems += [f"namespace {n} remains" for n in leftovers]
        links = _sh(["ip", "-o", "link", "show"], check=False).stdout
        problems += [f"root-namespace link {line.split()[1]} remains"
                     for line in links.splitlines() if f" {self.prefix}" in line]
        if not leftovers:
            try:
                os.unlink(self._owner_file)
            except FileNotFoundError:
                pass
        if self._own_workdir and not problems and os.environ.get("TANDEM_KEEP") is None:
            shutil.rmtree(self.workdir, ignore_errors=True)
        self._closed = True
        _live_topologies.discard(self)
        for p in problems:
            print(f"netns: cleanup: {p}", file=sys.stderr)
        return problems

    def __enter__(self) -> "Topology":
        return self

    def __exit__(self, *exc) -> None:
        self.cleanup()


if __name__ == "__main__":
    if sys.argv[1:] == ["--sweep"]:
        print("\n".join(sweep_stale()) or "nothing stale")
    else:
        print("usage: python3 -m lib.netns --sweep", file=sys.stderr)
        sys.exit(2)
