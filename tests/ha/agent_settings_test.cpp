// Tests for ha/agent/settings.h: the cluster file as the agent uses it.
#include <boost/test/unit_test.hpp>

#include "config/loader.h"
#include "ha/agent/settings.h"

namespace tandem::ha {
namespace {

const char* kConfig = R"(
name: "t"
nodes { name: "edge1" address: "198.18.0.11" interface: "eth0" }
nodes { name: "edge2" address: "198.18.0.12" interface: "eth0" }
nodes { name: "edge3" address: "198.18.0.13" interface: "eth0" }
listeners { name: "www" bind: "0.0.0.0:80" mode: HTTP pool: "web" }
pools { name: "web" servers { name: "w1" address: "198.18.0.101:8000" } }
ha {
  key_file: "/k"
  proxy { weight: 50 }
  track_scripts { name: "disk" command: "true" weight: 20 }
  instances { name: "www" id: 51 vips: "198.18.0.100/24" preempt: false
    priorities { node: "edge1" priority: 200 } priorities { node: "edge2" priority: 150 } }
  instances { name: "db" id: 52 vips: "198.18.0.200/24" vips: "2001:db8::1/64" advert_interval_ms: 50
    priorities { node: "edge2" priority: 200 } priorities { node: "edge3" priority: 100 } }
}
)";

config::Cluster load() {
  auto r = config::parse_cluster_text(kConfig, "t.conf");
  BOOST_REQUIRE_MESSAGE(r.cluster.has_value(), config::format_problems(r.problems));
  return *r.cluster;
}

BOOST_AUTO_TEST_SUITE(agent_settings)

BOOST_AUTO_TEST_CASE(defaults) {
  const auto s = ha_settings(load());
  BOOST_TEST(s.multicast_group.to_string() == "224.0.0.18");
  BOOST_TEST(s.port == 5798);
  BOOST_TEST(s.garp_count == 5u);
  BOOST_TEST(s.garp_interval.count() == 100);
  BOOST_TEST(s.garp_refresh.count() == 10000);
  BOOST_TEST(s.notify_timeout.count() == 5000);
  BOOST_TEST(s.proxy_heartbeat.count() == 100);
  BOOST_TEST(s.proxy_dead_after.count() == 500);
  BOOST_TEST(s.proxy_weight == 50u);
  const auto ts = track_scripts(load());
  BOOST_REQUIRE(ts.size() == 1);
  BOOST_TEST(ts[0].interval.count() == 2000);
  BOOST_TEST(ts[0].rise == 2u);
  BOOST_TEST(ts[0].weight == 20u);
}

BOOST_AUTO_TEST_CASE(only_instances_listing_the_node) {
  const auto cluster = load();
  auto p1 = plan_instances(cluster, "edge1");
  BOOST_REQUIRE(p1.size() == 1);
  BOOST_TEST(p1[0].machine.instance_name == "www");
  BOOST_TEST(!p1[0].machine.preempt);
  BOOST_TEST(p1[0].machine.priority == 200);
  BOOST_REQUIRE(p1[0].machine.peers.size() == 1);
  BOOST_TEST(p1[0].machine.peers[0].name == "edge2");
  BOOST_TEST(p1[0].machine.cluster_size == 3u);
  auto p2 = plan_instances(cluster, "edge2");
  BOOST_TEST(p2.size() == 2u);
  auto p3 = plan_instances(cluster, "edge3");
  BOOST_REQUIRE(p3.size() == 1);
  BOOST_TEST(p3[0].machine.advert_interval.count() == 50);
  BOOST_TEST(p3[0].vips.size() == 2u);
  BOOST_TEST(p3[0].vips[1].address.is_v6());
  BOOST_CHECK_THROW(plan_instances(cluster, "nobody"), std::invalid_argument);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace tandem::ha
