// Which server each connect attempt of one request goes to, and when to stop
// (HAProxy's `retries` with `option redispatch` on a failed connect):
//   - the stuck server first, on the first attempt only, if it has a free slot;
//   - else one pick among the servers with a free slot, without those that
//     already failed to connect for this request;
//   - no server with a free slot: wait in the pool's bounded queue while some
//     usable server is merely full; with nobody usable, end with the last failure;
//   - at most retries + 1 connect attempts; every one after the first is a retry.
// The shell (lb/runtime/upstream_connect.cpp) does the picks, the waits and
// the connects; this class decides their order and their end.
#pragma once

#include <optional>
#include <utility>
#include <vector>

#include "lb/balance/balancer.h"
#include "lb/route/failure_status.h"

namespace tandem::lb {

class ConnectPlan {
 public:
  // RETRIES: the pool's `retries` (config::pool_retries). PREFERRED: the stuck
  // server, if any. TRIED: the request's servers that failed (kept across the
  // request's attempts, and by the caller across RetryPolicy's resends).
  ConnectPlan(unsigned retries, std::optional<ServerIndex> preferred, std::vector<ServerIndex>& tried)
      : attempts_(retries + 1), preferred_(preferred), tried_(tried) {}

  // Another connect attempt may start.
  bool more() const { return attempt_ < attempts_; }

  // The stuck server if this is its turn (the first attempt) and HAS_ROOM(it);
  // nullopt: pick one.
  template <typename HasRoom>
  std::optional<ServerIndex> stuck_first(HasRoom has_room) {
    const auto stuck = std::exchange(preferred_, std::nullopt);
    if (stuck && has_room(*stuck)) return stuck;
    return std::nullopt;
  }

  // The connect to SERVER failed: it is left out of the next picks. True
  // when another attempt follows (a retry, counted by the caller).
  bool connect_failed(ServerIndex server) {
    tried_.push_back(server);
    last_ = UpstreamFailure::connect_failed;
    ++attempt_;
    return more();
  }

  // Why the request got no server: no_server until a connect failed.
  UpstreamFailure last() const { return last_; }
  const std::vector<ServerIndex>& tried() const { return tried_; }

 private:
  unsigned attempt_ = 0;
  const unsigned attempts_;
  std::optional<ServerIndex> preferred_;
  std::vector<ServerIndex>& tried_;
  UpstreamFailure last_ = UpstreamFailure::no_server;
};

}  // namespace tandem::lb
