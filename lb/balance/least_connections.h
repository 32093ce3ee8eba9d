// Weighted least connections: the server minimising (active + 1) / weight,
// ties broken by rotation (HAProxy lb_fwlc.c; nginx least_conn, which also
// compares active * other_weight cross-multiplied and rotates ties).
#pragma once

#include <cstddef>
#include <optional>
#include <vector>

#include "lb/balance/balancer.h"

namespace tandem::lb {

// Reads CTX.load[index].active; exact integer comparisons, no floating point.
class LeastConnections final : public Balancer {
 public:
  explicit LeastConnections(std::vector<Candidate> usable);

  std::optional<ServerIndex> pick(const PickContext& ctx) override;

 private:
  std::vector<Candidate> candidates_;
  std::size_t next_ = 0;  // scan starts here, so equal servers take turns
};

}  // namespace tandem::lb
