// The failover state machine: who becomes master — skew ordering,
// preemption, equal priorities, split brain (RFC 9568), weight tracking,
// advert loss.
#include <boost/test/unit_test.hpp>

#include "tests/ha/failover_test_util.h"

using namespace tandem::ha;
using namespace tandem::ha::test;

namespace {

InstanceConfig with_preempt(InstanceConfig c, bool preempt, Milliseconds delay = 0ms) {
  c.preempt = preempt;
  c.preempt_delay = delay;
  return c;
}

// When node I last sent an advert as MASTER before time T.
std::optional<TimePoint> last_master_advert(Lan& lan, std::size_t i) {
  std::optional<TimePoint> at;
  for (const auto& [when, a] : lan.node(i).log)
    if (auto* s = std::get_if<SendAdvert>(&a); s && s->state == State::kMaster) at = when;
  return at;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(failover_skew)

BOOST_AUTO_TEST_CASE(highest_priority_wins_the_first_election) {
  // Started together, nobody heard: the shortest skew (highest priority) claims.
  Lan lan({make_config(0, 3, 100), make_config(1, 3, 250), make_config(2, 3, 200)});
  lan.start_all();
  lan.run_for(2s);
  BOOST_TEST(lan.state(1) == State::kMaster);
  BOOST_TEST((*lan.became_master_at(1) == t0() + master_down_interval(100ms, 250)));
  BOOST_TEST(lan.node(0).claims == 0u);
  BOOST_TEST(lan.node(2).claims == 0u);
}

BOOST_AUTO_TEST_CASE(higher_priority_backup_takes_over_first) {
  Lan lan({make_config(0, 3, 250), make_config(1, 3, 200), make_config(2, 3, 100)});
  lan.start_all();
  lan.run_for(2s);
  BOOST_REQUIRE(lan.state(0) == State::kMaster);
  lan.kill(0);  // kill -9: silence
  const TimePoint last = *last_master_advert(lan, 0);
  lan.run_for(5s);
  BOOST_TEST(lan.state(1) == State::kMaster);
  BOOST_TEST(lan.state(2) == State::kBackup);
  BOOST_TEST(lan.node(2).claims == 0u);  // edge2's adverts reset edge3's longer timer
  BOOST_TEST((*lan.became_master_at(1) == last + master_down_interval(100ms, 200)));
  const auto t = lan.machine(1).status().transitions.back();
  BOOST_TEST(t.cause == "master_down: no advert from edge1 for 321 ms");
  BOOST_TEST(lan.vip_holders() == 1u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(failover_preempt)

BOOST_AUTO_TEST_CASE(preempt_on_takes_over_at_first_advert) {
  Lan lan({with_preempt(make_config(0, 2, 200), true), make_config(1, 2, 100)});
  lan.start(1);
  lan.run_for(1s);
  BOOST_REQUIRE(lan.state(1) == State::kMaster);
  const TimePoint started = lan.now();
  lan.start(0);
  lan.run_for(2s);
  BOOST_TEST(lan.state(0) == State::kMaster);
  BOOST_TEST(lan.state(1) == State::kBackup);
  BOOST_TEST(lan.vip_holders() == 1u);
  BOOST_TEST((*lan.became_master_at(0) <= started + 100ms));
  BOOST_TEST(lan.machine(0).status().transitions.back().cause ==
             "preempting edge2 priority 100 with priority 200");
  BOOST_TEST(lan.machine(1).status().transitions.back().cause == "preempted by edge1 priority 200");
  BOOST_TEST(lan.node(1).claims == 1u);
}

BOOST_AUTO_TEST_CASE(preempt_off_never_takes_over) {
  Lan lan({with_preempt(make_config(0, 2, 200), false), make_config(1, 2, 100)});
  lan.start(1);
  lan.run_for(1s);
  lan.start(0);
  lan.run_for(60s);
  BOOST_TEST(lan.state(0) == State::kBackup);
  BOOST_TEST(lan.state(1) == State::kMaster);
  BOOST_TEST(lan.node(0).claims == 0u);
  // It still takes over when the master dies.
  lan.kill(1);
  lan.run_for(1s);
  BOOST_TEST(lan.state(0) == State::kMaster);
}

BOOST_AUTO_TEST_CASE(preempt_delay_waits_then_takes_over) {
  Lan lan({with_preempt(make_config(0, 2, 200), true, 1000ms), make_config(1, 2, 100)});
  lan.start(1);
  lan.run_for(1s);
  const TimePoint started = lan.now();
  lan.start(0);
  lan.run_for(1s);  // hears the master within 100 ms, then waits 1 s
  BOOST_TEST(lan.state(0) == State::kBackup);
  lan.run_for(200ms);
  BOOST_TEST(lan.state(0) == State::kMaster);
  const TimePoint at = *lan.became_master_at(0);
  BOOST_TEST((at >= started + 1000ms));
  BOOST_TEST((at <= started + 1100ms));
  BOOST_TEST(lan.machine(0).status().transitions.back().cause ==
             "preempting edge2 priority 100 with priority 200 after 1000 ms");
  BOOST_TEST(lan.vip_holders() == 1u);
}

BOOST_AUTO_TEST_CASE(preempt_delay_cancelled_when_no_longer_better) {
  InstanceMachine m(with_preempt(make_config(0, 2, 200), true, 1000ms));
  m.start(t0());
  m.advert_received(master_advert(1, 100), t0() + 10ms);
  BOOST_TEST((m.next_deadline() <= t0() + 1010ms));
  // Our priority drops below the master's during the delay: no preemption.
  m.priority_adjust("proxy", 150, t0() + 500ms);
  Actions actions;
  for (int i = 1; i <= 30; ++i) {
    append(actions, drive(m, t0() + i * 100ms + 10ms));
    m.advert_received(master_advert(1, 100), t0() + i * 100ms + 10ms);
  }
  BOOST_TEST(count_of<ClaimVip>(actions) == 0u);
  BOOST_TEST(m.state() == State::kBackup);
}

BOOST_AUTO_TEST_CASE(equal_priority_backup_does_not_preempt) {
  // RFC 5798: a backup preempts only a strictly lower priority, even with a
  // higher address.
  InstanceMachine m(with_preempt(make_config(1, 2, 100), true));
  m.start(t0());
  auto actions = m.advert_received(master_advert(0, 100), t0() + 10ms);
  BOOST_TEST(count_of<ClaimVip>(actions) == 0u);
  BOOST_TEST(m.state() == State::kBackup);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(failover_tiebreak)

BOOST_AUTO_TEST_CASE(equal_priorities_higher_address_wins) {
  // Same priority, same skew: both claim at the same instant; the adverts
  // then settle it for the higher address (198.18.0.12, edge2).
  Lan lan({make_config(0, 2, 100), make_config(1, 2, 100)});
  lan.start_all();
  lan.run_for(2s);
  BOOST_TEST(lan.state(0) == State::kBackup);
  BOOST_TEST(lan.state(1) == State::kMaster);
  BOOST_TEST(lan.vip_holders() == 1u);
  BOOST_TEST(lan.node(0).claims == 1u);
  bool found = false;
  const auto history = lan.machine(0).status().transitions;
  for (const auto& t : history)
    found |=
        t.cause == "preempted by edge2 priority 100 (equal priority, higher address 198.18.0.12)";
  BOOST_TEST(found);
}

BOOST_AUTO_TEST_CASE(equal_priority_lower_address_is_answered) {
  InstanceMachine m(make_config(1, 2, 100));  // edge2, the higher address
  m.start(t0());
  drive(m, t0() + 1s);
  BOOST_REQUIRE(m.state() == State::kMaster);
  auto actions = m.advert_received(master_advert(0, 100), t0() + 1s);
  BOOST_TEST(m.state() == State::kMaster);
  BOOST_TEST(count_of<SendAdvert>(actions) == 1u);
  BOOST_TEST(count_of<SendGratuitousArp>(actions) == 1u);
}

BOOST_AUTO_TEST_CASE(ipv6_addresses_break_ties_too) {
  InstanceConfig a = make_config(0, 2, 100);
  InstanceConfig b = make_config(1, 2, 100);
  a.address = addr("2001:db8::1");
  b.address = addr("2001:db8::2");
  a.peers[0].address = b.address;
  b.peers[0].address = a.address;
  Lan lan({a, b});
  lan.start_all();
  lan.run_for(2s);
  BOOST_TEST(lan.state(1) == State::kMaster);
  BOOST_TEST(lan.state(0) == State::kBackup);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(failover_split_brain)

BOOST_AUTO_TEST_CASE(master_answers_lower_advert_with_advert_and_garp) {
  InstanceMachine m(make_config(1, 2, 100));
  m.start(t0());
  drive(m, t0() + 1s);
  BOOST_REQUIRE(m.state() == State::kMaster);
  auto actions = m.advert_received(master_advert(0, 50), t0() + 1s + 5ms);
  BOOST_TEST(m.state() == State::kMaster);
  BOOST_REQUIRE(count_of<SendAdvert>(actions) == 1u);
  BOOST_TEST(first_of<SendAdvert>(actions)->priority == 100);
  BOOST_TEST(first_of<SendAdvert>(actions)->state == State::kMaster);
  BOOST_TEST(count_of<SendGratuitousArp>(actions) == 1u);
  BOOST_TEST(count_of<Transition>(actions) == 0u);
  // The advert timer restarts from the answer.
  BOOST_TEST((m.next_deadline() == t0() + 1s + 105ms));
  // The lower master steps down: its last ARP may have followed ours, so
  // announce the VIP once more (no advert needed, it heard ours).
  auto down = m.advert_received(backup_advert(0, 50), t0() + 1s + 6ms);
  BOOST_TEST(count_of<SendGratuitousArp>(down) == 1u, describe_all(down));
  BOOST_TEST(count_of<SendAdvert>(down) == 0u, describe_all(down));
  // A heartbeat from a lower-priority backup is not a split brain.
  auto quiet = m.advert_received(backup_advert(0, 50), t0() + 1s + 6500us);
  BOOST_TEST(quiet.empty());
  // Another node's resignation is answered with an advert only (RFC 5798 6.4.3).
  auto resigned = m.advert_received(resign_advert(0), t0() + 1s + 7ms);
  BOOST_TEST(count_of<SendAdvert>(resigned) == 1u);
  BOOST_TEST(count_of<SendGratuitousArp>(resigned) == 0u);
}

BOOST_AUTO_TEST_CASE(master_reannounces_when_a_silent_peer_returns) {
  InstanceMachine m(make_config(1, 2, 100));
  m.start(t0());
  drive(m, t0() + 1s);
  BOOST_REQUIRE(m.state() == State::kMaster);
  // A backup heartbeat, then nothing for longer than any down interval (a
  // partition), then the peer again, already BACKUP: re-announce at once so
  // its side of the LAN forgets the VIP's other owner.
  BOOST_TEST(m.advert_received(backup_advert(0, 50), t0() + 1s + 5ms).empty());
  drive(m, t0() + 3s);
  auto back = m.advert_received(backup_advert(0, 50), t0() + 3s + 1ms);
  BOOST_TEST(m.state() == State::kMaster);
  BOOST_TEST(count_of<SendAdvert>(back) == 1u, describe_all(back));
  BOOST_TEST(count_of<SendGratuitousArp>(back) == 1u, describe_all(back));
  // A peer heard regularly is not re-announced to.
  BOOST_TEST(m.advert_received(backup_advert(0, 50), t0() + 3s + 101ms).empty());
}

BOOST_AUTO_TEST_CASE(preempted_master_says_it_stepped_down_even_when_backups_are_silent) {
  InstanceConfig config = make_config(1, 2, 100);
  config.advertise_in_backup = false;
  InstanceMachine m(config);
  m.start(t0());
  drive(m, t0() + 1s);
  BOOST_REQUIRE(m.state() == State::kMaster);
  const TimePoint now = t0() + 1s;
  auto actions = m.advert_received(master_advert(0, 200), now + 1ms);
  BOOST_REQUIRE(m.state() == State::kBackup);
  BOOST_REQUIRE(count_of<SendAdvert>(actions) == 1u);
  BOOST_TEST(first_of<SendAdvert>(actions)->state == State::kBackup);
  BOOST_TEST(first_of<SendAdvert>(actions)->priority == 100);
  // Only once: a silent backup stays silent afterwards.
  BOOST_TEST(count_of<SendAdvert>(drive(m, now + 150ms)) == 0u);
}

BOOST_AUTO_TEST_CASE(partition_heals_to_exactly_one_master) {
  Lan lan({make_config(0, 2, 200), with_preempt(make_config(1, 2, 100), false)});
  lan.start_all();
  lan.run_for(2s);
  BOOST_REQUIRE(lan.state(0) == State::kMaster);
  lan.cut(0, 1);
  lan.run_for(2s);
  BOOST_TEST(lan.masters() == 2u);  // each side reports itself master
  BOOST_TEST(lan.vip_holders() == 2u);
  lan.cut(0, 1, false);
  lan.run_for(200ms);  // the next advert settles it
  BOOST_TEST(lan.masters() == 1u);
  BOOST_TEST(lan.vip_holders() == 1u);
  BOOST_TEST(lan.state(0) == State::kMaster);
  lan.run_for(10s);
  BOOST_TEST(lan.masters() == 1u);
  BOOST_TEST(lan.node(0).claims == 1u);  // edge1 never let go
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(failover_weight)

BOOST_AUTO_TEST_CASE(weight_lowers_priority_and_peer_preempts) {
  Lan lan({make_config(0, 2, 200), make_config(1, 2, 150)});
  lan.start_all();
  lan.run_for(2s);
  BOOST_REQUIRE(lan.state(0) == State::kMaster);
  const TimePoint when = lan.now();
  auto actions = lan.machine(0).priority_adjust("proxy", 100, when);
  // The master advertises its new priority at once.
  BOOST_REQUIRE(count_of<SendAdvert>(actions) == 1u);
  BOOST_TEST(first_of<SendAdvert>(actions)->priority == 100);
  BOOST_TEST(first_of<Notice>(actions)->text ==
             "effective priority 200 -> 100 (track proxy weight 100)");
  lan.apply(0, actions);
  lan.run_until(when);
  BOOST_TEST(lan.state(1) == State::kMaster);
  BOOST_TEST(lan.state(0) == State::kBackup);
  BOOST_TEST((*lan.became_master_at(1) == when));
  BOOST_TEST(lan.vip_holders() == 1u);
  // Healthy again: edge1 (200) preempts back.
  lan.apply(0, lan.machine(0).priority_adjust("proxy", 0, lan.now()));
  lan.run_for(1s);
  BOOST_TEST(lan.state(0) == State::kMaster);
  BOOST_TEST(lan.vip_holders() == 1u);
}

BOOST_AUTO_TEST_CASE(weights_sum_and_clamp) {
  InstanceMachine m(make_config(0, 2, 200));
  m.priority_adjust("proxy", 50, t0());
  BOOST_TEST(m.effective_priority() == 150);
  m.priority_adjust("proxy", 50, t0());  // repeating a report changes nothing
  BOOST_TEST(m.effective_priority() == 150);
  BOOST_TEST(m.priority_adjust("proxy", 50, t0()).empty());
  m.priority_adjust("link", 500, t0());
  BOOST_TEST(m.effective_priority() == 1);
  BOOST_TEST(m.status().priority_reason == "base 200 - link 500 - proxy 50 = -350, clamped to 1");
  m.priority_adjust("link", 0, t0());
  m.priority_adjust("proxy", 0, t0());
  BOOST_TEST(m.effective_priority() == 200);
  BOOST_TEST(m.status().priority_reason == "base 200");
}

BOOST_AUTO_TEST_CASE(effective_priority_sets_the_skew) {
  // A backup's down timer uses its effective priority for the skew.
  InstanceMachine m(make_config(1, 2, 200));
  m.priority_adjust("proxy", 100, t0());
  m.start(t0());
  m.advert_received(master_advert(0, 250), t0());
  BOOST_TEST((m.next_deadline() == t0() + 100ms));  // heartbeat first
  const TimePoint deadline = t0() + master_down_interval(100ms, 100);
  BOOST_TEST(count_of<ClaimVip>(drive(m, deadline - std::chrono::nanoseconds(1))) == 0u);
  BOOST_TEST(count_of<ClaimVip>(drive(m, deadline)) == 1u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(failover_loss)

BOOST_AUTO_TEST_CASE(two_lost_adverts_in_a_row_cause_no_failover) {
  Lan lan({make_config(0, 2, 200), make_config(1, 2, 100)});
  std::size_t from_master = 0;
  // Drop 2 of every 5 adverts from edge1, in a row: 40% loss, bursty.
  lan.set_drop([&from_master](std::size_t from, std::size_t, std::size_t) {
    if (from != 0) return false;
    return from_master++ % 5 < 2;
  });
  lan.start_all();
  lan.run_for(60s);
  BOOST_TEST(lan.state(0) == State::kMaster);
  BOOST_TEST(lan.node(1).claims == 0u);
}

BOOST_AUTO_TEST_CASE(three_lost_adverts_in_a_row_fail_over) {
  Lan lan({make_config(0, 2, 200), make_config(1, 2, 100)});
  lan.start_all();
  lan.run_for(1s);
  BOOST_REQUIRE(lan.state(0) == State::kMaster);
  std::size_t dropped = 0;
  lan.set_drop([&dropped](std::size_t from, std::size_t, std::size_t) {
    return from == 0 && dropped++ < 3;
  });
  lan.run_for(1s);
  // A short split brain, settled by the next advert that gets through.
  BOOST_TEST(lan.node(1).claims == 1u);
  BOOST_TEST(lan.state(0) == State::kMaster);
  BOOST_TEST(lan.state(1) == State::kBackup);
  BOOST_TEST(lan.vip_holders() == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
