// The stick-table merge rule (incoming_wins) and StickTable::apply().
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <string>

#include "lb/stick/stick_table.h"

namespace tandem::lb {
namespace {

using namespace std::chrono_literals;
const TimePoint t0 = TimePoint{} + 1h;

wire::StickEntry entry(const std::string& key, const std::string& server, std::uint32_t ttl_ms,
                       const std::string& origin, std::uint64_t version = 1,
                       bool removed = false) {
  wire::StickEntry e;
  e.set_pool("web");
  e.set_key(key);
  e.set_server(server);
  e.set_ttl_remaining_ms(ttl_ms);
  e.set_origin(origin);
  e.set_version(version);
  e.set_removed(removed);
  return e;
}

StickTableOptions opts(std::size_t max_entries = 100) {
  StickTableOptions o;
  o.pool = "web";
  o.node = "lb1";
  o.ttl = 1000ms;
  o.max_entries = max_entries;
  o.max_pending_changes = 100;
  return o;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(stick_merge)

BOOST_AUTO_TEST_CASE(rule_more_remaining_life_wins) {
  const StickVersion existing{t0 + 500ms, "lb1", 7};
  BOOST_TEST(incoming_wins(existing, entry("k", "s", 501, "lb0"), t0));
  BOOST_TEST(!incoming_wins(existing, entry("k", "s", 499, "lb9"), t0));
}

BOOST_AUTO_TEST_CASE(rule_tie_goes_to_higher_origin_then_version) {
  const StickVersion existing{t0 + 500ms, "lb2", 7};
  BOOST_TEST(incoming_wins(existing, entry("k", "s", 500, "lb3"), t0));
  BOOST_TEST(!incoming_wins(existing, entry("k", "s", 500, "lb1"), t0));
  BOOST_TEST(incoming_wins(existing, entry("k", "s", 500, "lb2", 8), t0));
  BOOST_TEST(!incoming_wins(existing, entry("k", "s", 500, "lb2", 7), t0));  // same write
}

BOOST_AUTO_TEST_CASE(rule_is_symmetric_between_two_nodes) {
  // Both nodes hold their own write with the same remaining life; each
  // receives the other's: both must keep the same one (lb2's).
  const auto w1 = entry("k", "s1", 500, "lb1");
  const auto w2 = entry("k", "s2", 500, "lb2");
  BOOST_TEST(incoming_wins(StickVersion{t0 + 500ms, "lb1", 1}, w2, t0));
  BOOST_TEST(!incoming_wins(StickVersion{t0 + 500ms, "lb2", 1}, w1, t0));
}

BOOST_AUTO_TEST_CASE(rule_expired_existing_loses_dead_incoming_never_wins) {
  BOOST_TEST(incoming_wins(StickVersion{t0, "lb9", 1}, entry("k", "s", 1, "lb0"), t0));
  BOOST_TEST(!incoming_wins(StickVersion{t0 - 1s, "lb0", 1}, entry("k", "s", 0, "lb9"), t0));
}

BOOST_AUTO_TEST_CASE(rule_compares_whole_milliseconds) {
  // 500.4 ms left counts as 500: a tie, decided by origin.
  const StickVersion existing{t0 + 500ms + 400us, "lb2", 1};
  BOOST_TEST(!incoming_wins(existing, entry("k", "s", 500, "lb1"), t0));
  BOOST_TEST(incoming_wins(existing, entry("k", "s", 500, "lb3"), t0));
}

BOOST_AUTO_TEST_CASE(apply_newer_wins_older_loses) {
  StickTable t(opts());
  t.put("k", "s1", t0);  // 1000 ms left at t0
  BOOST_TEST(t.apply({entry("k", "s2", 900, "lb2")}, t0 + 50ms) == 0u);  // 950 left here
  BOOST_TEST(t.lookup("k", t0 + 50ms).value() == "s1");
  // (the lookup refreshed ours to 1000 ms at t0+50ms)
  BOOST_TEST(t.apply({entry("k", "s2", 1000, "lb2")}, t0 + 60ms) == 1u);  // 990 left here
  BOOST_TEST(t.lookup("k", t0 + 70ms).value() == "s2");
  const auto c = t.counters();
  BOOST_TEST(c.applied == 1u);
  BOOST_TEST(c.entries == 1u);
}

BOOST_AUTO_TEST_CASE(apply_inserts_unknown_keys_with_their_remaining_ttl) {
  StickTable t(opts());
  BOOST_TEST(t.apply({entry("k", "s2", 300, "lb2", 42)}, t0) == 1u);
  const auto all = t.list(t0 + 100ms);
  BOOST_TEST_REQUIRE(all.size() == 1u);
  BOOST_TEST(all[0].ttl_remaining_ms() == 200u);
  BOOST_TEST(all[0].origin() == "lb2");
  BOOST_TEST(all[0].version() == 42u);
  BOOST_TEST(!t.list(t0 + 300ms).size());
}

BOOST_AUTO_TEST_CASE(apply_clamps_ttl_to_ours) {
  StickTable t(opts());
  BOOST_TEST(t.apply({entry("k", "s2", 60000, "lb2")}, t0) == 1u);
  BOOST_TEST(t.list(t0)[0].ttl_remaining_ms() == 1000u);
  // ... so a local write at the same moment is never older than it.
  t.put("k", "s1", t0);
  BOOST_TEST(t.lookup("k", t0).value() == "s1");
}

BOOST_AUTO_TEST_CASE(apply_tie_by_origin) {
  StickTable t(opts());
  t.put("k", "s1", t0);  // origin lb1, 1000 ms
  BOOST_TEST(t.apply({entry("k", "s0", 1000, "lb0")}, t0) == 0u);
  BOOST_TEST(t.lookup("k", t0).value() == "s1");
  t.put("j", "s1", t0);
  BOOST_TEST(t.apply({entry("j", "s2", 1000, "lb2")}, t0) == 1u);
  BOOST_TEST(t.lookup("j", t0).value() == "s2");
}

BOOST_AUTO_TEST_CASE(apply_removal_by_the_same_rule) {
  StickTable t(opts());
  t.put("k", "s1", t0);
  BOOST_TEST(t.apply({entry("k", "", 900, "lb2", 1, true)}, t0) == 0u);  // older removal
  BOOST_TEST(t.lookup("k", t0).has_value());
  BOOST_TEST(t.apply({entry("k", "", 1000, "lb2", 2, true)}, t0 + 1ms) == 1u);
  BOOST_TEST(!t.lookup("k", t0 + 2ms).has_value());
  BOOST_TEST(t.counters().entries == 0u);
  // The removal marker stops an older write that arrives late...
  BOOST_TEST(t.apply({entry("k", "s3", 900, "lb3")}, t0 + 2ms) == 0u);
  BOOST_TEST(!t.lookup("k", t0 + 2ms).has_value());
  // ...but not a newer one.
  BOOST_TEST(t.apply({entry("k", "s4", 1000, "lb3")}, t0 + 100ms) == 1u);
  BOOST_TEST(t.lookup("k", t0 + 100ms).value() == "s4");
  BOOST_TEST(t.counters().entries == 1u);
}

BOOST_AUTO_TEST_CASE(apply_does_not_echo_into_the_change_feed) {
  StickTable t(opts());
  t.put("mine", "s1", t0);
  t.put("k", "s1", t0);
  BOOST_TEST(t.apply({entry("k", "s2", 1000, "lb2"), entry("new", "s2", 1000, "lb2"),
                      entry("gone", "", 1000, "lb2", 1, true)},
                     t0 + 10ms) == 3u);
  const auto out = t.drain_changes(100, t0 + 10ms);
  BOOST_TEST_REQUIRE(out.size() == 1u);  // ours only; the superseded "k" is withdrawn
  BOOST_TEST(out[0].key() == "mine");
}

BOOST_AUTO_TEST_CASE(apply_rejects_other_pools_and_empty_keys) {
  StickTable t(opts());
  auto other = entry("k", "s2", 1000, "lb2");
  other.set_pool("api");
  auto unnamed = entry("k", "s2", 1000, "lb2");
  unnamed.clear_pool();  // an empty pool is accepted: the caller routed it
  BOOST_TEST(t.apply({other, entry("", "s2", 1000, "lb2"), unnamed}, t0) == 1u);
  BOOST_TEST(t.counters().rejected == 2u);
}

BOOST_AUTO_TEST_CASE(apply_ignores_dead_on_arrival) {
  StickTable t(opts());
  BOOST_TEST(t.apply({entry("k", "s2", 0, "lb2")}, t0) == 0u);
  BOOST_TEST(t.counters().entries == 0u);
}

BOOST_AUTO_TEST_CASE(apply_respects_the_size_bound) {
  StickTable t(opts(/*max_entries=*/2));
  BOOST_TEST(t.apply({entry("a", "s", 1000, "lb2"), entry("b", "s", 1000, "lb2"),
                      entry("c", "s", 1000, "lb2")},
                     t0) == 3u);
  const auto c = t.counters();
  BOOST_TEST(c.entries == 2u);
  BOOST_TEST(c.evictions == 1u);
  BOOST_TEST(!t.lookup("a", t0).has_value());
}

BOOST_AUTO_TEST_CASE(two_tables_converge_through_their_feeds) {
  // lb1 and lb2 write the same key at the same moment; after exchanging
  // their changes both hold lb2's write.
  StickTableOptions o1 = opts();
  StickTableOptions o2 = opts();
  o2.node = "lb2";
  StickTable a(o1), b(o2);
  a.put("k", "s1", t0);
  b.put("k", "s2", t0);
  const auto from_a = a.drain_changes(10, t0);
  const auto from_b = b.drain_changes(10, t0);
  a.apply(from_b, t0);
  b.apply(from_a, t0);
  BOOST_TEST(a.lookup("k", t0).value() == "s2");
  BOOST_TEST(b.lookup("k", t0).value() == "s2");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace tandem::lb
