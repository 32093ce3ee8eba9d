#include "common/stick/table.h"

#include <algorithm>
#include <bit>
#include <limits>
#include <utility>

#include "common/stick/merge_rule.h"

namespace tandem::stick {

namespace {

using std::chrono::duration_cast;
using std::chrono::milliseconds;
using detail::Item;

std::size_t bucket_count_for(std::size_t max_entries) {
  constexpr std::size_t kMin = 16;
  constexpr std::size_t kMax = std::size_t{1} << 20;
  return std::bit_ceil(std::clamp(max_entries, kMin, kMax));
}

TableOptions clamped(TableOptions o) {
  o.max_entries = std::max<std::size_t>(o.max_entries, 1);
  return o;
}

}  // namespace

bool incoming_wins(const StickVersion& existing, const wire::StickEntry& incoming, TimePoint now) {
  return stick_incoming_wins(existing.expiry, existing.origin, existing.version, incoming.ttl_remaining_ms(),
                             incoming.origin(), incoming.version(), now);
}

std::uint32_t remaining_ms(TimePoint expiry, TimePoint now) {
  if (expiry <= now) return 0;
  const auto left = duration_cast<milliseconds>(expiry - now).count();
  return static_cast<std::uint32_t>(std::min<std::int64_t>(left, std::numeric_limits<std::uint32_t>::max()));
}

Graveyard::~Graveyard() {
  items_.clear_and_dispose([](Item* item) { delete item; });
}

Table::Node Table::make_node(std::string_view key, std::string_view server, std::string_view origin) {
  auto node = std::make_unique<Item>();
  node->key.assign(key);
  node->server.assign(server);
  node->origin.assign(origin);
  return node;
}

Table::Node Table::make_node(const wire::StickEntry& in) {
  auto node = std::make_unique<Item>();
  node->key = in.key();
  node->removed = in.removed();
  if (!node->removed) node->server = in.server();
  node->origin = in.origin();
  node->version = in.version();
  return node;
}

Table::Table(TableOptions options)
    : options_(clamped(std::move(options))),
      ttl_ms_(static_cast<std::uint32_t>(
          std::clamp<std::int64_t>(options_.ttl.count(), 1, std::numeric_limits<std::uint32_t>::max()))),
      buckets_(bucket_count_for(options_.max_entries)),
      index_(Index::bucket_traits(buckets_.data(), buckets_.size())),
      fallback_(options_.max_pending_changes) {}

Table::~Table() {
  index_.clear();
  dirty_.clear();
  by_expiry_.clear_and_dispose([](Item* item) { delete item; });
}

Item* Table::find(std::string_view key) {
  auto it = index_.find(key);
  return it == index_.end() ? nullptr : &*it;
}

void Table::set_expiry(Item& item, TimePoint expiry) {
  by_expiry_.erase(by_expiry_.iterator_to(item));
  item.expiry = expiry;
  by_expiry_.insert(item);
}

void Table::set_removed(Item& item, bool removed) {
  if (item.removed == removed) return;
  if (removed) --live_; else ++live_;
  item.removed = removed;
}

void Table::unlink(Item& item, Graveyard& dead) {
  index_.erase(index_.iterator_to(item));
  by_expiry_.erase(by_expiry_.iterator_to(item));
  if (item.dirty_hook.is_linked()) dirty_.erase(dirty_.iterator_to(item));
  if (!item.removed) --live_;
  dead.items_.push_back(item);
}

// Links a fresh item (its fields already set), evicting first at the bound
// so the new entry is never its own victim.
void Table::link(Item& item, Graveyard& dead) {
  while (index_.size() >= options_.max_entries && !by_expiry_.empty()) {
    unlink(*by_expiry_.begin(), dead);
    ++counters_.evictions;
  }
  index_.insert(item);
  by_expiry_.insert(item);
  if (!item.removed) ++live_;
}

// Queues ITEM's current state for replication (coalescing with a change
// already queued for it); on overflow drops the feed (ResyncFallback).
void Table::mark_dirty(Item& item) {
  if (options_.max_pending_changes == 0) return;
  item.replicated_expiry = item.expiry;
  if (item.dirty_hook.is_linked()) return;
  if (!fallback_.admit(dirty_.size())) {
    dirty_.clear();
    return;
  }
  dirty_.push_back(item);
}

wire::StickEntry Table::to_wire(const Item& item, TimePoint now) const {
  wire::StickEntry out;
  out.set_pool(options_.pool);
  out.set_key(item.key);
  if (!item.removed) out.set_server(item.server);
  out.set_ttl_remaining_ms(remaining_ms(item.expiry, now));
  out.set_version(item.version);
  out.set_origin(item.origin);
  out.set_removed(item.removed);
  return out;
}

std::optional<std::string> Table::lookup(std::string_view key, TimePoint now) {
  Item* item = find(key);
  if (item == nullptr || item->removed || item->expiry <= now) {
    ++counters_.misses;
    return std::nullopt;
  }
  ++counters_.hits;
  set_expiry(*item, now + milliseconds(ttl_ms_));
  // Replicate the refresh only once the peers' copy lags by over ttl/4.
  if (item->expiry - item->replicated_expiry > milliseconds(ttl_ms_ / 4)) {
    if (item->origin != options_.node) item->origin.assign(options_.node);
    item->version = next_version_++;
    mark_dirty(*item);
  }
  return item->server;
}

void Table::write(Node& fresh, bool removal, TimePoint now, Graveyard& dead) {
  Item* item = find(fresh->key);
  if (item == nullptr) {
    if (removal) return;  // nothing to remove
    item = fresh.get();
    item->version = next_version_++;
    item->expiry = now + milliseconds(ttl_ms_);
    link(*fresh.release(), dead);
    mark_dirty(*item);
    return;
  }
  if (removal && (item->removed || item->expiry <= now)) return;  // already gone
  set_removed(*item, removal);
  if (!removal) item->server.swap(fresh->server);
  item->origin.swap(fresh->origin);
  item->version = next_version_++;
  set_expiry(*item, now + milliseconds(ttl_ms_));
  mark_dirty(*item);
}

bool Table::accepts(const wire::StickEntry& in) {
  if (!in.key().empty() && (in.pool().empty() || in.pool() == options_.pool)) return true;
  ++counters_.rejected;
  return false;
}

bool Table::apply(const wire::StickEntry& in, Node& fresh, TimePoint now, Graveyard& dead) {
  const std::uint32_t in_ms = std::min(in.ttl_remaining_ms(), ttl_ms_);
  Item* item = find(in.key());
  if (item != nullptr && item->expiry <= now) {
    if (!item->removed) ++counters_.expirations;
    unlink(*item, dead);
    item = nullptr;
  }
  if (item == nullptr) {
    if (in_ms == 0) {
      ++counters_.stale;
      return false;
    }
    fresh->expiry = now + milliseconds(in_ms);
    fresh->replicated_expiry = fresh->expiry;
    link(*fresh.release(), dead);
    ++counters_.applied;
    return true;
  }
  if (!stick_incoming_wins(item->expiry, item->origin, item->version, in_ms, in.origin(), in.version(), now)) {
    ++counters_.stale;
    return false;
  }
  set_removed(*item, fresh->removed);
  item->server.swap(fresh->server);
  item->origin.swap(fresh->origin);
  item->version = fresh->version;
  set_expiry(*item, now + milliseconds(in_ms));
  item->replicated_expiry = item->expiry;
  // A queued local change it supersedes must not go out (nor echo this one).
  if (item->dirty_hook.is_linked()) dirty_.erase(dirty_.iterator_to(*item));
  ++counters_.applied;
  return true;
}

Table::Expired Table::expire(TimePoint now, Graveyard& dead) {
  Expired gone;
  while (!by_expiry_.empty() && by_expiry_.begin()->expiry <= now) {
    Item& item = *by_expiry_.begin();
    if (item.removed) ++gone.markers; else ++gone.live;
    unlink(item, dead);
  }
  counters_.expirations += gone.live;
  return gone;
}

void Table::list(TimePoint now, bool with_markers, std::vector<wire::StickEntry>& out) const {
  out.reserve(out.size() + (with_markers ? index_.size() : live_));
  for (auto it = by_expiry_.rbegin(); it != by_expiry_.rend() && it->expiry > now; ++it) {
    if (it->removed && !with_markers) continue;
    out.push_back(to_wire(*it, now));
  }
}

std::vector<wire::StickEntry> Table::drain_changes(std::size_t max, TimePoint now) {
  std::vector<wire::StickEntry> out;
  out.reserve(std::min(max, dirty_.size()));
  while (out.size() < max && !dirty_.empty()) {
    Item& item = dirty_.front();
    dirty_.pop_front();
    if (item.expiry <= now) continue;
    out.push_back(to_wire(item, now));
  }
  return out;
}

Counters Table::counters() const {
  Counters out = counters_;
  out.entries = live_;
  out.markers = index_.size() - live_;
  out.overflows = fallback_.overflows();
  return out;
}

}  // namespace tandem::stick
