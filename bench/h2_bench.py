#!/usr/bin/python3
"""HTTP/2 requests side by side: lb-proxy, HAProxy and nginx in one run, each
with one worker in front of the same nginx backend over HTTP/1.1 keep-alive
(issue 12's h2load row).

    bench/h2_bench.py --build build [--runs 3] [--duration 5] [--clients 4] [--streams 32]
                      [--scenarios h2c,h2tls] [--json out.json] [--tandem-binary main=/tmp/lb-proxy.main]

Scenarios:
  h2c    HTTP/2 by prior knowledge on a cleartext listener (HAProxy detects
         the preface on its HTTP frontend as Tandem does; nginx needs
         `listen ... http2`).
  h2tls  HTTP/2 over TLS 1.3 chosen by ALPN, with bench/tls_bench.py's
         ECDSA P-256 certificate, cipher suite and groups for every proxy.

The load generator is h2load (nghttp2-client): CLIENTS connections, STREAMS
concurrent streams each, for DURATION seconds. Runs rotate over the proxies;
the proxy runs on CPU 0, h2load and the backend on CPU 1 (as proxy_bench.py).
For each run: requests/s, the proxy's CPU µs per request (user plus kernel of
every thread and child, from schedstat, over h2load's succeeded requests, as
proxy_bench.py), how busy the proxy's CPU was, and p50/p99 latency from
h2load's per-request log (--log-file). Prints medians with min and max, and
the ratios of the medians within this run (CPU per request: lower is better).
"""

from __future__ import annotations

import argparse
import json
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
import tls_bench as tb  # noqa: E402

H2LOAD_RPS = re.compile(r"finished in [\d.]+\w+, ([\d.]+) req/s")
H2LOAD_DONE = re.compile(r"requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed")
H2LOAD_PROTO = re.compile(r"Application protocol: (\S+)")
SCENARIOS = ("h2c", "h2tls")


def proxy_argv(name: str, tmp: str, lb_proxy: str, port: int, backend: int, scenario: str, certs: dict) -> list[str]:
    if scenario == "h2tls":  # TLS listeners as tls_bench.py's, which offer h2 by ALPN on all three
        return tb.proxy_argv(name, tmp, lb_proxy, port, backend, certs, "ecdsa")
    argv = pb.proxy_argv(name, tmp, lb_proxy, port, backend, 1, False)
    if name == "nginx":  # h2c by prior knowledge on nginx is a listen flag
        path = os.path.join(tmp, "nginx-proxy.conf")
        text = open(path).read().replace(f"listen 127.0.0.1:{port} reuseport", f"listen 127.0.0.1:{port} http2 reuseport")
        with open(path, "w") as f:
            f.write(text)
    return argv


def percentile(sorted_values: list[float], p: float) -> float | None:
    if not sorted_values:
        return None
    return sorted_values[min(len(sorted_values) - 1, int(p / 100 * len(sorted_values)))]


def run_h2load(port: int, scheme: str, clients: int, streams: int, duration: int, cpu: str | None,
               log_file: str | None = None) -> dict:
    argv = ["h2load", "-c", str(clients), "-m", str(streams), "-t", "1", "-D", str(duration),
            f"{scheme}://127.0.0.1:{port}/"]
    if log_file:
        argv.insert(1, f"--log-file={log_file}")
    if cpu is not None:
        argv = ["taskset", "-c", cpu] + argv
    out = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=duration + 30).stdout.decode()
    rps, done, proto = H2LOAD_RPS.search(out), H2LOAD_DONE.search(out), H2LOAD_PROTO.search(out)
    if not rps or not done:
        raise RuntimeError("h2load said:\n" + out[-2000:])
    res = {"rps": float(rps.group(1)), "requests": int(done.group(4)), "failed": int(done.group(5)),
           "protocol": proto.group(1) if proto else None}
    if log_file:
        # start (µs since epoch), status, µs to the end of the response; -1 = a failed stream
        latencies = []
        with open(log_file) as f:
            for line in f:
                cols = line.split("\t")
                if len(cols) >= 3 and cols[1] != "-1":
                    latencies.append(int(cols[2]) / 1000)
        latencies.sort()
        res["p50"], res["p99"], res["p99.9"] = (percentile(latencies, p) for p in (50, 99, 99.9))
        os.unlink(log_file)
    return res


