// lbctl's command line (docs/lbctl.md): options before or after the command,
// per-command checks, and every bad value as a message (main exits 2).
#include <boost/test/unit_test.hpp>

#include "ctl/commands.h"
#include "ctl/options.h"

using namespace tandem::ctl;
using namespace std::chrono_literals;

namespace {

std::optional<Options> parse(const std::vector<std::string>& args, std::string& error, const char* env = nullptr) {
  return parse_options(args, env, error);
}

std::string error_of(std::vector<std::string> args) {
  std::string error;
  BOOST_TEST(!parse(args, error).has_value());
  return error;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(ctl_options)

BOOST_AUTO_TEST_CASE(global_options_go_before_or_after_the_command) {
  std::string error;
  auto o = parse({"--config", "c.conf", "status", "--json", "--timeout", "500ms", "--interval", "0"}, error);
  BOOST_REQUIRE_MESSAGE(o, error);
  BOOST_TEST(o->config == "c.conf");
  BOOST_TEST(o->command == "status");
  BOOST_TEST(o->json);
  BOOST_TEST(o->timeout.count() == 500);
  BOOST_TEST(o->interval->count() == 0);
  o = parse({"failover", "--to", "edge3", "--no-probe", "--wait", "2s", "--instance", "www", "--key", "k",
             "--no-color"},
            error);
  BOOST_REQUIRE_MESSAGE(o, error);
  BOOST_TEST(o->to == "edge3");
  BOOST_TEST(!o->probe);
  BOOST_TEST(o->wait.count() == 2000);
  BOOST_TEST(o->instance == "www");
  BOOST_TEST(o->key == "k");
  BOOST_TEST((o->color == ColorMode::never));
  BOOST_TEST(o->config == kDefaultConfig);
  o = parse({"stick", "get", "abc", "web"}, error, "/env.conf");
  BOOST_REQUIRE_MESSAGE(o, error);
  BOOST_TEST(o->config == "/env.conf");
  BOOST_TEST((o->args == std::vector<std::string>{"get", "abc", "web"}));
  o = parse({"drain", "web/s1"}, error);
  BOOST_REQUIRE_MESSAGE(o, error);
  BOOST_TEST(o->args.at(0) == "web/s1");
  o = parse({"watch", "--count", "2", "--interval", "1.5s", "--color", "always"}, error);
  BOOST_REQUIRE_MESSAGE(o, error);
  BOOST_TEST(*o->count == 2);
  BOOST_TEST(o->interval->count() == 1500);
  BOOST_TEST((o->color == ColorMode::always));
  o = parse({"events", "--limit", "7"}, error);
  BOOST_REQUIRE_MESSAGE(o, error);
  BOOST_TEST(o->limit == 7);
}

BOOST_AUTO_TEST_CASE(help_in_each_form) {
  std::string error;
  for (const auto& args : std::vector<std::vector<std::string>>{{"--help"}, {"-h"}, {"help"}}) {
    auto o = parse(args, error);
    BOOST_REQUIRE(o);
    BOOST_TEST(o->help);
    BOOST_TEST(o->command.empty());
  }
  for (const auto& args : std::vector<std::vector<std::string>>{{"status", "--help"}, {"help", "status"}}) {
    auto o = parse(args, error);
    BOOST_REQUIRE(o);
    BOOST_TEST(o->help);
    BOOST_TEST(o->command == "status");
  }
}

BOOST_AUTO_TEST_CASE(bad_values_are_messages) {
  BOOST_TEST(error_of({"status", "--timeout", "abc"}) == "--timeout: 'abc' is not a duration (e.g. 500ms, 1s)");
  BOOST_TEST(error_of({"status", "--timeout", "5ms"}) == "--timeout: at least 10ms");
  BOOST_TEST(error_of({"watch", "--count", "0"}) == "--count: a positive number");
  BOOST_TEST(error_of({"events", "--limit", "x"}) == "--limit: a positive number");
  BOOST_TEST(error_of({"status", "--color", "pink"}) == "--color: auto, always or never");
  BOOST_TEST(error_of({"status", "--timeout"}).find("--timeout") != std::string::npos);
  BOOST_TEST(error_of({"status", "--bogus"}).find("--bogus") != std::string::npos);
  BOOST_TEST(error_of({"frobnicate"}) == "unknown command 'frobnicate'");
  BOOST_TEST(error_of({}) == "no command");
  BOOST_TEST(error_of({"status", "extra"}) == "status: takes no argument ('extra')");
  BOOST_TEST(error_of({"drain"}) == "drain: takes one SERVER (POOL/SERVER, or SERVER --pool POOL) or one NODE");
  BOOST_TEST(error_of({"drain", "edge1", "edge2"}) ==
             "drain: takes one SERVER (POOL/SERVER, or SERVER --pool POOL) or one NODE");
  BOOST_TEST(error_of({"enable"}) == "enable: takes one SERVER");
  BOOST_TEST(error_of({"stick", "get"}) == "stick: list [POOL], get KEY [POOL] or count [POOL]");
  BOOST_TEST(error_of({"watch", "--interval", "100ms"}) == "watch: --interval is at least 500ms");
  BOOST_TEST(error_of({"status", "--count", "2"}) == "status: --count goes with watch");
  BOOST_TEST(error_of({"status", "--to", "edge2"}) == "status: --to, --instance, --probe and --no-probe go with failover");
  BOOST_TEST(error_of({"status", "--pool", "web"}) == "status: --pool goes with drain, disable and enable");
  BOOST_TEST(error_of({"status", "--node", "edge1"}) == "status: --node goes with stick list");
}

// drain NODE / undrain NODE (ha.announce): the words as parsed; which of a
// node or a server `drain X` names is decided against the cluster file
// (names_node, below).
BOOST_AUTO_TEST_CASE(undrain_takes_one_node_and_no_pool) {
  std::string error;
  auto o = parse({"undrain", "edge2"}, error);
  BOOST_REQUIRE_MESSAGE(o, error);
  BOOST_TEST(o->command == "undrain");
  BOOST_TEST((o->args == std::vector<std::string>{"edge2"}));
  o = parse({"drain", "edge2"}, error);
  BOOST_REQUIRE_MESSAGE(o, error);
  BOOST_TEST(o->pool.empty());
  BOOST_TEST(error_of({"undrain"}) == "undrain: takes one NODE");
  BOOST_TEST(error_of({"undrain", "edge1", "edge2"}) == "undrain: takes one NODE");
  BOOST_TEST(error_of({"undrain", "edge1", "--pool", "web"}) == "undrain: --pool goes with drain, disable and enable");
}

BOOST_AUTO_TEST_CASE(drain_names_a_node_only_when_the_cluster_file_has_it) {
  tandem::config::Cluster cluster;
  cluster.add_nodes()->set_name("edge1");
  cluster.add_nodes()->set_name("edge2");
  BOOST_TEST(names_node(cluster, "edge2"));
  BOOST_TEST(!names_node(cluster, "web/s1"));
  BOOST_TEST(!names_node(cluster, "edge3"));
  BOOST_TEST(!names_node(cluster, ""));
}

BOOST_AUTO_TEST_SUITE_END()
