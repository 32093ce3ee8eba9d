// slot_limit: servers at their connection limit join the pick's exclusion,
// so the balancer picks once among the servers with room.
#include <boost/test/unit_test.hpp>

#include <array>
#include <vector>

#include "lb/balance/registry.h"
#include "lb/route/slot_limit.h"
#include "tests/lb/balance_test_helpers.h"

namespace tandem::lb {

BOOST_AUTO_TEST_SUITE(route_slot_limit)

BOOST_AUTO_TEST_CASE(a_limit_of_zero_means_no_limit) {
  BOOST_TEST(has_free_slot(1'000'000, 0));
  std::vector<ServerIndex> exclude;
  int calls = 0;
  exclude_full(exclude, 3, 0, [&](ServerIndex) { return ++calls, std::int64_t{99}; });
  BOOST_TEST(exclude.empty());
  BOOST_TEST(calls == 0);
}

BOOST_AUTO_TEST_CASE(full_servers_are_excluded_once) {
  const std::array<std::int64_t, 4> active{2, 1, 2, 0};
  std::vector<ServerIndex> exclude{2};  // tried already
  exclude_full(exclude, active.size(), 2, [&](ServerIndex i) { return active[i]; });
  BOOST_TEST(exclude == (std::vector<ServerIndex>{2, 0}));
  BOOST_TEST(!has_free_slot(2, 2));
  BOOST_TEST(has_free_slot(1, 2));
}

BOOST_AUTO_TEST_CASE(the_balancer_picks_a_server_with_room_in_one_pick) {
  auto balancer = make_balancer(config::ROUND_ROBIN, testing::servers(3));
  const std::array<std::int64_t, 3> active{1, 1, 0};
  std::vector<ServerIndex> exclude;
  exclude_full(exclude, active.size(), 1, [&](ServerIndex i) { return active[i]; });
  PickContext ctx;
  ctx.exclude = exclude;
  for (int i = 0; i < 5; ++i) BOOST_TEST(testing::got(balancer->pick(ctx)) == 2);
}

BOOST_AUTO_TEST_CASE(every_server_full_leaves_nothing_to_pick) {
  auto balancer = make_balancer(config::CONSISTENT_HASH, testing::servers(2));
  const std::array<std::int64_t, 2> active{3, 3};
  std::vector<ServerIndex> exclude;
  exclude_full(exclude, active.size(), 3, [&](ServerIndex i) { return active[i]; });
  PickContext ctx;
  ctx.exclude = exclude;
  BOOST_TEST(testing::got(balancer->pick(ctx)) == -1);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace tandem::lb
