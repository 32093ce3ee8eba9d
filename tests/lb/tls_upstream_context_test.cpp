// Unit tests for lb/tls/upstream_context's loading: every unusable file is
// a problem naming the pool, the file and the reason; nothing is kept when
// one pool fails; verify: false loads with a warning.
#include "lb/tls/upstream_context.h"

#include <boost/test/unit_test.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>

using namespace tandem::lb::tls;
using tandem::config::Cluster;

namespace {

std::string temp_file(const std::string& name, const std::string& text) {
  const auto path = std::filesystem::temp_directory_path() / ("tandem-upstream-tls-" + name);
  std::ofstream(path) << text;
  return path.string();
}

std::string all_problems(const UpstreamTlsLoad& load) {
  std::string out;
  for (const auto& p : load.problems) out += p.where + ": " + p.message + "\n";
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(tls_upstream_context)

BOOST_AUTO_TEST_CASE(a_missing_or_junk_ca_file_and_a_key_without_certificate_are_problems) {
  Cluster c;
  auto* a = c.add_pools();
  a->set_name("a");
  a->mutable_tls()->set_ca_file("/nonexistent/ca.pem");
  auto* b = c.add_pools();
  b->set_name("b");
  b->mutable_tls()->set_ca_file(temp_file("junk.pem", "not a certificate\n"));
  auto* k = c.add_pools();
  k->set_name("k");
  k->mutable_tls()->set_verify(false);
  k->mutable_tls()->set_key_file("/etc/tandem/client.key");
  auto* plain = c.add_pools();
  plain->set_name("plain");
  const auto load = load_upstream_tls(c, "cluster.conf", nullptr);
  const auto text = all_problems(load);
  BOOST_TEST(load.problems.size() == 3u, text);
  BOOST_TEST(text.find("pool 'a' tls: /nonexistent/ca.pem: cannot read it (No such file") != std::string::npos, text);
  BOOST_TEST(text.find("pool 'b' tls: ") != std::string::npos, text);
  BOOST_TEST(text.find("holds no PEM certificate") != std::string::npos, text);
  BOOST_TEST(text.find("pool 'k' tls: `key_file` without `cert_file`") != std::string::npos, text);
  BOOST_TEST(load.by_pool.empty());  // all or nothing
}

BOOST_AUTO_TEST_CASE(the_system_store_loads_and_verify_false_warns) {
  Cluster c;
  auto* a = c.add_pools();
  a->set_name("a");
  a->mutable_tls()->set_server_name("api.internal");  // verified against the system's store
  auto* n = c.add_pools();
  n->set_name("n");
  n->mutable_tls()->set_verify(false);
  const auto load = load_upstream_tls(c, "cluster.conf", nullptr);
  BOOST_TEST(load.problems.empty(), all_problems(load));
  BOOST_REQUIRE(load.by_pool.count("a"));
  BOOST_TEST(load.by_pool.at("a")->policy().verify);
  BOOST_TEST(load.by_pool.at("a")->summary().find("name=api.internal") != std::string::npos);
  BOOST_TEST(load.by_pool.at("a")->sessions() == 0u);
  BOOST_REQUIRE_EQUAL(load.warnings.size(), 1u);
  BOOST_TEST(load.warnings[0].find("pool 'n'") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
