#include "lb/health/probe_response.h"

namespace tandem::lb {

std::string ProbeResponse::verdict(const config::EffectiveHealthCheck& check) const {
  const unsigned status = parser_.get().result_int();
  const bool ok = check.expect_status ? status == check.expect_status : (status >= 200 && status < 400);
  return ok ? std::string() : "status " + std::to_string(status);
}

}  // namespace tandem::lb
