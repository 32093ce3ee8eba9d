#include "lb/route/failure_status.h"

#include <boost/beast/core/error.hpp>
#include <boost/beast/http/error.hpp>

namespace tandem::lb {

namespace bhttp = boost::beast::http;

FailureAnswer answer_for(UpstreamFailure failure) {
  switch (failure) {
    case UpstreamFailure::connect_failed: return {Refusal::bad_gateway, http::ErrorCause::connect_failed};
    case UpstreamFailure::queue_full: return {Refusal::queue_full, http::ErrorCause::queue_full};
    case UpstreamFailure::queue_timeout: return {Refusal::queue_timeout, http::ErrorCause::queue_timeout};
    default: return {Refusal::no_server, http::ErrorCause::no_server};
  }
}

FailureAnswer answer_for_send_failure() { return {Refusal::bad_gateway, http::ErrorCause::send_failed}; }

FailureAnswer answer_for(ResponseFault fault) {
  switch (fault) {
    case ResponseFault::timeout: return {Refusal::gateway_timeout, http::ErrorCause::response_timeout};
    case ResponseFault::invalid: return {Refusal::bad_gateway, http::ErrorCause::response_invalid};
    default: return {Refusal::bad_gateway, http::ErrorCause::response_closed};
  }
}

Refusal l4_refusal_for(UpstreamFailure failure) {
  return failure == UpstreamFailure::connect_failed ? Refusal::bad_gateway : Refusal::no_server;
}

const char* l4_reason(UpstreamFailure failure) {
  return failure == UpstreamFailure::connect_failed ? "connect_failed" : "no_server";
}

ResponseFault classify_response_error(const boost::system::error_code& ec) {
  if (ec == boost::beast::error::timeout) return ResponseFault::timeout;
  const bool parse_error = ec.category() == bhttp::make_error_code(bhttp::error::bad_version).category() &&
                           ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message;
  return parse_error ? ResponseFault::invalid : ResponseFault::closed;
}

const char* passive_cause(ResponseFault fault) {
  return fault == ResponseFault::timeout ? "response timeout" : "response failed";
}

Refusal refusal_for(bhttp::status status) {
  switch (status) {
    case bhttp::status::request_header_fields_too_large: return Refusal::header_too_large;
    case bhttp::status::payload_too_large: return Refusal::body_too_large;
    case bhttp::status::request_timeout: return Refusal::header_timeout;
    default: return Refusal::bad_request;
  }
}

}  // namespace tandem::lb
