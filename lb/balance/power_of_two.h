// Power of two choices (Mitzenmacher, "The Power of Two Choices in Randomized
// Load Balancing", IEEE TPDS 2001): draw two distinct servers at random, send
// to the less loaded. Weighted: draws are proportional to weight and load is
// active / weight, so with no load the picks follow the weights.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "lb/balance/balancer.h"

namespace tandem::lb {

// Uses CTX.rng when given (tests, per-worker seeding), else its own Rng.
class PowerOfTwo final : public Balancer {
 public:
  explicit PowerOfTwo(std::vector<Candidate> usable, std::uint64_t seed = 0x70C7'0C40'1CE5ULL);

  // Ties (equal active / weight) go to the first draw, itself weight-random.
  std::optional<ServerIndex> pick(const PickContext& ctx) override;

 private:
  // Position of the candidate holding weight unit R, skipping excluded ones
  // and SKIP (a position, or size() for none). R < the remaining total weight.
  std::size_t locate(const PickContext& ctx, std::uint64_t r, std::size_t skip) const;

  std::vector<Candidate> candidates_;
  std::vector<std::uint64_t> cumulative_;  // cumulative_[i] = sum of weights before i; back() = total
  Rng rng_;
};

}  // namespace tandem::lb
