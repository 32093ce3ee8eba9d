// Where DNS answers meet the configuration (lb/discovery/discovered_cluster):
// settings from a `dns` block, and the cluster the proxy runs once pools
// have discovered servers.
#include <boost/test/unit_test.hpp>

#include "lb/discovery/discovered_cluster.h"

namespace tandem::lb {
namespace {

using namespace std::chrono_literals;

config::Cluster two_pools() {
  config::Cluster c;
  auto* web = c.add_pools();
  web->set_name("web");
  web->mutable_dns()->set_name("web.test");
  auto* seed = web->add_servers();
  seed->set_name("seed");
  seed->set_address("127.0.0.1:1");
  auto* api = c.add_pools();
  api->set_name("api");
  auto* s = api->add_servers();
  s->set_name("a1");
  s->set_address("127.0.0.1:2");
  return c;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(discovery_discovered_cluster)

BOOST_AUTO_TEST_CASE(settings_fill_defaults_and_retry_from_min_ttl) {
  config::PoolDns dns;
  dns.set_port(8080);
  auto s = dns_settings(dns);
  BOOST_TEST(s.port == 8080);
  BOOST_TEST(s.min_ttl.count() == 1000);
  BOOST_TEST(s.max_ttl.count() == 300000);
  BOOST_TEST(s.retry_base.count() == 1000);
  BOOST_TEST(s.retry_max.count() == 30000);
  BOOST_TEST(dns_timeout(dns).count() == 2000);
  dns.set_type(config::PoolDns::SRV);
  dns.set_min_ttl_ms(300);
  dns.set_max_ttl_ms(1000);
  s = dns_settings(dns);
  BOOST_TEST(s.port == 0);  // SRV: ports from the records
  BOOST_TEST(s.retry_max.count() == 1000);  // never retry later than max_ttl
}

BOOST_AUTO_TEST_CASE(discovered_set_replaces_only_its_pool) {
  const auto c = two_pools();
  DiscoveredSets sets;
  BOOST_TEST(with_discovered(c, sets).pools(0).servers(0).name() == "seed");  // none yet: the file's
  sets["web"] = {discovered_server("10.0.0.2", 80, 3), discovered_server("10.0.0.1", 80, 1)};
  sets["api"] = {discovered_server("10.0.0.9", 80, 1)};  // no dns block: ignored
  const auto out = with_discovered(c, sets);
  BOOST_REQUIRE(out.pools(0).servers_size() == 2);
  BOOST_TEST(out.pools(0).servers(0).name() == "10.0.0.2:80");
  BOOST_TEST(out.pools(0).servers(0).address() == "10.0.0.2:80");
  BOOST_TEST(out.pools(0).servers(0).weight() == 3u);
  BOOST_TEST(out.pools(1).servers(0).name() == "a1");
  sets["web"].clear();  // an empty set never empties a pool
  BOOST_TEST(with_discovered(c, sets).pools(0).servers(0).name() == "seed");
}

BOOST_AUTO_TEST_CASE(reload_forgets_pools_without_dns) {
  auto c = two_pools();
  DiscoveredSets sets{{"web", {discovered_server("10.0.0.1", 80, 1)}}, {"gone", {}}, {"api", {}}};
  forget_undiscovered(sets, c);
  BOOST_TEST(sets.size() == 1u);
  BOOST_TEST(sets.count("web") == 1u);
  c.mutable_pools(0)->clear_dns();
  forget_undiscovered(sets, c);
  BOOST_TEST(sets.empty());
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace tandem::lb
