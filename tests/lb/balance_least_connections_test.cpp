// Weighted least connections: follows the live load.
#include <optional>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>

#include "lb/balance/least_connections.h"
#include "tests/lb/balance_test_helpers.h"

namespace tandem::lb {
namespace {

using testing::got;
using testing::servers;
using testing::weighted;

BOOST_AUTO_TEST_SUITE(balance_least_connections)

BOOST_AUTO_TEST_CASE(picks_the_least_loaded) {
  LeastConnections lc(servers(3));
  const std::vector<ServerLoad> load{{5, 0}, {0, 0}, {3, 0}};
  PickContext ctx;
  ctx.load = load;
  for (int i = 0; i < 10; ++i) BOOST_TEST(got(lc.pick(ctx)) == 1);
}

BOOST_AUTO_TEST_CASE(weight_scales_the_load) {
  LeastConnections lc(weighted({5, 1}));
  // (4+1)/5 = 1 beats (1+1)/1 = 2, though 4 > 1.
  std::vector<ServerLoad> load{{4, 0}, {1, 0}};
  PickContext ctx;
  ctx.load = load;
  BOOST_TEST(got(lc.pick(ctx)) == 0);
  // (10+1)/5 = 2.2 loses to (1+1)/1 = 2.
  load[0].active = 10;
  BOOST_TEST(got(lc.pick(ctx)) == 1);
}

BOOST_AUTO_TEST_CASE(long_lived_connections_fill_servers_by_weight) {
  // Connections that never close: the pick feeds back into the load, and the
  // counts end up proportional to weights.
  LeastConnections lc(weighted({5, 1, 1}));
  std::vector<ServerLoad> load(3);
  PickContext ctx;
  ctx.load = load;
  for (int i = 0; i < 7000; ++i) ++load[*lc.pick(ctx)].active;
  BOOST_TEST(load[0].active == 5000U);
  BOOST_TEST(load[1].active == 1000U);
  BOOST_TEST(load[2].active == 1000U);
}

BOOST_AUTO_TEST_CASE(ties_rotate) {
  LeastConnections lc(servers(3));
  const std::vector<ServerLoad> load{{2, 0}, {2, 0}, {2, 0}};
  PickContext ctx;
  ctx.load = load;
  std::string seq;
  for (int i = 0; i < 6; ++i) seq += static_cast<char>('a' + *lc.pick(ctx));
  BOOST_TEST(seq == "abcabc");
}

BOOST_AUTO_TEST_CASE(excluded_least_loaded_gives_the_next) {
  LeastConnections lc(servers(3));
  const std::vector<ServerLoad> load{{5, 0}, {0, 0}, {3, 0}};
  const std::vector<ServerIndex> tried{1};
  PickContext ctx;
  ctx.load = load;
  ctx.exclude = tried;
  BOOST_TEST(got(lc.pick(ctx)) == 2);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace tandem::lb
