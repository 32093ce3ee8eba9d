// Round robin and smooth weighted round robin: exact, deterministic orders.
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>

#include "lb/balance/round_robin.h"
#include "lb/balance/smooth_weighted_round_robin.h"
#include "tests/lb/balance_test_helpers.h"

namespace tandem::lb {
namespace {

using testing::count_picks;
using testing::servers;
using testing::weighted;

std::string sequence(Balancer& b, int count, const PickContext& ctx = {}) {
  std::string out;
  for (int i = 0; i < count; ++i) {
    const auto picked = b.pick(ctx);
    out += picked ? static_cast<char>('a' + *picked) : '-';
  }
  return out;
}

BOOST_AUTO_TEST_SUITE(balance_round_robin)

BOOST_AUTO_TEST_CASE(rotates_in_order_ignoring_weights) {
  RoundRobin rr(weighted({5, 1, 1}));
  BOOST_TEST(sequence(rr, 7) == "abcabca");
}

BOOST_AUTO_TEST_CASE(even_distribution) {
  RoundRobin rr(servers(4));
  const auto counts = count_picks(rr, 4000, {}, 4);
  for (const int n : counts) BOOST_TEST(n == 1000);
}

BOOST_AUTO_TEST_CASE(exclusion_skips_and_keeps_rotating) {
  RoundRobin rr(servers(4));
  const std::vector<ServerIndex> tried{1};
  PickContext ctx;
  ctx.exclude = tried;
  BOOST_TEST(sequence(rr, 6, ctx) == "acdacd");
  BOOST_TEST(sequence(rr, 4) == "abcd");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(balance_smooth_weighted_round_robin)

BOOST_AUTO_TEST_CASE(nginx_sequence_for_5_1_1) {
  // The example in nginx's commit introducing smooth weighted round robin.
  SmoothWeightedRoundRobin swrr(weighted({5, 1, 1}));
  BOOST_TEST(sequence(swrr, 21) == "aabacaa" "aabacaa" "aabacaa");
}

BOOST_AUTO_TEST_CASE(distribution_is_exact_per_cycle) {
  SmoothWeightedRoundRobin swrr(weighted({5, 1, 1}));
  const auto counts = count_picks(swrr, 7000, {}, 3);
  BOOST_TEST(counts[0] == 5000);
  BOOST_TEST(counts[1] == 1000);
  BOOST_TEST(counts[2] == 1000);

  // Any weights: every cycle of sum(weights) picks is exact.
  SmoothWeightedRoundRobin odd(weighted({7, 3, 2, 1}));
  for (int cycle = 0; cycle < 5; ++cycle) {
    const auto c = count_picks(odd, 13, {}, 4);
    BOOST_TEST((c == std::vector<int>{7, 3, 2, 1}));
  }
}

BOOST_AUTO_TEST_CASE(is_smooth) {
  // The heavy server never runs more than its share ahead or behind: at every
  // prefix of the sequence its count stays within 1 of k * 5 / 7, so light
  // servers are spread out instead of bunched at the end (a,a,a,a,a,b,c).
  SmoothWeightedRoundRobin swrr(weighted({5, 1, 1}));
  int heavy = 0;
  for (int k = 1; k <= 700; ++k) {
    if (swrr.pick({}) == std::optional<ServerIndex>{0}) ++heavy;
    BOOST_TEST(std::abs(heavy * 7 - k * 5) < 7);
  }
}

BOOST_AUTO_TEST_CASE(equal_weights_is_round_robin) {
  SmoothWeightedRoundRobin swrr(servers(3, 4));
  BOOST_TEST(sequence(swrr, 6) == "abcabc");
}

BOOST_AUTO_TEST_CASE(excluded_server_sits_out) {
  SmoothWeightedRoundRobin swrr(weighted({5, 1, 1}));
  const std::vector<ServerIndex> tried{0};
  PickContext ctx;
  ctx.exclude = tried;
  BOOST_TEST(sequence(swrr, 6, ctx) == "bcbcbc");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace tandem::lb
