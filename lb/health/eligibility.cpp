#include "lb/health/eligibility.h"

#include <algorithm>

namespace tandem::lb {

bool takes_new_clients(const ServerCondition& server) {
  return server.admin == config::READY && server.healthy && !server.ejected;
}

bool takes_stuck_clients(const ServerCondition& server) {
  const bool admitted = server.admin == config::READY || server.admin == config::DRAIN;
  return admitted && server.healthy && !server.ejected;
}

bool ejections_disregarded(const std::vector<ServerCondition>& servers) {
  bool only_ejected = false;
  for (const auto& server : servers) {
    if (takes_new_clients(server)) return false;
    ServerCondition readmitted = server;
    readmitted.ejected = false;
    only_ejected = only_ejected || takes_new_clients(readmitted);
  }
  return only_ejected;
}

std::uint32_t slow_start_weight(std::uint32_t weight, std::chrono::nanoseconds since_up,
                                std::chrono::nanoseconds slow_start) {
  if (weight == 0 || slow_start.count() <= 0 || since_up >= slow_start) return weight;
  const std::uint32_t floor = std::max<std::uint32_t>(1, weight / 10);
  if (since_up.count() <= 0) return floor;
  const double fraction =
      static_cast<double>(since_up.count()) / static_cast<double>(slow_start.count());
  const auto ramped =
      floor + static_cast<std::uint32_t>(static_cast<double>(weight - floor) * fraction);
  return std::clamp(ramped, floor, weight);
}

}  // namespace tandem::lb
