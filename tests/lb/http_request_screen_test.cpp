// Unit tests for lb/http/request_screen: each rule on a header built directly,
// without Beast's parser in front (http_parse_test covers the combination).
#include "lb/http/request_screen.h"

#include <boost/asio/error.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

namespace bhttp = boost::beast::http;
using bhttp::field;
using bhttp::status;
using tandem::lb::http::classify_parse_error;
using tandem::lb::http::answer_continue;
using tandem::lb::http::is_100_continue;
using tandem::lb::http::Limits;
using tandem::lb::http::RequestFacts;
using tandem::lb::http::screen_request;
using tandem::lb::http::Verdict;

namespace {

bhttp::request_header<> get(unsigned version = 11) {
  bhttp::request_header<> req;
  req.method(bhttp::verb::get);
  req.target("/");
  req.version(version);
  if (version == 11) req.set(field::host, "example.com");
  return req;
}

bhttp::request_header<> post() {
  auto req = get();
  req.method(bhttp::verb::post);
  return req;
}

status screen(const bhttp::request_header<>& req, const Limits& limits = {}) {
  return screen_request(req, limits).status;
}

constexpr status accepted = status::unknown;

}  // namespace

BOOST_AUTO_TEST_SUITE(http_request_screen)

BOOST_AUTO_TEST_CASE(plain_requests_are_accepted) {
  auto const v = screen_request(get(), Limits{});
  BOOST_TEST(v.ok());
  BOOST_TEST(v.reason.empty());
  BOOST_TEST(screen(get(10)) == accepted);  // HTTP/1.0 needs no Host
}

BOOST_AUTO_TEST_CASE(only_http_1_0_and_1_1_are_supported) {
  for (unsigned version : {9u, 12u, 20u, 30u}) {
    auto req = get();
    req.version(version);
    auto const v = screen_request(req, Limits{});
    BOOST_TEST(v.status == status::http_version_not_supported);
    BOOST_TEST(!v.reason.empty());
  }
}

BOOST_AUTO_TEST_CASE(host_rules) {
  auto req = get();
  req.erase(field::host);
  BOOST_TEST(screen(req) == status::bad_request);  // HTTP/1.1 without Host

  req = get();
  req.insert(field::host, "other.example");
  BOOST_TEST(screen(req) == status::bad_request);  // several Host fields

  req = get(10);
  req.insert(field::host, "a.example");
  req.insert(field::host, "b.example");
  BOOST_TEST(screen(req) == status::bad_request);  // also in HTTP/1.0

  for (auto host : {"example.com:8080", "[::1]:80", "198.18.0.1", "xn--bcher-kva.example", ""}) {
    req = get();
    req.set(field::host, host);
    BOOST_TEST(screen(req) == accepted, host);
  }
  for (auto host : {"a b", "a/b", "a@b", "a\\b", "a\"b"}) {
    req = get();
    req.set(field::host, host);
    BOOST_TEST(screen(req) == status::bad_request, host);
  }
}

BOOST_AUTO_TEST_CASE(request_target_forms) {
  auto req = get();
  req.target("/a/b?c=d");
  BOOST_TEST(screen(req) == accepted);

  req.target("http://example.com/x");  // absolute-form matching Host
  BOOST_TEST(screen(req) == accepted);
  req.target("HTTP://EXAMPLE.COM");
  BOOST_TEST(screen(req) == accepted);
  req.target("http://evil.example/x");  // absolute-form disagreeing with Host
  BOOST_TEST(screen(req) == status::bad_request);
  req.target("ftp://example.com/x");
  BOOST_TEST(screen(req) == status::bad_request);
  req.target("index.html");
  BOOST_TEST(screen(req) == status::bad_request);

  req.target("*");
  BOOST_TEST(screen(req) == status::bad_request);  // only OPTIONS may use '*'
  req.method(bhttp::verb::options);
  BOOST_TEST(screen(req) == accepted);
}

