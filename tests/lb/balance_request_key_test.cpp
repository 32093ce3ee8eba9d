// request_key: each algorithm's registry row owns the key it hashes; the
// configured key reads a header, a cookie or the URI through RequestFields.
#include <boost/test/unit_test.hpp>

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "lb/balance/key_hash.h"
#include "lb/balance/registry.h"
#include "lb/balance/request_key.h"
#include "lb/route/http_request_fields.h"

namespace tandem::lb {
namespace {

namespace bhttp = boost::beast::http;

config::Key key(config::Key::Kind kind, std::string name = "") {
  config::Key k;
  k.set_kind(kind);
  k.set_name(std::move(name));
  return k;
}

bhttp::request<bhttp::string_body> request() {
  bhttp::request<bhttp::string_body> req{bhttp::verb::get, "/cart?id=7", 11};
  req.set("X-User", "alice");
  req.set(bhttp::field::cookie, "theme=dark; SID=s-42");
  return req;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(balance_request_key)

BOOST_AUTO_TEST_CASE(each_row_owns_its_key_function) {
  BOOST_TEST((key_function(config::ROUND_ROBIN) == &no_key));
  BOOST_TEST((key_function(config::LEAST_CONNECTIONS) == &no_key));
  BOOST_TEST((key_function(config::SOURCE_IP_HASH) == &source_key));
  BOOST_TEST((key_function(config::CONSISTENT_HASH) == &configured_key));
  BOOST_TEST((key_function(static_cast<config::Algorithm>(999)) == &no_key));
}

BOOST_AUTO_TEST_CASE(source_key_ignores_the_configured_key) {
  const auto req = request();
  const HttpRequestFields fields(req);
  const KeyInputs in{.source_hash = 77, .fields = &fields};
  BOOST_TEST(source_key(key(config::Key::HEADER, "X-User"), in) == 77u);
  BOOST_TEST(no_key(key(config::Key::HEADER, "X-User"), in) == 0u);
}

BOOST_AUTO_TEST_CASE(configured_key_hashes_what_it_names) {
  const auto req = request();
  const HttpRequestFields fields(req);
  const KeyInputs in{.source_hash = 77, .fields = &fields};
  BOOST_TEST(configured_key(key(config::Key::HEADER, "X-User"), in) == stable_hash("alice"));
  BOOST_TEST(configured_key(key(config::Key::HEADER, "x-user"), in) == stable_hash("alice"));
  BOOST_TEST(configured_key(key(config::Key::COOKIE, "SID"), in) == stable_hash("s-42"));
  BOOST_TEST(configured_key(key(config::Key::URI), in) == stable_hash("/cart?id=7"));
  BOOST_TEST(configured_key(key(config::Key::SOURCE_IP), in) == 77u);
  BOOST_TEST(configured_key(key(config::Key::KIND_UNSPECIFIED), in) == 77u);
  // Absent: hashed as empty, so such requests still agree on one server.
  BOOST_TEST(configured_key(key(config::Key::HEADER, "X-None"), in) == stable_hash(""));
  BOOST_TEST(configured_key(key(config::Key::COOKIE, "none"), in) == stable_hash(""));
}

BOOST_AUTO_TEST_CASE(an_l4_connection_always_hashes_its_address) {
  const KeyInputs in{.source_hash = 77};
  BOOST_TEST(configured_key(key(config::Key::HEADER, "X-User"), in) == 77u);
  BOOST_TEST(configured_key(key(config::Key::URI), in) == 77u);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace tandem::lb
