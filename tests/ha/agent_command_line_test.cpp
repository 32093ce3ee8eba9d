// ha-agent's command line: modes, the options that go with them, and every
// bad value as a message (main exits 2).
#include <boost/test/unit_test.hpp>

#include "ha/agent/command_line.h"

using namespace tandem::ha;
using Mode = AgentCommandLine::Mode;

namespace {

const std::vector<std::string> kBase = {"--config", "c.conf", "--node", "edge1"};

std::optional<AgentCommandLine> parse_with(std::vector<std::string> more, std::string& error) {
  auto args = kBase;
  args.insert(args.end(), more.begin(), more.end());
  return parse_agent_command_line(args, error);
}

std::string error_with(std::vector<std::string> more) {
  std::string error;
  BOOST_TEST(!parse_with(std::move(more), error).has_value());
  return error;
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(ha_agent_command_line)

BOOST_AUTO_TEST_CASE(each_mode_parses) {
  std::string error;
  auto c = parse_with({}, error);
  BOOST_REQUIRE_MESSAGE(c, error);
  BOOST_TEST((c->mode == Mode::run));
  BOOST_TEST(c->config_path == "c.conf");
  BOOST_TEST(c->node == "edge1");
  BOOST_TEST(c->log_level == "info");
  BOOST_TEST((parse_with({"--check-config"}, error)->mode == Mode::check_config));
  BOOST_TEST((parse_with({"--release-vips"}, error)->mode == Mode::release_vips));
  c = parse_with({"--status", "--json"}, error);
  BOOST_REQUIRE_MESSAGE(c, error);
  BOOST_TEST((c->mode == Mode::status));
  BOOST_TEST(c->json);
  c = parse_with({"--switchover", "--to", "edge2", "--instance", "www", "--log-level", "warn"}, error);
  BOOST_REQUIRE_MESSAGE(c, error);
  BOOST_TEST((c->mode == Mode::switchover));
  BOOST_TEST(c->to == "edge2");
  BOOST_TEST(c->instance == "www");
  BOOST_TEST(c->log_level == "warn");
  c = parse_agent_command_line({"-h"}, error);
  BOOST_REQUIRE(c);
  BOOST_TEST((c->mode == Mode::help));
  for (const char* option : {"--config FILE", "--check-config", "--release-vips", "--status", "--switchover",
                             "--to NODE", "--instance NAME"})
    BOOST_TEST(contains(agent_usage(), option), option);
}

BOOST_AUTO_TEST_CASE(bad_command_lines_are_messages) {
  BOOST_TEST(contains(error_with({"--status", "--switchover"}), "exclude each other"));
  BOOST_TEST(contains(error_with({"--check-config", "--release-vips"}), "exclude each other"));
  BOOST_TEST(contains(error_with({"--json"}), "--json goes with --status"));
  BOOST_TEST(contains(error_with({"--status", "--to", "edge2"}), "--to and --instance go with --switchover"));
  BOOST_TEST(contains(error_with({"--to"}), "--to"));
  BOOST_TEST(contains(error_with({"--sw"}), "--sw"));  // no abbreviations
  BOOST_TEST(contains(error_with({"--node", "edge2"}), "--node"));  // given twice
  std::string error;
  BOOST_TEST(!parse_agent_command_line({"--release-vips"}, error));
  BOOST_TEST(contains(error, "--config and --node are required"));
}

BOOST_AUTO_TEST_SUITE_END()
