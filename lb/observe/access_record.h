// One line of the access log before it is text: what a finished HTTP
// request or TCP connection hands to lb/observe (lb/runtime/http_session,
// tcp_session). Views only: the record is formatted at once, on the
// worker's thread, while the session still owns the bytes. Pure.
#pragma once

#include <chrono>
#include <cstdint>
#include <string_view>

#include "lb/observe/termination.h"

namespace tandem::lb::observe {

// A duration that may not have happened (the request never reached the
// phase): negative = absent, written as null.
using Micros = std::int64_t;
inline constexpr Micros kAbsent = -1;

struct AccessRecord {
  std::chrono::system_clock::time_point time;  // when the request (or connection) started
  bool tcp = false;                            // an L4 connection, else an HTTP request
  std::string_view client_ip;
  std::uint16_t client_port = 0;
  std::string_view listener;
  std::string_view tls_version;  // "" on a cleartext listener (filled by TLS termination)
  std::string_view sni;          // the client's server name indication, "" when none
  std::string_view server;       // "" when no server was reached
  std::string_view protocol;     // HTTP only: the client's, "HTTP/1.1", "HTTP/1.0" or "HTTP/2"
  std::uint32_t h2_stream = 0;   // HTTP/2: the stream's id (written only when not 0)
  std::string_view method;       // HTTP only
  std::string_view path;         // HTTP only: the request target as received
  unsigned status = 0;           // HTTP status sent to the client; 0 = none sent
  std::uint64_t bytes_in = 0;    // from the client: request header and body (TCP: every byte)
  std::uint64_t bytes_out = 0;   // to the client: response body or error page (TCP: every byte)
  // Timings, all from the same start: the accept for a connection's first
  // request, else the arrival of the request's first bytes.
  Micros request = kAbsent;     // until the request header was complete
  Micros connect = kAbsent;     // spent getting a server connection (queue, connect; ~0 when pooled)
  Micros first_byte = kAbsent;  // until the response header arrived
  Micros total = kAbsent;       // until the response (or connection) ended
  Termination termination;
};

// Whether a record must be logged whatever the sampling: a server error or
// an abnormal end. (4xx are sampled: a scanner must not defeat sampling.)
inline bool always_logged(const AccessRecord& r) { return r.status >= 500 || !r.termination.normal(); }

}  // namespace tandem::lb::observe
