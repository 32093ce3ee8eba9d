// Idle keep-alive connections to servers, per worker (no sharing, no locks),
// plain or TLS alike (a TLS connection keeps its session: reusing it costs
// no handshake at all).
#pragma once

#include <chrono>
#include <cstddef>
#include <unordered_map>
#include <vector>

#include <boost/asio/ip/tcp.hpp>

#include "lb/runtime/pool_runtime.h"
#include "lb/runtime/server_stream.h"

namespace tandem::lb {

class UpstreamPool {
 public:
  // At most this many idle connections are kept per server.
  static constexpr std::size_t kMaxIdlePerServer = 64;

  // A connection idle for less than this is taken without a liveness probe
  // when the caller can replay its request: servers close idle connections
  // after seconds, not milliseconds, and one that did anyway is found dead
  // before any response byte and the request retried on a fresh connection.
  static constexpr std::chrono::milliseconds kFreshIdle{1000};

  // An idle connection to SERVER that still looks alive and is younger than
  // MAX_IDLE, or a closed socket when there is none. REPLAYABLE: the caller
  // retries its request on a fresh connection if this one proves dead, so a
  // connection idle for less than kFreshIdle skips the probe (a recv syscall).
  ServerStream take(const ServerRuntime* server, std::chrono::steady_clock::time_point now,
                                    std::chrono::milliseconds max_idle, bool replayable,
                                    boost::asio::any_io_executor executor);

  // Keeps CONNECTION for reuse (or closes it when the pool for SERVER is full).
  void give(const ServerRuntime* server, ServerStream connection,
            std::chrono::steady_clock::time_point now);

  // Drops every connection to servers not in KEEP (after a reload).
  template <class Pred>
  void retain_if(Pred keep) {
    for (auto it = idle_.begin(); it != idle_.end();) {
      it = keep(it->first) ? std::next(it) : idle_.erase(it);
    }
  }

  void clear() { idle_.clear(); }
  std::size_t size() const;

 private:
  struct Idle {
    ServerStream connection;
    std::chrono::steady_clock::time_point since;
  };
  std::unordered_map<const ServerRuntime*, std::vector<Idle>> idle_;
};

}  // namespace tandem::lb
