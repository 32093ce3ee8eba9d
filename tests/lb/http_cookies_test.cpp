// Unit tests for lb/http/cookies: lookup edge cases, Set-Cookie parsing, the
// inserted stickiness cookie and stripping it before forwarding.
#include "lb/http/cookies.h"

#include <boost/test/unit_test.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace bhttp = boost::beast::http;
using bhttp::field;
using namespace tandem::lb::http;

namespace {

std::string found(std::optional<std::string_view> v) { return v ? std::string(*v) : "<none>"; }

std::string cookies_of(const bhttp::fields& f) {
  std::string out;
  for (auto const& x : f)
    if (x.name() == field::cookie) out += std::string(x.value()) + "|";
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(http_cookies)

BOOST_AUTO_TEST_CASE(find_in_one_field) {
  BOOST_TEST(found(find_cookie("SRV=s1", "SRV")) == "s1");
  BOOST_TEST(found(find_cookie("a=1; SRV=s1; b=2", "SRV")) == "s1");
  BOOST_TEST(found(find_cookie("a=1;SRV=s1;b=2", "SRV")) == "s1");      // no spaces
  BOOST_TEST(found(find_cookie("  a=1 ;  SRV = s1 ; ", "SRV")) == "s1");  // extra OWS
  BOOST_TEST(found(find_cookie("SRV=\"s1\"", "SRV")) == "s1");          // quoted
  BOOST_TEST(found(find_cookie("SRV=\"\"", "SRV")) == "");
  BOOST_TEST(found(find_cookie("SRV=\"", "SRV")) == "\"");              // lone quote kept
  BOOST_TEST(found(find_cookie("SRV=", "SRV")) == "");
  BOOST_TEST(found(find_cookie("SRV=a=b", "SRV")) == "a=b");            // '=' in value
  BOOST_TEST(found(find_cookie("SRV=1; SRV=2", "SRV")) == "1");         // first wins
  BOOST_TEST(found(find_cookie("", "SRV")) == "<none>");
  BOOST_TEST(found(find_cookie(";;;", "SRV")) == "<none>");
  BOOST_TEST(found(find_cookie("SRV", "SRV")) == "<none>");             // no '='
}

BOOST_AUTO_TEST_CASE(name_prefix_collisions) {
  BOOST_TEST(found(find_cookie("SRVX=x", "SRV")) == "<none>");
  BOOST_TEST(found(find_cookie("XSRV=x", "SRV")) == "<none>");
  BOOST_TEST(found(find_cookie("SRVX=x; SRV=s2", "SRV")) == "s2");
  BOOST_TEST(found(find_cookie("SRV=s2; SRVX=x", "SRVX")) == "x");
  BOOST_TEST(found(find_cookie("srv=lower", "SRV")) == "<none>");       // case-sensitive
  BOOST_TEST(found(find_cookie("a=SRV=s9", "SRV")) == "<none>");        // inside a value
}

BOOST_AUTO_TEST_CASE(find_across_several_cookie_fields) {
  bhttp::fields f;
  f.insert(field::cookie, "a=1");
  f.insert("X-Evil", "SRV=forged");  // between two Cookie fields: must not be read
  f.insert(field::cookie, "b=2; SRV=s3");
  BOOST_TEST(found(find_cookie(f, "SRV")) == "s3");
  BOOST_TEST(found(find_cookie(f, "a")) == "1");
  BOOST_TEST(found(find_cookie(f, "none")) == "<none>");
  bhttp::fields empty;
  BOOST_TEST(found(find_cookie(empty, "SRV")) == "<none>");
}

BOOST_AUTO_TEST_CASE(set_cookie_parsing) {
  auto c = parse_set_cookie("SID=abc123; Path=/; Secure; HttpOnly");
  BOOST_REQUIRE(c);
  BOOST_TEST(c->name == "SID");
  BOOST_TEST(c->value == "abc123");
  c = parse_set_cookie(" SID = \"q v\" ;Path=/");
  BOOST_REQUIRE(c);
  BOOST_TEST(c->name == "SID");
  BOOST_TEST(c->value == "q v");
  c = parse_set_cookie("SID=");
  BOOST_REQUIRE(c);
  BOOST_TEST(c->value == "");
  BOOST_TEST(!parse_set_cookie("SID; Path=/"));   // no '=' before ';'
  BOOST_TEST(!parse_set_cookie("=abc"));          // empty name
  BOOST_TEST(!parse_set_cookie(""));

  bhttp::fields f;
  f.insert(field::set_cookie, "SIDX=1");
  f.insert(field::content_type, "SID=0");
  f.insert(field::set_cookie, "SID=2; Path=/");
  BOOST_TEST(found(find_set_cookie(f, "SID")) == "2");
  BOOST_TEST(found(find_set_cookie(f, "nope")) == "<none>");
}

BOOST_AUTO_TEST_CASE(sticky_cookie) {
  BOOST_TEST(make_sticky_cookie("SRV", "s1") == "SRV=s1; Path=/; HttpOnly");
  CookieAttributes attrs;
  attrs.domain = "example.com";
  attrs.max_age = std::chrono::hours(1);
  attrs.secure = true;
  BOOST_TEST(make_sticky_cookie("SRV", "s1", attrs) ==
             "SRV=s1; Path=/; Domain=example.com; Max-Age=3600; Secure; HttpOnly");
  attrs = {};
  attrs.path = "";
  attrs.http_only = false;
  BOOST_TEST(make_sticky_cookie("SRV", "s1", attrs) == "SRV=s1");

  // What we insert reads back through the request-side lookup.
  auto const set = make_sticky_cookie("SRV", "web-2");
  auto const parsed = parse_set_cookie(set);
  BOOST_REQUIRE(parsed);
  BOOST_TEST(parsed->name == "SRV");
  BOOST_TEST(parsed->value == "web-2");

  BOOST_TEST(is_valid_cookie_name("SRV"));
  BOOST_TEST(!is_valid_cookie_name(""));
  BOOST_TEST(!is_valid_cookie_name("a b"));
  BOOST_TEST(!is_valid_cookie_name("a=b"));
  BOOST_TEST(!is_valid_cookie_name("a;b"));
  BOOST_TEST(is_valid_cookie_value("web-2.a_b"));
  BOOST_TEST(is_valid_cookie_value(""));
  for (auto bad : {"a b", "a;b", "a,b", "a\"b", "a\\b", "\x7f", "\xc3\xa9"})
    BOOST_TEST(!is_valid_cookie_value(bad), bad);
}

BOOST_AUTO_TEST_CASE(strip_inserted_cookie) {
  bhttp::fields f;
  f.set(field::cookie, "a=1; SRV=s1; SRVX=keep; b=\"q\"");
  BOOST_TEST(strip_cookie(f, "SRV"));
  BOOST_TEST(cookies_of(f) == "a=1; SRVX=keep; b=\"q\"|");

  f.set(field::cookie, "SRV=s1");  // only ours: the field goes away
  f.set("X-Other", "v");
  BOOST_TEST(strip_cookie(f, "SRV"));
  BOOST_TEST(f.count(field::cookie) == 0u);
  BOOST_TEST(f["X-Other"] == "v");

  f.set(field::cookie, "SRV=1;a=1; SRV=2 ;b=2;SRV=3");  // every occurrence, any spacing
  BOOST_TEST(strip_cookie(f, "SRV"));
  BOOST_TEST(cookies_of(f) == "a=1; b=2|");

  f.set(field::cookie, "a=1; flag; SRV=1");  // a pair without '=' is kept as is
  BOOST_TEST(strip_cookie(f, "SRV"));
  BOOST_TEST(cookies_of(f) == "a=1; flag|");
}

BOOST_AUTO_TEST_CASE(strip_across_fields_and_absent) {
  bhttp::fields f;
  f.insert(field::cookie, "SRV=s1");
  f.insert("X-Between", "SRV=forged");
  f.insert(field::cookie, "a=1; SRV=s1");
  BOOST_TEST(strip_cookie(f, "SRV"));
  BOOST_TEST(cookies_of(f) == "a=1|");
  BOOST_TEST(f["X-Between"] == "SRV=forged");

  bhttp::fields g;
  g.set(field::cookie, "SRVX=1; XSRV=2");
  BOOST_TEST(!strip_cookie(g, "SRV"));
  BOOST_TEST(cookies_of(g) == "SRVX=1; XSRV=2|");
  bhttp::fields none;
  BOOST_TEST(!strip_cookie(none, "SRV"));
}

BOOST_AUTO_TEST_SUITE_END()
