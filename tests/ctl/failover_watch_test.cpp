// Tests for ctl/failover_watch.h: who took an instance over, when the
// masters changed, where to probe, and how a handover is reported.
#include <boost/test/unit_test.hpp>

#include "config/loader.h"
#include "ctl/failover_watch.h"

namespace tandem::ctl {
namespace {

control::NodeSample node(const std::string& name, const std::string& state, bool held) {
  control::NodeSample s;
  s.node = name;
  s.status.emplace();
  auto* in = s.status->add_instances();
  in->set_name("www");
  in->set_state(state);
  in->set_vip_held(held);
  return s;
}

void transition(control::NodeSample& s, const std::string& from, const std::string& to, std::uint64_t at) {
  auto* t = s.status->mutable_instances(0)->add_transitions();
  t->set_from(from);
  t->set_to(to);
  t->set_at_unix_ms(at);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(ctl_failover_watch)

BOOST_AUTO_TEST_CASE(the_new_master_must_hold_the_vip_and_the_old_one_have_left) {
  std::vector<control::NodeSample> samples{node("edge1", "MASTER", true), node("edge2", "MASTER", true)};
  BOOST_TEST(new_master_in(samples, "www", "edge1", "") == "");  // edge1 has not left yet
  samples[0] = node("edge1", "BACKUP", false);
  BOOST_TEST(new_master_in(samples, "www", "edge1", "") == "edge2");
  BOOST_TEST(new_master_in(samples, "www", "edge1", "edge3") == "");  // --to names another node
  samples[1] = node("edge2", "MASTER", false);
  BOOST_TEST(new_master_in(samples, "www", "edge1", "") == "");  // not holding the VIP yet
  BOOST_TEST(state_of(samples, "edge2", "www").first == "MASTER");
  BOOST_TEST(state_of(samples, "edge9", "www").first == "");
}

BOOST_AUTO_TEST_CASE(master_edges_are_the_last_transitions) {
  auto a = node("edge1", "BACKUP", false);
  transition(a, "BACKUP", "MASTER", 100);
  transition(a, "MASTER", "BACKUP", 500);
  auto b = node("edge2", "MASTER", true);
  transition(b, "BACKUP", "MASTER", 480);
  const std::vector<control::NodeSample> samples{a, b};
  BOOST_TEST(master_edge(samples, "edge1", "www", false).value_or(0) == 500u);
  BOOST_TEST(master_edge(samples, "edge2", "www", true).value_or(0) == 480u);
  BOOST_TEST(!master_edge(samples, "edge2", "www", false).has_value());
}

BOOST_AUTO_TEST_CASE(the_probe_goes_to_a_listener_on_the_vip_or_a_wildcard) {
  const auto loaded = config::parse_cluster_text(R"(
name: "c"
nodes { name: "edge1" address: "198.18.0.11" }
listeners { name: "web" bind: "198.18.0.100:8080" mode: HTTP pool: "app" }
pools { name: "app" servers { name: "a" address: "198.18.0.50:80" } }
ha { key_file: "/etc/tandem/key" instances { name: "www" id: 1 vips: "198.18.0.100/24" priorities { node: "edge1" priority: 200 } } }
)",
                                                 "c.conf");
  BOOST_REQUIRE_MESSAGE(loaded.cluster, config::format_problems(loaded.problems));
  const auto t = probe_target(*loaded.cluster, "www");
  BOOST_REQUIRE(t.has_value());
  BOOST_TEST(t->first == "198.18.0.100");
  BOOST_TEST(t->second == 8080);
  BOOST_TEST(!probe_target(*loaded.cluster, "other").has_value());
}

BOOST_AUTO_TEST_CASE(a_handover_is_reported_both_ways) {
  Handover h{"www", "edge1", "edge2"};
  h.took_ms = 812.4;
  h.messages = "www: resigned";
  h.transitions_gap = 35.0;
  auto j = handover_json(h);
  BOOST_TEST(j.at("gap_method").as_string() == "transitions");
  BOOST_TEST(j.at("gap_ms").as_double() == 35.0);
  BOOST_TEST(j.at("took_ms").as_int64() == 812);
  BOOST_TEST(j.at("probe").is_null());
  BOOST_TEST(handover_text(h, false) ==
             "www: edge1 -> edge2 serves the VIP after 812 ms\n"
             "  client-visible gap: VIP not reachable from here; between the transitions: 35 ms\n");
  h.gap = Gap{4.2, 1, 200, 10};
  h.target = {"198.18.0.100", 8080};
  j = handover_json(h);
  BOOST_TEST(j.at("gap_method").as_string() == "tcp_probe");
  BOOST_TEST(j.at("probe").as_object().at("target").as_string() == "198.18.0.100:8080");
  const auto text = handover_text(h, false);
  BOOST_TEST(text.find("client-visible gap: 4.2 ms (1 of 200 TCP connects to 198.18.0.100:8080 failed") !=
             std::string::npos);
  BOOST_TEST(text.find("edge1 left MASTER -> edge2 became MASTER: 35 ms") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace tandem::ctl
