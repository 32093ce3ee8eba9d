// Observing a latency into a histogram: Tandem's per-worker sharded
// histogram (lb/observe/latency_histogram.h) against prometheus-cpp's
// Histogram (Debian 12's libprometheus-cpp-dev 1.0.1), the measurement
// behind the choice in docs/observability.md. THREADS threads each observe
// N latencies into one histogram, as workers do into a listener's.
// Build and run (not part of the CMake build: prometheus-cpp is not a
// dependency of the proxy):
//   g++ -O2 -std=c++20 -I. bench/histogram_ab.cpp -lprometheus-cpp-core -pthread -o /tmp/histogram_ab
//   /tmp/histogram_ab 2 5000000
//   valgrind --tool=callgrind --callgrind-out-file=/dev/null /tmp/histogram_ab 1 1000000   (instructions)
#include <prometheus/histogram.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "lb/observe/latency_histogram.h"

namespace obs = tandem::lb::observe;

template <class Observe>
double run(unsigned threads, long n, Observe observe) {
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<std::thread> ts;
  for (unsigned t = 0; t < threads; ++t) {
    ts.emplace_back([=] {
      obs::set_histogram_shard(t);
      for (long i = 0; i < n; ++i) observe(std::chrono::nanoseconds(200'000 + (i & 0xFFFF) * 7));
    });
  }
  for (auto& t : ts) t.join();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

int main(int argc, char** argv) {
  const unsigned threads = argc > 1 ? std::atoi(argv[1]) : 2;
  const long n = argc > 2 ? std::atol(argv[2]) : 5'000'000;
  const std::string which = argc > 3 ? argv[3] : "both";
  prometheus::Histogram::BucketBoundaries bounds(obs::kLatencyBoundsSeconds.begin(), obs::kLatencyBoundsSeconds.end());
  prometheus::Histogram theirs(bounds);
  obs::LatencyHistogram ours;
  if (which != "prometheus") {
    const double s = run(threads, n, [&](std::chrono::nanoseconds d) { ours.observe(d); });
    std::printf("tandem      threads=%u n=%ld ns/observe=%.1f count=%llu\n", threads, n, s * 1e9 / (double(n) * threads),
                static_cast<unsigned long long>(ours.snapshot().count()));
  }
  if (which != "tandem") {
    const double s = run(threads, n, [&](std::chrono::nanoseconds d) {
      theirs.Observe(std::chrono::duration<double>(d).count());
    });
    std::printf("prometheus  threads=%u n=%ld ns/observe=%.1f count=%llu\n", threads, n, s * 1e9 / (double(n) * threads),
                static_cast<unsigned long long>(theirs.Collect().histogram.sample_count));
  }
}
