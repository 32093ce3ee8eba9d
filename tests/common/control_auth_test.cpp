// Tests for common/control/auth.h: signing, verification, freshness and the
// replay window of the remote control endpoint.
#include <boost/test/unit_test.hpp>

#include "common/control/auth.h"
#include "common/hmac.h"

namespace tandem::control {
namespace {

const std::string kKey = "0123456789abcdef0123456789abcdef";
const std::string kNode = "edge1";
constexpr std::uint64_t kNow = 1'700'000'000'000;

wire::ControlRequest status_request() {
  wire::ControlRequest r;
  r.mutable_status()->set_with_proxy(true);
  return r;
}

std::string nonce(char c) { return std::string(16, c); }

BOOST_AUTO_TEST_SUITE(control_auth)

BOOST_AUTO_TEST_CASE(signed_request_is_accepted_once) {
  RequestVerifier v(KeyRing{kKey, {}}, kNode);
  const auto payload = sign_request(kKey, status_request(), kNow, kNode, nonce('a'), "test").SerializeAsString();
  auto first = v.verify(payload, kNow + 5);
  BOOST_REQUIRE(first.accepted);
  BOOST_TEST(first.accepted->request.status().with_proxy());
  BOOST_TEST(first.accepted->nonce == nonce('a'));
  auto again = v.verify(payload, kNow + 10);
  BOOST_TEST(!again.accepted);
  BOOST_TEST(to_string(again.refusal) == "replayed");
}

BOOST_AUTO_TEST_CASE(wrong_key_is_refused) {
  RequestVerifier v(KeyRing{kKey, {}}, kNode);
  const auto payload =
      sign_request("another key of enough length!!", status_request(), kNow, kNode, nonce('b')).SerializeAsString();
  auto out = v.verify(payload, kNow);
  BOOST_TEST(!out.accepted);
  BOOST_TEST(to_string(out.refusal) == "bad_signature");
}

BOOST_AUTO_TEST_CASE(tampered_fields_are_refused) {
  RequestVerifier v(KeyRing{kKey, {}}, kNode);
  auto signed_request = sign_request(kKey, status_request(), kNow, kNode, nonce('c'));
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
  RequestVerifier v(KeyRing{kKey, {}}, kNode);
  auto at = [&](std::uint64_t client_ms, char n) {
    return v.verify(sign_request(kKey, status_request(), client_ms, kNode, nonce(n)).SerializeAsString(), kNow);
  };
  BOOST_TEST(at(kNow - kFreshnessMs, 'e').accepted.has_value());
  BOOST_TEST(at(kNow + kFreshnessMs, 'f').accepted.has_value());
  BOOST_TEST(to_string(at(kNow - kFreshnessMs - 1, 'g').refusal) == "stale");
  BOOST_TEST(to_string(at(kNow + kFreshnessMs + 1, 'h').refusal) == "stale");
}

BOOST_AUTO_TEST_CASE(malformed_and_bad_nonces_are_refused) {
  RequestVerifier v(KeyRing{kKey, {}}, kNode);
  BOOST_TEST(to_string(v.verify(std::string("\xff\xff\xff", 3), kNow).refusal) == "malformed");
  auto short_nonce = sign_request(kKey, status_request(), kNow, kNode, "1234567");
  BOOST_TEST(to_string(v.verify(short_nonce.SerializeAsString(), kNow).refusal) == "bad_nonce");
  // Signed garbage (a key holder's bug) is malformed, after the signature.
  wire::SignedRequest garbage;
  garbage.set_request(std::string("\xff\xff", 2));
  garbage.set_unix_ms(kNow);
  garbage.set_nonce(nonce('i'));
  garbage.set_node(kNode);
  const auto d = hmac_sha256(kKey, request_signing_bytes(garbage.request(), kNow, kNode, garbage.nonce()));
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
  const auto signed_response = sign_response(kKey, r, kNode, nonce('j'));
  std::string error;
  auto opened = open_response(KeyRing{kKey, {}}, signed_response, kNode, nonce('j'), error);
  BOOST_REQUIRE(opened);
  BOOST_TEST(opened->response.status().node() == "edge1");
  BOOST_TEST(!open_response(KeyRing{kKey, {}}, signed_response, kNode, nonce('k'), error));
  BOOST_TEST(!open_response(KeyRing{"a different key, long enough", {}}, signed_response, kNode, nonce('j'), error));
  wire::SignedResponse refused;
  refused.set_refused("bad_signature");
  BOOST_TEST(!open_response(KeyRing{kKey, {}}, refused, kNode, nonce('j'), error));
  BOOST_TEST(error == "refused: bad_signature");
}

BOOST_AUTO_TEST_CASE(request_cannot_pass_as_response) {
  // The domains differ: a signed request's bytes do not verify as a response.
  const auto req = sign_request(kKey, status_request(), kNow, kNode, nonce('l'));
  wire::SignedResponse forged;
  forged.set_response(req.request());
  forged.set_hmac(req.hmac());
  std::string error;
  BOOST_TEST(!open_response(KeyRing{kKey, {}}, forged, kNode, nonce('l'), error));
}

BOOST_AUTO_TEST_CASE(request_captured_for_one_node_is_refused_by_another) {
  // Issue 10 item 1: the bytes lbctl sent to edge1, replayed to edge2 and
  // edge3 (each with its own nonce window), are refused there.
  RequestVerifier edge1(KeyRing{kKey, {}}, "edge1");
  RequestVerifier edge2(KeyRing{kKey, {}}, "edge2");
  RequestVerifier edge3(KeyRing{kKey, {}}, "edge3");
  wire::ControlRequest disable;
  auto* ss = disable.mutable_server_state();
  ss->set_pool("web");
  ss->set_server("backend1");
  ss->set_state(wire::SERVER_ADMIN_MAINTENANCE);
  const auto captured = sign_request(kKey, disable, kNow, "edge1", nonce('m'), "lbctl").SerializeAsString();
  BOOST_TEST(edge1.verify(captured, kNow).accepted.has_value());
  const auto at2 = edge2.verify(captured, kNow + 100);
  BOOST_TEST(!at2.accepted);
  BOOST_TEST(to_string(at2.refusal) == "wrong_node");
  BOOST_TEST(to_string(edge3.verify(captured, kNow + 100).refusal) == "wrong_node");
  // Rewriting the node field breaks the signature.
  wire::SignedRequest rewritten;
  BOOST_REQUIRE(rewritten.ParseFromString(captured));
  rewritten.set_node("edge2");
  BOOST_TEST(to_string(edge2.verify(rewritten.SerializeAsString(), kNow + 100).refusal) == "bad_signature");
  // A refused replay costs the window nothing: edge2 still takes a fresh
  // request with that nonce addressed to it.
  const auto own = sign_request(kKey, disable, kNow, "edge2", nonce('m')).SerializeAsString();
  BOOST_TEST(edge2.verify(own, kNow + 200).accepted.has_value());
}

BOOST_AUTO_TEST_CASE(response_is_bound_to_the_answering_node) {
  wire::ControlResponse r;
  r.mutable_status()->set_node("edge2");
  const auto from_edge2 = sign_response(kKey, r, "edge2", nonce('n'));
  std::string error;
  // Asked edge1, answered by edge2 (an address taken over, a proxy in the middle): refused.
  BOOST_TEST(!open_response(KeyRing{kKey, {}}, from_edge2, "edge1", nonce('n'), error));
  BOOST_TEST(error.find("edge1") != std::string::npos);
  BOOST_TEST(open_response(KeyRing{kKey, {}}, from_edge2, "edge2", nonce('n'), error).has_value());
}

BOOST_AUTO_TEST_CASE(key_ring_accepts_both_keys_and_says_which) {
  const std::string next = "the-next-cluster-key-0123456789ab";
  RequestVerifier rotating(KeyRing{kKey, next}, kNode);
  const auto old_signed = rotating.verify(sign_request(kKey, status_request(), kNow, kNode, nonce('o')).SerializeAsString(), kNow);
  BOOST_REQUIRE(old_signed.accepted);
  BOOST_TEST(old_signed.accepted->key_index == 0);
  const auto new_signed = rotating.verify(sign_request(next, status_request(), kNow, kNode, nonce('p')).SerializeAsString(), kNow);
  BOOST_REQUIRE(new_signed.accepted);
  BOOST_TEST(new_signed.accepted->key_index == 1);
  // A node that knows only the old key refuses the new one.
  RequestVerifier old_only(KeyRing{kKey, {}}, kNode);
  BOOST_TEST(to_string(old_only.verify(sign_request(next, status_request(), kNow, kNode, nonce('q')).SerializeAsString(), kNow).refusal) ==
             "bad_signature");
  // The client learns which key the answer was signed with.
  wire::ControlResponse r;
  std::string error;
  const auto opened = open_response(KeyRing{next, kKey}, sign_response(kKey, r, kNode, nonce('r')), kNode, nonce('r'), error);
  BOOST_REQUIRE(opened);
  BOOST_TEST(opened->key_index == 1);
  BOOST_TEST(key_fingerprint(kKey) != key_fingerprint(next));
  BOOST_TEST(key_fingerprint(kKey).size() == 12u);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace tandem::control
