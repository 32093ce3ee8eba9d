#!/usr/bin/python3
"""HTTP/2 (h2c by prior knowledge) requests per second, side by side:
lb-proxy, HAProxy and nginx in one run, each with one worker in front of the
same nginx backend over HTTP/1.1 keep-alive (issue 12's h2load row).

    bench/h2_bench.py --build build [--runs 3] [--duration 5] [--clients 4] [--streams 32]

The load generator is h2load (nghttp2-client): CLIENTS connections, STREAMS
concurrent streams each. HAProxy detects the preface on its HTTP frontend
as Tandem does; nginx needs `listen ... http2`. Runs are interleaved and the
proxy runs on CPU 0, h2load and the backend on CPU 1 (as proxy_bench.py).
Prints the median, min and max requests/s per proxy and the ratios of the
medians within this run.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import proxy_bench as pb  # noqa: E402

H2LOAD_RPS = re.compile(r"finished in [\d.]+\w+, ([\d.]+) req/s")
H2LOAD_DONE = re.compile(r"requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed")


def proxy_argv(name: str, tmp: str, lb_proxy: str, port: int, backend: int) -> list[str]:
    argv = pb.proxy_argv(name, tmp, lb_proxy, port, backend, 1, False)
    if name == "nginx":  # h2c by prior knowledge on nginx is a listen flag
        path = os.path.join(tmp, "nginx-proxy.conf")
        text = open(path).read().replace(f"listen 127.0.0.1:{port} reuseport", f"listen 127.0.0.1:{port} http2 reuseport")
        with open(path, "w") as f:
            f.write(text)
    return argv


def run_h2load(port: int, clients: int, streams: int, duration: int, cpu: str | None) -> dict:
    argv = ["h2load", "-c", str(clients), "-m", str(streams), "-t", "1", "-D", str(duration),
            f"http://127.0.0.1:{port}/"]
    if cpu is not None:
        argv = ["taskset", "-c", cpu] + argv
    out = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=duration + 30).stdout.decode()
    rps, done = H2LOAD_RPS.search(out), H2LOAD_DONE.search(out)
    if not rps or not done:
        raise RuntimeError("h2load said:\n" + out[-2000:])
    return {"rps": float(rps.group(1)), "succeeded": int(done.group(4)), "failed": int(done.group(5)),
            "h2c": "h2c" in out}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default="build")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--duration", type=int, default=5)
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--streams", type=int, default=32)
    args = ap.parse_args()
    lb_proxy = pb.require_tools(args.build)
    if not shutil.which("h2load"):
        print("missing h2load: run scripts/install-deps.sh (nghttp2-client)", file=sys.stderr)
        return 2
    tmp = tempfile.mkdtemp(prefix="tandem-h2bench-")
    os.chmod(tmp, 0o755)
    procs = pb.Processes()
    results: dict[str, list[dict]] = {n: [] for n in pb.PROXIES}
    try:
        backend = pb.free_port()
        conf = os.path.join(tmp, "backend.conf")
        with open(conf, "w") as f:
            f.write(pb.nginx_backend_conf(tmp, backend, len(pb.SMALL_BODY)))
        be = procs.start(["/usr/sbin/nginx", "-c", conf, "-p", tmp], "1", f"{tmp}/backend.log")
        pb.wait_port(backend)
        for r in range(args.runs):
            order = pb.PROXIES[r % 3:] + pb.PROXIES[:r % 3]
            for name in order:
                port = pb.free_port()
                proc = procs.start(proxy_argv(name, tmp, lb_proxy, port, backend), "0", f"{tmp}/{name}.log")
                pb.wait_port(port)
                run_h2load(port, args.clients, args.streams, 1, "1")  # warm-up
                res = run_h2load(port, args.clients, args.streams, args.duration, "1")
                res["rss_kb"] = pb.rss_kb(proc.pid)
                results[name].append(res)
                procs.stop(proc)
                print(f"  h2 {name} run {r + 1}: {res['rps']:.0f} req/s failed {res['failed']} h2c {res['h2c']}",
                      file=sys.stderr, flush=True)
        procs.stop(be)
    finally:
        procs.stop_all()
        shutil.rmtree(tmp, ignore_errors=True)
    med = {n: statistics.median(r["rps"] for r in runs) for n, runs in results.items()}
    print(f"# h2 benchmark: one worker, h2load -c {args.clients} -m {args.streams}, "
          f"{args.duration}s x {args.runs} runs, pinned")
    print(f"{'proxy':8} {'req/s median':>12} {'min':>9} {'max':>9} {'failed':>6} {'vs haproxy':>10} {'vs nginx':>8}")
    for name, runs in results.items():
        rps = [r["rps"] for r in runs]
        print(f"{name:8} {med[name]:12.0f} {min(rps):9.0f} {max(rps):9.0f} {sum(r['failed'] for r in runs):6d} "
              f"{med[name] / med['haproxy']:10.2f} {med[name] / med['nginx']:8.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
