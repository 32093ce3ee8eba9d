// Tests for the replay defences of ha/advert/advert_codec.h: the clock
// bound, the source address check and the sequences restored after a
// restart (issue 9 part 2).
#include <boost/test/unit_test.hpp>

#include <string>
#include <variant>

#include "ha/advert/advert_codec.h"

namespace tandem::ha {
namespace {

using boost::asio::ip::make_address;

const std::string kKey = "0123456789abcdef0123456789abcdef";
constexpr std::uint64_t kNow = 1'765'000'000'000'000;  // µs since the epoch
constexpr std::uint64_t kBound = 2'000'000;            // 2 s

wire::Advert advert(std::string node, std::uint64_t sequence, std::string instance = "www") {
  wire::Advert a;
  a.set_node(std::move(node));
  a.set_instance_id(std::move(instance));
  a.set_priority(200);
  a.set_state(wire::ADVERT_STATE_MASTER);
  a.set_advert_interval_ms(100);
  a.set_sequence(sequence);
  a.set_boot_id(42);
  return a;
}

struct Fixture {
  std::uint64_t now = kNow;
  AdvertVerifier verifier{kKey, "edge3", {"edge1", "edge2", "edge3"}, checks()};

  AdvertChecks checks() {
    AdvertChecks c;
    c.node_addresses = {{"edge1", make_address("198.18.0.11")},
                        {"edge2", make_address("198.18.0.12")},
                        {"edge3", make_address("198.18.0.13")}};
    c.max_clock_skew_us = kBound;
    c.clock = [this]() { return now; };
    return c;
  }

