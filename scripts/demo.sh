#!/usr/bin/env bash
# The demo: builds Tandem, starts a cluster on this machine and tells the
# story of a failover. Run as root (network namespaces); cleans up after itself.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)"
cd integration
exec env TANDEM_BUILD="$PWD/../build" PYTHONPATH="$PWD" /usr/bin/python3 demo.py "$@"
