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

  // Keeps CONNECTION for reuse until NOW + KEEP_FOR, or closes it when SERVER
  // already has server->max_idle idle connections on this worker (0: never
  // pooled). Keeping up to the number of requests a worker has in flight
  // is what spares a busy proxy a connect per request.
  void give(const ServerRuntime* server, ServerStream connection,
            std::chrono::steady_clock::time_point now, std::chrono::milliseconds keep_for);

  // Closes every idle connection kept past its time (the worker calls this
  // periodically, so a burst's surplus does not hold descriptors and server
  // slots until the next take reaches it). Returns how many it closed.
  std::size_t close_expired(std::chrono::steady_clock::time_point now);

  // Drops every connection to servers not in KEEP (after a reload).
  template <class Pred>
  void retain_if(Pred keep) {
    for (auto it = idle_.begin(); it != idle_.end();) {
      it = keep(it->first) ? std::next(it) : idle_.erase(it);
    }
  }

  void clear() { idle_.clear(); }
  std::size_t size() const;
  // Idle connections to SERVER on this worker.
  std::size_t size(const ServerRuntime* server) const;

 private:
  struct Idle {
    ServerStream connection;
    std::chrono::steady_clock::time_point since;
    std::chrono::steady_clock::time_point expires;
  };
  std::unordered_map<const ServerRuntime*, std::vector<Idle>> idle_;
};

}  // namespace tandem::lb
