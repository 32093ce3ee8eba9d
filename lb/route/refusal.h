// Why the proxy refused a request or connection, or could not serve it:
// each reason has its own counter (ListenerStats) and metric label. Decided
// by the request path's policies (failure_status.h), counted by the shell.
#pragma once

#include <cstddef>

namespace tandem::lb {

// Why a request or connection was refused or failed; each has a counter.
enum class Refusal : std::size_t {
  bad_request,      // 400: malformed, smuggling shapes
  header_too_large, // 431
  body_too_large,   // 413
  header_timeout,   // 408: slowloris
  no_server,        // 503: none up
  queue_full,       // 503: per-server limit reached and queue full
  queue_timeout,    // 503: waited too long for a slot
  bad_gateway,      // 502: server failed
  gateway_timeout,  // 504: server too slow
  count_
};

// The reason as a metric label ("no_server", ...).
inline const char* refusal_name(Refusal r) {
  static const char* names[] = {"bad_request",  "header_too_large", "body_too_large", "header_timeout",
                                "no_server",    "queue_full",       "queue_timeout",  "bad_gateway",
                                "gateway_timeout"};
  return names[static_cast<std::size_t>(r)];
}

}  // namespace tandem::lb
