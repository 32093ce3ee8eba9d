// Tests for common/control/cluster_view.h: the typed judgements behind the
// view's warnings (InstanceRoll, assess), the proxy's section built from its
// typed report, and the servers view with its states spelled.
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <string>
#include <vector>

#include "common/control/cluster_view.h"
#include "common/control/proxy_status.h"

namespace tandem::control {
namespace {

using std::chrono::seconds;

wire::InstanceStatus instance(const std::string& name, const std::string& state, bool vip_held) {
  wire::InstanceStatus in;
  in.set_name(name);
  in.set_state(state);
  in.set_vip_held(vip_held);
  in.add_vips("198.18.0.100/24");
  return in;
}

// A reachable node running "www" in STATE, with an alive proxy and REPORT.
NodeSample node(const std::string& name, const std::string& state, bool vip_held,
                const wire::ProxyStatusReport* report = nullptr) {
  NodeSample s;
  s.node = name;
  s.address = "198.18.0.1";
  s.at = std::chrono::steady_clock::time_point(seconds(10));
  s.status.emplace();
  s.status->set_node(name);
  *s.status->add_instances() = instance("www", state, vip_held);
  s.status->mutable_proxy()->set_alive(true);
  s.status->mutable_proxy()->set_connected(true);
  if (report) *s.status->mutable_proxy_report() = *report;
  return s;
}

wire::ServerReport server(const std::string& name, wire::ServerHealth health, wire::ServerAdminState admin) {
  wire::ServerReport s;
  s.set_name(name);
  s.set_address("198.18.0.50:80");
  s.set_weight(3);
  s.set_health(health);
  s.set_admin_state(admin);
  s.set_requests(40);
  return s;
}

wire::ProxyStatusReport report_with(std::vector<wire::ServerReport> servers, bool stick = false) {
  wire::ProxyStatusReport r;
  r.set_open_connections(7);
  r.add_listeners()->set_requests(100);
  r.add_listeners()->set_requests(23);
  auto* pool = r.add_pools();
  pool->set_name("web");
  pool->set_servers_up(1);
  for (auto& s : servers) *pool->add_servers() = std::move(s);
  if (stick) pool->set_stick_entries(5);
  return r;
}

const boost::json::object& proxy_of(const boost::json::object& view, std::size_t i) {
  return view.at("nodes").as_array().at(i).as_object().at("proxy").as_object();
}

std::vector<std::string> warnings_of(const boost::json::object& view) {
  std::vector<std::string> out;
  for (const auto& w : view.at("warnings").as_array()) out.emplace_back(w.as_string());
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(control_cluster_view)

BOOST_AUTO_TEST_CASE(one_master_holding_the_vip_is_healthy) {
  InstanceFacts f{"www", {"198.18.0.100/24"}, {"edge1"}, {"edge1"}, {"edge1", "edge2"}};
  BOOST_TEST(assess(f, false).empty());
}

BOOST_AUTO_TEST_CASE(two_masters_are_a_split_brain) {
  InstanceFacts f{"www", {"198.18.0.100/24"}, {"edge1", "edge2"}, {"edge1"}, {"edge1", "edge2"}};
  const auto w = assess(f, false);
  BOOST_REQUIRE(w.size() == 1u);
  BOOST_TEST(w[0].text == "SPLIT BRAIN: instance www has 2 masters: edge1, edge2");
  BOOST_TEST(w[0].severity == kDegraded);
}

BOOST_AUTO_TEST_CASE(no_master_and_no_holder_say_whether_nodes_are_missing) {
  InstanceFacts f{"www", {"198.18.0.100/24"}, {}, {}, {"edge2"}};
  const auto partial = assess(f, true);
  BOOST_REQUIRE(partial.size() == 2u);
  BOOST_TEST(partial[0].text == "NO MASTER for instance www among the reachable nodes");
  BOOST_TEST(partial[1].text == "VIP 198.18.0.100/24 (www) held by no reachable node");
  const auto whole = assess(f, false);
  BOOST_TEST(whole[0].text == "NO MASTER for instance www");
  BOOST_TEST(whole[1].text == "VIP 198.18.0.100/24 (www) held by no node");
}

BOOST_AUTO_TEST_CASE(a_vip_held_twice_is_degraded) {
  InstanceFacts f{"www", {"198.18.0.100/24"}, {"edge1"}, {"edge1", "edge2"}, {"edge1", "edge2"}};
  const auto w = assess(f, false);
  BOOST_REQUIRE(w.size() == 1u);
  BOOST_TEST(w[0].text == "VIP 198.18.0.100/24 (www) held by 2 nodes: edge1, edge2");
  BOOST_TEST(w[0].severity == kDegraded);
}

BOOST_AUTO_TEST_CASE(the_roll_keeps_first_seen_order_and_who_does_what) {
  InstanceRoll roll;
  roll.note("edge1", instance("www", "BACKUP", false));
  roll.note("edge1", instance("api", "MASTER", true));
  roll.note("edge2", instance("www", "MASTER", true));
  BOOST_REQUIRE(roll.instances().size() == 2u);
  const auto& www = roll.instances()[0];
  BOOST_TEST(www.name == "www");
  BOOST_TEST(www.runners == (std::vector<std::string>{"edge1", "edge2"}));
  BOOST_TEST(www.masters == (std::vector<std::string>{"edge2"}));
  BOOST_TEST(www.holders == (std::vector<std::string>{"edge2"}));
  BOOST_TEST(www.vips == (std::vector<std::string>{"198.18.0.100/24"}));
  BOOST_TEST(roll.instances()[1].name == "api");
}

BOOST_AUTO_TEST_CASE(the_proxy_section_comes_from_the_typed_report) {
  const auto report = report_with({server("a", wire::SERVER_HEALTH_UP, wire::SERVER_ADMIN_READY),
                                   server("b", wire::SERVER_HEALTH_DOWN, wire::SERVER_ADMIN_READY)},
                                  true);
  RateMemory rates;
  const auto view = build_cluster_view("c", {node("edge1", "MASTER", true, &report)}, rates, 1);
  const auto& p = proxy_of(view, 0);
  BOOST_TEST(p.at("reachable").as_bool());
  BOOST_TEST(p.at("health").as_string() == "ok");
  BOOST_TEST(p.at("open_connections").to_number<std::uint64_t>() == 7u);
  BOOST_TEST(p.at("requests_total").to_number<std::uint64_t>() == 123u);
  BOOST_TEST(p.at("requests_per_s").is_null());  // one sample: no rate yet
  BOOST_TEST(p.at("servers_up").to_number<std::uint64_t>() == 1u);
  BOOST_TEST(p.at("servers_total").to_number<std::uint64_t>() == 2u);
  BOOST_TEST(p.at("stick_entries").to_number<std::uint64_t>() == 5u);
  BOOST_TEST(view.at("exit_code").as_int64() == kHealthy);
}

BOOST_AUTO_TEST_CASE(a_draining_proxy_and_a_pool_without_stickiness) {
  auto report = report_with({server("a", wire::SERVER_HEALTH_UP, wire::SERVER_ADMIN_READY)});
  report.set_draining(true);
  RateMemory rates;
  const auto view = build_cluster_view("c", {node("edge1", "MASTER", true, &report)}, rates, 1);
  const auto& p = proxy_of(view, 0);
  BOOST_TEST(p.at("health").as_string() == "draining");
  BOOST_TEST(p.at("draining").as_bool());
  BOOST_TEST(p.at("stick_entries").is_null());
}

BOOST_AUTO_TEST_CASE(without_a_report_the_numbers_are_null_and_the_error_shown) {
  auto sample = node("edge1", "MASTER", true);
  sample.status->set_proxy_error("lb-proxy admin 127.0.0.1:9100: timeout");
  RateMemory rates;
  const auto view = build_cluster_view("c", {sample}, rates, 1);
  const auto& p = proxy_of(view, 0);
  BOOST_TEST(!p.at("reachable").as_bool());
  BOOST_TEST(p.at("health").as_string() == "no admin");
  BOOST_TEST(p.at("error").as_string() == "lb-proxy admin 127.0.0.1:9100: timeout");
  for (const char* key : {"open_connections", "requests_total", "servers_up", "servers_total", "stick_entries"})
    BOOST_TEST(p.at(key).is_null(), key);
  BOOST_TEST(view.at("exit_code").as_int64() == kHealthy);  // the agent still says the proxy is alive
}

BOOST_AUTO_TEST_CASE(a_dead_proxy_degrades_the_cluster) {
  auto sample = node("edge1", "MASTER", true);
  sample.status->mutable_proxy()->set_alive(false);
  RateMemory rates;
  const auto view = build_cluster_view("c", {sample}, rates, 1);
  BOOST_TEST(proxy_of(view, 0).at("health").as_string() == "down");
  BOOST_TEST(view.at("exit_code").as_int64() == kDegraded);
  BOOST_TEST(view.at("health").as_string() == "degraded");
  const auto w = warnings_of(view);
  BOOST_TEST((w == std::vector<std::string>{"edge1: lb-proxy is not alive (agent's verdict)"}));
}

BOOST_AUTO_TEST_CASE(an_unreachable_node_is_reported_and_partial_wording_used) {
  NodeSample gone;
  gone.node = "edge2";
  gone.error = "no answer within 1000 ms";
  RateMemory rates;
  const auto view = build_cluster_view("c", {node("edge1", "BACKUP", false), gone}, rates, 1);
  BOOST_TEST(view.at("exit_code").as_int64() == kUnreachable);
  BOOST_TEST(view.at("health").as_string() == "unreachable");
  const auto w = warnings_of(view);
  BOOST_REQUIRE(w.size() == 3u);
  BOOST_TEST(w[0] == "edge2 unreachable: no answer within 1000 ms");
  BOOST_TEST(w[1] == "NO MASTER for instance www among the reachable nodes");
  BOOST_TEST(!view.at("nodes").as_array().at(1).as_object().at("reachable").as_bool());
}

BOOST_AUTO_TEST_CASE(rates_come_from_two_samples) {
  auto report = report_with({server("a", wire::SERVER_HEALTH_UP, wire::SERVER_ADMIN_READY)});
  RateMemory rates;
  auto first = node("edge1", "MASTER", true, &report);
  (void)build_cluster_view("c", {first}, rates, 1);
  report.mutable_listeners(0)->set_requests(300);  // 123 -> 323 in 2 s
  auto second = node("edge1", "MASTER", true, &report);
  second.at = first.at + seconds(2);
  const auto view = build_cluster_view("c", {second}, rates, 2);
  BOOST_TEST(proxy_of(view, 0).at("requests_per_s").as_double() == 100.0);
}

BOOST_AUTO_TEST_CASE(the_servers_view_spells_states_and_judges_them) {
  const auto report = report_with({server("a", wire::SERVER_HEALTH_UP, wire::SERVER_ADMIN_READY),
                                   server("b", wire::SERVER_HEALTH_DOWN, wire::SERVER_ADMIN_DRAIN)});
  RateMemory rates;
  auto view = build_servers_view({node("edge1", "MASTER", true, &report)}, "", rates);
  const auto& rows = view.at("servers").as_array();
  BOOST_REQUIRE(rows.size() == 2u);
  const auto& b = rows[1].as_object();
  BOOST_TEST(b.at("node").as_string() == "edge1");
  BOOST_TEST(b.at("pool").as_string() == "web");
  BOOST_TEST(b.at("server").as_string() == "b");
  BOOST_TEST(b.at("health").as_string() == "DOWN");
  BOOST_TEST(b.at("admin_state").as_string() == "DRAIN");
  BOOST_TEST(b.at("weight").to_number<std::uint64_t>() == 3u);
  BOOST_TEST(b.at("requests").to_number<std::uint64_t>() == 40u);
  BOOST_TEST(view.at("exit_code").as_int64() == kHealthy);  // down but drained: the operator knows

  const auto bad = report_with({server("c", wire::SERVER_HEALTH_DOWN, wire::SERVER_ADMIN_READY)});
  view = build_servers_view({node("edge1", "MASTER", true, &bad)}, "", rates);
  BOOST_TEST(view.at("exit_code").as_int64() == kDegraded);
  view = build_servers_view({node("edge1", "MASTER", true, &bad)}, "other", rates);
  BOOST_TEST(view.at("servers").as_array().empty());
  BOOST_TEST(view.at("exit_code").as_int64() == kHealthy);
}

BOOST_AUTO_TEST_CASE(the_servers_view_without_a_report_is_an_error) {
  auto sample = node("edge1", "MASTER", true);
  sample.status->set_proxy_error("HTTP 503");
  RateMemory rates;
  const auto view = build_servers_view({sample}, "", rates);
  BOOST_TEST(view.at("exit_code").as_int64() == kUnreachable);
  BOOST_TEST(view.at("errors").as_array().at(0).as_string() == "edge1: no proxy status: HTTP 503");
}

BOOST_AUTO_TEST_CASE(totals_and_names) {
  const auto report = report_with({server("a", wire::SERVER_HEALTH_UP, wire::SERVER_ADMIN_READY)}, true);
  const auto t = proxy_totals(report);
  BOOST_TEST(t.requests == 123u);
  BOOST_TEST(t.servers_total == 1u);
  BOOST_TEST(t.stick_entries.value_or(0) == 5u);
  BOOST_TEST(!proxy_totals(wire::ProxyStatusReport{}).stick_entries.has_value());
  BOOST_TEST(admin_state_name(wire::SERVER_ADMIN_MAINTENANCE) == "MAINTENANCE");
  BOOST_TEST(health_name(wire::SERVER_HEALTH_UNSPECIFIED) == "");
  BOOST_TEST(mode_name(wire::LISTENER_MODE_TCP) == "TCP");
  BOOST_TEST(node_role_name(wire::NODE_ROLE_MASTER) == "MASTER");
  BOOST_TEST(node_role_name(wire::NODE_ROLE_FAULT) == "FAULT");
  BOOST_TEST(node_role_name(wire::NODE_ROLE_UNSPECIFIED) == "");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace tandem::control
