// Least response time: the server minimising ewma_response_ms * (active + 1)
// / weight, ties broken by rotation: the latency-times-load cost of Finagle's
// Peak EWMA balancer (Linkerd, "Beyond Round Robin", 2016), as NGINX Plus's
// least_time. The EWMA itself is kept by the runtime and passed in CTX.load.
#pragma once

#include <cstddef>
#include <optional>
#include <vector>

#include "lb/balance/balancer.h"

namespace tandem::lb {

// A server with no latency yet (ewma <= 0) counts as the best latency known
// among the others: a new or recovered server is probed at once, yet not
// flooded, since its score still grows with its active count. With no
// latency known anywhere this is weighted least connections.
class LeastResponseTime final : public Balancer {
 public:
  explicit LeastResponseTime(std::vector<Candidate> usable);

  std::optional<ServerIndex> pick(const PickContext& ctx) override;

 private:
  std::vector<Candidate> candidates_;
  std::size_t next_ = 0;  // scan starts here, so equal servers take turns
};

}  // namespace tandem::lb
