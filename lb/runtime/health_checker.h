// Active health checks: one probe loop per server of every pool that has a
// health_check, on the control thread. The probe is thin I/O (TCP connect,
// or an HTTP GET with an expected status); the rise/fall decision is
// HealthState's (lb/health), and the verdict lands in the pool's state.
#pragma once

#include <memory>

#include "lb/runtime/asio_aliases.h"
#include "lb/runtime/generation.h"

namespace tandem::lb {

class HealthChecker {
 public:
  // Starts probing every checked server of GEN on IO.
  HealthChecker(asio::io_context& io, std::shared_ptr<const Generation> gen);
  // Stops the loops (they end at their next wake-up).
  ~HealthChecker();

 private:
  std::shared_ptr<bool> running_;
};

}  // namespace tandem::lb
