// The stick table: which server a client (source IP or cookie value) stays on,
// for one pool. Pure: no sockets, no clock reads; time comes in as `now`.
//
// Modelled on HAProxy's stick tables (expire-on-access, LRU at the size bound,
// peers replication) with a merge rule that needs no agreement between clocks:
// entries travel with their REMAINING lifetime, and the write that lives
// longer is the newer one.
//
// Threading: one StickTable is shared by every worker thread. Every public
// method is safe to call concurrently; one std::mutex guards the state, and
// critical sections are short (entries are allocated and freed outside it).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/proto/local_channel.pb.h"

namespace tandem::lb {

// Time as the callers inject it; the table never reads a clock.
using TimePoint = std::chrono::steady_clock::time_point;

// What the merge rule needs to know about the entry already in the table.
struct StickVersion {
  TimePoint expiry;         // when the entry we hold expires
  std::string_view origin;  // node that wrote it
  std::uint64_t version = 0;  // write order at that origin
};

// The merge rule, deterministic on every node: true when `incoming` replaces
// `existing` at time `now`. The write with more remaining life wins (it was
// written later); equal remaining lives (in whole ms) go to the higher origin
// name, then to the higher version. Removals are ordinary writes under the
// same rule. An `existing` that has already expired always loses; an incoming
// entry with 0 ms left never wins. `incoming.ttl_remaining_ms` must already be
// clamped to the table's TTL (StickTable::apply does it).
bool incoming_wins(const StickVersion& existing, const wire::StickEntry& incoming,
                   TimePoint now);

// A snapshot of a table's counters (all monotonic except `entries`).
struct StickCounters {
  std::uint64_t entries = 0;      // live entries now (removal markers excluded)
  std::uint64_t hits = 0;         // lookups that found a live entry
  std::uint64_t misses = 0;       // lookups that did not
  std::uint64_t evictions = 0;    // entries dropped at the size bound (LRU)
  std::uint64_t expirations = 0;  // live entries dropped because their TTL ran out
  std::uint64_t applied = 0;      // entries from elsewhere that changed the table
  std::uint64_t rejected = 0;     // entries from elsewhere for another pool, or empty keys
  std::uint64_t overflows = 0;    // change-queue overflows (each asks for a full resync)
};

// Construction parameters of a StickTable.
struct StickTableOptions {
  std::string pool;         // the pool this table serves; stamped on outgoing entries
  std::string node;         // this node's name: origin of local writes
  std::chrono::milliseconds ttl{30 * 60 * 1000};  // entry lifetime after its last write or hit
  std::size_t max_entries = 100000;  // LRU eviction beyond this (at least 1)
  std::size_t max_pending_changes = 65536;  // change-queue bound; 0 = no change feed
};

// One pool's client -> server-name table. See the file comment for threading.
class StickTable {
 public:
  explicit StickTable(StickTableOptions options);
  ~StickTable();
  StickTable(const StickTable&) = delete;
  StickTable& operator=(const StickTable&) = delete;

  // The server KEY is stuck to, if a live entry exists. A hit refreshes the
  // entry's TTL and LRU position (expire-on-access). A hit also queues a
  // change for replication when the peers' copy would otherwise expire more
  // than ttl/4 before ours, so an active client stays stuck after a failover
  // without every hit being replicated.
  std::optional<std::string> lookup(std::string_view key, TimePoint now);

  // A local write: KEY goes to SERVER from now on, for ttl. Queues a change.
  void put(std::string_view key, std::string_view server, TimePoint now);

  // A local removal (the stuck server went down and the client is let go).
  // Kept as a removal marker for ttl so an older write arriving late from a
  // peer cannot bring it back; queues a change. No-op for an unknown key.
  void remove(std::string_view key, TimePoint now);

  // The stuck server went down and the client was sent elsewhere: stick KEY
  // to NEW_SERVER. Same as put(); named for the call site.
  void move(std::string_view key, std::string_view new_server, TimePoint now);

  // Drops every entry whose TTL has run out; returns how many live entries
  // went (removal markers are dropped too, uncounted). Call periodically;
  // lookup() and list() never return an expired entry either way.
  std::size_t expire(TimePoint now);

  // Every live entry with its remaining TTL, origin and version: for the
  // status API and for a full-snapshot sync. Order unspecified.
  std::vector<wire::StickEntry> list(TimePoint now) const;

  // Every unexpired entry INCLUDING removal markers: the full state a peer
  // needs so that a removal lost to a queue overflow still reaches it (sync).
  std::vector<wire::StickEntry> snapshot(TimePoint now) const;

  // Merges entries that came from peers (through the agent) with
  // incoming_wins(). `ttl_remaining_ms` is clamped to our ttl. Entries for
  // another pool (non-empty, different `pool`) or with an empty key are
  // rejected and counted. Applied entries are not queued as changes (no echo).
  // Returns how many entries changed the table.
  std::size_t apply(const std::vector<wire::StickEntry>& from_elsewhere, TimePoint now);

  // Takes up to MAX queued local changes, oldest first, with their remaining
  // TTL as of `now` (changes that expired while queued are skipped). Several
  // writes to one key while queued coalesce into its latest state.
  std::vector<wire::StickEntry> drain_changes(std::size_t max, TimePoint now);

  // True once since the change queue last overflowed (it was dropped): the
  // caller must send a full snapshot (list()) instead. Reading clears it.
  bool take_needs_full_resync();

  // A snapshot of the counters.
  StickCounters counters() const;

  // The options the table was built with (max_entries clamped to >= 1).
  const StickTableOptions& options() const { return options_; }

 private:
  struct Impl;
  StickTableOptions options_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tandem::lb