BOOST_AUTO_TEST_CASE(connect_is_not_implemented) {
  auto req = get();
  req.method(bhttp::verb::connect);
  req.target("example.com:443");
  BOOST_TEST(screen(req) == status::not_implemented);
}

BOOST_AUTO_TEST_CASE(header_count_limit) {
  Limits limits;
  limits.max_header_count = 10;
  auto req = get();  // Host is one field
  for (int i = 0; i < 9; ++i) req.insert("X-F" + std::to_string(i), "v");
  BOOST_TEST(screen(req, limits) == accepted);  // exactly 10
  req.insert("X-One-Too-Many", "v");
  auto const v = screen_request(req, limits);
  BOOST_TEST(v.status == status::request_header_fields_too_large);
  BOOST_TEST(v.reason == "too many header fields");
}

BOOST_AUTO_TEST_CASE(control_characters_and_bad_names) {
  auto req = get();
  req.set("X-A", std::string("a\0b", 3));
  BOOST_TEST(screen(req) == status::bad_request);
  req = get();
  req.set("X-A", "a\rb");
  BOOST_TEST(screen(req) == status::bad_request);
  req = get();
  req.set("X-A", "a\x7f");
  BOOST_TEST(screen(req) == status::bad_request);
  req = get();
  req.set("X-A", "tab\tand obs-text \xe9 are fine");
  BOOST_TEST(screen(req) == accepted);
  req = get();
  req.set("Bad Name", "x");
  BOOST_TEST(screen(req) == status::bad_request);
}

BOOST_AUTO_TEST_CASE(content_length_and_transfer_encoding_together) {
  auto req = post();
  req.set(field::content_length, "5");
  req.set(field::transfer_encoding, "chunked");
  auto const v = screen_request(req, Limits{});
  BOOST_TEST(v.status == status::bad_request);
  BOOST_TEST(v.reason == "both Content-Length and Transfer-Encoding");
}

BOOST_AUTO_TEST_CASE(content_length_values) {
  struct Case {
    std::vector<std::string> values;
    status expected;
  };
  const std::vector<Case> cases{
      {{"5"}, accepted},
      {{"0"}, accepted},
      {{"005"}, accepted},
      {{"5", "5"}, accepted},        // identical duplicates are one length
      {{"5, 5"}, accepted},
      {{"5", "6"}, status::bad_request},  // differing fields
      {{"5, 6"}, status::bad_request},    // differing values in one field
      {{"5", "5, 6"}, status::bad_request},
      {{"abc"}, status::bad_request},
      {{"-1"}, status::bad_request},
      {{"+5"}, status::bad_request},
      {{"0x10"}, status::bad_request},
      {{"1e3"}, status::bad_request},
      {{"5 5"}, status::bad_request},
      {{""}, status::bad_request},
      {{"5,"}, status::bad_request},
      {{"18446744073709551615"}, accepted},  // UINT64_MAX
      {{"18446744073709551616"}, status::bad_request},  // overflow
      {{"99999999999999999999999"}, status::bad_request},
  };
  for (auto const& c : cases) {
    auto req = post();
    for (auto const& v : c.values) req.insert(field::content_length, v);
    BOOST_TEST(screen(req) == c.expected, "Content-Length: " << c.values.front());
  }
}

// Agreeing values are accepted and marked to be folded to one field (RFC 9110
// §8.6, HAProxy's rule); one plain value is not marked.
BOOST_AUTO_TEST_CASE(agreeing_content_lengths_are_marked_for_folding) {
  struct Case {
    std::vector<std::string> values;
    bool fold;
  };
  const std::vector<Case> cases{
      {{"5"}, false}, {{"005"}, false}, {{"5", "5"}, true}, {{"5, 5"}, true}, {{"5", "005"}, true},
  };
  for (auto const& c : cases) {
    auto req = post();
    for (auto const& v : c.values) req.insert(field::content_length, v);
    RequestFacts facts;
    BOOST_TEST(screen_request(req, Limits{}, facts).ok());
    BOOST_TEST(facts.fold_content_length == c.fold, "Content-Length: " << c.values.front());
  }
  RequestFacts facts;
  BOOST_TEST(screen_request(get(), Limits{}, facts).ok());
  BOOST_TEST(!facts.fold_content_length);
  auto differing = post();
  differing.insert(field::content_length, "5");
  differing.insert(field::content_length, "6");
  auto const v = screen_request(differing, Limits{}, facts);
  BOOST_TEST(v.status == status::bad_request);
  BOOST_TEST(v.reason == "conflicting Content-Length values");
}

