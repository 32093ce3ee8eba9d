// Least response time: latency x load / weight, unknown latency probed.
#include <optional>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>

#include "lb/balance/least_response_time.h"
#include "tests/lb/balance_test_helpers.h"

namespace tandem::lb {
namespace {

using testing::got;
using testing::servers;
using testing::weighted;

std::optional<ServerIndex> pick(LeastResponseTime& lrt, const std::vector<ServerLoad>& load) {
  PickContext ctx;
  ctx.load = load;
  return lrt.pick(ctx);
}

BOOST_AUTO_TEST_SUITE(balance_least_response_time)

BOOST_AUTO_TEST_CASE(prefers_the_faster) {
  LeastResponseTime lrt(servers(3));
  const std::vector<ServerLoad> load{{0, 50}, {0, 10}, {0, 30}};
  for (int i = 0; i < 5; ++i) BOOST_TEST(got(pick(lrt, load)) == 1);
}

BOOST_AUTO_TEST_CASE(a_busy_fast_server_loses_to_an_idle_slower_one) {
  LeastResponseTime lrt(servers(2));
  // 10 ms x 10 in flight = 100 > 30 ms x 1 = 30.
  BOOST_TEST(got(pick(lrt, {{9, 10}, {0, 30}})) == 1);
  // 10 ms x 2 = 20 < 30.
  BOOST_TEST(got(pick(lrt, {{1, 10}, {0, 30}})) == 0);
}

BOOST_AUTO_TEST_CASE(weight_divides_the_score) {
  LeastResponseTime lrt(weighted({1, 4}));
  // 10 x 1 / 1 = 10 vs 20 x 1 / 4 = 5.
  BOOST_TEST(got(pick(lrt, {{0, 10}, {0, 20}})) == 1);
}

BOOST_AUTO_TEST_CASE(unknown_latency_is_probed_but_not_flooded) {
  LeastResponseTime lrt(servers(3));
  // Server 2 has no measurement: it counts as the best known (10 ms).
  // Scores: 10 x 2 = 20, 20 x 1 = 20, 10 x 1 = 10.
  std::vector<ServerLoad> load{{1, 10}, {0, 20}, {0, 0}};
  BOOST_TEST(got(pick(lrt, load)) == 2);
  // Requests in flight on it, still unmeasured: 10 x 4 = 40 > 20.
  load[2].active = 3;
  BOOST_TEST(got(pick(lrt, load)) != 2);
}

BOOST_AUTO_TEST_CASE(no_latency_known_is_weighted_least_connections) {
  LeastResponseTime lrt(weighted({5, 1, 1}));
  std::vector<ServerLoad> load(3);
  PickContext ctx;
  ctx.load = load;
  for (int i = 0; i < 700; ++i) ++load[*lrt.pick(ctx)].active;
  BOOST_TEST(load[0].active == 500U);
  BOOST_TEST(load[1].active == 100U);
  BOOST_TEST(load[2].active == 100U);
}

BOOST_AUTO_TEST_CASE(ties_rotate_and_exclusion_gives_the_next_best) {
  LeastResponseTime lrt(servers(3));
  const std::vector<ServerLoad> load{{0, 10}, {0, 10}, {0, 10}};
  std::string seq;
  for (int i = 0; i < 6; ++i) seq += static_cast<char>('a' + *pick(lrt, load));
  BOOST_TEST(seq == "abcabc");

  const std::vector<ServerLoad> ranked{{0, 50}, {0, 10}, {0, 30}};
  const std::vector<ServerIndex> tried{1};
  PickContext ctx;
  ctx.load = ranked;
  ctx.exclude = tried;
  BOOST_TEST(got(lrt.pick(ctx)) == 2);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace tandem::lb
