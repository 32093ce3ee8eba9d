// Tests of lb/runtime/tunnel.h on loopback sockets: early bytes go first,
// bytes cross both ways, a half-close is passed on, the idle limit ends it.
#include "lb/runtime/tunnel.h"

#include <boost/asio/read.hpp>
#include <boost/test/unit_test.hpp>

#include <optional>
#include <string>

#include "tests/lb/loopback_sockets.h"

using namespace tandem::lb;
using namespace std::chrono_literals;
using tandem::lb::testing::connected;

namespace {

// The tunnel's two ends (client_near/server_near) and the peers a test drives.
struct Rig {
  asio::io_context io;
  tcp::socket client_far{io}, client_near{io}, server_near{io}, server_far{io};
  std::atomic<std::uint64_t> c2s_read{0}, c2s_sent{0}, s2c_read{0}, s2c_sent{0};
  std::optional<TunnelEnd> ended;
  Rig() {
    auto [a, b] = connected(io);
    client_far = std::move(a);
    client_near = std::move(b);
    auto [c, d] = connected(io);
    server_near = std::move(c);
    server_far = std::move(d);
  }
  void start(beast::flat_buffer& client_early, beast::flat_buffer& server_early, std::chrono::milliseconds idle) {
    const TunnelCounters counters{&c2s_read, &c2s_sent, &s2c_read, &s2c_sent};
    asio::co_spawn(io, [&, counters, idle]() -> awaitable<void> {
      ended = co_await run_upgraded(client_near, client_early, server_near, server_early, idle, counters);
    }, asio::detached);
  }
};

std::string read_exactly(tcp::socket& s, std::size_t n) {
  std::string got(n, '\0');
  asio::read(s, asio::buffer(got));
  return got;
}

void put(beast::flat_buffer& b, std::string_view s) {
  b.commit(asio::buffer_copy(b.prepare(s.size()), asio::buffer(s)));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(runtime_tunnel)

BOOST_AUTO_TEST_CASE(early_bytes_then_both_ways_then_half_close_each_side) {
  Rig rig;
  beast::flat_buffer client_early, server_early;
  put(client_early, "C0");
  put(server_early, "S0");
  rig.start(client_early, server_early, 10s);
  rig.io.poll();
  rig.client_far.write_some(asio::buffer(std::string_view("hello")));
  rig.server_far.write_some(asio::buffer(std::string_view("world")));
  rig.io.run_for(100ms);
  BOOST_TEST(read_exactly(rig.server_far, 7) == "C0hello");
  BOOST_TEST(read_exactly(rig.client_far, 7) == "S0world");
  // The client half-closes: the server reads EOF but can still answer.
  rig.client_far.shutdown(tcp::socket::shutdown_send);
  rig.io.run_for(100ms);
  char c;
  boost::system::error_code ec;
  rig.server_far.read_some(asio::buffer(&c, 1), ec);
  BOOST_TEST((ec == asio::error::eof));
  rig.server_far.write_some(asio::buffer(std::string_view("late")));
  rig.io.run_for(100ms);
  BOOST_TEST(read_exactly(rig.client_far, 4) == "late");
  BOOST_TEST(!rig.ended.has_value());  // one direction is still open
  rig.server_far.shutdown(tcp::socket::shutdown_send);
  rig.io.run_for(200ms);
  BOOST_REQUIRE(rig.ended.has_value());
  BOOST_TEST((*rig.ended == TunnelEnd::closed));
  BOOST_TEST(rig.c2s_read.load() == 5u);
  BOOST_TEST(rig.c2s_sent.load() == 7u);
  BOOST_TEST(rig.s2c_read.load() == 9u);
  BOOST_TEST(rig.s2c_sent.load() == 11u);
}

BOOST_AUTO_TEST_CASE(silence_for_the_idle_limit_ends_it) {
  Rig rig;
  beast::flat_buffer client_early, server_early;
  rig.start(client_early, server_early, 150ms);
  const auto started = Clock::now();
  for (int i = 0; i < 3; ++i) {  // traffic within the limit keeps it open
    rig.io.run_for(80ms);
    rig.client_far.write_some(asio::buffer(std::string_view("x")));
  }
  rig.io.run_for(50ms);
  BOOST_TEST(!rig.ended.has_value());
  while (!rig.ended && Clock::now() - started < 3s) rig.io.run_for(20ms);
  BOOST_REQUIRE(rig.ended.has_value());
  BOOST_TEST((*rig.ended == TunnelEnd::idle));
  BOOST_CHECK(Clock::now() - started >= 350ms);  // 150 ms after the last byte (at ~240 ms)
}

BOOST_AUTO_TEST_SUITE_END()
