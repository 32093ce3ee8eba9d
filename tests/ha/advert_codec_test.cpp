// Tests for ha/advert/advert_codec.h: what the agent believes off the wire.
#include <boost/test/unit_test.hpp>

#include <random>
#include <set>
#include <string>
#include <variant>

#include "common/hmac.h"
#include "ha/advert/advert_codec.h"
#include "ha/advert/sequence_source.h"

namespace tandem::ha {
namespace {

const std::string kKey = "0123456789abcdef0123456789abcdef";
const std::string kOtherKey = "fedcba9876543210fedcba9876543210";

wire::Advert make_advert(std::string node, std::uint64_t sequence, std::uint64_t boot_id = 7) {
  wire::Advert a;
  a.set_node(std::move(node));
  a.set_instance_id("web");
  a.set_priority(150);
  a.set_state(wire::ADVERT_STATE_MASTER);
  a.set_advert_interval_ms(100);
  a.set_sequence(sequence);
  a.set_boot_id(boot_id);
  return a;
}

AdvertVerifier make_verifier() { return AdvertVerifier(kKey, "edge1", {"edge1", "edge2", "edge3"}); }

// Expects DATAGRAM to be dropped for REASON, counted once, and nothing else
// to change.
void expect_drop(AdvertVerifier& v, std::string_view datagram, DropReason reason) {
  const AdvertCounters before = v.counters();
  const auto peer_before = v.peer("edge2", "web");
  const auto result = v.verify(datagram);
  BOOST_REQUIRE(std::holds_alternative<DropReason>(result));
  BOOST_TEST(to_string(std::get<DropReason>(result)) == to_string(reason));
  BOOST_TEST(v.counters().dropped(reason) == before.dropped(reason) + 1);
  BOOST_TEST(v.counters().dropped_total() == before.dropped_total() + 1);
  BOOST_TEST(v.counters().accepted == before.accepted);
  const auto peer_after = v.peer("edge2", "web");
  BOOST_TEST(peer_before.has_value() == peer_after.has_value());
  if (peer_before && peer_after) BOOST_TEST(peer_before->sequence == peer_after->sequence);
}

std::string sign_raw(std::string body, std::string_view key) {
  wire::SignedAdvert s;
  const Digest mac = hmac_sha256(key, body);
  s.set_body(std::move(body));
  s.set_hmac(reinterpret_cast<const char*>(mac.data()), mac.size());
  return s.SerializeAsString();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(advert_codec)

BOOST_AUTO_TEST_CASE(round_trip_keeps_every_field) {
  wire::Advert sent = make_advert("edge2", 1'700'000'000'000'000);
  sent.set_priority(0);
  sent.set_state(wire::ADVERT_STATE_BACKUP);
  sent.set_successor("edge3");
  sent.set_advert_interval_ms(10);
  const std::string datagram = encode_advert(sent, kKey);
  BOOST_TEST(datagram.size() <= kMaxAdvertBytes);

  AdvertVerifier v = make_verifier();
  const auto result = v.verify(datagram);
  BOOST_REQUIRE(std::holds_alternative<wire::Advert>(result));
  const auto& got = std::get<wire::Advert>(result);
  BOOST_TEST(got.node() == "edge2");
  BOOST_TEST(got.instance_id() == "web");
  BOOST_TEST(got.priority() == 0u);
  BOOST_TEST(got.state() == wire::ADVERT_STATE_BACKUP);
  BOOST_TEST(got.advert_interval_ms() == 10u);
  BOOST_TEST(got.sequence() == 1'700'000'000'000'000u);
  BOOST_TEST(got.successor() == "edge3");
  BOOST_TEST(got.boot_id() == 7u);
  BOOST_TEST(v.counters().accepted == 1u);
  BOOST_TEST(v.counters().dropped_total() == 0u);
  BOOST_REQUIRE(v.peer("edge2", "web").has_value());
  BOOST_TEST(v.peer("edge2", "web")->sequence == 1'700'000'000'000'000u);
}

BOOST_AUTO_TEST_CASE(priority_255_and_ascending_sequences_accepted) {
  AdvertVerifier v = make_verifier();
  for (std::uint64_t seq = 10; seq < 20; ++seq) {
    wire::Advert a = make_advert("edge2", seq);
    a.set_priority(255);
    BOOST_TEST(std::holds_alternative<wire::Advert>(v.verify(encode_advert(a, kKey))));
  }
  BOOST_TEST(v.counters().accepted == 10u);
}

BOOST_AUTO_TEST_CASE(forged_with_wrong_key_dropped) {
  AdvertVerifier v = make_verifier();
  expect_drop(v, encode_advert(make_advert("edge2", 5), kOtherKey), DropReason::kBadSignature);
}

BOOST_AUTO_TEST_CASE(tampered_body_dropped) {
  // Flip each byte of the signed body in turn: the signature no longer holds
  // (or the outer message no longer parses).
  const std::string good = encode_advert(make_advert("edge2", 5), kKey);
  AdvertVerifier v = make_verifier();
  for (std::size_t i = 0; i < good.size(); ++i) {
    std::string bad = good;
    bad[i] = static_cast<char>(bad[i] ^ 0x01);
    const auto result = v.verify(bad);
    BOOST_REQUIRE(std::holds_alternative<DropReason>(result));
  }
  BOOST_TEST(v.counters().accepted == 0u);
  BOOST_TEST(v.counters().dropped_total() == good.size());
  BOOST_TEST(!v.peer("edge2", "web").has_value());
}

BOOST_AUTO_TEST_CASE(unsigned_dropped) {
  AdvertVerifier v = make_verifier();
  wire::SignedAdvert s;
  s.set_body(make_advert("edge2", 5).SerializeAsString());
  expect_drop(v, s.SerializeAsString(), DropReason::kUnsigned);
  // A bare Advert (no SignedAdvert wrapper) is not a signed advert either.
  const auto bare = v.verify(make_advert("edge2", 6).SerializeAsString());
  BOOST_TEST(std::holds_alternative<DropReason>(bare));
  expect_drop(v, "", DropReason::kUnsigned);
}

BOOST_AUTO_TEST_CASE(short_or_long_hmac_dropped) {
  AdvertVerifier v = make_verifier();
  const std::string body = make_advert("edge2", 5).SerializeAsString();
  const Digest mac = hmac_sha256(kKey, body);
  std::string full(reinterpret_cast<const char*>(mac.data()), mac.size());
  for (const std::string& hmac : {full.substr(0, 31), full + "x", full.substr(0, 1)}) {
    wire::SignedAdvert s;
    s.set_body(body);
    s.set_hmac(hmac);
    expect_drop(v, s.SerializeAsString(), DropReason::kBadSignature);
  }
}

BOOST_AUTO_TEST_CASE(every_truncation_dropped) {
  const std::string good = encode_advert(make_advert("edge2", 5), kKey);
  AdvertVerifier v = make_verifier();
  for (std::size_t len = 0; len < good.size(); ++len) {
    BOOST_TEST_CONTEXT("prefix length " << len) {
      const auto result = v.verify(std::string_view(good).substr(0, len));
      BOOST_REQUIRE(std::holds_alternative<DropReason>(result));
      const DropReason reason = std::get<DropReason>(result);
      BOOST_TEST((reason == DropReason::kMalformed || reason == DropReason::kUnsigned ||
                  reason == DropReason::kBadSignature));
    }
  }
  BOOST_TEST(v.counters().accepted == 0u);
  BOOST_TEST(v.counters().dropped_total() == good.size());
  BOOST_TEST(!v.peer("edge2", "web").has_value());
  // The whole datagram is still good afterwards: nothing was remembered.
  BOOST_TEST(std::holds_alternative<wire::Advert>(v.verify(good)));
}

BOOST_AUTO_TEST_CASE(random_bytes_dropped) {
  std::mt19937_64 rng(42);
  AdvertVerifier v = make_verifier();
  for (int i = 0; i < 20000; ++i) {
    std::string junk(rng() % 300, '\0');
    for (char& c : junk) c = static_cast<char>(rng());
    BOOST_REQUIRE(std::holds_alternative<DropReason>(v.verify(junk)));
  }
  BOOST_TEST(v.counters().accepted == 0u);
  BOOST_TEST(v.counters().dropped_total() == 20000u);
}

BOOST_AUTO_TEST_CASE(oversized_dropped) {
  AdvertVerifier v = make_verifier();
  wire::Advert a = make_advert("edge2", 5);
  a.set_instance_id(std::string(2000, 'i'));
  expect_drop(v, encode_advert(a, kKey), DropReason::kOversized);
  expect_drop(v, std::string(kMaxAdvertBytes + 1, '\0'), DropReason::kOversized);
}

BOOST_AUTO_TEST_CASE(signed_but_malformed_dropped) {
  AdvertVerifier v = make_verifier();
  // The body is signed correctly but is not an Advert.
  expect_drop(v, sign_raw("\xff\xff\xff", kKey), DropReason::kMalformed);
  // Well-formed protobuf, bad field values.
  auto mutate = [&](auto change) {
    wire::Advert a = make_advert("edge2", 5);
    change(a);
    BOOST_TEST(!advert_problem(a).empty());
    expect_drop(v, encode_advert(a, kKey), DropReason::kMalformed);
  };
  mutate([](wire::Advert& a) { a.clear_node(); });
  mutate([](wire::Advert& a) { a.clear_instance_id(); });
  mutate([](wire::Advert& a) { a.clear_sequence(); });
  mutate([](wire::Advert& a) { a.clear_boot_id(); });
  mutate([](wire::Advert& a) { a.set_advert_interval_ms(0); });
  mutate([](wire::Advert& a) { a.set_repeat_delay_us(a.advert_interval_ms() * 1000); });
  mutate([](wire::Advert& a) { a.set_priority(256); });
  mutate([](wire::Advert& a) { a.set_priority(0xffffffffu); });
  mutate([](wire::Advert& a) { a.set_state(wire::ADVERT_STATE_UNSPECIFIED); });
  mutate([](wire::Advert& a) { a.set_state(static_cast<wire::AdvertState>(42)); });
  mutate([](wire::Advert& a) { a.set_successor("edge3"); });  // priority 150
  mutate([](wire::Advert& a) {
    a.set_priority(0);
    a.set_successor("edge2");
  });
  BOOST_TEST(v.counters().accepted == 0u);
}

BOOST_AUTO_TEST_CASE(replayed_dropped) {
  AdvertVerifier v = make_verifier();
  const std::string first = encode_advert(make_advert("edge2", 1000), kKey);
  BOOST_TEST(std::holds_alternative<wire::Advert>(v.verify(first)));
  expect_drop(v, first, DropReason::kReplayed);                                    // same datagram
  expect_drop(v, encode_advert(make_advert("edge2", 999), kKey), DropReason::kReplayed);  // older
  BOOST_TEST(std::holds_alternative<wire::Advert>(
      v.verify(encode_advert(make_advert("edge2", 1001), kKey))));
  expect_drop(v, first, DropReason::kReplayed);
  // Sequences are per sender: edge3 starting lower is fine.
  BOOST_TEST(std::holds_alternative<wire::Advert>(
      v.verify(encode_advert(make_advert("edge3", 5), kKey))));
  BOOST_TEST(v.counters().replayed == 3u);
  BOOST_TEST(v.counters().accepted == 3u);
}

BOOST_AUTO_TEST_CASE(instances_crossing_on_the_wire_both_accepted) {
  // One sender, one SequenceSource, two instances: "db" (seq 11) overtakes
  // "web" (seq 10) on the wire. Both are fresh for their own stream.
  AdvertVerifier v = make_verifier();
  wire::Advert db = make_advert("edge2", 11);
  db.set_instance_id("db");
  BOOST_TEST(std::holds_alternative<wire::Advert>(v.verify(encode_advert(db, kKey))));
  BOOST_TEST(std::holds_alternative<wire::Advert>(
      v.verify(encode_advert(make_advert("edge2", 10), kKey))));
  expect_drop(v, encode_advert(db, kKey), DropReason::kReplayed);
  BOOST_TEST(v.peer("edge2", "db")->sequence == 11u);
  BOOST_TEST(v.peer("edge2", "web")->sequence == 10u);
}

BOOST_AUTO_TEST_CASE(restart_with_fresh_sequence_accepted_old_boot_replay_dropped) {
  // A sender's run 1 sends with its SequenceSource, restarts later with a new
  // boot_id; its new sequences are fresh, and replays of run 1 stay dropped.
  std::uint64_t now_us = 1'700'000'000'000'000;
  SequenceSource run1([&] { return now_us; });
  AdvertVerifier v = make_verifier();
  std::vector<std::string> captured;
  for (int i = 0; i < 50; ++i) {  // 50 adverts in the same microsecond: a burst
    captured.push_back(encode_advert(make_advert("edge2", run1.next(), /*boot_id=*/111), kKey));
    BOOST_TEST(std::holds_alternative<wire::Advert>(v.verify(captured.back())));
  }
  now_us += 2'000'000;  // restarted two seconds later
  SequenceSource run2([&] { return now_us; });
  const auto restarted = v.verify(encode_advert(make_advert("edge2", run2.next(), 222), kKey));
  BOOST_REQUIRE(std::holds_alternative<wire::Advert>(restarted));
  BOOST_TEST(v.peer("edge2", "web")->boot_id == 222u);
  BOOST_TEST(v.peer("edge2", "web")->restarts_seen == 1u);
  for (const std::string& old : captured) expect_drop(v, old, DropReason::kReplayed);
}

BOOST_AUTO_TEST_CASE(restart_with_clock_stepped_back_is_dropped_not_believed) {
  AdvertVerifier v = make_verifier();
  BOOST_TEST(std::holds_alternative<wire::Advert>(
      v.verify(encode_advert(make_advert("edge2", 5000, 111), kKey))));
  // A new boot whose sequence is not fresh cannot be told from a replay.
  expect_drop(v, encode_advert(make_advert("edge2", 4000, 222), kKey), DropReason::kReplayed);
  BOOST_TEST(v.peer("edge2", "web")->boot_id == 111u);
}

BOOST_AUTO_TEST_CASE(unknown_node_dropped) {
  AdvertVerifier v = make_verifier();
  expect_drop(v, encode_advert(make_advert("intruder", 5), kKey), DropReason::kUnknownNode);
  BOOST_TEST(!v.peer("intruder", "web").has_value());
}

BOOST_AUTO_TEST_CASE(own_advert_looped_back_dropped) {
  AdvertVerifier v = make_verifier();
  expect_drop(v, encode_advert(make_advert("edge1", 5), kKey), DropReason::kSelf);
  BOOST_TEST(!v.peer("edge1", "web").has_value());
  // Also when the node list given does not include this node.
  AdvertVerifier other(kKey, "edge1", {"edge2"});
  expect_drop(other, encode_advert(make_advert("edge1", 5), kKey), DropReason::kSelf);
}

BOOST_AUTO_TEST_CASE(drop_reason_names_are_distinct) {
  std::set<std::string_view> names;
  for (DropReason r : kAllDropReasons) names.insert(to_string(r));
  BOOST_TEST(names.size() == std::size(kAllDropReasons));
  BOOST_TEST(to_string(DropReason::kBadSignature) == "bad_signature");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(advert_sequence)

BOOST_AUTO_TEST_CASE(follows_clock_and_never_repeats) {
  std::uint64_t now_us = 1000;
  SequenceSource seq([&] { return now_us; });
  BOOST_TEST(seq.last() == 0u);
  BOOST_TEST(seq.next() == 1000u);
  BOOST_TEST(seq.next() == 1001u);  // clock stood still
  now_us = 5000;
  BOOST_TEST(seq.next() == 5000u);
  now_us = 10;  // clock stepped back
  BOOST_TEST(seq.next() == 5001u);
  BOOST_TEST(seq.last() == 5001u);
}

BOOST_AUTO_TEST_CASE(never_zero_even_with_a_zero_clock) {
  SequenceSource seq([] { return std::uint64_t{0}; });
  BOOST_TEST(seq.next() == 1u);
}

BOOST_AUTO_TEST_CASE(real_clock_is_plausible) {
  SequenceSource seq;
  const std::uint64_t first = seq.next();
  BOOST_TEST(first > 1'600'000'000'000'000u);  // after 2020
  BOOST_TEST(seq.next() > first);
  BOOST_TEST(new_boot_id() != 0u);
  BOOST_TEST(new_boot_id() != new_boot_id());
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace tandem::ha
