#!/usr/bin/python3
"""User-space instructions per request of one proxy (lb-proxy, HAProxy or
nginx) under callgrind, for issue 12's comparisons: the same backend and
proxy configuration as bench/h2_bench.py (h2c, h2tls) or bench/tls_bench.py
(https: HTTP/1.1 keep-alive over TLS with wrk).

    bench/instructions_peer.py --proxy haproxy --scenario h2c [--requests 20000]
    bench/instructions_peer.py --proxy tandem --binary build/lb/lb-proxy --scenario https

The proxy runs under `valgrind --tool=callgrind` on CPU 0 (the load and the
backend on CPU 1); after a warm-up of a tenth of the requests its counters
are zeroed (`callgrind_control -z PID`), REQUESTS requests are sent (h2load
-n, 4 connections of 32 streams; or wrk -c16 stopped by a Lua hook after
REQUESTS responses), and the dump's total is divided by the requests the
client saw succeed. Kernel work is not counted: pair it with system calls
per request (perf stat) or CPU time (h2_bench.py). nginx runs a master and
a worker: use --proxy nginx only with `master_process off` (not done here).
Run it under `flock /tmp/tandem-bench.lock`. Loopback only; bounded by
--max-seconds.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import h2_bench as hb  # noqa: E402
import proxy_bench as pb  # noqa: E402
import tls_bench as tb  # noqa: E402

STOP_LUA = """
local limit = tonumber(os.getenv("PEER_REQUESTS"))
local done = 0
function response(status, headers, body)
  done = done + 1
  if done >= limit then wrk.thread:stop() end
end
"""


def run_load(scenario: str, port: int, requests: int, tmp: str, max_seconds: int) -> int:
    """REQUESTS requests through the proxy on PORT; returns how many succeeded."""
    if scenario == "https":
        lua = os.path.join(tmp, "stop.lua")
        with open(lua, "w") as f:
            f.write(STOP_LUA)
        argv = ["taskset", "-c", "1", "wrk", "-t1", "-c16", f"-d{max_seconds}s", "-s", lua,
                f"https://127.0.0.1:{port}/"]
        out = subprocess.run(argv, capture_output=True, text=True, timeout=max_seconds + 30,
                             env=dict(os.environ, PEER_REQUESTS=str(requests))).stdout
        m = re.search(r"(\d+) requests in", out)
    else:
        scheme = "https" if scenario == "h2tls" else "http"
        argv = ["taskset", "-c", "1", "h2load", "-n", str(requests), "-c", "4", "-m", "32", "-t", "1",
                f"{scheme}://127.0.0.1:{port}/"]
        out = subprocess.run(argv, capture_output=True, text=True, timeout=max_seconds + 30).stdout
        m = re.search(r"(\d+) succeeded", out)
    if not m:
        raise RuntimeError("the load generator said:\n" + out[-1500:])
    return int(m.group(1))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--proxy", choices=("tandem", "haproxy"), required=True)
    ap.add_argument("--binary", default="build/lb/lb-proxy", help="lb-proxy, for --proxy tandem")
    ap.add_argument("--scenario", choices=("h2c", "h2tls", "https"), required=True)
    ap.add_argument("--requests", type=int, default=20000)
    ap.add_argument("--max-seconds", type=int, default=120)
    args = ap.parse_args()
    for tool in ("valgrind", "callgrind_control", "h2load", "wrk", "/usr/sbin/nginx", "/usr/sbin/haproxy"):
        if not shutil.which(tool):
            print(f"instructions_peer: {tool} not found (scripts/install-deps.sh, valgrind)", file=sys.stderr)
            return 2
    tmp = tempfile.mkdtemp(prefix="tandem-peer-")
    os.chmod(tmp, 0o755)
    procs = pb.Processes()
    try:
        certs = tb.make_certs(tmp)
        backend = pb.free_port()
        conf = os.path.join(tmp, "backend.conf")
        with open(conf, "w") as f:
            f.write(pb.nginx_backend_conf(tmp, backend, len(pb.SMALL_BODY)))
        procs.start(["/usr/sbin/nginx", "-c", conf, "-p", tmp], "1", os.path.join(tmp, "backend.log"))
        pb.wait_port(backend)
        port = pb.free_port()
        if args.scenario == "https":
            argv = tb.proxy_argv(args.proxy, tmp, args.binary, port, backend, certs, "ecdsa")
        else:
            argv = hb.proxy_argv(args.proxy, tmp, args.binary, port, backend, args.scenario, certs)
        out_file = os.path.join(tmp, "callgrind.out")
        proc = procs.start(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out_file}"] + argv, "0",
                           os.path.join(tmp, "proxy.log"))
        pb.wait_port(port, 60)
        run_load(args.scenario, port, max(1, args.requests // 10), tmp, args.max_seconds)  # warm-up
        subprocess.run(["callgrind_control", "-z", str(proc.pid)], capture_output=True, check=True, timeout=60)
        done = run_load(args.scenario, port, args.requests, tmp, args.max_seconds)
        time.sleep(0.5)  # the last responses leave the proxy
        subprocess.run(["callgrind_control", "-d", str(proc.pid)], capture_output=True, check=True, timeout=60)
        totals = []
        for name in os.listdir(tmp):
            if name.startswith("callgrind.out."):
                with open(os.path.join(tmp, name)) as f:
                    m = re.search(r"^(?:summary|totals): (\d+)", f.read(), re.M)
                if m:
                    totals.append(int(m.group(1)))
        if not totals or not done:
            raise RuntimeError("callgrind wrote no dump, or no request succeeded")
        print(f"{args.proxy} {args.scenario}: {done} requests, {max(totals) / done:.0f} instructions/request "
              f"(user space, callgrind)")
    finally:
        procs.stop_all()
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
