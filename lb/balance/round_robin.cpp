#include "lb/balance/round_robin.h"

#include <utility>

namespace tandem::lb {

RoundRobin::RoundRobin(std::vector<Candidate> usable) : candidates_(std::move(usable)) {
  clamp_weights(candidates_);
}

std::optional<ServerIndex> RoundRobin::pick(const PickContext& ctx) {
  const std::size_t n = candidates_.size();
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t pos = (next_ + i) % n;
    if (is_excluded(ctx, candidates_[pos].index)) continue;
    next_ = (pos + 1) % n;
    return candidates_[pos].index;
  }
  return std::nullopt;
}

}  // namespace tandem::lb
