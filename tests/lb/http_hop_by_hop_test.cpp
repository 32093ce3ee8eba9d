// Unit tests for lb/http/hop_by_hop: stripping, and keep-alive decisions on
// each side under HTTP/1.0 and HTTP/1.1 rules.
#include "lb/http/hop_by_hop.h"

#include <boost/test/unit_test.hpp>

#include <iterator>
#include <ostream>
#include <string>
#include <vector>

namespace bhttp = boost::beast::http;
using bhttp::field;
using tandem::lb::http::BodyFraming;
using tandem::lb::http::connection_intent;
using tandem::lb::http::ConnectionIntent;
using tandem::lb::http::drop_expect_continue;
using tandem::lb::http::fold_content_length;
using tandem::lb::http::keep_client_alive;
using tandem::lb::http::keep_server_alive;
using tandem::lb::http::response_framing;
using tandem::lb::http::set_connection;
using tandem::lb::http::strip_hop_by_hop;

namespace tandem::lb::http {
std::ostream& operator<<(std::ostream& os, BodyFraming f) { return os << static_cast<int>(f); }
}  // namespace tandem::lb::http

namespace {

bhttp::request_header<> request(unsigned version = 11, bhttp::verb method = bhttp::verb::get) {
  bhttp::request_header<> req;
  req.method(method);
  req.target("/");
  req.version(version);
  return req;
}

bhttp::response_header<> response(unsigned code = 200, unsigned version = 11) {
  bhttp::response_header<> res;
  res.result(code);
  res.version(version);
  return res;
}

bhttp::response_header<> sized(unsigned code = 200, unsigned version = 11) {
  auto res = response(code, version);
  res.set(field::content_length, "10");
  return res;
}

bhttp::response_header<> chunked(unsigned version = 11) {
  auto res = response(200, version);
  res.set(field::transfer_encoding, "gzip, chunked");
  return res;
}

constexpr ConnectionIntent wants_keep{true, false};
constexpr ConnectionIntent wants_close{false, false};

}  // namespace

BOOST_AUTO_TEST_SUITE(http_hop_by_hop)

BOOST_AUTO_TEST_CASE(intent_http_1_1_keeps_unless_close) {
  bhttp::fields f;
  BOOST_TEST(connection_intent(11, f).keep_alive);
  f.set(field::connection, "close");
  BOOST_TEST(!connection_intent(11, f).keep_alive);
  f.set(field::connection, "Keep-Alive, CLOSE");
  BOOST_TEST(!connection_intent(11, f).keep_alive);
  f.set(field::connection, "keep-alive");
  BOOST_TEST(connection_intent(11, f).keep_alive);
}

BOOST_AUTO_TEST_CASE(intent_http_1_0_closes_unless_keep_alive) {
  bhttp::fields f;
  BOOST_TEST(!connection_intent(10, f).keep_alive);
  f.set(field::connection, "Keep-Alive");
  BOOST_TEST(connection_intent(10, f).keep_alive);
  f.set(field::connection, "keep-alive, close");
  BOOST_TEST(!connection_intent(10, f).keep_alive);
  f.set(field::connection, "keep-alivex");
  BOOST_TEST(!connection_intent(10, f).keep_alive);
  // Several Connection fields are one list.
  f.set(field::connection, "foo");
  f.insert(field::connection, "keep-alive");
  BOOST_TEST(connection_intent(10, f).keep_alive);
  f.insert(field::connection, "close");
  BOOST_TEST(!connection_intent(10, f).keep_alive);
}

BOOST_AUTO_TEST_CASE(fields_between_connection_fields_are_not_read) {
  bhttp::fields f;
  f.insert(field::connection, "x-a");
  f.insert("X-Between", "close");
  f.insert(field::connection, "x-b");
  f.set("X-A", "1");
  f.set("X-B", "2");
  BOOST_TEST(connection_intent(11, f).keep_alive);
  strip_hop_by_hop(11, f);
  BOOST_TEST(f.count("X-A") == 0u);
  BOOST_TEST(f.count("X-B") == 0u);
  BOOST_TEST(f["X-Between"] == "close");
}

BOOST_AUTO_TEST_CASE(intent_upgrade_needs_both_fields) {
  bhttp::fields f;
  f.set(field::connection, "Upgrade");
  BOOST_TEST(!connection_intent(11, f).upgrade);
  f.set(field::upgrade, "websocket");
  BOOST_TEST(connection_intent(11, f).upgrade);
}

