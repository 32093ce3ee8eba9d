// The stick table. Entries are heap nodes linked into four intrusive
// containers (no allocation when linking): a hash index by key, an LRU list,
// an ordered-by-expiry tree (so expire() touches only what expired) and the
// queue of changes waiting for replication. New nodes are allocated before the
// lock is taken and dead ones freed after it is released.
#include "lb/stick/stick_table.h"

#include <algorithm>
#include <bit>
#include <limits>
#include <mutex>
#include <utility>

#include <boost/intrusive/list.hpp>
#include <boost/intrusive/set.hpp>
#include <boost/intrusive/unordered_set.hpp>

#include "common/stick/merge_rule.h"

namespace tandem::lb {

namespace {

namespace bi = boost::intrusive;
using std::chrono::duration_cast;
using std::chrono::milliseconds;

// The merge rule on plain values (common/stick/merge_rule.h, shared with the
// agent); incoming_wins() and apply() use it.
bool wins(const StickVersion& existing, std::uint32_t incoming_ms, std::string_view origin,
          std::uint64_t version, TimePoint now) {
  return stick_incoming_wins(existing.expiry, existing.origin, existing.version, incoming_ms, origin,
                             version, now);
}

// Remaining life in whole ms (floor), 0 when expired, saturated to uint32.
std::uint32_t remaining_ms(TimePoint expiry, TimePoint now) {
  if (expiry <= now) return 0;
  const auto left = duration_cast<milliseconds>(expiry - now).count();
  return static_cast<std::uint32_t>(
      std::min<std::int64_t>(left, std::numeric_limits<std::uint32_t>::max()));
}

struct Item {
  bi::unordered_set_member_hook<> hash_hook;
  bi::list_member_hook<> lru_hook;     // also links dead items awaiting delete
  bi::set_member_hook<> expiry_hook;
  bi::list_member_hook<> dirty_hook;   // linked while a change is queued
  std::string key;
  std::string server;
  std::string origin;
  TimePoint expiry{};
  TimePoint replicated_expiry{};  // expiry our peers were last told about
  std::uint64_t version = 0;
  bool removed = false;           // a removal marker, not a live entry
};

struct KeyOf {
  using type = std::string_view;
  type operator()(const Item& item) const { return item.key; }
};
struct ExpiryOf {
  using type = TimePoint;
  const type& operator()(const Item& item) const { return item.expiry; }
};

using Index = bi::unordered_set<
    Item, bi::member_hook<Item, bi::unordered_set_member_hook<>, &Item::hash_hook>,
    bi::key_of_value<KeyOf>, bi::hash<std::hash<std::string_view>>,
    bi::equal<std::equal_to<std::string_view>>, bi::power_2_buckets<true>,
    bi::constant_time_size<true>>;
using Lru = bi::list<Item, bi::member_hook<Item, bi::list_member_hook<>, &Item::lru_hook>>;
using ByExpiry = bi::multiset<
    Item, bi::member_hook<Item, bi::set_member_hook<>, &Item::expiry_hook>,
    bi::key_of_value<ExpiryOf>>;
using Dirty = bi::list<Item, bi::member_hook<Item, bi::list_member_hook<>, &Item::dirty_hook>,
                       bi::constant_time_size<true>>;

// Items unlinked under the lock; declared before the lock guard so they are
// freed after it is released.
struct Graveyard {
  Lru items;
  Graveyard() = default;
  Graveyard(const Graveyard&) = delete;
  Graveyard& operator=(const Graveyard&) = delete;
  ~Graveyard() {
    items.clear_and_dispose([](Item* item) { delete item; });
  }
};

std::size_t bucket_count_for(std::size_t max_entries) {
  constexpr std::size_t kMin = 16;
  constexpr std::size_t kMax = std::size_t{1} << 20;
  return std::bit_ceil(std::clamp(max_entries, kMin, kMax));
}

wire::StickEntry to_wire(const Item& item, const std::string& pool, TimePoint now) {
  wire::StickEntry out;
  out.set_pool(pool);
  out.set_key(item.key);
  if (!item.removed) out.set_server(item.server);
  out.set_ttl_remaining_ms(remaining_ms(item.expiry, now));
  out.set_version(item.version);
  out.set_origin(item.origin);
  out.set_removed(item.removed);
  return out;
}

}  // namespace

bool incoming_wins(const StickVersion& existing, const wire::StickEntry& incoming,
                   TimePoint now) {
  return wins(existing, incoming.ttl_remaining_ms(), incoming.origin(), incoming.version(), now);
}

struct StickTable::Impl {
  explicit Impl(const StickTableOptions& o)
      : options(o),
        ttl_ms(static_cast<std::uint32_t>(std::clamp<std::int64_t>(
            o.ttl.count(), 1, std::numeric_limits<std::uint32_t>::max()))),
        buckets(bucket_count_for(o.max_entries)),
        index(Index::bucket_traits(buckets.data(), buckets.size())) {}

