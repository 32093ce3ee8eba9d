#include "lb/balance/least_connections.h"

#include <cstdint>
#include <utility>

namespace tandem::lb {

LeastConnections::LeastConnections(std::vector<Candidate> usable) : candidates_(std::move(usable)) {
  clamp_weights(candidates_);
}

std::optional<ServerIndex> LeastConnections::pick(const PickContext& ctx) {
  const std::size_t n = candidates_.size();
  std::size_t best = n;
  std::uint64_t best_load = 0;    // active + 1 of best
  std::uint64_t best_weight = 1;  // weight of best
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t pos = (next_ + i) % n;
    const Candidate& c = candidates_[pos];
    if (is_excluded(ctx, c.index)) continue;
    const std::uint64_t load = std::uint64_t{load_of(ctx, c.index).active} + 1;
    // load / weight < best_load / best_weight, cross-multiplied (< 2^65: fits).
    if (best == n || load * best_weight < best_load * c.weight) {
      best = pos;
      best_load = load;
      best_weight = c.weight;
    }
  }
  if (best == n) return std::nullopt;
  next_ = (best + 1) % n;
  return candidates_[best].index;
}

}  // namespace tandem::lb
