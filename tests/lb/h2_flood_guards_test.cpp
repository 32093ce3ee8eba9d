// Unit tests for lb/h2/flood_guards and window_count: rapid reset
// (CVE-2023-44487), CONTINUATION flood, SETTINGS/PING flood, each with an
// injected clock.
#include "lb/h2/flood_guards.h"

#include <boost/test/unit_test.hpp>

using namespace tandem::lb::h2;
using namespace std::chrono_literals;

namespace {
const SteadyTime t0 = SteadyTime{} + 1h;
}

BOOST_AUTO_TEST_SUITE(h2_flood_guards)

BOOST_AUTO_TEST_CASE(window_count_trips_over_the_limit_and_forgets_after_the_window) {
  WindowCount w(3, 1000ms);
  BOOST_TEST(!w.add(t0));
  BOOST_TEST(!w.add(t0 + 10ms));
  BOOST_TEST(!w.add(t0 + 20ms));
  BOOST_TEST(w.add(t0 + 30ms));  // the fourth in one window
  BOOST_TEST(!w.add(t0 + 1000ms));  // a new window opens
  BOOST_TEST(w.count() == 1u);
  BOOST_TEST(w.add(t0 + 1001ms, 3));  // N at once
}

BOOST_AUTO_TEST_CASE(resets_at_a_browsing_rate_pass_a_flood_trips) {
  ResetFloodGuard browsing(200, 10s);
  for (int i = 0; i < 1000; ++i) BOOST_TEST_REQUIRE(!browsing.reset(t0 + i * 100ms));  // 10 a second, forever
  ResetFloodGuard flood(200, 10s);
  int tripped_at = -1;
  for (int i = 0; i < 1000 && tripped_at < 0; ++i) {
    if (flood.reset(t0 + i * 1ms)) tripped_at = i;
  }
  BOOST_TEST(tripped_at == 200);  // the 201st reset within the window
}

BOOST_AUTO_TEST_CASE(a_header_block_in_few_frames_passes) {
  HeaderBlockGuard g(4, 1000);
  BOOST_TEST((g.frame(FrameType::headers, kFlagEndHeaders, 500) == HeaderBlockGuard::Verdict::ok));
  BOOST_TEST(!g.in_block());
  BOOST_TEST((g.frame(FrameType::headers, 0, 300) == HeaderBlockGuard::Verdict::ok));
  BOOST_TEST(g.in_block());
  BOOST_TEST((g.frame(FrameType::continuation, 0, 300) == HeaderBlockGuard::Verdict::ok));
  BOOST_TEST((g.frame(FrameType::continuation, kFlagEndHeaders, 300) == HeaderBlockGuard::Verdict::ok));
  BOOST_TEST(!g.in_block());
  // The next block starts its own count.
  BOOST_TEST((g.frame(FrameType::headers, 0, 900) == HeaderBlockGuard::Verdict::ok));
  BOOST_TEST((g.frame(FrameType::continuation, kFlagEndHeaders, 100) == HeaderBlockGuard::Verdict::ok));
  // Frames of other types do not touch it.
  BOOST_TEST((g.frame(FrameType::data, 0, 100000) == HeaderBlockGuard::Verdict::ok));
}

BOOST_AUTO_TEST_CASE(endless_continuation_frames_trip_on_count_even_when_empty) {
  HeaderBlockGuard g(4, 1000);
  BOOST_TEST((g.frame(FrameType::headers, 0, 0) == HeaderBlockGuard::Verdict::ok));
  for (int i = 0; i < 3; ++i) BOOST_TEST((g.frame(FrameType::continuation, 0, 0) == HeaderBlockGuard::Verdict::ok));
  BOOST_TEST((g.frame(FrameType::continuation, 0, 0) == HeaderBlockGuard::Verdict::too_many_frames));
}

BOOST_AUTO_TEST_CASE(a_header_block_over_its_bytes_trips) {
  HeaderBlockGuard g(100, 1000);
  BOOST_TEST((g.frame(FrameType::headers, 0, 600) == HeaderBlockGuard::Verdict::ok));
  BOOST_TEST((g.frame(FrameType::continuation, 0, 401) == HeaderBlockGuard::Verdict::too_many_bytes));
}

BOOST_AUTO_TEST_CASE(continuation_outside_a_block_is_named) {
  HeaderBlockGuard g(4, 1000);
  BOOST_TEST((g.frame(FrameType::continuation, 0, 10) == HeaderBlockGuard::Verdict::unexpected_continuation));
}

BOOST_AUTO_TEST_CASE(control_frames_counted_are_those_without_a_request) {
  BOOST_TEST(ControlFloodGuard::counts(FrameType::ping, 0, 8));
  BOOST_TEST(!ControlFloodGuard::counts(FrameType::ping, kFlagAck, 8));
  BOOST_TEST(ControlFloodGuard::counts(FrameType::settings, 0, 6));
  BOOST_TEST(!ControlFloodGuard::counts(FrameType::settings, kFlagAck, 0));
  BOOST_TEST(ControlFloodGuard::counts(FrameType::priority, 0, 5));
  BOOST_TEST(ControlFloodGuard::counts(FrameType::data, 0, 0));                 // empty DATA
  BOOST_TEST(!ControlFloodGuard::counts(FrameType::data, kFlagEndStream, 0));  // ends a body
  BOOST_TEST(!ControlFloodGuard::counts(FrameType::data, 0, 1));
  BOOST_TEST(!ControlFloodGuard::counts(FrameType::window_update, 0, 4));      // proportional to our data
  BOOST_TEST(!ControlFloodGuard::counts(FrameType::headers, 0, 10));
}

BOOST_AUTO_TEST_CASE(a_ping_flood_trips_acks_never_do) {
  ControlFloodGuard g(10, 10s);
  for (int i = 0; i < 100; ++i) BOOST_TEST_REQUIRE(!g.frame(FrameType::ping, kFlagAck, 8, t0));
  for (int i = 0; i < 10; ++i) BOOST_TEST_REQUIRE(!g.frame(FrameType::ping, 0, 8, t0));
  BOOST_TEST(g.frame(FrameType::settings, 0, 0, t0));
  BOOST_TEST(!g.frame(FrameType::ping, 0, 8, t0 + 10s));  // a new window
}

BOOST_AUTO_TEST_SUITE_END()
