#include "lb/balance/registry.h"

#include <array>
#include <utility>

#include "lb/balance/consistent_hash.h"
#include "lb/balance/least_connections.h"
#include "lb/balance/least_response_time.h"
#include "lb/balance/power_of_two.h"
#include "lb/balance/round_robin.h"
#include "lb/balance/smooth_weighted_round_robin.h"
#include "lb/balance/source_ip_hash.h"

namespace tandem::lb {

namespace {

using Factory = std::unique_ptr<Balancer> (*)(std::vector<Candidate>);

struct Entry {
  config::Algorithm algorithm;
  std::string_view name;
  Factory make;
};

template <typename T>
std::unique_ptr<Balancer> make(std::vector<Candidate> usable) {
  return std::make_unique<T>(std::move(usable));
}

// One line per algorithm.
constexpr std::array kRegistry{
    Entry{config::ALGORITHM_UNSPECIFIED, "round_robin", &make<RoundRobin>},
    Entry{config::ROUND_ROBIN, "round_robin", &make<RoundRobin>},
    Entry{config::WEIGHTED_ROUND_ROBIN, "weighted_round_robin", &make<SmoothWeightedRoundRobin>},
    Entry{config::LEAST_CONNECTIONS, "least_connections", &make<LeastConnections>},
    Entry{config::POWER_OF_TWO, "power_of_two", &make<PowerOfTwo>},
    Entry{config::LEAST_RESPONSE_TIME, "least_response_time", &make<LeastResponseTime>},
    Entry{config::SOURCE_IP_HASH, "source_ip_hash", &make<SourceIpHash>},
    Entry{config::CONSISTENT_HASH, "consistent_hash", &make<ConsistentHash>},
};

const Entry* find(config::Algorithm algorithm) {
  for (const auto& e : kRegistry) {
    if (e.algorithm == algorithm) return &e;
  }
  return nullptr;
}

}  // namespace

std::unique_ptr<Balancer> make_balancer(config::Algorithm algorithm, std::vector<Candidate> usable) {
  const Entry* e = find(algorithm);
  return e != nullptr ? e->make(std::move(usable)) : nullptr;
}

std::string_view algorithm_name(config::Algorithm algorithm) {
  const Entry* e = find(algorithm);
  return e != nullptr ? e->name : "unknown";
}

}  // namespace tandem::lb
