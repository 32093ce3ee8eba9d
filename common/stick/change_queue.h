// The bounded queue of stick changes waiting to go to one receiver (a peer
// agent, or the local proxy). Entries keep their remaining TTL as of when
// they were queued; take() subtracts the time they waited, so what leaves is
// exact whatever the delay (clocks never travel). When the bound is hit the
// queue is dropped and a full resync is requested: the receiver never
// silently diverges, it gets the whole table instead.
//
// Pure and single-threaded; time comes in as `now`.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <vector>

#include "common/proto/local_channel.pb.h"

namespace tandem::ha::sync {

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
  bool take_needs_resync();
  void request_resync() { needs_resync_ = true; }
  bool needs_resync() const { return needs_resync_; }

  std::size_t size() const { return items_.size(); }
  bool empty() const { return items_.empty(); }
  // Time the oldest entry has waited (0 when empty).
  std::chrono::steady_clock::duration oldest_age(TimePoint now) const;
  std::uint64_t overflows() const { return overflows_; }

 private:
  struct Item {
    wire::StickEntry entry;
    TimePoint queued_at;
  };
  std::size_t limit_;
  std::deque<Item> items_;
  bool needs_resync_ = false;
  std::uint64_t overflows_ = 0;
};

}  // namespace tandem::ha::sync
