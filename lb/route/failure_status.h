// What the client is told, and which counter moves, when a request cannot be
// served: the mapping from a failure on the request path (no server, a full
// queue, a connect, send or response failure, a refused request header) to
// the refusal counted and the error response sent. Pure.
#pragma once

#include <ostream>  // before Beast: 1.81's status.hpp needs it but does not include it

#include <boost/beast/http/status.hpp>
#include <boost/system/error_code.hpp>

#include "lb/http/error_response.h"
#include "lb/route/refusal.h"

namespace tandem::lb {

// Why acquiring a server connection failed (lb/runtime/upstream_connect.h).
enum class UpstreamFailure { none, no_server, queue_full, queue_timeout, connect_failed };

// How a response header read failed.
enum class ResponseFault {
  timeout,  // no header within the server timeout
  invalid,  // bytes that do not parse as a response
  closed,   // the server closed or reset before a complete header
};

// The counter and the response for one failure.
struct FailureAnswer {
  Refusal refusal;
  http::ErrorCause cause;
};

// HTTP: no connection to a server could be had (FAILURE is not none).
FailureAnswer answer_for(UpstreamFailure failure);

// HTTP: sending the request to the server failed.
FailureAnswer answer_for_send_failure();

// HTTP: reading the response header failed with FAULT.
FailureAnswer answer_for(ResponseFault fault);

// TCP: the counter for a connection no server took. L4 cannot say why to the
// client (it only closes), so every failure but a connect one is no_server.
Refusal l4_refusal_for(UpstreamFailure failure);
// TCP: the reason logged for that connection.
const char* l4_reason(UpstreamFailure failure);

// The fault behind EC, an error of a response header read: Beast's parse
// errors say the bytes were wrong; its end_of_stream and partial_message,
// and socket errors, say the server went away; Beast's timeout is a timeout.
ResponseFault classify_response_error(const boost::system::error_code& ec);

// The cause a response header failure reports to the passive health check.
const char* passive_cause(ResponseFault fault);

// The counter for a request refused with STATUS before it was forwarded
// (a bad or oversized request, or a header that came too slowly).
Refusal refusal_for(boost::beast::http::status status);

}  // namespace tandem::lb
