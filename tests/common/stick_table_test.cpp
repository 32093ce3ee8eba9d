// The one stick store (common/stick/table.h): the eviction rule (soonest
// expiry, never the new entry), counters of markers and stale writes, the
// change feed's resync fallback, and list() order. The proxy's behaviour on
// top of it is in tests/lb/stick_*_test.cpp, the agent's in
// tests/ha/sync_store_test.cpp.
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <string>

#include "common/stick/resync_fallback.h"
#include "common/stick/table.h"

namespace tandem::stick {
namespace {

using namespace std::chrono_literals;
const TimePoint t0 = TimePoint{} + 1h;  // a fake clock: tests move it by hand

TableOptions opts(std::size_t max_entries = 100, std::size_t max_pending = 100) {
  TableOptions o;
  o.pool = "web";
  o.node = "lb1";
  o.ttl = 1000ms;
  o.max_entries = max_entries;
  o.max_pending_changes = max_pending;
  return o;
}

void put(Table& t, const std::string& key, const std::string& server, TimePoint now) {
  Graveyard dead;
  auto node = Table::make_node(key, server, t.options().node);
  t.write(node, /*removal=*/false, now, dead);
}

void remove(Table& t, const std::string& key, TimePoint now) {
  Graveyard dead;
  auto node = Table::make_node(key, "", t.options().node);
  t.write(node, /*removal=*/true, now, dead);
}

bool apply(Table& t, const std::string& key, std::uint32_t ttl_ms, const std::string& origin, TimePoint now) {
  wire::StickEntry e;
  e.set_pool("web");
  e.set_key(key);
  e.set_server("s2");
  e.set_ttl_remaining_ms(ttl_ms);
  e.set_origin(origin);
  e.set_version(1);
  Graveyard dead;
  auto node = Table::make_node(e);
  return t.accepts(e) && t.apply(e, node, now, dead);
}

std::vector<std::string> keys(const Table& t, TimePoint now, bool with_markers) {
  std::vector<wire::StickEntry> all;
  t.list(now, with_markers, all);
  std::vector<std::string> out;
  for (const auto& e : all) out.push_back(e.key());
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(stick_store_table)

BOOST_AUTO_TEST_CASE(the_bound_evicts_the_soonest_expiry_even_if_it_was_touched_last) {
  Table t(opts(/*max_entries=*/2));
  put(t, "local", "s1", t0);                          // expires t0 + 1000
  BOOST_TEST(apply(t, "peer", 100, "lb2", t0 + 5ms));  // applied last, expires t0 + 105
  put(t, "new", "s1", t0 + 10ms);
  BOOST_TEST(!t.lookup("peer", t0 + 10ms).has_value());
  BOOST_TEST(t.lookup("local", t0 + 10ms).has_value());
  BOOST_TEST(t.counters().evictions == 1u);
}

BOOST_AUTO_TEST_CASE(a_hit_moves_an_entry_away_from_eviction) {
  Table t(opts(/*max_entries=*/2));
  put(t, "a", "s1", t0);
  put(t, "b", "s1", t0 + 1ms);
  BOOST_TEST(t.lookup("a", t0 + 2ms).has_value());  // a now expires after b
  put(t, "c", "s1", t0 + 3ms);
  BOOST_TEST(t.lookup("a", t0 + 4ms).has_value());
  BOOST_TEST(!t.lookup("b", t0 + 4ms).has_value());
}

BOOST_AUTO_TEST_CASE(a_new_entry_is_never_its_own_victim) {
  Table t(opts(/*max_entries=*/1));
  put(t, "long", "s1", t0);
  BOOST_TEST(apply(t, "short", 10, "lb2", t0));  // expires long before "long"
  BOOST_TEST(keys(t, t0, false) == std::vector<std::string>{"short"});
  BOOST_TEST(t.counters().evictions == 1u);
}

BOOST_AUTO_TEST_CASE(markers_and_stale_writes_are_counted) {
  Table t(opts());
  put(t, "k", "s1", t0);
  remove(t, "k", t0 + 1ms);
  BOOST_TEST(t.counters().entries == 0u);
  BOOST_TEST(t.counters().markers == 1u);
  BOOST_TEST(!apply(t, "k", 500, "lb2", t0 + 2ms));  // the removal has more life left
  BOOST_TEST(!apply(t, "other", 0, "lb2", t0 + 2ms));  // dead on arrival
  BOOST_TEST(t.counters().stale == 2u);
  BOOST_TEST(keys(t, t0 + 2ms, true) == std::vector<std::string>{"k"});
  BOOST_TEST(keys(t, t0 + 2ms, false).empty());
}

BOOST_AUTO_TEST_CASE(list_gives_the_latest_expiry_first) {
  Table t(opts());
  put(t, "a", "s1", t0);
  put(t, "b", "s1", t0 + 2ms);
  put(t, "c", "s1", t0 + 1ms);
  BOOST_TEST(keys(t, t0 + 3ms, false) == (std::vector<std::string>{"b", "c", "a"}));
}

BOOST_AUTO_TEST_CASE(expire_reports_live_entries_and_markers_apart) {
  Table t(opts());
  put(t, "live", "s1", t0);
  put(t, "gone", "s1", t0);
  remove(t, "gone", t0);
  Graveyard dead;
  const auto expired = t.expire(t0 + 1000ms, dead);
  BOOST_TEST(expired.live == 1u);
  BOOST_TEST(expired.markers == 1u);
  BOOST_TEST(t.size() == 0u);
  BOOST_TEST(t.counters().expirations == 1u);
}

BOOST_AUTO_TEST_CASE(a_full_change_feed_is_dropped_for_one_resync) {
  Table t(opts(/*max_entries=*/100, /*max_pending=*/2));
  put(t, "a", "s1", t0);
  put(t, "b", "s1", t0);
  put(t, "c", "s1", t0);  // the feed is full: dropped, resync asked
  BOOST_TEST(t.counters().overflows == 1u);
  BOOST_TEST(t.take_needs_full_resync());
  BOOST_TEST(!t.take_needs_full_resync());
  BOOST_TEST(t.drain_changes(10, t0).empty());
  put(t, "d", "s1", t0);
  BOOST_TEST(t.drain_changes(10, t0).size() == 1u);
}

BOOST_AUTO_TEST_CASE(entries_for_another_pool_or_without_key_are_rejected) {
  Table t(opts());
  wire::StickEntry e;
  e.set_pool("api");
  e.set_key("k");
  BOOST_TEST(!t.accepts(e));
  e.set_pool("");
  BOOST_TEST(t.accepts(e));  // no pool: ours
  e.set_key("");
  BOOST_TEST(!t.accepts(e));
  BOOST_TEST(t.counters().rejected == 2u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(stick_resync_fallback)

BOOST_AUTO_TEST_CASE(admits_below_the_bound_and_asks_once_for_a_resync_at_it) {
  ResyncFallback f(2);
  BOOST_TEST(f.admit(0));
  BOOST_TEST(f.admit(1));
  BOOST_TEST(!f.pending());
  BOOST_TEST(!f.admit(2));
  BOOST_TEST(f.overflows() == 1u);
  BOOST_TEST(f.take());
  BOOST_TEST(!f.take());
  f.request();
  BOOST_TEST(f.take());
  BOOST_TEST(f.overflows() == 1u);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace tandem::stick
