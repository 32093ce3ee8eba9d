// The decisions around active health probes that are not the rise/fall
// count itself (health_state.h): where a server's probe loop starts, and
// when its first probe goes out. Pure; the probe loop (lb/runtime/
// health_checker.cpp) is the I/O around them.
#pragma once

#include <chrono>
#include <cstddef>

#include "lb/health/health_state.h"

namespace tandem::lb {

// Where the checks of a server start. HEALTHY: its current verdict;
// EVER_UP: it came up once already (a previous generation's checks, kept
// across a reload). A server that is down stays fully down until it rises;
// one a previous generation had up stays fully up; a new one starts up but
// fragile, as HAProxy does.
inline InitialHealth initial_health(bool healthy, bool ever_up) {
  if (!healthy) return InitialHealth::kFullyDown;
  return ever_up ? InitialHealth::kFullyUp : InitialHealth::kUp;
}

// The delay before the first probe of server INDEX of COUNT: spread over one
// INTERVAL so a pool's servers are not checked in lockstep.
inline std::chrono::milliseconds first_probe_delay(std::chrono::milliseconds interval, std::size_t index,
                                                   std::size_t count) {
  return interval * static_cast<std::int64_t>(index + 1) / static_cast<std::int64_t>(count + 1);
}

}  // namespace tandem::lb
