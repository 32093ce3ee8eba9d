// The failover state machine: every transition, FAULT tracking, input
// validation and status.
#include <boost/test/unit_test.hpp>

#include "tests/ha/failover_test_util.h"

using namespace tandem::ha;
using namespace tandem::ha::test;

namespace {

// A single machine (edge2, priority 100, peer edge1) that became MASTER by its
// down timer; returns the time it did.
TimePoint make_master(InstanceMachine& m) {
  m.start(t0());
  drive(m, t0() + 1s);
  BOOST_REQUIRE(m.state() == State::kMaster);
  return t0() + 1s;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(failover_transitions)

BOOST_AUTO_TEST_CASE(init_to_backup_on_start) {
  InstanceMachine m(make_config(1, 2, 100));
  BOOST_TEST(m.state() == State::kInit);
  BOOST_TEST(!m.next_deadline().has_value());
  auto actions = m.start(t0());
  BOOST_TEST(m.state() == State::kBackup);
  auto t = first_of<Transition>(actions);
  BOOST_REQUIRE(t);
  BOOST_TEST(t->from == State::kInit);
  BOOST_TEST(t->to == State::kBackup);
  BOOST_TEST(t->cause == "start");
  BOOST_TEST(count_of<ClaimVip>(actions) == 0u);
  // A heartbeat at once, so the master knows a healthy backup.
  auto advert = first_of<SendAdvert>(actions);
  BOOST_REQUIRE(advert);
  BOOST_TEST(advert->state == State::kBackup);
  BOOST_TEST(advert->priority == 100);
  // A second start is ignored.
  auto again = m.start(t0() + 1ms);
  BOOST_TEST(count_of<Transition>(again) == 0u);
  BOOST_TEST(count_of<Notice>(again) == 1u);
}

BOOST_AUTO_TEST_CASE(backup_to_master_on_down_timer) {
  InstanceMachine m(make_config(1, 2, 100));
  m.start(t0());
  auto actions = drive(m, t0() + 1s);
  BOOST_TEST(m.state() == State::kMaster);
  auto t = first_of<Transition>(actions);
  BOOST_REQUIRE(t);
  BOOST_TEST(t->from == State::kBackup);
  BOOST_TEST(t->to == State::kMaster);
  BOOST_TEST(t->cause == "master_down: no master heard for 360 ms", describe_all(actions));
  BOOST_TEST(count_of<ClaimVip>(actions) == 1u);
  BOOST_TEST(count_of<SendGratuitousArp>(actions) == 1u);
  // Claim before announcing: ClaimVip comes before the GARP.
  std::size_t claim = 0, garp = 0;
  for (std::size_t i = 0; i < actions.size(); ++i) {
    if (std::holds_alternative<ClaimVip>(actions[i])) claim = i;
    if (std::holds_alternative<SendGratuitousArp>(actions[i])) garp = i;
  }
  BOOST_TEST(claim < garp);
}

BOOST_AUTO_TEST_CASE(master_to_backup_on_higher_advert) {
  InstanceMachine m(make_config(1, 2, 100));
  const TimePoint now = make_master(m);
  auto actions = m.advert_received(master_advert(0, 200), now + 1ms);
  BOOST_TEST(m.state() == State::kBackup);
  auto t = first_of<Transition>(actions);
  BOOST_REQUIRE(t);
  BOOST_TEST(t->cause == "preempted by edge1 priority 200");
  BOOST_TEST(count_of<ReleaseVip>(actions) == 1u);
  // Stepping down for a better master is not a resignation.
  for (const auto& a : actions)
    if (auto* s = std::get_if<SendAdvert>(&a)) BOOST_TEST(s->priority != 0);
  BOOST_TEST(m.status().master == std::optional<std::string>("edge1"));
}

BOOST_AUTO_TEST_CASE(master_to_init_on_shutdown) {
  InstanceMachine m(make_config(1, 2, 100));
  const TimePoint now = make_master(m);
  auto actions = m.shutdown(now);
  BOOST_TEST(m.state() == State::kInit);
  BOOST_TEST(count_of<ReleaseVip>(actions) == 1u);
  auto advert = first_of<SendAdvert>(actions);
  BOOST_REQUIRE(advert);
  BOOST_TEST(advert->priority == 0);
  BOOST_TEST(!advert->successor.has_value());  // no healthy backup heard
  // Release comes before the resigning advert.
  BOOST_TEST(std::holds_alternative<ReleaseVip>(actions.at(1)));
  BOOST_TEST(!m.next_deadline().has_value());
  // It can start again.
  m.start(now + 1s);
  BOOST_TEST(m.state() == State::kBackup);
}

BOOST_AUTO_TEST_CASE(backup_to_init_on_shutdown) {
  InstanceMachine m(make_config(1, 2, 100));
  m.start(t0());
  auto actions = m.shutdown(t0() + 10ms);
  BOOST_TEST(m.state() == State::kInit);
  BOOST_TEST(count_of<ReleaseVip>(actions) == 0u);
  auto advert = first_of<SendAdvert>(actions);
  BOOST_REQUIRE(advert);
  BOOST_TEST(advert->priority == 0);
  BOOST_TEST(advert->state == State::kInit);
  BOOST_TEST(m.shutdown(t0() + 20ms).empty());
}

BOOST_AUTO_TEST_CASE(events_in_init_do_nothing) {
  InstanceMachine m(make_config(1, 2, 100));
  BOOST_TEST(m.timer_fired(t0()).empty());
  BOOST_TEST(count_of<Transition>(m.advert_received(master_advert(0, 200), t0())) == 0u);
  BOOST_TEST(m.state() == State::kInit);
  auto s = m.switchover_requested(std::nullopt, t0());
  BOOST_TEST(count_of<Notice>(s) == 1u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(failover_fault)

BOOST_AUTO_TEST_CASE(master_goes_fault_and_resigns) {
  InstanceMachine m(make_config(1, 3, 100));
  const TimePoint now = make_master(m);
  // edge3 is a healthy backup; edge1 is in FAULT.
  m.advert_received(backup_advert(2, 90), now);
  m.advert_received(Advert{"edge1", 200, State::kFault, 100ms, std::nullopt}, now);
  auto actions = m.tracked_failure("proxy", now + 1ms);
  BOOST_TEST(m.state() == State::kFault);
  auto t = first_of<Transition>(actions);
  BOOST_REQUIRE(t);
  BOOST_TEST(t->from == State::kMaster);
  BOOST_TEST(t->cause == "track proxy failed");
  BOOST_TEST(count_of<ReleaseVip>(actions) == 1u);
  auto advert = first_of<SendAdvert>(actions);
  BOOST_REQUIRE(advert);
  BOOST_TEST(advert->priority == 0);
  BOOST_TEST(advert->state == State::kFault);
  BOOST_TEST(advert->successor == std::optional<std::string>("edge3"));
}

BOOST_AUTO_TEST_CASE(fault_never_claims_and_recovers_to_backup) {
  InstanceMachine m(make_config(1, 2, 100));
  m.start(t0());
  auto actions = m.tracked_failure("proxy", t0() + 1ms);
  BOOST_TEST(m.state() == State::kFault);
  BOOST_TEST(first_of<Transition>(actions)->from == State::kBackup);
  append(actions, m.tracked_failure("link", t0() + 2ms));
  append(actions, m.tracked_failure("link", t0() + 3ms));  // idempotent
  BOOST_TEST(count_of<Transition>(actions) == 1u);
  // No master for 10 s, and still no claim: FAULT only sends heartbeats.
  auto later = drive(m, t0() + 10s);
  BOOST_TEST(count_of<ClaimVip>(later) == 0u);
  BOOST_TEST(m.state() == State::kFault);
  for (const auto& a : later)
    if (auto* s = std::get_if<SendAdvert>(&a)) BOOST_TEST(s->state == State::kFault);
  BOOST_TEST(m.status().failing_tracks == (std::vector<std::string>{"link", "proxy"}));
  // One recovery is not enough.
  BOOST_TEST(count_of<Transition>(m.tracked_recovery("proxy", t0() + 10s)) == 0u);
  BOOST_TEST(m.state() == State::kFault);
  BOOST_TEST(m.tracked_recovery("nonexistent", t0() + 10s).empty());
  auto back = m.tracked_recovery("link", t0() + 10s);
  BOOST_TEST(m.state() == State::kBackup);
  BOOST_TEST(first_of<Transition>(back)->cause == "track link recovered");
  // Back in BACKUP, the down timer runs in full again.
  BOOST_TEST(count_of<ClaimVip>(drive(m, t0() + 10s + 360ms)) == 0u);
  BOOST_TEST(count_of<ClaimVip>(drive(m, t0() + 10s + 362ms)) == 1u);
}

BOOST_AUTO_TEST_CASE(start_with_failing_track_goes_fault) {
  InstanceMachine m(make_config(1, 2, 100));
  BOOST_TEST(m.tracked_failure("proxy", t0()).empty());
  auto actions = m.start(t0());
  BOOST_TEST(m.state() == State::kFault);
  BOOST_TEST(first_of<Transition>(actions)->cause == "start with failing track proxy");
}

BOOST_AUTO_TEST_CASE(fault_follows_master_for_status) {
  InstanceMachine m(make_config(1, 2, 100));
  m.start(t0());
  m.tracked_failure("proxy", t0());
  m.advert_received(master_advert(0, 200), t0() + 5ms);
  BOOST_TEST(m.status().master == std::optional<std::string>("edge1"));
  m.advert_received(resign_advert(0), t0() + 6ms);
  BOOST_TEST(!m.status().master.has_value());
  BOOST_TEST(m.state() == State::kFault);
}

BOOST_AUTO_TEST_CASE(failing_master_hands_over_on_lan) {
  Lan lan({make_config(0, 3, 250), make_config(1, 3, 200), make_config(2, 3, 100)});
  lan.start_all();
  lan.run_for(2s);
  BOOST_REQUIRE(lan.state(0) == State::kMaster);
  const TimePoint when = lan.now();
  lan.apply(0, lan.machine(0).tracked_failure("proxy", when));
  lan.run_until(when);                         // deliver what was sent at that instant
  BOOST_TEST(lan.state(1) == State::kMaster);  // named successor, at once
  BOOST_TEST(*lan.became_master_at(1) == when);
  lan.run_for(5s);
  BOOST_TEST(lan.state(0) == State::kFault);
  BOOST_TEST(lan.state(1) == State::kMaster);
  BOOST_TEST(lan.state(2) == State::kBackup);
  BOOST_TEST(lan.vip_holders() == 1u);
  // Recovery: edge1 (250, preempt on) takes the VIP back with one switch.
  lan.apply(0, lan.machine(0).tracked_recovery("proxy", lan.now()));
  lan.run_for(2s);
  BOOST_TEST(lan.state(0) == State::kMaster);
  BOOST_TEST(lan.state(1) == State::kBackup);
  BOOST_TEST(lan.vip_holders() == 1u);
  BOOST_TEST(lan.node(0).claims == 2u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(failover_input)

BOOST_AUTO_TEST_CASE(bad_or_foreign_adverts_change_nothing) {
  InstanceMachine m(make_config(1, 2, 100));
  m.start(t0());
  const auto deadline = m.next_deadline();
  Actions actions;
  append(actions, m.advert_received(Advert{"stranger", 200, State::kMaster, 100ms, {}}, t0()));
  append(actions,
         m.advert_received(Advert{"edge2", 200, State::kMaster, 100ms, {}}, t0()));  // self
  append(actions, m.advert_received(Advert{"edge1", 255, State::kMaster, 100ms, {}}, t0()));
  append(actions, m.advert_received(Advert{"edge1", 200, State::kMaster, 5ms, {}}, t0()));
  append(actions, m.advert_received(Advert{"edge1", 200, State::kMaster, 10001ms, {}}, t0()));
  append(actions, m.advert_received(Advert{"edge1", 200, State::kInit, 100ms, {}}, t0()));
  BOOST_TEST(count_of<Notice>(actions) == 5u, describe_all(actions));
  BOOST_TEST(count_of<Transition>(actions) == 0u);
  BOOST_TEST(m.next_deadline() == deadline);
  BOOST_TEST(!m.status().peers.at(0).last_advert.has_value());
  BOOST_TEST(!m.status().master.has_value());
}

BOOST_AUTO_TEST_CASE(config_validation_lists_every_problem) {
  InstanceConfig c = make_config(0, 3, 100);
  BOOST_TEST(InstanceMachine::validate(c).empty());
  c.instance_id = 0;
  c.priority = 255;
  c.advert_interval = 5ms;
  c.peers.push_back(Peer{"edge2", addr("198.18.0.99")});
  c.peers.push_back(Peer{"edge9", addr("198.18.0.11")});
  c.quorum = true;
  c.cluster_size = 2;
  auto problems = InstanceMachine::validate(c);
  BOOST_TEST(problems.size() == 6u);
  BOOST_CHECK_THROW(InstanceMachine{c}, std::invalid_argument);
  InstanceConfig zero = make_config(0, 2, 0);
  BOOST_TEST(InstanceMachine::validate(zero).size() == 1u);
  InstanceConfig slow = make_config(0, 2, 100, 10001ms);
  BOOST_TEST(InstanceMachine::validate(slow).size() == 1u);
  BOOST_TEST(InstanceMachine::validate(make_config(0, 2, 254, 10ms)).empty());
  BOOST_TEST(InstanceMachine::validate(make_config(0, 2, 1, 10000ms)).empty());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(failover_status)

BOOST_AUTO_TEST_CASE(status_reports_state_priority_master_peers_history) {
  InstanceConfig c = make_config(1, 3, 200);
  c.history = 3;
  InstanceMachine m(c);
  m.start(t0());
  m.advert_received(master_advert(0, 250), t0() + 10ms);
  m.advert_received(backup_advert(2, 100), t0() + 20ms);
  m.priority_adjust("proxy", 50, t0() + 30ms);
  m.priority_adjust("link", 20, t0() + 30ms);
  auto s = m.status();
  BOOST_TEST(s.instance_id == 1u);
  BOOST_TEST(s.instance_name == "web");
  BOOST_TEST(s.state == State::kBackup);
  BOOST_TEST(s.base_priority == 200);
  BOOST_TEST(s.effective_priority == 130);
  BOOST_TEST(s.priority_reason == "base 200 - link 20 - proxy 50 = 130");
  BOOST_TEST(s.master == std::optional<std::string>("edge1"));
  BOOST_REQUIRE(s.peers.size() == 2u);
  BOOST_TEST(s.peers[0].name == "edge1");
  BOOST_TEST((s.peers[0].last_advert == t0() + 10ms));
  BOOST_TEST(s.peers[0].state == State::kMaster);
  BOOST_TEST((s.peers[1].last_advert == t0() + 20ms));
  BOOST_TEST(s.peers[1].priority == 100);
  BOOST_TEST((s.next_deadline == m.next_deadline()));
  // The ring keeps the last 3 transitions, oldest first.
  for (int i = 0; i < 3; ++i) {
    m.tracked_failure("x", t0() + 100ms);
    m.tracked_recovery("x", t0() + 100ms);
  }
  s = m.status();
  BOOST_REQUIRE(s.transitions.size() == 3u);
  BOOST_TEST(s.transitions[0].cause == "track x recovered");
  BOOST_TEST(s.transitions[1].cause == "track x failed");
  BOOST_TEST(s.transitions[2].cause == "track x recovered");
  BOOST_TEST((s.transitions[2].at == t0() + 100ms));
}

BOOST_AUTO_TEST_CASE(describe_is_readable) {
  BOOST_TEST(describe(SendAdvert{0, State::kInit, std::string("edge2")}) ==
             "SendAdvert{priority 0, INIT, successor edge2}");
  BOOST_TEST(describe(Transition{State::kBackup, State::kMaster, "x"}) ==
             "Transition{BACKUP -> MASTER: x}");
  BOOST_TEST(describe(Stall{std::chrono::milliseconds(1500), std::chrono::milliseconds(1400)}) ==
             "Stall{scheduler stall of 1500 ms, 1400 ms late}");
}

BOOST_AUTO_TEST_SUITE_END()
