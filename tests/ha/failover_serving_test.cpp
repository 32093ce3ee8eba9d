// The failover state machine: the "Serving" and "Coming back" rules of
// ha/failover/instance_machine.h (issue 9), and the advert repeats.
#include <boost/test/unit_test.hpp>

#include "tests/ha/failover_test_util.h"

using namespace tandem::ha;
using namespace tandem::ha::test;

namespace {

// A machine that is MASTER at t0() + 1s (no peer heard), with its actions.
InstanceMachine master_alone(InstanceConfig c) {
  InstanceMachine m(std::move(c));
  m.start(t0());
  drive(m, t0() + 1s);
  BOOST_REQUIRE(m.state() == State::kMaster);
  return m;
}

std::size_t claims_in(const Actions& actions) { return count_of<ClaimVip>(actions); }

}  // namespace

BOOST_AUTO_TEST_SUITE(failover_coming_back)

BOOST_AUTO_TEST_CASE(return_from_fault_waits_for_an_advert_of_the_master) {
  // edge1 (200) was cut off; edge2 (150) took over. While edge1 is still
  // FAULT it hears edge2 (the cable is back, the link poll not yet run).
  InstanceMachine m(make_config(0, 2, 200));
  m.start(t0());
  m.tracked_failure("link", t0() + 1ms);
  m.advert_received(master_advert(1, 150), t0() + 3s);
  auto back = m.tracked_recovery("link", t0() + 3s + 20ms);
  BOOST_TEST(m.state() == State::kBackup);
  BOOST_TEST(claims_in(back) == 0u, describe_all(back));  // not in the same instant
  // The next advert of the master, heard in BACKUP, lets it preempt.
  auto preempt = m.advert_received(master_advert(1, 150), t0() + 3s + 100ms);
  BOOST_TEST(claims_in(preempt) == 1u);
  BOOST_TEST(first_of<Transition>(preempt)->cause == "preempting edge2 priority 150 with priority 200");
}

BOOST_AUTO_TEST_CASE(return_from_fault_with_no_master_claims_after_the_down_interval) {
  InstanceMachine m(make_config(0, 2, 200));
  m.start(t0());
  m.advert_received(master_advert(1, 150), t0() + 10ms);
  m.tracked_failure("link", t0() + 20ms);
  const TimePoint back = t0() + 5s;
  m.tracked_recovery("link", back);
  const auto mdi = master_down_interval(100ms, 200);
  BOOST_TEST(claims_in(drive(m, back + mdi - 1ms)) == 0u);
  auto claimed = drive(m, back + mdi);
  BOOST_TEST(claims_in(claimed) == 1u);
  BOOST_TEST(first_of<Transition>(claimed)->cause.starts_with("master_down: no master heard"));
}

BOOST_AUTO_TEST_CASE(a_node_that_cannot_serve_does_not_preempt_until_it_can) {
  InstanceMachine m(make_config(0, 2, 200));
  m.serving_update(false, "listener www: no usable server in pool web (0 of 1)", t0());
  m.start(t0());
  auto heard = m.advert_received(master_advert(1, 150), t0() + 50ms);
  BOOST_TEST(claims_in(heard) == 0u);
  BOOST_TEST(m.state() == State::kBackup);
  append(heard, m.advert_received(master_advert(1, 150), t0() + 150ms));
  BOOST_TEST(claims_in(heard) == 0u);
  // Its proxy reaches a server: it preempts at once, the master having been heard.
  auto can = m.serving_update(true, "", t0() + 200ms);
  BOOST_TEST(claims_in(can) == 1u, describe_all(can));
  BOOST_TEST(m.state() == State::kMaster);
}

BOOST_AUTO_TEST_CASE(when_the_master_cannot_serve_either_priority_preempts) {
  InstanceMachine m(make_config(0, 2, 200));
  m.serving_update(false, "no usable server", t0());
  m.start(t0());
  Advert advert = master_advert(1, 150);
  advert.serving = false;
  auto actions = m.advert_received(advert, t0() + 50ms);
  BOOST_TEST(claims_in(actions) == 1u, describe_all(actions));
}

