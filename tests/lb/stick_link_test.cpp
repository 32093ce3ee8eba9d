// The proxy's end of the stick exchange (lb/stick/stick_link.h): changes in
// batches, a full resync for a new table, an overflow or a new connection,
// and the acknowledgement of the agent's full resyncs.
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <string>
#include <vector>

#include "lb/stick/stick_link.h"

namespace tandem::lb {
namespace {

using namespace std::chrono_literals;
const TimePoint t0 = TimePoint{} + 1h;  // a fake clock

StickTableOptions opts(std::size_t max_pending = 100) {
  StickTableOptions o;
  o.pool = "web";
  o.node = "lb1";
  o.ttl = 1000ms;
  o.max_pending_changes = max_pending;
  return o;
}

std::size_t entries_in(const std::vector<wire::StickChanges>& out) {
  std::size_t n = 0;
  for (const auto& c : out) n += static_cast<std::size_t>(c.entries_size());
  return n;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(stick_link)

BOOST_AUTO_TEST_CASE(a_table_first_seen_goes_whole_then_only_its_changes) {
  StickTable t(opts());
  t.put("a", "s1", t0);
  StickLink link(2);
  auto out = link.outgoing({&t}, t0);
  BOOST_TEST(out.size() == 2u);  // the entry, then snapshot_end
  BOOST_TEST(out[0].full_snapshot());
  BOOST_TEST(out.back().snapshot_end());
  BOOST_TEST(link.counters().resyncs == 1u);
  BOOST_TEST(link.outgoing({&t}, t0).empty());  // the snapshot covered the queued change
  t.put("b", "s1", t0);
  t.put("c", "s1", t0);
  t.put("d", "s1", t0);
  out = link.outgoing({&t}, t0);
  BOOST_TEST(out.size() == 2u);  // batches of 2
  BOOST_TEST(!out[0].full_snapshot());
  BOOST_TEST(entries_in(out) == 3u);
  BOOST_TEST(link.counters().sent == 4u);
}

BOOST_AUTO_TEST_CASE(an_overflow_or_a_new_connection_brings_the_whole_tables) {
  StickTable t(opts(/*max_pending=*/1));
  StickLink link(10);
  link.outgoing({&t}, t0);
  t.put("a", "s1", t0);
  t.put("b", "s1", t0);  // overflow
  auto out = link.outgoing({&t}, t0);
  BOOST_TEST(out.back().snapshot_end());
  BOOST_TEST(entries_in(out) == 2u);
  link.connected();
  out = link.outgoing({&t}, t0);
  BOOST_TEST(out.back().snapshot_end());
  BOOST_TEST(link.counters().resyncs == 3u);
}

BOOST_AUTO_TEST_CASE(a_full_resync_with_an_id_is_acknowledged_once_applied) {
  StickLink link(10);
  std::vector<std::string> applied;
  const auto apply = [&](const std::vector<wire::StickEntry>& entries) {
    for (const auto& e : entries) applied.push_back(e.key());
  };
  wire::StickChanges part;
  part.set_full_snapshot(true);
  part.add_entries()->set_key("a");
  BOOST_TEST(!link.incoming(part, apply));
  BOOST_TEST(!link.take_ack().has_value());
  wire::StickChanges end;
  end.set_full_snapshot(true);
  end.set_snapshot_end(true);
  end.set_snapshot_id(7);
  BOOST_TEST(link.incoming(end, apply));
  BOOST_TEST(applied == std::vector<std::string>{"a"});
  const auto ack = link.take_ack();
  BOOST_TEST(ack.has_value());
  BOOST_TEST(ack.value_or(0) == 7u);
  BOOST_TEST(!link.take_ack().has_value());  // once
  end.set_snapshot_id(0);                    // a resync without an id wants no ack
  BOOST_TEST(!link.incoming(end, apply));
  BOOST_TEST(link.counters().received == 1u);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace tandem::lb
