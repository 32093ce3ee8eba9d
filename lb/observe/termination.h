// How a request or TCP connection ended, in two letters as HAProxy's
// termination state does: who ended it, then in which phase. "--" is a
// normal end. The letters (docs/observability.md):
//   who:   C client closed or reset, c client timeout, S server closed,
//          reset or sent garbage, s server timeout, P the proxy refused
//          (bad request, no server, full queue), - nobody (normal)
//   phase: R reading the request header, Q waiting in the queue for a
//          server slot, C connecting to the server, H waiting for the
//          response header, D moving the body (either way), - done
// Pure; the mappings from the request path's failure types live here.
#pragma once

#include <string_view>

#include "lb/route/failure_status.h"

namespace tandem::lb::observe {

struct Termination {
  char who = '-';
  char phase = '-';

  bool normal() const { return who == '-'; }
  friend bool operator==(const Termination&, const Termination&) = default;
};

inline constexpr Termination kNormal{'-', '-'};

// No server connection could be had (lb/runtime/upstream_connect.h).
constexpr Termination termination_for(UpstreamFailure failure) {
  switch (failure) {
    case UpstreamFailure::none: return kNormal;
    case UpstreamFailure::no_server: return {'P', 'C'};      // no server takes clients
    case UpstreamFailure::queue_full: return {'P', 'Q'};     // the wait queue was full
    case UpstreamFailure::queue_timeout: return {'s', 'Q'};  // no slot freed in time
    case UpstreamFailure::connect_failed: return {'S', 'C'};
  }
  return {'P', 'C'};
}

// The response header did not come.
constexpr Termination termination_for(ResponseFault fault) {
  return fault == ResponseFault::timeout ? Termination{'s', 'H'} : Termination{'S', 'H'};
}

// A body relay broke in phase D: READ_SIDE says the error came from the
// side being read (FROM_CLIENT: the request body, else the response body).
constexpr Termination termination_in_body(bool from_client, bool read_side, bool timed_out) {
  const bool client = from_client == read_side;  // reading the request, or writing the response
  if (client) return {timed_out ? 'c' : 'C', 'D'};
  return {timed_out ? 's' : 'S', 'D'};
}

}  // namespace tandem::lb::observe