BOOST_AUTO_TEST_CASE(a_restarted_node_preempts_only_after_hearing_the_master_and_serving) {
  // Start: no master known, cannot serve yet.
  InstanceMachine m(make_config(0, 2, 200));
  m.serving_update(false, "no heartbeat from lb-proxy yet", t0());
  m.start(t0());
  // Serving first: still nobody heard, nothing to preempt.
  BOOST_TEST(claims_in(m.serving_update(true, "", t0() + 20ms)) == 0u);
  BOOST_TEST(m.state() == State::kBackup);
  // Then the master's advert.
  BOOST_TEST(claims_in(m.advert_received(master_advert(1, 150), t0() + 60ms)) == 1u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(failover_serving)

BOOST_AUTO_TEST_CASE(serving_fact_is_in_every_advert) {
  InstanceMachine m = master_alone(make_config(0, 2, 200));
  auto actions = m.serving_update(false, "listener www: no usable server in pool web (0 of 1)", t0() + 1s);
  BOOST_REQUIRE(first_of<SendAdvert>(actions).has_value());  // said at once
  BOOST_TEST(!first_of<SendAdvert>(actions)->serving);
  BOOST_TEST(m.state() == State::kMaster);  // nobody else can serve: it stays
  BOOST_TEST(!m.status().serving);
  BOOST_TEST(m.status().not_serving_why == "listener www: no usable server in pool web (0 of 1)");
  for (const auto& a : drive(m, t0() + 2s))
    if (const auto* s = std::get_if<SendAdvert>(&a)) BOOST_TEST(!s->serving);
  // Repeating the same fact changes nothing.
  BOOST_TEST(m.serving_update(false, "listener www: no usable server in pool web (0 of 1)", t0() + 2s).empty());
  BOOST_TEST(first_of<SendAdvert>(m.serving_update(true, "", t0() + 2s))->serving);
}

BOOST_AUTO_TEST_CASE(serving_backup_takes_over_from_a_master_that_cannot_serve) {
  for (bool preempt : {true, false}) {
    InstanceConfig backup = make_config(1, 2, 200);
    backup.preempt = preempt;
    backup.preempt_delay = 5s;  // not applied: a master that cannot serve serves no one
    Lan lan({make_config(0, 2, 250), backup});
    lan.start_all();
    lan.run_for(2s);
    BOOST_REQUIRE(lan.state(0) == State::kMaster);
    const TimePoint when = lan.now();
    lan.apply(0, lan.machine(0).serving_update(false, "no usable server", when));
    lan.run_until(when);  // what was sent at that instant
    BOOST_TEST(lan.state(1) == State::kMaster);
    BOOST_TEST(lan.state(0) == State::kBackup);
    BOOST_TEST(*lan.became_master_at(1) == when);
    BOOST_TEST(lan.vip_holders() == 1u);
    BOOST_TEST(lan.node(1).holds_vip);
    bool named = false;
    for (const auto& t : lan.machine(0).status().transitions)
      named |= t.cause == "preempted by edge2 priority 200 (it can serve, this node cannot: no usable server)";
    BOOST_TEST(named);
    lan.run_for(5s);  // and it stays so
    BOOST_TEST(lan.state(1) == State::kMaster);
    BOOST_TEST(lan.masters() == 1u);
  }
}

BOOST_AUTO_TEST_CASE(recovered_node_takes_the_vip_back_with_preempt) {
  Lan lan({make_config(0, 2, 250), make_config(1, 2, 200)});
  lan.start_all();
  lan.run_for(2s);
  lan.apply(0, lan.machine(0).serving_update(false, "no usable server", lan.now()));
  lan.run_for(1s);
  BOOST_REQUIRE(lan.state(1) == State::kMaster);
  lan.apply(0, lan.machine(0).serving_update(true, "", lan.now()));
  lan.run_for(1s);
  BOOST_TEST(lan.state(0) == State::kMaster);
  BOOST_TEST(lan.state(1) == State::kBackup);
  BOOST_TEST(lan.vip_holders() == 1u);
  BOOST_TEST(lan.node(0).claims == 2u);
}

BOOST_AUTO_TEST_CASE(when_no_node_can_serve_priority_decides) {
  Lan lan({make_config(0, 2, 250), make_config(1, 2, 200)});
  lan.apply(1, lan.machine(1).serving_update(false, "no usable server", lan.now()));
  lan.start_all();
  lan.run_for(2s);
  BOOST_REQUIRE(lan.state(0) == State::kMaster);
  lan.apply(0, lan.machine(0).serving_update(false, "no usable server", lan.now()));
  lan.run_for(3s);
  BOOST_TEST(lan.state(0) == State::kMaster);  // keeps the VIP and answers 503
  BOOST_TEST(lan.state(1) == State::kBackup);
  BOOST_TEST(lan.node(1).claims == 0u);
}

BOOST_AUTO_TEST_CASE(only_the_best_serving_backup_takes_over) {
  Lan lan({make_config(0, 3, 250), make_config(1, 3, 200), make_config(2, 3, 100)});
  lan.start_all();
  lan.run_for(2s);
  BOOST_REQUIRE(lan.state(0) == State::kMaster);
  lan.apply(0, lan.machine(0).serving_update(false, "no usable server", lan.now()));
  lan.run_for(3s);
  BOOST_TEST(lan.state(1) == State::kMaster);
  BOOST_TEST(lan.state(2) == State::kBackup);
  BOOST_TEST(lan.node(2).claims == 0u);
  BOOST_TEST(lan.vip_holders() == 1u);
}

BOOST_AUTO_TEST_CASE(a_lower_backup_that_can_serve_beats_a_higher_one_that_cannot) {
  Lan lan({make_config(0, 3, 250), make_config(1, 3, 200), make_config(2, 3, 100)});
  lan.apply(1, lan.machine(1).serving_update(false, "no usable server", lan.now()));
  lan.start_all();
  lan.run_for(2s);
  BOOST_REQUIRE(lan.state(0) == State::kMaster);
  lan.apply(0, lan.machine(0).serving_update(false, "no usable server", lan.now()));
  lan.run_for(3s);
  BOOST_TEST(lan.state(2) == State::kMaster);
  BOOST_TEST(lan.state(0) == State::kBackup);
  BOOST_TEST(lan.state(1) == State::kBackup);
  BOOST_TEST(lan.vip_holders() == 1u);
}

BOOST_AUTO_TEST_CASE(resigning_master_names_a_successor_that_can_serve) {
  Lan lan({make_config(0, 3, 250), make_config(1, 3, 200), make_config(2, 3, 100)});
  lan.apply(1, lan.machine(1).serving_update(false, "no usable server", lan.now()));
  lan.start_all();
  lan.run_for(2s);
  BOOST_REQUIRE(lan.state(0) == State::kMaster);
  auto actions = lan.machine(0).tracked_failure("link", lan.now());
  BOOST_REQUIRE(first_of<SendAdvert>(actions).has_value());
  BOOST_TEST(first_of<SendAdvert>(actions)->successor == std::optional<std::string>("edge3"));
}

BOOST_AUTO_TEST_CASE(switchover_to_a_node_that_cannot_serve_is_refused) {
  Lan lan({make_config(0, 2, 200), make_config(1, 2, 100)});
  lan.apply(1, lan.machine(1).serving_update(false, "no heartbeat from lb-proxy yet", lan.now()));
  lan.start_all();
  lan.run_for(2s);
  BOOST_REQUIRE(lan.state(0) == State::kMaster);
  auto refused = lan.machine(0).switchover_requested(std::string("edge2"), lan.now());
  BOOST_TEST(count_of<SendAdvert>(refused) == 0u);
  BOOST_TEST(lan.state(0) == State::kMaster);
  const auto notice = first_of<Notice>(refused);
  BOOST_REQUIRE(notice.has_value());
  BOOST_TEST(notice->text.find("edge2 cannot serve") != std::string::npos);

  // Once edge2 can serve (its next advert says so), the same request hands over.
  lan.apply(1, lan.machine(1).serving_update(true, "", lan.now()));
  lan.run_for(300ms);
  lan.apply(0, lan.machine(0).switchover_requested(std::string("edge2"), lan.now()));
  lan.run_for(300ms);
  BOOST_TEST(lan.state(1) == State::kMaster);
  BOOST_TEST(lan.state(0) == State::kBackup);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(failover_repeats)

BOOST_AUTO_TEST_CASE(every_advert_goes_out_twice_the_copy_a_third_later) {
  InstanceConfig c = make_config(0, 2, 200);
  c.repeat_adverts = true;
  InstanceMachine m = master_alone(c);
  const TimePoint from = t0() + 2s;
  drive(m, from);
  std::vector<std::pair<TimePoint, SendAdvert>> sent;
  while (auto d = m.next_deadline()) {
    if (*d > from + 1s) break;
    for (const auto& a : m.timer_fired(*d))
      if (const auto* s = std::get_if<SendAdvert>(&a)) sent.emplace_back(*d, *s);
  }
  BOOST_TEST(sent.size() == 20u);  // 10 originals, 10 copies
  for (std::size_t i = 0; i + 1 < sent.size(); i += 2) {
    const auto& [t_orig, orig] = sent[i];
    const auto& [t_copy, copy] = sent[i + 1];
    BOOST_TEST(orig.repeat_delay.count() == 0);
    BOOST_TEST(copy.repeat_delay.count() > 0);
    BOOST_TEST((t_copy - t_orig == Duration(100ms) / 3));
    BOOST_TEST(copy.repeat_delay.count() == std::chrono::duration_cast<std::chrono::microseconds>(t_copy - t_orig).count());
    BOOST_TEST(copy.state == State::kMaster);
    BOOST_TEST(copy.priority == orig.priority);
  }
}

BOOST_AUTO_TEST_CASE(a_newer_advert_replaces_the_pending_copy) {
  InstanceConfig c = make_config(0, 2, 200);
  c.repeat_adverts = true;
  InstanceMachine m = master_alone(c);
  const TimePoint t = *m.next_deadline();
  m.timer_fired(t);  // an original; its copy is due at t + 33.3 ms
  auto changed = m.priority_adjust("script:x", 50, t + 10ms);  // a new original at once
  BOOST_REQUIRE(first_of<SendAdvert>(changed).has_value());
  BOOST_TEST(first_of<SendAdvert>(changed)->priority == 150);
  auto copies = drive(m, t + 10ms + Duration(100ms) / 3);
  BOOST_REQUIRE(count_of<SendAdvert>(copies) == 1u);  // one copy only: of the newer one
  BOOST_TEST(first_of<SendAdvert>(copies)->priority == 150);
}

BOOST_AUTO_TEST_CASE(a_copy_a_whole_interval_late_is_dropped) {
  InstanceConfig c = make_config(0, 2, 200);
  c.repeat_adverts = true;
  InstanceMachine m = master_alone(c);
  const TimePoint t = *m.next_deadline();
  m.timer_fired(t);
  // The agent was not scheduled for 150 ms: the copy would come after the next advert's time.
  auto late = m.timer_fired(t + 150ms);
  for (const auto& a : late)
    if (const auto* s = std::get_if<SendAdvert>(&a)) BOOST_TEST(s->repeat_delay.count() == 0);
  BOOST_TEST(count_of<SendAdvert>(late) == 1u);  // the regular advert, no copy
}

BOOST_AUTO_TEST_CASE(a_copy_is_not_sent_in_another_state) {
  InstanceConfig c = make_config(0, 2, 200);
  c.repeat_adverts = true;
  c.advertise_in_backup = false;
  InstanceMachine m = master_alone(c);
  const TimePoint t = *m.next_deadline();
  m.timer_fired(t);  // MASTER advert; copy due at t + 33 ms
  // A graceful stop: the resigning advert (INIT) is never repeated.
  auto stop = m.shutdown(t + 5ms);
  BOOST_TEST(count_of<SendAdvert>(stop) == 1u);
  BOOST_TEST(!m.next_deadline().has_value());
}

BOOST_AUTO_TEST_CASE(no_copies_unless_asked) {
  InstanceMachine m = master_alone(make_config(0, 2, 200));
  const TimePoint from = t0() + 2s;
  drive(m, from);
  BOOST_TEST(count_of<SendAdvert>(drive(m, from + 1s)) == 10u);
}

BOOST_AUTO_TEST_SUITE_END()
