// The bounded queue of stick changes waiting to go to one receiver (a peer
// agent, or the local proxy). Entries keep their remaining TTL as of when
// they were queued; take() subtracts the time they waited, so what leaves is
// exact whatever the delay (clocks never travel). At the bound the queue is
// dropped and a full resync is requested (ResyncFallback, the rule the
// proxy's own change feed follows too): the receiver never silently
// diverges, it gets the whole table instead.
//
// Copies, not references into a table: every receiver drains at its own
// pace, so each needs its own queue.
//
// Pure and single-threaded; time comes in as `now`.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <vector>

#include "common/proto/local_channel.pb.h"
#include "common/stick/resync_fallback.h"

namespace tandem::stick {

// One batch taken from the queue.
struct Batch {
  std::vector<wire::StickEntry> entries;  // remaining TTL as of the take
  std::vector<std::chrono::steady_clock::time_point> queued_at;  // per entry, for lag
};

// See the file comment.
class ChangeQueue {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  // LIMIT: most entries held (at least 1).
  explicit ChangeQueue(std::size_t limit);

  // Queues ENTRY (its TTL as of NOW). On overflow, drops everything queued,
  // requests a resync and returns false.
  bool push(const wire::StickEntry& entry, TimePoint now);

  // Up to MAX entries, oldest first; entries that expired while waiting are
  // skipped (their removal happened on the receiver at the same time).
  Batch take(std::size_t max, TimePoint now);

  // Drops everything queued (a full snapshot is about to cover it).
  void clear() { items_.clear(); }

  // True once after an overflow (or request_resync()); reading clears it.
  bool take_needs_resync() { return fallback_.take(); }
  void request_resync() { fallback_.request(); }
  bool needs_resync() const { return fallback_.pending(); }

  std::size_t size() const { return items_.size(); }
  bool empty() const { return items_.empty(); }
  // Time the oldest entry has waited (0 when empty).
  std::chrono::steady_clock::duration oldest_age(TimePoint now) const;
  std::uint64_t overflows() const { return fallback_.overflows(); }

 private:
  struct Item {
    wire::StickEntry entry;
    TimePoint queued_at;
  };
  std::deque<Item> items_;
  ResyncFallback fallback_;
};

}  // namespace tandem::stick
