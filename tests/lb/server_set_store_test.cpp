// The proxy's server sets (lb/server_set/server_set_store) as peers see
// them: what it offers (every pool that takes runtime changes, with the
// digest of its file servers) and what it takes from them (entries for the
// same file servers only, persisted before they apply).
#include <boost/test/unit_test.hpp>

#include <cstdio>
#include <filesystem>
#include <string>

#include "config/loader.h"
#include "config/server_set/overlay_file.h"
#include "config/server_set/server_set.h"
#include "lb/server_set/server_set_store.h"

namespace tandem::lb {
namespace {

constexpr std::string_view kCluster = R"(
name: "test"
nodes { name: "edge1" address: "127.0.0.1" proxy_admin: "127.0.0.1:9100" }
listeners { name: "web" bind: "127.0.0.1:8080" mode: HTTP pool: "app" }
listeners { name: "names" bind: "127.0.0.1:8081" mode: HTTP pool: "dns" }
pools {
  name: "app"
  servers { name: "app1" address: "127.0.0.1:9001" }
  servers { name: "app2" address: "127.0.0.1:9002" }
}
pools {
  name: "dns"
  dns { name: "web.test" type: A port: 80 }
}
)";

struct Store {
  std::string path = (std::filesystem::temp_directory_path() / ("server_set_store_" + std::to_string(::getpid()))).string();
  ServerSetStore store;

  Store() : store(load(), wire::ServerOverlay{}, path) {}
  ~Store() { std::remove(path.c_str()); }

  static config::Cluster load() {
    const auto loaded = config::parse_cluster_text(kCluster, "test.conf");
    BOOST_REQUIRE(loaded.cluster);
    return *loaded.cluster;
  }
};

wire::PoolOverlay peers_entry(const std::string& base_digest) {
  wire::PoolOverlay p;
  p.set_pool("app");
  p.set_base_digest(base_digest);
  auto* e = p.add_entries();
  e->set_name("app3");
  e->set_address("127.0.0.1:9003");
  e->set_weight(2);
  e->set_revision(4);
  return p;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(server_set_store)

BOOST_AUTO_TEST_CASE(it_offers_every_pool_that_takes_changes_with_its_base) {
  Store s;
  const auto shared = s.store.shared_overlay();
  BOOST_TEST_REQUIRE(shared.pools_size() == 1);  // not the DNS pool
  BOOST_TEST(shared.pools(0).pool() == "app");
  BOOST_TEST(shared.pools(0).entries_size() == 0);
  BOOST_TEST(shared.pools(0).base_digest().size() == 16u);
  // The file's own overlay never carries the digest.
  BOOST_TEST(s.store.overlay().pools_size() == 0);
}

BOOST_AUTO_TEST_CASE(it_learns_entries_for_the_same_file_servers_and_persists_them) {
  Store s;
  const auto base = s.store.shared_overlay().pools(0).base_digest();
  const auto result = s.store.learn(peers_entry(base));
  BOOST_TEST(result.status == 200u);
  BOOST_TEST(result.changed);
  BOOST_TEST(result.diff.added == std::vector<std::string>{"app3"}, boost::test_tools::per_element());
  const auto saved = config::load_overlay(s.path);
  BOOST_TEST_REQUIRE(saved.overlay.has_value());
  BOOST_TEST(saved.overlay->pools(0).entries(0).name() == "app3");
  BOOST_TEST(saved.overlay->pools(0).base_digest().empty());
  // The same entries again change nothing.
  BOOST_TEST(!s.store.learn(peers_entry(base)).changed);
}

BOOST_AUTO_TEST_CASE(entries_for_other_file_servers_or_a_dns_pool_are_refused) {
  Store s;
  const auto other = s.store.learn(peers_entry("0123456789abcdef"));
  BOOST_TEST(other.status == 409u);
  BOOST_TEST(!other.changed);
  BOOST_TEST(other.body.find("other servers in the cluster file") != std::string::npos);
  auto dns = peers_entry("x");
  dns.set_pool("dns");
  BOOST_TEST(s.store.learn(dns).status == 409u);
  auto unknown = peers_entry("x");
  unknown.set_pool("nope");
  BOOST_TEST(s.store.learn(unknown).status == 404u);
  BOOST_TEST(s.store.overlay().pools_size() == 0);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace tandem::lb
