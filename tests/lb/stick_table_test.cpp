// StickTable: TTL, refresh on lookup, size bound (common/stick/table.h: soonest expiry goes), change feed, list().
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <chrono>
#include <string>

#include "lb/stick/stick_table.h"

namespace tandem::lb {
namespace {

using namespace std::chrono_literals;
const TimePoint t0 = TimePoint{} + 1h;  // a fake clock: tests move it by hand

StickTableOptions opts(std::size_t max_entries = 100, std::size_t max_pending = 100) {
  StickTableOptions o;
  o.pool = "web";
  o.node = "lb1";
  o.ttl = 1000ms;
  o.max_entries = max_entries;
  o.max_pending_changes = max_pending;
  return o;
}

const wire::StickEntry* find(const std::vector<wire::StickEntry>& v, const std::string& key) {
  auto it = std::find_if(v.begin(), v.end(), [&](const auto& e) { return e.key() == key; });
  return it == v.end() ? nullptr : &*it;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(stick_table)

BOOST_AUTO_TEST_CASE(miss_on_empty_then_hit_after_put) {
  StickTable t(opts());
  BOOST_TEST(!t.lookup("10.0.0.1", t0).has_value());
  t.put("10.0.0.1", "s1", t0);
  BOOST_TEST(t.lookup("10.0.0.1", t0).value() == "s1");
  const auto c = t.counters();
  BOOST_TEST(c.entries == 1u);
  BOOST_TEST(c.hits == 1u);
  BOOST_TEST(c.misses == 1u);
}

BOOST_AUTO_TEST_CASE(ttl_expiry_just_before_and_at) {
  StickTable t(opts());
  t.put("a", "s1", t0);
  t.put("b", "s1", t0);
  BOOST_TEST(t.lookup("a", t0 + 1000ms - 1ns).value() == "s1");  // just before
  BOOST_TEST(!t.lookup("b", t0 + 1000ms).has_value());           // exactly at expiry
  BOOST_TEST(t.list(t0 + 1000ms).size() == 1u);                  // only the refreshed "a"
}

BOOST_AUTO_TEST_CASE(lookup_refreshes_ttl) {
  StickTable t(opts());
  t.put("a", "s1", t0);
  BOOST_TEST(t.lookup("a", t0 + 900ms).has_value());
  BOOST_TEST(t.lookup("a", t0 + 1800ms).has_value());   // alive: refreshed at 900
  BOOST_TEST(!t.lookup("a", t0 + 2800ms).has_value());  // 1000 after the last hit
}

BOOST_AUTO_TEST_CASE(miss_does_not_refresh) {
  StickTable t(opts());
  t.put("a", "s1", t0);
  BOOST_TEST(!t.lookup("b", t0 + 500ms).has_value());
  BOOST_TEST(t.expire(t0 + 1000ms) == 1u);
}

BOOST_AUTO_TEST_CASE(put_overwrites_and_refreshes) {
  StickTable t(opts());
  t.put("a", "s1", t0);
  t.put("a", "s2", t0 + 500ms);
  BOOST_TEST(t.lookup("a", t0 + 1400ms).value() == "s2");
  BOOST_TEST(t.counters().entries == 1u);
}

BOOST_AUTO_TEST_CASE(expire_purges_and_counts) {
  StickTable t(opts());
  t.put("a", "s1", t0);
  t.put("b", "s1", t0 + 100ms);
  t.put("c", "s1", t0 + 200ms);
  BOOST_TEST(t.expire(t0 + 1099ms) == 1u);
  BOOST_TEST(t.expire(t0 + 1099ms) == 0u);
  BOOST_TEST(t.counters().entries == 2u);
  BOOST_TEST(t.expire(t0 + 5s) == 2u);
  const auto c = t.counters();
  BOOST_TEST(c.entries == 0u);
  BOOST_TEST(c.expirations == 3u);
}

BOOST_AUTO_TEST_CASE(expire_finds_short_lived_applied_entries_anywhere) {
  // Entries from peers carry any remaining TTL: expiry order != LRU order.
  StickTable t(opts());
  t.put("local", "s1", t0);
  wire::StickEntry e;
  e.set_key("peer");
  e.set_server("s2");
  e.set_ttl_remaining_ms(100);
  e.set_origin("lb2");
  BOOST_TEST(t.apply({e}, t0) == 1u);  // most recently used, yet expires first
  BOOST_TEST(t.expire(t0 + 100ms) == 1u);
  BOOST_TEST(!t.lookup("peer", t0 + 100ms).has_value());
  BOOST_TEST(t.lookup("local", t0 + 100ms).has_value());
}

BOOST_AUTO_TEST_CASE(lru_eviction_order_at_bound) {
  StickTable t(opts(/*max_entries=*/3));
  t.put("a", "s1", t0);
  t.put("b", "s1", t0 + 1ms);
  t.put("c", "s1", t0 + 2ms);
  BOOST_TEST(t.lookup("a", t0 + 3ms).has_value());  // a is now the most recent
  t.put("d", "s1", t0 + 4ms);                       // evicts b, the least recent
  BOOST_TEST(!t.lookup("b", t0 + 5ms).has_value());
  t.put("e", "s1", t0 + 6ms);                       // evicts c
  BOOST_TEST(!t.lookup("c", t0 + 7ms).has_value());
  BOOST_TEST(t.lookup("a", t0 + 8ms).has_value());
  BOOST_TEST(t.lookup("d", t0 + 8ms).has_value());
  BOOST_TEST(t.lookup("e", t0 + 8ms).has_value());
  const auto c = t.counters();
  BOOST_TEST(c.entries == 3u);
  BOOST_TEST(c.evictions == 2u);
}

BOOST_AUTO_TEST_CASE(remove_and_move) {
  StickTable t(opts());
  t.put("a", "s1", t0);
  t.move("a", "s2", t0 + 10ms);
  BOOST_TEST(t.lookup("a", t0 + 20ms).value() == "s2");
  t.remove("a", t0 + 30ms);
  BOOST_TEST(!t.lookup("a", t0 + 40ms).has_value());
  BOOST_TEST(t.counters().entries == 0u);
  BOOST_TEST(t.list(t0 + 40ms).empty());
  t.put("a", "s3", t0 + 50ms);  // a local write revives it
  BOOST_TEST(t.lookup("a", t0 + 60ms).value() == "s3");
  BOOST_TEST(t.counters().entries == 1u);
  t.remove("unknown", t0);  // no-op
  BOOST_TEST(t.counters().entries == 1u);
}

BOOST_AUTO_TEST_CASE(list_reports_remaining_ttl) {
  StickTable t(opts());
  t.put("a", "s1", t0);
  t.put("b", "s2", t0 + 300ms);
  const auto all = t.list(t0 + 400ms);
  BOOST_TEST_REQUIRE(all.size() == 2u);
  BOOST_TEST(find(all, "a")->ttl_remaining_ms() == 600u);
  BOOST_TEST(find(all, "b")->ttl_remaining_ms() == 900u);
  BOOST_TEST(find(all, "b")->server() == "s2");
  BOOST_TEST(find(all, "b")->pool() == "web");
  BOOST_TEST(find(all, "b")->origin() == "lb1");
  BOOST_TEST(!find(all, "b")->removed());
}

BOOST_AUTO_TEST_CASE(changes_are_drained_in_order_and_coalesced) {
  StickTable t(opts());
  t.put("a", "s1", t0);
  t.put("b", "s1", t0);
  t.put("a", "s2", t0 + 100ms);  // coalesces with the queued change for a
  t.remove("b", t0 + 200ms);
  auto first = t.drain_changes(1, t0 + 300ms);
  BOOST_TEST_REQUIRE(first.size() == 1u);
  BOOST_TEST(first[0].key() == "a");
  BOOST_TEST(first[0].server() == "s2");
  BOOST_TEST(first[0].ttl_remaining_ms() == 800u);
  BOOST_TEST(first[0].origin() == "lb1");
  auto rest = t.drain_changes(10, t0 + 300ms);
  BOOST_TEST_REQUIRE(rest.size() == 1u);
  BOOST_TEST(rest[0].key() == "b");
  BOOST_TEST(rest[0].removed());
  BOOST_TEST(rest[0].ttl_remaining_ms() == 900u);  // a removal lives a full TTL
  BOOST_TEST(rest[0].version() > first[0].version());
  BOOST_TEST(t.drain_changes(10, t0 + 300ms).empty());
}

BOOST_AUTO_TEST_CASE(changes_that_expired_while_queued_are_skipped) {
  StickTable t(opts());
  t.put("a", "s1", t0);
  BOOST_TEST(t.drain_changes(10, t0 + 1000ms).empty());
}

BOOST_AUTO_TEST_CASE(hits_replicate_only_when_peers_lag_by_a_quarter_ttl) {
  StickTable t(opts());
  t.put("a", "s1", t0);
  BOOST_TEST(t.drain_changes(10, t0).size() == 1u);
  BOOST_TEST(t.lookup("a", t0 + 250ms).has_value());  // lag exactly ttl/4: not yet
  BOOST_TEST(t.drain_changes(10, t0 + 250ms).empty());
  BOOST_TEST(t.lookup("a", t0 + 251ms).has_value());
  const auto out = t.drain_changes(10, t0 + 251ms);
  BOOST_TEST_REQUIRE(out.size() == 1u);
  BOOST_TEST(out[0].ttl_remaining_ms() == 1000u);
}

BOOST_AUTO_TEST_CASE(queue_overflow_asks_for_full_resync) {
  StickTable t(opts(/*max_entries=*/100, /*max_pending=*/2));
  BOOST_TEST(!t.take_needs_full_resync());
  t.put("a", "s1", t0);
  t.put("b", "s1", t0);
  BOOST_TEST(!t.take_needs_full_resync());
  t.put("c", "s1", t0);  // third pending change: overflow
  BOOST_TEST(t.counters().overflows == 1u);
  BOOST_TEST(t.drain_changes(10, t0).empty());  // the queue was dropped
  BOOST_TEST(t.take_needs_full_resync());
  BOOST_TEST(!t.take_needs_full_resync());  // read-and-clear
  BOOST_TEST(t.list(t0).size() == 3u);      // the snapshot still has everything
  t.put("d", "s1", t0);                     // the feed works again afterwards
  BOOST_TEST(t.drain_changes(10, t0).size() == 1u);
}

BOOST_AUTO_TEST_CASE(no_change_feed_when_disabled) {
  StickTable t(opts(/*max_entries=*/100, /*max_pending=*/0));
  t.put("a", "s1", t0);
  BOOST_TEST(t.drain_changes(10, t0).empty());
  BOOST_TEST(!t.take_needs_full_resync());
  BOOST_TEST(t.counters().overflows == 0u);
}

BOOST_AUTO_TEST_CASE(evicted_entry_leaves_the_change_queue) {
  StickTable t(opts(/*max_entries=*/1));
  t.put("a", "s1", t0);
  t.put("b", "s1", t0);
  const auto out = t.drain_changes(10, t0);
  BOOST_TEST_REQUIRE(out.size() == 1u);
  BOOST_TEST(out[0].key() == "b");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace tandem::lb
