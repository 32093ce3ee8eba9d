// The failover state machine: priority-0 resignation, planned hand-over to a
// named successor, switchover requests, and a lost connection to the master.
#include <boost/test/unit_test.hpp>

#include "tests/ha/failover_test_util.h"

using namespace tandem::ha;
using namespace tandem::ha::test;

namespace {

InstanceConfig quiet(InstanceConfig c) {
  c.advertise_in_backup = false;
  return c;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(failover_priority_zero)

BOOST_AUTO_TEST_CASE(resignation_takes_over_after_skew) {
  InstanceMachine m(make_config(1, 2, 100));
  m.start(t0());
  m.advert_received(master_advert(0, 200), t0());
  const TimePoint resigned = t0() + 50ms;
  auto actions = m.advert_received(resign_advert(0), resigned);
  BOOST_TEST(count_of<ClaimVip>(actions) == 0u);
  BOOST_TEST(!m.status().master.has_value());
  const TimePoint deadline = resigned + skew_time(100ms, 100);  // 60.9375 ms
  BOOST_TEST(count_of<Transition>(drive(m, deadline - 1ms)) == 0u);
  auto after = drive(m, deadline + 1ms);
  BOOST_TEST(m.state() == State::kMaster);
  BOOST_TEST(first_of<Transition>(after)->cause ==
             "master_down: edge1 resigned (priority 0), no advert for 60 ms");
}

BOOST_AUTO_TEST_CASE(resignation_from_a_non_master_is_a_heartbeat) {
  InstanceMachine m(make_config(2, 3, 100));
  m.start(t0());
  m.advert_received(master_advert(0, 200), t0());
  m.advert_received(backup_advert(1, 150), t0());
  const auto deadline = m.next_deadline();
  m.advert_received(resign_advert(1), t0() + 10ms);  // edge2, a backup, stops
  BOOST_TEST((m.next_deadline() == deadline));
  BOOST_TEST(m.status().master == std::optional<std::string>("edge1"));
}

BOOST_AUTO_TEST_CASE(graceful_stop_without_heartbeats_uses_skew_order) {
  // Without backup heartbeats the master knows no successor: plain VRRP.
  Lan lan({quiet(make_config(0, 3, 250)), quiet(make_config(1, 3, 200)),
           quiet(make_config(2, 3, 100))});
  lan.start_all();
  lan.run_for(2s);
  BOOST_REQUIRE(lan.state(0) == State::kMaster);
  const TimePoint stop = lan.now();
  auto actions = lan.machine(0).shutdown(stop);
  BOOST_TEST(!first_of<SendAdvert>(actions)->successor.has_value());
  lan.apply(0, actions);
  lan.run_for(2s);
  BOOST_TEST(lan.state(1) == State::kMaster);
  BOOST_TEST(lan.node(2).claims == 0u);
  BOOST_TEST((*lan.became_master_at(1) == stop + skew_time(100ms, 200)));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(failover_handover)

BOOST_AUTO_TEST_CASE(shutdown_names_the_best_healthy_backup) {
  Lan lan({make_config(0, 3, 250), make_config(1, 3, 100), make_config(2, 3, 200)});
  lan.start_all();
  lan.run_for(2s);
  BOOST_REQUIRE(lan.state(0) == State::kMaster);
  const TimePoint stop = lan.now();
  auto actions = lan.machine(0).shutdown(stop);
  auto advert = first_of<SendAdvert>(actions);
  BOOST_REQUIRE(advert);
  BOOST_TEST(advert->priority == 0);
  BOOST_TEST(advert->state == State::kInit);
  BOOST_TEST(advert->successor == std::optional<std::string>("edge3"));
  BOOST_TEST(first_of<Transition>(actions)->cause == "shutdown, successor edge3");
  lan.apply(0, actions);
  lan.kill(0);
  lan.run_until(stop);
  // The named successor takes over at once; the other stays backup.
  BOOST_TEST(lan.state(2) == State::kMaster);
  BOOST_TEST((*lan.became_master_at(2) == stop));
  BOOST_TEST(lan.machine(2).status().transitions.back().cause == "handover from edge1");
  lan.run_for(10s);
  BOOST_TEST(lan.state(1) == State::kBackup);
  BOOST_TEST(lan.node(1).claims == 0u);
  BOOST_TEST(lan.vip_holders() == 1u);
}

BOOST_AUTO_TEST_CASE(unhealthy_peers_are_not_named) {
  InstanceMachine m(make_config(0, 3, 250));
  m.start(t0());
  drive(m, t0() + 1s);
  BOOST_REQUIRE(m.state() == State::kMaster);
  const TimePoint now = t0() + 1s;
  m.advert_received(Advert{"edge2", 200, State::kFault, 100ms, {}}, now);  // faulty
  m.advert_received(backup_advert(2, 240), now - 500ms);                   // not heard lately
  auto actions = m.shutdown(now);
  BOOST_TEST(!first_of<SendAdvert>(actions)->successor.has_value());
}

BOOST_AUTO_TEST_CASE(others_wait_the_full_down_interval) {
  // edge3 hears edge1 hand over to edge2; edge2 never speaks.
  InstanceMachine m(make_config(2, 3, 100));
  m.start(t0());
  m.advert_received(master_advert(0, 250), t0());
  const TimePoint handover = t0() + 50ms;
  auto actions = m.advert_received(resign_advert(0, std::string("edge2")), handover);
  BOOST_TEST(count_of<ClaimVip>(actions) == 0u);
  // Not after the skew (as without a successor)...
  BOOST_TEST(count_of<ClaimVip>(drive(m, handover + skew_time(100ms, 100) + 1ms)) == 0u);
  const TimePoint deadline = handover + master_down_interval(100ms, 100);
  BOOST_TEST(count_of<ClaimVip>(drive(m, deadline - 1ms)) == 0u);
  // ... but after the full down interval, when the successor failed.
  auto after = drive(m, deadline + 1ms);
  BOOST_TEST(count_of<ClaimVip>(after) == 1u);
  BOOST_TEST(first_of<Transition>(after)->cause ==
             "master_down: successor edge2 named by edge1 silent for 360 ms");
}

BOOST_AUTO_TEST_CASE(successor_adverts_keep_the_others_backup) {
  InstanceMachine m(make_config(2, 3, 200));  // edge3, 200, preempt on
  m.start(t0());
  m.advert_received(master_advert(0, 250), t0());
  m.advert_received(resign_advert(0, std::string("edge2"), State::kBackup), t0() + 50ms);
  // edge2 (priority 100) advertises as master: edge3 does not preempt it,
  // because edge1 chose it.
  Actions actions;
  for (int i = 0; i < 50; ++i) {
    const TimePoint at = t0() + 50ms + i * 100ms;
    append(actions, drive(m, at));
    append(actions, m.advert_received(master_advert(1, 100), at));
  }
  BOOST_TEST(count_of<ClaimVip>(actions) == 0u);
  BOOST_TEST(m.status().master == std::optional<std::string>("edge2"));
  // When edge2 dies, edge3 takes over as usual.
  BOOST_TEST(count_of<ClaimVip>(drive(m, t0() + 10s)) == 1u);
}

BOOST_AUTO_TEST_CASE(switchover_to_a_named_node) {
  Lan lan({make_config(0, 3, 250), make_config(1, 3, 200), make_config(2, 3, 100)});
  lan.start_all();
  lan.run_for(2s);
  BOOST_REQUIRE(lan.state(0) == State::kMaster);
  const TimePoint when = lan.now();
  auto actions = lan.machine(0).switchover_requested(std::string("edge3"), when);
  BOOST_TEST(first_of<Transition>(actions)->cause == "switchover to edge3 requested");
  BOOST_TEST(first_of<Transition>(actions)->to == State::kBackup);
  BOOST_TEST(first_of<SendAdvert>(actions)->successor == std::optional<std::string>("edge3"));
  lan.apply(0, actions);
  lan.run_until(when);
  BOOST_TEST(lan.state(2) == State::kMaster);
  BOOST_TEST((*lan.became_master_at(2) == when));
  // Neither the old master (250) nor edge2 (200) preempts the chosen node.
  lan.run_for(30s);
  BOOST_TEST(lan.state(2) == State::kMaster);
  BOOST_TEST(lan.state(0) == State::kBackup);
  BOOST_TEST(lan.state(1) == State::kBackup);
  BOOST_TEST(lan.node(0).claims == 1u);
  BOOST_TEST(lan.node(1).claims == 0u);
  BOOST_TEST(lan.vip_holders() == 1u);
  // A fresh switchover moves it back.
  lan.apply(2, lan.machine(2).switchover_requested(std::nullopt, lan.now()));
  lan.run_until(lan.now());
  BOOST_TEST(lan.state(0) == State::kMaster);  // best healthy backup
  BOOST_TEST(lan.vip_holders() == 1u);
}

BOOST_AUTO_TEST_CASE(switchover_straight_back_to_the_node_that_just_handed_over) {
  Lan lan({make_config(0, 2, 200), make_config(1, 2, 100)});
  lan.start_all();
  lan.run_for(2s);
  BOOST_REQUIRE(lan.state(0) == State::kMaster);
  lan.apply(0, lan.machine(0).switchover_requested(std::string("edge2"), lan.now()));
  lan.run_for(5ms);  // edge2 has heard only edge1's resignation (priority 0, BACKUP)
  BOOST_REQUIRE(lan.state(1) == State::kMaster);
  auto back = lan.machine(1).switchover_requested(std::string("edge1"), lan.now());
  BOOST_TEST(count_of<Notice>(back) == 0u);
  lan.apply(1, back);
  lan.run_for(5ms);
  BOOST_TEST(lan.state(0) == State::kMaster);
  BOOST_TEST(lan.state(1) == State::kBackup);
  BOOST_TEST(lan.vip_holders() == 1u);
}

BOOST_AUTO_TEST_CASE(switchover_refusals) {
  InstanceMachine backup(make_config(1, 2, 100));
  backup.start(t0());
  BOOST_TEST(first_of<Notice>(backup.switchover_requested(std::nullopt, t0()))->text ==
             "switchover refused: this node is BACKUP, not MASTER");

  InstanceMachine m(make_config(0, 3, 250));
  m.start(t0());
  drive(m, t0() + 1s);
  BOOST_REQUIRE(m.state() == State::kMaster);
  const TimePoint now = t0() + 1s;
  auto refused = [&](const std::optional<std::string>& to) {
    auto actions = m.switchover_requested(to, now);
    BOOST_TEST(m.state() == State::kMaster);
    BOOST_TEST(count_of<ReleaseVip>(actions) == 0u);
    return first_of<Notice>(actions).value_or(Notice{"(none)"}).text;
  };
  BOOST_TEST(refused(std::nullopt) == "switchover refused: no healthy BACKUP heard recently");
  BOOST_TEST(refused(std::string("edge1")) == "switchover refused: edge1 is already master");
  BOOST_TEST(refused(std::string("edge9")) ==
             "switchover refused: edge9 does not run this instance");
  BOOST_TEST(refused(std::string("edge2")) ==
             "switchover refused: edge2 was not heard recently as a healthy BACKUP");
  m.advert_received(backup_advert(1, 200), now);
  auto ok = m.switchover_requested(std::string("edge2"), now);
  BOOST_TEST(m.state() == State::kBackup);
  BOOST_TEST(count_of<ReleaseVip>(ok) == 1u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(failover_connection_lost)

BOOST_AUTO_TEST_CASE(lost_connection_to_master_shortens_the_down_timer) {
  InstanceMachine m(make_config(1, 2, 100));
  m.start(t0());
  m.advert_received(master_advert(0, 200), t0());
  const TimePoint lost = t0() + 20ms;
  auto actions = m.peer_connection_lost("edge1", lost);
  BOOST_TEST(count_of<Notice>(actions) == 1u);
  const TimePoint confirm = lost + 100ms + skew_time(100ms, 100);  // 180.9375 ms after t0
  BOOST_TEST(count_of<ClaimVip>(drive(m, confirm - 1ms)) == 0u);
  auto after = drive(m, confirm + 1ms);
  BOOST_TEST(count_of<ClaimVip>(after) == 1u);
  BOOST_TEST(first_of<Transition>(after)->cause ==
             "master_down: connection to edge1 lost, no advert for 180 ms");
}

BOOST_AUTO_TEST_CASE(an_advert_in_the_confirm_window_cancels_it) {
  InstanceMachine m(make_config(1, 2, 100));
  m.start(t0());
  m.advert_received(master_advert(0, 200), t0());
  m.peer_connection_lost("edge1", t0() + 20ms);
  m.advert_received(master_advert(0, 200), t0() + 100ms);  // only the sync link broke
  BOOST_TEST(count_of<ClaimVip>(drive(m, t0() + 100ms + master_down_interval(100ms, 100) - 1ms)) ==
             0u);
  BOOST_TEST(m.state() == State::kBackup);
}

BOOST_AUTO_TEST_CASE(other_nodes_or_states_are_ignored) {
  InstanceMachine m(make_config(2, 3, 100));
  m.start(t0());
  m.advert_received(master_advert(0, 200), t0());
  const auto deadline = m.next_deadline();
  BOOST_TEST(m.peer_connection_lost("edge2", t0() + 20ms).empty());  // not the master
  BOOST_TEST((m.next_deadline() == deadline));
  // Never lengthens the timer: late in the down interval, nothing changes.
  m.peer_connection_lost("edge1", t0() + 300ms);
  BOOST_TEST(count_of<ClaimVip>(drive(m, t0() + master_down_interval(100ms, 100))) == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
