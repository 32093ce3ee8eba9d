// Unit tests for lb/http/error_response: exact bytes for 503, and every
// status parsed back through Beast's response parser.
#include "lb/http/error_response.h"

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/test/unit_test.hpp>

#include <string>

namespace bhttp = boost::beast::http;
using bhttp::status;
using tandem::lb::http::error_closes_connection;
using tandem::lb::http::error_response;
using tandem::lb::http::ErrorCause;
using tandem::lb::http::ErrorStyle;
using tandem::lb::http::status_for;

namespace {

constexpr status all[] = {status::bad_request,
                          status::request_timeout,
                          status::payload_too_large,
                          status::request_header_fields_too_large,
                          status::not_implemented,
                          status::bad_gateway,
                          status::service_unavailable,
                          status::gateway_timeout,
                          status::http_version_not_supported};

// Parses `bytes` as one complete response; fails the test otherwise.
bhttp::response<bhttp::string_body> parse(const std::string& bytes, bool head = false) {
  bhttp::response_parser<bhttp::string_body> parser;
  parser.skip(head);
  parser.eager(true);
  boost::system::error_code ec;
  auto const used = parser.put(boost::asio::buffer(bytes), ec);
  BOOST_TEST(!ec, ec.message());
  BOOST_TEST(parser.is_done());
  BOOST_TEST(used == bytes.size());
  return parser.release();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(http_error_response)

BOOST_AUTO_TEST_CASE(exact_503) {
  BOOST_TEST(error_response(status::service_unavailable) ==
             "HTTP/1.1 503 Service Unavailable\r\n"
             "Content-Type: text/plain\r\n"
             "Content-Length: 72\r\n"
             "Cache-Control: no-cache\r\n"
             "Connection: close\r\n"
             "\r\n"
             "503 Service Unavailable: no server is available to handle this request.\n");
}

BOOST_AUTO_TEST_CASE(every_cause_names_itself) {
  const std::pair<ErrorCause, std::string> expected[] = {
      {ErrorCause::no_server, "503 Service Unavailable: no server is available to handle this request.\n"},
      {ErrorCause::queue_full,
       "503 Service Unavailable: every server is at its connection limit and the wait queue is full.\n"},
      {ErrorCause::queue_timeout, "503 Service Unavailable: no server had a free connection slot in time.\n"},
      {ErrorCause::connect_failed, "502 Bad Gateway: could not connect to any server.\n"},
      {ErrorCause::send_failed,
       "502 Bad Gateway: the connection to the server failed while sending the request.\n"},
      {ErrorCause::response_invalid, "502 Bad Gateway: the server sent an invalid response.\n"},
      {ErrorCause::response_closed,
       "502 Bad Gateway: the server closed the connection before a complete response.\n"},
      {ErrorCause::response_timeout, "504 Gateway Timeout: the server did not respond in time.\n"},
  };
  for (const auto& [cause, body] : expected) {
    const auto res = parse(error_response(cause));
    BOOST_TEST(res.body() == body);
    BOOST_TEST(res.result() == status_for(cause));
    BOOST_TEST(!res.keep_alive());
    // Keep-alive is allowed for these (none of them spoils the request stream).
    BOOST_TEST(parse(error_response(cause, {true, false})).keep_alive());
    const auto head = parse(error_response(cause, {false, true}), true);
    BOOST_TEST(head.body().empty());
  }
  // A failed connect never blames the server's response.
  BOOST_TEST(error_response(ErrorCause::connect_failed).find("invalid") == std::string::npos);
  BOOST_TEST(status_for(ErrorCause::connect_failed) == status::bad_gateway);
  BOOST_TEST(status_for(ErrorCause::no_server) == status::service_unavailable);
  BOOST_TEST(status_for(ErrorCause::response_timeout) == status::gateway_timeout);
}

BOOST_AUTO_TEST_CASE(every_status_is_a_well_formed_response) {
  for (auto s : all) {
    auto const res = parse(error_response(s));
    BOOST_TEST(res.result() == s);
    BOOST_TEST(res.version() == 11u);
    BOOST_TEST(res[bhttp::field::content_type] == "text/plain");
    BOOST_TEST(!res.keep_alive());
    BOOST_TEST(res.body().starts_with(std::to_string(static_cast<unsigned>(s)) + " "));
    BOOST_TEST(res.body().ends_with(".\n"));
    BOOST_TEST(res.body().size() < 100u);
  }
}

BOOST_AUTO_TEST_CASE(keep_alive_only_where_the_stream_is_intact) {
  for (auto s : all) {
    auto const res = parse(error_response(s, {.keep_alive = true}));
    BOOST_TEST(res.keep_alive() == !error_closes_connection(s), res.result_int());
  }
  BOOST_TEST(!error_closes_connection(status::service_unavailable));
  BOOST_TEST(!error_closes_connection(status::bad_gateway));
  BOOST_TEST(!error_closes_connection(status::gateway_timeout));
  BOOST_TEST(error_closes_connection(status::bad_request));
  BOOST_TEST(error_closes_connection(status::request_header_fields_too_large));
  BOOST_TEST(error_response(status::service_unavailable, {.keep_alive = true})
                 .find("Connection: keep-alive\r\n") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(head_gets_headers_only) {
  auto const& full = error_response(status::gateway_timeout);
  auto const& head = error_response(status::gateway_timeout, {.head_request = true});
  BOOST_TEST(head.ends_with("\r\n\r\n"));
  BOOST_TEST(full.starts_with(head));  // same Content-Length, no body
  auto const res = parse(head, true);
  BOOST_TEST(res.body().empty());
}

BOOST_AUTO_TEST_CASE(rendered_once) {
  auto const* a = &error_response(status::bad_gateway);
  auto const* b = &error_response(status::bad_gateway);
  BOOST_TEST(a == b);
}

BOOST_AUTO_TEST_CASE(other_statuses_fall_back_to_500) {
  auto const res = parse(error_response(static_cast<status>(418)));
  BOOST_TEST(res.result_int() == 500u);
  BOOST_TEST(error_closes_connection(static_cast<status>(418)));
}

BOOST_AUTO_TEST_SUITE_END()
