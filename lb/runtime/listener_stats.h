// Counters of one listener, kept across reloads (keyed by listener name) and
// summed by the admin endpoint. Relaxed atomics: exact totals, no ordering.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>

#include "lb/route/refusal.h"

namespace tandem::lb {

// Request latency histogram with fixed buckets (Prometheus `le` bounds).
class LatencyHistogram {
 public:
  static constexpr std::array<double, 14> kBoundsSeconds = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                            0.1,    0.25,  0.5,    1,     2.5,  5,     10};

  void observe(std::chrono::nanoseconds d) {
    const double s = std::chrono::duration<double>(d).count();
    std::size_t i = 0;
    while (i < kBoundsSeconds.size() && s > kBoundsSeconds[i]) ++i;
    buckets_[i].fetch_add(1, std::memory_order_relaxed);
    sum_ns_.fetch_add(static_cast<std::uint64_t>(d.count()), std::memory_order_relaxed);
  }
  // Non-cumulative count of bucket I (I == size() is +Inf).
  std::uint64_t bucket(std::size_t i) const { return buckets_[i].load(std::memory_order_relaxed); }
  double sum_seconds() const { return static_cast<double>(sum_ns_.load(std::memory_order_relaxed)) / 1e9; }

 private:
  std::array<std::atomic<std::uint64_t>, kBoundsSeconds.size() + 1> buckets_{};
  std::atomic<std::uint64_t> sum_ns_{0};
};

struct ListenerStats {
  std::atomic<std::int64_t> active{0};  // open client connections (gauge)
  std::atomic<std::uint64_t> connections{0};
  std::atomic<std::uint64_t> requests{0};
  std::array<std::atomic<std::uint64_t>, 6> responses{};  // 1xx..5xx, [0] = other
  std::atomic<std::uint64_t> bytes_in{0};   // from clients
  std::atomic<std::uint64_t> bytes_out{0};  // to clients
  std::atomic<std::uint64_t> retries{0};
  std::atomic<std::uint64_t> accept_paused{0};  // max_connections reached
  std::atomic<std::uint64_t> tls_handshakes{0};          // completed (TLS listeners)
  std::atomic<std::uint64_t> tls_handshake_failures{0};  // refused: bad hello, no shared cipher, reset
  std::atomic<std::uint64_t> tls_handshake_timeouts{0};  // not done within handshake_timeout_ms
  std::array<std::atomic<std::uint64_t>, static_cast<std::size_t>(Refusal::count_)> refusals{};
  LatencyHistogram latency;

  void count_response(unsigned status) {
    const unsigned cls = status / 100;
    responses[cls >= 1 && cls <= 5 ? cls : 0].fetch_add(1, std::memory_order_relaxed);
  }
  void count_refusal(Refusal r) { refusals[static_cast<std::size_t>(r)].fetch_add(1, std::memory_order_relaxed); }
};

}  // namespace tandem::lb
