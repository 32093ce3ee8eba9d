#!/usr/bin/python3
"""TLS termination side by side: lb-proxy, HAProxy and nginx in one run
(issue 12's TLS rows).

    sudo bench/tls_bench.py --build build [--runs 3] [--duration 5] [--handshake-clients 8]
                            [--scenarios hs-ecdsa,hs-rsa,hs12-ecdsa,keepalive] [--json out.json]
                            [--tandem-binary main=/tmp/lb-proxy.main]

Every proxy: one worker pinned to CPU 0, the same certificate files, TLS 1.3
with TLS_AES_128_GCM_SHA256 (TLS 1.2: ECDHE-*-AES128-GCM-SHA256), groups
X25519:P-256:P-384, ALPN h2,http/1.1 offered, session tickets and caches as
shipped, no access log, keep-alive to the same nginx backend (64-byte body,
on CPU 1). The clients run on CPU 1.

Scenarios:
  hs-ecdsa, hs-rsa   new TLS 1.3 handshakes per second with an ECDSA P-256 or
                     RSA 2048 certificate: HANDSHAKE_CLIENTS `openssl s_time
                     -new -www /` at once, each a full handshake (a new
                     session every time), one HTTP/1.0 request and the close.
                     h2load and wrk were tried and not kept: both offer the
                     previous connection's session when they reconnect, so
                     most of their "new" connections resumed (nginx's
                     $ssl_session_reused said 290 of 300 for h2load, 833 of
                     843 for wrk).
  hs12-ecdsa         the same over TLS 1.2 (s_time -tls1_2): does 1.2 differ?
  keepalive          TLS keep-alive requests per second, wrk over https with
                     50 connections (bench/proxy_bench.py's keepalive row).

For each run: handshakes (requests) per second, the proxy's CPU µs per
handshake (request) from schedstat (user plus kernel of every thread, as
proxy_bench.py), the share of its CPU it used (`busy`: below 100% the
client was the limit, and CPU per handshake is the figure to compare), and
wrk's p50/p99/p99.9. Runs rotate over the proxies; ratios are of medians
within this run, with the per-round paired ratios. Loopback only; every run
is bounded by --duration.
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
from proxy_bench import free_port  # noqa: E402

TLS13_SUITE = "TLS_AES_128_GCM_SHA256"
TLS12_CIPHERS = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256"
GROUPS = "X25519:P-256:P-384"
SCENARIOS = ("hs-ecdsa", "hs-rsa", "hs12-ecdsa", "keepalive")
NAME = "bench.test"


def make_certs(tmp: str) -> dict[str, tuple[str, str]]:
    """Self-signed ECDSA P-256 and RSA 2048 certificates for NAME:
    {"ecdsa": (cert, key), "rsa": (cert, key)}, plus HAProxy's combined PEM
    beside each (cert + key in one file)."""
    out = {}
    for kind, keyopt in (("ecdsa", ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"]),
                         ("rsa", ["-newkey", "rsa:2048"])):
        cert, key = os.path.join(tmp, f"{kind}.pem"), os.path.join(tmp, f"{kind}.key")
        subprocess.run(["openssl", "req", "-x509", "-nodes", *keyopt, "-keyout", key, "-out", cert,
                        "-days", "30", "-subj", f"/CN={NAME}", "-addext", f"subjectAltName=DNS:{NAME}"],
                       check=True, capture_output=True, timeout=60)
        with open(os.path.join(tmp, f"{kind}.combined.pem"), "w") as f:
            f.write(open(cert).read() + open(key).read())
        for p in (cert, key):
            os.chmod(p, 0o644)
        out[kind] = (cert, key)
    return out


def tandem_conf(port: int, admin: int, backend: int, cert: tuple[str, str]) -> str:
    tls = {"certificates": [{"cert_file": cert[0], "key_file": cert[1]}],
           "ciphers": TLS12_CIPHERS, "ciphersuites": TLS13_SUITE}
    return pb.to_text({
        "name": "bench",
        "nodes": [{"name": "bench", "address": "127.0.0.1", "proxy_admin": f"127.0.0.1:{admin}", "workers": 1}],
        "listeners": [pb.listener("fe", "HTTP", "be", bind=f"127.0.0.1:{port}", max_connections=9900,
                                  forwarded_headers=False, tls=tls)],
        "pools": [{"name": "be", "servers": [{"name": "s1", "address": f"127.0.0.1:{backend}"}]}],
    })


def haproxy_conf(port: int, backend: int, tmp: str, kind: str) -> str:
    return f"""
global
  nbthread 1
  maxconn 9900
  ssl-default-bind-ciphers {TLS12_CIPHERS}
  ssl-default-bind-ciphersuites {TLS13_SUITE}
  ssl-default-bind-curves {GROUPS}
  ssl-default-bind-options ssl-min-ver TLSv1.2
defaults
  mode http
  timeout connect 2s
  timeout client 30s
  timeout server 30s
  option http-keep-alive
  http-reuse always
