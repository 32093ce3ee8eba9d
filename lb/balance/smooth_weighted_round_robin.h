// Smooth weighted round robin, nginx's algorithm (ngx_http_upstream_round_robin.c,
// ngx_http_upstream_get_peer; Maxim Dounin, 2012): on every pick each server's
// current += weight, the largest current wins and loses the total. Weights
// 5:1:1 give a,a,b,a,c,a,a: exact proportions, heavy server interleaved.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "lb/balance/balancer.h"

namespace tandem::lb {

// Deterministic, exact over every cycle of sum(weights) picks.
class SmoothWeightedRoundRobin final : public Balancer {
 public:
  explicit SmoothWeightedRoundRobin(std::vector<Candidate> usable);

  // Excluded servers sit the round out (their current is left untouched), as
  // nginx does with peers already tried.
  std::optional<ServerIndex> pick(const PickContext& ctx) override;

 private:
  std::vector<Candidate> candidates_;
  std::vector<std::int64_t> current_;  // one per candidate
};

}  // namespace tandem::lb