  std::variant<wire::Advert, DropReason> send(const wire::Advert& a, const char* from = "198.18.0.11") {
    return verifier.verify(encode_advert(a, kKey), make_address(from));
  }
};

bool accepted(const std::variant<wire::Advert, DropReason>& r) { return std::holds_alternative<wire::Advert>(r); }

std::string reason(const std::variant<wire::Advert, DropReason>& r) {
  return accepted(r) ? "accepted" : std::string(to_string(std::get<DropReason>(r)));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(advert_replay_guard)

BOOST_AUTO_TEST_CASE(clock_bound_is_inclusive_both_ways) {
  BOOST_TEST(within_clock_bound(kNow, kNow, kBound));
  BOOST_TEST(within_clock_bound(kNow - kBound, kNow, kBound));
  BOOST_TEST(within_clock_bound(kNow + kBound, kNow, kBound));
  BOOST_TEST(!within_clock_bound(kNow - kBound - 1, kNow, kBound));
  BOOST_TEST(!within_clock_bound(kNow + kBound + 1, kNow, kBound));
  BOOST_TEST(!within_clock_bound(1, kNow, kBound));
  BOOST_TEST(!within_clock_bound(UINT64_MAX, kNow, kBound));
  BOOST_TEST(within_clock_bound(5, 3, kBound));  // no underflow near 0
}

BOOST_AUTO_TEST_CASE(fresh_advert_accepted_and_old_or_future_ones_dropped) {
  Fixture f;
  BOOST_TEST(reason(f.send(advert("edge1", kNow - 1'000))) == "accepted");
  // Older than the bound: a capture replayed later. Counted, state unchanged.
  BOOST_TEST(reason(f.send(advert("edge1", kNow - kBound - 1))) == "replayed");  // also below the last one
  BOOST_TEST(reason(f.send(advert("edge2", kNow - kBound - 1), "198.18.0.12")) == "clock_skew");
  BOOST_TEST(!f.verifier.peer("edge2", "www").has_value());
  // From the future (a sender whose clock ran ahead): accepting it would make
  // its honest adverts look replayed afterwards.
  BOOST_TEST(reason(f.send(advert("edge2", kNow + kBound + 1), "198.18.0.12")) == "clock_skew");
  BOOST_TEST(reason(f.send(advert("edge2", kNow + kBound), "198.18.0.12")) == "accepted");
  BOOST_TEST(f.verifier.counters().clock_skew == 2u);
  BOOST_TEST(f.verifier.counters().accepted == 2u);
}

BOOST_AUTO_TEST_CASE(capture_replayed_at_original_pace_after_the_bound_is_all_dropped) {
  // A receiver that remembers nothing (fresh start) gets 12 s of captured
  // adverts, replayed at their pace starting 3 s after the last one was sent.
  Fixture f;
  const std::uint64_t first = kNow - 12'000'000;
  f.now = kNow + 3'000'000;
  for (std::uint64_t seq = first; seq <= kNow; seq += 100'000) {
    BOOST_TEST(reason(f.send(advert("edge1", seq))) == "clock_skew");
    f.now += 100'000;
  }
  BOOST_TEST(f.verifier.counters().accepted == 0u);
  BOOST_TEST(!f.verifier.peer("edge1", "www").has_value());
}

BOOST_AUTO_TEST_CASE(source_must_be_the_named_nodes_address) {
  Fixture f;
  BOOST_TEST(reason(f.send(advert("edge1", kNow), "198.18.0.12")) == "wrong_source");
  BOOST_TEST(reason(f.send(advert("edge1", kNow), "198.18.0.200")) == "wrong_source");
  BOOST_TEST(!f.verifier.peer("edge1", "www").has_value());
  BOOST_TEST(f.verifier.counters().wrong_source == 2u);
  // The same advert from the right address (IPv4-mapped, as an IPv6 socket
  // reports it, counts as the same address).
  BOOST_TEST(reason(f.send(advert("edge1", kNow), "::ffff:198.18.0.11")) == "accepted");
  BOOST_TEST(reason(f.send(advert("edge1", kNow + 1), "198.18.0.11")) == "accepted");
}

BOOST_AUTO_TEST_CASE(without_source_or_bound_the_old_rules_apply) {
  AdvertVerifier v(kKey, "edge3", {"edge1", "edge2", "edge3"});
  BOOST_TEST(reason(v.verify(encode_advert(advert("edge1", 5), kKey), make_address("198.18.0.99"))) == "accepted");
  BOOST_TEST(reason(v.verify(encode_advert(advert("edge1", 5), kKey))) == "replayed");
}

BOOST_AUTO_TEST_CASE(restored_sequence_refuses_older_adverts_after_restart) {
  // The run before the restart accepted edge1's adverts up to kNow - 1 s
  // (edge1 then died); the file kept that. The new run restores it.
  Fixture f;
  f.verifier.restore("edge1", "www", kNow - 1'000'000);
  for (std::uint64_t seq = kNow - 1'900'000; seq <= kNow - 1'000'000; seq += 100'000)
    BOOST_TEST(reason(f.send(advert("edge1", seq))) == "replayed");
  // Another instance's stream is its own.
  BOOST_TEST(reason(f.send(advert("edge1", kNow - 1'500'000, "db"))) == "accepted");
  // A newer advert (edge1 is back) is accepted, and is not counted as a
  // restart of edge1: no run of it was seen before.
  BOOST_TEST(reason(f.send(advert("edge1", kNow))) == "accepted");
  BOOST_TEST(f.verifier.peer("edge1", "www")->restarts_seen == 0u);
  BOOST_TEST(f.verifier.peer("edge1", "www")->sequence == kNow);
}

BOOST_AUTO_TEST_CASE(restore_never_lowers_what_was_accepted) {
  Fixture f;
  BOOST_TEST(accepted(f.send(advert("edge1", kNow))));
  f.verifier.restore("edge1", "www", kNow - 5);
  BOOST_TEST(f.verifier.peer("edge1", "www")->sequence == kNow);
  BOOST_TEST(reason(f.send(advert("edge1", kNow - 1))) == "replayed");
}

BOOST_AUTO_TEST_CASE(drop_reasons_have_metric_names) {
  BOOST_TEST(to_string(DropReason::kWrongSource) == "wrong_source");
  BOOST_TEST(to_string(DropReason::kClockSkew) == "clock_skew");
  AdvertCounters c;
  c.wrong_source = 3;
  c.clock_skew = 4;
  BOOST_TEST(c.dropped(DropReason::kWrongSource) == 3u);
  BOOST_TEST(c.dropped(DropReason::kClockSkew) == 4u);
  BOOST_TEST(c.dropped_total() == 7u);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace tandem::ha
