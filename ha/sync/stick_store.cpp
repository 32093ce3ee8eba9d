#include "ha/sync/stick_store.h"

#include <algorithm>
#include <limits>
#include <tuple>

namespace tandem::ha::sync {

StickStore::StickStore(std::map<std::string, PoolLimits> pools) {
  for (auto& [name, limits] : pools) {
    stick::TableOptions options;
    options.pool = name;
    options.ttl = std::max(limits.ttl, std::chrono::milliseconds(1));
    options.max_entries = limits.max_entries;
    options.max_pending_changes = 0;  // what changed is apply()'s result
    tables_.emplace(std::piecewise_construct, std::forward_as_tuple(name), std::forward_as_tuple(std::move(options)));
  }
}

std::vector<wire::StickEntry> StickStore::apply(const std::vector<wire::StickEntry>& entries, TimePoint now) {
  std::vector<wire::StickEntry> changed;
  stick::Graveyard dead;
  for (const auto& in : entries) {
    auto it = tables_.find(in.pool());
    if (in.key().empty() || it == tables_.end()) {
      ++rejected_;
      continue;
    }
    stick::Table& table = it->second;
    auto fresh = stick::Table::make_node(in);
    if (!table.apply(in, fresh, now, dead)) continue;
    wire::StickEntry out = in;
    out.set_ttl_remaining_ms(std::min<std::uint32_t>(
        in.ttl_remaining_ms(), static_cast<std::uint32_t>(std::min<std::int64_t>(
                                   table.options().ttl.count(), std::numeric_limits<std::uint32_t>::max()))));
    if (out.removed()) out.clear_server();
    changed.push_back(std::move(out));
  }
  return changed;
}

std::vector<wire::StickEntry> StickStore::snapshot(TimePoint now) const {
  std::vector<wire::StickEntry> out;
  for (const auto& [pool, table] : tables_) table.list(now, /*with_markers=*/true, out);
  return out;
}

std::size_t StickStore::expire(TimePoint now) {
  std::size_t gone = 0;
  stick::Graveyard dead;
  for (auto& [pool, table] : tables_) {
    const auto expired = table.expire(now, dead);
    gone += expired.live + expired.markers;
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
  if (it == tables_.end()) return {};
  const stick::Counters c = it->second.counters();
  return StoreCounters{c.entries, c.markers, c.applied, c.stale, c.evictions};
}

}  // namespace tandem::ha::sync
