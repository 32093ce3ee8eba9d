// When to rewrite a file that changes far more often than it must be
// written: the advert sequences change on every advert (every 10 ms at the
// fastest), but are written at most once per INTERVAL, and always when the
// agent stops. Pure: the caller passes the time.
#pragma once

#include <chrono>
#include <optional>

namespace tandem::ha {

class WriteThrottle {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  explicit WriteThrottle(std::chrono::milliseconds interval) : interval_(interval) {}

  // Something worth writing changed.
  void changed() { dirty_ = true; }

  // True when there is something unwritten and the last write is at least
  // INTERVAL before NOW (or there was none).
  bool due(TimePoint now) const { return dirty_ && (!last_ || now - *last_ >= interval_); }

  // When the next write may happen (NOW if due), or nullopt if nothing waits.
  std::optional<TimePoint> next(TimePoint now) const {
    if (!dirty_) return std::nullopt;
    if (!last_ || now - *last_ >= interval_) return now;
    return *last_ + interval_;
  }

  // The file was written at NOW with everything changed so far.
  void written(TimePoint now) {
    dirty_ = false;
    last_ = now;
  }

  bool dirty() const { return dirty_; }

 private:
  std::chrono::milliseconds interval_;
  bool dirty_ = false;
  std::optional<TimePoint> last_;
};

}  // namespace tandem::ha
