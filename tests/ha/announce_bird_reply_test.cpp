// Tests for ha/announce/bird_reply.h: BIRD 2's control-socket replies.
#include <boost/test/unit_test.hpp>

#include "ha/announce/bird_reply.h"

namespace tandem::ha {
namespace {

// As BIRD 2.0.12 answers `show protocols` (the greeting already consumed).
const std::string kProtocols =
    "2002-Name       Proto      Table      State  Since         Info\n"
    "1002-device1    Device     ---        up     15:58:01.123  \n"
    " kernel1    Kernel     master4    up     15:58:01.123  \n"
    " bfd1       BFD        ---        up     15:58:01.123  \n"
    " uplink     BGP        ---        up     15:58:02.456  Established   \n"
    " backup     BGP        ---        start  15:58:01.123  Active        Socket: Connection refused\n"
    "0000 \n";

BOOST_AUTO_TEST_SUITE(bird_reply)

BOOST_AUTO_TEST_CASE(reply_length_waits_for_the_last_line) {
  BOOST_TEST(!bird_reply_length("").has_value());
  BOOST_TEST(!bird_reply_length("0001 BIRD 2.0.12 ready.").has_value());  // no newline yet
  BOOST_TEST(bird_reply_length("0001 BIRD 2.0.12 ready.\n").value() == 24u);
  BOOST_TEST(!bird_reply_length(kProtocols.substr(0, kProtocols.size() - 6)).has_value());
  BOOST_TEST(bird_reply_length(kProtocols).value() == kProtocols.size());
  BOOST_TEST(!bird_reply_length("1002-x\n 2002 y\n").has_value());  // tables and headings do not end it
  BOOST_TEST(bird_reply_length("9001 syntax error\nrest").value() == 18u);
}

BOOST_AUTO_TEST_CASE(protocols_are_rows_with_their_info) {
  std::string error;
  const auto rows = parse_show_protocols(kProtocols, error);
  BOOST_REQUIRE_MESSAGE(rows.has_value(), error);
  BOOST_REQUIRE_EQUAL(rows->size(), 5u);
  BOOST_TEST((*rows)[0].name == "device1");
  BOOST_TEST((*rows)[0].info == "");
  BOOST_TEST((*rows)[3].name == "uplink");
  BOOST_TEST((*rows)[3].protocol == "BGP");
  BOOST_TEST((*rows)[3].table == "---");
  BOOST_TEST((*rows)[3].state == "up");
  BOOST_TEST((*rows)[3].since == "15:58:02.456");
  BOOST_TEST((*rows)[3].info == "Established");
  BOOST_TEST((*rows)[4].state == "start");
  BOOST_TEST((*rows)[4].info == "Active        Socket: Connection refused");
}

BOOST_AUTO_TEST_CASE(a_date_and_time_since_is_one_field) {
  std::string error;
  const auto rows = parse_show_protocols(
      "1002-uplink BGP --- up 2026-12-07 15:58:02 Established\n0000 \n", error);
  BOOST_REQUIRE_MESSAGE(rows.has_value(), error);
  BOOST_TEST((*rows)[0].since == "2026-12-07 15:58:02");
  BOOST_TEST((*rows)[0].info == "Established");
}

BOOST_AUTO_TEST_CASE(crlf_lines_are_accepted) {
  std::string error;
  const auto rows = parse_show_protocols("1002-uplink BGP --- up 15:58:02 Established\r\n0000 \r\n", error);
  BOOST_REQUIRE_MESSAGE(rows.has_value(), error);
  BOOST_TEST((*rows)[0].info == "Established");
}

BOOST_AUTO_TEST_CASE(errors_carry_the_daemons_text) {
  std::string error;
  BOOST_TEST(!parse_show_protocols("9001 syntax error, unexpected CF_SYM_UNDEFINED\n", error).has_value());
  BOOST_TEST(error == "the routing daemon answered 9001: syntax error, unexpected CF_SYM_UNDEFINED");
  BOOST_TEST(!parse_show_protocols("8001 Access denied\n", error).has_value());
  BOOST_TEST(error.find("8001: Access denied") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(malformed_and_truncated_replies_are_refused) {
  std::string error;
  BOOST_TEST(!parse_show_protocols("1002-uplink BGP --- up 1:00 x\n", error).has_value());
  BOOST_TEST(error == "the reply ended before its last line");
  BOOST_TEST(!parse_show_protocols("garbage\n0000 \n", error).has_value());
  BOOST_TEST(error.find("malformed line") == 0);
  BOOST_TEST(!parse_show_protocols(" orphan continuation\n0000 \n", error).has_value());
  BOOST_TEST(!parse_show_protocols("1002-onlyname\n0000 \n", error).has_value());
  BOOST_TEST(error.find("malformed protocol row") == 0);
}

BOOST_AUTO_TEST_CASE(caps_bound_what_is_kept) {
  std::string error;
  std::string big = "1002-a BGP --- up 1:00:00 x\n";
  for (std::size_t i = 0; i < kBirdMaxProtocols; ++i) big += " a BGP --- up 1:00:00 x\n";
  big += "0000 \n";
  BOOST_TEST(!parse_show_protocols(big, error).has_value());
  BOOST_TEST(error.find("more than") == 0);
  BOOST_TEST(!parse_show_protocols(std::string(kBirdReplyMaxBytes + 1, ' '), error).has_value());
}

BOOST_AUTO_TEST_CASE(other_tables_are_skipped) {
  std::string error;
  const auto rows = parse_show_protocols("1020-bfd1:\n IP address  Interface\n0000 \n", error);
  BOOST_REQUIRE_MESSAGE(rows.has_value(), error);
  BOOST_TEST(rows->empty());
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace tandem::ha
