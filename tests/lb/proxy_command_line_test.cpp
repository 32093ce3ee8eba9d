// lb-proxy's command line: every bad value is a message (main exits 2), never
// an exception out of main (issue 10 §6: `--workers abc` aborted).
#include <boost/test/unit_test.hpp>

#include "lb/command_line.h"

using namespace tandem::lb;

namespace {

std::string error_of(const std::vector<std::string>& args) {
  std::string error;
  const auto parsed = parse_proxy_command_line(args, error);
  BOOST_TEST(!parsed.has_value());
  return error;
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(lb_proxy_command_line)

BOOST_AUTO_TEST_CASE(the_documented_options_parse) {
  std::string error;
  auto c = parse_proxy_command_line({"--config", "c.conf", "--node", "edge1", "--workers", "4", "--log-level",
                                     "debug", "--check-config"},
                                    error);
  BOOST_REQUIRE_MESSAGE(c, error);
  BOOST_TEST(c->options.config_path == "c.conf");
  BOOST_TEST(c->options.node == "edge1");
  BOOST_TEST(c->options.workers == 4u);
  BOOST_TEST(c->log_level == "debug");
  BOOST_TEST(c->check_only);
  c = parse_proxy_command_line({"--node=edge1", "--config=c.conf"}, error);
  BOOST_REQUIRE_MESSAGE(c, error);
  BOOST_TEST(c->options.workers == 0u);  // from the file
  BOOST_TEST(c->log_level == "info");
  BOOST_TEST(!c->check_only);
  BOOST_TEST(!c->help);
}

BOOST_AUTO_TEST_CASE(help_needs_nothing_else) {
  std::string error;
  for (const char* flag : {"--help", "-h"}) {
    auto c = parse_proxy_command_line({flag}, error);
    BOOST_REQUIRE(c);
    BOOST_TEST(c->help);
  }
  for (const char* option : {"--config FILE", "--node NAME", "--check-config", "--workers N", "--log-level L"})
    BOOST_TEST(contains(proxy_usage(), option), option);
}

BOOST_AUTO_TEST_CASE(bad_values_are_messages) {
  const std::vector<std::string> base = {"--config", "c.conf", "--node", "edge1"};
  auto with = [&](std::vector<std::string> more) {
    auto args = base;
    args.insert(args.end(), more.begin(), more.end());
    return args;
  };
  BOOST_TEST(contains(error_of(with({"--workers", "abc"})), "--workers: 'abc' is not a number"));
  BOOST_TEST(contains(error_of(with({"--workers", "-1"})), "--workers: '-1'"));
  BOOST_TEST(contains(error_of(with({"--workers", "257"})), "from 0 to 256"));
  BOOST_TEST(contains(error_of(with({"--workers"})), "--workers"));
  BOOST_TEST(contains(error_of(with({"--bogus"})), "--bogus"));
  BOOST_TEST(contains(error_of(with({"stray"})), "unexpected argument"));
  BOOST_TEST(contains(error_of({"--config", "c.conf"}), "--config and --node are required"));
  BOOST_TEST(contains(error_of({"--node", "edge1", "--check-config"}), "--config and --node are required"));
}

BOOST_AUTO_TEST_SUITE_END()
