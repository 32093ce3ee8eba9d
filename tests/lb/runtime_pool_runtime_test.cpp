// PoolRuntime: which servers take new and stuck clients, passive ejection and
// its reintroduction, the panic rule, slow start, admin states, the version
// that makes workers rebuild, and what a reload inherits. The clock is the
// tests' (every call takes NOW); nothing waits.
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <string>

#include "lb/runtime/pool_runtime.h"

namespace tandem::lb {
namespace {

using namespace std::chrono_literals;
const SteadyTime t0 = SteadyTime{} + 1h;  // a fake clock: tests move it by hand

config::Pool pool_config(int servers, std::uint32_t max_fails = 2) {
  config::Pool p;
  p.set_name("web");
  for (int i = 0; i < servers; ++i) {
    auto* s = p.add_servers();
    s->set_name("s" + std::to_string(i));
    s->set_address("127.0.0.1:" + std::to_string(8000 + i));
  }
  p.mutable_passive_check()->set_max_fails(max_fails);
  p.mutable_passive_check()->set_fail_timeout_ms(1000);
  return p;
}

std::vector<ServerIndex> indexes(const std::vector<Candidate>& usable) {
  std::vector<ServerIndex> out;
  for (const auto& c : usable) out.push_back(c.index);
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(runtime_pool_runtime)

BOOST_AUTO_TEST_CASE(every_ready_server_is_usable_at_first) {
  PoolRuntime pool(pool_config(3), "lb1");
  BOOST_TEST(indexes(pool.usable(t0)) == (std::vector<ServerIndex>{0, 1, 2}));
  BOOST_TEST(pool.find("s1") == 1);
  BOOST_TEST(pool.find("nope") == -1);
  BOOST_TEST(pool.stick_table() == nullptr);
  BOOST_TEST(!pool.in_panic(t0));
}

BOOST_AUTO_TEST_CASE(consecutive_failures_eject_until_the_cool_down_ends) {
  PoolRuntime pool(pool_config(2), "lb1");
  const auto v0 = pool.version();
  pool.report_failure(0, t0, "connect failed");
  BOOST_TEST(pool.takes_new(0, t0));  // one failure of two
  pool.report_failure(0, t0, "connect failed");
  BOOST_TEST(!pool.takes_new(0, t0));
  BOOST_TEST(pool.version() > v0);  // workers rebuild their balancers
  BOOST_TEST(pool.server(0).ejections.load() == 1u);
  BOOST_TEST(indexes(pool.usable(t0 + 10ms)) == (std::vector<ServerIndex>{1}));
  // The cool-down is over: back, and tick() notices and bumps.
  const auto v1 = pool.version();
  pool.tick(t0 + 10ms);
  pool.tick(t0 + 1100ms);
  BOOST_TEST(pool.takes_new(0, t0 + 1100ms));
  BOOST_TEST(pool.version() > v1);
}

BOOST_AUTO_TEST_CASE(a_success_resets_the_failure_count) {
  PoolRuntime pool(pool_config(2), "lb1");
  pool.report_failure(0, t0, "connect failed");
  pool.report_success(0, t0);
  pool.report_failure(0, t0, "connect failed");
  BOOST_TEST(pool.takes_new(0, t0));
  BOOST_TEST(pool.server(0).failures.load() == 2u);
}

BOOST_AUTO_TEST_CASE(ejection_never_empties_the_pool_the_panic_rule) {
  PoolRuntime pool(pool_config(2, 1), "lb1");
  pool.report_failure(0, t0, "reset");
  pool.report_failure(1, t0, "reset");
  BOOST_TEST(pool.in_panic(t0));
  BOOST_TEST(indexes(pool.usable(t0)) == (std::vector<ServerIndex>{0, 1}));
  pool.tick(t0);
  BOOST_TEST(pool.panics() == 1u);
  pool.tick(t0 + 10ms);
  BOOST_TEST(pool.panics() == 1u);  // counted on entry only
}

BOOST_AUTO_TEST_CASE(an_active_check_failure_is_not_a_panic) {
  PoolRuntime pool(pool_config(2), "lb1");
  pool.set_healthy(0, false, t0, "connect refused");
  pool.set_healthy(1, false, t0, "connect refused");
  BOOST_TEST(!pool.in_panic(t0));
  BOOST_TEST(pool.usable(t0).empty());
}

BOOST_AUTO_TEST_CASE(drain_keeps_stuck_clients_maintenance_keeps_none) {
  PoolRuntime pool(pool_config(2), "lb1");
  pool.set_admin_state(0, config::DRAIN);
  BOOST_TEST(!pool.takes_new(0, t0));
  BOOST_TEST(pool.takes_stuck(0, t0));
  BOOST_TEST(pool.stuck_server("s0", t0).value() == 0u);
  pool.set_admin_state(0, config::MAINTENANCE);
  BOOST_TEST(!pool.takes_stuck(0, t0));
  BOOST_TEST(!pool.stuck_server("s0", t0).has_value());
  BOOST_TEST(!pool.stuck_server("gone", t0).has_value());
}

BOOST_AUTO_TEST_CASE(slow_start_ramps_the_weight_of_a_returning_server) {
  auto cfg = pool_config(1);
  cfg.mutable_servers(0)->set_weight(100);
  cfg.set_slow_start_ms(1000);
  PoolRuntime pool(cfg, "lb1");
  pool.set_healthy(0, false, t0, "down");
  pool.set_healthy(0, true, t0, "up");
  const auto early = pool.usable(t0 + 100ms).at(0).weight;
  const auto later = pool.usable(t0 + 900ms).at(0).weight;
  BOOST_TEST(early < later);
  BOOST_TEST(later < 100u);
  BOOST_TEST(pool.usable(t0 + 2s).at(0).weight == 100u);
}

BOOST_AUTO_TEST_CASE(a_reload_inherits_what_was_learned_of_the_same_server) {
  PoolRuntime old(pool_config(2), "lb1");
  old.set_healthy(0, false, t0, "down");
  old.set_admin_state(1, config::DRAIN);
  auto cfg = pool_config(2);
  cfg.mutable_servers(1)->set_address("127.0.0.1:9999");  // another server under the same name
  PoolRuntime next(cfg, "lb1");
  next.inherit(old);
  BOOST_TEST(!next.server(0).healthy.load());
  BOOST_TEST(next.takes_new(1, t0));  // not the drained one: it moved
}

BOOST_AUTO_TEST_CASE(table_stickiness_keeps_a_table_and_a_policy) {
  auto cfg = pool_config(1);
  cfg.mutable_stickiness()->set_kind(config::Stickiness::SOURCE_IP);
  PoolRuntime pool(cfg, "lb1");
  BOOST_TEST(pool.stick_table() != nullptr);
  const auto sticky = pool.sticky_policy();
  sticky.record(sticky.after(sticky.before({.source = "198.18.0.5"}, t0), "s0"), t0);
  BOOST_TEST(pool.stick_table()->lookup("198.18.0.5", t0).value() == "s0");
}

BOOST_AUTO_TEST_CASE(the_request_key_is_the_algorithms) {
  auto cfg = pool_config(2);
  cfg.set_algorithm(config::SOURCE_IP_HASH);
  PoolRuntime hashed(cfg, "lb1");
  BOOST_TEST(hashed.request_key({.source_hash = 42}) == 42u);
  PoolRuntime plain(pool_config(2), "lb1");
  BOOST_TEST(plain.request_key({.source_hash = 42}) == 0u);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace tandem::lb
