// The per-server connection limit (Pool.max_connections_per_server) as an
// exclusion for the balancer: a server with no free slot is left out of the
// pick exactly as a server already tried is, so the balancer picks once among
// the servers that can take the request, rather than being asked again and
// again until it names one that has room. Pure.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "lb/balance/balancer.h"

namespace tandem::lb {

// Whether a server with ACTIVE connections (on every worker) may take one
// more under LIMIT (0: no limit).
inline bool has_free_slot(std::int64_t active, std::uint32_t limit) {
  return limit == 0 || active < static_cast<std::int64_t>(limit);
}

// Appends to EXCLUDE every server of 0..COUNT-1 that has no free slot under
// LIMIT and is not excluded yet; ACTIVE_OF(index) is its connection count.
// Nothing to do (and no call of ACTIVE_OF) without a limit.
template <typename ActiveOf>
void exclude_full(std::vector<ServerIndex>& exclude, std::size_t count, std::uint32_t limit, ActiveOf active_of) {
  if (limit == 0) return;
  for (ServerIndex i = 0; i < count; ++i) {
    if (has_free_slot(active_of(i), limit)) continue;
    if (std::find(exclude.begin(), exclude.end(), i) == exclude.end()) exclude.push_back(i);
  }
}

}  // namespace tandem::lb
