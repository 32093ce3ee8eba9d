// probe_schedule: where a server's checks start, and the spread of first probes.
#include <boost/test/unit_test.hpp>

#include <chrono>

#include "lb/health/probe_schedule.h"

namespace tandem::lb {

using namespace std::chrono_literals;

BOOST_AUTO_TEST_SUITE(health_probe_schedule)

BOOST_AUTO_TEST_CASE(initial_health_follows_what_is_known) {
  BOOST_TEST((initial_health(false, false) == InitialHealth::kFullyDown));
  BOOST_TEST((initial_health(false, true) == InitialHealth::kFullyDown));
  BOOST_TEST((initial_health(true, true) == InitialHealth::kFullyUp));
  BOOST_TEST((initial_health(true, false) == InitialHealth::kUp));
}

BOOST_AUTO_TEST_CASE(first_probes_spread_over_one_interval) {
  BOOST_TEST(first_probe_delay(2000ms, 0, 3).count() == 500);
  BOOST_TEST(first_probe_delay(2000ms, 1, 3).count() == 1000);
  BOOST_TEST(first_probe_delay(2000ms, 2, 3).count() == 1500);
  BOOST_TEST(first_probe_delay(2000ms, 0, 1).count() == 1000);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace tandem::lb
