#!/usr/bin/python3
"""Instructions per keep-alive request of two lb-proxy binaries, A and B.

Counts what the proxy process itself executes while a bounded wrk load sends
about N keep-alive requests over loopback through it to a local nginx
backend, and divides by the requests the proxy served (its own counter, read
from the admin endpoint before and after). Rounds alternate A, B, A, B... so
slow drift of the machine spreads over both. Prints, for A and B, the median
instructions per request with the spread (min..max), and the ratio B/A of
the medians.

Two counters (--counter):
  perf       `perf stat -e instructions,task-clock -p PID`: user and kernel
             instructions, and CPU time. Needs a hardware PMU (not in most
             VMs: perf then reports instructions as <not supported>).
  callgrind  the proxy runs under valgrind's callgrind; its counters are
             zeroed after the warm-up and dumped after the load: user-space
             instructions only (Ir), exact and nearly noise-free, ~50x slower.
  auto       (default) perf when it can count instructions, else callgrind.

    bench/instructions_ab.py --a /work/ab/lb-proxy.before --b build/lb/lb-proxy \\
                             [--rounds 5] [--requests 20000] [--connections 16]
    # the access log's cost: the same binary, log off (A) and on (B)
    bench/instructions_ab.py --a build/lb/lb-proxy --b build/lb/lb-proxy --access-log b
    # HTTP/2: h2load -n REQUESTS with STREAMS streams per connection, h2c or over TLS (ALPN h2);
    # TLS keep-alive: wrk over https (bench/tls_bench.py's certificate and cipher suite)
    bench/instructions_ab.py --a A --b B --load h2c [--streams 32] [--connections 4]
    bench/instructions_ab.py --a A --b B --load h2tls
    bench/instructions_ab.py --a A --b B --load https

Run it under `flock /tmp/tandem-bench.lock`; it needs wrk, nginx, and perf
(Debian: linux-perf) or valgrind. Every run is bounded: wrk stops after
--requests, or after --max-seconds at the latest. The backend and proxy
setup are proxy_bench.py's (one worker, keep-alive to the backend, logging off).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from proxy_bench import Processes, free_port, nginx_backend_conf, tandem_conf, wait_port  # noqa: E402
import tls_bench  # noqa: E402

# wrk stops each thread after its share of the requests (wrk.thread:stop()).
STOP_LUA = """
local limit = tonumber(os.getenv("AB_REQUESTS_PER_THREAD"))
local done = 0
function response(status, headers, body)
  done = done + 1
  if done >= limit then wrk.thread:stop() end