def measured(pid: int, fn) -> dict:
    """FN()'s result plus the proxy's CPU µs per succeeded request and how
    busy its CPU was over the call (tls_bench.with_cpu)."""
    return tb.with_cpu(pid, fn)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default="build")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--duration", type=int, default=5)
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--streams", type=int, default=32)
    ap.add_argument("--scenarios", default=",".join(SCENARIOS))
    ap.add_argument("--proxies", default=",".join(pb.PROXIES))
    ap.add_argument("--tandem-binary", action="append", default=[], metavar="NAME=PATH",
                    help="another lb-proxy build measured as proxy NAME beside the others (an A/B)")
    ap.add_argument("--json", help="write every run's figures here")
    args = ap.parse_args()
    lb_proxy = pb.require_tools(args.build)
    if not shutil.which("h2load"):
        print("missing h2load: run scripts/install-deps.sh (nghttp2-client)", file=sys.stderr)
        return 2
    proxies = [n for n in args.proxies.split(",") if n]
    binaries = pb.extra_tandem_binaries(args.tandem_binary, proxies)
    if binaries is None:
        return 2
    tmp = tempfile.mkdtemp(prefix="tandem-h2bench-")
    os.chmod(tmp, 0o755)
    procs = pb.Processes()
    results: dict[str, dict[str, list[dict]]] = {}
    try:
        certs = tb.make_certs(tmp)
        backend = pb.free_port()
        conf = os.path.join(tmp, "backend.conf")
        with open(conf, "w") as f:
            f.write(pb.nginx_backend_conf(tmp, backend, len(pb.SMALL_BODY)))
        procs.start(["/usr/sbin/nginx", "-c", conf, "-p", tmp], "1", f"{tmp}/backend.log")
        pb.wait_port(backend)
        for scenario in args.scenarios.split(","):
            scheme = "https" if scenario == "h2tls" else "http"
            results[scenario] = {n: [] for n in proxies}
            for r in range(args.runs):
                k = r % len(proxies)
                for name in proxies[k:] + proxies[:k]:
                    port = pb.free_port()
                    argv = proxy_argv(name, tmp, binaries.get(name, lb_proxy), port, backend, scenario, certs)
                    log = f"{tmp}/{name}-{scenario}.log"
                    proc = procs.start(argv, "0", log)
                    try:
                        pb.wait_port(port)
                    except RuntimeError as e:
                        raise RuntimeError(f"{name} did not start: {e}\n" + open(log).read()[-2000:]) from None
                    run_h2load(port, scheme, args.clients, args.streams, 1, "1")  # warm-up
                    res = measured(proc.pid, lambda: run_h2load(port, scheme, args.clients, args.streams,
                                                                args.duration, "1", f"{tmp}/h2load.log"))
                    res["rss_kb"] = pb.rss_kb(proc.pid)
                    results[scenario][name].append(res)
                    procs.stop(proc)
                    print(f"  {scenario} {name} run {r + 1}: {res['rps']:.0f} req/s cpu/req "
                          f"{res['cpu_us_per_req'] or 0:.1f} us busy {100 * (res['proxy_busy'] or 0):.0f}% "
                          f"p99 {res['p99'] or 0:.2f} ms failed {res['failed']} {res['protocol']}",
                          file=sys.stderr, flush=True)
    finally:
        procs.stop_all()
        shutil.rmtree(tmp, ignore_errors=True)

    if args.json:
        with open(args.json, "w") as f:
            json.dump({"proxies": proxies, "runs": args.runs, "clients": args.clients, "streams": args.streams,
                       "duration_s": args.duration, "results": results}, f, indent=1)

    print(f"# h2 benchmark: one worker pinned, h2load -c {args.clients} -m {args.streams}, "
          f"{args.duration}s x {args.runs} runs")
    print(f"{'scenario':8} {'proxy':14} {'req/s':>8} {'min':>8} {'max':>8} {'cpu us':>7} {'busy':>5} "
          f"{'p50 ms':>7} {'p99 ms':>7} {'failed':>6} {'rps/hap':>7} {'cpu/hap':>7} {'cpu/ngx':>7}")
    for scenario, by_proxy in results.items():
        med = {n: statistics.median(r["rps"] for r in runs) for n, runs in by_proxy.items() if runs}
        cpu = {n: statistics.median(r["cpu_us_per_req"] or 0 for r in runs) for n, runs in by_proxy.items() if runs}
        for name, runs in by_proxy.items():
            rps = [r["rps"] for r in runs]
            busy = statistics.median(r["proxy_busy"] or 0 for r in runs)
            p50 = statistics.median(r.get("p50") or 0 for r in runs)
            p99 = statistics.median(r.get("p99") or 0 for r in runs)

            def ratio(a: dict, peer: str) -> str:
                return f"{a[name] / a[peer]:.2f}" if a.get(peer) else "-"
            print(f"{scenario:8} {name:14} {med[name]:8.0f} {min(rps):8.0f} {max(rps):8.0f} {cpu[name]:7.1f} "
                  f"{100 * busy:4.0f}% {p50:7.2f} {p99:7.2f} {sum(r['failed'] for r in runs):6d} "
                  f"{ratio(med, 'haproxy'):>7} {ratio(cpu, 'haproxy'):>7} {ratio(cpu, 'nginx'):>7}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
