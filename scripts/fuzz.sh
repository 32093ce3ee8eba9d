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

targets=("$@")
if ((${#targets[@]} == 0)); then
  for src in common/fuzz/*.cpp config/fuzz/*.cpp lb/fuzz/*.cpp ha/fuzz/*.cpp; do
    [[ -e $src ]] && targets+=("$(basename "$src" .cpp)")
  done
fi

mkdir -p "$build/artifacts"
failed=()
for t in "${targets[@]}"; do
  area_fuzz=""
  for a in common config lb ha; do [[ -e $a/fuzz/$t.cpp ]] && area_fuzz=$a/fuzz; done
  if [[ -z $area_fuzz ]]; then
    echo "fuzz: no target $t (looked for */fuzz/$t.cpp)" >&2
    failed+=("$t")
    continue
  fi
  corpus="$area_fuzz/corpus/$t"
  scratch=$(mktemp -d)
  options=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=16384 -print_final_stats=1
           -artifact_prefix="$build/artifacts/$t-")
  [[ -f $area_fuzz/$t.dict ]] && options+=(-dict="$area_fuzz/$t.dict")
  echo "fuzz: $t for ${seconds}s from $corpus"
  if "$build/$t" "${options[@]}" "$scratch" "$corpus" >"$build/artifacts/$t.log" 2>&1; then
    grep -E '^stat::number_of_executed_units|^Done' "$build/artifacts/$t.log" | tail -1 || true
  else
    echo "fuzz: $t FAILED; its log:" >&2
    tail -60 "$build/artifacts/$t.log" >&2
    failed+=("$t")
  fi
  rm -rf "$scratch"
done
if ((${#failed[@]})); then
  echo "fuzz: failed: ${failed[*]} (inputs in $build/artifacts/)" >&2
  exit 1
fi
echo "fuzz: ${#targets[@]} targets ran ${seconds}s each without a finding"