BOOST_AUTO_TEST_CASE(strip_removes_hop_by_hop_fields) {
  auto req = request();
  req.set(field::host, "example.com");
  req.set(field::connection, "keep-alive, X-Private, Upgrade");
  req.insert(field::connection, "x-other");
  req.set("X-Private", "secret");
  req.set("X-Other", "o");
  req.set(field::keep_alive, "timeout=5");
  req.set(field::proxy_connection, "keep-alive");
  req.set(field::te, "trailers");
  req.set(field::trailer, "X-Checksum");
  req.set(field::upgrade, "websocket");
  req.set("X-End-To-End", "kept");
  req.set(field::content_length, "0");

  auto const intent = strip_hop_by_hop(req);
  BOOST_TEST(intent.keep_alive);
  BOOST_TEST(intent.upgrade);  // read before the fields went away
  for (auto name : {"Connection", "X-Private", "X-Other", "Keep-Alive", "Proxy-Connection", "TE",
                    "Trailer", "Upgrade"})
    BOOST_TEST(req.count(name) == 0u, name);
  BOOST_TEST(req["X-End-To-End"] == "kept");
  BOOST_TEST(req[field::host] == "example.com");
  BOOST_TEST(req[field::content_length] == "0");
  BOOST_TEST(std::distance(req.begin(), req.end()) == 3);
}

BOOST_AUTO_TEST_CASE(connection_cannot_strip_framing_or_host) {
  auto req = request(11, bhttp::verb::post);
  req.set(field::host, "example.com");
  req.set(field::connection, "Content-Length, Host, Transfer-Encoding, close, connection, a b");
  req.set(field::content_length, "5");
  auto const intent = strip_hop_by_hop(req);
  BOOST_TEST(!intent.keep_alive);
  BOOST_TEST(req[field::content_length] == "5");
  BOOST_TEST(req[field::host] == "example.com");
  BOOST_TEST(req.count(field::connection) == 0u);

  auto req2 = request(11, bhttp::verb::post);
  req2.set(field::connection, "transfer-encoding");
  req2.set(field::transfer_encoding, "chunked");
  strip_hop_by_hop(req2);
  BOOST_TEST(req2[field::transfer_encoding] == "chunked");
}

BOOST_AUTO_TEST_CASE(strip_of_a_response) {
  auto res = sized();
  res.set(field::connection, "close");
  res.set(field::keep_alive, "timeout=5, max=100");
  auto const intent = strip_hop_by_hop(res);
  BOOST_TEST(!intent.keep_alive);
  BOOST_TEST(res.count(field::connection) == 0u);
  BOOST_TEST(res.count(field::keep_alive) == 0u);
  BOOST_TEST(res[field::content_length] == "10");
}

BOOST_AUTO_TEST_CASE(response_framing_rules) {
  BOOST_TEST(response_framing(request(), sized()) == BodyFraming::content_length);
  BOOST_TEST(response_framing(request(), chunked()) == BodyFraming::chunked);
  BOOST_TEST(response_framing(request(), response()) == BodyFraming::until_close);
  BOOST_TEST(response_framing(request(11, bhttp::verb::head), response()) == BodyFraming::none);
  for (unsigned code : {100u, 101u, 103u, 204u, 304u})
    BOOST_TEST(response_framing(request(), response(code)) == BodyFraming::none, code);
  BOOST_TEST(response_framing(request(11, bhttp::verb::connect), response(200)) ==
             BodyFraming::none);

  auto res = response();
  res.set(field::transfer_encoding, "chunked, gzip");  // final coding not chunked
  BOOST_TEST(response_framing(request(), res) == BodyFraming::until_close);
  BOOST_TEST(response_framing(request(), chunked(10)) == BodyFraming::until_close);  // TE in 1.0
  res = response();
  res.set(field::content_length, "10, 11");
  BOOST_TEST(response_framing(request(), res) == BodyFraming::until_close);
  res.set(field::content_length, "10, 10");
  BOOST_TEST(response_framing(request(), res) == BodyFraming::content_length);
  res.set(field::content_length, "x");
  BOOST_TEST(response_framing(request(), res) == BodyFraming::until_close);
}

