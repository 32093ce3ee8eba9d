// ProbeResponse: what an HTTP health check makes of the server's answer.
#include <boost/test/unit_test.hpp>

#include <string>
#include <string_view>

#include <boost/asio/buffer.hpp>

#include "lb/health/probe_response.h"

namespace tandem::lb {
namespace {

// Feeds BYTES then the close, as async_read does; returns the parse error.
boost::system::error_code feed(ProbeResponse& response, std::string_view bytes) {
  boost::system::error_code ec;
  auto& parser = response.parser();
  while (!bytes.empty() && !parser.is_done()) {
    const auto used = parser.put(boost::asio::buffer(bytes.data(), bytes.size()), ec);
    bytes.remove_prefix(used);
    if (ec || used == 0) break;
  }
  if (!ec && !parser.is_done()) parser.put_eof(ec);
  return ec;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(health_probe_response)

BOOST_AUTO_TEST_CASE(any_2xx_or_3xx_passes_without_expect_status) {
  config::EffectiveHealthCheck check;
  for (const char* head : {"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", "HTTP/1.1 302 Found\r\n\r\n"}) {
    ProbeResponse r;
    BOOST_TEST(!feed(r, head));
    BOOST_TEST(r.verdict(check) == "");
  }
  ProbeResponse down;
  BOOST_TEST(!feed(down, "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n"));
  BOOST_TEST(down.verdict(check) == "status 503");
}

BOOST_AUTO_TEST_CASE(expect_status_must_match_exactly) {
  config::EffectiveHealthCheck check;
  check.expect_status = 204;
  ProbeResponse ok, other;
  BOOST_TEST(!feed(ok, "HTTP/1.1 204 No Content\r\n\r\n"));
  BOOST_TEST(ok.verdict(check) == "");
  BOOST_TEST(!feed(other, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"));
  BOOST_TEST(other.verdict(check) == "status 200");
}

BOOST_AUTO_TEST_CASE(a_body_over_the_limit_is_an_error_not_a_buffer) {
  ProbeResponse r;
  const std::string head = "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(ProbeResponse::kBodyLimit + 1) +
                           "\r\n\r\n";
  BOOST_TEST((feed(r, head) == boost::beast::http::error::body_limit));
}

BOOST_AUTO_TEST_CASE(garbage_is_a_parse_error) {
  ProbeResponse r;
  BOOST_TEST(feed(r, "SSH-2.0-OpenSSH_9.2\r\n").failed());
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace tandem::lb