end
"""

PERF_VALUE = re.compile(r"^\s*([\d.]+),[^,]*,(instructions|task-clock)", re.M)
REQUESTS = re.compile(r'^tandem_requests_total\{[^}]*\} (\d+)', re.M)


def served(admin: int) -> int:
    """Requests the proxy has counted so far (all listeners)."""
    with urllib.request.urlopen(f"http://127.0.0.1:{admin}/metrics", timeout=5) as r:
        text = r.read().decode()
    found = REQUESTS.findall(text)
    if not found:
        raise RuntimeError("no tandem_requests_total in the proxy's /metrics")
    return sum(int(v) for v in found)


def perf_counts_instructions() -> bool:
    """Whether perf can count hardware instructions here (a PMU; not in most VMs)."""
    out = subprocess.run(["perf", "stat", "-x,", "-e", "instructions", "--", "true"], capture_output=True,
                         text=True).stderr
    return bool(re.search(r"^\s*\d+,[^,]*,instructions", out, re.M))


def run_load(port: int, tmp: str, requests: int, args: argparse.Namespace) -> None:
    """About REQUESTS keep-alive requests through the proxy on PORT, bounded by --max-seconds."""
    if args.load in ("h2c", "h2tls"):
        scheme = "https" if args.load == "h2tls" else "http"
        h2load = ["h2load", "-n", str(requests), "-c", str(args.connections), "-m", str(args.streams), "-t", "1",
                  f"{scheme}://127.0.0.1:{port}/"]
        if args.load_cpu is not None:
            h2load = ["taskset", "-c", args.load_cpu] + h2load
        out = subprocess.run(h2load, capture_output=True, text=True, timeout=args.max_seconds + 30, check=True).stdout
        if f"{requests} succeeded" not in out:
            raise RuntimeError("h2load did not finish every request:\n" + out[-1500:])
        return
    lua = os.path.join(tmp, "stop.lua")
    with open(lua, "w") as f:
        f.write(STOP_LUA)
    env = dict(os.environ, AB_REQUESTS_PER_THREAD=str(max(1, requests // args.threads)))
    scheme = "https" if args.load == "https" else "http"
    wrk = ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{args.max_seconds}s", "-s", lua,
           f"{scheme}://127.0.0.1:{port}/"]
    if args.load_cpu is not None:
        wrk = ["taskset", "-c", args.load_cpu] + wrk
    subprocess.run(wrk, env=env, capture_output=True, timeout=args.max_seconds + 30, check=True)


def count_with_perf(pid: int, port: int, admin: int, tmp: str, args: argparse.Namespace) -> dict:
    before = served(admin)
    perf_out = os.path.join(tmp, "perf.csv")
    perf = subprocess.Popen(["perf", "stat", "-x,", "-e", "instructions,task-clock", "-p", str(pid),
                             "-o", perf_out], start_new_session=True)
    time.sleep(0.2)  # perf attached before the load starts
    run_load(port, tmp, args.requests, args)
    time.sleep(0.2)  # the last responses leave the proxy
    perf.send_signal(signal.SIGINT)
    perf.wait(10)
    requests = served(admin) - before
    with open(perf_out) as f:
        values = {name: float(v) for v, name in PERF_VALUE.findall(f.read())}
    if "instructions" not in values:
        raise RuntimeError(f"perf counted no instructions; see {perf_out} (try --counter callgrind)")
    return {"requests": requests, "instructions": values["instructions"] / requests,
            "task_us": values.get("task-clock", 0.0) * 1000 / requests}


def count_with_callgrind(pid: int, port: int, admin: int, tmp: str, args: argparse.Namespace,
                         out_file: str) -> dict:
    subprocess.run(["callgrind_control", "-z", str(pid)], capture_output=True, check=True, timeout=60)
    before = served(admin)
    run_load(port, tmp, args.requests, args)
    time.sleep(0.5)  # the last responses leave the proxy
    requests = served(admin) - before
    subprocess.run(["callgrind_control", "-d", str(pid)], capture_output=True, check=True, timeout=60)
    dumps = sorted(f for f in os.listdir(tmp) if f.startswith(os.path.basename(out_file) + "."))
    if not dumps:
        raise RuntimeError(f"callgrind wrote no dump next to {out_file}")
    if args.keep_dumps:
        os.makedirs(args.keep_dumps, exist_ok=True)
        shutil.copy(os.path.join(tmp, dumps[-1]), os.path.join(args.keep_dumps, os.path.basename(out_file)))
    with open(os.path.join(tmp, dumps[-1])) as f:
        m = re.search(r"^(?:summary|totals): (\d+)", f.read(), re.M)
    if not m:
        raise RuntimeError(f"no totals in callgrind dump {dumps[-1]}")
    return {"requests": requests, "instructions": int(m.group(1)) / requests, "task_us": 0.0}


def one_round(binary: str, tmp: str, backend: int, args: argparse.Namespace, procs: Processes,
              counter: str, label: str) -> dict:
    port, admin = free_port(), free_port()
    conf = os.path.join(tmp, "tandem.conf")
    with open(conf, "w") as f:
        if args.load in ("https", "h2tls"):
            f.write(tls_bench.tandem_conf(port, admin, backend, args.certs["ecdsa"]))
        else:
            f.write(tandem_conf(port, admin, backend, 1, False))
        if args.access_log in ("both", label[0].lower()):  # this side logs every request (docs/observability.md)
            f.write(f'access_log {{ path: "{os.path.join(tmp, "access-" + label + ".log")}" }}\n')
    argv = [binary, "--config", conf, "--node", "bench", "--log-level", "warn"]
    out_file = os.path.join(tmp, f"callgrind-{label}")
    if counter == "callgrind":
        argv = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out_file}"] + argv
    proxy = procs.start(argv, args.proxy_cpu, os.path.join(tmp, f"proxy-{label}.log"))
    try:
        wait_port(port, 60)
        wait_port(admin, 60)
        run_load(port, tmp, max(1, args.requests // 10), args)  # warm-up: connections, pools, caches
        if counter == "callgrind":
            return count_with_callgrind(proxy.pid, port, admin, tmp, args, out_file)
        return count_with_perf(proxy.pid, port, admin, tmp, args)
    finally:
        procs.stop(proxy)


def summary(name: str, binary: str, runs: list[dict]) -> str:
    ins = [r["instructions"] for r in runs]
    us = [r["task_us"] for r in runs]
    cpu = f", {statistics.median(us):.2f} us task-clock/request" if any(us) else ""
    return (f"{name}: {statistics.median(ins):9.0f} instructions/request (min {min(ins):.0f}, max {max(ins):.0f}, "
            f"spread {100 * (max(ins) - min(ins)) / statistics.median(ins):.2f}%){cpu}; {binary}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--a", required=True, help="the 'before' lb-proxy binary")
    ap.add_argument("--b", required=True, help="the 'after' lb-proxy binary")
    ap.add_argument("--rounds", type=int, default=5, help="rounds per binary, alternated")
    ap.add_argument("--requests", type=int, default=20000, help="requests per round (measured)")
    ap.add_argument("--counter", choices=("auto", "perf", "callgrind"), default="auto")
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--load", choices=("http", "https", "h2c", "h2tls"), default="http",
                    help="HTTP/1.1 keep-alive (wrk), the same over TLS, or HTTP/2 (h2load) cleartext or over TLS")
    ap.add_argument("--streams", type=int, default=32, help="h2load's concurrent streams per connection")
    ap.add_argument("--threads", type=int, default=1, help="wrk threads")
    ap.add_argument("--max-seconds", type=int, default=60, help="bound on one wrk run")
    ap.add_argument("--access-log", choices=("none", "a", "b", "both"), default="none",
                    help="which side writes an access log (to the temporary directory), e.g. A=B's binary, log on for b")
    ap.add_argument("--keep-dumps", metavar="DIR",
                    help="callgrind: copy each round's dump here (callgrind_annotate DIR/callgrind-B1)")
    ap.add_argument("--proxy-cpu", default=None, help="taskset CPU list for the proxy (e.g. 0)")
    ap.add_argument("--load-cpu", default=None, help="taskset CPU list for wrk and the backend (e.g. 1)")
    args = ap.parse_args()
    counter = args.counter
    if counter == "auto":
        counter = "perf" if shutil.which("perf") and perf_counts_instructions() else "callgrind"
    load_tool = "h2load" if args.load.startswith("h2") else "wrk"
    for tool in (counter if counter == "perf" else "valgrind", load_tool, "/usr/sbin/nginx"):
        if not shutil.which(tool):
            print(f"instructions_ab: {tool} not found (Debian: apt-get install linux-perf valgrind wrk nginx)",
                  file=sys.stderr)
            return 2
    print(f"counter: {counter}; load {args.load}; {args.rounds} rounds of {args.requests} requests over "
          f"{args.connections} keep-alive connections, A and B alternated", flush=True)
    runs: dict[str, list[dict]] = {"A": [], "B": []}
    procs = Processes()
    with tempfile.TemporaryDirectory(prefix="tandem-ab-") as tmp:
        os.chmod(tmp, 0o755)
        args.certs = tls_bench.make_certs(tmp) if args.load in ("https", "h2tls") else {}
        try:
            backend = free_port()
            conf = os.path.join(tmp, "backend.conf")
            with open(conf, "w") as f:
                f.write(nginx_backend_conf(tmp, backend, 64))
            procs.start(["/usr/sbin/nginx", "-c", conf, "-p", tmp], args.load_cpu, os.path.join(tmp, "backend.log"))
            wait_port(backend)
            for i in range(args.rounds):
                for name, binary in (("A", args.a), ("B", args.b)):
                    r = one_round(binary, tmp, backend, args, procs, counter, f"{name}{i + 1}")
                    runs[name].append(r)
                    print(f"round {i + 1} {name}: {r['requests']} requests, {r['instructions']:.0f} instructions/request",
                          flush=True)
        finally:
            procs.stop_all()
    print(summary("A", args.a, runs["A"]))
    print(summary("B", args.b, runs["B"]))
    ratio = statistics.median(r["instructions"] for r in runs["B"]) / statistics.median(
        r["instructions"] for r in runs["A"])
    print(f"B/A instructions per request: {ratio:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
