// Key rotation (common/key_ring.h, docs/security.md) on the agent's
// channels: adverts and the sync hello verify under either key of a node's
// ring, so nodes can switch their signing key one at a time.
#include <boost/test/unit_test.hpp>

#include "ha/advert/advert_codec.h"
#include "ha/sync/sync_auth.h"

namespace tandem::ha {
namespace {

const std::string kOld = "old-cluster-key-0123456789abcdef";
const std::string kNew = "new-cluster-key-0123456789abcdef";

wire::Advert advert(std::uint64_t sequence) {
  wire::Advert a;
  a.set_node("edge2");
  a.set_instance_id("web");
  a.set_priority(150);
  a.set_state(wire::ADVERT_STATE_MASTER);
  a.set_advert_interval_ms(100);
  a.set_sequence(sequence);
  a.set_boot_id(7);
  return a;
}

std::string nonce(char c) { return std::string(sync::kNonceBytes, c); }

BOOST_AUTO_TEST_SUITE(key_rotation)

BOOST_AUTO_TEST_CASE(adverts_under_either_key_are_believed_during_a_rotation) {
  AdvertVerifier v(kOld, "edge1", {"edge1", "edge2"});
  BOOST_TEST(std::holds_alternative<DropReason>(v.verify(encode_advert(advert(1), kNew))));
  v.set_keys(KeyRing{kOld, kNew});
  BOOST_TEST(std::holds_alternative<wire::Advert>(v.verify(encode_advert(advert(2), kNew))));
  BOOST_TEST(std::holds_alternative<wire::Advert>(v.verify(encode_advert(advert(3), kOld))));
  // Rotation finished: the old key is refused.
  v.set_keys(KeyRing{kNew, {}});
  const auto r = v.verify(encode_advert(advert(4), kOld));
  BOOST_REQUIRE(std::holds_alternative<DropReason>(r));
  BOOST_TEST(to_string(std::get<DropReason>(r)) == "bad_signature");
}

BOOST_AUTO_TEST_CASE(sync_peers_signing_with_different_keys_still_talk) {
  // edge1 already signs with the new key; edge2 still with the old one;
  // each accepts the other key.
  sync::SyncAuth dialer{kNew, "c", "edge1", nonce('a'), true};
  sync::SyncAuth acceptor{kOld, "c", "edge2", nonce('b'), false};
  dialer.accept_also(kOld);
  acceptor.accept_also(kNew);
  const auto hd = dialer.hello("edge2");
  const auto ha = acceptor.hello("");
  BOOST_REQUIRE(!acceptor.accept_hello(hd, {"edge1"}));
  BOOST_REQUIRE(!dialer.accept_hello(ha, {"edge2"}));
  wire::SyncMessage m;
  m.mutable_ack()->set_batch(5);
  sync::AuthError e{};
  auto there = acceptor.open(dialer.seal(m), e);
  BOOST_REQUIRE(there.has_value());
  BOOST_TEST(there->ack().batch() == 5u);
  auto back = dialer.open(acceptor.seal(m), e);
  BOOST_REQUIRE(back.has_value());
}

BOOST_AUTO_TEST_CASE(sync_peer_without_the_other_key_refuses) {
  sync::SyncAuth dialer{kNew, "c", "edge1", nonce('a'), true};
  sync::SyncAuth acceptor{kOld, "c", "edge2", nonce('b'), false};
  BOOST_TEST((acceptor.accept_hello(dialer.hello("edge2"), {"edge1"}) == sync::AuthError::kBadMac));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace tandem::ha
