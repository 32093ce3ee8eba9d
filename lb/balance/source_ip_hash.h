// Source IP hashing: the same client address goes to the same server. It
// reuses the Maglev table (Eisenbud et al., NSDI 2016; maglev.h) keyed by
// PickContext::key_hash = stable_hash(client address bytes), rather than
// nginx's ip_hash modulo, so a server leaving moves only its own clients.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "lb/balance/maglev.h"

namespace tandem::lb {

// A ConsistentHash whose key is always the client's address.
class SourceIpHash final : public MaglevBalancer {
 public:
  explicit SourceIpHash(std::vector<Candidate> usable,
                        std::uint32_t table_size = kDefaultTableSize)
      : MaglevBalancer(std::move(usable), table_size) {}
};

}  // namespace tandem::lb
