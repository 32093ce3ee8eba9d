// Encryption of peer-sync frames (ha/sync/frame_cipher.h, and SyncAuth's use
// of it): what a capture shows, and tampered, replayed, reordered frames.
#include <boost/test/unit_test.hpp>

#include <string>

#include "common/hmac.h"
#include "ha/sync/frame_cipher.h"
#include "ha/sync/sync_auth.h"

namespace tandem::ha::sync {
namespace {

const std::string kKey = "0123456789abcdef0123456789abcdef";
const std::string kCookie = "SID=backend2-7f3a9c0e5d";

std::string nonce(char c) { return std::string(kNonceBytes, c); }

struct Pair {
  SyncAuth dialer{kKey, "c", "edge1", nonce('a'), true};
  SyncAuth acceptor{kKey, "c", "edge2", nonce('b'), false};
  Pair() {
    BOOST_REQUIRE(!acceptor.accept_hello(dialer.hello("edge2"), {"edge1"}));
    BOOST_REQUIRE(!dialer.accept_hello(acceptor.hello(""), {"edge2"}));
  }
};

wire::SyncMessage entry(const std::string& key) {
  wire::SyncMessage m;
  auto* e = m.mutable_stick()->add_entries();
  e->set_pool("app");
  e->set_key(key);
  e->set_server("backend2");
  m.set_batch(1);
  return m;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(sync_frame_cipher)

BOOST_AUTO_TEST_CASE(hkdf_matches_rfc5869_test_case_1) {
  const std::string ikm(22, '\x0b');
  std::string salt, info;
  for (int i = 0; i <= 0x0c; ++i) salt.push_back(static_cast<char>(i));
  for (int i = 0xf0; i <= 0xf9; ++i) info.push_back(static_cast<char>(i));
  const std::string okm = hkdf_sha256(ikm, salt, info, 42);
  static const char* hex = "0123456789abcdef";
  std::string text;
  for (unsigned char c : okm) text += std::string{hex[c >> 4], hex[c & 15]};
  BOOST_TEST(text ==
             "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
}

BOOST_AUTO_TEST_CASE(a_sealed_frame_hides_the_key_and_opens_once_in_order) {
  Pair p;
  const auto frame = p.dialer.seal(entry(kCookie));
  BOOST_TEST(frame.find("backend2-7f3a9c0e5d") == std::string::npos);
  BOOST_TEST(frame.find("backend2") == std::string::npos);
  AuthError e{};
  auto got = p.acceptor.open(frame, e);
  BOOST_REQUIRE(got.has_value());
  BOOST_TEST(got->stick().entries(0).key() == kCookie);
  BOOST_TEST(!p.acceptor.open(frame, e).has_value());  // replayed
  BOOST_TEST((e == AuthError::kBadMac));
}

BOOST_AUTO_TEST_CASE(every_flipped_bit_of_the_ciphertext_is_refused) {
  const FrameCipher c(std::string(kCipherKeyBytes, 'k'));
  const auto sealed = c.seal(7, "a session cookie value");
  BOOST_REQUIRE(c.open(7, sealed).has_value());
  for (std::size_t i = 0; i < sealed.size(); ++i) {
    auto bad = sealed;
    bad[i] = static_cast<char>(bad[i] ^ 0x01);
    BOOST_TEST(!c.open(7, bad).has_value(), "byte " << i);
  }
  BOOST_TEST(!c.open(7, sealed.substr(0, sealed.size() - 1)).has_value());  // truncated
  BOOST_TEST(!c.open(7, "").has_value());
}

BOOST_AUTO_TEST_CASE(another_counter_or_key_does_not_open) {
  const FrameCipher c(std::string(kCipherKeyBytes, 'k'));
  const FrameCipher other(std::string(kCipherKeyBytes, 'j'));
  const auto sealed = c.seal(7, "x");
  BOOST_TEST(!c.open(6, sealed).has_value());
  BOOST_TEST(!c.open(8, sealed).has_value());
  BOOST_TEST(!other.open(7, sealed).has_value());
  BOOST_TEST(c.seal(7, "x") == sealed);  // deterministic: the counter must never repeat
  BOOST_TEST(c.seal(8, "x") != sealed);
}

BOOST_AUTO_TEST_CASE(reordered_tampered_and_reflected_frames_are_refused_by_the_session) {
  Pair p;
  const auto f1 = p.dialer.seal(entry("k1"));
  const auto f2 = p.dialer.seal(entry("k2"));
  AuthError e{};
  BOOST_TEST(!p.acceptor.open(f2, e).has_value());  // f2 before f1
  BOOST_TEST((e == AuthError::kBadMac));
  Pair q;
  auto g1 = q.dialer.seal(entry("k1"));
  g1[g1.size() - 3] = static_cast<char>(g1[g1.size() - 3] ^ 0x40);  // inside the tag
  BOOST_TEST(!q.acceptor.open(g1, e).has_value());
  Pair r;
  const auto h1 = r.dialer.seal(entry("k1"));
  BOOST_TEST(!r.dialer.open(h1, e).has_value());  // reflected to its sender
  BOOST_TEST(r.acceptor.open(h1, e).has_value());  // the real receiver still opens it
}

BOOST_AUTO_TEST_CASE(a_version_1_hello_is_refused) {
  // A v1 node would send its frames in clear: its (validly signed) hello is refused.
  wire::SyncHello hello;
  hello.set_version(1);
  hello.set_cluster("c");
  hello.set_node("edge1");
  hello.set_to("edge2");
  hello.set_nonce(nonce('a'));
  wire::SyncFrame frame;
  frame.set_hello(hello.SerializeAsString());
  const auto mac = hmac_sha256(kKey, "tandem-sync-hello/1" + frame.hello());
  frame.set_mac(std::string(reinterpret_cast<const char*>(mac.data()), mac.size()));
  SyncAuth acceptor{kKey, "c", "edge2", nonce('b'), false};
  BOOST_TEST((acceptor.accept_hello(frame.SerializeAsString(), {"edge1"}) == AuthError::kBadVersion));
  hello.set_version(2);  // the same hello at version 2 passes: only the version was wrong
  frame.set_hello(hello.SerializeAsString());
  const auto mac2 = hmac_sha256(kKey, "tandem-sync-hello/1" + frame.hello());
  frame.set_mac(std::string(reinterpret_cast<const char*>(mac2.data()), mac2.size()));
  BOOST_TEST(!acceptor.accept_hello(frame.SerializeAsString(), {"edge1"}));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace tandem::ha::sync
