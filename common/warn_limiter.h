// Rate-limited warnings for refused input (garbage on the sync port, bad
// adverts, refused control and admin requests): the
// first refusal warns at once, later ones at most once per period, each
// warning saying how many it stands for; every refusal is still counted by
// the caller. Pure: time comes in as `now`.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

namespace tandem {

// See the file comment.
class WarnLimiter {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  explicit WarnLimiter(std::chrono::milliseconds period) : period_(period) {}

  // One refusal at NOW. Returns how many refusals a warning logged now
  // stands for (this one and those kept quiet since the last warning), or 0
  // when it must stay quiet (a debug line at most).
  std::uint64_t note(TimePoint now) {
    ++quiet_;
    if (warned_ && now - *warned_ < period_) return 0;
    warned_ = now;
    const auto n = quiet_;
    quiet_ = 0;
    return n;
  }

 private:
  std::chrono::milliseconds period_;
  std::optional<TimePoint> warned_;
  std::uint64_t quiet_ = 0;
};

}  // namespace tandem
