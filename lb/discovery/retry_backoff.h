// When to try again after a failure in a row (etcd's reconnects,
// lb/runtime/etcd_watcher). Pure: the random draw is passed in.
//
// Capped exponential backoff with "equal jitter": the n-th failure in a row
// waits a random time in [d/2, d], d = min(max, first * 2^(n-1)). Doubling
// keeps a dead etcd from being hammered; the cap keeps a recovered one from
// being ignored for long; the jitter keeps every proxy of the cluster from
// reconnecting in the same instant after an etcd restart, while the floor
// of d/2 keeps the delay from collapsing to zero.
#pragma once

#include <chrono>
#include <cstdint>

namespace tandem::lb {

class RetryBackoff {
 public:
  RetryBackoff(std::chrono::milliseconds first, std::chrono::milliseconds max) : first_(first), max_(max) {}

  // One more failure: the delay before the next attempt. UNIT is a random
  // draw in [0, 1).
  std::chrono::milliseconds next(double unit);
  // A success: the next failure starts from FIRST again.
  void reset() { failures_ = 0; }
  // Failures in a row.
  std::uint32_t failures() const { return failures_; }

 private:
  std::chrono::milliseconds first_;
  std::chrono::milliseconds max_;
  std::uint32_t failures_ = 0;
};

}  // namespace tandem::lb
