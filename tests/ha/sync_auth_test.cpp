// Peer-sync authentication (ha/sync/sync_auth.h): the handshake, per-frame
// MACs, and everything a hostile or confused peer may send.
#include <boost/test/unit_test.hpp>

#include <string>

#include "common/hmac.h"
#include "ha/sync/sync_auth.h"

namespace tandem::ha::sync {
namespace {

const std::string kKey = "0123456789abcdef0123456789abcdef";
const std::set<std::string> kAllowedByAcceptor = {"edge1"};
const std::set<std::string> kAllowedByDialer = {"edge2"};

std::string nonce(char c) { return std::string(kNonceBytes, c); }

// A dialer (edge1) and an acceptor (edge2), handshaken.
struct Pair {
  SyncAuth dialer{kKey, "c", "edge1", nonce('a'), true};
  SyncAuth acceptor{kKey, "c", "edge2", nonce('b'), false};
  Pair() {
    const auto hd = dialer.hello("edge2");
    const auto ha = acceptor.hello("");
    BOOST_REQUIRE(!acceptor.accept_hello(hd, kAllowedByAcceptor));
    BOOST_REQUIRE(!dialer.accept_hello(ha, kAllowedByDialer));
  }
};

wire::SyncMessage ack(std::uint64_t n) {
  wire::SyncMessage m;
  m.mutable_ack()->set_batch(n);
  return m;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(sync_auth)

BOOST_AUTO_TEST_CASE(handshake_then_frames_both_ways) {
  Pair p;
  BOOST_TEST(p.acceptor.peer() == "edge1");
  BOOST_TEST(p.dialer.peer() == "edge2");
  AuthError e{};
  for (std::uint64_t i = 1; i <= 3; ++i) {
    auto got = p.acceptor.open(p.dialer.seal(ack(i)), e);
    BOOST_REQUIRE(got.has_value());
    BOOST_TEST(got->ack().batch() == i);
    auto back = p.dialer.open(p.acceptor.seal(ack(i + 10)), e);
    BOOST_REQUIRE(back.has_value());
    BOOST_TEST(back->ack().batch() == i + 10);
  }
}

BOOST_AUTO_TEST_CASE(a_hello_under_another_key_is_refused) {
  SyncAuth forger{"another key, 32 bytes long......", "c", "edge1", nonce('x'), true};
  SyncAuth acceptor{kKey, "c", "edge2", nonce('b'), false};
  BOOST_TEST((acceptor.accept_hello(forger.hello("edge2"), kAllowedByAcceptor) == AuthError::kBadMac));
  BOOST_TEST(!acceptor.established());
}

BOOST_AUTO_TEST_CASE(garbage_and_wrong_kinds_are_malformed) {
  SyncAuth acceptor{kKey, "c", "edge2", nonce('b'), false};
  BOOST_TEST((acceptor.accept_hello("GET / HTTP/1.1\r\n\r\n", kAllowedByAcceptor) == AuthError::kMalformed));
  AuthError e{};
  BOOST_TEST(!acceptor.open("anything", e).has_value());  // no frame before the handshake
  BOOST_TEST((e == AuthError::kMalformed));
}

BOOST_AUTO_TEST_CASE(wrong_cluster_unknown_node_self_and_misaddressed_hellos_are_refused) {
  SyncAuth acceptor{kKey, "c", "edge2", nonce('b'), false};
  SyncAuth other_cluster{kKey, "d", "edge1", nonce('a'), true};
  BOOST_TEST((acceptor.accept_hello(other_cluster.hello("edge2"), kAllowedByAcceptor) == AuthError::kWrongCluster));
  SyncAuth stranger{kKey, "c", "edge9", nonce('a'), true};
  BOOST_TEST((acceptor.accept_hello(stranger.hello("edge2"), kAllowedByAcceptor) == AuthError::kUnknownPeer));
  SyncAuth self{kKey, "c", "edge2", nonce('a'), true};
  BOOST_TEST((acceptor.accept_hello(self.hello("edge2"), {"edge1", "edge2"}) == AuthError::kUnknownPeer));
  SyncAuth misaddressed{kKey, "c", "edge1", nonce('a'), true};
  BOOST_TEST((acceptor.accept_hello(misaddressed.hello("edge3"), kAllowedByAcceptor) == AuthError::kUnknownPeer));
}

BOOST_AUTO_TEST_CASE(a_replayed_stream_fails_on_its_first_frame) {
  // Record a whole session, then replay the dialer's side to a new acceptor.
  Pair p;
  const std::string hello = SyncAuth{kKey, "c", "edge1", nonce('a'), true}.hello("edge2");
  const std::string frame = p.dialer.seal(ack(1));
  SyncAuth fresh{kKey, "c", "edge2", nonce('c'), false};  // a new connection: a new nonce
  BOOST_TEST(!fresh.accept_hello(hello, kAllowedByAcceptor));  // the hello alone proves nothing...
  AuthError e{};
  BOOST_TEST(!fresh.open(frame, e).has_value());               // ...and nothing after it opens
  BOOST_TEST((e == AuthError::kBadMac));
}

BOOST_AUTO_TEST_CASE(a_repeated_reordered_or_reflected_frame_is_refused) {
  Pair p;
  AuthError e{};
  const auto f1 = p.dialer.seal(ack(1));
  const auto f2 = p.dialer.seal(ack(2));
  BOOST_TEST(!p.acceptor.open(f2, e).has_value());  // f2 before f1
  Pair q;
  const auto g1 = q.dialer.seal(ack(1));
  BOOST_TEST(q.acceptor.open(g1, e).has_value());
  BOOST_TEST(!q.acceptor.open(g1, e).has_value());  // g1 again
  Pair r;
  const auto h1 = r.dialer.seal(ack(1));
  BOOST_TEST(!r.dialer.open(h1, e).has_value());    // sent back to its sender
}

BOOST_AUTO_TEST_CASE(a_tampered_frame_is_refused) {
  Pair p;
  auto f = p.dialer.seal(ack(1));
  f[f.size() / 2] = static_cast<char>(f[f.size() / 2] ^ 1);
  AuthError e{};
  BOOST_TEST(!p.acceptor.open(f, e).has_value());
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace tandem::ha::sync
