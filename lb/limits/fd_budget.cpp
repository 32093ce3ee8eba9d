#include "lb/limits/fd_budget.h"

#include <algorithm>
#include <sstream>

namespace tandem::lb::limits {

namespace {

std::uint64_t fixed_descriptors(const FdDemand& demand) {
  return kReserveDescriptors + demand.servers +
         static_cast<std::uint64_t>(demand.workers) * demand.listener_max_connections.size();
}

}  // namespace

std::uint64_t descriptors_needed(const FdDemand& demand) {
  std::uint64_t connections = 0;
  for (auto m : demand.listener_max_connections) connections += m;
  return fixed_descriptors(demand) + 2 * connections;
}

std::uint64_t connections_within(std::uint64_t limit, const FdDemand& demand) {
  const auto fixed = fixed_descriptors(demand);
  return limit > fixed ? (limit - fixed) / 2 : 0;
}

FdLimitPlan plan_fd_limit(const FdDemand& demand, std::uint64_t soft, std::uint64_t hard, std::uint64_t nr_open) {
  FdLimitPlan plan;
  plan.soft_before = soft;
  plan.hard = hard;
  plan.needed = descriptors_needed(demand);
  const std::uint64_t ceiling = hard == kUnlimited ? nr_open : std::min(hard, nr_open);
  plan.soft = std::max(soft, ceiling);
  plan.enough = plan.soft >= plan.needed;
  plan.connections = connections_within(plan.soft, demand);
  return plan;
}

std::string FdLimitPlan::shortfall() const {
  std::ostringstream out;
  out << "max_connections cannot be met: the listeners need " << needed
      << " file descriptors (2 per client connection, plus listeners, health checks and a reserve), but "
         "RLIMIT_NOFILE allows "
      << soft << " (hard limit " << (hard == kUnlimited ? std::string("unlimited") : std::to_string(hard))
      << "), enough for about " << connections
      << " client connections; raise the hard limit (systemd LimitNOFILE=, or ulimit -Hn as root) or lower "
         "max_connections";
  return out.str();
}

}  // namespace tandem::lb::limits
