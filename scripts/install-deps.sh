#!/usr/bin/env bash
# Installs everything Tandem needs to build, test, run the demo and benchmark,
# from Debian 12's own packages. Idempotent: a second run installs nothing.
set -euo pipefail

PACKAGES=(
  # build
  build-essential cmake ninja-build pkg-config clang
  # the fuzz targets (scripts/fuzz.sh): libFuzzer and the sanitizer runtimes
  libclang-rt-14-dev
  libboost1.81-dev libboost-test1.81-dev libboost-json1.81-dev libboost-program-options1.81-dev
  libprotobuf-dev protobuf-compiler libspdlog-dev libfmt-dev libssl-dev
  libnl-3-dev libnl-route-3-dev
  # HTTP/2 to clients (lb/h2/), and h2load for its tests and benchmark row
  libnghttp2-dev nghttp2-client
  # DNS discovery of a pool's servers (lb/discovery/), and the DNS server its tests run
  libc-ares-dev dnsmasq
  # the io_uring reactor (cmake -DTANDEM_IO_URING=ON, docs/performance.md)
  liburing-dev
  # etcd discovery (lb/discovery/etcd_*): the etcd its tests run
  etcd-server
  # tests, demo and benchmarks: real clients, peers and network tools
  curl wrk iproute2 iputils-ping tcpdump nftables python3 procps psmisc
  # TLS tests: test certificates made at test time, and s_client for resumption
  openssl
  # the harness's wire codecs: Python generated from the .proto files (integration/lib/wire.py)
  python3-protobuf
  # the WebSocket tests: a real client and server (integration/proxy/test_websocket.py)
  python3-websockets
  haproxy nginx-light libnginx-mod-stream keepalived
  # the memory-error sweep of the daemons under the integration tests (scripts/valgrind-sweep.sh)
  valgrind
  # benchmark plots (bench/run.sh)
  gnuplot-nox
  # the status page test: a real headless browser
  chromium
  # every node active (docs/scaling.md): BIRD 2 for BGP + BFD, on the nodes and the test's router
  bird2
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "install-deps: missing packages: ${missing[*]}; run as root or install them" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
  # The Debian packages start their daemons; Tandem's tests and benchmarks
  # start their own copies with their own configs, so the system ones stay off.
  for svc in haproxy nginx keepalived bird dnsmasq etcd; do
    systemctl disable --now "$svc" >/dev/null 2>&1 || service "$svc" stop >/dev/null 2>&1 || true
  done
fi
