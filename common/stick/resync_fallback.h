// The bound rule of every stick change queue (the proxy's table feed in
// common/stick/table.h, the agent's per-receiver queues in
// common/stick/change_queue.h): a queue at its bound is dropped whole and the
// receiver is sent the full table instead. It never silently diverges, and a
// slow receiver costs one snapshot, not unbounded memory.
//
// Pure and header-only; the queue itself is the caller's.
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>

namespace tandem::stick {

// See the file comment.
class ResyncFallback {
 public:
  // LIMIT: most changes a queue may hold.
  explicit ResyncFallback(std::size_t limit) : limit_(limit) {}

  // True when one more change fits behind QUEUED ones. False is an overflow:
  // the caller drops its whole queue; a resync is requested and counted.
  bool admit(std::size_t queued) {
    if (queued < limit_) return true;
    needs_resync_ = true;
    ++overflows_;
    return false;
  }

  // Asks for a full resync without an overflow (a receiver reconnected).
  void request() { needs_resync_ = true; }
  // True once after an overflow or request(); reading clears it.
  bool take() { return std::exchange(needs_resync_, false); }
  bool pending() const { return needs_resync_; }

  std::size_t limit() const { return limit_; }
  std::uint64_t overflows() const { return overflows_; }

 private:
  std::size_t limit_;
  bool needs_resync_ = false;
  std::uint64_t overflows_ = 0;
};

}  // namespace tandem::stick
