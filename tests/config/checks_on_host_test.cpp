// The checks --check-config adds beyond the pure validator: unix socket paths
// that cannot be bound, VIPs on no node's subnet (both in the validator, with
// positions) and what only the node can tell (config/host_checks.h), with a
// fake host.
#include <boost/test/unit_test.hpp>

#include <map>
#include <set>

#include "config/host_checks.h"
#include "config/loader.h"

using namespace tandem::config;

namespace {

// Two nodes on 198.18.0.0/24 and one instance with VIP; line numbers matter.
std::string cluster_text(const std::string& vip, const std::string& socket = "/run/tandem/local.sock") {
  return "name: \"t\"\n"                                                            // 1
         "nodes { name: \"a\" address: \"198.18.0.1\" interface: \"eth9\"\n"        // 2
         "        local_channel: \"" + socket + "\" }\n"                            // 3
         "nodes { name: \"b\" address: \"198.18.0.2\" interface: \"eth9\" }\n"      // 4
         "ha {\n"                                                                    // 5
         "  key_file: \"/etc/tandem/cluster.key\"\n"                                // 6
         "  instances { name: \"www\" id: 1\n"                                      // 7
         "    vips: \"" + vip + "\"\n"                                              // 8
         "    priorities { node: \"a\" priority: 200 } priorities { node: \"b\" priority: 100 } }\n"
         "}\n";
}

std::string problems_of(const std::string& text) {
  return format_problems(parse_cluster_text(text, "c.conf").problems);
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

class FakeHost : public Host {
 public:
  std::set<std::string> interfaces;
  std::map<std::string, std::string> key_problems;  // path -> problem
  bool interface_exists(const std::string& name) const override { return interfaces.count(name) > 0; }
  std::optional<std::string> key_file_problem(const std::string& path) const override {
    auto it = key_problems.find(path);
    if (it == key_problems.end()) return std::nullopt;
    return it->second;
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(config_checks_on_host)

BOOST_AUTO_TEST_CASE(a_vip_on_the_nodes_subnet_is_valid) {
  BOOST_TEST(problems_of(cluster_text("198.18.0.100/24")) == "");
  // A host VIP names no subnet (a router may route it to the nodes).
  BOOST_TEST(problems_of(cluster_text("203.0.113.7/32")) == "");
  BOOST_TEST(problems_of(cluster_text("203.0.113.7")) == "");
}

BOOST_AUTO_TEST_CASE(a_vip_outside_every_nodes_subnet_is_refused_at_its_line) {
  const auto p = problems_of(cluster_text("10.9.0.100/24"));
  BOOST_TEST(contains(p, "c.conf:8:5: error: instance 'www': vip 10.9.0.100/24 is outside the subnet of every "
                         "node that runs it (a 198.18.0.1, b 198.18.0.2)"),
             p);
  // One bit too narrow: 198.18.0.128/25 holds neither .1 nor .2.
  BOOST_TEST(contains(problems_of(cluster_text("198.18.0.200/25")), "is outside the subnet"));
  BOOST_TEST(problems_of(cluster_text("198.18.0.100/25")) == "");
  // Dual stack: an IPv6 VIP beside IPv4 node addresses names a subnet the file
  // says nothing of for the nodes, so it is not compared.
  BOOST_TEST(problems_of(cluster_text("2001:db8::1/64")) == "");
}

BOOST_AUTO_TEST_CASE(a_unix_socket_path_longer_than_sun_path_is_refused_at_its_line) {
  const std::string fits = "/" + std::string(106, 'x');  // 107 bytes + NUL = sizeof(sun_path)
  BOOST_TEST(problems_of(cluster_text("198.18.0.100/24", fits)) == "");
  const auto p = problems_of(cluster_text("198.18.0.100/24", fits + "y"));
  BOOST_TEST(contains(p, "c.conf:3:9: error: local_channel: the path is 108 bytes; a unix socket path holds at "
                         "most 107 (sun_path)"),
             p);
  const std::string control = cluster_text("198.18.0.100/24");
  std::string text = control;
  text.replace(text.find("interface: \"eth9\" }"), 19,
               "interface: \"eth9\" control_socket: \"/" + std::string(200, 'c') + "\" }");
  BOOST_TEST(contains(problems_of(text), "c.conf:4:"));
  BOOST_TEST(contains(problems_of(text), "control_socket: the path is 201 bytes"));
}

BOOST_AUTO_TEST_CASE(the_host_checks_name_the_key_file_and_the_interface_at_their_lines) {
  const auto loaded = parse_cluster_text(cluster_text("198.18.0.100/24"), "c.conf");
  BOOST_REQUIRE(loaded.cluster);
  FakeHost host;
  host.interfaces = {"eth9"};
  BOOST_TEST(check_host(loaded, "a", host, {}).empty());

  host.key_problems["/etc/tandem/cluster.key"] = "key file /etc/tandem/cluster.key holds 5 bytes";
  host.interfaces.clear();
  const auto p = format_problems(check_host(loaded, "a", host, {}));
  BOOST_TEST(contains(p, "c.conf:6:3: error: ha: key_file: key file /etc/tandem/cluster.key holds 5 bytes"), p);
  BOOST_TEST(contains(p, "c.conf:2:41: error: node 'a': interface 'eth9' does not exist on this host"), p);

  // The proxy asks only for the key; a node is checked for its own interface only.
  BOOST_TEST(check_host(loaded, "a", host, HostChecks{.interface = false}).size() == 1u);
  host.key_problems.clear();
  BOOST_TEST(check_host(loaded, "a", host, HostChecks{.key_file = false, .interface = true}).size() == 1u);
  host.interfaces = {"eth9"};
  BOOST_TEST(check_host(loaded, "b", host, {}).empty());
}

BOOST_AUTO_TEST_SUITE_END()
