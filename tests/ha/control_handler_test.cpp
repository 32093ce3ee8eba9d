// Tests for ha/control/control_handler.h and ha/control/switchover.h: the
// agent's answers to control requests, from a fake AgentView and real
// instance drivers on a fake clock.
#include <boost/test/unit_test.hpp>

#include "ha/control/control_handler.h"
#include "ha/control/switchover.h"
#include "tests/ha/failover_test_util.h"

using namespace tandem;
using namespace tandem::ha;
using namespace tandem::ha::test;

namespace {

struct FakeView : AgentView {
  wire::StatusResponse status() const override {
    ++reads;
    wire::StatusResponse s;
    s.set_node("edge1");
    s.set_stalls(7);
    return s;
  }
  const TransitionCounts& transition_counts() const override { return counts; }
  TransitionCounts counts{{{"web", "MASTER"}, 3}};
  mutable int reads = 0;
};

// A driver whose ports do nothing but keep its timer's deadline.
struct QuietDriver {
  std::optional<TimePoint> timer;
  InstanceDriver driver;
  explicit QuietDriver(InstanceConfig c) : driver(std::move(c), ports()) {}
  InstanceDriverPorts ports() {
    InstanceDriverPorts p;
    p.send_advert = [](const SendAdvert&) {};
    p.claim_vips = [] {};
    p.release_vips = [] {};
    p.announce_vips = [] {};
    p.transitioned = [](const Transition&) {};
    p.set_timer = [this](std::optional<TimePoint> d) { timer = d; };
    p.after_actions = [](bool) {};
    p.unix_now_ms = [] { return std::uint64_t{0}; };
    return p;
  }
  // Fires the timer until NOW (the fake clock).
  void run_until(TimePoint now) {
    while (timer && *timer <= now) {
      const TimePoint at = *timer;
      timer.reset();  // spent; the driver sets it again when a deadline is pending
      driver.timer_fired(at);
    }
  }
};

wire::SwitchoverRequest request(std::string instance = "", std::string to = "") {
  wire::SwitchoverRequest r;
  r.set_instance(std::move(instance));
  r.set_to(std::move(to));
  return r;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(control_handler)

BOOST_AUTO_TEST_CASE(status_comes_from_the_view) {
  FakeView view;
  ControlHandler handler(view, [](const wire::SwitchoverRequest&) { return wire::SwitchoverResponse(); });
  wire::ControlRequest req;
  req.mutable_status();
  const auto resp = handler.handle(req);
  BOOST_TEST(resp.has_status());
  BOOST_TEST(resp.status().node() == "edge1");
  BOOST_TEST(view.reads == 1);
}

BOOST_AUTO_TEST_CASE(switchover_goes_to_the_switchover_function_only) {
  FakeView view;
  std::optional<wire::SwitchoverRequest> asked;
  ControlHandler handler(view, [&](const wire::SwitchoverRequest& r) {
    asked = r;
    wire::SwitchoverResponse out;
    out.set_accepted(true);
    out.add_messages("web: handed over to edge2");
    return out;
  });
  wire::ControlRequest req;
  *req.mutable_switchover() = request("web", "edge2");
  const auto resp = handler.handle(req);
  BOOST_REQUIRE(asked.has_value());
  BOOST_TEST(asked->instance() == "web");
  BOOST_TEST(asked->to() == "edge2");
  BOOST_TEST(resp.switchover().accepted());
  BOOST_TEST(resp.switchover().messages(0) == "web: handed over to edge2");
  BOOST_TEST(view.reads == 0);
}

BOOST_AUTO_TEST_CASE(an_empty_request_says_what_to_send) {
  FakeView view;
  bool called = false;
  ControlHandler handler(view, [&](const wire::SwitchoverRequest&) {
    called = true;
    return wire::SwitchoverResponse();
  });
  const auto resp = handler.handle(wire::ControlRequest());
  BOOST_TEST(resp.error() == "empty request: set `status` or `switchover`");
  BOOST_TEST(!called);
}

BOOST_AUTO_TEST_CASE(admin_paths) {
  FakeView view;
  ControlHandler handler(view, [](const wire::SwitchoverRequest&) { return wire::SwitchoverResponse(); });
  const auto metrics = handler.admin("/metrics");
  BOOST_TEST(metrics.status == 200u);
  BOOST_TEST(metrics.content_type.starts_with("text/plain; version=0.0.4"));
  BOOST_TEST(metrics.body.find("tandem_ha_transitions_total{instance=\"web\",to=\"MASTER\"} 3") != std::string::npos);
  const auto status = handler.admin("/status");
  BOOST_TEST(status.status == 200u);
  BOOST_TEST(status.content_type == "application/json");
  BOOST_TEST(status.body.find("\"node\": \"edge1\"") != std::string::npos);
  const auto other = handler.admin("/other");
  BOOST_TEST(other.status == 404u);
  BOOST_TEST(other.body == "not found: try /metrics or /status\n");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(control_switchover)

BOOST_AUTO_TEST_CASE(no_master_no_instance_named) {
  QuietDriver backup(make_config(0, 2, 100));
  backup.driver.start(t0());
  const auto out = run_switchover({&backup.driver}, request(), t0() + 10ms);
  BOOST_TEST(!out.accepted());
  BOOST_REQUIRE(out.messages_size() == 1);
  BOOST_TEST(out.messages(0) == "this node is master of no instance");
}

BOOST_AUTO_TEST_CASE(an_unknown_instance_is_named_in_the_answer) {
  QuietDriver backup(make_config(0, 2, 100));
  backup.driver.start(t0());
  const auto out = run_switchover({&backup.driver}, request("api"), t0() + 10ms);
  BOOST_TEST(!out.accepted());
  BOOST_TEST(out.messages(0) == "no instance 'api' on this node");
}

BOOST_AUTO_TEST_CASE(the_master_hands_over_on_the_fake_clock) {
  QuietDriver master(make_config(0, 2, 200));
  master.driver.start(t0());
  master.run_until(t0() + 1s);  // edge2 silent: edge1 is master after its down interval
  BOOST_REQUIRE(master.driver.machine().state() == State::kMaster);
  master.driver.advert_received(backup_advert(1, 100), t0() + 1100ms);
  const auto out = run_switchover({&master.driver}, request(), t0() + 1200ms);
  BOOST_TEST(out.accepted());
  BOOST_TEST(out.messages(0) == "web: handed over to edge2");
  BOOST_TEST(master.driver.machine().state() == State::kBackup);
}

BOOST_AUTO_TEST_CASE(a_named_backup_instance_answers_why_not) {
  QuietDriver backup(make_config(0, 2, 100));
  backup.driver.start(t0());
  const auto out = run_switchover({&backup.driver}, request("web"), t0() + 10ms);
  BOOST_TEST(!out.accepted());
  BOOST_REQUIRE(out.messages_size() == 1);
  BOOST_TEST(out.messages(0).starts_with("web: "));
}

BOOST_AUTO_TEST_SUITE_END()
