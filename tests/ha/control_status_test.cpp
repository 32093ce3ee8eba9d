// Tests for ha/control/status_builder.h and ha/control/metrics.h: the status
// is a pure function of machine snapshots and counters.
#include <boost/test/unit_test.hpp>

#include <google/protobuf/util/message_differencer.h>

#include "ha/control/metrics.h"
#include "ha/control/status_builder.h"

namespace tandem::ha {
namespace {

using namespace std::chrono_literals;

TimePoint t0() { return TimePoint{} + std::chrono::hours(1000); }

InstanceConfig config() {
  InstanceConfig c;
  c.instance_id = 51;
  c.instance_name = "www";
  c.node = "edge1";
  c.address = boost::asio::ip::make_address("198.18.0.11");
  c.priority = 200;
  c.peers = {Peer{"edge2", boost::asio::ip::make_address("198.18.0.12")},
             Peer{"edge3", boost::asio::ip::make_address("198.18.0.13")}};
  return c;
}

StatusInputs inputs(InstanceMachine& m) {
  StatusInputs in;
  in.node = "edge1";
  in.started = t0();
  in.now = t0() + 2s;
  in.now_unix_ms = 1'700'000'002'000;
  in.instances.push_back(InstanceView{m.status(), {"198.18.0.100/24"}, true});
  in.proxy = ProxyView{true, true, true, t0() + 1950ms};
  in.tracks = {TrackView{"link", true, 0}, TrackView{"script:disk", false, 30}};
  in.adverts.verifier.accepted = 12;
  in.adverts.verifier.replayed = 3;
  in.adverts.verifier.bad_signature = 1;
  in.adverts.sent = 20;
  in.stalls = 1;
  return in;
}

BOOST_AUTO_TEST_SUITE(agent_status)

BOOST_AUTO_TEST_CASE(time_conversions) {
  BOOST_TEST(to_unix_ms(t0() + 500ms, t0() + 2s, 10'000) == 8'500u);
  BOOST_TEST(to_unix_ms(t0() + 3s, t0() + 2s, 10'000) == 11'000u);
  BOOST_TEST(ms_ago(std::nullopt, t0()) == -1);
  BOOST_TEST(ms_ago(t0(), t0() + 1500ms) == 1500);
  BOOST_TEST(ms_ago(t0() + 1s, t0()) == 0);
}

BOOST_AUTO_TEST_CASE(built_from_machines_and_counters) {
  InstanceMachine m(config());
  m.start(t0());
  m.advert_received(Advert{"edge2", 150, State::kMaster, 100ms, std::nullopt}, t0() + 1s);
  const auto s = build_status(inputs(m));
  BOOST_TEST(s.node() == "edge1");
  BOOST_TEST(s.uptime_ms() == 2000u);
  BOOST_REQUIRE(s.instances_size() == 1);
  const auto& i = s.instances(0);
  BOOST_TEST(i.name() == "www");
  BOOST_TEST(i.id() == 51u);
  BOOST_TEST(i.state() == std::string(to_string(m.state())));
  BOOST_TEST(i.base_priority() == 200u);
  BOOST_TEST(i.effective_priority() == 200u);
  BOOST_TEST(i.vips_size() == 1);
  BOOST_TEST(i.vip_held());
  BOOST_REQUIRE(i.peers_size() == 2);
  BOOST_TEST(i.peers(0).name() == "edge2");
  BOOST_TEST(i.peers(0).address() == "198.18.0.12");
  BOOST_TEST(i.peers(0).last_advert_ms_ago() == 1000);
  BOOST_TEST(i.peers(0).priority() == 150u);
  BOOST_TEST(i.peers(0).state() == "MASTER");
  BOOST_TEST(i.peers(1).last_advert_ms_ago() == -1);
  BOOST_TEST(i.peers(1).state() == "");
  BOOST_REQUIRE(i.transitions_size() >= 1);
  BOOST_TEST(i.transitions(0).from() == "INIT");
  BOOST_TEST(i.transitions(0).at_unix_ms() == 1'700'000'000'000u);
  BOOST_TEST(s.proxy().alive());
  BOOST_TEST(s.proxy().last_heartbeat_ms_ago() == 50);
  BOOST_TEST(s.tracks_size() == 2);
  BOOST_TEST(s.adverts().accepted() == 12u);
  BOOST_TEST(s.adverts().dropped().at("replayed") == 3u);
  BOOST_TEST(s.adverts().dropped().at("bad_signature") == 1u);
  BOOST_TEST(s.adverts().dropped().at("unsigned") == 0u);
  BOOST_TEST(s.adverts().dropped().size() == std::size(kAllDropReasons));
  BOOST_TEST(s.stalls() == 1u);
}

BOOST_AUTO_TEST_CASE(same_inputs_same_status) {
  InstanceMachine m(config());
  m.start(t0());
  const auto in = inputs(m);
  BOOST_TEST(google::protobuf::util::MessageDifferencer::Equals(build_status(in), build_status(in)));
}

BOOST_AUTO_TEST_CASE(table_mentions_what_matters) {
  InstanceMachine m(config());
  m.start(t0());
  const std::string text = format_status(build_status(inputs(m)));
  for (const char* needle : {"instance www", "198.18.0.100/24", "edge2", "never", "proxy      alive",
                             "script:disk FAILING", "replayed 3"}) {
    BOOST_TEST(text.find(needle) != std::string::npos, "missing '" << needle << "' in\n" << text);
  }
}

BOOST_AUTO_TEST_CASE(metrics_text) {
  InstanceMachine m(config());
  m.start(t0());
  TransitionCounts counts{{{"www", "BACKUP"}, 1}};
  const std::string text = render_metrics(build_status(inputs(m)), counts);
  for (const char* needle :
       {"tandem_ha_state{instance=\"www\"} 1", "tandem_ha_priority{instance=\"www\"} 200",
        "tandem_ha_adverts_received_total 12", "tandem_ha_adverts_dropped_total{reason=\"replayed\"} 3",
        "tandem_ha_transitions_total{instance=\"www\",to=\"BACKUP\"} 1", "tandem_ha_stalls_total 1",
        "tandem_ha_proxy_alive 1", "# TYPE tandem_ha_adverts_dropped_total counter"}) {
    BOOST_TEST(text.find(needle) != std::string::npos, "missing '" << needle << "' in\n" << text);
  }
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace tandem::ha