frontend fe
  bind 127.0.0.1:{port} ssl crt {tmp}/{kind}.combined.pem alpn h2,http/1.1
  default_backend be
backend be
  server s1 127.0.0.1:{backend}
"""


def nginx_conf(tmp: str, port: int, backend: int, cert: tuple[str, str]) -> str:
    return f"""
worker_processes 1;
daemon off;
pid {tmp}/nginx-proxy.pid;
error_log {tmp}/nginx-proxy-error.log crit;
worker_rlimit_nofile 40000;
events {{ worker_connections 30000; }}
http {{
  access_log off;
  keepalive_requests 1000000;
  client_body_temp_path {tmp}/p-body; proxy_temp_path {tmp}/p-proxy;
  fastcgi_temp_path {tmp}/p-fcgi; uwsgi_temp_path {tmp}/p-uwsgi; scgi_temp_path {tmp}/p-scgi;
  upstream be {{ server 127.0.0.1:{backend}; keepalive 256; }}
  server {{
    listen 127.0.0.1:{port} ssl http2 reuseport backlog=4096;
    ssl_certificate {cert[0]};
    ssl_certificate_key {cert[1]};
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_ciphers {TLS12_CIPHERS};
    ssl_conf_command Ciphersuites {TLS13_SUITE};
    ssl_ecdh_curve X25519:prime256v1:secp384r1;
    location / {{
      proxy_pass http://be;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering on;
    }}
  }}
}}
"""


def proxy_argv(name: str, tmp: str, lb_proxy: str, port: int, backend: int, certs: dict, kind: str) -> list[str]:
    """Writes the proxy's TLS configuration (certificate KIND: "ecdsa" or
    "rsa"); returns the command that runs it in the foreground."""
    if name.startswith("tandem"):
        path = os.path.join(tmp, f"{name}-tls.conf")
        with open(path, "w") as f:
            f.write(tandem_conf(port, free_port(), backend, certs[kind]))
        return [lb_proxy, "--config", path, "--node", "bench", "--log-level", "warn"]
    if name == "haproxy":
        path = os.path.join(tmp, "haproxy-tls.cfg")
        with open(path, "w") as f:
            f.write(haproxy_conf(port, backend, tmp, kind))
        return ["/usr/sbin/haproxy", "-db", "-f", path]
    path = os.path.join(tmp, "nginx-tls.conf")
    with open(path, "w") as f:
        f.write(nginx_conf(tmp, port, backend, certs[kind]))
    return ["/usr/sbin/nginx", "-c", path, "-p", tmp]


S_TIME_REAL = re.compile(r"(\d+) connections in (\d+) real seconds")


def s_time_handshakes(port: int, seconds: int, version: str, clients: int, cpu: str | None) -> dict:
    """CLIENTS `openssl s_time -new` at once for SECONDS: each connects,
    completes a full handshake (a new session every time: no resumption),
    sends `GET / HTTP/1.0` and reads the response until the proxy closes."""
    argv = ["openssl", "s_time", "-connect", f"127.0.0.1:{port}", "-new", f"-{version}", "-www", "/",
            "-time", str(seconds)]
    if cpu is not None:
        argv = ["taskset", "-c", cpu] + argv
    runs = [subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            for _ in range(clients)]
    total = 0
    for proc in runs:
        try:
            out = proc.communicate(timeout=seconds + 60)[0]
        except subprocess.TimeoutExpired:
            proc.kill()
            out = proc.communicate()[0]
        m = S_TIME_REAL.search(out)
        if not m:
            raise RuntimeError("s_time said:\n" + out[-2000:])
        total += int(m.group(1))
    return {"rps": total / seconds, "requests": total, "errors": 0, "non2xx": 0,
            "tls": version.replace("tls1_", "TLSv1."),
            "handshake_ms": 1000 * seconds * clients / total if total else None}


def run_wrk_tls(port: int, connections: int, duration: int, cpu: str | None) -> dict:
    return pb.run_wrk(port, connections, duration, cpu, False, scheme="https")


def with_cpu(pid: int, fn) -> dict:
    """FN()'s result plus the proxy's CPU µs per request over the call and
    the share of one CPU it used (100% = the proxy was the bottleneck)."""
    pids = pb.process_tree(pid)
    before = pb.cpu_times(pids)
    t0 = os.times().elapsed
    res = fn()
    wall = os.times().elapsed - t0
    after = pb.cpu_times(pids)
    n = res.get("requests") or 0
    used_ns = after["run_ns"] - before["run_ns"]
    res["cpu_us_per_req"] = used_ns / 1000 / n if n else None
    res["proxy_busy"] = used_ns / 1e9 / wall if wall > 0 else None
    res["user_s"] = after["user_s"] - before["user_s"]
    res["sys_s"] = after["sys_s"] - before["sys_s"]
    return res


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default="build")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--handshake-clients", type=int, default=8, help="openssl s_time processes at once")
    ap.add_argument("--clients", type=int, default=50, help="keep-alive connections (wrk -c)")
    ap.add_argument("--duration", type=int, default=5, help="seconds per run")
    ap.add_argument("--scenarios", default=",".join(SCENARIOS))
    ap.add_argument("--proxies", default=",".join(pb.PROXIES))
    ap.add_argument("--tandem-binary", action="append", default=[], metavar="NAME=PATH",
                    help="another lb-proxy build measured as proxy NAME beside the others (an A/B)")
    ap.add_argument("--json", help="write every run's figures here")
    args = ap.parse_args()

    lb_proxy = pb.require_tools(args.build)
    if not shutil.which("openssl"):
        print("missing openssl: run scripts/install-deps.sh", file=sys.stderr)
        return 2
    proxies = [n for n in args.proxies.split(",") if n]
    binaries = pb.extra_tandem_binaries(args.tandem_binary, proxies)
    if binaries is None:
        return 2
    tmp = tempfile.mkdtemp(prefix="tandem-tlsbench-")
    os.chmod(tmp, 0o755)
    procs = pb.Processes()
    results: dict[str, dict[str, list[dict]]] = {}
    try:
        certs = make_certs(tmp)
        backend = free_port()
        conf = os.path.join(tmp, "backend.conf")
        with open(conf, "w") as f:
            f.write(pb.nginx_backend_conf(tmp, backend, len(pb.SMALL_BODY)))
        procs.start(["/usr/sbin/nginx", "-c", conf, "-p", tmp], "1", f"{tmp}/backend.log")
        pb.wait_port(backend)
        for scenario in args.scenarios.split(","):
            kind = "rsa" if scenario.endswith("rsa") else "ecdsa"
            tls12 = scenario.startswith("hs12")
            results[scenario] = {n: [] for n in proxies}
            for r in range(args.runs):
                k = r % len(proxies)
                for name in proxies[k:] + proxies[:k]:
                    port = free_port()
                    argv = proxy_argv(name, tmp, binaries.get(name, lb_proxy), port, backend, certs, kind)
                    log = f"{tmp}/{name}-{scenario}.log"
                    proc = procs.start(argv, "0", log)
                    try:
                        pb.wait_port(port)
                    except RuntimeError as e:
                        raise RuntimeError(f"{name} did not start: {e}\n" + open(log).read()[-2000:]) from None
                    if scenario == "keepalive":
                        run_wrk_tls(port, args.clients, 1, "1")   # warm-up
                        res = with_cpu(proc.pid, lambda: run_wrk_tls(port, args.clients, args.duration, "1"))
                    else:
                        version = "tls1_2" if tls12 else "tls1_3"
                        s_time_handshakes(port, 1, version, args.handshake_clients, "1")   # warm-up
                        res = with_cpu(proc.pid, lambda: s_time_handshakes(port, args.duration, version,
                                                                           args.handshake_clients, "1"))
                    res["rss_kb"] = pb.rss_kb(proc.pid)
                    results[scenario][name].append(res)
                    procs.stop(proc)
                    print(f"  {scenario} {name} run {r + 1}: {res['rps']:.0f}/s cpu/req "
                          f"{res['cpu_us_per_req'] or 0:.1f} us busy {100 * (res['proxy_busy'] or 0):.0f}% "
                          f"{res.get('tls') or ''} p99 {res.get('p99') or 0:.2f} ms "
                          f"errors {res['errors'] + res['non2xx']}", file=sys.stderr, flush=True)
    finally:
        procs.stop_all()
        shutil.rmtree(tmp, ignore_errors=True)

    if args.json:
        with open(args.json, "w") as f:
            json.dump({"proxies": proxies, "runs": args.runs, "handshake_clients": args.handshake_clients,
                       "clients": args.clients, "duration_s": args.duration, "results": results}, f, indent=1)

    print(f"# TLS benchmark: one worker pinned, {args.clients} connections, {args.runs} runs")
    print(f"{'scenario':11} {'proxy':14} {'per s':>8} {'min':>8} {'max':>8} {'cpu us':>7} {'busy':>5} "
          f"{'p99 ms':>7} {'vs haproxy':>10} {'vs nginx':>8}")
    for scenario, by_proxy in results.items():
        med = {n: statistics.median(r["rps"] for r in runs) for n, runs in by_proxy.items() if runs}
        for name, runs in by_proxy.items():
            rps = [r["rps"] for r in runs]
            cpu = statistics.median(r["cpu_us_per_req"] or 0 for r in runs)
            busy = statistics.median(r["proxy_busy"] or 0 for r in runs)
            p99 = statistics.median(r.get("p99") or 0 for r in runs)
            vs = {p: f"{med[name] / med[p]:.2f}" if med.get(p) else "-" for p in ("haproxy", "nginx")}
            print(f"{scenario:11} {name:14} {med[name]:8.0f} {min(rps):8.0f} {max(rps):8.0f} {cpu:7.1f} "
                  f"{100 * busy:4.0f}% {p99:7.2f} {vs['haproxy']:>10} {vs['nginx']:>8}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
