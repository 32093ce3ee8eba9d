#include "lb/balance/power_of_two.h"

#include <algorithm>
#include <iterator>
#include <utility>

namespace tandem::lb {

PowerOfTwo::PowerOfTwo(std::vector<Candidate> usable, std::uint64_t seed)
    : candidates_(std::move(usable)), rng_(seed) {
  clamp_weights(candidates_);
  cumulative_.reserve(candidates_.size() + 1);
  std::uint64_t sum = 0;
  for (const auto& c : candidates_) {
    cumulative_.push_back(sum);
    sum += c.weight;
  }
  cumulative_.push_back(sum);
}

std::size_t PowerOfTwo::locate(const PickContext& ctx, std::uint64_t r, std::size_t skip) const {
  const std::size_t n = candidates_.size();
  if (ctx.exclude.empty()) {
    // Fast path: one candidate at most is skipped; shift R past its weight.
    if (skip < n && r >= cumulative_[skip]) r += candidates_[skip].weight;
    const auto it = std::upper_bound(cumulative_.begin(), cumulative_.end(), r);
    return static_cast<std::size_t>(std::distance(cumulative_.begin(), it)) - 1;
  }
  // Retry path: walk, leaving out every excluded candidate and SKIP.
  std::size_t last = n;
  for (std::size_t i = 0; i < n; ++i) {
    if (i == skip || is_excluded(ctx, candidates_[i].index)) continue;
    last = i;
    if (r < candidates_[i].weight) return i;
    r -= candidates_[i].weight;
  }
  return last;  // unreachable when R is in range
}

std::optional<ServerIndex> PowerOfTwo::pick(const PickContext& ctx) {
  const std::size_t n = candidates_.size();
  std::uint64_t total = cumulative_.back();
  std::size_t usable = n;
  if (!ctx.exclude.empty()) {
    for (const auto& c : candidates_) {
      if (is_excluded(ctx, c.index)) {
        total -= c.weight;
        --usable;
      }
    }
  }
  if (usable == 0) return std::nullopt;
  Rng& rng = ctx.rng != nullptr ? *ctx.rng : rng_;

  const std::size_t first = locate(ctx, rng.uniform(total), n);
  if (usable == 1) return candidates_[first].index;
  const std::size_t second = locate(ctx, rng.uniform(total - candidates_[first].weight), first);

  const Candidate& a = candidates_[first];
  const Candidate& b = candidates_[second];
  // active_b / weight_b < active_a / weight_a, cross-multiplied.
  const std::uint64_t load_a = load_of(ctx, a.index).active;
  const std::uint64_t load_b = load_of(ctx, b.index).active;
  return load_b * a.weight < load_a * b.weight ? b.index : a.index;
}

}  // namespace tandem::lb
