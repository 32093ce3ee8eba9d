#!/usr/bin/python3
"""wrk at many connections through one or more proxies, with the kernel's
TCP counters around each run: was a stall the listen backlog (ListenOverflows,
ListenDrops), retransmitted SYNs (TCPSynRetrans), or the proxy itself?

    bench/c1000_probe.py LB_PROXY tandem,haproxy tcp|http CONNECTIONS RUNS
    (env: DUR=seconds, default 5; PIN=0 to unpin; WORKERS=n)

Prints per run: req/s, p50, p99, p99.9, max (ms), wrk's socket errors and the
nstat deltas (system-wide: run it on an otherwise quiet loopback). Setup as
bench/proxy_bench.py (nginx backend, proxy on CPU 0, wrk and backend on CPU 1).
Run under `flock /tmp/tandem-bench.lock`. Bounded: DUR seconds a run.
"""
import os, subprocess, sys, tempfile
HERE = os.path.dirname(os.path.abspath(__file__)); sys.path.insert(0, HERE); sys.path.insert(0, os.path.join(os.path.dirname(HERE), "integration"))
import proxy_bench as pb
def nstat():
    out = subprocess.run(["nstat", "-az"], capture_output=True, text=True).stdout
    d = {}
    for l in out.splitlines():
        p = l.split()
        if len(p) >= 2 and p[1].isdigit(): d[p[0]] = int(p[1])
    return d
KEYS = ["TcpExtListenOverflows", "TcpExtListenDrops", "TcpExtTCPSynRetrans", "TcpRetransSegs", "TcpExtTCPReqQFullDrop", "TcpExtTCPReqQFullDoCookies","TcpExtSyncookiesSent"]
lb = sys.argv[1]; names = sys.argv[2].split(","); tcp = sys.argv[3] == "tcp"; conns = int(sys.argv[4]); runs = int(sys.argv[5])
pin = os.environ.get("PIN", "1") == "1"
workers = int(os.environ.get("WORKERS", "1"))
tmp = tempfile.mkdtemp(prefix="p15-"); os.chmod(tmp, 0o755)
procs = pb.Processes()
try:
    be = pb.free_port()
    conf = os.path.join(tmp, "be.conf"); open(conf, "w").write(pb.nginx_backend_conf(tmp, be, 64, 1 if pin else workers))
    procs.start(["/usr/sbin/nginx", "-c", conf, "-p", tmp], "1" if pin else None, tmp + "/be.log"); pb.wait_port(be)
    for r in range(runs):
      for name in names:
        port = pb.free_port()
        argv = pb.proxy_argv(name, tmp, lb, port, be, workers, tcp)
        p = procs.start(argv, "0" if pin else None, f"{tmp}/{name}.log"); pb.wait_port(port)
        a = nstat()
        res = pb.run_wrk(port, conns, int(os.environ.get("DUR", "5")), "1" if pin else None, False, workers)
        b = nstat()
        res["rss"] = pb.rss_kb(p.pid)
        procs.stop(p)
        print(name, f"rps {res['rps']:.0f} p50 {res['p50']:.1f} p99 {res['p99']:.1f} p99.9 {res['p99.9']:.1f} max {res['pct'].get('100', 0):.1f} err {res['errors']}",
              {k[6:] if k.startswith('TcpExt') else k: b.get(k,0)-a.get(k,0) for k in KEYS}, flush=True)
finally:
    procs.stop_all()
