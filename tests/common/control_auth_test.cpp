// Tests for common/control/auth.h: signing, verification, freshness and the
// replay window of the remote control endpoint.
#include <boost/test/unit_test.hpp>

#include "common/control/auth.h"
#include "common/hmac.h"

namespace tandem::control {
namespace {

const std::string kKey = "0123456789abcdef0123456789abcdef";
constexpr std::uint64_t kNow = 1'700'000'000'000;

wire::ControlRequest status_request() {
  wire::ControlRequest r;
  r.mutable_status()->set_with_proxy(true);
  return r;
}

std::string nonce(char c) { return std::string(16, c); }

BOOST_AUTO_TEST_SUITE(control_auth)

BOOST_AUTO_TEST_CASE(signed_request_is_accepted_once) {
  RequestVerifier v(kKey);
  const auto payload = sign_request(kKey, status_request(), kNow, nonce('a'), "test").SerializeAsString();
  auto first = v.verify(payload, kNow + 5);
  BOOST_REQUIRE(first.accepted);
  BOOST_TEST(first.accepted->request.status().with_proxy());
  BOOST_TEST(first.accepted->nonce == nonce('a'));
  auto again = v.verify(payload, kNow + 10);
  BOOST_TEST(!again.accepted);
  BOOST_TEST(to_string(again.refusal) == "replayed");
}

BOOST_AUTO_TEST_CASE(wrong_key_is_refused) {
  RequestVerifier v(kKey);
  const auto payload =
      sign_request("another key of enough length!!", status_request(), kNow, nonce('b')).SerializeAsString();
  auto out = v.verify(payload, kNow);
  BOOST_TEST(!out.accepted);
  BOOST_TEST(to_string(out.refusal) == "bad_signature");
}

BOOST_AUTO_TEST_CASE(tampered_fields_are_refused) {
  RequestVerifier v(kKey);
  auto signed_request = sign_request(kKey, status_request(), kNow, nonce('c'));
  {
    auto t = signed_request;
    wire::ControlRequest other;
    other.mutable_switchover()->set_to("edge3");
    t.set_request(other.SerializeAsString());
    BOOST_TEST(to_string(v.verify(t.SerializeAsString(), kNow).refusal) == "bad_signature");
  }
  {
    auto t = signed_request;
    t.set_unix_ms(kNow + 1);
    BOOST_TEST(to_string(v.verify(t.SerializeAsString(), kNow).refusal) == "bad_signature");
  }
  {
    auto t = signed_request;
    t.set_nonce(nonce('d'));
    BOOST_TEST(to_string(v.verify(t.SerializeAsString(), kNow).refusal) == "bad_signature");
  }
  // The client name is for logs only and not signed.
  auto t = signed_request;
  t.set_client("someone else");
  BOOST_TEST(v.verify(t.SerializeAsString(), kNow).accepted.has_value());
}

BOOST_AUTO_TEST_CASE(freshness_window_is_thirty_seconds_either_way) {
  RequestVerifier v(kKey);
  auto at = [&](std::uint64_t client_ms, char n) {
    return v.verify(sign_request(kKey, status_request(), client_ms, nonce(n)).SerializeAsString(), kNow);
  };
  BOOST_TEST(at(kNow - kFreshnessMs, 'e').accepted.has_value());
  BOOST_TEST(at(kNow + kFreshnessMs, 'f').accepted.has_value());
  BOOST_TEST(to_string(at(kNow - kFreshnessMs - 1, 'g').refusal) == "stale");
  BOOST_TEST(to_string(at(kNow + kFreshnessMs + 1, 'h').refusal) == "stale");
}

BOOST_AUTO_TEST_CASE(malformed_and_bad_nonces_are_refused) {
  RequestVerifier v(kKey);
  BOOST_TEST(to_string(v.verify(std::string("\xff\xff\xff", 3), kNow).refusal) == "malformed");
  auto short_nonce = sign_request(kKey, status_request(), kNow, "1234567");
  BOOST_TEST(to_string(v.verify(short_nonce.SerializeAsString(), kNow).refusal) == "bad_nonce");
  // Signed garbage (a key holder's bug) is malformed, after the signature.
  wire::SignedRequest garbage;
  garbage.set_request(std::string("\xff\xff", 2));
  garbage.set_unix_ms(kNow);
  garbage.set_nonce(nonce('i'));
  const auto d = hmac_sha256(kKey, request_signing_bytes(garbage.request(), kNow, garbage.nonce()));
  garbage.set_hmac(std::string(reinterpret_cast<const char*>(d.data()), d.size()));
  BOOST_TEST(to_string(v.verify(garbage.SerializeAsString(), kNow).refusal) == "malformed");
}

BOOST_AUTO_TEST_CASE(replay_window_forgets_only_what_can_no_longer_pass) {
  ReplayWindow w(3);
  BOOST_TEST(*w.admit("n1", kNow, kNow) == true);
  BOOST_TEST(*w.admit("n1", kNow, kNow + kFreshnessMs) == false);  // still fresh: refused
  BOOST_TEST(*w.admit("n2", kNow, kNow));
  BOOST_TEST(*w.admit("n3", kNow, kNow));
  BOOST_TEST(!w.admit("n4", kNow, kNow).has_value());  // full: busy, nothing forgotten
  BOOST_TEST(*w.admit("n1", kNow, kNow + kFreshnessMs + 1) == true);  // stale by now: forgotten
  BOOST_TEST(w.size() == 1u);
}

BOOST_AUTO_TEST_CASE(response_is_bound_to_the_request_nonce) {
  wire::ControlResponse r;
  r.mutable_status()->set_node("edge1");
  const auto signed_response = sign_response(kKey, r, nonce('j'));
  std::string error;
  auto opened = open_response(kKey, signed_response, nonce('j'), error);
  BOOST_REQUIRE(opened);
  BOOST_TEST(opened->status().node() == "edge1");
  BOOST_TEST(!open_response(kKey, signed_response, nonce('k'), error));
  BOOST_TEST(!open_response("a different key, long enough", signed_response, nonce('j'), error));
  wire::SignedResponse refused;
  refused.set_refused("bad_signature");
  BOOST_TEST(!open_response(kKey, refused, nonce('j'), error));
  BOOST_TEST(error == "refused: bad_signature");
}

BOOST_AUTO_TEST_CASE(request_cannot_pass_as_response) {
  // The domains differ: a signed request's bytes do not verify as a response.
  const auto req = sign_request(kKey, status_request(), kNow, nonce('l'));
  wire::SignedResponse forged;
  forged.set_response(req.request());
  forged.set_hmac(req.hmac());
  std::string error;
  BOOST_TEST(!open_response(kKey, forged, nonce('l'), error));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace tandem::control
