// Unit tests for lb/h2/request_head and preface: an HTTP/2 request header
// becomes the HTTP/1.1 one that goes upstream; response fields that may not
// cross HTTP/2 stay behind; the client preface is recognised from its start.
#include "lb/h2/preface.h"
#include "lb/h2/request_head.h"

#include <boost/test/unit_test.hpp>

using namespace tandem::lb::h2;
namespace bhttp = boost::beast::http;

namespace {
RequestHead head_of(std::initializer_list<std::pair<std::string_view, std::string_view>> fields,
                    std::size_t max_bytes = 16384, std::size_t max_count = 100) {
  RequestHead h;
  for (auto [n, v] : fields) h.add(n, v, max_bytes, max_count);
  return h;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(h2_request_head)

BOOST_AUTO_TEST_CASE(pseudo_fields_become_the_request_line_and_host) {
  auto h = head_of({{":method", "GET"}, {":scheme", "http"}, {":authority", "example.com:8080"}, {":path", "/a?b=1"},
                    {"accept", "*/*"}});
  bhttp::request_header<> req;
  BOOST_TEST(to_http1(h, req));
  BOOST_TEST(req.method_string() == "GET");
  BOOST_TEST(req.target() == "/a?b=1");
  BOOST_TEST(req.version() == 11u);
  BOOST_TEST(req[bhttp::field::host] == "example.com:8080");
  BOOST_TEST(req["accept"] == "*/*");
}

BOOST_AUTO_TEST_CASE(authority_wins_over_host_and_host_alone_serves) {
  auto both = head_of({{":method", "GET"}, {":authority", "a.example"}, {":path", "/"}, {"host", "b.example"}});
  bhttp::request_header<> req;
  BOOST_TEST(to_http1(both, req));
  BOOST_TEST(req.count(bhttp::field::host) == 1u);
  BOOST_TEST(req[bhttp::field::host] == "a.example");
  auto host_only = head_of({{":method", "GET"}, {":path", "/"}, {"host", "b.example"}});
  bhttp::request_header<> req2;
  BOOST_TEST(to_http1(host_only, req2));
  BOOST_TEST(req2[bhttp::field::host] == "b.example");
}

BOOST_AUTO_TEST_CASE(split_cookies_are_joined) {
  auto h = head_of({{":method", "GET"}, {":authority", "a"}, {":path", "/"}, {"cookie", "a=1"}, {"cookie", "TDM=s2"}});
  bhttp::request_header<> req;
  BOOST_TEST(to_http1(h, req));
  BOOST_TEST(req.count(bhttp::field::cookie) == 1u);
  BOOST_TEST(req[bhttp::field::cookie] == "a=1; TDM=s2");
}

BOOST_AUTO_TEST_CASE(no_path_no_host_or_connect_is_refused) {
  bhttp::request_header<> req;
  BOOST_TEST(!to_http1(head_of({{":method", "GET"}, {":authority", "a"}}), req));
  BOOST_TEST(!to_http1(head_of({{":method", "GET"}, {":path", "/"}}), req));
  BOOST_TEST(!to_http1(head_of({{":method", "CONNECT"}, {":authority", "a:443"}}), req));
}

BOOST_AUTO_TEST_CASE(the_list_limit_counts_32_bytes_a_field) {
  // RFC 9113 §10.5.1: ":path" + "/" + 32 = 38 bytes.
  auto fits = head_of({{":path", "/"}, {"a", std::string(100, 'x')}}, 38 + 1 + 100 + 32, 100);
  BOOST_TEST(!fits.over_limit);
  auto over = head_of({{":path", "/"}, {"a", std::string(101, 'x')}}, 38 + 1 + 100 + 32, 100);
  BOOST_TEST(over.over_limit);
  BOOST_TEST(over.fields.empty());  // not kept past the limit
  auto many = head_of({{":path", "/"}, {"a", "1"}, {"b", "2"}}, 16384, 2);
  BOOST_TEST(many.over_limit);
}

BOOST_AUTO_TEST_CASE(connection_specific_fields_stay_behind) {
  bhttp::response_header<> res;
  res.set("Content-Type", "text/plain");
  res.set("Connection", "keep-alive");
  res.set("Keep-Alive", "timeout=5");
  res.set("Transfer-Encoding", "chunked");
  res.set("Set-Cookie", "TDM=s1");
  tandem::lb::http::Arena arena;
  std::vector<FieldView> fields;
  h2_response_fields(res, arena, fields);
  BOOST_TEST(fields.size() == 2u);
  BOOST_TEST(fields[0].first == "content-type");
  BOOST_TEST(fields[1].first == "set-cookie");
  BOOST_TEST(!allowed_in_h2_response("upgrade"));
  BOOST_TEST(!allowed_in_h2_response("proxy-connection"));
}

BOOST_AUTO_TEST_CASE(the_preface_is_recognised_from_its_first_bytes) {
  BOOST_TEST(starts_h2_preface(kClientPreface));
  BOOST_TEST(starts_h2_preface(std::string(kClientPreface) + "\x00\x00\x00\x04"));
  BOOST_TEST(starts_h2_preface("PRI * HT"));
  BOOST_TEST(!starts_h2_preface("PR"));  // too short to tell
  BOOST_TEST(!starts_h2_preface("GET / HTTP/1.1\r\n"));
  BOOST_TEST(!starts_h2_preface("PRI * HTTP/1.1\r\n"));
  BOOST_TEST(!starts_h2_preface("PRIX"));
}

BOOST_AUTO_TEST_SUITE_END()
