#!/usr/bin/python3
"""Proxy throughput side by side: lb-proxy, HAProxy and nginx in one run.

Every proxy is configured fairly: the same worker count, keep-alive to the
backend, logging off. The backend is one nginx serving a small static body
from memory; the load generator is wrk. With --pin the proxy runs on CPU 0
and wrk and the backend on CPU 1, so the proxies compete for nothing.

    sudo bench/proxy_bench.py --build build [--runs 3] [--duration 5] [--workers 1]
                              [--json out.json]

Prints one line per proxy and scenario (median, min, max requests/s and
latency percentiles) and the ratio to HAProxy and nginx measured in the same
run; --json also writes every run's figures (bench/report.py reads them).
Runs are interleaved (run 1 of every proxy, then run 2...) so slow drift of
the machine's load spreads over all proxies. Latency percentiles up to
p99.99 come from a wrk Lua done() hook (bench/wrk_percentiles.lua).
The `large` scenario's backend serves a real 64 KiB file (nginx refuses a
64 KiB `return` string). Loopback only; every run is bounded by --duration.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile

SMALL_BODY = "x" * 64
LARGE_BYTES = 65536
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "integration"))

from lib.cluster_file import listener, to_text  # noqa: E402
from lib.processes import LOOPBACK, can_connect, free_port  # noqa: E402
from lib.wait import WaitTimeout, wait_until  # noqa: E402

WRK_LUA = os.path.join(HERE, "wrk_percentiles.lua")


def wait_port(port: int, timeout: float = 10.0) -> None:
    """Returns once something accepts on 127.0.0.1:port; RuntimeError after timeout."""
    try:
        wait_until(lambda: can_connect(LOOPBACK, port, 0.2), timeout, 0.02,
                   what=f"something to listen on {LOOPBACK}:{port}")
    except WaitTimeout as e:
        raise RuntimeError(str(e)) from None


class Processes:
    """Processes started by this benchmark, stopped by PID."""

    def __init__(self) -> None:
        self.procs: list[subprocess.Popen] = []

    def start(self, argv: list[str], cpu: str | None, log: str) -> subprocess.Popen:
        if cpu is not None:
            argv = ["taskset", "-c", cpu] + argv
        out = open(log, "wb")
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        self.procs.append(proc)
        return proc

    def stop(self, proc: subprocess.Popen) -> None:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def stop_all(self) -> None:
        for p in reversed(self.procs):
            self.stop(p)


def nginx_backend_conf(tmp: str, port: int, body_bytes: int, workers: int = 1) -> str:
    """The backend: a small body from memory (`return`), a large one from a
    real file under <tmp>/www (nginx rejects long `return` strings)."""
    if body_bytes > 1024:
        www = os.path.join(tmp, "www")
        os.makedirs(www, exist_ok=True)
        os.chmod(www, 0o755)
        with open(os.path.join(www, "body.bin"), "wb") as f:
            f.write(b"x" * body_bytes)
        os.chmod(os.path.join(www, "body.bin"), 0o644)
        location = f"location / {{ root {www}; rewrite ^ /body.bin break; }}"
    else:
        location = f'location / {{ return 200 "{"x" * body_bytes}"; }}'
    return f"""
worker_processes {workers};
daemon off;
pid {tmp}/backend.pid;
error_log {tmp}/backend-error.log crit;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  keepalive_requests 1000000;
  client_body_temp_path {tmp}/b-body; proxy_temp_path {tmp}/b-proxy;
  fastcgi_temp_path {tmp}/b-fcgi; uwsgi_temp_path {tmp}/b-uwsgi; scgi_temp_path {tmp}/b-scgi;
  server {{
    listen 127.0.0.1:{port} reuseport backlog=4096;
    {location}
  }}
}}
"""


def nginx_proxy_conf(tmp: str, port: int, backend: int, workers: int, tcp: bool) -> str:
    stream_module = "load_module /usr/lib/nginx/modules/ngx_stream_module.so;" if tcp else ""
    common = f"""
{stream_module}
worker_processes {workers};
daemon off;
pid {tmp}/nginx-proxy.pid;
error_log {tmp}/nginx-proxy-error.log crit;
worker_rlimit_nofile 40000;
events {{ worker_connections 30000; }}
"""
    if tcp:
        return common + f"""
stream {{
  upstream be {{ server 127.0.0.1:{backend}; }}
  server {{ listen 127.0.0.1:{port} reuseport backlog=4096; proxy_pass be; }}
}}
"""
    return common + f"""
