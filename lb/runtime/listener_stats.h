// Counters of one listener, kept across reloads (keyed by listener name) and
// summed by the admin endpoint. Relaxed atomics: exact totals, no ordering.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

#include "lb/observe/latency_histogram.h"
#include "lb/route/refusal.h"

namespace tandem::lb {

struct ListenerStats {
  std::atomic<std::int64_t> active{0};  // open client connections (gauge)
  std::atomic<std::uint64_t> connections{0};
  std::atomic<std::uint64_t> requests{0};
  std::array<std::atomic<std::uint64_t>, 6> responses{};  // 1xx..5xx, [0] = other
  std::atomic<std::uint64_t> bytes_in{0};   // from clients
  std::atomic<std::uint64_t> bytes_out{0};  // to clients
  std::atomic<std::uint64_t> retries{0};
  std::atomic<std::uint64_t> accept_paused{0};  // max_connections reached
  std::atomic<std::int64_t> tunnels_active{0};  // upgraded connections open now (gauge)
  std::atomic<std::uint64_t> tunnels{0};        // upgraded connections ever opened
  std::atomic<std::uint64_t> proxy_header_refused{0};  // trusted peers without a good PROXY header
  std::atomic<std::uint64_t> tls_handshakes{0};          // completed (TLS listeners)
  std::atomic<std::uint64_t> tls_handshake_failures{0};  // refused: bad hello, no shared cipher, reset
  std::atomic<std::uint64_t> tls_handshake_timeouts{0};  // not done within handshake_timeout_ms
  std::array<std::atomic<std::uint64_t>, static_cast<std::size_t>(Refusal::count_)> refusals{};
  observe::PhaseHistograms latency;  // summed per worker shard at scrape

  void count_response(unsigned status) {
    const unsigned cls = status / 100;
    responses[cls >= 1 && cls <= 5 ? cls : 0].fetch_add(1, std::memory_order_relaxed);
  }
  void count_refusal(Refusal r) { refusals[static_cast<std::size_t>(r)].fetch_add(1, std::memory_order_relaxed); }
};

}  // namespace tandem::lb
