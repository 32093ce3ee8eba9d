// failure_status: each failure on the request path maps to its counter and
// to the error response that names it.
#include <boost/test/unit_test.hpp>

#include <boost/asio/error.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/error.hpp>

#include "lb/route/failure_status.h"

namespace tandem::lb {
namespace {

namespace bhttp = boost::beast::http;

bool same(FailureAnswer a, Refusal refusal, http::ErrorCause cause) {
  return a.refusal == refusal && a.cause == cause;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(route_failure_status)

BOOST_AUTO_TEST_CASE(connection_failures_map_to_their_cause) {
  BOOST_TEST(same(answer_for(UpstreamFailure::no_server), Refusal::no_server, http::ErrorCause::no_server));
  BOOST_TEST(same(answer_for(UpstreamFailure::queue_full), Refusal::queue_full, http::ErrorCause::queue_full));
  BOOST_TEST(same(answer_for(UpstreamFailure::queue_timeout), Refusal::queue_timeout, http::ErrorCause::queue_timeout));
  BOOST_TEST(same(answer_for(UpstreamFailure::connect_failed), Refusal::bad_gateway, http::ErrorCause::connect_failed));
  BOOST_TEST(same(answer_for_send_failure(), Refusal::bad_gateway, http::ErrorCause::send_failed));
  BOOST_TEST(http::status_for(answer_for(UpstreamFailure::queue_full).cause) == bhttp::status::service_unavailable);
}

BOOST_AUTO_TEST_CASE(l4_knows_only_connect_failures_and_no_server) {
  BOOST_TEST((l4_refusal_for(UpstreamFailure::connect_failed) == Refusal::bad_gateway));
  BOOST_TEST((l4_refusal_for(UpstreamFailure::queue_full) == Refusal::no_server));
  BOOST_TEST((l4_refusal_for(UpstreamFailure::no_server) == Refusal::no_server));
  BOOST_TEST(std::string(l4_reason(UpstreamFailure::connect_failed)) == "connect_failed");
  BOOST_TEST(std::string(l4_reason(UpstreamFailure::queue_timeout)) == "no_server");
}

BOOST_AUTO_TEST_CASE(response_errors_are_a_timeout_bad_bytes_or_a_server_gone) {
  BOOST_TEST((classify_response_error(boost::beast::error::timeout) == ResponseFault::timeout));
  BOOST_TEST((classify_response_error(bhttp::error::bad_version) == ResponseFault::invalid));
  BOOST_TEST((classify_response_error(bhttp::error::bad_field) == ResponseFault::invalid));
  BOOST_TEST((classify_response_error(bhttp::error::end_of_stream) == ResponseFault::closed));
  BOOST_TEST((classify_response_error(bhttp::error::partial_message) == ResponseFault::closed));
  BOOST_TEST((classify_response_error(boost::asio::error::connection_reset) == ResponseFault::closed));
}

BOOST_AUTO_TEST_CASE(response_faults_map_to_502_or_504) {
  BOOST_TEST(same(answer_for(ResponseFault::timeout), Refusal::gateway_timeout, http::ErrorCause::response_timeout));
  BOOST_TEST(same(answer_for(ResponseFault::invalid), Refusal::bad_gateway, http::ErrorCause::response_invalid));
  BOOST_TEST(same(answer_for(ResponseFault::closed), Refusal::bad_gateway, http::ErrorCause::response_closed));
  BOOST_TEST(std::string(passive_cause(ResponseFault::timeout)) == "response timeout");
  BOOST_TEST(std::string(passive_cause(ResponseFault::closed)) == "response failed");
}

BOOST_AUTO_TEST_CASE(refused_requests_count_by_status) {
  BOOST_TEST((refusal_for(bhttp::status::request_header_fields_too_large) == Refusal::header_too_large));
  BOOST_TEST((refusal_for(bhttp::status::payload_too_large) == Refusal::body_too_large));
  BOOST_TEST((refusal_for(bhttp::status::request_timeout) == Refusal::header_timeout));
  BOOST_TEST((refusal_for(bhttp::status::bad_request) == Refusal::bad_request));
  BOOST_TEST((refusal_for(bhttp::status::not_implemented) == Refusal::bad_request));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace tandem::lb
