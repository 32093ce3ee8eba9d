// Power of two choices: weight-proportional with no load, prefers less loaded.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <vector>

#include <boost/test/unit_test.hpp>

#include "lb/balance/power_of_two.h"
#include "tests/lb/balance_test_helpers.h"

namespace tandem::lb {
namespace {

using testing::got;
using testing::count_picks;
using testing::servers;
using testing::weighted;

BOOST_AUTO_TEST_SUITE(balance_power_of_two)

BOOST_AUTO_TEST_CASE(no_load_follows_weights) {
  PowerOfTwo p2c(weighted({5, 1, 1}));
  Rng rng(11);
  PickContext ctx;
  ctx.rng = &rng;
  const auto counts = count_picks(p2c, 7000, ctx, 3);
  // Binomial sd ~38 for the heavy one, ~31 for the others: +-150 is ~4 sd.
  BOOST_TEST(std::abs(counts[0] - 5000) < 150);
  BOOST_TEST(std::abs(counts[1] - 1000) < 150);
  BOOST_TEST(std::abs(counts[2] - 1000) < 150);
}

BOOST_AUTO_TEST_CASE(two_distinct_choices_so_the_idle_one_always_wins) {
  // With two servers both are always drawn; the idle one must win every time,
  // even when it is the light one.
  PowerOfTwo p2c(weighted({5, 1}));
  const std::vector<ServerLoad> load{{1, 0}, {0, 0}};
  Rng rng(5);
  PickContext ctx;
  ctx.load = load;
  ctx.rng = &rng;
  for (int i = 0; i < 500; ++i) BOOST_TEST(got(p2c.pick(ctx)) == 1);
}

BOOST_AUTO_TEST_CASE(most_loaded_never_wins) {
  PowerOfTwo p2c(servers(4));
  const std::vector<ServerLoad> load{{1, 0}, {2, 0}, {3, 0}, {4, 0}};
  Rng rng(9);
  PickContext ctx;
  ctx.load = load;
  ctx.rng = &rng;
  const auto counts = count_picks(p2c, 6000, ctx, 4);
  BOOST_TEST(counts[3] == 0);
  // The least loaded wins whenever drawn: P = 1 - C(3,2)/C(4,2) = 1/2.
  BOOST_TEST(std::abs(counts[0] - 3000) < 200);
  // Second least: drawn with one of the two heavier: 2/6.
  BOOST_TEST(std::abs(counts[1] - 2000) < 200);
}

BOOST_AUTO_TEST_CASE(live_load_stays_balanced) {
  // Requests that complete at random: p2c keeps the spread tight
  // (Mitzenmacher's exponential improvement over one random choice).
  PowerOfTwo p2c(servers(8));
  std::vector<ServerLoad> load(8);
  Rng rng(21);
  PickContext ctx;
  ctx.load = load;
  ctx.rng = &rng;
  for (int i = 0; i < 20000; ++i) {
    ++load[*p2c.pick(ctx)].active;
    if (i >= 400) {  // keep 400 in flight: a random one of them completes
      std::uint64_t r = rng.uniform(401);
      for (auto& l : load) {
        if (r < l.active) {
          --l.active;
          break;
        }
        r -= l.active;
      }
    }
  }
  std::uint32_t lo = ~0U;
  std::uint32_t hi = 0;
  for (const auto& l : load) {
    lo = std::min(lo, l.active);
    hi = std::max(hi, l.active);
  }
  BOOST_TEST(hi - lo <= 10U);  // mean 50
}

BOOST_AUTO_TEST_CASE(exclusion_keeps_weights_among_the_rest) {
  PowerOfTwo p2c(weighted({5, 3, 1}));
  const std::vector<ServerIndex> tried{0};
  Rng rng(13);
  PickContext ctx;
  ctx.exclude = tried;
  ctx.rng = &rng;
  const auto counts = count_picks(p2c, 4000, ctx, 3);
  BOOST_TEST(counts[0] == 0);
  BOOST_TEST(std::abs(counts[1] - 3000) < 150);
  BOOST_TEST(std::abs(counts[2] - 1000) < 150);
}

BOOST_AUTO_TEST_CASE(own_rng_is_seeded_and_deterministic) {
  PowerOfTwo a(servers(5), 77);
  PowerOfTwo b(servers(5), 77);
  for (int i = 0; i < 200; ++i) BOOST_TEST(got(a.pick({})) == got(b.pick({})));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace tandem::lb
