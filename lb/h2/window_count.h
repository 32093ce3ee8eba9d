// Events counted over fixed windows of time: the building block of the
// HTTP/2 flood guards. Pure: the caller passes the time.
#pragma once

#include <chrono>
#include <cstdint>

namespace tandem::lb::h2 {

using SteadyTime = std::chrono::steady_clock::time_point;

// Counts events in the window that opened with the first event after the
// previous window closed. A fixed window lets a burst of up to twice the
// limit straddle two windows; for a flood, whose rate is orders of magnitude
// above any client's, that slack does not matter and the state stays two words.
class WindowCount {
 public:
  WindowCount(std::uint32_t limit, std::chrono::milliseconds window) : limit_(limit), window_(window) {}

  // Counts N events at NOW; true when the count of this window is now over the limit.
  bool add(SteadyTime now, std::uint32_t n = 1) {
    if (count_ == 0 || now - opened_ >= window_) {
      opened_ = now;
      count_ = 0;
    }
    count_ += n;
    return count_ > limit_;
  }

  std::uint32_t count() const { return count_; }
  std::uint32_t limit() const { return limit_; }

 private:
  std::uint32_t limit_;
  std::chrono::milliseconds window_;
  SteadyTime opened_{};
  std::uint32_t count_ = 0;
};

}  // namespace tandem::lb::h2