// RFC 9110 §10.1.1: "Expect: 100-continue" in any case is marked (to be
// dropped from the forwarded request); other expectations are not.
BOOST_AUTO_TEST_CASE(expect_100_continue_is_marked) {
  BOOST_TEST(is_100_continue("100-continue"));
  BOOST_TEST(is_100_continue("100-Continue"));
  BOOST_TEST(is_100_continue(" 100-CONTINUE\t"));
  BOOST_TEST(!is_100_continue("100-continue, x"));
  BOOST_TEST(!is_100_continue("101-continue"));
  BOOST_TEST(!is_100_continue(""));

  auto facts_of = [](const bhttp::request_header<>& req) {
    RequestFacts facts;
    BOOST_TEST(screen_request(req, Limits{}, facts).ok());
    return facts;
  };
  auto req = post();
  req.set(field::content_length, "5");
  BOOST_TEST(!facts_of(req).expect_continue);
  req.set(field::expect, "100-Continue");
  BOOST_TEST(facts_of(req).expect_continue);
  req.set(field::expect, "something-else");
  BOOST_TEST(!facts_of(req).expect_continue);
  auto old = get(10);
  old.method(bhttp::verb::post);
  old.set(field::content_length, "5");
  old.set(field::expect, "100-continue");
  BOOST_TEST(facts_of(old).expect_continue);
}

// The proxy answers the 100 itself only while the client waits for it.
BOOST_AUTO_TEST_CASE(continue_is_answered_while_the_client_waits) {
  RequestFacts expects;
  expects.expect_continue = true;
  BOOST_TEST(answer_continue(expects, 11, true, 0));
  BOOST_TEST(!answer_continue(expects, 10, true, 0));  // no 1xx to HTTP/1.0 (RFC 9110 §15.2)
  BOOST_TEST(!answer_continue(expects, 11, false, 0));  // no body to come
  BOOST_TEST(!answer_continue(expects, 11, true, 3));   // the body started: it is not waiting
  BOOST_TEST(!answer_continue(RequestFacts{}, 11, true, 0));
  BOOST_TEST(tandem::lb::http::kContinueResponse == "HTTP/1.1 100 Continue\r\n\r\n");
}

BOOST_AUTO_TEST_CASE(content_length_above_body_limit_is_413) {
  Limits limits;
  limits.max_body_bytes = 1000;
  auto req = post();
  req.set(field::content_length, "1000");
  BOOST_TEST(screen(req, limits) == accepted);
  req.set(field::content_length, "1001");
  BOOST_TEST(screen(req, limits) == status::payload_too_large);
  limits.max_body_bytes.reset();
  BOOST_TEST(screen(req, limits) == accepted);
}

BOOST_AUTO_TEST_CASE(transfer_codings) {
  struct Case {
    std::vector<std::string> values;
    status expected;
  };
  const std::vector<Case> cases{
      {{"chunked"}, accepted},
      {{"Chunked"}, accepted},
      {{"gzip, chunked"}, accepted},
      {{"gzip", "chunked"}, accepted},        // several fields form one list
      {{"gzip,, chunked"}, accepted},         // empty list elements are allowed
      {{"chunked, gzip"}, status::bad_request},  // final coding not chunked
      {{"gzip"}, status::bad_request},
      {{"chunked", "gzip"}, status::bad_request},
      {{"chunked, chunked"}, status::bad_request},
      {{"chunked", "chunked"}, status::bad_request},
      {{""}, status::bad_request},
      {{" , "}, status::bad_request},
      {{"chunked;ext=1"}, status::bad_request},
      {{"\"chunked\""}, status::bad_request},
      {{"foo, chunked"}, status::not_implemented},  // unknown coding
      {{"identity"}, status::not_implemented},
      {{"xchunked"}, status::not_implemented},
  };
  for (auto const& c : cases) {
    auto req = post();
    for (auto const& v : c.values) req.insert(field::transfer_encoding, v);
    BOOST_TEST(screen(req) == c.expected, "Transfer-Encoding: " << c.values.front());
  }
}

