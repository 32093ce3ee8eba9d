// StickSync::status: what sync reports (wire::SyncStatus, common/proto/
// control.proto) for lbctl, the status page and the metrics.
#include <algorithm>
#include <climits>

#include "ha/sync/stick_sync.h"

namespace tandem::ha {

namespace {

void add_tables(const sync::StickStore& store, wire::SyncStatus& s) {
  for (const auto& pool : store.pools()) {
    const auto c = store.counters(pool);
    auto* t = s.add_tables();
    t->set_pool(pool);
    t->set_entries(c.entries);
    t->set_removal_markers(c.markers);
  }
}

void add_peer(const sync::SyncPeer& p, sync::TimePoint now, wire::SyncStatus& s) {
  auto* ps = s.add_peers();
  ps->set_name(p.name);
  ps->set_dialer(p.dialer);
  ps->set_state(p.conn ? "connected" : p.connecting ? "connecting" : "down");
  ps->set_changes_sent(p.sent);
  ps->set_changes_received(p.received);
  ps->set_snapshots_sent(p.snapshots_sent);
  ps->set_snapshots_received(p.snapshots_received);
  ps->set_queued(p.out.size());
  ps->set_connects(p.connects);
  ps->set_connected_ms_ago(
      p.connected_since
          ? static_cast<std::int32_t>(std::min<long long>(
                std::chrono::duration_cast<std::chrono::milliseconds>(now - *p.connected_since).count(), INT32_MAX))
          : -1);
}

}  // namespace

wire::SyncStatus StickSync::status(sync::TimePoint now) const {
  wire::SyncStatus s;
  s.set_initial_sync_done(eligibility_ == sync::Eligibility::kEligible);
  s.set_eligibility(sync::to_string(eligibility_));
  if (gate_) s.set_initial_sync(gate_->describe(now));
  add_tables(store_, s);
  std::uint64_t sent = 0, received = 0, resyncs = 0, overflows = proxy_.overflows();
  std::uint32_t connected = 0;
  for (const auto& p : peers_) {
    add_peer(*p, now, s);
    if (p->conn) ++connected;
    sent += p->sent;
    received += p->received;
    resyncs += p->snapshots_sent;
    overflows += p->out.overflows();
  }
  s.set_connected_peers(connected);
  s.set_changes_sent(sent);
  s.set_changes_received(received);
  s.set_resyncs(resyncs);
  s.set_queue_overflows(overflows);
  s.set_lag_p50_ms(lag_.quantile(0.5));
  s.set_lag_p99_ms(lag_.quantile(0.99));
  s.set_lag_samples(lag_.count());
  for (const auto& [reason, count] : rejected_) (*s.mutable_rejected())[reason] = count;
  s.set_proxy_changes_received(proxy_.counters().received);
  s.set_proxy_changes_sent(proxy_.counters().sent);
  s.set_proxy_resyncs(proxy_.counters().resyncs);
  s.set_connections_lost(connections_lost_);
  s.set_fast_confirmations(fast_confirmations_);
  return s;
}

}  // namespace tandem::ha
