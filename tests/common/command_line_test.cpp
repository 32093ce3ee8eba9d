// The shared command-line pieces: strict integers and Program_options' style.
#include <boost/test/unit_test.hpp>

#include "common/command_line.h"

using namespace tandem::command_line;

BOOST_AUTO_TEST_SUITE(common_command_line)

BOOST_AUTO_TEST_CASE(integers_are_whole_decimal_numbers_in_range) {
  BOOST_TEST(parse_integer("4", 0, 256).value() == 4);
  BOOST_TEST(parse_integer("0", 0, 256).value() == 0);
  BOOST_TEST(parse_integer("256", 0, 256).value() == 256);
  for (const char* bad : {"", "abc", "4x", " 4", "+4", "-1", "257", "0x10", "99999999999999999999999"}) {
    BOOST_TEST(!parse_integer(bad, 0, 256).has_value(), bad);
  }
}

BOOST_AUTO_TEST_CASE(unknown_abbreviated_and_repeated_options_are_errors_that_name_them) {
  namespace po = boost::program_options;
  po::options_description d;
  d.add_options()("instance", po::value<std::string>(), "")("flag", "");
  auto error_of = [&](std::vector<std::string> args) {
    po::variables_map vm;
    std::string error;
    BOOST_TEST(!parse(args, d, {}, vm, error));
    return error;
  };
  BOOST_TEST(error_of({"--nope"}).find("--nope") != std::string::npos);
  BOOST_TEST(error_of({"--inst", "x"}).find("--inst") != std::string::npos);  // no guessing
  BOOST_TEST(error_of({"--instance"}).find("--instance") != std::string::npos);  // value missing
  BOOST_TEST(error_of({"--flag", "--flag"}).find("--flag") != std::string::npos);
  BOOST_TEST(error_of({"stray"}).find("unexpected argument") != std::string::npos);
  po::variables_map vm;
  std::string error;
  BOOST_TEST(parse({"--instance=www", "--flag"}, d, {}, vm, error), error);
  BOOST_TEST(vm["instance"].as<std::string>() == "www");
}

BOOST_AUTO_TEST_CASE(positional_words_are_not_an_option) {
  namespace po = boost::program_options;
  po::options_description d;
  d.add_options()("words", po::value<std::vector<std::string>>(), "");
  po::positional_options_description positional;
  positional.add("words", -1);
  po::variables_map vm;
  std::string error;
  BOOST_TEST(parse({"status", "x"}, d, positional, vm, error), error);
  BOOST_TEST(vm["words"].as<std::vector<std::string>>().size() == 2u);
  po::variables_map vm2;
  BOOST_TEST(!parse({"--words", "status"}, d, positional, vm2, error));
  BOOST_TEST(error == "unrecognised option '--words'");
}

BOOST_AUTO_TEST_SUITE_END()
