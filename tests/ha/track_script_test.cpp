// Tests for the pure parts of tracking: track-script rise/fall
// (ha/track/track_script.h) and the proxy verdict (ha/track/proxy_tracker.h).
#include <boost/test/unit_test.hpp>

#include "ha/track/proxy_tracker.h"
#include "ha/track/track_script.h"

namespace tandem::ha {
namespace {

using namespace std::chrono_literals;

TimePoint t0() { return TimePoint{} + std::chrono::hours(1000); }

BOOST_AUTO_TEST_SUITE(agent_rise_fall)

BOOST_AUTO_TEST_CASE(first_result_decides_at_once) {
  RiseFall bad(2, 3);
  BOOST_TEST(bad.healthy());
  BOOST_TEST(bad.unproven());
  BOOST_TEST(bad.observe(false).value_or(true) == false);
  BOOST_TEST(!bad.unproven());
  RiseFall good(2, 3);
  BOOST_TEST(!good.observe(true).has_value());
  BOOST_TEST(good.healthy());
}

BOOST_AUTO_TEST_CASE(fall_consecutive_failures) {
  RiseFall rf(2, 3);
  rf.observe(true);
  BOOST_TEST(!rf.observe(false).has_value());
  BOOST_TEST(!rf.observe(false).has_value());
  BOOST_TEST(rf.observe(false).value_or(true) == false);
  BOOST_TEST(!rf.healthy());
}

BOOST_AUTO_TEST_CASE(a_success_resets_the_fall_streak) {
  RiseFall rf(2, 2);
  rf.observe(true);
  rf.observe(false);
  rf.observe(true);
  BOOST_TEST(!rf.observe(false).has_value());
  BOOST_TEST(rf.healthy());
  BOOST_TEST(rf.observe(false).value_or(true) == false);
}

BOOST_AUTO_TEST_CASE(rise_consecutive_successes) {
  RiseFall rf(3, 1);
  rf.observe(false);
  BOOST_TEST(!rf.observe(true).has_value());
  BOOST_TEST(!rf.observe(false).has_value());  // resets
  BOOST_TEST(!rf.observe(true).has_value());
  BOOST_TEST(!rf.observe(true).has_value());
  BOOST_TEST(rf.observe(true).value_or(false) == true);
  BOOST_TEST(rf.healthy());
}

BOOST_AUTO_TEST_CASE(zero_counts_mean_one) {
  RiseFall rf(0, 0);
  rf.observe(true);
  BOOST_TEST(rf.observe(false).value_or(true) == false);
  BOOST_TEST(rf.observe(true).value_or(false) == true);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(agent_proxy_liveness)

BOOST_AUTO_TEST_CASE(grace_before_the_first_heartbeat) {
  ProxyLiveness l(500ms, t0());
  BOOST_TEST(l.alive(t0()));
  BOOST_TEST(l.alive(t0() + 500ms));
  BOOST_TEST(!l.alive(t0() + 501ms));
  BOOST_TEST(l.why_dead(t0() + 501ms) == "never connected");
  l.connected(t0() + 100ms);
  BOOST_TEST(l.why_dead(t0() + 600ms) == "no heartbeat since it connected");
}

BOOST_AUTO_TEST_CASE(heartbeats_keep_it_alive) {
  ProxyLiveness l(500ms, t0());
  l.connected(t0());
  l.heartbeat(true, t0() + 100ms);
  BOOST_TEST(l.alive(t0() + 600ms));
  BOOST_TEST(!l.alive(t0() + 601ms));
  BOOST_TEST(l.why_dead(t0() + 700ms) == "no heartbeat for 600 ms");
  l.heartbeat(true, t0() + 700ms);
  BOOST_TEST(l.alive(t0() + 700ms));
}

BOOST_AUTO_TEST_CASE(not_serving_is_dead) {
  ProxyLiveness l(500ms, t0());
  l.heartbeat(false, t0() + 10ms);
  BOOST_TEST(l.why_dead(t0() + 10ms) == "not serving");
  l.heartbeat(true, t0() + 20ms);
  BOOST_TEST(l.alive(t0() + 20ms));
}

BOOST_AUTO_TEST_CASE(disconnect_is_dead_at_once_even_in_grace) {
  ProxyLiveness l(500ms, t0());
  l.connected(t0());
  l.disconnected(t0() + 10ms);
  BOOST_TEST(l.why_dead(t0() + 10ms) == "no connection");
  l.connected(t0() + 20ms);
  BOOST_TEST(!l.alive(t0() + 20ms));  // dead until its first heartbeat
  l.heartbeat(true, t0() + 30ms);
  BOOST_TEST(l.alive(t0() + 30ms));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace tandem::ha
