// UpstreamPool: the per-server idle cap (Pool.max_idle_per_server), reuse
// most-recent-first, and the expiry sweep. Real loopback sockets; the clock
// is the tests' (every call takes NOW).
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <vector>

#include "config/defaults.h"
#include "lb/runtime/upstream_pool.h"
#include "loopback_sockets.h"

namespace tandem::lb {
namespace {

using namespace std::chrono_literals;
const Clock::time_point t0 = Clock::time_point{} + 1h;

config::Server server_config() {
  config::Server s;
  s.set_name("s1");
  s.set_address("127.0.0.1:8000");
  return s;
}

struct Fixture {
  asio::io_context io;
  ServerRuntime server{server_config(), config::EffectivePassiveCheck{}};
  UpstreamPool pool;
  std::vector<tcp::socket> peers;  // the far ends, kept open so the near ends look alive

  ServerStream connection() {
    auto [near, far] = testing::connected(io);
    peers.push_back(std::move(far));
    return ServerStream(std::move(near));
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(runtime_upstream_pool)

BOOST_FIXTURE_TEST_CASE(the_default_cap_keeps_a_thousand_connections, Fixture) {
  // What spares a proxy at 1000 client connections a connect per request.
  BOOST_TEST(config::pool_max_idle_per_server(config::Pool{}) == 1024u);
  for (int i = 0; i < 1000; ++i) pool.give(&server, connection(), t0, 30s);
  BOOST_TEST(pool.size(&server) == 1000u);
}

BOOST_FIXTURE_TEST_CASE(beyond_the_cap_a_returned_connection_is_closed, Fixture) {
  server.max_idle = 2;
  for (int i = 0; i < 3; ++i) pool.give(&server, connection(), t0, 30s);
  BOOST_TEST(pool.size(&server) == 2u);
}

BOOST_FIXTURE_TEST_CASE(zero_means_no_reuse, Fixture) {
  config::Pool p;
  p.set_max_idle_per_server(0);
  server.max_idle = config::pool_max_idle_per_server(p);
  pool.give(&server, connection(), t0, 30s);
  BOOST_TEST(pool.size() == 0u);
  BOOST_TEST(!pool.take(&server, t0, 30s, true, io.get_executor()).is_open());
}

BOOST_FIXTURE_TEST_CASE(take_returns_the_most_recent_first, Fixture) {
  auto first = connection();
  auto second = connection();
  const auto second_port = second.socket().local_endpoint().port();
  pool.give(&server, std::move(first), t0, 30s);
  pool.give(&server, std::move(second), t0 + 1ms, 30s);
  auto got = pool.take(&server, t0 + 2ms, 30s, true, io.get_executor());
  BOOST_TEST(got.is_open());
  BOOST_TEST(got.socket().local_endpoint().port() == second_port);
  BOOST_TEST(pool.size(&server) == 1u);
}

BOOST_FIXTURE_TEST_CASE(a_connection_past_its_keep_time_is_not_taken, Fixture) {
  pool.give(&server, connection(), t0, 5s);
  BOOST_TEST(!pool.take(&server, t0 + 5s, 30s, true, io.get_executor()).is_open());
  BOOST_TEST(pool.size() == 0u);
}

BOOST_FIXTURE_TEST_CASE(a_connection_the_server_closed_is_not_taken, Fixture) {
  pool.give(&server, connection(), t0, 30s);
  peers.back().close();
  // Idle past kFreshIdle: probed, found closed (EOF), dropped.
  BOOST_TEST(!pool.take(&server, t0 + 2s, 30s, true, io.get_executor()).is_open());
}

BOOST_FIXTURE_TEST_CASE(the_sweep_closes_only_expired_connections, Fixture) {
  pool.give(&server, connection(), t0, 1s);
  pool.give(&server, connection(), t0, 10s);
  pool.give(&server, connection(), t0 + 1s, 1s);
  BOOST_TEST(pool.close_expired(t0 + 1s) == 1u);
  BOOST_TEST(pool.size(&server) == 2u);
  BOOST_TEST(pool.close_expired(t0 + 2s) == 1u);
  BOOST_TEST(pool.size(&server) == 1u);
  // The far end sees the sweep's close: EOF.
  char byte;
  boost::system::error_code ec;
  peers[0].read_some(asio::buffer(&byte, 1), ec);
  BOOST_TEST(ec == asio::error::eof);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace tandem::lb
