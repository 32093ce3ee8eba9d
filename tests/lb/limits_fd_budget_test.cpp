// The file-descriptor budget: what max_connections needs (HAProxy's maxsock
// rule) and what RLIMIT_NOFILE's soft limit becomes.
#include <boost/test/unit_test.hpp>

#include "lb/limits/fd_budget.h"

namespace tandem::lb::limits {

BOOST_AUTO_TEST_SUITE(limits_fd_budget)

BOOST_AUTO_TEST_CASE(two_descriptors_per_connection_plus_listeners_servers_and_a_reserve) {
  FdDemand d{{1000, 500}, 3, 2};
  // 2 × 1500 connections + 2 workers × 2 listeners + 3 servers + the reserve.
  BOOST_TEST(descriptors_needed(d) == 3000u + 4u + 3u + kReserveDescriptors);
}

BOOST_AUTO_TEST_CASE(the_default_soft_limit_does_not_carry_a_thousand_connections) {
  FdDemand d{{1000}, 1, 1};
  const auto plan = plan_fd_limit(d, 1024, 1024, 1048576);
  BOOST_TEST(!plan.raise());
  BOOST_TEST(!plan.enough);
  BOOST_TEST(plan.connections == (1024u - kReserveDescriptors - 1 - 1) / 2);
  BOOST_TEST(plan.shortfall().find("max_connections cannot be met") != std::string::npos);
  BOOST_TEST(plan.shortfall().find("LimitNOFILE") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(the_soft_limit_rises_to_the_hard_one) {
  FdDemand d{{1000}, 1, 1};
  const auto plan = plan_fd_limit(d, 1024, 524288, 1048576);
  BOOST_TEST(plan.raise());
  BOOST_TEST(plan.soft == 524288u);
  BOOST_TEST(plan.enough);
  BOOST_TEST(plan.needed == 2000u + 1 + 1 + kReserveDescriptors);
}

BOOST_AUTO_TEST_CASE(an_unlimited_hard_limit_stops_at_nr_open) {
  FdDemand d{{10000}, 0, 4};
  const auto plan = plan_fd_limit(d, 1024, kUnlimited, 1048576);
  BOOST_TEST(plan.soft == 1048576u);
  BOOST_TEST(plan.enough);
}

BOOST_AUTO_TEST_CASE(a_soft_limit_already_higher_is_kept) {
  FdDemand d{{10}, 0, 1};
  const auto plan = plan_fd_limit(d, 50000, 50000, 40000);  // fs.nr_open lowered since
  BOOST_TEST(!plan.raise());
  BOOST_TEST(plan.soft == 50000u);
}

BOOST_AUTO_TEST_CASE(default_max_connections_against_a_20000_hard_limit_warns) {
  // One listener at the default 10000: 20000 + listeners + reserve > 20000.
  FdDemand d{{10000}, 2, 1};
  const auto plan = plan_fd_limit(d, 1024, 20000, 1048576);
  BOOST_TEST(plan.soft == 20000u);
  BOOST_TEST(!plan.enough);
  BOOST_TEST(plan.connections < 10000u);
  BOOST_TEST(plan.connections > 9900u);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace tandem::lb::limits
