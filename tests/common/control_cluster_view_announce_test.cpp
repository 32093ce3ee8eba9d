// Tests for common/control/cluster_view.h with every node active
// (ha.announce, docs/scaling.md): the view's mode, each node's announce
// section, and which announce states are warned about.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "common/control/cluster_view.h"

namespace tandem::control {
namespace {

wire::RoutingSession session(const std::string& name, const std::string& protocol, const std::string& state,
                             const std::string& info = "") {
  wire::RoutingSession r;
  r.set_name(name);
  r.set_protocol(protocol);
  r.set_state(state);
  r.set_info(info);
  return r;
}

// A reachable node with an alive proxy that announces (or not, WHY) the VIP.
NodeSample announcing(const std::string& name, bool announced, const std::string& why = "serving",
                      bool drained = false) {
  NodeSample s;
  s.node = name;
  s.address = "198.18.0.11";
  s.status.emplace();
  s.status->set_node(name);
  s.status->mutable_proxy()->set_alive(true);
  s.status->mutable_proxy()->set_connected(true);
  auto& a = *s.status->mutable_announce();
  a.add_vips("198.18.0.200/32");
  a.set_announced(announced);
  a.set_why(why);
  a.set_drained(drained);
  a.set_table(200);
  *a.add_sessions() = session("uplink", "BGP", "up", "Established");
  *a.add_sessions() = session("bfd1", "BFD", "up");
  return s;
}

std::vector<std::string> warnings_of(const boost::json::object& view) {
  std::vector<std::string> out;
  for (const auto& w : view.at("warnings").as_array()) out.emplace_back(w.as_string());
  return out;
}

bool has_warning(const boost::json::object& view, const std::string& text) {
  const auto all = warnings_of(view);
  return std::any_of(all.begin(), all.end(), [&](const std::string& w) { return w.find(text) != std::string::npos; });
}

}  // namespace

BOOST_AUTO_TEST_SUITE(control_cluster_view_announce)

BOOST_AUTO_TEST_CASE(every_node_announcing_is_mode_bgp_and_healthy) {
  RateMemory rates;
  const auto view = build_cluster_view("c", {announcing("edge1", true), announcing("edge2", true)}, rates, 1);
  BOOST_TEST(view.at("mode").as_string() == "bgp");
  BOOST_TEST(warnings_of(view).empty());
  BOOST_TEST(view.at("health").as_string() == "healthy");
  const auto& a = view.at("nodes").as_array().at(0).as_object().at("announce").as_object();
  BOOST_TEST(a.at("announced").as_bool());
  BOOST_TEST(a.at("table").to_number<int>() == 200);
  BOOST_TEST(a.at("sessions").as_array().size() == 2u);
}

BOOST_AUTO_TEST_CASE(a_node_that_announces_nothing_is_degraded_with_its_reason) {
  RateMemory rates;
  const auto view = build_cluster_view(
      "c", {announcing("edge1", true), announcing("edge2", false, "proxy cannot serve: web has no usable server")},
      rates, 1);
  BOOST_TEST(has_warning(view, "edge2 announces nothing: proxy cannot serve: web has no usable server"));
  BOOST_TEST(view.at("health").as_string() == "degraded");
}

BOOST_AUTO_TEST_CASE(a_drained_node_withdrawn_on_purpose_is_not_warned_about) {
  RateMemory rates;
  const auto view =
      build_cluster_view("c", {announcing("edge1", true), announcing("edge2", false, "drained", true)}, rates, 1);
  BOOST_TEST(warnings_of(view).empty());
  BOOST_TEST(view.at("nodes").as_array().at(1).as_object().at("announce").as_object().at("drained").as_bool());
}

BOOST_AUTO_TEST_CASE(a_bgp_or_bfd_session_not_up_is_warned_about_with_its_state_and_info) {
  RateMemory rates;
  auto edge2 = announcing("edge2", true);
  edge2.status->mutable_announce()->mutable_sessions(0)->set_state("start");
  edge2.status->mutable_announce()->mutable_sessions(0)->set_info("Active  Socket: Connection refused");
  edge2.status->mutable_announce()->mutable_sessions(1)->set_state("down");
  const auto view = build_cluster_view("c", {announcing("edge1", true), edge2}, rates, 1);
  BOOST_TEST(has_warning(view, "edge2: BGP session uplink is start (Active  Socket: Connection refused)"));
  BOOST_TEST(has_warning(view, "edge2: BFD session bfd1 is down"));
  BOOST_TEST(view.at("health").as_string() == "degraded");
}

BOOST_AUTO_TEST_CASE(a_kernel_protocol_not_up_is_not_a_session_warning) {
  RateMemory rates;
  auto edge1 = announcing("edge1", true);
  *edge1.status->mutable_announce()->add_sessions() = session("announce", "Kernel", "down");
  const auto view = build_cluster_view("c", {edge1}, rates, 1);
  BOOST_TEST(warnings_of(view).empty());
}

BOOST_AUTO_TEST_CASE(an_unreadable_routing_daemon_is_warned_about) {
  RateMemory rates;
  auto edge1 = announcing("edge1", true);
  edge1.status->mutable_announce()->clear_sessions();
  edge1.status->mutable_announce()->set_daemon_error("connect /run/bird/bird.ctl: No such file or directory");
  const auto view = build_cluster_view("c", {edge1}, rates, 1);
  BOOST_TEST(has_warning(view, "edge1: routing daemon: connect /run/bird/bird.ctl: No such file or directory"));
}

BOOST_AUTO_TEST_CASE(vrrp_instances_and_announcements_together_are_mode_vrrp_plus_bgp) {
  RateMemory rates;
  auto edge1 = announcing("edge1", true);
  auto& in = *edge1.status->add_instances();
  in.set_name("www");
  in.set_state("MASTER");
  in.set_vip_held(true);
  in.add_vips("198.18.0.100/24");
  const auto view = build_cluster_view("c", {edge1}, rates, 1);
  BOOST_TEST(view.at("mode").as_string() == "vrrp+bgp");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace tandem::control
