#!/usr/bin/env bash
# Builds Tandem and runs every test: unit tests, the proxy on loopback, and
# the cluster in network namespaces (needs root). Installs what it needs.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DTANDEM_WERROR=ON
cmake --build build -j"$(nproc)"
# Unit tests run in parallel; integration tests are marked RUN_SERIAL.
ctest --test-dir build --output-on-failure -j"$(nproc)" --timeout 900
# Every parser of outside bytes under libFuzzer with ASan and UBSan, from its
# seed corpus, 10 s each (a separate clang build of only what they need).
./scripts/fuzz.sh 10
