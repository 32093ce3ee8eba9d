#!/usr/bin/env bash
# The whole benchmark suite in one command; writes bench/RESULTS.md and
# bench/plots/*.png. See bench/README.md.
#
#   sudo bench/run.sh [--quick] [--build DIR] [--skip-build] [--only proxy,mem,failover,tls]
#
# Root: network namespaces, taskset, raising RLIMIT_NOFILE. Loopback and the
# namespaces the failover phase creates (198.18.0.0/24) only. Every phase is
# bounded by `timeout`; each script stops what it started by PID and removes
# its namespaces, also on failure. A failed phase is reported in RESULTS.md
# as missing; the other phases still run. Raw figures stay in bench/out/.
set -uo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(dirname "$HERE")
BUILD="$REPO/build-bench"
QUICK=0
SKIP_BUILD=0
ONLY="proxy,mem,failover,tls"
while (($#)); do
  case "$1" in
    --quick) QUICK=1 ;;
    --build) BUILD=$(realpath "$2"); shift ;;
    --skip-build) SKIP_BUILD=1 ;;
    --only) ONLY="$2"; shift ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
if [[ $(id -u) -ne 0 ]]; then
  echo "run.sh: needs root (network namespaces, taskset, file limits): sudo bench/run.sh" >&2
  exit 2
fi
for tool in wrk haproxy nginx keepalived gnuplot taskset python3 ip openssl; do
  command -v "$tool" >/dev/null || [[ -x /usr/sbin/$tool ]] || {
    echo "run.sh: missing $tool: run scripts/install-deps.sh" >&2; exit 2; }
done

if ((QUICK)); then
  RUNS=3; DURATION=2; MEM_RUNS=2; ROUNDS=3
else
  RUNS=5; DURATION=4; MEM_RUNS=3; ROUNDS=5
fi

OUT="$HERE/out"
rm -rf "$OUT"
mkdir -p "$OUT" "$HERE/plots"
LOG="$OUT/run.log"
: >"$OUT/notes.md"
phase_load() { echo "$(date -u +%H:%M:%S) $1: load $(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/load.txt"; }
note() { echo "$*" >>"$OUT/notes.md"; }

if ((!SKIP_BUILD)); then
  echo "== build ($BUILD, Release)"
  if ! { cmake -S "$REPO" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release >"$OUT/build.log" 2>&1 &&
         ninja -C "$BUILD" -j2 lb-proxy ha-agent tandem_python_protos >>"$OUT/build.log" 2>&1; }; then
    echo "run.sh: build failed, see $OUT/build.log" >&2
    exit 1
  fi
fi

# File descriptors: as many as this shell may have. HAProxy reserves two per
# maxconn, so without CAP_SYS_RESOURCE the hard limit caps the memory test.
ulimit -n "$(ulimit -Hn)"
NOFILE=$(ulimit -n)
MEM_COUNT=10000
if ((NOFILE < 2 * MEM_COUNT + 500)); then
  MEM_COUNT=$(( (NOFILE - 500) / 2 / 1000 * 1000 ))
  note "- **Reduced:** the memory test holds $MEM_COUNT idle connections, not 10,000: RLIMIT_NOFILE's hard limit here is $NOFILE and cannot be raised (no CAP_SYS_RESOURCE in this container), and HAProxy refuses to start when 2 × maxconn exceeds it."
fi
((QUICK)) && note "- **Reduced (--quick):** $RUNS proxy runs of ${DURATION} s, $MEM_RUNS memory runs, $ROUNDS failover rounds per scenario."

# The machine and the versions.
python3 - "$OUT/machine.json" "$BUILD" "$QUICK" <<'PY'
import json, os, platform, subprocess, sys, datetime
def sh(*a):
    r = subprocess.run(a, capture_output=True, text=True)
    return (r.stdout + r.stderr).strip()
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
repo = os.path.dirname(sys.argv[2])
rev = sh("git", "-C", repo, "rev-parse", "--short", "HEAD")
# Uncommitted changes that reach the binaries (bench/ itself does not).
dirty = [l.split(maxsplit=1)[-1] for l in subprocess.run(
             ["git", "-C", repo, "status", "--porcelain", "--untracked-files=no"],
             capture_output=True, text=True).stdout.splitlines()]
