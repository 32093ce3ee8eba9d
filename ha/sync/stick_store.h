// The agent's copy of the node's stick tables, one per pool: what the local
// proxy wrote and what peers sent, merged by the cluster's one store
// (common/stick/table.h, the proxy's table too). Peers get it as a full
// snapshot on connect; the proxy gets it back in full when it (re)connects.
// The agent never writes locally: no change feed, every entry keeps the
// origin and version it came with.
//
// Pure: no sockets, no clock reads; time comes in as `now`. Single-threaded
// (the agent's io thread).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/proto/local_channel.pb.h"
#include "common/stick/table.h"

namespace tandem::ha::sync {

using TimePoint = std::chrono::steady_clock::time_point;

// Limits of one pool's table, from its stickiness config.
struct PoolLimits {
  std::chrono::milliseconds ttl{30 * 60 * 1000};
  std::size_t max_entries = 100000;
};

// Counters of one pool's copy.
struct StoreCounters {
  std::uint64_t entries = 0;      // live entries now (removal markers excluded)
  std::uint64_t markers = 0;      // removal markers held now
  std::uint64_t applied = 0;      // incoming entries that changed the copy
  std::uint64_t stale = 0;        // incoming entries that lost to what we hold
  std::uint64_t evictions = 0;    // dropped at the size bound (soonest expiry first)
};

// Per-pool copies of the stick tables. See the file comment.
class StickStore {
 public:
  // POOLS: every pool with table stickiness, by name. Entries for any other
  // pool are rejected (counted) and never stored.
  explicit StickStore(std::map<std::string, PoolLimits> pools);

  // Merges ENTRIES (each clamped to its pool's TTL). Returns the entries that
  // changed the copy, with their clamped remaining TTL: what must travel on.
  std::vector<wire::StickEntry> apply(const std::vector<wire::StickEntry>& entries, TimePoint now);

  // Every unexpired entry of every pool, removal markers included, with its
  // remaining TTL at NOW: a full snapshot.
  std::vector<wire::StickEntry> snapshot(TimePoint now) const;

  // Drops what expired by NOW; returns how many entries (markers included) went.
  std::size_t expire(TimePoint now);

  // The pools known, and the counters of POOL (zeros for an unknown pool).
  std::vector<std::string> pools() const;
  StoreCounters counters(const std::string& pool) const;
  // Entries refused: unknown pool or empty key.
  std::uint64_t rejected() const { return rejected_; }

 private:
  std::map<std::string, stick::Table, std::less<>> tables_;
  std::uint64_t rejected_ = 0;
};

}  // namespace tandem::ha::sync
