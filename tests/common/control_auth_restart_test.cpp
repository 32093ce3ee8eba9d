// Tests for RequestVerifier::refuse_signed_before (common/control/auth.h): a
// request recorded before a server restart cannot be replayed to the new
// server, although its replay window starts empty.
#include <boost/test/unit_test.hpp>

#include "common/control/auth.h"

namespace tandem::control {

BOOST_AUTO_TEST_SUITE(control_auth_restart)

BOOST_AUTO_TEST_CASE(request_accepted_before_restart_is_refused_after) {
  const std::string key = "control-restart-test-key-0123456789";
  constexpr std::uint64_t kT = 1'765'000'000'000;
  wire::ControlRequest request;
  request.mutable_switchover()->set_to("edge2");
  const std::string payload = sign_request(key, request, kT, "edge1", random_nonce()).SerializeAsString();

  RequestVerifier first_run(KeyRing{key, {}}, "edge1");
  first_run.refuse_signed_before(kT - 60'000);
  BOOST_TEST(first_run.verify(payload, kT + 10).accepted.has_value());
  BOOST_TEST(!first_run.verify(payload, kT + 20).accepted.has_value());  // replayed, same run

  // The server restarts 2 s later: the capture is still fresh (30 s) and the
  // new window has never seen its nonce. Without the start time it would pass.
  RequestVerifier unguarded(KeyRing{key, {}}, "edge1");
  BOOST_TEST(unguarded.verify(payload, kT + 2'000).accepted.has_value());

  RequestVerifier second_run(KeyRing{key, {}}, "edge1");
  second_run.refuse_signed_before(kT + 2'000);
  const auto outcome = second_run.verify(payload, kT + 2'500);
  BOOST_TEST(!outcome.accepted.has_value());
  BOOST_TEST(to_string(outcome.refusal) == "stale");
  BOOST_TEST(outcome.detail.find("before this server started") != std::string::npos);

  // A request signed after the start is accepted.
  const std::string fresh = sign_request(key, request, kT + 2'100, "edge1", random_nonce()).SerializeAsString();
  BOOST_TEST(second_run.verify(fresh, kT + 2'500).accepted.has_value());
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace tandem::control
