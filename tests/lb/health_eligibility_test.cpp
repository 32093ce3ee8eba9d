// Admin state x health x ejection -> traffic; slow start; ServerHealth.
#include <boost/test/unit_test.hpp>

#include <chrono>

#include "lb/health/eligibility.h"
#include "lb/health/server_health.h"

namespace tandem::lb {
namespace {
using namespace std::chrono_literals;
const TimePoint t0 = TimePoint{} + 1h;
}  // namespace

BOOST_AUTO_TEST_SUITE(health_eligibility)

BOOST_AUTO_TEST_CASE(ready) {
  BOOST_TEST(takes_new_clients({config::READY, true, false}));
  BOOST_TEST(takes_stuck_clients({config::READY, true, false}));
  BOOST_TEST(!takes_new_clients({config::READY, false, false}));
  BOOST_TEST(!takes_stuck_clients({config::READY, false, false}));
  BOOST_TEST(!takes_new_clients({config::READY, true, true}));
  BOOST_TEST(!takes_stuck_clients({config::READY, true, true}));
}

BOOST_AUTO_TEST_CASE(drain_keeps_stuck_clients_only) {
  BOOST_TEST(!takes_new_clients({config::DRAIN, true, false}));
  BOOST_TEST(takes_stuck_clients({config::DRAIN, true, false}));
  BOOST_TEST(!takes_stuck_clients({config::DRAIN, false, false}));
  BOOST_TEST(!takes_stuck_clients({config::DRAIN, true, true}));
}

BOOST_AUTO_TEST_CASE(panic_rule_ejection_never_empties_a_pool) {
  const ServerCondition ok{config::READY, true, false};
  const ServerCondition ejected{config::READY, true, true};
  const ServerCondition down{config::READY, false, false};
  const ServerCondition down_and_ejected{config::READY, false, true};
  const ServerCondition drained_ejected{config::DRAIN, true, true};
  // nginx: the only server of a pool is never taken out by failures alone.
  BOOST_TEST(ejections_disregarded({ejected}));
  // Every server ejected: balance over all of them (Envoy's panic mode).
  BOOST_TEST(ejections_disregarded({ejected, ejected, down}));
  // One server left: no panic, it takes the traffic.
  BOOST_TEST(!ejections_disregarded({ejected, ok, ejected}));
  // Active checks are definite: a pool whose servers all fail them stays empty.
  BOOST_TEST(!ejections_disregarded({down}));
  BOOST_TEST(!ejections_disregarded({down_and_ejected, down}));
  // An operator's drain is definite too.
  BOOST_TEST(!ejections_disregarded({drained_ejected}));
  BOOST_TEST(!ejections_disregarded({}));
}

BOOST_AUTO_TEST_CASE(maintenance_and_unknown_take_nothing) {
  BOOST_TEST(!takes_new_clients({config::MAINTENANCE, true, false}));
  BOOST_TEST(!takes_stuck_clients({config::MAINTENANCE, true, false}));
  const auto unknown = static_cast<config::ServerState>(7);  // proto3 enums are open
  BOOST_TEST(!takes_new_clients({unknown, true, false}));
  BOOST_TEST(!takes_stuck_clients({unknown, true, false}));
}

BOOST_AUTO_TEST_CASE(slow_start_ramps_linearly_from_a_tenth) {
  BOOST_TEST(slow_start_weight(100, 0s, 10s) == 10u);
  BOOST_TEST(slow_start_weight(100, 5s, 10s) == 55u);
  BOOST_TEST(slow_start_weight(100, 10s - 1ns, 10s) == 99u);
  BOOST_TEST(slow_start_weight(100, 10s, 10s) == 100u);
  BOOST_TEST(slow_start_weight(100, 1h, 10s) == 100u);
  BOOST_TEST(slow_start_weight(5, 0s, 10s) == 1u);  // at least 1
  BOOST_TEST(slow_start_weight(1, 5s, 10s) == 1u);
  BOOST_TEST(slow_start_weight(0, 5s, 10s) == 0u);
  BOOST_TEST(slow_start_weight(100, 0s, 0s) == 100u);      // off
  BOOST_TEST(slow_start_weight(100, -1s, 10s) == 10u);     // clock before the start
  BOOST_TEST(slow_start_weight(256, 5s, 10s) == 140u);     // 25 + 231/2
}

BOOST_AUTO_TEST_CASE(server_health_combines_the_three) {
  ServerHealth s(config::READY, HealthState(2, 2, InitialHealth::kFullyUp),
                 PassiveEjector(2, 10s), 10s);
  BOOST_TEST(s.takes_new_clients(t0));
  BOOST_TEST(s.effective_weight(100, t0) == 100u);  // no slow start at start-up

  BOOST_TEST(!s.on_check(false, t0).has_value());
  BOOST_TEST(s.on_check(false, t0).has_value());
  BOOST_TEST(!s.takes_new_clients(t0));
  BOOST_TEST(!s.takes_stuck_clients(t0));
  s.on_check(true, t0 + 1s);
  BOOST_TEST(s.on_check(true, t0 + 2s).has_value());  // back up: slow start begins
  BOOST_TEST(s.takes_new_clients(t0 + 2s));
  BOOST_TEST(s.effective_weight(100, t0 + 2s) == 10u);
  BOOST_TEST(s.effective_weight(100, t0 + 7s) == 55u);
  BOOST_TEST(s.effective_weight(100, t0 + 12s) == 100u);

  s.on_request(false, t0 + 20s);
  BOOST_TEST(s.on_request(false, t0 + 20s).has_value());
  BOOST_TEST(s.ejected(t0 + 20s));
  BOOST_TEST(!s.takes_new_clients(t0 + 20s));
  BOOST_TEST(s.tick(t0 + 30s).has_value());
  BOOST_TEST(s.takes_new_clients(t0 + 30s));
  BOOST_TEST(s.effective_weight(100, t0 + 30s) == 10u);  // reintroduced: slow start

  BOOST_TEST(s.set_admin(config::DRAIN, t0 + 40s));
  BOOST_TEST(!s.set_admin(config::DRAIN, t0 + 40s));
  BOOST_TEST(!s.takes_new_clients(t0 + 40s));
  BOOST_TEST(s.takes_stuck_clients(t0 + 40s));
  BOOST_TEST(s.set_admin(config::MAINTENANCE, t0 + 41s));
  BOOST_TEST(!s.takes_stuck_clients(t0 + 41s));
  BOOST_TEST(s.set_admin(config::READY, t0 + 50s));
  BOOST_TEST(s.takes_new_clients(t0 + 50s));
  BOOST_TEST(s.effective_weight(100, t0 + 50s) == 10u);  // out of maintenance: slow start
}

BOOST_AUTO_TEST_CASE(server_health_without_active_checks_is_healthy) {
  ServerHealth s(config::READY, std::nullopt, PassiveEjector(0, 10s), 0ms);
  BOOST_TEST(s.healthy());
  BOOST_TEST(!s.on_check(false, t0).has_value());
  BOOST_TEST(s.takes_new_clients(t0));
  BOOST_TEST(s.effective_weight(7, t0) == 7u);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace tandem::lb
