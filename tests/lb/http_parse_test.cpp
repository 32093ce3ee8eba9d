// Raw bytes through Beast 1.81's request parser, then screen_request, as the
// runtime does: which malformed shapes Beast rejects itself (mapped by
// classify_parse_error), which it lets through for the screen to catch.
#include "lb/http/request_screen.h"

#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <string>
#include <string_view>

namespace bhttp = boost::beast::http;
using bhttp::status;
using tandem::lb::http::apply_limits;
using tandem::lb::http::classify_parse_error;
using tandem::lb::http::Limits;
using tandem::lb::http::screen_request;
using tandem::lb::http::Verdict;

namespace {

struct Outcome {
  Verdict verdict;                 // rejection, or accept
  boost::system::error_code ec;    // Beast's error, if it rejected
  bool complete = false;           // a whole request was read
  std::string body;
  bhttp::request_header<> header;  // as parsed, when the header was complete
};

// Feeds `bytes` to a parser `step` bytes at a time, screens the header once
// it is parsed, and ends with put_eof when the bytes run out.
Outcome run(std::string_view bytes, const Limits& limits = {}, std::size_t step = SIZE_MAX) {
  Outcome out;
  bhttp::request_parser<bhttp::string_body> parser;
  apply_limits(parser, limits);
  parser.eager(true);
  std::string pending;
  bool screened = false;
  auto fail = [&](boost::system::error_code ec) {
    out.ec = ec;
    auto const v = classify_parse_error(ec, pending);
    BOOST_REQUIRE_MESSAGE(v.has_value(), "no verdict for " << ec.message());
    out.verdict = *v;
    return out;
  };
  for (;;) {
    auto const take = std::min(step, bytes.size());
    pending.append(bytes.substr(0, take));
    bytes.remove_prefix(take);
    boost::system::error_code ec;
    while (!pending.empty() && !parser.is_done()) {
      auto const used = parser.put(boost::asio::buffer(pending), ec);
      pending.erase(0, used);
      if (ec == bhttp::error::need_more) break;
      if (ec) return fail(ec);
      if (parser.is_header_done() && !screened) {
        screened = true;
        out.header = parser.get().base();
        out.verdict = screen_request(parser.get().base(), limits);
        if (!out.verdict.ok()) return out;
      }
      if (used == 0) break;
    }
    if (parser.is_done()) break;
    if (bytes.empty()) {
      parser.put_eof(ec);
      if (ec) return fail(ec);
      break;
    }
  }
  if (parser.is_header_done() && !screened) {
    out.header = parser.get().base();
    out.verdict = screen_request(parser.get().base(), limits);
    if (!out.verdict.ok()) return out;
  }
  out.complete = parser.is_done();
  out.body = parser.get().body();
  return out;
}

// The status of each way of feeding `bytes` (whole, byte by byte); checks they agree.
status outcome_status(std::string_view bytes, const Limits& limits = {}) {
  auto const whole = run(bytes, limits);
  auto const bytewise = run(bytes, limits, 1);
  BOOST_TEST(whole.verdict.status == bytewise.verdict.status, "feeding byte by byte differs");
  return whole.verdict.status;
}

constexpr status accepted = status::unknown;

}  // namespace

BOOST_AUTO_TEST_SUITE(http_parse)