dirty = [f for f in dirty if not f.startswith(("bench/", "scripts/"))]
m = {
    "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    "cpu": cpu + (" (KVM guest)" if "hypervisor" in open("/proc/cpuinfo").read() else ""),
    "cores": f"{os.cpu_count()} online CPUs",
    "kernel": platform.release(),
    "tandem": f"git {rev}" + (f" + uncommitted changes in {', '.join(dirty[:8])}" if dirty else " (clean tree)"),
    "build": f"{sys.argv[2]} (CMAKE_BUILD_TYPE=Release)",
    "haproxy": sh("/usr/sbin/haproxy", "-v").splitlines()[0],
    "nginx": sh("/usr/sbin/nginx", "-v").splitlines()[0],
    "keepalived": sh("keepalived", "--version").splitlines()[0],
    "wrk": sh("wrk", "-v").splitlines()[0],
    "gnuplot": sh("gnuplot", "--version"),
    "mode": "quick" if sys.argv[3] == "1" else "full",
    "quick": sys.argv[3] == "1",
}
json.dump(m, open(sys.argv[1], "w"), indent=1)
PY

run_phase() {  # name timeout_s command...
  local name=$1 limit=$2; shift 2
  echo "== $name"
  phase_load "$name start"
  if ! timeout --kill-after=30 "$limit" "$@" 2>&1 | tee -a "$LOG"; then
    echo "run.sh: phase $name failed or timed out" | tee -a "$LOG" >&2
    note "- **Phase $name failed or timed out** in this run (see bench/out/run.log); its section may be missing or partial."
  fi
  phase_load "$name end"
}

if [[ ,$ONLY, == *,proxy,* ]]; then
  run_phase "proxy 1 worker (pinned)" 1500 python3 "$HERE/proxy_bench.py" --build "$BUILD" \
    --runs "$RUNS" --duration "$DURATION" --workers 1 --json "$OUT/proxy-w1.json"
  run_phase "proxy 2 workers (unpinned)" 1500 python3 "$HERE/proxy_bench.py" --build "$BUILD" \
    --runs "$RUNS" --duration "$DURATION" --workers 2 --no-pin --wrk-threads 2 --json "$OUT/proxy-w2.json"
  # 1000 connections: the tail (p99, max) and fairness at many connections (issue 15).
  run_phase "proxy 1000 connections" 1500 python3 "$HERE/proxy_bench.py" --build "$BUILD" \
    --runs "$RUNS" --duration "$DURATION" --workers 1 --connections 1000 --scenarios keepalive,tcp \
    --json "$OUT/proxy-c1000.json"
  # System calls per request (perf's raw_syscalls tracepoint slows every proxy a little, so apart).
  run_phase "proxy syscalls" 900 python3 "$HERE/proxy_bench.py" --build "$BUILD" \
    --runs 3 --duration "$DURATION" --workers 1 --scenarios keepalive,tcp --syscalls \
    --json "$OUT/proxy-syscalls.json"
fi
if [[ ,$ONLY, == *,mem,* ]]; then
  run_phase "memory" 600 python3 "$HERE/mem_bench.py" --build "$BUILD" --count "$MEM_COUNT" \
    --runs "$MEM_RUNS" --json "$OUT/mem.json"
  run_phase "memory tcp" 600 python3 "$HERE/mem_bench.py" --build "$BUILD" --mode tcp \
    --runs "$MEM_RUNS" --json "$OUT/mem-tcp.json"
fi
if [[ ,$ONLY, == *,tls,* ]]; then
  # TLS termination (issue 12): full handshakes/s (ECDSA, RSA, TLS 1.2), TLS
  # keep-alive req/s, memory per idle TLS connection.
  run_phase "tls" 1500 python3 "$HERE/tls_bench.py" --build "$BUILD" --runs "$RUNS" --duration "$DURATION" \
    --json "$OUT/tls.json"
  run_phase "memory tls" 900 python3 "$HERE/mem_bench.py" --build "$BUILD" --mode tls --count "$MEM_COUNT" \
    --runs "$MEM_RUNS" --json "$OUT/mem-tls.json"
  # HTTP/2 with h2load, h2c and over TLS (issue 12): CPU per request and p99
  # (the figures stay in bench/out/h2.json and run.log; bench/README.md).
  run_phase "h2" 900 python3 "$HERE/h2_bench.py" --build "$BUILD" --runs "$RUNS" --duration "$DURATION" \
    --json "$OUT/h2.json"
  # Kernel TLS (SSL_OP_ENABLE_KTLS) needs the kernel's tls module.
  if [[ -e /proc/net/tls_stat ]] || modprobe -q tls 2>/dev/null; then
    note "- Kernel TLS is offered by this kernel ($(uname -r)); not measured yet (bench/README.md)."
  else
    note "- Kernel TLS: this kernel ($(uname -r)) offers none (no /proc/net/tls_stat, no tls module), so no kTLS row."
  fi
fi
if [[ ,$ONLY, == *,failover,* ]]; then
  run_phase "failover" 1200 python3 "$HERE/failover_bench.py" --build "$BUILD" --rounds "$ROUNDS" \
    --json "$OUT/failover.json"
fi

python3 "$HERE/report.py" --raw "$OUT" --out "$HERE/RESULTS.md" --plots "$HERE/plots"
