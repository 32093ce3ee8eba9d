// Tests for ha/announce/announce_decision.h: when a node announces its VIPs
// to the routers, and why not.
#include <boost/test/unit_test.hpp>

#include "ha/announce/announce_decision.h"

namespace tandem::ha {
namespace {

using namespace std::chrono_literals;
using Clock = AnnounceDecision::Clock;

const Clock::time_point t0{std::chrono::seconds{1000}};

BOOST_AUTO_TEST_SUITE(announce_decision)

BOOST_AUTO_TEST_CASE(nothing_before_the_proxy_says_it_can_serve) {
  AnnounceDecision d(1000ms);
  const auto v = d.verdict(t0);
  BOOST_TEST(!v.announce);
  BOOST_TEST(v.why == "no verdict from the proxy yet");
}

BOOST_AUTO_TEST_CASE(first_announcement_is_immediate) {
  AnnounceDecision d(1000ms);
  d.serving(true, "", t0);
  BOOST_TEST(d.verdict(t0).announce);
  BOOST_TEST(d.verdict(t0).why == "serving");
  BOOST_TEST(!d.next_deadline(t0).has_value());
}

BOOST_AUTO_TEST_CASE(a_proxy_that_cannot_serve_withdraws_with_its_reason) {
  AnnounceDecision d(1000ms);
  d.serving(true, "", t0);
  d.serving(false, "listener www: no usable server in pool web (0 of 3)", t0 + 5s);
  const auto v = d.verdict(t0 + 5s);
  BOOST_TEST(!v.announce);
  BOOST_TEST(v.why == "listener www: no usable server in pool web (0 of 3)");
}

BOOST_AUTO_TEST_CASE(after_a_loss_the_hold_down_delays_the_return) {
  AnnounceDecision d(1000ms);
  d.serving(true, "", t0);
  d.serving(false, "lb-proxy: dead", t0 + 1s);
  d.serving(true, "", t0 + 2s);
  BOOST_TEST(!d.verdict(t0 + 2s).announce);
  BOOST_TEST(d.verdict(t0 + 2s).why.find("hold-down") == 0);
  BOOST_TEST(!d.verdict(t0 + 2999ms).announce);
  BOOST_REQUIRE(d.next_deadline(t0 + 2s).has_value());
  BOOST_TEST((*d.next_deadline(t0 + 2s) == t0 + 3s));
  BOOST_TEST(d.verdict(t0 + 3s).announce);
  BOOST_TEST(!d.next_deadline(t0 + 3s).has_value());
}

BOOST_AUTO_TEST_CASE(a_flap_inside_the_hold_down_starts_it_again) {
  AnnounceDecision d(1000ms);
  d.serving(true, "", t0);
  d.serving(false, "dead", t0 + 1s);
  d.serving(true, "", t0 + 1500ms);
  d.serving(false, "dead", t0 + 1800ms);
  d.serving(true, "", t0 + 2s);
  BOOST_TEST(!d.verdict(t0 + 2600ms).announce);  // would have passed from 1.5 s
  BOOST_TEST(d.verdict(t0 + 3s).announce);
}

BOOST_AUTO_TEST_CASE(zero_hold_down_returns_at_once) {
  AnnounceDecision d(0ms);
  d.serving(true, "", t0);
  d.serving(false, "dead", t0 + 1s);
  d.serving(true, "", t0 + 2s);
  BOOST_TEST(d.verdict(t0 + 2s).announce);
}

BOOST_AUTO_TEST_CASE(drain_withdraws_and_undrain_returns_without_hold_down) {
  AnnounceDecision d(1000ms);
  d.serving(true, "", t0);
  d.drained(true);
  BOOST_TEST(!d.verdict(t0 + 1s).announce);
  BOOST_TEST(d.verdict(t0 + 1s).why.find("drained") == 0);
  BOOST_TEST(d.is_drained());
  d.drained(false);
  BOOST_TEST(d.verdict(t0 + 1s).announce);
}

BOOST_AUTO_TEST_CASE(drain_ranks_before_the_proxy) {
  AnnounceDecision d(1000ms);
  d.serving(false, "dead", t0);
  d.drained(true);
  BOOST_TEST(d.verdict(t0).why.find("drained") == 0);
}

BOOST_AUTO_TEST_CASE(waits_for_the_peers_stick_table) {
  AnnounceDecision d(1000ms);
  d.table_ready(false);
  d.serving(true, "", t0);
  BOOST_TEST(!d.verdict(t0).announce);
  BOOST_TEST(d.verdict(t0).why == "waiting for the peers' stick table");
  d.table_ready(true);
  BOOST_TEST(d.verdict(t0).announce);
}

BOOST_AUTO_TEST_CASE(stopping_is_final) {
  AnnounceDecision d(1000ms);
  d.serving(true, "", t0);
  d.stopping();
  d.drained(false);
  d.serving(true, "", t0 + 1s);
  BOOST_TEST(!d.verdict(t0 + 10s).announce);
  BOOST_TEST(d.verdict(t0 + 10s).why == "stopping");
  BOOST_TEST(!d.next_deadline(t0).has_value());
}

BOOST_AUTO_TEST_CASE(no_deadline_while_not_serving_or_drained) {
  AnnounceDecision d(1000ms);
  d.serving(true, "", t0);
  d.serving(false, "dead", t0 + 1s);
  BOOST_TEST(!d.next_deadline(t0 + 1s).has_value());
  d.serving(true, "", t0 + 2s);
  d.drained(true);
  BOOST_TEST(!d.next_deadline(t0 + 2s).has_value());
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace tandem::ha
