// Unit tests of the cluster-file loader and validator: good files load,
// every kind of mistake is reported with file:line:col and a clear message.
#include <boost/test/unit_test.hpp>

#include "config/defaults.h"
#include "config/loader.h"

using namespace tandem::config;

namespace {

const char* kGood = R"(
name: "t"
nodes { name: "a" address: "198.18.0.1" proxy_admin: "127.0.0.1:9100" }
nodes { name: "b" address: "198.18.0.2" }
listeners { name: "web" bind: "127.0.0.1:8080" mode: HTTP pool: "app" }
pools {
  name: "app"
  servers { name: "s1" address: "127.0.0.1:9001" weight: 3 }
  servers { name: "s2" address: "[::1]:9002" }
}
)";

// Loads TEXT and returns the formatted problems ("" when it is valid).
std::string problems_of(const std::string& text) {
  return format_problems(parse_cluster_text(text, "c.conf").problems);
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(config_loader)

BOOST_AUTO_TEST_CASE(good_file_loads) {
  auto result = parse_cluster_text(kGood, "c.conf");
  BOOST_TEST(result.problems.empty(), format_problems(result.problems));
  BOOST_REQUIRE(result.cluster);
  BOOST_TEST(result.cluster->pools(0).servers(0).weight() == 3u);
  BOOST_TEST(server_weight(result.cluster->pools(0).servers(1)) == 1u);
}

BOOST_AUTO_TEST_CASE(shipped_examples_are_valid) {
  for (const char* path : {"config/examples/loopback.conf", "config/examples/cluster.conf", "config/examples/active-active.conf",
                           "config/examples/bgp-ecmp.conf"}) {
    auto result = load_cluster_file(path);
    BOOST_TEST(result.problems.empty(), path << ": " << format_problems(result.problems));
  }
}

BOOST_AUTO_TEST_CASE(syntax_error_names_line_and_column) {
  const auto p = problems_of("name: \"t\"\nnodes {\n  nmae: \"a\"\n}\n");
  BOOST_TEST(contains(p, "c.conf:3:3: error:"), p);
  BOOST_TEST(contains(p, "nmae"), p);
}

BOOST_AUTO_TEST_CASE(unterminated_block_is_an_error) {
  const auto p = problems_of("name: \"t\"\nnodes {\n  name: \"a\"\n");
  BOOST_TEST(contains(p, "c.conf:4:"), p);
}

BOOST_AUTO_TEST_CASE(wrong_value_type_is_an_error) {
  const auto p = problems_of("name: \"t\"\nlisteners { name: \"x\" mode: FTP }\n");
  BOOST_TEST(contains(p, "c.conf:2:"), p);
  BOOST_TEST(contains(p, "FTP"), p);
}

BOOST_AUTO_TEST_CASE(unknown_pool_is_reported_at_its_position) {
  std::string text = kGood;
  text.replace(text.find("pool: \"app\""), 11, "pool: \"nope\"");
  const auto p = problems_of(text);
  BOOST_TEST(contains(p, "c.conf:5:59: error: listener 'web' points to unknown pool 'nope'"), p);
}

BOOST_AUTO_TEST_CASE(duplicate_names_are_reported) {
  std::string text = kGood;
  text.replace(text.find("name: \"s2\""), 10, "name: \"s1\"");
  text.replace(text.find("name: \"b\""), 9, "name: \"a\"");
  const auto p = problems_of(text);
  BOOST_TEST(contains(p, "duplicate server name 's1'"), p);
  BOOST_TEST(contains(p, "duplicate node name 'a'"), p);
}

BOOST_AUTO_TEST_CASE(bad_addresses_and_ports) {
  std::string text = kGood;
  text.replace(text.find("127.0.0.1:9001"), 14, "127.0.0.300:9001");
  text.replace(text.find("[::1]:9002"), 10, "[::1]:99999");
  text.replace(text.find("127.0.0.1:8080"), 14, "127.0.0.1");
  const auto p = problems_of(text);
  BOOST_TEST(contains(p, "'127.0.0.300' is not an IP address"), p);
  BOOST_TEST(contains(p, "'99999' is not a port"), p);
  BOOST_TEST(contains(p, "'127.0.0.1' has no port"), p);
}

BOOST_AUTO_TEST_CASE(dns_block_is_checked_where_it_is_written) {
  const std::string head = R"(
name: "t"
nodes { name: "a" address: "198.18.0.1" }
listeners { name: "web" bind: "127.0.0.1:8080" mode: HTTP pool: "app" }
)";
  // A pool with `dns` needs no servers of its own.
  BOOST_TEST(problems_of(head + R"(pools { name: "app" dns { name: "web.test" type: A port: 80 resolver: "127.0.0.1:53" } })") == "");
  BOOST_TEST(problems_of(head + R"(pools { name: "app" dns { name: "_http._tcp.web" type: SRV } })") == "");
  const auto no_port = problems_of(head + "pools { name: \"app\"\n  dns { name: \"web.test\" type: AAAA } }");
  BOOST_TEST(contains(no_port, "c.conf:6:3: error: pool 'app': dns A/AAAA needs `port`"), no_port);
  const auto srv_port = problems_of(head + "pools { name: \"app\" dns { type: SRV\n port: 80 } }");
  BOOST_TEST(contains(srv_port, "dns needs `name"), srv_port);
  BOOST_TEST(contains(srv_port, "c.conf:6:2: error: pool 'app': dns port is taken from the SRV records"), srv_port);
  const auto bad = problems_of(head + R"(pools { name: "app" dns { name: "w" port: 80 resolver: "localhost" min_ttl_ms: 50 max_ttl_ms: 10 } })");
  BOOST_TEST(contains(bad, "dns resolver:"), bad);
  BOOST_TEST(contains(bad, "min_ttl_ms must be at least 100"), bad);
  BOOST_TEST(contains(bad, "max_ttl_ms 10 is below min_ttl_ms 50"), bad);
  // Without dns a pool still needs servers.
  BOOST_TEST(contains(problems_of(head + R"(pools { name: "app" })"), "has no servers"));
}

