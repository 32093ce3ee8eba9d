// The Watchdog over real loopback sockets: a deadline cuts a pending read and
// the read reports a timeout; disarm() and a later arm() move the deadline;
// destroying the Watchdog with its timer pending is safe and lets the
// io_context finish.
#include "lb/runtime/watchdog.h"
#include "tests/lb/loopback_sockets.h"

#include <boost/test/unit_test.hpp>

#include <memory>
#include <optional>

namespace {

using namespace tandem::lb;
using namespace std::chrono_literals;

using tandem::lb::testing::connected;

// Reads from SOCKET once; the error as the watchdog translates it.
void read_once(tcp::socket& socket, Watchdog& watchdog, std::optional<boost::system::error_code>& out) {
  static char byte;
  socket.async_read_some(asio::buffer(&byte, 1), [&](boost::system::error_code ec, std::size_t) {
    out = watchdog.translate(ec);
  });
}

}  // namespace

BOOST_AUTO_TEST_SUITE(runtime_watchdog)

BOOST_AUTO_TEST_CASE(deadline_cuts_a_pending_read_as_a_timeout) {
  asio::io_context io;
  auto [a, b] = connected(io);
  auto watchdog = std::make_unique<Watchdog>(io.get_executor(), 20ms);
  watchdog->watch(&b, nullptr);
  watchdog->arm(50ms);
  std::optional<boost::system::error_code> got;
  read_once(b, *watchdog, got);
  const auto started = Clock::now();
  while (!got && io.run_one() > 0) {
  }  // the timer's wake-ups, then the read's completion after the cut
  BOOST_REQUIRE(got.has_value());
  BOOST_CHECK(*got == beast::error::timeout);
  BOOST_CHECK(watchdog->expired());
  BOOST_CHECK(Clock::now() - started >= 45ms);
  BOOST_CHECK(Clock::now() - started < 2s);
  watchdog.reset();
  io.run();  // the timer's handler, already stopped: returns at once
}

BOOST_AUTO_TEST_CASE(disarm_lets_a_wait_run_past_the_limit_and_arm_restarts_it) {
  asio::io_context io;
  auto [a, b] = connected(io);
  Watchdog watchdog(io.get_executor(), 10ms);
  watchdog.watch(&b, nullptr);
  watchdog.arm(20ms);
  watchdog.disarm();
  std::optional<boost::system::error_code> got;
  read_once(b, watchdog, got);
  io.run_for(100ms);
  BOOST_CHECK(!got.has_value());  // no deadline: still waiting
  BOOST_CHECK(!watchdog.expired());
  watchdog.arm(30ms);
  io.restart();
  io.run_for(2s);
  BOOST_REQUIRE(got.has_value());
  BOOST_CHECK(*got == beast::error::timeout);
}

BOOST_AUTO_TEST_CASE(an_earlier_deadline_wakes_a_long_sleep) {
  asio::io_context io;
  auto [a, b] = connected(io);
  Watchdog watchdog(io.get_executor(), 10s);  // coarse: the re-arm must wake it
  watchdog.watch(&b, nullptr);
  watchdog.arm(10s);
  watchdog.arm(30ms);
  std::optional<boost::system::error_code> got;
  read_once(b, watchdog, got);
  const auto started = Clock::now();
  io.run_for(2s);
  BOOST_REQUIRE(got.has_value());
  BOOST_CHECK(*got == beast::error::timeout);
  BOOST_CHECK(Clock::now() - started < 1s);
}

BOOST_AUTO_TEST_CASE(bytes_in_time_are_no_timeout_and_destruction_ends_the_timer) {
  asio::io_context io;
  auto [a, b] = connected(io);
  std::optional<boost::system::error_code> got;
  {
    Watchdog watchdog(io.get_executor(), 1s);
    watchdog.watch(&b, nullptr);
    watchdog.arm(5s);
    read_once(b, watchdog, got);
    a.write_some(asio::buffer("x", 1));
    while (!got && io.run_one() > 0) {
    }
    BOOST_REQUIRE(got.has_value());
    BOOST_CHECK(!*got);
    BOOST_CHECK(!watchdog.expired());
  }
  // Only the cancelled timer wait is left; it must not keep io busy for 5 s.
  const auto started = Clock::now();
  io.run();
  BOOST_CHECK(Clock::now() - started < 1s);
}

BOOST_AUTO_TEST_SUITE_END()
