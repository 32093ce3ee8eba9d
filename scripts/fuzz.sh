#!/usr/bin/env bash
# Builds every libFuzzer target (<area>/fuzz/*.cpp) with clang, ASan and
# UBSan (cmake/TandemFuzz.cmake) and runs each from its committed seed
# corpus (<area>/fuzz/corpus/<target>/) for a bounded time. Any crash, leak,
# sanitizer report or timeout fails the script; the input is left in
# build-fuzz/artifacts/. New inputs go to a scratch directory, never into
# the committed corpus.
#
# Usage: scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]   (default 20 s, every target)
# Longer runs by hand: build-fuzz/<target> -runs=1000000 <scratch> <corpus>
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-20}
shift || true

build=build-fuzz
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S . -B "$build" -G Ninja -DTANDEM_FUZZ=ON -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=Release \
  "${launcher[@]}" >/dev/null
cmake --build "$build" -j"$(nproc)" --target fuzzers
# The test command builds the targets while the integration tests run (they
# mostly wait on sockets and timers), then runs them.
[[ ${TANDEM_FUZZ_BUILD_ONLY:-0} == 1 ]] && exit 0

targets=("$@")
if ((${#targets[@]} == 0)); then
  for src in common/fuzz/*.cpp config/fuzz/*.cpp lb/fuzz/*.cpp ha/fuzz/*.cpp; do
    [[ -e $src ]] && targets+=("$(basename "$src" .cpp)")
  done
fi

mkdir -p "$build/artifacts"

# One target from its corpus; its verdict goes to $build/artifacts/$t.verdict.
run_target() {
  local t=$1 area_fuzz="" a
  for a in common config lb ha; do [[ -e $a/fuzz/$t.cpp ]] && area_fuzz=$a/fuzz; done
  if [[ -z $area_fuzz ]]; then
    echo "fuzz: no target $t (looked for */fuzz/$t.cpp)" >&2
    echo failed >"$build/artifacts/$t.verdict"
    return
  fi
  local corpus="$area_fuzz/corpus/$t" scratch
  scratch=$(mktemp -d)
  local options=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=16384 -print_final_stats=1
                 -artifact_prefix="$build/artifacts/$t-")
  [[ -f $area_fuzz/$t.dict ]] && options+=(-dict="$area_fuzz/$t.dict")
  if "$build/$t" "${options[@]}" "$scratch" "$corpus" >"$build/artifacts/$t.log" 2>&1; then
    echo "fuzz: $t ran ${seconds}s from $corpus: $(grep -E '^stat::number_of_executed_units' "$build/artifacts/$t.log" | tail -1)"
    echo ok >"$build/artifacts/$t.verdict"
  else
    echo "fuzz: $t FAILED; its log:" >&2
    tail -60 "$build/artifacts/$t.log" >&2
    echo failed >"$build/artifacts/$t.verdict"
  fi
  rm -rf "$scratch"
}

# Each target is one single-threaded process: run one per core at a time,
# so the whole set takes about targets x seconds / cores.
parallel=$(nproc)
for t in "${targets[@]}"; do
  rm -f "$build/artifacts/$t.verdict"
  while (($(jobs -rp | wc -l) >= parallel)); do wait -n || true; done
  run_target "$t" &
done
wait
failed=()
for t in "${targets[@]}"; do
  [[ $(cat "$build/artifacts/$t.verdict" 2>/dev/null) == ok ]] || failed+=("$t")
done
if ((${#failed[@]})); then
  echo "fuzz: failed: ${failed[*]} (inputs in $build/artifacts/)" >&2
  exit 1
fi
echo "fuzz: ${#targets[@]} targets ran ${seconds}s each without a finding"
