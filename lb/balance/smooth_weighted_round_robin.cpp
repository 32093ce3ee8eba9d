#include "lb/balance/smooth_weighted_round_robin.h"

#include <cstddef>
#include <utility>

namespace tandem::lb {

SmoothWeightedRoundRobin::SmoothWeightedRoundRobin(std::vector<Candidate> usable)
    : candidates_(std::move(usable)), current_(candidates_.size(), 0) {
  clamp_weights(candidates_);
}

std::optional<ServerIndex> SmoothWeightedRoundRobin::pick(const PickContext& ctx) {
  std::int64_t total = 0;
  std::size_t best = candidates_.size();
  for (std::size_t i = 0; i < candidates_.size(); ++i) {
    if (is_excluded(ctx, candidates_[i].index)) continue;
    const auto weight = static_cast<std::int64_t>(candidates_[i].weight);
    current_[i] += weight;
    total += weight;
    if (best == candidates_.size() || current_[i] > current_[best]) best = i;
  }
  if (best == candidates_.size()) return std::nullopt;
  current_[best] -= total;
  return candidates_[best].index;
}

}  // namespace tandem::lb
