#include "ha/sync/stick_store.h"

#include <algorithm>
#include <limits>

#include "common/stick/merge_rule.h"

namespace tandem::ha::sync {

namespace {

using std::chrono::duration_cast;
using std::chrono::milliseconds;

std::uint32_t remaining_ms(TimePoint expiry, TimePoint now) {
  if (expiry <= now) return 0;
  const auto left = duration_cast<milliseconds>(expiry - now).count();
  return static_cast<std::uint32_t>(std::min<std::int64_t>(left, std::numeric_limits<std::uint32_t>::max()));
}

}  // namespace

StickStore::StickStore(std::map<std::string, PoolLimits> pools) {
  for (auto& [name, limits] : pools) {
    Table t;
    t.limits = limits;
    t.limits.ttl = std::max(t.limits.ttl, milliseconds(1));
    t.limits.max_entries = std::max<std::size_t>(t.limits.max_entries, 1);
    tables_.emplace(name, std::move(t));
  }
}

void StickStore::erase(Table& table, std::unordered_map<std::string, Item>::iterator it) {
  table.by_expiry.erase({it->second.expiry, it->first});
  if (it->second.removed) --table.counters.markers; else --table.counters.entries;
  table.items.erase(it);
}

std::vector<wire::StickEntry> StickStore::apply(const std::vector<wire::StickEntry>& entries, TimePoint now) {
  std::vector<wire::StickEntry> changed;
  for (const auto& in : entries) {
    auto tit = tables_.find(in.pool());
    if (in.key().empty() || tit == tables_.end()) {
      ++rejected_;
      continue;
    }
    Table& table = tit->second;
    const auto ttl_ms = static_cast<std::uint32_t>(
        std::min<std::int64_t>(table.limits.ttl.count(), std::numeric_limits<std::uint32_t>::max()));
    const std::uint32_t in_ms = std::min(in.ttl_remaining_ms(), ttl_ms);
    auto it = table.items.find(in.key());
    if (it != table.items.end()) {
      const Item& held = it->second;
      if (!stick_incoming_wins(held.expiry, held.origin, held.version, in_ms, in.origin(), in.version(), now)) {
        ++table.counters.stale;
        continue;
      }
      erase(table, it);
    } else if (in_ms == 0) {
      ++table.counters.stale;
      continue;
    }
    Item item;
    item.removed = in.removed();
    if (!item.removed) item.server = in.server();
    item.origin = in.origin();
    item.version = in.version();
    item.expiry = now + milliseconds(in_ms);
    // At the bound, the entry closest to expiry goes (it was written longest ago).
    while (table.items.size() >= table.limits.max_entries && !table.by_expiry.empty()) {
      auto victim = table.items.find(table.by_expiry.begin()->second);
      erase(table, victim);
      ++table.counters.evictions;
    }
    table.by_expiry.insert({item.expiry, in.key()});
    if (item.removed) ++table.counters.markers; else ++table.counters.entries;
    table.items.emplace(in.key(), std::move(item));
    ++table.counters.applied;
    wire::StickEntry out = in;
    out.set_ttl_remaining_ms(in_ms);
    if (out.removed()) out.clear_server();
    changed.push_back(std::move(out));
  }
  return changed;
}

std::vector<wire::StickEntry> StickStore::snapshot(TimePoint now) const {
  std::vector<wire::StickEntry> out;
  for (const auto& [pool, table] : tables_) {
    for (const auto& [key, item] : table.items) {
      const auto left = remaining_ms(item.expiry, now);
      if (left == 0) continue;
      wire::StickEntry e;
      e.set_pool(pool);
      e.set_key(key);
      if (!item.removed) e.set_server(item.server);
      e.set_ttl_remaining_ms(left);
      e.set_version(item.version);
      e.set_origin(item.origin);
      e.set_removed(item.removed);
      out.push_back(std::move(e));
    }
  }
  return out;
}

std::size_t StickStore::expire(TimePoint now) {
  std::size_t gone = 0;
  for (auto& [pool, table] : tables_) {
    while (!table.by_expiry.empty() && table.by_expiry.begin()->first <= now) {
      erase(table, table.items.find(table.by_expiry.begin()->second));
      ++gone;
    }
  }
  return gone;
}

std::vector<std::string> StickStore::pools() const {
  std::vector<std::string> out;
  for (const auto& [pool, table] : tables_) out.push_back(pool);
  return out;
}

StoreCounters StickStore::counters(const std::string& pool) const {
  auto it = tables_.find(pool);
  return it == tables_.end() ? StoreCounters{} : it->second.counters;
}

}  // namespace tandem::ha::sync
