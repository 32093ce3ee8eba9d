#include "common/stick/change_queue.h"

#include <algorithm>
#include <utility>

namespace tandem::stick {

ChangeQueue::ChangeQueue(std::size_t limit) : fallback_(std::max<std::size_t>(limit, 1)) {}

bool ChangeQueue::push(const wire::StickEntry& entry, TimePoint now) {
  if (!fallback_.admit(items_.size())) {
    items_.clear();
    return false;
  }
  items_.push_back(Item{entry, now});
  return true;
}

Batch ChangeQueue::take(std::size_t max, TimePoint now) {
  Batch out;
  while (out.entries.size() < max && !items_.empty()) {
    Item item = std::move(items_.front());
    items_.pop_front();
    const auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(now - item.queued_at).count();
    const std::int64_t left = static_cast<std::int64_t>(item.entry.ttl_remaining_ms()) - std::max<std::int64_t>(waited, 0);
    if (left <= 0) continue;
    item.entry.set_ttl_remaining_ms(static_cast<std::uint32_t>(left));
    out.entries.push_back(std::move(item.entry));
    out.queued_at.push_back(item.queued_at);
  }
  return out;
}

std::chrono::steady_clock::duration ChangeQueue::oldest_age(TimePoint now) const {
  if (items_.empty()) return {};
  return std::max(now - items_.front().queued_at, std::chrono::steady_clock::duration{});
}

}  // namespace tandem::stick
