// Rate-limited warnings for refused input (common/warn_limiter.h).
#include <boost/test/unit_test.hpp>

#include "common/warn_limiter.h"

namespace tandem {

BOOST_AUTO_TEST_SUITE(warn_limiter)

BOOST_AUTO_TEST_CASE(first_warns_then_one_per_period_counting_the_quiet_ones) {
  using namespace std::chrono_literals;
  const WarnLimiter::TimePoint t0 = WarnLimiter::TimePoint{} + 1h;
  WarnLimiter w(10s);
  BOOST_TEST(w.note(t0) == 1u);
  for (int i = 1; i <= 999; ++i) BOOST_TEST(w.note(t0 + std::chrono::milliseconds(i)) == 0u);
  BOOST_TEST(w.note(t0 + 10s) == 1000u);  // 999 quiet ones and this one
  BOOST_TEST(w.note(t0 + 10s + 1ms) == 0u);
  BOOST_TEST(w.note(t0 + 25s) == 2u);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace tandem
