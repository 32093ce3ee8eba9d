// Latency histograms for /metrics (Prometheus `le` buckets), cheap enough
// to observe on every request: the counts are split in shards, one per
// worker thread (set_histogram_shard), each on its own cache lines, so the
// workers never write the same line; a scrape sums the shards. An
// observation is a short search over integer bounds and two relaxed adds.
// (prometheus-cpp's Histogram takes a mutex per Observe and keeps doubles:
// docs/observability.md has the measured comparison.)
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>

namespace tandem::lb::observe {

// Buckets from 0.5 ms to 60 s, close to Envoy's defaults: fine below a
// second where a proxy's latencies live, coarse up to the longest server timeout.
inline constexpr std::array<double, 16> kLatencyBoundsSeconds = {
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};

inline constexpr std::size_t kHistogramShards = 8;

// The shard this thread writes (a worker's index; other threads use 0).
inline thread_local std::size_t this_thread_histogram_shard = 0;
inline void set_histogram_shard(unsigned worker_index) { this_thread_histogram_shard = worker_index % kHistogramShards; }

// One histogram's totals, summed over the shards: non-cumulative counts
// (the last is +Inf) and the sum of observations.
struct HistogramSnapshot {
  std::array<std::uint64_t, kLatencyBoundsSeconds.size() + 1> buckets{};
  double sum_seconds = 0;
  std::uint64_t count() const {
    std::uint64_t n = 0;
    for (auto b : buckets) n += b;
    return n;
  }
};

class LatencyHistogram {
 public:
  void observe(std::chrono::nanoseconds d) {
    const auto ns = static_cast<std::uint64_t>(d.count() < 0 ? 0 : d.count());
    std::size_t i = 0;
    while (i < kBoundsNs.size() && ns > kBoundsNs[i]) ++i;
    auto& shard = shards_[this_thread_histogram_shard];
    shard.buckets[i].fetch_add(1, std::memory_order_relaxed);
    shard.sum_ns.fetch_add(ns, std::memory_order_relaxed);
  }

  HistogramSnapshot snapshot() const {
    HistogramSnapshot s;
    std::uint64_t sum_ns = 0;
    for (const auto& shard : shards_) {
      for (std::size_t i = 0; i < s.buckets.size(); ++i) s.buckets[i] += shard.buckets[i].load(std::memory_order_relaxed);
      sum_ns += shard.sum_ns.load(std::memory_order_relaxed);
    }
    s.sum_seconds = static_cast<double>(sum_ns) / 1e9;
    return s;
  }

 private:
  static constexpr std::array<std::uint64_t, kLatencyBoundsSeconds.size()> kBoundsNs = [] {
    std::array<std::uint64_t, kLatencyBoundsSeconds.size()> out{};
    for (std::size_t i = 0; i < out.size(); ++i) out[i] = static_cast<std::uint64_t>(kLatencyBoundsSeconds[i] * 1e9 + 0.5);
    return out;
  }();

  struct alignas(64) Shard {
    std::array<std::atomic<std::uint64_t>, kLatencyBoundsSeconds.size() + 1> buckets{};
    std::atomic<std::uint64_t> sum_ns{0};
  };
  std::array<Shard, kHistogramShards> shards_{};
};

// The three latencies kept per listener and per server.
struct PhaseHistograms {
  LatencyHistogram duration;    // request start to the end of the response
  LatencyHistogram connect;     // getting a server connection (queue and connect)
  LatencyHistogram first_byte;  // request start to the response header
};

}  // namespace tandem::lb::observe
