// Consistent hashing on a configured key (Pool.hash_key: header, cookie, URI
// or source IP): Maglev (Eisenbud et al., NSDI 2016), see maglev.h. The runtime
// puts stable_hash(key bytes) in PickContext::key_hash.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "lb/balance/maglev.h"

namespace tandem::lb {

// Same key, same server on every node, while membership is the same; when a
// server leaves, only (almost only) its keys move.
class ConsistentHash final : public MaglevBalancer {
 public:
  explicit ConsistentHash(std::vector<Candidate> usable,
                          std::uint32_t table_size = kDefaultTableSize)
      : MaglevBalancer(std::move(usable), table_size) {}
};

}  // namespace tandem::lb
