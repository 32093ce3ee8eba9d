#include "lb/balance/registry.h"

#include <array>
#include <utility>

#include "lb/balance/least_connections.h"
#include "lb/balance/least_response_time.h"
#include "lb/balance/maglev.h"
#include "lb/balance/power_of_two.h"
#include "lb/balance/round_robin.h"
#include "lb/balance/smooth_weighted_round_robin.h"

namespace tandem::lb {

namespace {

using Factory = std::unique_ptr<Balancer> (*)(std::vector<Candidate>);

struct Entry {
  config::Algorithm algorithm;
  std::string_view name;
  Factory make;
  KeyFunction key;  // what the algorithm hashes, per request
};

template <typename T>
std::unique_ptr<Balancer> make(std::vector<Candidate> usable) {
  return std::make_unique<T>(std::move(usable));
}

// One line per algorithm.
constexpr std::array kRegistry{
    Entry{config::ALGORITHM_UNSPECIFIED, "round_robin", &make<RoundRobin>, &no_key},
    Entry{config::ROUND_ROBIN, "round_robin", &make<RoundRobin>, &no_key},
    Entry{config::WEIGHTED_ROUND_ROBIN, "weighted_round_robin", &make<SmoothWeightedRoundRobin>, &no_key},
    Entry{config::LEAST_CONNECTIONS, "least_connections", &make<LeastConnections>, &no_key},
    Entry{config::POWER_OF_TWO, "power_of_two", &make<PowerOfTwo>, &no_key},
    Entry{config::LEAST_RESPONSE_TIME, "least_response_time", &make<LeastResponseTime>, &no_key},
    Entry{config::SOURCE_IP_HASH, "source_ip_hash", &make<ConsistentHash>, &source_key},
    Entry{config::CONSISTENT_HASH, "consistent_hash", &make<ConsistentHash>, &configured_key},
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

KeyFunction key_function(config::Algorithm algorithm) {
  const Entry* e = find(algorithm);
  return e != nullptr ? e->key : &no_key;
}

std::string_view algorithm_name(config::Algorithm algorithm) {
  const Entry* e = find(algorithm);
  return e != nullptr ? e->name : "unknown";
}

}  // namespace tandem::lb