// RFC 9110 §8.6: agreeing Content-Length values fold to one field; the rest is
// left for the screen (400) or Beast's parser (502) to refuse.
BOOST_AUTO_TEST_CASE(fold_content_length_to_one_field) {
  struct Case {
    std::vector<std::string> values;
    bool folded;
    std::string after;  // the one value left when folded
  };
  const std::vector<Case> cases{
      {{"5"}, false, ""},
      {{"5", "5"}, true, "5"},
      {{"5, 5"}, true, "5"},
      {{"5,5,5"}, true, "5"},
      {{"005", "5"}, true, "5"},
      {{"5", "5, 5"}, true, "5"},
      {{"18446744073709551615", "18446744073709551615"}, true, "18446744073709551615"},
      {{"5", "6"}, false, ""},
      {{"5, 6"}, false, ""},
      {{"5", "x"}, false, ""},
      {{"5,"}, false, ""},
  };
  for (auto const& c : cases) {
    auto res = response();
    res.set("X-Before", "a");
    for (auto const& v : c.values) res.insert(field::content_length, v);
    res.set("X-After", "b");
    const auto fields_before = std::distance(res.begin(), res.end());
    BOOST_TEST(fold_content_length(res) == c.folded, c.values.front());
    std::size_t lengths = 0;
    for (auto const& f : res)
      if (f.name() == field::content_length) ++lengths;
    if (c.folded) {
      BOOST_TEST(lengths == 1u);
      BOOST_TEST(res[field::content_length] == c.after);
    } else {
      BOOST_TEST(lengths == c.values.size());
      BOOST_TEST(std::distance(res.begin(), res.end()) == fields_before);
    }
    BOOST_TEST(res["X-Before"] == "a");
    BOOST_TEST(res["X-After"] == "b");
  }
  auto none = response();
  BOOST_TEST(!fold_content_length(none));
  BOOST_TEST(none.count(field::content_length) == 0u);
}

// Once the proxy answered the 100 itself, the expectation does not go on;
// any other expectation does.
BOOST_AUTO_TEST_CASE(drop_expect_continue_only) {
  auto req = request();
  req.set("X-A", "a");
  req.insert(field::expect, "100-Continue");
  req.set("X-B", "b");
  BOOST_TEST(drop_expect_continue(req));
  BOOST_TEST(req.count(field::expect) == 0u);
  BOOST_TEST(req["X-A"] == "a");
  BOOST_TEST(req["X-B"] == "b");
  BOOST_TEST(!drop_expect_continue(req));
  req.insert(field::expect, "other");
  BOOST_TEST(!drop_expect_continue(req));
  BOOST_TEST(req[field::expect] == "other");
}

BOOST_AUTO_TEST_CASE(client_side_keep_alive) {
  BOOST_TEST(keep_client_alive(wants_keep, request(), sized()));
  BOOST_TEST(!keep_client_alive(wants_close, request(), sized()));
  BOOST_TEST(keep_client_alive(wants_keep, request(), chunked()));
  BOOST_TEST(!keep_client_alive(wants_keep, request(10), chunked()));  // 1.0 client cannot read chunked
  BOOST_TEST(keep_client_alive(wants_keep, request(10), sized()));     // 1.0 client with keep-alive
  BOOST_TEST(!keep_client_alive(wants_keep, request(), response()));   // body until close
  BOOST_TEST(keep_client_alive(wants_keep, request(11, bhttp::verb::head), response()));
  BOOST_TEST(keep_client_alive(wants_keep, request(), response(204)));
  BOOST_TEST(keep_client_alive(wants_keep, request(), response(304)));
  BOOST_TEST(!keep_client_alive(wants_keep, request(), response(101)));
  // The server closing does not close the client side.
  auto res = sized(200, 10);
  BOOST_TEST(keep_client_alive(wants_keep, request(), res));
}

