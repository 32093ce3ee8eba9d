// Backoff, lag statistics, the initial-sync gate (ha/sync/peer_state.h),
// and the machine's reaction to a connection loss confirmed by fast probes.
#include <boost/test/unit_test.hpp>

#include "failover_test_util.h"
#include "ha/sync/peer_state.h"

namespace tandem::ha::sync {
namespace {
using namespace std::chrono_literals;
const TimePoint t0 = TimePoint{} + std::chrono::hours(1);
}  // namespace

BOOST_AUTO_TEST_SUITE(sync_peer_state)

BOOST_AUTO_TEST_CASE(backoff_doubles_to_its_cap_and_resets) {
  Backoff b(100ms, 1000ms);
  BOOST_TEST(b.next(1.0).count() == 100);
  BOOST_TEST(b.next(1.0).count() == 200);
  BOOST_TEST(b.next(1.0).count() == 400);
  BOOST_TEST(b.next(1.0).count() == 800);
  BOOST_TEST(b.next(1.0).count() == 1000);
  BOOST_TEST(b.next(0.0).count() == 750);  // jitter spreads it down to 75%
  b.reset();
  BOOST_TEST(b.next(1.0).count() == 100);
}

BOOST_AUTO_TEST_CASE(lag_quantiles_over_a_bounded_window) {
  LagStats lag(100);
  BOOST_TEST(lag.quantile(0.5) == 0.0);
  for (int i = 1; i <= 100; ++i) lag.add(i);
  BOOST_TEST(lag.quantile(0.5) == 51.0, boost::test_tools::tolerance(1.0));
  BOOST_TEST(lag.quantile(0.99) == 99.0, boost::test_tools::tolerance(1.0));
  for (int i = 0; i < 100; ++i) lag.add(1000);  // the window moves on
  BOOST_TEST(lag.quantile(0.5) == 1000.0);
  BOOST_TEST(lag.count() == 200u);
}

BOOST_AUTO_TEST_CASE(gate_opens_when_every_peer_settled) {
  InitialSyncGate g({"edge2", "edge3"}, t0 + 3s);
  BOOST_TEST(!g.open(t0));
  g.snapshot_complete("edge2");
  BOOST_TEST(!g.open(t0));
  BOOST_TEST(g.waiting() == std::vector<std::string>{"edge3"});
  g.peer_absent("edge3");
  BOOST_TEST(g.open(t0));
  BOOST_TEST(g.describe(t0) == "edge2: snapshot received, edge3: no agent listening");
}

BOOST_AUTO_TEST_CASE(gate_opens_at_its_deadline_when_peers_are_silent) {
  InitialSyncGate g({"edge2"}, t0 + 3s);
  BOOST_TEST(!g.open(t0 + 3s - 1ms));
  BOOST_TEST(g.open(t0 + 3s));
  BOOST_TEST(g.describe(t0 + 3s) == "edge2: waiting (timed out)");
}

BOOST_AUTO_TEST_CASE(gate_without_peers_is_open) {
  InitialSyncGate g({}, t0 + 3s);
  BOOST_TEST(g.open(t0));
}

BOOST_AUTO_TEST_CASE(confirmed_down_master_is_taken_over_after_skew_only) {
  using namespace tandem::ha::test;
  InstanceMachine m(make_config(1, 2, 100));
  m.start(test::t0());
  m.advert_received(master_advert(0, 200), test::t0());
  m.peer_connection_lost("edge1", test::t0() + 10ms);
  const TimePoint aligned = test::t0() + 60ms;  // the close + the probe window
  auto actions = m.peer_confirmed_down("edge1", aligned, test::t0() + 40ms);
  BOOST_TEST(count_of<Notice>(actions) == 1u);
  const TimePoint takeover = aligned + skew_time(100ms, 100);
  BOOST_TEST(count_of<ClaimVip>(drive(m, takeover - 1ms)) == 0u);
  BOOST_TEST(count_of<ClaimVip>(drive(m, takeover + 1ms)) == 1u);
  BOOST_TEST(m.state() == State::kMaster);
}

BOOST_AUTO_TEST_CASE(a_late_confirmation_counts_skew_from_now) {
  using namespace tandem::ha::test;
  InstanceMachine m(make_config(1, 2, 100));
  m.start(test::t0());
  m.advert_received(master_advert(0, 200), test::t0());
  m.peer_connection_lost("edge1", test::t0() + 10ms);
  const TimePoint now = test::t0() + 80ms;  // probes took longer than the window
  m.peer_confirmed_down("edge1", test::t0() + 60ms, now);
  BOOST_TEST(count_of<ClaimVip>(drive(m, now + skew_time(100ms, 100) - 1ms)) == 0u);
  BOOST_TEST(count_of<ClaimVip>(drive(m, now + skew_time(100ms, 100) + 1ms)) == 1u);
}

BOOST_AUTO_TEST_CASE(two_backups_keep_the_priority_order_whenever_their_probes_end) {
  using namespace tandem::ha::test;
  InstanceMachine high(make_config(1, 3, 150));
  InstanceMachine low(make_config(2, 3, 100));
  for (auto* m : {&high, &low}) {
    m->start(test::t0());
    m->advert_received(master_advert(0, 200), test::t0());
    m->peer_connection_lost("edge1", test::t0() + 10ms);
  }
  const TimePoint aligned = test::t0() + 60ms;
  high.peer_confirmed_down("edge1", aligned, test::t0() + 45ms);  // its probes ended later
  low.peer_confirmed_down("edge1", aligned, test::t0() + 30ms);
  const TimePoint high_goes = aligned + skew_time(100ms, 150);
  BOOST_TEST(count_of<ClaimVip>(drive(high, high_goes + 1ms)) == 1u);
  BOOST_TEST(count_of<ClaimVip>(drive(low, high_goes + 1ms)) == 0u);  // its skew is longer
}

BOOST_AUTO_TEST_CASE(confirmed_down_of_another_node_changes_nothing) {
  using namespace tandem::ha::test;
  InstanceMachine m(make_config(2, 3, 100));
  m.start(test::t0());
  m.advert_received(master_advert(0, 200), test::t0());
  const auto deadline = m.next_deadline();
  BOOST_TEST(m.peer_confirmed_down("edge2", test::t0() + 10ms, test::t0() + 10ms).empty());
  BOOST_TEST((m.next_deadline() == deadline));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace tandem::ha::sync
