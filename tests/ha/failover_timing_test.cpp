// The failover state machine: Master_Down_Interval edges, advert cadence,
// stalls and adverts delivered late, from 10 ms to 10 s intervals.
#include <boost/test/unit_test.hpp>

#include "tests/ha/failover_test_util.h"

using namespace tandem::ha;
using namespace tandem::ha::test;

BOOST_AUTO_TEST_SUITE(failover_timing)

BOOST_AUTO_TEST_CASE(rfc5798_formulas) {
  // Skew = (256 - priority) * interval / 256; MDI = 3 * interval + skew.
  BOOST_TEST(skew_time(100ms, 100).count() == std::chrono::nanoseconds(60'937'500).count());
  BOOST_TEST(master_down_interval(100ms, 100).count() ==
             std::chrono::nanoseconds(360'937'500).count());
  BOOST_TEST(master_down_interval(100ms, 200).count() ==
             std::chrono::nanoseconds(321'875'000).count());
  BOOST_TEST(master_down_interval(10ms, 100).count() ==
             std::chrono::nanoseconds(36'093'750).count());
  BOOST_TEST(master_down_interval(10000ms, 100).count() ==
             std::chrono::nanoseconds(36'093'750'000).count());
  BOOST_TEST(skew_time(100ms, 254).count() == std::chrono::nanoseconds(781'250).count());
  BOOST_TEST(skew_time(100ms, 1).count() == std::chrono::nanoseconds(99'609'375).count());
}

BOOST_AUTO_TEST_CASE(down_interval_edges_at_every_interval) {
  for (Milliseconds interval : {10ms, 100ms, 1000ms, 10000ms}) {
    BOOST_TEST_CONTEXT("interval " << interval.count() << " ms") {
      InstanceMachine m(make_config(1, 2, 100, interval));
      m.start(t0());
      const Duration mdi = master_down_interval(interval, 100);
      const TimePoint first = t0() + interval / 2;
      drive(m, first);
      m.advert_received(master_advert(0, 200, interval), first);
      // An advert 1 ms before the down interval keeps us backup.
      const TimePoint just_before = first + mdi - 1ms;
      BOOST_TEST(count_of<Transition>(drive(m, just_before)) == 0u);
      BOOST_TEST(count_of<Transition>(
                     m.advert_received(master_advert(0, 200, interval), just_before)) == 0u);
      BOOST_TEST(m.state() == State::kBackup);
      // Then silence: nothing until the full interval has passed...
      const TimePoint deadline = just_before + mdi;
      BOOST_TEST((m.next_deadline() <= deadline));
      BOOST_TEST(count_of<Transition>(drive(m, deadline - 1ms)) == 0u);
      BOOST_TEST(count_of<Transition>(drive(m, deadline - std::chrono::nanoseconds(1))) == 0u);
      BOOST_TEST(m.state() == State::kBackup);
      // ... and MASTER exactly at it (well within 1 ms after).
      auto actions = drive(m, deadline + 1ms);
      BOOST_TEST(m.state() == State::kMaster);
      BOOST_TEST(count_of<ClaimVip>(actions) == 1u);
      BOOST_TEST((m.status().transitions.back().at == deadline));
      BOOST_TEST(count_of<Stall>(actions) == 0u);
    }
  }
}

BOOST_AUTO_TEST_CASE(a_repeated_copy_counts_from_its_original) {
  // The agent repeats each advert a third of an interval later; the copy
  // says how late it is. If only the copy arrives, the silence still counts
  // from the original: a cut right after it fails over no later than
  // RFC 5798 says.
  InstanceMachine m(make_config(1, 2, 100));
  m.start(t0());
  const TimePoint original = t0() + 50ms;
  drive(m, original + 33ms);
  Advert copy = master_advert(0, 200);
  copy.repeat_delay = 33ms;
  m.advert_received(copy, original + 33ms);
  const TimePoint deadline = original + master_down_interval(100ms, 100);
  BOOST_TEST(count_of<Transition>(drive(m, deadline - 1ms)) == 0u);
  drive(m, deadline);
  BOOST_TEST(m.state() == State::kMaster);
  BOOST_TEST((m.status().transitions.back().at == deadline));
  BOOST_TEST(m.status().transitions.back().cause == "master_down: no advert from edge1 for 360 ms");
  // A lateness beyond the interval (a corrupt or hostile value) counts as one interval.
  InstanceMachine n(make_config(1, 2, 100));
  n.start(t0());
  n.advert_received(master_advert(0, 200), t0() + 10ms);
  drive(n, t0() + 300ms);
  copy.repeat_delay = 5000ms;
  n.advert_received(copy, t0() + 300ms);
  const TimePoint capped = t0() + 200ms + master_down_interval(100ms, 100);
  BOOST_TEST(count_of<Transition>(drive(n, capped - 1ms)) == 0u);
  drive(n, capped);
  BOOST_TEST(n.state() == State::kMaster);
}

BOOST_AUTO_TEST_CASE(down_interval_uses_the_masters_interval) {
  // This node advertises every 100 ms, the master every 1 s: RFC 5798 uses
  // the master's advertised interval.
  InstanceMachine m(make_config(1, 2, 100, 100ms));
  m.start(t0());
  m.advert_received(master_advert(0, 200, 1000ms), t0());
  const TimePoint deadline = t0() + master_down_interval(1000ms, 100);
  BOOST_TEST(count_of<Transition>(drive(m, deadline - 1ms)) == 0u);
  BOOST_TEST(count_of<Transition>(drive(m, deadline + 1ms)) == 1u);
}

BOOST_AUTO_TEST_CASE(master_advertises_every_interval) {
  for (Milliseconds interval : {10ms, 100ms, 10000ms}) {
    BOOST_TEST_CONTEXT("interval " << interval.count() << " ms") {
      InstanceMachine m(make_config(1, 2, 100, interval));
      m.start(t0());
      drive(m, t0() + master_down_interval(interval, 100));
      BOOST_REQUIRE(m.state() == State::kMaster);
      const TimePoint became = m.status().transitions.back().at;
      auto actions = drive(m, became + interval * 10);
      BOOST_TEST(count_of<SendAdvert>(actions) == 10u);
      for (const auto& a : actions)
        if (auto* s = std::get_if<SendAdvert>(&a)) {
          BOOST_TEST(s->priority == 100);
          BOOST_TEST(s->state == State::kMaster);
        }
      BOOST_TEST((m.next_deadline() == became + interval * 11));
    }
  }
}

BOOST_AUTO_TEST_CASE(backup_heartbeats_every_interval_unless_disabled) {
  InstanceMachine m(make_config(1, 2, 100));
  m.start(t0());
  m.advert_received(master_advert(0, 200), t0());
  Actions actions;
  for (int i = 1; i <= 10; ++i) {
    append(actions, drive(m, t0() + i * 100ms));
    m.advert_received(master_advert(0, 200), t0() + i * 100ms);
  }
  BOOST_TEST(count_of<SendAdvert>(actions) == 10u);

  InstanceConfig quiet = make_config(1, 2, 100);
  quiet.advertise_in_backup = false;
  InstanceMachine q(quiet);
  BOOST_TEST(count_of<SendAdvert>(q.start(t0())) == 0u);
  q.advert_received(master_advert(0, 200), t0());
  BOOST_TEST((q.next_deadline() == t0() + master_down_interval(100ms, 100)));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(failover_late_adverts)

BOOST_AUTO_TEST_CASE(advert_after_deadline_but_before_timer_keeps_backup) {
  InstanceMachine m(make_config(1, 2, 100));
  m.start(t0());
  m.advert_received(master_advert(0, 200), t0());
  const TimePoint deadline = t0() + master_down_interval(100ms, 100);
  drive(m, deadline - std::chrono::nanoseconds(1));
  // The shell drained the socket first: an advert stamped 5 ms past the
  // deadline, then the (late) timer event.
  auto actions = m.advert_received(master_advert(0, 200), deadline + 5ms);
  append(actions, m.timer_fired(deadline + 5ms));
  BOOST_TEST(count_of<Transition>(actions) == 0u, describe_all(actions));
  BOOST_TEST(count_of<ClaimVip>(actions) == 0u);
  BOOST_TEST(m.state() == State::kBackup);
  BOOST_TEST((m.next_deadline() <= deadline + 5ms + master_down_interval(100ms, 100)));
}

BOOST_AUTO_TEST_CASE(stall_with_queued_advert_is_reported_without_failover) {
  InstanceMachine m(make_config(1, 2, 100));
  m.start(t0());
  m.advert_received(master_advert(0, 200), t0() + 50ms);
  drive(m, t0() + 100ms);
  // The agent is frozen for 2 s; the master kept advertising. After the
  // stall the shell drains the queued adverts, then fires the timer.
  const TimePoint after = t0() + 2100ms;
  auto actions = m.advert_received(master_advert(0, 200), after);
  append(actions, m.advert_received(master_advert(0, 200), after));
  append(actions, m.timer_fired(after));
  BOOST_TEST(count_of<Stall>(actions) == 1u, describe_all(actions));
  auto stall = first_of<Stall>(actions);
  BOOST_TEST(std::chrono::duration_cast<Milliseconds>(stall->gap).count() == 2000);
  BOOST_TEST(count_of<Transition>(actions) == 0u);
  BOOST_TEST(m.state() == State::kBackup);
}

BOOST_AUTO_TEST_CASE(stall_without_adverts_fails_over) {
  // If nothing was queued, the master really was silent: fail over.
  InstanceMachine m(make_config(1, 2, 100));
  m.start(t0());
  m.advert_received(master_advert(0, 200), t0());
  auto actions = m.timer_fired(t0() + 2s);
  BOOST_TEST(count_of<Stall>(actions) == 1u);
  BOOST_TEST(m.state() == State::kMaster);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(failover_stall)

BOOST_AUTO_TEST_CASE(no_stall_in_normal_running) {
  Lan lan({make_config(0, 3, 250), make_config(1, 3, 200), make_config(2, 3, 100)});
  lan.start_all();
  lan.run_for(30s);
  for (std::size_t i = 0; i < 3; ++i)
    for (const auto& [when, a] : lan.node(i).log) BOOST_TEST(!std::holds_alternative<Stall>(a));
}

BOOST_AUTO_TEST_CASE(master_gap_over_two_intervals_is_a_stall) {
  InstanceMachine m(make_config(1, 2, 100));
  m.start(t0());
  drive(m, t0() + 1s);
  BOOST_REQUIRE(m.state() == State::kMaster);
  const TimePoint last = m.status().transitions.back().at + 600ms;
  drive(m, last);
  const TimePoint due = *m.next_deadline();
  BOOST_TEST((due == last + 100ms));
  // Exactly two intervals after the last event: late, but not a stall.
  BOOST_TEST(count_of<Stall>(m.timer_fired(last + 200ms)) == 0u);
  // More than two intervals: a stall, with its size.
  const TimePoint next = last + 200ms;
  auto actions = m.timer_fired(next + 201ms);
  BOOST_REQUIRE(count_of<Stall>(actions) == 1u);
  auto stall = *first_of<Stall>(actions);
  BOOST_TEST(std::chrono::duration_cast<Milliseconds>(stall.gap).count() == 201);
  BOOST_TEST(std::chrono::duration_cast<Milliseconds>(stall.late).count() == 101);
  // After a stall the master advertises once, then keeps a fresh cadence.
  BOOST_TEST(count_of<SendAdvert>(actions) == 1u);
  BOOST_TEST((m.next_deadline() == next + 301ms));
  BOOST_TEST(m.state() == State::kMaster);
}

BOOST_AUTO_TEST_CASE(long_quiet_times_without_deadline_are_not_stalls) {
  InstanceConfig c = make_config(1, 2, 100);
  c.advertise_in_backup = false;
  InstanceMachine m(c);
  m.start(t0());
  m.tracked_failure("proxy", t0());  // FAULT without heartbeats: no deadline
  BOOST_TEST(!m.next_deadline().has_value());
  BOOST_TEST(count_of<Stall>(m.tracked_recovery("proxy", t0() + 1h)) == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
