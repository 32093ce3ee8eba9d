#include "lb/balance/least_response_time.h"

#include <limits>
#include <utility>

namespace tandem::lb {

LeastResponseTime::LeastResponseTime(std::vector<Candidate> usable) : candidates_(std::move(usable)) {
  clamp_weights(candidates_);
}

std::optional<ServerIndex> LeastResponseTime::pick(const PickContext& ctx) {
  const std::size_t n = candidates_.size();

  // Pass 1: the best known latency, stand-in for servers not measured yet.
  double best_known = std::numeric_limits<double>::infinity();
  for (const auto& c : candidates_) {
    if (is_excluded(ctx, c.index)) continue;
    const double ewma = load_of(ctx, c.index).ewma_response_ms;
    if (ewma > 0 && ewma < best_known) best_known = ewma;
  }
  if (best_known == std::numeric_limits<double>::infinity()) best_known = 1.0;

  // Pass 2: the lowest score, scanning from the rotation point.
  std::size_t best = n;
  double best_score = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t pos = (next_ + i) % n;
    const Candidate& c = candidates_[pos];
    if (is_excluded(ctx, c.index)) continue;
    const ServerLoad load = load_of(ctx, c.index);
    const double latency = load.ewma_response_ms > 0 ? load.ewma_response_ms : best_known;
    const double score = latency * (static_cast<double>(load.active) + 1.0) / c.weight;
    if (best == n || score < best_score) {
      best = pos;
      best_score = score;
    }
  }
  if (best == n) return std::nullopt;
  next_ = (best + 1) % n;
  return candidates_[best].index;
}

}  // namespace tandem::lb
