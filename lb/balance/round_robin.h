// Plain round robin: every usable server in turn, weights ignored
// (WEIGHTED_ROUND_ROBIN honours them). Classic cyclic scheduling: what nginx's
// and HAProxy's round robin do when every weight is 1.
#pragma once

#include <cstddef>
#include <optional>
#include <vector>

#include "lb/balance/balancer.h"

namespace tandem::lb {

// Rotates over the candidates in config order, skipping excluded ones.
class RoundRobin final : public Balancer {
 public:
  // USABLE in any order; picks follow that order.
  explicit RoundRobin(std::vector<Candidate> usable);

  std::optional<ServerIndex> pick(const PickContext& ctx) override;

 private:
  std::vector<Candidate> candidates_;
  std::size_t next_ = 0;  // position tried first by the next pick
};

}  // namespace tandem::lb