// Beast 1.81's fields::equal_range also spans the fields lying between two
// same-name fields; the screen must read only the fields it asks for.
BOOST_AUTO_TEST_CASE(unrelated_fields_between_duplicates_are_ignored) {
  auto req = post();
  req.insert(field::content_length, "5");
  req.insert("X-Between", "6");
  req.insert(field::content_length, "5");
  BOOST_TEST(screen(req) == accepted);

  req = post();
  req.insert(field::transfer_encoding, "gzip");
  req.insert("X-Between", "foo");
  req.insert(field::transfer_encoding, "chunked");
  BOOST_TEST(screen(req) == accepted);
}

BOOST_AUTO_TEST_CASE(transfer_encoding_in_http_1_0_is_rejected) {
  auto req = get(10);
  req.method(bhttp::verb::post);
  req.set(field::transfer_encoding, "chunked");
  BOOST_TEST(screen(req) == status::bad_request);
}

BOOST_AUTO_TEST_CASE(classify_beast_parse_errors) {
  auto code = [](auto e) {
    auto const v = classify_parse_error(make_error_code(e));
    return v ? v->status : status::unknown;
  };
  BOOST_TEST(code(bhttp::error::header_limit) == status::request_header_fields_too_large);
  BOOST_TEST(code(bhttp::error::buffer_overflow) == status::request_header_fields_too_large);
  BOOST_TEST(code(bhttp::error::body_limit) == status::payload_too_large);
  BOOST_TEST(code(bhttp::error::bad_version) == status::http_version_not_supported);
  BOOST_TEST(code(boost::beast::error::timeout) == status::request_timeout);
  for (auto e : {bhttp::error::bad_line_ending, bhttp::error::bad_method, bhttp::error::bad_target,
                 bhttp::error::bad_field, bhttp::error::bad_value,
                 bhttp::error::bad_content_length, bhttp::error::multiple_content_length,
                 bhttp::error::bad_transfer_encoding, bhttp::error::bad_chunk,
                 bhttp::error::bad_chunk_extension, bhttp::error::bad_obs_fold,
                 bhttp::error::partial_message, bhttp::error::unexpected_body})
    BOOST_TEST(code(e) == status::bad_request, make_error_code(e).message());

  // bad_version: 505 for a well-formed other version, 400 for a malformed line.
  auto const bad_version = make_error_code(bhttp::error::bad_version);
  BOOST_TEST(classify_parse_error(bad_version, "GET / HTTP/2.0\r\n")->status ==
             status::http_version_not_supported);
  BOOST_TEST(classify_parse_error(bad_version, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")->status ==
             status::http_version_not_supported);
  for (auto bytes : {"GET / HTTP/1.1\n", "GET / HTTP/1.1 \r\n", "GET / HTTX/1.1\r\n",
                     "GET / HTTP/1.1 ", "GET / HTTP/a.b\r\n", "\r\n"})
    BOOST_TEST(classify_parse_error(bad_version, bytes)->status == status::bad_request, bytes);

  BOOST_TEST(!classify_parse_error({}));
  for (auto e : {bhttp::error::need_more, bhttp::error::end_of_stream, bhttp::error::need_buffer})
    BOOST_TEST(!classify_parse_error(make_error_code(e)));
  BOOST_TEST(!classify_parse_error(boost::asio::error::connection_reset));
  BOOST_TEST(!classify_parse_error(boost::asio::error::operation_aborted));
  BOOST_TEST(!classify_parse_error(boost::asio::error::eof));
}

BOOST_AUTO_TEST_SUITE_END()
