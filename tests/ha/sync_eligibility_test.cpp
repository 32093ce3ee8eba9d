// The stick-sync eligibility rule (ha/sync/sync_eligibility.h): peers'
// snapshots, the proxy's acknowledgement, the deadline and the last resort.
#include <boost/test/unit_test.hpp>

#include <ostream>

#include "ha/sync/sync_eligibility.h"

namespace tandem::ha::sync {

// For BOOST_TEST's messages.
std::ostream& operator<<(std::ostream& os, Eligibility e) { return os << to_string(e); }

namespace {
using namespace std::chrono_literals;
const TimePoint t0 = TimePoint{} + std::chrono::hours(1);
const TimePoint deadline = t0 + 3s;
}  // namespace

BOOST_AUTO_TEST_SUITE(sync_eligibility)

BOOST_AUTO_TEST_CASE(peers_snapshots_alone_do_not_open_while_the_proxy_lacks_the_table) {
  SyncEligibility e({"edge1", "edge2"}, true, deadline);
  BOOST_TEST(e.update(t0) == Eligibility::kWaiting);
  e.snapshot_complete("edge1");
  BOOST_TEST(!e.proxy_snapshot_due(t0));  // edge2 may still bring entries
  e.snapshot_complete("edge2");
  BOOST_TEST(e.update(t0) == Eligibility::kWaiting);
  BOOST_TEST(e.proxy_snapshot_due(t0));
  e.proxy_snapshot_sent(4, t0);
  BOOST_TEST(!e.proxy_snapshot_due(t0));
  BOOST_TEST(e.update(t0) == Eligibility::kWaiting);
  e.proxy_applied(3);  // an older resync: not the table
  BOOST_TEST(e.update(t0) == Eligibility::kWaiting);
  BOOST_TEST(e.describe(t0).find("snapshot 4 sent, not yet applied") != std::string::npos);
  e.proxy_applied(4);
  BOOST_TEST(e.update(t0) == Eligibility::kEligible);
  BOOST_TEST(e.describe(t0).find("snapshot 4 applied") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_resync_sent_before_the_table_was_ready_does_not_count) {
  SyncEligibility e({"edge1"}, true, deadline);
  e.proxy_snapshot_sent(1, t0);  // the proxy connected before the peer's snapshot
  e.proxy_applied(1);
  BOOST_TEST(e.update(t0) == Eligibility::kWaiting);
  e.snapshot_complete("edge1");
  BOOST_TEST(e.update(t0) == Eligibility::kWaiting);
  BOOST_TEST(e.proxy_snapshot_due(t0));
  e.proxy_snapshot_sent(2, t0);
  e.proxy_applied(2);
  BOOST_TEST(e.update(t0) == Eligibility::kEligible);
}

BOOST_AUTO_TEST_CASE(a_later_resync_from_a_reconnected_proxy_counts) {
  SyncEligibility e({"edge1"}, true, deadline);
  e.snapshot_complete("edge1");
  e.proxy_snapshot_sent(2, t0);
  e.proxy_snapshot_sent(3, t0);  // the proxy reconnected: a new resync
  e.proxy_applied(3);
  BOOST_TEST(e.update(t0) == Eligibility::kEligible);
}

BOOST_AUTO_TEST_CASE(without_a_proxy_link_the_peers_decide) {
  SyncEligibility e({"edge1", "edge2"}, false, deadline);
  e.snapshot_complete("edge1");
  e.peer_absent("edge2");
  BOOST_TEST(!e.proxy_snapshot_due(t0));
  BOOST_TEST(e.update(t0) == Eligibility::kEligible);
}

BOOST_AUTO_TEST_CASE(no_snapshot_received_means_nothing_to_hand_over) {
  SyncEligibility e({"edge1", "edge2"}, true, deadline);
  e.peer_absent("edge1");
  e.peer_absent("edge2");
  BOOST_TEST(!e.proxy_snapshot_due(t0));
  BOOST_TEST(e.update(t0) == Eligibility::kEligible);
  SyncEligibility alone({}, true, deadline);
  BOOST_TEST(alone.update(t0) == Eligibility::kEligible);
}

BOOST_AUTO_TEST_CASE(deadline_without_any_snapshot_is_last_resort_until_one_is_in_the_proxy) {
  SyncEligibility e({"edge1", "edge2"}, true, deadline);
  BOOST_TEST(e.update(deadline - 1ms) == Eligibility::kWaiting);
  BOOST_TEST(e.update(deadline) == Eligibility::kLastResort);
  BOOST_TEST(e.describe(deadline).find("last resort") != std::string::npos);
  BOOST_TEST(!e.proxy_snapshot_due(deadline));
  // The partition heals: one peer's snapshot is the cluster's table.
  e.snapshot_complete("edge2");
  BOOST_TEST(e.update(deadline + 1s) == Eligibility::kLastResort);
  BOOST_TEST(e.proxy_snapshot_due(deadline + 1s));
  e.proxy_snapshot_sent(7, deadline + 1s);
  BOOST_TEST(e.update(deadline + 1s) == Eligibility::kLastResort);
  e.proxy_applied(7);
  BOOST_TEST(e.update(deadline + 1s) == Eligibility::kEligible);
}

BOOST_AUTO_TEST_CASE(deadline_with_one_snapshot_hands_it_to_the_proxy) {
  SyncEligibility e({"edge1", "edge2"}, true, deadline);
  e.snapshot_complete("edge1");
  BOOST_TEST(!e.proxy_snapshot_due(deadline - 1ms));  // edge2 may still answer
  BOOST_TEST(e.proxy_snapshot_due(deadline));
  BOOST_TEST(e.update(deadline) == Eligibility::kLastResort);
  e.proxy_snapshot_sent(2, deadline);
  e.proxy_applied(2);
  BOOST_TEST(e.update(deadline) == Eligibility::kEligible);
}

BOOST_AUTO_TEST_CASE(deadline_with_the_table_but_a_silent_proxy_is_last_resort) {
  SyncEligibility e({"edge1"}, true, deadline);
  e.snapshot_complete("edge1");
  e.proxy_snapshot_sent(1, t0);
  BOOST_TEST(e.update(deadline - 1ms) == Eligibility::kWaiting);
  BOOST_TEST(e.update(deadline) == Eligibility::kLastResort);
  e.proxy_applied(1);
  BOOST_TEST(e.update(deadline) == Eligibility::kEligible);
}

BOOST_AUTO_TEST_CASE(eligible_is_final) {
  SyncEligibility e({"edge1", "edge2"}, true, deadline);
  e.peer_absent("edge1");
  e.peer_absent("edge2");
  BOOST_TEST(e.update(t0) == Eligibility::kEligible);
  // edge1's agent comes up later and sends its snapshot: nothing closes.
  e.snapshot_complete("edge1");
  BOOST_TEST(e.update(t0 + 1s) == Eligibility::kEligible);
  BOOST_TEST(!e.proxy_snapshot_due(t0 + 1s));
}

BOOST_AUTO_TEST_CASE(names) {
  BOOST_TEST(std::string(to_string(Eligibility::kWaiting)) == "waiting");
  BOOST_TEST(std::string(to_string(Eligibility::kLastResort)) == "last_resort");
  BOOST_TEST(std::string(to_string(Eligibility::kEligible)) == "eligible");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace tandem::ha::sync
