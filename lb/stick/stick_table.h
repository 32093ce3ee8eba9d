// The proxy's stick table for one pool: the cluster's one store
// (common/stick/table.h: merge rule, expiry, eviction at the size bound,
// change feed with resync fallback) behind a lock, so every worker thread
// shares it.
//
// Threading: one StickTable is shared by every worker thread. Every public
// method is safe to call concurrently; one std::mutex guards the table, and
// critical sections are short (entries are allocated and freed outside it).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/proto/local_channel.pb.h"
#include "common/stick/table.h"

namespace tandem::lb {

// Time as the callers inject it; the table never reads a clock.
using TimePoint = stick::TimePoint;
// The merge rule's view of the entry held, and the rule on a wire entry.
using stick::StickVersion;
using stick::incoming_wins;
// A snapshot of a table's counters; see common/stick/table.h.
using StickCounters = stick::Counters;
// Construction parameters; see common/stick/table.h.
using StickTableOptions = stick::TableOptions;

// One pool's client -> server-name table. See the file comment for threading.
class StickTable {
 public:
  explicit StickTable(StickTableOptions options);
  ~StickTable();
  StickTable(const StickTable&) = delete;
  StickTable& operator=(const StickTable&) = delete;

  // The server KEY is stuck to, if a live entry exists. A hit refreshes the
  // entry's TTL (expire-on-access). A hit also queues a
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
  const StickTableOptions& options() const { return table_.options(); }

 private:
  mutable std::mutex mu_;  // guards table_
  stick::Table table_;
};

}  // namespace tandem::lb
