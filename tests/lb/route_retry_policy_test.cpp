// RetryPolicy: only a dead pooled connection, before any response byte, for
// a request without a body, is retried, at most kMaxRetries times.
#include <boost/test/unit_test.hpp>

#include <variant>

#include "lb/route/retry_policy.h"

namespace tandem::lb {
namespace {

using Stage = AttemptFailure::Stage;

bool retried(RetryPolicy& policy, const AttemptFailure& failure) {
  return std::holds_alternative<Retry>(policy.after(failure));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(route_retry_policy)

BOOST_AUTO_TEST_CASE(a_pooled_connection_that_failed_the_send_is_retried) {
  RetryPolicy policy(false);
  BOOST_TEST(policy.replayable());
  BOOST_TEST(retried(policy, {.stage = Stage::send, .reused = true}));
  BOOST_TEST(policy.retries() == 1);
}

BOOST_AUTO_TEST_CASE(a_fresh_connection_is_never_retried) {
  RetryPolicy policy(false);
  BOOST_TEST(!retried(policy, {.stage = Stage::send, .reused = false}));
  BOOST_TEST(!retried(policy, {.stage = Stage::response_header, .reused = false}));
  BOOST_TEST(policy.retries() == 0);
}

BOOST_AUTO_TEST_CASE(a_request_with_a_body_is_never_retried) {
  RetryPolicy policy(true);
  BOOST_TEST(!policy.replayable());
  BOOST_TEST(!retried(policy, {.stage = Stage::send, .reused = true}));
  BOOST_TEST(!retried(policy, {.stage = Stage::response_header, .reused = true}));
}

BOOST_AUTO_TEST_CASE(a_response_that_started_or_timed_out_is_not_retried) {
  RetryPolicy policy(false);
  // The server answered something, or is alive but slow: resending could run the request twice.
  BOOST_TEST(!retried(policy, {.stage = Stage::response_header, .reused = true, .response_started = true}));
  BOOST_TEST(!retried(policy, {.stage = Stage::response_header, .reused = true, .timed_out = true}));
  // Closed before a byte: the server had dropped the idle connection.
  BOOST_TEST(retried(policy, {.stage = Stage::response_header, .reused = true}));
}

BOOST_AUTO_TEST_CASE(retries_stop_after_the_limit) {
  RetryPolicy policy(false);
  for (int i = 0; i < RetryPolicy::kMaxRetries; ++i) {
    BOOST_TEST(retried(policy, {.stage = Stage::send, .reused = true}));
  }
  BOOST_TEST(!retried(policy, {.stage = Stage::send, .reused = true}));
  BOOST_TEST(policy.retries() == RetryPolicy::kMaxRetries);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace tandem::lb