BOOST_AUTO_TEST_CASE(etcd_block_is_checked_where_it_is_written) {
  const std::string head = R"(
name: "t"
nodes { name: "a" address: "198.18.0.1" }
listeners { name: "web" bind: "127.0.0.1:8080" mode: HTTP pool: "app" }
)";
  // A pool with `etcd` needs no servers of its own; endpoints may be names.
  BOOST_TEST(problems_of(head + R"(pools { name: "app" etcd { endpoints: "127.0.0.1:2379" endpoints: "etcd2.internal:2379" prefix: "/web/" } })") == "");
  const auto none = problems_of(head + "pools { name: \"app\"\n  etcd { timeout_ms: 1 } }");
  BOOST_TEST(contains(none, "c.conf:6:3: error: pool 'app': etcd needs `endpoints"), none);
  BOOST_TEST(contains(none, "etcd needs `prefix"), none);
  const auto bad = problems_of(head + "pools { name: \"app\" etcd { prefix: \"/p/\"\n endpoints: \"http://127.0.0.1:2379\" endpoints: \"h:0\"\n retry_min_ms: 5000 retry_max_ms: 100 } }");
  BOOST_TEST(contains(bad, "c.conf:6:2: error: pool 'app': etcd endpoint \"http://127.0.0.1:2379\" is not HOST:PORT"), bad);
  BOOST_TEST(contains(bad, "endpoint \"h:0\" is not HOST:PORT"), bad);
  BOOST_TEST(contains(bad, "c.conf:7:21: error: pool 'app': etcd retry_max_ms"), bad);
  BOOST_TEST(contains(bad, "retry_max_ms 100 is below retry_min_ms 5000"), bad);
  const auto both = problems_of(head + R"(pools { name: "app" dns { name: "w" port: 80 } etcd { endpoints: "e:1" prefix: "/p" } })");
  BOOST_TEST(contains(both, "has both `dns` and `etcd`"), both);
}

BOOST_AUTO_TEST_CASE(weight_out_of_range) {
  std::string text = kGood;
  text.replace(text.find("weight: 3"), 9, "weight: 0");
  auto p = problems_of(text);
  BOOST_TEST(contains(p, "c.conf:8:50: error: server 's1': weight 0 is out of range"), p);
  text.replace(text.find("weight: 0"), 9, "weight: 257");
  p = problems_of(text);
  BOOST_TEST(contains(p, "weight 257 is out of range"), p);
}

BOOST_AUTO_TEST_CASE(listener_without_pool_or_mode) {
  const auto p = problems_of(std::string(kGood) + "listeners { name: \"x\" bind: \"127.0.0.1:1\" }\n");
  BOOST_TEST(contains(p, "listener 'x' has no `mode`"), p);
  BOOST_TEST(contains(p, "listener 'x' has no `pool`"), p);
}

BOOST_AUTO_TEST_CASE(all_problems_are_listed_at_once) {
  const auto result = parse_cluster_text("listeners { name: \"x\" bind: \"nope\" mode: TCP pool: \"q\" }\n", "c.conf");
  BOOST_TEST(result.problems.size() >= 4u, format_problems(result.problems));
  BOOST_TEST(!result.cluster);
}

BOOST_AUTO_TEST_CASE(a_tls_pool_behind_a_tcp_listener_is_refused_and_behind_http_accepted) {
  std::string text = kGood;
  text.replace(text.find("name: \"app\""), 11, "name: \"app\" tls { ca_file: \"/etc/ca.pem\" server_name: \"a.test\" }");
  BOOST_TEST(problems_of(text).empty(), problems_of(text));
  text.replace(text.find("mode: HTTP"), 10, "mode: TCP");
  const auto p = problems_of(text);
  BOOST_TEST(contains(p, "is TCP but pool 'app' speaks TLS to its servers"), p);
}

