// The agent's copy of the stick tables (ha/sync/stick_store.h): the merge
// rule (shared with the proxy's table), TTL clamping and expiry, snapshot
// contents and the order of a snapshot against changes.
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <string>

#include "ha/sync/stick_store.h"

namespace tandem::ha::sync {
namespace {

using namespace std::chrono_literals;
const TimePoint t0 = TimePoint{} + 1h;

wire::StickEntry entry(const std::string& key, const std::string& server, std::uint32_t ttl_ms,
                       const std::string& origin, std::uint64_t version = 1, bool removed = false,
                       const std::string& pool = "web") {
  wire::StickEntry e;
  e.set_pool(pool);
  e.set_key(key);
  if (!removed) e.set_server(server);
  e.set_ttl_remaining_ms(ttl_ms);
  e.set_origin(origin);
  e.set_version(version);
  e.set_removed(removed);
  return e;
}

StickStore store(std::size_t max_entries = 100) {
  return StickStore({{"web", PoolLimits{1000ms, max_entries}}, {"app", PoolLimits{60000ms, max_entries}}});
}

const wire::StickEntry* find(const std::vector<wire::StickEntry>& all, const std::string& key) {
  for (const auto& e : all)
    if (e.key() == key) return &e;
  return nullptr;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(sync_store)

BOOST_AUTO_TEST_CASE(more_remaining_life_wins_then_origin_then_version) {
  auto s = store();
  BOOST_TEST(s.apply({entry("k", "s1", 500, "edge1")}, t0).size() == 1u);
  BOOST_TEST(s.apply({entry("k", "s2", 400, "edge9")}, t0).empty());         // less life: older
  BOOST_TEST(s.apply({entry("k", "s3", 600, "edge0")}, t0).size() == 1u);    // more life: newer
  BOOST_TEST(s.apply({entry("k", "s4", 600, "edge0", 1)}, t0).empty());      // the same write again
  BOOST_TEST(s.apply({entry("k", "s5", 600, "edge0", 2)}, t0).size() == 1u); // tie: higher version
  BOOST_TEST(s.apply({entry("k", "s6", 600, "edge1", 1)}, t0).size() == 1u); // tie: higher origin
  BOOST_TEST(find(s.snapshot(t0), "k")->server() == "s6");
  BOOST_TEST(s.counters("web").stale == 2u);
}

BOOST_AUTO_TEST_CASE(two_nodes_converge_whatever_the_order) {
  const auto a = entry("k", "s1", 500, "edge1", 3);
  const auto b = entry("k", "s2", 500, "edge2", 1);
  auto x = store();
  auto y = store();
  x.apply({a}, t0);
  x.apply({b}, t0);
  y.apply({b}, t0);
  y.apply({a}, t0);
  BOOST_TEST(find(x.snapshot(t0), "k")->server() == "s2");
  BOOST_TEST(find(y.snapshot(t0), "k")->server() == "s2");
}

BOOST_AUTO_TEST_CASE(ttl_is_clamped_to_the_pool_ttl_and_expires) {
  auto s = store();
  auto changed = s.apply({entry("k", "s1", 99999999, "edge1")}, t0);
  BOOST_TEST(changed.at(0).ttl_remaining_ms() == 1000u);  // web's ttl
  BOOST_TEST(find(s.snapshot(t0 + 400ms), "k")->ttl_remaining_ms() == 600u);
  BOOST_TEST(s.expire(t0 + 999ms) == 0u);
  BOOST_TEST(s.snapshot(t0 + 1000ms).empty());  // never listed once expired
  BOOST_TEST(s.expire(t0 + 1000ms) == 1u);
  BOOST_TEST(s.counters("web").entries == 0u);
}

BOOST_AUTO_TEST_CASE(an_entry_with_no_life_left_is_never_stored) {
  auto s = store();
  BOOST_TEST(s.apply({entry("k", "s1", 0, "edge1")}, t0).empty());
  BOOST_TEST(s.snapshot(t0).empty());
}

BOOST_AUTO_TEST_CASE(an_expired_entry_loses_to_any_live_write) {
  auto s = store();
  s.apply({entry("k", "s1", 100, "edge9", 9)}, t0);
  BOOST_TEST(s.apply({entry("k", "s2", 1, "edge0", 1)}, t0 + 100ms).size() == 1u);
  BOOST_TEST(find(s.snapshot(t0 + 100ms), "k")->server() == "s2");
}

BOOST_AUTO_TEST_CASE(removals_are_kept_as_markers_and_travel_in_snapshots) {
  auto s = store();
  s.apply({entry("k", "s1", 500, "edge1")}, t0);
  BOOST_TEST(s.apply({entry("k", "", 600, "edge1", 2, true)}, t0).size() == 1u);
  // A late, older write does not bring it back.
  BOOST_TEST(s.apply({entry("k", "s1", 550, "edge2")}, t0).empty());
  const auto snap = s.snapshot(t0);
  BOOST_TEST(find(snap, "k")->removed());
  BOOST_TEST(find(snap, "k")->server().empty());
  BOOST_TEST(s.counters("web").entries == 0u);
  BOOST_TEST(s.counters("web").markers == 1u);
}

BOOST_AUTO_TEST_CASE(unknown_pools_and_empty_keys_are_rejected) {
  auto s = store();
  BOOST_TEST(s.apply({entry("k", "s", 500, "edge1", 1, false, "nope"), entry("", "s", 500, "edge1")}, t0).empty());
  BOOST_TEST(s.rejected() == 2u);
  BOOST_TEST(s.snapshot(t0).empty());
}

BOOST_AUTO_TEST_CASE(pools_are_separate_tables) {
  auto s = store();
  s.apply({entry("k", "a", 500, "edge1", 1, false, "web"), entry("k", "b", 500, "edge1", 1, false, "app")}, t0);
  const auto snap = s.snapshot(t0);
  BOOST_TEST(snap.size() == 2u);
  BOOST_TEST(s.counters("web").entries == 1u);
  BOOST_TEST(s.counters("app").entries == 1u);
}

BOOST_AUTO_TEST_CASE(the_size_bound_evicts_the_entry_closest_to_expiry) {
  auto s = store(2);
  s.apply({entry("old", "s", 100, "edge1"), entry("mid", "s", 500, "edge1")}, t0);
  s.apply({entry("new", "s", 900, "edge1")}, t0);
  const auto snap = s.snapshot(t0);
  BOOST_TEST(snap.size() == 2u);
  BOOST_TEST(find(snap, "old") == nullptr);
  BOOST_TEST(s.counters("web").evictions == 1u);
}

BOOST_AUTO_TEST_CASE(a_snapshot_then_changes_equals_the_changes_then_the_snapshot) {
  // A receiver gets a sender's snapshot and the changes made after it, in
  // either order (a change batch may overtake a resync on another path):
  // the result is the same, because every message is merged by one rule.
  auto sender = store();
  sender.apply({entry("a", "s1", 500, "edge1"), entry("b", "s1", 500, "edge1")}, t0);
  const auto snap = sender.snapshot(t0);
  const auto change = sender.apply({entry("a", "s2", 700, "edge1", 2), entry("b", "", 800, "edge1", 2, true)}, t0 + 10ms);
  auto in_order = store();
  in_order.apply(snap, t0 + 20ms);
  in_order.apply(change, t0 + 20ms);
  auto reversed = store();
  reversed.apply(change, t0 + 20ms);
  reversed.apply(snap, t0 + 20ms);
  for (auto* r : {&in_order, &reversed}) {
    const auto got = r->snapshot(t0 + 20ms);
    BOOST_TEST(find(got, "a")->server() == "s2");
    BOOST_TEST(find(got, "b")->removed());
  }
}

BOOST_AUTO_TEST_CASE(what_changed_is_returned_for_forwarding) {
  auto s = store();
  auto changed = s.apply({entry("a", "s1", 500, "edge1"), entry("a", "s0", 100, "edge1")}, t0);
  BOOST_TEST(changed.size() == 1u);
  BOOST_TEST(changed[0].server() == "s1");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace tandem::ha::sync
