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
# The build and then the runs go at the lowest priority beside the tests,
# which mostly wait on sockets and timers (and must hold under load anyway),
# so the fuzzing adds no time of its own; their output goes to build-fuzz/.
mkdir -p build-fuzz
(
  TANDEM_FUZZ_BUILD_ONLY=1 nice -n 19 ./scripts/fuzz.sh >build-fuzz/build.log 2>&1 || exit 2
  nice -n 19 ./scripts/fuzz.sh 10 >build-fuzz/run.log 2>&1 || exit 1
) &
fuzz=$!
# Unit tests run in parallel; integration tests are marked RUN_SERIAL.
tests_status=0
ctest --test-dir build --output-on-failure -j"$(nproc)" --timeout 900 || tests_status=$?
fuzz_status=0
wait "$fuzz" || fuzz_status=$?
case $fuzz_status in
  0) cat build-fuzz/run.log ;;
  2) echo "test: the fuzz build failed; its output:" >&2
     tail -40 build-fuzz/build.log >&2 ;;
  *) echo "test: fuzzing found a problem:" >&2
     cat build-fuzz/run.log >&2 ;;
esac
((tests_status != 0)) && exit "$tests_status"
exit "$fuzz_status"
