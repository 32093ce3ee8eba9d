// ConnectPlan: the stuck server first and only once, failed servers left out,
// at most retries + 1 connect attempts, and the failure that ends a request.
#include <boost/test/unit_test.hpp>

#include <vector>

#include "lb/route/connect_plan.h"

namespace tandem::lb {

BOOST_AUTO_TEST_SUITE(route_connect_plan)

BOOST_AUTO_TEST_CASE(the_stuck_server_goes_first_when_it_has_room) {
  std::vector<ServerIndex> tried;
  ConnectPlan plan(2, ServerIndex{3}, tried);
  BOOST_TEST(plan.more());
  BOOST_TEST(plan.stuck_first([](ServerIndex) { return true; }).value_or(99) == 3u);
}

BOOST_AUTO_TEST_CASE(a_full_stuck_server_is_not_waited_for) {
  std::vector<ServerIndex> tried;
  ConnectPlan plan(2, ServerIndex{3}, tried);
  BOOST_TEST(!plan.stuck_first([](ServerIndex) { return false; }).has_value());
}

BOOST_AUTO_TEST_CASE(the_stuck_server_has_one_turn_only) {
  std::vector<ServerIndex> tried;
  ConnectPlan plan(2, ServerIndex{3}, tried);
  BOOST_TEST(plan.stuck_first([](ServerIndex) { return true; }).has_value());
  BOOST_TEST(plan.connect_failed(3));
  BOOST_TEST(!plan.stuck_first([](ServerIndex) { return true; }).has_value());
}

BOOST_AUTO_TEST_CASE(without_a_stuck_server_every_attempt_picks) {
  std::vector<ServerIndex> tried;
  ConnectPlan plan(2, std::nullopt, tried);
  BOOST_TEST(!plan.stuck_first([](ServerIndex) { return true; }).has_value());
}

BOOST_AUTO_TEST_CASE(retries_plus_one_attempts_and_each_failed_server_is_left_out) {
  std::vector<ServerIndex> tried;
  ConnectPlan plan(2, std::nullopt, tried);
  BOOST_TEST((plan.last() == UpstreamFailure::no_server));
  BOOST_TEST(plan.connect_failed(0));   // a retry follows
  BOOST_TEST(plan.connect_failed(1));   // a retry follows
  BOOST_TEST(!plan.connect_failed(2));  // the third attempt was the last
  BOOST_TEST(!plan.more());
  BOOST_TEST((plan.last() == UpstreamFailure::connect_failed));
  BOOST_TEST((tried == std::vector<ServerIndex>{0, 1, 2}));
}

BOOST_AUTO_TEST_CASE(no_retries_means_one_attempt) {
  std::vector<ServerIndex> tried;
  ConnectPlan plan(0, std::nullopt, tried);
  BOOST_TEST(plan.more());
  BOOST_TEST(!plan.connect_failed(5));
  BOOST_TEST(!plan.more());
}

BOOST_AUTO_TEST_CASE(servers_tried_before_stay_left_out) {
  // A RetryPolicy resend keeps the request's tried list.
  std::vector<ServerIndex> tried{4};
  ConnectPlan plan(1, std::nullopt, tried);
  plan.connect_failed(2);
  BOOST_TEST((plan.tried() == std::vector<ServerIndex>{4, 2}));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace tandem::lb
