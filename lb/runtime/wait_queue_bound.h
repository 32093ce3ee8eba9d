// The bound on a pool's wait queue (pool.queue_size): how many requests, on
// all workers together, may wait for a free server slot of that pool. Each
// pool has its own; pool A's waiters never take pool B's places, and adding
// workers does not raise the bound. Thread-safe (one atomic counter).
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>

namespace tandem::lb {

class WaitQueueBound {
 public:
  // A place in the queue, given back when destroyed.
  class Place {
   public:
    explicit Place(WaitQueueBound& bound) : bound_(&bound) {}
    Place(Place&& other) noexcept : bound_(other.bound_) { other.bound_ = nullptr; }
    Place& operator=(Place&&) = delete;
    Place(const Place&) = delete;
    Place& operator=(const Place&) = delete;
    ~Place() {
      if (bound_) bound_->waiting_.fetch_sub(1, std::memory_order_acq_rel);
    }

   private:
    WaitQueueBound* bound_;
  };

  // A place if fewer than LIMIT requests wait now; nullopt when the queue is
  // full (or LIMIT is 0: no queue).
  std::optional<Place> try_enter(std::uint32_t limit) {
    std::uint32_t now = waiting_.load(std::memory_order_acquire);
    do {
      if (now >= limit) return std::nullopt;
    } while (!waiting_.compare_exchange_weak(now, now + 1, std::memory_order_acq_rel, std::memory_order_acquire));
    return std::optional<Place>(std::in_place, *this);
  }

  // Requests waiting now (a gauge).
  std::uint32_t waiting() const { return waiting_.load(std::memory_order_acquire); }

 private:
  std::atomic<std::uint32_t> waiting_{0};
};

}  // namespace tandem::lb
