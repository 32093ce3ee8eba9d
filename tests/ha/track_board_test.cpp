// Tests for ha/track/track_board.h: which readings of the link, the proxy
// and the sync verdict become track changes, and what the status shows.
#include <boost/test/unit_test.hpp>

#include "ha/failover/instance_machine.h"
#include "ha/track/track_board.h"

using namespace tandem::ha;

namespace {

std::optional<TrackView> shown(const TrackBoard& board, const std::string& name) {
  for (const auto& v : board.views())
    if (v.name == name) return v;
  return std::nullopt;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(track_board)

BOOST_AUTO_TEST_CASE(a_link_up_at_start_is_no_change_but_is_shown) {
  TrackBoard board;
  BOOST_TEST(!board.link(true, "eth0 up").has_value());
  BOOST_REQUIRE(shown(board, "link").has_value());
  BOOST_TEST(shown(board, "link")->healthy);
  BOOST_TEST(!board.link(true, "eth0 up").has_value());
  const auto down = board.link(false, "eth0 down");
  BOOST_REQUIRE(down.has_value());
  BOOST_TEST(!down->healthy);
  BOOST_TEST(down->weight == 0u);
  BOOST_TEST(down->detail == "eth0 down");
  BOOST_TEST(!shown(board, "link")->healthy);
}

BOOST_AUTO_TEST_CASE(a_link_down_at_start_is_a_change) {
  TrackBoard board;
  const auto down = board.link(false, "eth0 down: no such device");
  BOOST_REQUIRE(down.has_value());
  BOOST_TEST(down->name == "link");
  BOOST_TEST(!down->healthy);
  const auto up = board.link(true, "eth0 up");
  BOOST_REQUIRE(up.has_value());
  BOOST_TEST(up->healthy);
}

BOOST_AUTO_TEST_CASE(the_proxy_changes_only_on_a_flip_and_is_not_shown) {
  TrackBoard board;
  BOOST_TEST(!board.proxy(true, 50, "").has_value());  // assumed alive at start
  const auto dead = board.proxy(false, 50, "no heartbeat for 600 ms");
  BOOST_REQUIRE(dead.has_value());
  BOOST_TEST(dead->weight == 50u);
  BOOST_TEST(dead->detail == "no heartbeat for 600 ms");
  BOOST_TEST(!board.proxy(false, 50, "still dead").has_value());
  const auto alive = board.proxy(true, 50, "");
  BOOST_REQUIRE(alive.has_value());
  BOOST_TEST(alive->detail == "heartbeats and serving");
  BOOST_TEST(!shown(board, "proxy").has_value());
}

BOOST_AUTO_TEST_CASE(a_script_is_shown_healthy_until_it_flips) {
  TrackBoard board;
  board.add_script("script:disk", 30);
  BOOST_TEST(shown(board, "script:disk")->healthy);
  const auto change = board.script("script:disk", false, 30, "exit 1");
  BOOST_TEST(change.weight == 30u);
  BOOST_TEST(!shown(board, "script:disk")->healthy);
}

BOOST_AUTO_TEST_CASE(sync_waiting_then_eligible_releases_the_gate_once) {
  TrackBoard board;
  const auto waiting = board.sync_waiting();
  BOOST_TEST(!waiting.healthy);
  BOOST_TEST(waiting.weight == 0u);
  BOOST_TEST(!shown(board, "sync")->healthy);
  const auto eligible = board.sync_verdict(tandem::ha::sync::Eligibility::kEligible, "table received");
  BOOST_REQUIRE(eligible.size() == 1u);
  BOOST_TEST(eligible[0].name == "sync");
  BOOST_TEST(eligible[0].healthy);
  BOOST_TEST(eligible[0].detail == "eligible: table received");
  BOOST_TEST(shown(board, "sync")->healthy);
  BOOST_TEST(board.sync_verdict(tandem::ha::sync::Eligibility::kEligible, "again").empty());
}

BOOST_AUTO_TEST_CASE(last_resort_lowers_the_priority_before_the_gate_opens) {
  TrackBoard board;
  board.sync_waiting();
  const auto changes = board.sync_verdict(tandem::ha::sync::Eligibility::kLastResort, "no peer answered");
  BOOST_REQUIRE(changes.size() == 2u);
  BOOST_TEST(changes[0].name == "sync_table");  // the priority drops first
  BOOST_TEST(!changes[0].healthy);
  BOOST_TEST(changes[0].weight == unsigned{kMaxPriority});
  BOOST_TEST(changes[1].name == "sync");
  BOOST_TEST(changes[1].healthy);
  // Eligible later: sync_table recovers; the gate is already open.
  const auto later = board.sync_verdict(tandem::ha::sync::Eligibility::kEligible, "table received");
  BOOST_REQUIRE(later.size() == 1u);
  BOOST_TEST(later[0].name == "sync_table");
  BOOST_TEST(later[0].healthy);
}

BOOST_AUTO_TEST_SUITE_END()
