// Tests for ha/track/serving.h: which listeners carry an instance's VIPs,
// and whether the proxy's heartbeat says they can be served.
#include <boost/test/unit_test.hpp>

#include "config/loader.h"
#include "ha/track/proxy_tracker.h"
#include "ha/track/serving.h"

namespace tandem::ha {
namespace {

const char* kConfig = R"(
name: "t"
nodes { name: "edge1" address: "198.18.0.11" interface: "eth0" bind_overrides: "admin=198.18.0.100:8443" }
nodes { name: "edge2" address: "198.18.0.12" interface: "eth0" }
listeners { name: "www" bind: "0.0.0.0:80" mode: HTTP pool: "web" }
listeners { name: "api" bind: "198.18.0.100:81" mode: HTTP pool: "api" }
listeners { name: "db" bind: "198.18.0.200:5432" mode: TCP pool: "db" }
listeners { name: "v6" bind: "[::]:80" mode: HTTP pool: "web" }
listeners { name: "admin" bind: "127.0.0.1:8443" mode: HTTP pool: "web" }
pools { name: "web" servers { name: "w1" address: "198.18.0.101:8000" } }
pools { name: "api" servers { name: "a1" address: "198.18.0.102:8000" } }
pools { name: "db" servers { name: "d1" address: "198.18.0.103:5432" } }
ha {
  key_file: "/k"
  instances { name: "www" id: 51 vips: "198.18.0.100/24"
    priorities { node: "edge1" priority: 200 } priorities { node: "edge2" priority: 150 } }
}
)";

config::Cluster load() {
  auto r = config::parse_cluster_text(kConfig, "t.conf");
  BOOST_REQUIRE_MESSAGE(r.cluster.has_value(), config::format_problems(r.problems));
  return *r.cluster;
}

std::vector<Prefix> vips(std::initializer_list<const char*> texts) {
  std::vector<Prefix> out;
  for (const char* t : texts) {
    std::string error;
    out.push_back(*parse_prefix(t, error));
  }
  return out;
}

wire::ProxyHeartbeat heartbeat(std::initializer_list<std::tuple<const char*, unsigned, unsigned>> rows) {
  wire::ProxyHeartbeat hb;
  hb.set_serving(true);
  for (const auto& [name, usable, total] : rows) {
    auto* l = hb.add_listeners();
    l->set_listener(name);
    l->set_pool("web");
    l->set_usable_servers(usable);
    l->set_servers_total(total);
  }
  return hb;
}

BOOST_AUTO_TEST_SUITE(agent_serving)

BOOST_AUTO_TEST_CASE(listeners_on_a_vip_or_a_wildcard_of_its_family) {
  const auto cluster = load();
  const auto& edge1 = cluster.nodes(0);
  const auto& edge2 = cluster.nodes(1);
  BOOST_TEST(listeners_for_vips(cluster, edge2, vips({"198.18.0.100/24"})) ==
             (std::vector<std::string>{"www", "api"}));
  // edge1 binds "admin" on the VIP (bind_overrides).
  BOOST_TEST(listeners_for_vips(cluster, edge1, vips({"198.18.0.100/24"})) ==
             (std::vector<std::string>{"www", "api", "admin"}));
  BOOST_TEST(listeners_for_vips(cluster, edge2, vips({"198.18.0.200/24"})) ==
             (std::vector<std::string>{"www", "db"}));
  BOOST_TEST(listeners_for_vips(cluster, edge2, vips({"2001:db8::1/64"})) == (std::vector<std::string>{"v6"}));
  BOOST_TEST(listeners_for_vips(cluster, edge2, vips({"198.18.0.50/24"})) == (std::vector<std::string>{"www"}));
}

BOOST_AUTO_TEST_CASE(every_listener_needs_a_usable_server) {
  const std::vector<std::string> listeners{"www", "api"};
  auto ok = instance_serving(listeners, heartbeat({{"www", 1, 3}, {"api", 2, 2}, {"db", 0, 1}}), true, "");
  BOOST_TEST(ok.can_serve);
  BOOST_TEST(ok.why == "");
  auto one_empty = instance_serving(listeners, heartbeat({{"www", 0, 3}, {"api", 2, 2}}), true, "");
  BOOST_TEST(!one_empty.can_serve);
  BOOST_TEST(one_empty.why == "listener www: no usable server in pool web (0 of 3)");
  auto missing = instance_serving(listeners, heartbeat({{"www", 1, 3}}), true, "");
  BOOST_TEST(!missing.can_serve);
  BOOST_TEST(missing.why == "listener api is not open in lb-proxy");
}

BOOST_AUTO_TEST_CASE(no_heartbeat_or_a_dead_proxy_cannot_serve) {
  const std::vector<std::string> listeners{"www"};
  auto none = instance_serving(listeners, std::nullopt, true, "");
  BOOST_TEST(!none.can_serve);
  BOOST_TEST(none.why == "no heartbeat from lb-proxy yet");
  auto dead = instance_serving(listeners, heartbeat({{"www", 1, 1}}), false, "no heartbeat for 612 ms");
  BOOST_TEST(!dead.can_serve);
  BOOST_TEST(dead.why == "lb-proxy: no heartbeat for 612 ms");
  // An instance no listener carries has nothing to judge.
  BOOST_TEST(instance_serving({}, std::nullopt, true, "").can_serve);
}

BOOST_AUTO_TEST_CASE(the_last_report_is_kept_until_the_proxy_reconnects) {
  using namespace std::chrono_literals;
  const TimePoint t0 = TimePoint{} + 1000h;
  ProxyLiveness l(500ms, t0);
  BOOST_TEST(!l.last_report().has_value());
  l.connected(t0);
  l.report(heartbeat({{"www", 1, 1}}), t0 + 10ms);
  BOOST_TEST(l.alive(t0 + 20ms));
  BOOST_REQUIRE(l.last_report().has_value());
  BOOST_TEST(l.last_report()->listeners(0).usable_servers() == 1u);
  BOOST_TEST(instance_serving({"www"}, l.last_report(), l.alive(t0 + 20ms), "").can_serve);
  // A new connection is a new proxy: nothing is known of it yet.
  l.disconnected(t0 + 30ms);
  BOOST_TEST(!l.last_report().has_value());
  l.connected(t0 + 40ms);
  BOOST_TEST(!l.last_report().has_value());
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace tandem::ha
