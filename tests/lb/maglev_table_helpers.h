// The Maglev table of a server list as names per slot, and the share of
// slots that changed between two tables: shared by the tests that measure
// remapping after server-set changes (server_set_maglev, discovery_etcd_maglev).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "config/defaults.h"
#include "lb/balance/maglev.h"

namespace tandem::lb::testing {

// SERVERS (config::Server, in pool order) as ConsistentHash builds them.
template <class Servers>
std::vector<std::string> maglev_slot_names(const Servers& servers) {
  std::vector<Candidate> candidates;
  ServerIndex i = 0;
  for (const auto& s : servers) candidates.push_back(Candidate{i++, config::server_weight(s), s.name()});
  ConsistentHash hash(candidates);
  std::vector<std::string> out;
  for (const auto slot : hash.table()) out.push_back(candidates[slot].name);
  return out;
}

inline double moved_share(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  std::size_t moved = 0;
  for (std::size_t i = 0; i < a.size(); ++i) moved += a[i] != b[i];
  return static_cast<double>(moved) / static_cast<double>(a.size());
}

}  // namespace tandem::lb::testing
