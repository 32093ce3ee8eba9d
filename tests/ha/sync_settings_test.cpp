// ha/sync/sync_settings.h: what stick sync takes from the cluster file.
#include <boost/test/unit_test.hpp>

#include "config/loader.h"
#include "ha/sync/sync_settings.h"

namespace tandem::ha {
namespace {

const char* kConfig = R"(
name: "t"
nodes { name: "edge1" address: "198.18.0.11" interface: "eth0" }
nodes { name: "edge2" address: "198.18.0.12" interface: "eth0" }
listeners { name: "www" bind: "0.0.0.0:80" mode: HTTP pool: "web" }
listeners { name: "api" bind: "0.0.0.0:81" mode: HTTP pool: "api" }
listeners { name: "app" bind: "0.0.0.0:82" mode: HTTP pool: "app" }
pools { name: "web" servers { name: "w1" address: "198.18.0.101:8000" }
  stickiness { kind: SOURCE_IP ttl_ms: 60000 max_entries: 10 } }
pools { name: "api" servers { name: "a1" address: "198.18.0.102:8000" } }
pools { name: "app" servers { name: "p1" address: "198.18.0.103:8000" }
  stickiness { kind: INSERT_COOKIE cookie: "SRV" } }
ha { key_file: "/k" instances { name: "www" id: 51 vips: "198.18.0.100/24"
  priorities { node: "edge1" priority: 200 } priorities { node: "edge2" priority: 150 } } }
sync { batch_size: 100000 }
)";

config::Cluster load() {
  auto r = config::parse_cluster_text(kConfig, "t.conf");
  BOOST_REQUIRE_MESSAGE(r.cluster.has_value(), config::format_problems(r.problems));
  return *r.cluster;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(sync_settings)

BOOST_AUTO_TEST_CASE(defaults_peers_and_only_the_pools_with_a_table) {
  const auto s = stick_sync_settings(load(), "edge1", "key");
  BOOST_TEST(s.address.to_string() == "198.18.0.11");
  BOOST_TEST(s.port == 5800);
  BOOST_TEST(s.flush.count() == 50);
  BOOST_TEST(s.batch == 4096u);  // clamped
  BOOST_TEST(s.queue_limit == 65536u);
  BOOST_REQUIRE(s.peers.size() == 1u);
  BOOST_TEST(s.peers[0].first == "edge2");
  BOOST_TEST(s.peers[0].second.to_string() == "198.18.0.12");
  BOOST_REQUIRE(s.pools.size() == 1u);  // an inserted cookie needs no table
  BOOST_TEST(s.pools.at("web").ttl.count() == 60000);
  BOOST_TEST(s.pools.at("web").max_entries == 10u);
}

BOOST_AUTO_TEST_CASE(an_unknown_node_is_an_error) {
  BOOST_CHECK_THROW(stick_sync_settings(load(), "edge9", "key"), std::invalid_argument);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace tandem::ha