http {{
  access_log off;
  keepalive_requests 1000000;
  client_body_temp_path {tmp}/p-body; proxy_temp_path {tmp}/p-proxy;
  fastcgi_temp_path {tmp}/p-fcgi; uwsgi_temp_path {tmp}/p-uwsgi; scgi_temp_path {tmp}/p-scgi;
  upstream be {{ server 127.0.0.1:{backend}; keepalive 256; }}
  server {{
    listen 127.0.0.1:{port} reuseport backlog=4096;
    location / {{
      proxy_pass http://be;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering on;
    }}
  }}
}}
"""


def haproxy_conf(port: int, backend: int, workers: int, tcp: bool) -> str:
    mode = "tcp" if tcp else "http"
    http_opts = "" if tcp else "  option http-keep-alive\n  http-reuse always\n"
    return f"""
global
  nbthread {workers}
  maxconn 9900
defaults
  mode {mode}
  timeout connect 2s
  timeout client 30s
  timeout server 30s
{http_opts}frontend fe
  bind 127.0.0.1:{port}
  default_backend be
backend be
  server s1 127.0.0.1:{backend}
"""


def tandem_conf(port: int, admin: int, backend: int, workers: int, tcp: bool) -> str:
    return to_text({
        "name": "bench",
        "nodes": [{"name": "bench", "address": "127.0.0.1", "proxy_admin": f"127.0.0.1:{admin}",
                   "workers": workers}],
        "listeners": [listener("fe", "TCP" if tcp else "HTTP", "be", bind=f"127.0.0.1:{port}",
                               max_connections=9900, forwarded_headers=None if tcp else False)],
        "pools": [{"name": "be", "servers": [{"name": "s1", "address": f"127.0.0.1:{backend}"}]}],
    })


WRK_LINE = re.compile(r"Requests/sec:\s+([\d.]+)")
WRK_TOTAL = re.compile(r"(\d+) requests in ")
PCT_LINE = re.compile(r"^PCT ([\d.]+) ([\d.]+)$", re.M)   # wrk_percentiles.lua, microseconds
ERR_LINE = re.compile(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")
NON2XX = re.compile(r"Non-2xx or 3xx responses: (\d+)")


def to_ms(value: str, unit: str) -> float:
    v = float(value)
    return v / 1000 if unit == "us" else v * 1000 if unit == "s" else v


def run_wrk(port: int, connections: int, duration: int, cpu: str | None, close: bool,
            threads: int = 1, scheme: str = "http") -> dict:
    argv = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency", "-s", WRK_LUA,
            f"{scheme}://127.0.0.1:{port}/"]
    if close:
        argv[1:1] = ["-H", "Connection: close"]
    if cpu is not None:
        argv = ["taskset", "-c", cpu] + argv
    out = subprocess.run(argv, capture_output=True, text=True, timeout=duration + 30).stdout
    m = WRK_LINE.search(out)
    if not m:
        raise RuntimeError("wrk printed no result:\n" + out)
    total = WRK_TOTAL.search(out)
    pct = {p: float(us) / 1000 for p, us in PCT_LINE.findall(out)}   # "99.9" -> ms
    errs = ERR_LINE.search(out)
    non2xx = NON2XX.search(out)
    return {
        "rps": float(m.group(1)),
        "requests": int(total.group(1)) if total else None,
        "p50": pct.get("50"), "p99": pct.get("99"), "p99.9": pct.get("99.9"), "pct": pct,
        "errors": sum(map(int, errs.groups())) if errs else 0,
        "non2xx": int(non2xx.group(1)) if non2xx else 0,
    }


def process_tree(pid: int) -> list[int]:
    """PID and its children (nginx's workers; HAProxy and lb-proxy have none)."""
    return [pid] + [int(p) for p in subprocess.run(["pgrep", "-P", str(pid)], capture_output=True,
                                                     text=True).stdout.split()]


def cpu_times(pids: list[int]) -> dict:
    """CPU time of PIDS and all their threads: `run_ns` from every thread's
    /proc/PID/task/TID/schedstat (nanoseconds on a CPU, user plus kernel),
    `user_s` and `sys_s` from /proc/PID/stat (clock ticks: coarse, for the split)."""
    tick = os.sysconf("SC_CLK_TCK")
    run_ns, user, sys_ = 0, 0, 0
    for pid in pids:
        try:
            for tid in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                    run_ns += int(f.read().split()[0])
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            user += int(fields[11])
            sys_ += int(fields[12])
        except (FileNotFoundError, ProcessLookupError, IndexError):
            pass
    return {"run_ns": run_ns, "user_s": user / tick, "sys_s": sys_ / tick}


class SyscallCount:
    """`perf stat -e raw_syscalls:sys_enter` attached to PIDS while the load
    runs: system calls the proxy made (a tracepoint: works without a PMU).
    With BY_TYPE, `-e 'syscalls:sys_enter_*'` instead: one count per call."""

    def __init__(self, pids: list[int], seconds: float, by_type: bool = False) -> None:
        event = "syscalls:sys_enter_*" if by_type else "raw_syscalls:sys_enter"
        self.proc = subprocess.Popen(
            ["perf", "stat", "-x,", "-e", event, "-p", ",".join(map(str, pids)),
             "--", "sleep", str(seconds)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)

    def result(self) -> int | None:
        return sum(self.by_type().values()) or None

    def by_type(self) -> dict[str, int]:
        """Calls per name (all under "all" without BY_TYPE); empty when perf counted nothing."""
        if not hasattr(self, "_counts"):
            _, err = self.proc.communicate(timeout=60)
            self._counts = {}
            for count, name in re.findall(r"^(\d+),[^,]*,(?:raw_syscalls:sys_enter|syscalls:sys_enter_(\w+))",
                                          err, re.M):
                if int(count):
                    self._counts[name or "all"] = int(count)
        return self._counts


def tcp_active_opens() -> int:
    """The kernel's count of connect()s (Tcp ActiveOpens, system-wide)."""
    with open("/proc/net/snmp") as f:
        rows = [line.split() for line in f if line.startswith("Tcp:")]
    return int(rows[1][rows[0].index("ActiveOpens")])


def measured_run(pid: int, port: int, connections: int, duration: int, cpu: str | None, close: bool,
                 threads: int = 1, count_syscalls: bool = False, syscall_types: bool = False) -> dict:
    """run_wrk, plus the proxy's CPU per request (user plus kernel, every
    thread and child) and, with COUNT_SYSCALLS, its system calls per request
    (with SYSCALL_TYPES, also per call name)."""
    pids = process_tree(pid)
    counter = SyscallCount(pids, duration, syscall_types) if count_syscalls else None
    before, opens = cpu_times(pids), tcp_active_opens()
    res = run_wrk(port, connections, duration, cpu, close, threads)
    after, opens = cpu_times(pids), tcp_active_opens() - opens
    n = res.get("requests") or res["rps"] * duration
    # Connections opened to the backend per request: every connect() on the
    # machine during the run, less wrk's own (the machine is otherwise quiet
    # on loopback; other users' connects make this an upper bound).
    res["upstream_connects_per_req"] = max(0, opens - (n if close else connections)) / n if n else None
    res["cpu_us_per_req"] = (after["run_ns"] - before["run_ns"]) / 1000 / n if n else None
    res["user_s"] = after["user_s"] - before["user_s"]
    res["sys_s"] = after["sys_s"] - before["sys_s"]
    if counter:
        calls = counter.result()
        # perf counts for `duration` seconds, wrk for about as long: per request of that window.
        res["syscalls_per_req"] = calls / (res["rps"] * duration) if calls is not None and res["rps"] else None
        if syscall_types and res["rps"]:
            res["syscalls_by_type"] = {k: v / (res["rps"] * duration) for k, v in counter.by_type().items()}
    return res


def rss_kb(pid: int) -> int:
    """Resident memory of PID and its children (nginx and HAProxy may fork)."""
    total = 0
    for p in process_tree(pid):
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except FileNotFoundError:
            pass
    return total


def proxy_argv(name: str, tmp: str, lb_proxy: str, port: int, backend: int, workers: int,
               tcp: bool) -> list[str]:
    """Writes the proxy's configuration; returns the command that runs it in
    the foreground."""
    if name == "tandem" or name.startswith("tandem-"):
        path = os.path.join(tmp, f"{name}.conf")
        with open(path, "w") as f:
            f.write(tandem_conf(port, free_port(), backend, workers, tcp))
        return [lb_proxy, "--config", path, "--node", "bench", "--log-level", "warn"]
    if name == "haproxy":
        path = os.path.join(tmp, "haproxy.cfg")
        with open(path, "w") as f:
            f.write(haproxy_conf(port, backend, workers, tcp))
        return ["/usr/sbin/haproxy", "-db", "-f", path]
    path = os.path.join(tmp, "nginx-proxy.conf")
    with open(path, "w") as f:
        f.write(nginx_proxy_conf(tmp, port, backend, workers, tcp))
    return ["/usr/sbin/nginx", "-c", path, "-p", tmp]


PROXIES = ("tandem", "haproxy", "nginx")


def check_tools(lb_proxy: str) -> str | None:
    """What is missing to run, None when nothing."""
    for tool in ("wrk", "haproxy", "nginx", "taskset"):
        if not shutil.which(tool) and not os.path.exists(f"/usr/sbin/{tool}"):
            return f"missing {tool}: run scripts/install-deps.sh"
    if not os.access(lb_proxy, os.X_OK):
        return f"{lb_proxy} is not built"
    return None


def require_tools(build: str) -> str:
    """The path of lb-proxy under build once every tool is there; exits with
    status 2, saying what is missing, otherwise."""
    lb_proxy = os.path.join(build, "lb", "lb-proxy")
    problem = check_tools(lb_proxy)
    if problem:
        print(problem, file=sys.stderr)
        raise SystemExit(2)
    return lb_proxy


def extra_tandem_binaries(specs: list[str], proxies: list[str]) -> dict[str, str] | None:
    """--tandem-binary NAME=PATH options: {"tandem-NAME": PATH}, each name
    appended to PROXIES; None (after saying why) when a PATH is not an
    executable."""
    binaries: dict[str, str] = {}
    for spec in specs:
        label, _, path = spec.partition("=")
        if not os.access(path, os.X_OK):
            print(f"--tandem-binary {spec}: {path} is not an executable", file=sys.stderr)
            return None
        binaries[f"tandem-{label}"] = path
        proxies.append(f"tandem-{label}")
    return binaries


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default="build")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--duration", type=int, default=5)
    ap.add_argument("--connections", type=int, default=50)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--wrk-threads", type=int, default=1)
    ap.add_argument("--no-pin", dest="pin", action="store_false",
                    help="no taskset: proxy, wrk and backend share every CPU")
    ap.add_argument("--scenarios", default="keepalive,close,large,tcp")
    ap.add_argument("--json", help="write every run's figures here")
    ap.add_argument("--syscalls", action="store_true",
                    help="also count the proxy's system calls per request (perf stat tracepoint; "
                         "slows every proxy a little)")
    ap.add_argument("--syscall-types", action="store_true",
                    help="with --syscalls: count each system call by name (perf stat -e 'syscalls:sys_enter_*') "
                         "and print calls per request by name")
    ap.add_argument("--proxies", default=",".join(PROXIES),
                    help="which proxies (tandem must be one; default all three)")
    ap.add_argument("--tandem-binary", action="append", default=[], metavar="NAME=PATH",
                    help="another lb-proxy build measured as proxy NAME beside the others "
                         "(an A/B in one invocation: --tandem-binary main=/tmp/lb-proxy.main)")
    args = ap.parse_args()

    lb_proxy = require_tools(args.build)
    proxies = [n for n in args.proxies.split(",") if n]
    binaries = extra_tandem_binaries(args.tandem_binary, proxies)
    if binaries is None:
        return 2
    if "tandem" not in proxies:
        print("--proxies must include tandem", file=sys.stderr)
        return 2
    proxy_cpu = "0" if args.pin else None
    load_cpu = "1" if args.pin else None
    tmp = tempfile.mkdtemp(prefix="tandem-bench-")
    os.chmod(tmp, 0o755)       # nginx's workers (user nobody) read the large body below it
    procs = Processes()
    results: dict[str, dict[str, list[dict]]] = {}
    try:
        for scenario in args.scenarios.split(","):
            body = LARGE_BYTES if scenario == "large" else len(SMALL_BODY)
            backend = free_port()
            conf = os.path.join(tmp, f"backend-{scenario}.conf")
            with open(conf, "w") as f:
                f.write(nginx_backend_conf(tmp, backend, body, 1 if args.pin else args.workers))
            be = procs.start(["/usr/sbin/nginx", "-c", conf, "-p", tmp], load_cpu, f"{tmp}/backend.log")
            wait_port(backend)
            tcp = scenario == "tcp"
            results[scenario] = {n: [] for n in proxies}
            for r in range(args.runs):
                # Rotate the order so no proxy always runs first (or last).
                k = r % len(proxies)
                order = proxies[k:] + proxies[:k]
                for name in order:
                    port = free_port()
                    argv = proxy_argv(name, tmp, binaries.get(name, lb_proxy), port, backend, args.workers, tcp)
                    log = f"{tmp}/{name}-{scenario}.log"
                    proc = procs.start(argv, proxy_cpu, log)
                    try:
                        wait_port(port)
                    except RuntimeError as e:
                        raise RuntimeError(f"{name} did not start: {e}\n" + open(log).read()[-2000:]) from None
                    close = scenario == "close"
                    run_wrk(port, args.connections, 1, load_cpu, close, args.wrk_threads)  # warm-up
                    res = measured_run(proc.pid, port, args.connections, args.duration, load_cpu, close,
                                       args.wrk_threads, args.syscalls, args.syscall_types)
                    res["rss_kb"] = rss_kb(proc.pid)
                    results[scenario][name].append(res)
                    procs.stop(proc)
                    sc = f" syscalls/req {res['syscalls_per_req']:.2f}" if res.get("syscalls_per_req") else ""
                    print(f"  {scenario} {name} run {r + 1}: {res['rps']:.0f} rps "
                          f"p99 {res['p99'] or 0:.2f} ms cpu/req {res['cpu_us_per_req'] or 0:.1f} us{sc} "
                          f"connects/req {res['upstream_connects_per_req'] or 0:.2f} "
                          f"errors {res['errors'] + res['non2xx']}",
                          file=sys.stderr, flush=True)
            procs.stop(be)
    finally:
        procs.stop_all()
        shutil.rmtree(tmp, ignore_errors=True)

    if args.json:
        with open(args.json, "w") as f:
            json.dump({"workers": args.workers, "pinned": args.pin, "connections": args.connections,
                       "proxies": proxies, "syscalls": args.syscalls,
                       "duration_s": args.duration, "runs": args.runs,
                       "wrk_threads": args.wrk_threads, "results": results}, f, indent=1)

    print(f"# proxy benchmark: workers={args.workers} connections={args.connections} "
          f"duration={args.duration}s runs={args.runs} pinned={args.pin}")
    print(f"{'scenario':10} {'proxy':8} {'rps median':>11} {'min':>9} {'max':>9} {'p50 ms':>7} {'p99 ms':>7} "
          f"{'p99.9':>7} {'max ms':>7} {'errors':>6} {'cpu us/req':>10} {'sys/req':>7} {'vs haproxy':>10} "
          f"{'vs nginx':>8}")
    for scenario, by_proxy in results.items():
        med = {n: statistics.median(r["rps"] for r in runs) for n, runs in by_proxy.items()}
        for name, runs in by_proxy.items():
            rps = [r["rps"] for r in runs]
            errors = sum(r["errors"] + r["non2xx"] for r in runs)
            p = {k: statistics.median(r[k] or 0 for r in runs) for k in ("p50", "p99", "p99.9")}
            worst = max(r["pct"].get("100", 0) for r in runs)  # the slowest request of any run
            cpu = [r["cpu_us_per_req"] for r in runs if r.get("cpu_us_per_req")]
            calls = [r["syscalls_per_req"] for r in runs if r.get("syscalls_per_req")]
            vs = {peer: (f"{med[name] / med[peer]:.2f}" if med.get(peer) else "-") for peer in ("haproxy", "nginx")}
            print(f"{scenario:10} {name:8} {med[name]:11.0f} {min(rps):9.0f} {max(rps):9.0f} "
                  f"{p['p50']:7.2f} {p['p99']:7.2f} {p['p99.9']:7.2f} {worst:7.1f} {errors:6d} "
                  f"{statistics.median(cpu) if cpu else 0:10.1f} {statistics.median(calls) if calls else 0:7.2f} "
                  f"{vs['haproxy']:>10} {vs['nginx']:>8}")
    if args.syscall_types:
        print_syscall_types(results)
    return 0


def print_syscall_types(results: dict[str, dict[str, list[dict]]]) -> None:
    """Per scenario, system calls per request by name (median over runs), one column per proxy."""
    for scenario, by_proxy in results.items():
        names = sorted({k for runs in by_proxy.values() for r in runs for k in r.get("syscalls_by_type", {})})
        med = {p: {k: statistics.median(r.get("syscalls_by_type", {}).get(k, 0.0) for r in runs) for k in names}
               for p, runs in by_proxy.items()}
        names = [k for k in names if any(med[p][k] >= 0.005 for p in med)]
        names.sort(key=lambda k: -max(med[p][k] for p in med))
        print(f"# system calls per request by name: {scenario}")
        print(f"{'call':20} " + " ".join(f"{p:>14}" for p in by_proxy))
        for k in names:
            print(f"{k:20} " + " ".join(f"{med[p][k]:14.3f}" for p in by_proxy))
        print(f"{'total':20} " + " ".join(f"{sum(med[p].values()):14.3f}" for p in by_proxy))


if __name__ == "__main__":
    sys.exit(main())