BOOST_AUTO_TEST_CASE(well_formed_requests_pass) {
  auto const get = run("GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
  BOOST_TEST(get.verdict.ok());
  BOOST_TEST(get.complete);

  auto const chunked = run(
      "POST /u HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nTrailer-A: b\r\n\r\n");
  BOOST_TEST(chunked.verdict.ok());
  BOOST_TEST(chunked.complete);
  BOOST_TEST(chunked.body == "hello world");

  auto const sized = run("POST /u HTTP/1.0\r\nContent-Length: 3\r\n\r\nabc", {}, 1);
  BOOST_TEST(sized.verdict.ok());
  BOOST_TEST(sized.body == "abc");
}

BOOST_AUTO_TEST_CASE(malformed_chunking_is_a_parse_error) {
  auto const head = std::string("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
  for (auto const* body : {
           "zz\r\nhello\r\n0\r\n\r\n",             // chunk-size not hex
           "5 junk\r\nhello\r\n0\r\n\r\n",         // garbage after chunk-size
           "5\r\nhelloXX0\r\n\r\n",                // missing CRLF after chunk data
           "5\r\nhello\n0\r\n\r\n",                // bare LF after chunk data
           "5\nhello\r\n0\r\n\r\n",                // bare LF after chunk-size
           "-5\r\nhello\r\n0\r\n\r\n",             // negative size
           "fffffffffffffffff\r\n",                // chunk-size overflow
           "5;=x\r\nhello\r\n0\r\n\r\n",           // bad chunk extension
       }) {
    auto const o = run(head + body);
    BOOST_TEST(o.ec.failed(), body);
    BOOST_TEST(o.verdict.status == status::bad_request, body);
  }
}

BOOST_AUTO_TEST_CASE(truncated_request_is_400_at_eof) {
  auto const o = run("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc");
  BOOST_TEST(o.ec == make_error_code(bhttp::error::partial_message));
  BOOST_TEST(o.verdict.status == status::bad_request);
  BOOST_TEST(run("GET / HTTP/1.1\r\nHost: x\r\n").verdict.status == status::bad_request);
}

BOOST_AUTO_TEST_CASE(smuggling_shapes_rejected_by_beast_or_screen) {
  // Beast itself refuses these:
  BOOST_TEST(outcome_status("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                            "Transfer-Encoding: chunked\r\n\r\n") == status::bad_request);
  BOOST_TEST(outcome_status("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                            "Content-Length: 5\r\n\r\n") == status::bad_request);
  BOOST_TEST(outcome_status("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5, 6\r\n\r\n") ==
             status::bad_request);
  BOOST_TEST(outcome_status("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                            "Content-Length: 6\r\n\r\n") == status::bad_request);
  BOOST_TEST(outcome_status("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: +5\r\n\r\n") ==
             status::bad_request);
  BOOST_TEST(outcome_status("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                            "Transfer-Encoding: chunked\r\n\r\n") == status::bad_request);

  // Beast lets these through (it reads them as bodiless or as chunked); the screen refuses:
  BOOST_TEST(run("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n"
                 "Content-Length: 5\r\n\r\nhello").ec == boost::system::error_code{});
  BOOST_TEST(outcome_status("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n"
                            "Content-Length: 5\r\n\r\nhello") == status::bad_request);
  BOOST_TEST(outcome_status("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip\r\n"
                            "\r\n") == status::bad_request);
  BOOST_TEST(outcome_status("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n"
                            "\r\n") == status::bad_request);
  BOOST_TEST(outcome_status("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: foo, chunked\r\n"
                            "\r\n0\r\n\r\n") == status::not_implemented);
  BOOST_TEST(outcome_status("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n") ==
             status::bad_request);
  BOOST_TEST(outcome_status("GET / HTTP/1.1\r\n\r\n") == status::bad_request);  // no Host
  BOOST_TEST(outcome_status("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n") ==
             status::bad_request);

  // Identical duplicates are one length (RFC 9110 §8.6), as HAProxy accepts them.
  BOOST_TEST(outcome_status("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                            "Content-Length: 5\r\n\r\nhello") == accepted);
}

BOOST_AUTO_TEST_CASE(whitespace_and_line_oddities) {
  // Beast refuses whitespace before the colon, bare LF, NUL and a leading space.
  BOOST_TEST(outcome_status("GET / HTTP/1.1\r\nHost : x\r\n\r\n") == status::bad_request);
  BOOST_TEST(outcome_status("GET / HTTP/1.1\r\nHost\t: x\r\n\r\n") == status::bad_request);
  BOOST_TEST(outcome_status("GET / HTTP/1.1\nHost: x\n\n") == status::bad_request);
  BOOST_TEST(outcome_status("GET / HTTP/1.1\r\nHost: x\nX: y\r\n\r\n") == status::bad_request);
  BOOST_TEST(outcome_status(std::string_view("GET / HTTP/1.1\r\nHost: x\0y\r\n\r\n", 30)) ==
             status::bad_request);
  BOOST_TEST(outcome_status("GET / HTTP/1.1\r\n Host: x\r\n\r\n") == status::bad_request);
  BOOST_TEST(outcome_status("GET  / HTTP/1.1\r\nHost: x\r\n\r\n") == status::bad_request);
  BOOST_TEST(outcome_status("GET / HTTP/1.1 \r\nHost: x\r\n\r\n") == status::bad_request);

  // obs-fold is unfolded into SP (RFC 9112 §5.2 allows it), so the screen sees
  // the real value: a folded Transfer-Encoding is still caught.
  auto const folded = run("GET / HTTP/1.1\r\nHost: x\r\nX-A: a\r\n  b\r\n\r\n");
  BOOST_TEST(folded.verdict.ok());
  BOOST_TEST(folded.header["X-A"] == "a b");
  auto const folded_te = run("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip,\r\n chunked"
                             "\r\nContent-Length: 3\r\n\r\nabc");
  BOOST_TEST(folded_te.verdict.status == status::bad_request);
  auto const folded_cl = run("POST / HTTP/1.1\r\nHost: x\r\nContent-Length:\r\n 3\r\n\r\nabc");
  BOOST_TEST(folded_cl.verdict.ok());
  BOOST_TEST(folded_cl.body == "abc");
}

BOOST_AUTO_TEST_CASE(http_versions) {
  BOOST_TEST(outcome_status("GET / HTTP/1.0\r\n\r\n") == accepted);
  for (auto const* line : {"GET / HTTP/1.2\r\n\r\n", "GET / HTTP/2.0\r\n\r\n",
                           "GET / HTTP/0.9\r\n\r\n", "GET / HTTP/9.9\r\n\r\n"})
    BOOST_TEST(outcome_status(line) == status::http_version_not_supported, line);
  BOOST_TEST(outcome_status("GET / HTTX/1.1\r\n\r\n") != accepted);
}

BOOST_AUTO_TEST_CASE(header_limit_is_431) {
  Limits limits;
  limits.max_header_bytes = 1024;
  auto const fits = "GET / HTTP/1.1\r\nHost: x\r\nX-Pad: " + std::string(900, 'a') + "\r\n\r\n";
  BOOST_TEST(outcome_status(fits, limits) == accepted);

  auto const big = "GET / HTTP/1.1\r\nHost: x\r\nX-Pad: " + std::string(2000, 'a') + "\r\n\r\n";
  auto const o = run(big, limits);
  BOOST_TEST(o.ec == make_error_code(bhttp::error::header_limit));
  BOOST_TEST(o.verdict.status == status::request_header_fields_too_large);
  BOOST_TEST(run(big, limits, 1).verdict.status == status::request_header_fields_too_large);

  std::string many = "GET / HTTP/1.1\r\nHost: x\r\n";
  for (int i = 0; i < 200; ++i) many += "A" + std::to_string(i) + ": v\r\n";
  many += "\r\n";
  BOOST_TEST(outcome_status(many, limits) == status::request_header_fields_too_large);
  limits.max_header_bytes = 1 << 20;
  BOOST_TEST(outcome_status(many, limits) == status::request_header_fields_too_large);  // count
  limits.max_header_count = 1000;
  BOOST_TEST(outcome_status(many, limits) == accepted);
}

BOOST_AUTO_TEST_CASE(body_limit_is_413) {
  Limits limits;
  limits.max_body_bytes = 4;
  BOOST_TEST(outcome_status("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nabcd",
                            limits) == accepted);
  auto const sized = run("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nabcde", limits);
  BOOST_TEST(sized.ec == make_error_code(bhttp::error::body_limit));  // Beast checks before the screen runs
  BOOST_TEST(sized.verdict.status == status::payload_too_large);
  BOOST_TEST(outcome_status("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                            "3\r\nabc\r\n3\r\ndef\r\n0\r\n\r\n",
                            limits) == status::payload_too_large);
}

// RFC 9112's framing rules, one row each, as the proxy answers them (Beast
// and screen_request together; whole and byte by byte agree). accepted: the
// request is forwarded (with the edits hop_by_hop makes).
BOOST_AUTO_TEST_CASE(rfc9112_framing_table) {
  struct Row {
    const char* rule;
    std::string_view bytes;
    status expected;
  };
  using namespace std::string_view_literals;
  const Row rows[] = {
      // §3 request line
      {"§3 origin-form", "GET /a?b HTTP/1.1\r\nHost: x\r\n\r\n"sv, accepted},
      {"§3.2.2 absolute-form", "GET http://x/a HTTP/1.1\r\nHost: x\r\n\r\n"sv, accepted},
      {"§3.2.3 authority-form outside CONNECT", "GET x:80 HTTP/1.1\r\nHost: x\r\n\r\n"sv, status::bad_request},
      {"§3 two spaces after the method", "GET  / HTTP/1.1\r\nHost: x\r\n\r\n"sv, status::bad_request},
      {"§3 tab as separator", "GET\t/ HTTP/1.1\r\nHost: x\r\n\r\n"sv, status::bad_request},
      {"§3 trailing space after the version", "GET / HTTP/1.1 \r\nHost: x\r\n\r\n"sv, status::bad_request},
      {"§3 no target", "GET HTTP/1.1\r\nHost: x\r\n\r\n"sv, status::bad_request},
      {"§2.3 lower-case version", "GET / http/1.1\r\nHost: x\r\n\r\n"sv, status::bad_request},
      // §2.2 line ends
      {"§2.2 bare CR in the request line", "GET /\r HTTP/1.1\r\nHost: x\r\n\r\n"sv, status::bad_request},
      {"§2.2 bare CR in a field value", "GET / HTTP/1.1\r\nHost: x\rX: y\r\n\r\n"sv, status::bad_request},
      {"§2.2 bare LF ending a field line", "GET / HTTP/1.1\r\nHost: x\nX: y\r\n\r\n"sv, status::bad_request},
      // §5 fields
      {"§5.1 space before the colon", "GET / HTTP/1.1\r\nHost : x\r\n\r\n"sv, status::bad_request},
      {"§5.2 obs-fold unfolded", "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n"sv, accepted},
      {"§2.2 whitespace before the first field", "GET / HTTP/1.1\r\n Host: x\r\n\r\n"sv, status::bad_request},
      // §3.2 Host
      {"§3.2 HTTP/1.1 without Host", "GET / HTTP/1.1\r\n\r\n"sv, status::bad_request},
      {"§3.2 two Host fields", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"sv, status::bad_request},
      {"§3.2 HTTP/1.0 without Host", "GET / HTTP/1.0\r\n\r\n"sv, accepted},
      // §6.3 Content-Length
      {"§6.3 valid Content-Length", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"sv, accepted},
      {"§6.3 non-numeric Content-Length", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n"sv,
       status::bad_request},
      {"§6.3 signed Content-Length", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n"sv,
       status::bad_request},
      {"§6.3 empty Content-Length", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length:\r\n\r\n"sv,
       status::bad_request},
      {"§6.3 differing Content-Length values", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3, 4\r\n\r\nabc"sv,
       status::bad_request},
      {"§6.3 agreeing Content-Length fields fold",
       "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc"sv, accepted},
      // §6.1, §6.3 Transfer-Encoding
      {"§6.3 Transfer-Encoding with Content-Length",
       "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n"sv,
       status::bad_request},
      {"§6.3 chunked not the final coding", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip\r\n\r\n"sv,
       status::bad_request},
      {"§6.1 unknown coding before chunked",
       "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: foo, chunked\r\n\r\n0\r\n\r\n"sv, status::not_implemented},
      {"§6.1 Transfer-Encoding in HTTP/1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"sv,
       status::bad_request},
      // §7.1 chunked coding
      {"§7.1 chunks and the last chunk",
       "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"sv, accepted},
      {"§7.1 upper-case hex size",
       "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nA\r\n0123456789\r\n0\r\n\r\n"sv, accepted},
      {"§7.1.1 chunk extensions ignored",
       "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3;a=b;c=\"d\"\r\nabc\r\n0\r\n\r\n"sv,
       accepted},
      {"§7.1.1 malformed chunk extension",
       "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3;=b\r\nabc\r\n0\r\n\r\n"sv,
       status::bad_request},
      {"§7.1.2 trailer fields",
       "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nX-T: 1\r\n\r\n"sv,
       accepted},
      {"§7.1 non-hex chunk size",
       "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n"sv,
       status::bad_request},
      {"§7.1 chunk data longer than its size",
       "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n"sv,
       status::bad_request},
      {"§7.1 chunk size overflows",
       "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffff\r\n"sv,
       status::bad_request},
      {"§7.1 body cut short (no last chunk)",
       "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n"sv, status::bad_request},
      // §9.3 message body length: a request without either is bodiless
      {"§6.3 no length: no body", "POST / HTTP/1.1\r\nHost: x\r\n\r\n"sv, accepted},
  };
  for (const auto& row : rows) BOOST_TEST(outcome_status(row.bytes) == row.expected, row.rule);
}

BOOST_AUTO_TEST_SUITE_END()
