// PassiveEjector: max_fails/fail_timeout ejection, half-open reintroduction.
#include <boost/test/unit_test.hpp>

#include <chrono>

#include "lb/health/passive_ejector.h"

namespace tandem::lb {
namespace {
using namespace std::chrono_literals;
const TimePoint t0 = TimePoint{} + 1h;
}  // namespace

BOOST_AUTO_TEST_SUITE(health_passive)

BOOST_AUTO_TEST_CASE(ejects_after_max_fails_consecutive_failures) {
  PassiveEjector p(3, 10s);
  BOOST_TEST(!p.on_result(false, t0).has_value());
  BOOST_TEST(!p.on_result(false, t0).has_value());
  BOOST_TEST(!p.ejected(t0));
  const auto t = p.on_result(false, t0 + 1ms);
  BOOST_TEST_REQUIRE(t.has_value());
  BOOST_TEST(t->to == Health::kDown);
  BOOST_TEST(t->cause == "3 consecutive failed requests; ejected for 10000 ms");
  BOOST_TEST(p.ejected(t0 + 1ms));
  BOOST_TEST(p.ejected(t0 + 10s));
  BOOST_TEST(!p.ejected(t0 + 10s + 1ms));
  BOOST_TEST(p.ejections() == 1u);
}

BOOST_AUTO_TEST_CASE(a_success_resets_the_count) {
  PassiveEjector p(3, 10s);
  p.on_result(false, t0);
  p.on_result(false, t0);
  p.on_result(true, t0);
  p.on_result(false, t0);
  p.on_result(false, t0);
  BOOST_TEST(!p.ejected(t0));
  BOOST_TEST(p.consecutive_failures() == 2u);
}

BOOST_AUTO_TEST_CASE(max_fails_zero_disables) {
  PassiveEjector p(0, 10s);
  for (int i = 0; i < 100; ++i) BOOST_TEST(!p.on_result(false, t0).has_value());
  BOOST_TEST(!p.ejected(t0));
}

BOOST_AUTO_TEST_CASE(results_while_ejected_are_ignored) {
  PassiveEjector p(1, 10s);
  BOOST_TEST(p.on_result(false, t0).has_value());
  BOOST_TEST(!p.on_result(false, t0 + 5s).has_value());  // does not extend
  BOOST_TEST(!p.on_result(true, t0 + 5s).has_value());   // does not reintroduce
  BOOST_TEST(p.ejected(t0 + 5s));
  BOOST_TEST(!p.ejected(t0 + 10s));
}

BOOST_AUTO_TEST_CASE(tick_reports_reintroduction_once) {
  PassiveEjector p(2, 10s);
  p.on_result(false, t0);
  p.on_result(false, t0);
  BOOST_TEST(!p.tick(t0 + 10s - 1ms).has_value());
  const auto t = p.tick(t0 + 10s);
  BOOST_TEST_REQUIRE(t.has_value());
  BOOST_TEST(t->from == Health::kDown);
  BOOST_TEST(t->to == Health::kUp);
  BOOST_TEST(!p.tick(t0 + 11s).has_value());
  BOOST_TEST(!p.ejected(t0 + 11s));
}

BOOST_AUTO_TEST_CASE(half_open_one_failure_re_ejects) {
  PassiveEjector p(3, 10s);
  for (int i = 0; i < 3; ++i) p.on_result(false, t0);
  p.tick(t0 + 10s);
  const auto t = p.on_result(false, t0 + 11s);
  BOOST_TEST_REQUIRE(t.has_value());
  BOOST_TEST(t->to == Health::kDown);
  BOOST_TEST(p.ejected(t0 + 11s));
  BOOST_TEST(!p.ejected(t0 + 21s));
  BOOST_TEST(p.ejections() == 2u);
}

BOOST_AUTO_TEST_CASE(half_open_success_closes) {
  PassiveEjector p(3, 10s);
  for (int i = 0; i < 3; ++i) p.on_result(false, t0);
  p.tick(t0 + 10s);
  BOOST_TEST(!p.on_result(true, t0 + 11s).has_value());
  // Closed again: it takes max_fails failures once more.
  BOOST_TEST(!p.on_result(false, t0 + 12s).has_value());
  BOOST_TEST(!p.on_result(false, t0 + 12s).has_value());
  BOOST_TEST(!p.ejected(t0 + 12s));
  BOOST_TEST(p.on_result(false, t0 + 12s).has_value());
}

BOOST_AUTO_TEST_CASE(reintroduction_noticed_by_a_request_without_tick) {
  PassiveEjector p(1, 10s);
  p.on_result(false, t0);
  const auto t = p.on_result(true, t0 + 20s);
  BOOST_TEST_REQUIRE(t.has_value());
  BOOST_TEST(t->to == Health::kUp);
  PassiveEjector q(1, 10s);
  q.on_result(false, t0);
  const auto u = q.on_result(false, t0 + 20s);  // failed on probation
  BOOST_TEST_REQUIRE(u.has_value());
  BOOST_TEST(u->to == Health::kDown);
  BOOST_TEST(q.ejected(t0 + 20s));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace tandem::lb
