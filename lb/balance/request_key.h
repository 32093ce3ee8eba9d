// The key a hash algorithm balances on, computed per request by a function
// that the algorithm's registry row owns (registry.h): the hash algorithms
// read the client's address or a configured header, cookie or URI; the
// others read nothing and pay nothing. No Beast here: the request is seen
// through RequestFields, which the HTTP path implements (lb/route).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "config/proto/cluster.pb.h"

namespace tandem::lb {

// The parts of one request a configured key (Pool.hash_key) may name.
class RequestFields {
 public:
  virtual ~RequestFields() = default;
  // The value of header NAME (the first one), or nullopt when absent.
  virtual std::optional<std::string_view> header(std::string_view name) const = 0;
  // The value of cookie NAME in the request's Cookie fields, or nullopt.
  virtual std::optional<std::string_view> cookie(std::string_view name) const = 0;
  // The request target (path and query).
  virtual std::string_view target() const = 0;
};

// What a key function may look at, borrowed for the call.
struct KeyInputs {
  std::uint64_t source_hash = 0;          // stable_hash(client address), once per connection
  const RequestFields* fields = nullptr;  // null for an L4 connection: there is no request
};

// Computes PickContext::key_hash for one request under the pool's KEY.
using KeyFunction = std::uint64_t (*)(const config::Key& key, const KeyInputs& in);

// Algorithms that do not hash: 0, computed from nothing.
std::uint64_t no_key(const config::Key& key, const KeyInputs& in);

// SOURCE_IP_HASH: the client's address, whatever KEY says.
std::uint64_t source_key(const config::Key& key, const KeyInputs& in);

// CONSISTENT_HASH: stable_hash of what KEY names (a missing header or cookie
// hashes as empty); SOURCE_IP (or unset) hashes the client's address. An L4
// connection has no header, cookie or URI: it always hashes its address.
std::uint64_t configured_key(const config::Key& key, const KeyInputs& in);

}  // namespace tandem::lb
