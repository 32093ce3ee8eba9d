// Unit tests for lb/proxy_protocol/trusted_sources.
#include "lb/proxy_protocol/trusted_sources.h"

#include <boost/test/unit_test.hpp>

using tandem::lb::proxy_protocol::TrustedSources;
namespace ip = boost::asio::ip;

BOOST_AUTO_TEST_SUITE(proxy_protocol_trusted_sources)

BOOST_AUTO_TEST_CASE(prefixes_and_addresses) {
  std::string error;
  auto t = TrustedSources::parse({"198.18.0.0/28", "198.18.0.200", "2001:db8::/32"}, error);
  BOOST_REQUIRE(t);
  BOOST_TEST(t->trusts(ip::make_address("198.18.0.15")));
  BOOST_TEST(!t->trusts(ip::make_address("198.18.0.16")));
  BOOST_TEST(t->trusts(ip::make_address("198.18.0.200")));
  BOOST_TEST(!t->trusts(ip::make_address("198.18.0.201")));
  BOOST_TEST(t->trusts(ip::make_address("2001:db8:1::5")));
  BOOST_TEST(!t->trusts(ip::make_address("2001:db9::5")));
  // An IPv4 peer on a dual-stack socket.
  BOOST_TEST(t->trusts(ip::make_address("::ffff:198.18.0.3")));
}

BOOST_AUTO_TEST_CASE(zero_length_prefix_trusts_its_family_only) {
  std::string error;
  auto t = TrustedSources::parse({"0.0.0.0/0"}, error);
  BOOST_REQUIRE(t);
  BOOST_TEST(t->trusts(ip::make_address("203.0.113.9")));
  BOOST_TEST(!t->trusts(ip::make_address("::1")));
}

BOOST_AUTO_TEST_CASE(bad_entry_is_named) {
  std::string error;
  BOOST_TEST(!TrustedSources::parse({"198.18.0.0/33"}, error));
  BOOST_TEST(error.find("198.18.0.0/33") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
