// Maglev consistent hashing (Eisenbud et al., "Maglev: A Fast and Reliable
// Software Network Load Balancer", NSDI 2016, section 3.4), with weights.
// One class for both hash algorithms, SOURCE_IP_HASH and CONSISTENT_HASH:
// they differ only in the key hashed into PickContext::key_hash, and that key
// is the registry row's (registry.h, request_key.h), not the balancer's.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "lb/balance/balancer.h"

namespace tandem::lb {

// A lookup table of a prime number of slots, each owned by one candidate.
// Every candidate walks its own permutation of the slots (offset and skip from
// stable_hash of its NAME, so every node builds the same table) and claims the
// next free slot, in rounds, at a rate proportional to its weight. Slots
// owned: proportional to weight. When a server leaves, almost only its slots
// change owner: keys on the other servers stay put.
//
// The table depends only on the set of (name, weight), not on the order of
// the candidates given. Immutable once built; ~4 bytes a slot.
class ConsistentHash final : public Balancer {
 public:
  // Default table size: prime, and >> servers x weight for fine proportions.
  static constexpr std::uint32_t kDefaultTableSize = 65537;

  // TABLE_SIZE is rounded up to a prime (Maglev needs one); it should be well
  // above the number of servers (the paper: M >> N) for even proportions.
  explicit ConsistentHash(std::vector<Candidate> usable,
                          std::uint32_t table_size = kDefaultTableSize);

  // The owner of slot key_hash mod size; when excluded, the owner of the next
  // slot, and so on: deterministic, and spread by weight over the others.
  std::optional<ServerIndex> pick(const PickContext& ctx) final;

  // The table, as candidate positions (see candidates()); for tests and stats.
  std::span<const std::uint32_t> table() const noexcept { return table_; }

  // The candidates, in the order given.
  std::span<const Candidate> candidates() const noexcept { return candidates_; }

 private:
  std::vector<Candidate> candidates_;
  std::vector<std::uint32_t> table_;  // slot -> position in candidates_; empty when no candidate
};

}  // namespace tandem::lb
