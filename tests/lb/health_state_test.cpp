// HealthState: HAProxy rise/fall edges and initial states.
#include <boost/test/unit_test.hpp>

#include <chrono>

#include "lb/health/health_state.h"

namespace tandem::lb {
namespace {
using namespace std::chrono_literals;
const TimePoint t0 = TimePoint{} + 1h;
}  // namespace

BOOST_AUTO_TEST_SUITE(health_state)

BOOST_AUTO_TEST_CASE(fall_minus_one_failures_stay_up_fall_goes_down) {
  HealthState h(2, 3, InitialHealth::kFullyUp);
  BOOST_TEST(h.up());
  BOOST_TEST(!h.observe(false, t0).has_value());
  BOOST_TEST(!h.observe(false, t0 + 1s).has_value());
  BOOST_TEST(h.up());
  const auto t = h.observe(false, t0 + 2s, "connection refused");
  BOOST_TEST_REQUIRE(t.has_value());
  BOOST_TEST(t->from == Health::kUp);
  BOOST_TEST(t->to == Health::kDown);
  BOOST_TEST(t->cause == "3 consecutive failed checks, last: connection refused");
  BOOST_TEST((t->at == t0 + 2s));
  BOOST_TEST(!h.up());
  BOOST_TEST(!h.observe(false, t0 + 3s).has_value());  // already down: no new transition
}

BOOST_AUTO_TEST_CASE(rise_successes_bring_it_up) {
  HealthState h(2, 3, InitialHealth::kFullyDown);
  BOOST_TEST(!h.up());
  BOOST_TEST(!h.observe(true, t0).has_value());
  const auto t = h.observe(true, t0 + 1s);
  BOOST_TEST_REQUIRE(t.has_value());
  BOOST_TEST(t->from == Health::kDown);
  BOOST_TEST(t->to == Health::kUp);
  BOOST_TEST(t->cause == "2 consecutive successful checks");
  BOOST_TEST(!h.observe(true, t0 + 2s).has_value());
}

BOOST_AUTO_TEST_CASE(a_success_resets_the_failure_streak) {
  HealthState h(2, 3, InitialHealth::kFullyUp);
  h.observe(false, t0);
  h.observe(false, t0);
  h.observe(true, t0);  // back to full health
  h.observe(false, t0);
  h.observe(false, t0);
  BOOST_TEST(h.up());
  BOOST_TEST(h.observe(false, t0).has_value());
}

BOOST_AUTO_TEST_CASE(a_failure_resets_the_success_streak) {
  HealthState h(3, 2, InitialHealth::kFullyDown);
  h.observe(true, t0);
  h.observe(true, t0);
  h.observe(false, t0);
  h.observe(true, t0);
  h.observe(true, t0);
  BOOST_TEST(!h.up());
  BOOST_TEST(h.observe(true, t0).has_value());
  BOOST_TEST(h.up());
}

BOOST_AUTO_TEST_CASE(flapping_never_flips_with_rise_and_fall_above_one) {
  HealthState h(2, 2, InitialHealth::kFullyUp);
  for (int i = 0; i < 20; ++i) {
    BOOST_TEST(!h.observe(i % 2 == 0, t0 + std::chrono::seconds(i)).has_value());
  }
  BOOST_TEST(h.up());
  HealthState d(2, 2, InitialHealth::kFullyDown);
  for (int i = 0; i < 20; ++i) {
    BOOST_TEST(!d.observe(i % 2 == 0, t0 + std::chrono::seconds(i)).has_value());
  }
  BOOST_TEST(!d.up());
}

BOOST_AUTO_TEST_CASE(rise_fall_one_follows_every_result) {
  HealthState h(1, 1);
  BOOST_TEST(h.observe(false, t0).has_value());
  BOOST_TEST(h.observe(true, t0).has_value());
  BOOST_TEST(h.observe(false, t0)->cause == "1 consecutive failed check");
}

BOOST_AUTO_TEST_CASE(default_initial_state_is_up_one_failure_from_down) {
  HealthState h(2, 3);
  BOOST_TEST(h.up());
  const auto t = h.observe(false, t0);
  BOOST_TEST_REQUIRE(t.has_value());
  BOOST_TEST(t->cause == "1 consecutive failed check");
}

BOOST_AUTO_TEST_CASE(default_initial_up_then_success_becomes_fully_up) {
  HealthState h(2, 3);
  h.observe(true, t0);
  BOOST_TEST(!h.observe(false, t0).has_value());
  BOOST_TEST(!h.observe(false, t0).has_value());
  BOOST_TEST(h.observe(false, t0).has_value());
}

BOOST_AUTO_TEST_CASE(initial_down_comes_up_on_the_first_success) {
  HealthState h(3, 3, InitialHealth::kDown);
  BOOST_TEST(!h.up());
  BOOST_TEST(h.observe(true, t0).has_value());
  HealthState g(3, 3, InitialHealth::kDown);
  BOOST_TEST(!g.observe(false, t0).has_value());  // a failure first: needs rise now
  BOOST_TEST(!g.observe(true, t0).has_value());
  BOOST_TEST(!g.observe(true, t0).has_value());
  BOOST_TEST(g.observe(true, t0).has_value());
}

BOOST_AUTO_TEST_CASE(zero_rise_fall_count_as_one) {
  HealthState h(0, 0);
  BOOST_TEST(h.observe(false, t0).has_value());
  BOOST_TEST(h.observe(true, t0).has_value());
}

BOOST_AUTO_TEST_CASE(names) {
  BOOST_TEST(to_string(Health::kUp) == "UP");
  BOOST_TEST(to_string(Health::kDown) == "DOWN");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace tandem::lb
