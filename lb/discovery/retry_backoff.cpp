#include "lb/discovery/retry_backoff.h"

#include <algorithm>

namespace tandem::lb {

std::chrono::milliseconds RetryBackoff::next(double unit) {
  ++failures_;
  auto d = std::max(first_, std::chrono::milliseconds(1));
  for (std::uint32_t i = 1; i < failures_ && d < max_; ++i) d *= 2;
  d = std::min(d, std::max(max_, first_));
  const double u = std::clamp(unit, 0.0, 1.0);
  const auto half = d.count() / 2;
  return std::chrono::milliseconds(half + static_cast<std::int64_t>(u * static_cast<double>(d.count() - half)));
}

}  // namespace tandem::lb
