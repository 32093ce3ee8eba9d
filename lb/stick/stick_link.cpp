#include "lb/stick/stick_link.h"

#include <algorithm>
#include <iterator>
#include <limits>
#include <utility>

#include <spdlog/spdlog.h>

namespace tandem::lb {

namespace {

wire::StickChanges stick_changes(std::vector<wire::StickEntry>&& entries, bool snapshot, bool end) {
  wire::StickChanges c;
  for (auto& e : entries) *c.add_entries() = std::move(e);
  c.set_full_snapshot(snapshot);
  c.set_snapshot_end(end);
  return c;
}

}  // namespace

StickLink::StickLink(std::size_t batch) : batch_(std::clamp<std::size_t>(batch, 1, kMaxBatch)) {}

std::vector<wire::StickChanges> StickLink::outgoing(const std::vector<StickTable*>& tables, TimePoint now) {
  std::vector<wire::StickChanges> out;
  std::set<const StickTable*> current;
  bool full = std::exchange(full_resync_, false);
  for (auto* t : tables) {
    current.insert(t);
    if (!known_tables_.contains(t)) full = true;   // new pool or rebuilt table
    if (t->take_needs_full_resync()) full = true;  // its change queue overflowed
  }
  known_tables_ = std::move(current);
  if (!full) {
    for (auto* t : tables) add_changes(*t, now, out);
    return out;
  }
  ++counters_.resyncs;
  const auto before = counters_.sent;
  for (auto* t : tables) add_snapshot(*t, now, out);
  out.push_back(stick_changes({}, true, true));
  spdlog::info("stick_resync_sent entries={} tables={}", counters_.sent - before, tables.size());
  return out;
}

void StickLink::add_snapshot(StickTable& table, TimePoint now, std::vector<wire::StickChanges>& out) {
  table.drain_changes(std::numeric_limits<std::size_t>::max(), now);  // the snapshot covers them
  auto all = table.snapshot(now);
  counters_.sent += all.size();
  for (std::size_t i = 0; i < all.size(); i += batch_) {
    const auto end = std::min(all.size(), i + batch_);
    std::vector<wire::StickEntry> part(std::make_move_iterator(all.begin() + static_cast<std::ptrdiff_t>(i)),
                                       std::make_move_iterator(all.begin() + static_cast<std::ptrdiff_t>(end)));
    out.push_back(stick_changes(std::move(part), true, false));
  }
}

void StickLink::add_changes(StickTable& table, TimePoint now, std::vector<wire::StickChanges>& out) {
  for (;;) {
    auto changes = table.drain_changes(batch_, now);
    if (changes.empty()) return;
    counters_.sent += changes.size();
    const bool more = changes.size() == batch_;
    out.push_back(stick_changes(std::move(changes), false, false));
    if (!more) return;
  }
}

bool StickLink::incoming(const wire::StickChanges& changes,
                         const std::function<void(const std::vector<wire::StickEntry>&)>& apply) {
  counters_.received += static_cast<std::uint64_t>(changes.entries_size());
  if (changes.entries_size() > 0) apply({changes.entries().begin(), changes.entries().end()});
  if (!changes.snapshot_end()) return false;
  spdlog::info("stick_resync_received entries_total={} snapshot_id={}", counters_.received, changes.snapshot_id());
  // Frames are applied in order, so every entry of the snapshot is in the
  // tables now: acknowledge it (the agent's gate waits for this).
  if (changes.snapshot_id() == 0) return false;
  applied_snapshot_ = changes.snapshot_id();
  return true;
}

std::optional<std::uint64_t> StickLink::take_ack() {
  if (applied_snapshot_ == acked_) return std::nullopt;
  acked_ = applied_snapshot_;
  return acked_;
}

}  // namespace tandem::lb
