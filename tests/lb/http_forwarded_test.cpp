// Unit tests for lb/http/forwarded: X-Forwarded-For chains, X-Forwarded-Proto
// and RFC 7239 Forwarded elements.
#include "lb/http/forwarded.h"

#include <boost/asio/ip/address.hpp>
#include <boost/test/unit_test.hpp>

#include <string>

namespace bhttp = boost::beast::http;
using boost::asio::ip::make_address;
using tandem::lb::http::add_forwarding_headers;
using tandem::lb::http::forwarded_node;

namespace {

bhttp::request_header<> request() {
  bhttp::request_header<> req;
  req.method(bhttp::verb::get);
  req.target("/");
  req.version(11);
  req.set(bhttp::field::host, "example.com");
  return req;
}

std::string value(const bhttp::request_header<>& req, std::string_view name) {
  BOOST_TEST(req.count(name) <= 1u, name << " appears more than once");
  return std::string(req[name]);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(http_forwarded)

BOOST_AUTO_TEST_CASE(first_hop_ipv4) {
  auto req = request();
  add_forwarding_headers(req, make_address("192.0.2.1"), "http");
  BOOST_TEST(value(req, "X-Forwarded-For") == "192.0.2.1");
  BOOST_TEST(value(req, "X-Forwarded-Proto") == "http");
  BOOST_TEST(value(req, "Forwarded") == "for=192.0.2.1;proto=http");
}

BOOST_AUTO_TEST_CASE(ipv6_is_bracketed_and_quoted_in_forwarded_only) {
  auto req = request();
  add_forwarding_headers(req, make_address("2001:db8::1"), "http");
  BOOST_TEST(value(req, "X-Forwarded-For") == "2001:db8::1");
  BOOST_TEST(value(req, "Forwarded") == "for=\"[2001:db8::1]\";proto=http");
  BOOST_TEST(forwarded_node(make_address("::1")) == "\"[::1]\"");
}

BOOST_AUTO_TEST_CASE(ipv4_mapped_ipv6_is_written_as_ipv4) {
  auto req = request();
  add_forwarding_headers(req, make_address("::ffff:198.18.0.7"), "http");
  BOOST_TEST(value(req, "X-Forwarded-For") == "198.18.0.7");
  BOOST_TEST(value(req, "Forwarded") == "for=198.18.0.7;proto=http");
}

BOOST_AUTO_TEST_CASE(existing_chain_is_kept_and_extended) {
  auto req = request();
  req.set("X-Forwarded-For", "203.0.113.9, 10.0.0.1");
  req.set("Forwarded", "for=203.0.113.9;proto=https");
  req.set("X-Forwarded-Proto", "https");
  add_forwarding_headers(req, make_address("10.0.0.2"), "http");
  BOOST_TEST(value(req, "X-Forwarded-For") == "203.0.113.9, 10.0.0.1, 10.0.0.2");
  BOOST_TEST(value(req, "Forwarded") == "for=203.0.113.9;proto=https, for=10.0.0.2;proto=http");
  BOOST_TEST(value(req, "X-Forwarded-Proto") == "http");  // set, not appended
}

BOOST_AUTO_TEST_CASE(several_fields_are_folded_in_order) {
  auto req = request();
  req.insert("X-Forwarded-For", "1.1.1.1");
  req.insert("x-forwarded-for", " 2.2.2.2 ");
  req.insert("X-Forwarded-For", "");
  req.insert("Forwarded", "for=1.1.1.1");
  req.insert("Forwarded", "for=2.2.2.2");
  add_forwarding_headers(req, make_address("3.3.3.3"), "http");
  BOOST_TEST(value(req, "X-Forwarded-For") == "1.1.1.1, 2.2.2.2, 3.3.3.3");
  BOOST_TEST(value(req, "Forwarded") == "for=1.1.1.1, for=2.2.2.2, for=3.3.3.3;proto=http");
}

BOOST_AUTO_TEST_CASE(fields_between_duplicates_are_not_folded_in) {
  auto req = request();
  req.insert("X-Forwarded-For", "1.1.1.1");
  req.insert("X-Other", "9.9.9.9");
  req.insert("X-Forwarded-For", "2.2.2.2");
  add_forwarding_headers(req, make_address("3.3.3.3"), "http");
  BOOST_TEST(value(req, "X-Forwarded-For") == "1.1.1.1, 2.2.2.2, 3.3.3.3");
  BOOST_TEST(value(req, "X-Other") == "9.9.9.9");
}

BOOST_AUTO_TEST_CASE(by_is_a_token_or_quoted) {
  auto req = request();
  add_forwarding_headers(req, make_address("192.0.2.1"), "http", "_lb1");
  BOOST_TEST(value(req, "Forwarded") == "for=192.0.2.1;by=_lb1;proto=http");

  req = request();
  add_forwarding_headers(req, make_address("192.0.2.1"), "https", "198.18.0.1:80");
  BOOST_TEST(value(req, "Forwarded") == "for=192.0.2.1;by=\"198.18.0.1:80\";proto=https");
  BOOST_TEST(value(req, "X-Forwarded-Proto") == "https");

  req = request();
  add_forwarding_headers(req, make_address("192.0.2.1"), "http", "[2001:db8::5]:8080");
  BOOST_TEST(value(req, "Forwarded") == "for=192.0.2.1;by=\"[2001:db8::5]:8080\";proto=http");
}

BOOST_AUTO_TEST_CASE(other_fields_are_untouched) {
  auto req = request();
  req.set("X-Other", "v");
  add_forwarding_headers(req, make_address("192.0.2.1"), "http");
  BOOST_TEST(value(req, "Host") == "example.com");
  BOOST_TEST(value(req, "X-Other") == "v");
  BOOST_TEST(std::distance(req.begin(), req.end()) == 5);
}

BOOST_AUTO_TEST_SUITE_END()