  ~Impl() {
    index.clear();
    by_expiry.clear();
    dirty.clear();
    lru.clear_and_dispose([](Item* item) { delete item; });
  }

  const StickTableOptions& options;
  const std::uint32_t ttl_ms;
  std::vector<Index::bucket_type> buckets;
  Index index;
  Lru lru;  // front = most recently used
  ByExpiry by_expiry;
  Dirty dirty;  // front = oldest queued change

  mutable std::mutex mu;  // guards everything below and the containers above
  std::uint64_t next_version = 1;
  std::uint64_t live = 0;
  bool needs_resync = false;
  StickCounters counters;

  // ---- all below run with `mu` held -------------------------------------

  Item* find(std::string_view key) {
    auto it = index.find(key);
    return it == index.end() ? nullptr : &*it;
  }

  TimePoint expiry_from(TimePoint now, std::uint32_t ms) const {
    return now + milliseconds(ms);
  }

  void set_expiry(Item& item, TimePoint expiry) {
    by_expiry.erase(by_expiry.iterator_to(item));
    item.expiry = expiry;
    by_expiry.insert(item);
  }

  void touch(Item& item) { lru.splice(lru.begin(), lru, lru.iterator_to(item)); }

  void unlink(Item& item, Graveyard& dead) {
    index.erase(index.iterator_to(item));
    lru.erase(lru.iterator_to(item));
    by_expiry.erase(by_expiry.iterator_to(item));
    if (item.dirty_hook.is_linked()) dirty.erase(dirty.iterator_to(item));
    if (!item.removed) --live;
    dead.items.push_back(item);
  }

  // Links a fresh item (its fields already set) and evicts beyond the bound.
  void link(Item& item, Graveyard& dead) {
    index.insert(item);
    lru.push_front(item);
    by_expiry.insert(item);
    if (!item.removed) ++live;
    while (index.size() > options.max_entries) {
      unlink(lru.back(), dead);
      ++counters.evictions;
    }
  }

  // Queues ITEM's current state for replication (coalescing with a change
  // already queued for it); on overflow drops the queue and asks for a resync.
  void mark_dirty(Item& item) {
    if (options.max_pending_changes == 0) return;
    item.replicated_expiry = item.expiry;
    if (item.dirty_hook.is_linked()) return;
    if (dirty.size() >= options.max_pending_changes) {
      dirty.clear();
      needs_resync = true;
      ++counters.overflows;
      return;
    }
    dirty.push_back(item);
  }

  // A local write (put/move) or removal. FRESH holds the key, the server and
  // our node name, allocated outside the lock; it is linked or its strings
  // are swapped into the existing item.
  void local_write(std::unique_ptr<Item>& fresh, bool removal, TimePoint now, Graveyard& dead) {
    Item* item = find(fresh->key);
    if (item == nullptr) {
      if (removal) return;  // nothing to remove
      item = fresh.get();
      item->version = next_version++;
      item->expiry = expiry_from(now, ttl_ms);
      link(*fresh.release(), dead);
      mark_dirty(*item);
      return;
    }
    if (removal && (item->removed || item->expiry <= now)) return;  // already gone
    if (item->removed != removal) {
      if (removal) --live; else ++live;
      item->removed = removal;
    }
    if (!removal) item->server.swap(fresh->server);
    item->origin.swap(fresh->origin);
    item->version = next_version++;
    set_expiry(*item, expiry_from(now, ttl_ms));
    touch(*item);
    mark_dirty(*item);
  }