BOOST_AUTO_TEST_CASE(cookie_stickiness_on_tcp_listener_is_refused) {
  std::string text = kGood;
  text.replace(text.find("mode: HTTP"), 10, "mode: TCP");
  text.replace(text.find("name: \"app\""), 11, "name: \"app\" stickiness { kind: INSERT_COOKIE cookie: \"S\" }");
  const auto p = problems_of(text);
  BOOST_TEST(contains(p, "is TCP but pool 'app' sticks by cookie"), p);
}

BOOST_AUTO_TEST_CASE(consistent_hash_needs_a_key) {
  std::string text = kGood;
  text.replace(text.find("name: \"app\""), 11, "name: \"app\" algorithm: CONSISTENT_HASH");
  BOOST_TEST(contains(problems_of(text), "CONSISTENT_HASH needs `hash_key"));
}

BOOST_AUTO_TEST_CASE(ha_instance_checks) {
  const std::string ha = R"(
ha {
  key_file: "/k"
  multicast_group: "198.18.0.9"
  instances { name: "v" id: 300 vips: "198.18.0.100/33" advert_interval_ms: 5
              priorities { node: "zz" priority: 255 } }
}
)";
  const auto p = problems_of(std::string(kGood) + ha);
  BOOST_TEST(contains(p, "is not a multicast address"), p);
  BOOST_TEST(contains(p, "id must be 1-255"), p);
  BOOST_TEST(contains(p, "is not a prefix length"), p);
  BOOST_TEST(contains(p, "advert_interval_ms must be 10-10000"), p);
  BOOST_TEST(contains(p, "unknown node 'zz'"), p);
  BOOST_TEST(contains(p, "priority must be 1-254"), p);
}

BOOST_AUTO_TEST_CASE(node_selection) {
  // The loader reads files; write a temporary one.
  const std::string path = "/tmp/tandem-loader-test.conf";
  FILE* f = std::fopen(path.c_str(), "w");
  std::fputs(kGood, f);
  std::fclose(f);
  BOOST_TEST(load_for_node(path, "a").cluster.has_value());
  const auto bad = load_for_node(path, "zz");
  BOOST_TEST(!bad.cluster);
  BOOST_TEST(contains(format_problems(bad.problems), "node 'zz' is not in this file (its nodes: a, b)"));
  std::remove(path.c_str());
}

BOOST_AUTO_TEST_CASE(missing_file) {
  const auto p = format_problems(load_cluster_file("/nonexistent/x.conf").problems);
  BOOST_TEST(contains(p, "/nonexistent/x.conf: error: cannot open configuration file"), p);
}

BOOST_AUTO_TEST_CASE(defaults_overlay) {
  auto result = parse_cluster_text(std::string(kGood) + "defaults { timeouts { connect_ms: 7 } }\n", "c.conf");
  BOOST_REQUIRE(result.cluster);
  auto listener = result.cluster->listeners(0);
  BOOST_TEST(effective_timeouts(*result.cluster, listener).connect.count() == 7);
  listener.mutable_timeouts()->set_connect_ms(9);
  BOOST_TEST(effective_timeouts(*result.cluster, listener).connect.count() == 9);
  BOOST_TEST(effective_timeouts(*result.cluster, listener).request_header.count() == 10000);
  BOOST_TEST(effective_timeouts(*result.cluster, listener).tunnel.count() == 3600000);
  listener.mutable_timeouts()->set_tunnel_ms(500);
  BOOST_TEST(effective_timeouts(*result.cluster, listener).tunnel.count() == 500);
}

BOOST_AUTO_TEST_CASE(accept_proxy_needs_good_trusted_sources) {
  std::string text = kGood;
  text.replace(text.find("pool: \"app\" }"), 13,
               "pool: \"app\"\n  accept_proxy { trusted_sources: \"198.18.0.0/24\" trusted_sources: \"10.0.0.0/33\" } }");
  const auto p = problems_of(text);
  BOOST_TEST(contains(p, "c.conf:6:"), p);
  BOOST_TEST(contains(p, "accept_proxy.trusted_sources: "), p);
  BOOST_TEST(contains(p, "33"), p);
  BOOST_TEST(!contains(p, "198.18.0.0/24"), p);
  std::string empty = kGood;
  empty.replace(empty.find("pool: \"app\" }"), 13, "pool: \"app\" accept_proxy { } }");
  BOOST_TEST(contains(problems_of(empty), "accept_proxy needs trusted_sources"), problems_of(empty));
}

BOOST_AUTO_TEST_SUITE_END()
