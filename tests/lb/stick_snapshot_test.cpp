// StickTable::snapshot() (the full resync sent to the agent) and the round
// trip proxy -> agent -> peer proxy as StickTable::apply() sees it.
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <string>

#include "lb/stick/stick_table.h"

namespace tandem::lb {
namespace {

using namespace std::chrono_literals;
const TimePoint t0 = TimePoint{} + 1h;

StickTableOptions opts(const std::string& node) {
  StickTableOptions o;
  o.pool = "web";
  o.node = node;
  o.ttl = 1000ms;
  o.max_entries = 100;
  o.max_pending_changes = 100;
  return o;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(stick_snapshot)

BOOST_AUTO_TEST_CASE(snapshot_includes_removal_markers_list_does_not) {
  StickTable t(opts("edge1"));
  t.put("a", "s1", t0);
  t.put("b", "s1", t0);
  t.remove("b", t0 + 1ms);
  BOOST_TEST(t.list(t0 + 2ms).size() == 1u);
  const auto snap = t.snapshot(t0 + 2ms);
  BOOST_TEST(snap.size() == 2u);
  bool marker = false;
  for (const auto& e : snap) marker = marker || (e.key() == "b" && e.removed() && e.server().empty());
  BOOST_TEST(marker);
}

BOOST_AUTO_TEST_CASE(a_peer_table_fed_a_snapshot_matches_and_does_not_echo) {
  StickTable master(opts("edge1"));
  StickTable backup(opts("edge2"));
  master.put("a", "s1", t0);
  master.put("b", "s2", t0);
  master.remove("b", t0 + 5ms);
  BOOST_TEST(backup.apply(master.snapshot(t0 + 10ms), t0 + 10ms) == 2u);
  BOOST_TEST(backup.lookup("a", t0 + 10ms).value_or("") == "s1");
  BOOST_TEST(!backup.lookup("b", t0 + 10ms).has_value());
  // Applied entries are not queued back (no echo to the agent).
  BOOST_TEST(backup.drain_changes(10, t0 + 10ms).empty());
  // The same snapshot again changes nothing.
  BOOST_TEST(backup.apply(master.snapshot(t0 + 10ms), t0 + 10ms) == 0u);
}

BOOST_AUTO_TEST_CASE(changes_after_a_snapshot_are_drained_in_order) {
  StickTable t(opts("edge1"));
  t.put("a", "s1", t0);
  (void)t.drain_changes(10, t0);  // covered by a snapshot
  t.put("b", "s1", t0 + 1ms);
  t.move("a", "s2", t0 + 2ms);
  const auto changes = t.drain_changes(10, t0 + 3ms);
  BOOST_TEST(changes.size() == 2u);
  BOOST_TEST(changes[0].key() == "b");
  BOOST_TEST(changes[1].key() == "a");
  BOOST_TEST(changes[1].server() == "s2");
  BOOST_TEST(changes[1].ttl_remaining_ms() == 999u);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace tandem::lb
