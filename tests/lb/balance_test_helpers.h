// Small builders shared by the tests/lb/balance_*_test.cpp files.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>

#include "lb/balance/balancer.h"

namespace tandem::lb::testing {

// A pick as a printable number: the index, or -1 for nullopt.
inline std::int64_t got(std::optional<ServerIndex> picked) { return picked ? std::int64_t{*picked} : -1; }

// Candidates "s0", "s1"... with index i and weight WEIGHTS[i].
inline std::vector<Candidate> weighted(std::initializer_list<std::uint32_t> weights) {
  std::vector<Candidate> out;
  ServerIndex i = 0;
  for (const auto w : weights) {
    out.push_back(Candidate{i, w, "s" + std::to_string(i)});
    ++i;
  }
  return out;
}

// N candidates "s0".."s<N-1>" of weight WEIGHT.
inline std::vector<Candidate> servers(std::size_t n, std::uint32_t weight = 1) {
  std::vector<Candidate> out;
  for (std::size_t i = 0; i < n; ++i) {
    out.push_back(Candidate{static_cast<ServerIndex>(i), weight, "s" + std::to_string(i)});
  }
  return out;
}

// Picks COUNT times with CTX; returns how often each of SLOTS servers won.
inline std::vector<int> count_picks(Balancer& b, int count, const PickContext& ctx,
                                    std::size_t slots) {
  std::vector<int> counts(slots, 0);
  for (int i = 0; i < count; ++i) {
    const auto picked = b.pick(ctx);
    BOOST_REQUIRE(picked.has_value());
    BOOST_REQUIRE_LT(*picked, slots);
    ++counts[*picked];
  }
  return counts;
}

}  // namespace tandem::lb::testing
