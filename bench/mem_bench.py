#!/usr/bin/python3
"""Resident memory per idle keep-alive client connection: lb-proxy, HAProxy
and nginx in one run.

    sudo bench/mem_bench.py --build build [--mode http|tcp|tls] [--count 10000] [--runs 3] [--json out.json]

Per proxy and run: the backend (nginx, small body) and the proxy start
(1 worker, HTTP mode, the configurations of bench/proxy_bench.py); one
request warms the proxy up; its VmRSS (with its children: nginx's worker) is
the baseline. bench/idle_clients.py then opens COUNT connections, each sends
one keep-alive request and idles; VmRSS is read again once all are open.
(RSS - baseline) / COUNT is the figure. --mode tcp runs the proxies in L4
mode (one backend connection per client, so COUNT stays below the backend's
4096 connections: 3000 by default there). --mode tls puts each proxy behind
a TLS listener (bench/tls_bench.py's configurations, ECDSA P-256, TLS 1.3)
and every client completes a handshake before its request: KiB per idle
TLS connection. Runs are interleaved over the
proxies. Loopback only; bounded by --count and the clients' --hold-s.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from proxy_bench import (PROXIES, Processes, extra_tandem_binaries, free_port,  # noqa: E402
                         nginx_backend_conf, proxy_argv, require_tools, rss_kb, wait_port)
import tls_bench  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def one_request(port: int, scheme: str = "http") -> None:
    subprocess.run(["wrk", "-t1", "-c1", "-d1s", f"{scheme}://127.0.0.1:{port}/"], capture_output=True,
                   timeout=30)


def measure(name: str, tmp: str, lb_proxy: str, backend: int, count: int, procs: Processes,
            mode: str = "http", certs: dict | None = None) -> dict:
    port = free_port()
    if mode == "tls":
        argv = tls_bench.proxy_argv(name, tmp, lb_proxy, port, backend, certs, "ecdsa")
    else:
        argv = proxy_argv(name, tmp, lb_proxy, port, backend, 1, mode == "tcp")
    proxy = procs.start(argv, "0", f"{tmp}/{name}-mem.log")
    try:
        wait_port(port)
        one_request(port, "https" if mode == "tls" else "http")
        time.sleep(0.5)
        base = rss_kb(proxy.pid)
        clients = subprocess.Popen([sys.executable, os.path.join(HERE, "idle_clients.py"),
                                    "--port", str(port), "--count", str(count), "--hold-s", "90"]
                                   + (["--tls"] if mode == "tls" else []),
                                   stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        try:
            line = clients.stdout.readline().split()    # "ready OK FAILED"
            if not line or line[0] != "ready":
                raise RuntimeError(f"idle_clients failed for {name}: {line}")
            ok, failed = int(line[1]), int(line[2])
            time.sleep(1.0)
            loaded = rss_kb(proxy.pid)
            alive = proxy.poll() is None
        finally:
            clients.stdin.close()
            try:
                clients.wait(30)
            except subprocess.TimeoutExpired:
                clients.kill()
                clients.wait()
    finally:
        procs.stop(proxy)
    return {"base_kb": base, "loaded_kb": loaded, "ok": ok, "failed": failed, "alive": alive,
            "kib_per_conn": (loaded - base) / max(ok, 1)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default="build")
    ap.add_argument("--mode", choices=("http", "tcp", "tls"), default="http")
    ap.add_argument("--count", type=int, help="connections (default 10000 for http, 3000 for tcp)")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--json")
    ap.add_argument("--tandem-binary", action="append", default=[], metavar="NAME=PATH",
                    help="another lb-proxy build measured as proxy NAME beside the others (an A/B)")
    args = ap.parse_args()
    tcp = args.mode == "tcp"
    if args.count is None:
        args.count = 3000 if tcp else 10000
    lb_proxy = require_tools(args.build)
    tmp = tempfile.mkdtemp(prefix="tandem-mem-")
    os.chmod(tmp, 0o755)
    procs = Processes()
    proxies = list(PROXIES)
    binaries = extra_tandem_binaries(args.tandem_binary, proxies)
    if binaries is None:
        return 2
    results: dict[str, list[dict]] = {n: [] for n in proxies}
    try:
        certs = tls_bench.make_certs(tmp) if args.mode == "tls" else None
        backend = free_port()
        conf = os.path.join(tmp, "backend.conf")
        with open(conf, "w") as f:
            f.write(nginx_backend_conf(tmp, backend, 64))
        procs.start(["/usr/sbin/nginx", "-c", conf, "-p", tmp], "1", f"{tmp}/backend.log")
        wait_port(backend)
        for r in range(args.runs):
            k = r % len(proxies)
            for name in proxies[k:] + proxies[:k]:
                res = measure(name, tmp, binaries.get(name, lb_proxy), backend, args.count, procs, args.mode, certs)
                results[name].append(res)
                print(f"  mem {name} run {r + 1}: base {res['base_kb']} KiB, with {res['ok']} idle "
                      f"({res['failed']} failed) {res['loaded_kb']} KiB: "
                      f"{res['kib_per_conn']:.2f} KiB/conn", file=sys.stderr, flush=True)
    finally:
        procs.stop_all()
        shutil.rmtree(tmp, ignore_errors=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"mode": args.mode, "count": args.count, "runs": args.runs, "proxies": proxies,
                       "results": results}, f, indent=1)
    for name, runs in results.items():
        v = [x["kib_per_conn"] for x in runs]
        print(f"{args.mode} {name:8} KiB/conn median {statistics.median(v):.2f} min {min(v):.2f} max {max(v):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
