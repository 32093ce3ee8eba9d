#!/usr/bin/env bash
# Builds Tandem and runs every test: unit tests, the proxy on loopback, and
# the cluster in network namespaces (needs root). Installs what it needs.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DTANDEM_WERROR=ON
cmake --build build -j"$(nproc)"
# Every parser of outside bytes under libFuzzer with ASan and UBSan, from its
# seed corpus, 10 s each (a separate clang build of only what they need).
# That build runs at the lowest priority beside the tests, which mostly wait
# on sockets and timers; its output goes to build-fuzz/build.log.
mkdir -p build-fuzz
TANDEM_FUZZ_BUILD_ONLY=1 nice -n 19 ./scripts/fuzz.sh >build-fuzz/build.log 2>&1 &
fuzz_build=$!
# Unit tests run in parallel; integration tests are marked RUN_SERIAL.
tests_status=0
ctest --test-dir build --output-on-failure -j"$(nproc)" --timeout 900 || tests_status=$?
if ! wait "$fuzz_build"; then
  echo "test: the fuzz build failed; its output:" >&2
  tail -40 build-fuzz/build.log >&2
  exit 1
fi
./scripts/fuzz.sh 10
exit "$tests_status"