  // Merges one entry from elsewhere; FRESH is a pre-built item for its key.
  bool apply_one(const wire::StickEntry& in, std::unique_ptr<Item>& fresh, TimePoint now,
                 Graveyard& dead) {
    const std::uint32_t in_ms = std::min(in.ttl_remaining_ms(), ttl_ms);
    Item* item = find(in.key());
    if (item != nullptr && item->expiry <= now) {
      if (!item->removed) ++counters.expirations;
      unlink(*item, dead);
      item = nullptr;
    }
    if (item == nullptr) {
      if (in_ms == 0) return false;
      fresh->expiry = expiry_from(now, in_ms);
      fresh->replicated_expiry = fresh->expiry;
      link(*fresh.release(), dead);
      ++counters.applied;
      return true;
    }
    if (!wins(StickVersion{item->expiry, item->origin, item->version}, in_ms, in.origin(),
              in.version(), now)) {
      return false;
    }
    if (item->removed != fresh->removed) {
      if (fresh->removed) --live; else ++live;
      item->removed = fresh->removed;
    }
    item->server.swap(fresh->server);
    item->origin.swap(fresh->origin);
    item->version = fresh->version;
    set_expiry(*item, expiry_from(now, in_ms));
    item->replicated_expiry = item->expiry;
    touch(*item);
    // A queued local change it supersedes must not go out (nor echo this one).
    if (item->dirty_hook.is_linked()) dirty.erase(dirty.iterator_to(*item));
    ++counters.applied;
    return true;
  }
};

StickTable::StickTable(StickTableOptions options) : options_(std::move(options)) {
  options_.max_entries = std::max<std::size_t>(options_.max_entries, 1);
  impl_ = std::make_unique<Impl>(options_);
}

StickTable::~StickTable() = default;

std::optional<std::string> StickTable::lookup(std::string_view key, TimePoint now) {
  std::lock_guard lock(impl_->mu);
  Impl& s = *impl_;
  Item* item = s.find(key);
  if (item == nullptr || item->removed || item->expiry <= now) {
    ++s.counters.misses;
    return std::nullopt;
  }
  ++s.counters.hits;
  s.set_expiry(*item, s.expiry_from(now, s.ttl_ms));
  s.touch(*item);
  // Replicate the refresh only once the peers' copy lags by over ttl/4.
  if (item->expiry - item->replicated_expiry > milliseconds(s.ttl_ms / 4)) {
    if (item->origin != options_.node) item->origin.assign(options_.node);
    item->version = s.next_version++;
    s.mark_dirty(*item);
  }
  return item->server;
}

void StickTable::put(std::string_view key, std::string_view server, TimePoint now) {
  if (key.empty()) return;
  Graveyard dead;
  auto fresh = std::make_unique<Item>();
  fresh->key.assign(key);
  fresh->server.assign(server);
  fresh->origin.assign(options_.node);
  std::lock_guard lock(impl_->mu);
  impl_->local_write(fresh, /*removal=*/false, now, dead);
}

void StickTable::move(std::string_view key, std::string_view new_server, TimePoint now) {
  put(key, new_server, now);
}

void StickTable::remove(std::string_view key, TimePoint now) {
  Graveyard dead;
  auto fresh = std::make_unique<Item>();
  fresh->key.assign(key);
  fresh->origin.assign(options_.node);
  std::lock_guard lock(impl_->mu);
  impl_->local_write(fresh, /*removal=*/true, now, dead);
}

std::size_t StickTable::expire(TimePoint now) {
  Graveyard dead;
  std::size_t expired = 0;
  std::lock_guard lock(impl_->mu);
  Impl& s = *impl_;
  while (!s.by_expiry.empty() && s.by_expiry.begin()->expiry <= now) {
    Item& item = *s.by_expiry.begin();
    if (!item.removed) ++expired;
    s.unlink(item, dead);
  }
  s.counters.expirations += expired;
  return expired;
}

std::vector<wire::StickEntry> StickTable::list(TimePoint now) const {
  std::vector<wire::StickEntry> out;
  std::lock_guard lock(impl_->mu);
  const Impl& s = *impl_;
  out.reserve(s.live);
  for (const Item& item : s.lru) {
    if (item.removed || item.expiry <= now) continue;
    out.push_back(to_wire(item, options_.pool, now));
  }
  return out;
}

std::vector<wire::StickEntry> StickTable::snapshot(TimePoint now) const {
  std::vector<wire::StickEntry> out;
  std::lock_guard lock(impl_->mu);
  const Impl& s = *impl_;
  out.reserve(s.index.size());
  for (const Item& item : s.lru) {
    if (item.expiry <= now) continue;
    out.push_back(to_wire(item, options_.pool, now));
  }
  return out;
}

std::size_t StickTable::apply(const std::vector<wire::StickEntry>& from_elsewhere,
                              TimePoint now) {
  std::size_t changed = 0;
  for (const wire::StickEntry& in : from_elsewhere) {
    if (in.key().empty() || (!in.pool().empty() && in.pool() != options_.pool)) {
      std::lock_guard lock(impl_->mu);
      ++impl_->counters.rejected;
      continue;
    }
    // One lock per entry: a large snapshot never stalls the workers for long.
    Graveyard dead;
    auto fresh = std::make_unique<Item>();
    fresh->key = in.key();
    fresh->removed = in.removed();
    if (!fresh->removed) fresh->server = in.server();
    fresh->origin = in.origin();
    fresh->version = in.version();
    std::lock_guard lock(impl_->mu);
    if (impl_->apply_one(in, fresh, now, dead)) ++changed;
  }
  return changed;
}

std::vector<wire::StickEntry> StickTable::drain_changes(std::size_t max, TimePoint now) {
  std::vector<wire::StickEntry> out;
  std::lock_guard lock(impl_->mu);
  Impl& s = *impl_;
  out.reserve(std::min(max, s.dirty.size()));
  while (out.size() < max && !s.dirty.empty()) {
    Item& item = s.dirty.front();
    s.dirty.pop_front();
    if (item.expiry <= now) continue;
    out.push_back(to_wire(item, options_.pool, now));
  }
  return out;
}

bool StickTable::take_needs_full_resync() {
  std::lock_guard lock(impl_->mu);
  return std::exchange(impl_->needs_resync, false);
}

StickCounters StickTable::counters() const {
  std::lock_guard lock(impl_->mu);
  StickCounters out = impl_->counters;
  out.entries = impl_->live;
  return out;
}

}  // namespace tandem::lb