BOOST_AUTO_TEST_CASE(server_side_keep_alive) {
  BOOST_TEST(keep_server_alive(wants_keep, request(), sized()));
  BOOST_TEST(keep_server_alive(wants_keep, request(), chunked()));
  BOOST_TEST(!keep_server_alive(wants_close, request(), sized()));
  BOOST_TEST(!keep_server_alive(wants_keep, request(), response()));  // read until close
  BOOST_TEST(!keep_server_alive(wants_keep, request(), response(101)));
  BOOST_TEST(keep_server_alive(wants_keep, request(11, bhttp::verb::head), response()));

  // An HTTP/1.0 server wants_keep the connection only when it says keep-alive.
  auto res = sized(200, 10);
  BOOST_TEST(!keep_server_alive(connection_intent(10, res), request(), res));
  res.set(field::connection, "keep-alive");
  BOOST_TEST(keep_server_alive(connection_intent(10, res), request(), res));
  // An HTTP/1.1 server wants_keep it unless it says close.
  auto res11 = sized();
  BOOST_TEST(keep_server_alive(connection_intent(11, res11), request(), res11));
  res11.set(field::connection, "close");
  BOOST_TEST(!keep_server_alive(connection_intent(11, res11), request(), res11));
}

BOOST_AUTO_TEST_CASE(set_connection_per_version) {
  auto res = sized(200, 11);
  res.set(field::connection, "stale");
  set_connection(res, true);
  BOOST_TEST(res.count(field::connection) == 0u);
  set_connection(res, false);
  BOOST_TEST(res[field::connection] == "close");

  auto res10 = sized(200, 10);
  set_connection(res10, true);
  BOOST_TEST(res10[field::connection] == "keep-alive");
  set_connection(res10, false);
  BOOST_TEST(res10.count(field::connection) == 0u);

  auto req = request(10);
  set_connection(req, true);
  BOOST_TEST(req[field::connection] == "keep-alive");
  BOOST_TEST(connection_intent(10, req).keep_alive);
}

BOOST_AUTO_TEST_CASE(strip_without_connection_field) {
  // Nothing hop-by-hop: untouched (the walk that erases is skipped).
  auto plain = request();
  plain.set(field::host, "example.com");
  plain.set("X-A", "1");
  BOOST_TEST(strip_hop_by_hop(plain).keep_alive);
  BOOST_TEST(std::distance(plain.begin(), plain.end()) == 2);
  // Hop-by-hop fields without a Connection field still go.
  auto req = request();
  req.set(field::host, "example.com");
  req.set(field::te, "trailers");
  req.set(field::keep_alive, "timeout=5");
  req.set(field::upgrade, "websocket");
  auto const intent = strip_hop_by_hop(req);
  BOOST_TEST(intent.keep_alive);
  BOOST_TEST(!intent.upgrade);  // Upgrade without "Connection: upgrade"
  BOOST_TEST(std::distance(req.begin(), req.end()) == 1);
  BOOST_TEST(req[field::host] == "example.com");
}

BOOST_AUTO_TEST_CASE(keep_alive_with_known_framing_matches) {
  const ConnectionIntent keep{true, false};
  const ConnectionIntent close{false, false};
  for (auto intent : {keep, close}) {
    for (unsigned version : {10u, 11u}) {
      for (auto const& res : {sized(), chunked()}) {
        auto const req = request(version);
        auto const framing = response_framing(req, res);
        BOOST_TEST(keep_client_alive(intent, req, res) ==
                   keep_client_alive(intent, req.version(), res.result_int(), framing));
        BOOST_TEST(keep_server_alive(intent, req, res) == keep_server_alive(intent, res.result_int(), framing));
      }
    }
  }
  BOOST_TEST(!keep_client_alive(keep, 11, 101, BodyFraming::none));
  BOOST_TEST(!keep_server_alive(keep, 200, BodyFraming::until_close));
  BOOST_TEST(keep_client_alive(keep, 11, 200, BodyFraming::chunked));
  BOOST_TEST(!keep_client_alive(keep, 10, 200, BodyFraming::chunked));
}

// An HTTP/1.0 request without Host gets one before it goes upstream as
// HTTP/1.1 (a 1.1 server answers 400 without it); one with Host, and any
// HTTP/1.1 request (screened for Host already), are left alone.
BOOST_AUTO_TEST_CASE(only_a_host_less_http10_request_needs_a_host) {
  bhttp::request_header<> req;
  req.version(10);
  BOOST_TEST(tandem::lb::http::needs_host(req.version(), req));
  req.set(field::host, "www.example.com");
  BOOST_TEST(!tandem::lb::http::needs_host(req.version(), req));
  bhttp::request_header<> v11;
  v11.version(11);
  BOOST_TEST(!tandem::lb::http::needs_host(v11.version(), v11));
}

BOOST_AUTO_TEST_SUITE_END()
