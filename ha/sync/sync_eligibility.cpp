#include "ha/sync/sync_eligibility.h"

namespace tandem::ha::sync {

const char* to_string(Eligibility e) {
  switch (e) {
    case Eligibility::kWaiting:
      return "waiting";
    case Eligibility::kLastResort:
      return "last_resort";
    case Eligibility::kEligible:
      return "eligible";
  }
  return "?";
}

SyncEligibility::SyncEligibility(std::set<std::string> peers, bool proxy_link, TimePoint deadline)
    : gate_(std::move(peers), deadline), proxy_link_(proxy_link) {}

void SyncEligibility::snapshot_complete(const std::string& peer) {
  ++snapshots_;
  gate_.snapshot_complete(peer);
}

void SyncEligibility::peer_absent(const std::string& peer) { gate_.peer_absent(peer); }

void SyncEligibility::proxy_snapshot_sent(std::uint64_t id, TimePoint now) {
  if (!wanted_ && table_ready(now)) wanted_ = id;
}

void SyncEligibility::proxy_applied(std::uint64_t id) { applied_ = std::max(applied_, id); }

bool SyncEligibility::table_ready(TimePoint now) const {
  if (gate_.waiting().empty()) return true;                     // (a) before the deadline
  return now >= *gate_.deadline() && snapshots_ > 0;            // after it, one snapshot will do
}

bool SyncEligibility::proxy_holds_table() const { return !proxy_needed() || (wanted_ && applied_ >= *wanted_); }

bool SyncEligibility::proxy_snapshot_due(TimePoint now) const {
  return !eligible_ && proxy_needed() && !wanted_ && table_ready(now);
}

Eligibility SyncEligibility::verdict(TimePoint now) const {
  if (eligible_ || (table_ready(now) && proxy_holds_table())) return Eligibility::kEligible;
  return now >= *gate_.deadline() ? Eligibility::kLastResort : Eligibility::kWaiting;
}

Eligibility SyncEligibility::update(TimePoint now) {
  const auto v = verdict(now);
  if (v == Eligibility::kEligible) eligible_ = true;
  return v;
}

std::string SyncEligibility::describe(TimePoint now) const {
  std::string text = gate_.describe(now);
  if (proxy_needed()) {
    if (proxy_holds_table()) {
      text += "; proxy: snapshot " + std::to_string(*wanted_) + " applied";
    } else if (wanted_) {
      text += "; proxy: snapshot " + std::to_string(*wanted_) + " sent, not yet applied";
    } else {
      text += "; proxy: waiting for the table";
    }
  }
  const auto v = verdict(now);
  if (v == Eligibility::kLastResort) text += "; last resort (lowest priority) until a snapshot is in the proxy";
  return text;
}

}  // namespace tandem::ha::sync
