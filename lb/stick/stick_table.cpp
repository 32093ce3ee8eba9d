// The lock around the one store (common/stick/table.h). Nodes are built
// before the lock is taken and dead ones freed after it is released
// (stick::Graveyard is declared before every lock guard).
#include "lb/stick/stick_table.h"

#include <utility>

namespace tandem::lb {

StickTable::StickTable(StickTableOptions options) : table_(std::move(options)) {}

StickTable::~StickTable() = default;

std::optional<std::string> StickTable::lookup(std::string_view key, TimePoint now) {
  std::lock_guard lock(mu_);
  return table_.lookup(key, now);
}

void StickTable::put(std::string_view key, std::string_view server, TimePoint now) {
  if (key.empty()) return;
  stick::Graveyard dead;
  auto fresh = stick::Table::make_node(key, server, table_.options().node);
  std::lock_guard lock(mu_);
  table_.write(fresh, /*removal=*/false, now, dead);
}

void StickTable::move(std::string_view key, std::string_view new_server, TimePoint now) {
  put(key, new_server, now);
}

void StickTable::remove(std::string_view key, TimePoint now) {
  stick::Graveyard dead;
  auto fresh = stick::Table::make_node(key, {}, table_.options().node);
  std::lock_guard lock(mu_);
  table_.write(fresh, /*removal=*/true, now, dead);
}

std::size_t StickTable::expire(TimePoint now) {
  stick::Graveyard dead;
  std::lock_guard lock(mu_);
  return table_.expire(now, dead).live;
}

std::vector<wire::StickEntry> StickTable::list(TimePoint now) const {
  std::vector<wire::StickEntry> out;
  std::lock_guard lock(mu_);
  table_.list(now, /*with_markers=*/false, out);
  return out;
}

std::vector<wire::StickEntry> StickTable::snapshot(TimePoint now) const {
  std::vector<wire::StickEntry> out;
  std::lock_guard lock(mu_);
  table_.list(now, /*with_markers=*/true, out);
  return out;
}

std::size_t StickTable::apply(const std::vector<wire::StickEntry>& from_elsewhere, TimePoint now) {
  std::size_t changed = 0;
  for (const wire::StickEntry& in : from_elsewhere) {
    // One lock per entry: a large snapshot never stalls the workers for long.
    stick::Graveyard dead;
    auto fresh = stick::Table::make_node(in);
    std::lock_guard lock(mu_);
    if (table_.accepts(in) && table_.apply(in, fresh, now, dead)) ++changed;
  }
  return changed;
}

std::vector<wire::StickEntry> StickTable::drain_changes(std::size_t max, TimePoint now) {
  std::lock_guard lock(mu_);
  return table_.drain_changes(max, now);
}

bool StickTable::take_needs_full_resync() {
  std::lock_guard lock(mu_);
  return table_.take_needs_full_resync();
}

StickCounters StickTable::counters() const {
  std::lock_guard lock(mu_);
  return table_.counters();
}

}  // namespace tandem::lb
