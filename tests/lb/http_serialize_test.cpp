// serialize_header must write exactly what Beast's serializer writes for the
// same header: the relay sends our bytes where Beast's used to go.
#include "lb/http/serialize.h"

#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/test/unit_test.hpp>

#include <string>

namespace bhttp = boost::beast::http;
using tandem::lb::http::chunk_size_line;
using tandem::lb::http::kMaxChunkSizeLine;
using tandem::lb::http::serialize_header;

namespace {

template <bool isRequest>
std::string beast_header(bhttp::message<isRequest, bhttp::empty_body>& msg) {
  bhttp::serializer<isRequest, bhttp::empty_body> sr{msg};
  sr.split(true);
  std::string out;
  boost::system::error_code ec;
  while (!sr.is_header_done()) {
    sr.next(ec, [&](boost::system::error_code&, const auto& buffers) {
      const auto bytes = boost::beast::buffers_to_string(buffers);
      out += bytes;
      sr.consume(bytes.size());
    });
  }
  return out;
}

template <class Header>
std::string ours(const Header& h) {
  std::string out;
  serialize_header(h, out);
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(http_serialize)

BOOST_AUTO_TEST_CASE(request_matches_beast) {
  bhttp::request<bhttp::empty_body> req{bhttp::verb::get, "/a?b=c", 11};
  req.set(bhttp::field::host, "example.test");
  req.insert("X-Custom", "one");
  req.insert("x-custom", "two");
  req.set(bhttp::field::user_agent, "wrk");
  BOOST_TEST(ours(req.base()) == beast_header(req));
  BOOST_TEST(ours(req.base()) ==
             "GET /a?b=c HTTP/1.1\r\nHost: example.test\r\nX-Custom: one\r\nx-custom: two\r\nUser-Agent: wrk\r\n\r\n");
}

BOOST_AUTO_TEST_CASE(unknown_method_and_http10) {
  bhttp::request<bhttp::empty_body> req;
  req.method_string("PURGE");
  req.target("/");
  req.version(10);
  BOOST_TEST(ours(req.base()) == beast_header(req));
  BOOST_TEST(ours(req.base()) == "PURGE / HTTP/1.0\r\n\r\n");
}

BOOST_AUTO_TEST_CASE(response_reason_kept_or_standard) {
  bhttp::response<bhttp::empty_body> res{bhttp::status::ok, 11};
  res.reason("Fine");
  res.set(bhttp::field::content_length, "64");
  BOOST_TEST(ours(res.base()) == beast_header(res));
  BOOST_TEST(ours(res.base()) == "HTTP/1.1 200 Fine\r\nContent-Length: 64\r\n\r\n");
  res.reason("");
  res.result(404);
  BOOST_TEST(ours(res.base()) == beast_header(res));
  res.result(299);  // no standard reason
  BOOST_TEST(ours(res.base()) == beast_header(res));
}

BOOST_AUTO_TEST_CASE(chunk_size_lines) {
  char line[kMaxChunkSizeLine];
  BOOST_TEST(std::string(line, chunk_size_line(1, line)) == "1\r\n");
  BOOST_TEST(std::string(line, chunk_size_line(16384, line)) == "4000\r\n");
  BOOST_TEST(std::string(line, chunk_size_line(0xabc, line)) == "abc\r\n");
  BOOST_TEST(std::string(line, chunk_size_line(SIZE_MAX, line)) == "ffffffffffffffff\r\n");
}

BOOST_AUTO_TEST_SUITE_END()
