// Tests for ha/failover/instance_driver.h: one instance's perform/arm pair,
// driven with a fake clock and fake ports that record every action.
#include <boost/test/unit_test.hpp>

#include "ha/failover/instance_driver.h"
#include "tests/ha/failover_test_util.h"

using namespace tandem::ha;
using namespace tandem::ha::test;

namespace {

// Records what the driver asks of the agent.
struct Recorder {
  std::vector<SendAdvert> adverts;
  int claims = 0;
  int releases = 0;
  int announces = 0;
  std::vector<Transition> transitions;
  std::vector<std::optional<TimePoint>> timers;  // every set_timer call
  std::vector<bool> after;                       // every after_actions call
  std::uint64_t unix_ms = 1'700'000'000'000;

  InstanceDriverPorts ports() {
    InstanceDriverPorts p;
    p.send_advert = [this](const SendAdvert& s) { adverts.push_back(s); };
    p.claim_vips = [this] { ++claims; };
    p.release_vips = [this] { ++releases; };
    p.announce_vips = [this] { ++announces; };
    p.transitioned = [this](const Transition& t) { transitions.push_back(t); };
    p.set_timer = [this](std::optional<TimePoint> d) { timers.push_back(d); };
    p.after_actions = [this](bool transitioned) { after.push_back(transitioned); };
    p.unix_now_ms = [this] { return unix_ms; };
    return p;
  }
};

// Fires the driver's timer at each deadline it set, up to UNTIL, as the
// agent's DeadlineTimer would.
void run_timers(InstanceDriver& d, Recorder& r, TimePoint until) {
  for (int i = 0; i < 1000; ++i) {
    const auto deadline = d.machine().next_deadline();
    if (!deadline || *deadline > until) return;
    BOOST_REQUIRE(r.timers.back() == deadline);  // the timer was set to it
    d.timer_fired(*deadline);
  }
  BOOST_FAIL("the timer kept firing");
}

// Node edge1 (priority 200) of a two-node cluster, master after its down
// interval with edge2 silent.
struct MasterFixture {
  Recorder r;
  InstanceDriver d{make_config(0, 2, 200), r.ports()};
  MasterFixture() {
    d.start(t0());
    run_timers(d, r, t0() + 1s);
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(failover_instance_driver)

BOOST_AUTO_TEST_CASE(start_arms_the_timer_at_the_machines_deadline) {
  Recorder r;
  InstanceDriver d(make_config(0, 2, 200), r.ports());
  d.start(t0());
  BOOST_TEST(d.machine().state() == State::kBackup);
  BOOST_TEST(r.timers.size() == 1u);
  BOOST_TEST(r.timers.back() == d.machine().next_deadline());
  BOOST_TEST(d.since_unix_ms() == r.unix_ms);
  BOOST_TEST(r.after.back() == true);  // INIT -> BACKUP is a transition
}

BOOST_AUTO_TEST_CASE(a_silent_peer_makes_it_master_and_the_vips_are_claimed_once) {
  MasterFixture f;
  BOOST_TEST(f.d.machine().state() == State::kMaster);
  BOOST_TEST(f.r.claims == 1);
  BOOST_TEST(f.r.announces == 0);  // the claim's burst makes the first announcement
  BOOST_TEST(!f.r.adverts.empty());
  BOOST_REQUIRE(!f.r.transitions.empty());
  BOOST_TEST(f.r.transitions.back().to == State::kMaster);
}

BOOST_AUTO_TEST_CASE(the_timer_is_set_only_when_the_deadline_changes) {
  Recorder r;
  InstanceDriver d(make_config(0, 2, 200), r.ports());
  d.start(t0());
  const auto sets = r.timers.size();
  // A weight-mode track that is healthy changes nothing the machine times.
  d.track_changed("script:disk", true, 30, t0() + 10ms);
  BOOST_TEST(r.timers.size() == sets);
}

BOOST_AUTO_TEST_CASE(a_repeated_serving_fact_does_not_reach_the_machine_again) {
  MasterFixture f;
  f.d.serving_update(false, "no usable server", t0() + 2s);
  const auto adverts = f.r.adverts.size();
  const auto after = f.r.after.size();
  BOOST_TEST(adverts > 0u);
  f.d.serving_update(false, "no usable server", t0() + 2s + 10ms);
  BOOST_TEST(f.r.adverts.size() == adverts);
  BOOST_TEST(f.r.after.size() == after);
  BOOST_TEST(!f.d.machine().serving());
}

BOOST_AUTO_TEST_CASE(a_fault_mode_track_failure_makes_it_fault) {
  MasterFixture f;
  f.d.track_changed("link", false, 0, t0() + 2s);
  BOOST_TEST(f.d.machine().state() == State::kFault);
  BOOST_TEST(f.r.releases == 1);
  f.d.track_changed("link", true, 0, t0() + 3s);
  BOOST_TEST(f.d.machine().state() == State::kBackup);
}

BOOST_AUTO_TEST_CASE(a_weight_mode_track_failure_lowers_the_priority) {
  MasterFixture f;
  f.d.track_changed("script:disk", false, 30, t0() + 2s);
  BOOST_TEST(f.d.machine().state() == State::kMaster);
  BOOST_TEST(f.d.machine().effective_priority() == 170);
  f.d.track_changed("script:disk", true, 30, t0() + 3s);
  BOOST_TEST(f.d.machine().effective_priority() == 200);
}

BOOST_AUTO_TEST_CASE(switchover_hands_over_to_the_heard_backup) {
  MasterFixture f;
  f.d.advert_received(backup_advert(1, 100), t0() + 1900ms);
  const auto out = f.d.switchover(std::nullopt, t0() + 2s);
  BOOST_TEST(out.handed_over);
  BOOST_TEST(out.message == "web: handed over to edge2");
  BOOST_TEST(f.d.machine().state() != State::kMaster);
  BOOST_TEST(f.r.adverts.back().priority == 0);
}

BOOST_AUTO_TEST_CASE(switchover_on_a_backup_is_refused_with_the_reason) {
  Recorder r;
  InstanceDriver d(make_config(0, 2, 200), r.ports());
  d.start(t0());
  const auto out = d.switchover(std::nullopt, t0() + 10ms);
  BOOST_TEST(!out.handed_over);
  BOOST_TEST(out.message.starts_with("web: "));
  BOOST_TEST(out.message.size() > 5u);
  BOOST_TEST(!out.message.ends_with("; "));
}

BOOST_AUTO_TEST_CASE(shutdown_resigns_and_leaves_no_timer) {
  MasterFixture f;
  f.d.shutdown(t0() + 2s);
  BOOST_TEST(f.r.adverts.back().priority == 0);
  BOOST_TEST(f.r.releases == 1);
  BOOST_TEST(!f.r.timers.back().has_value());
  const auto sets = f.r.timers.size();
  f.d.timer_fired(t0() + 3s);
  BOOST_TEST(f.r.timers.size() == sets);
}

BOOST_AUTO_TEST_SUITE_END()
