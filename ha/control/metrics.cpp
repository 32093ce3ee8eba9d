#include "ha/control/metrics.h"

#include "common/prometheus_text.h"

namespace tandem::ha {

int state_metric_value(const std::string& state) {
  if (state == "BACKUP") return 1;
  if (state == "MASTER") return 2;
  if (state == "FAULT") return 3;
  return 0;
}

namespace {

// Stick-table sync (ha/sync/stick_sync.h).
void render_sync_metrics(PrometheusText& m, const wire::SyncStatus& y) {
  const auto d = [](std::uint64_t v) { return static_cast<double>(v); };
  m.family("tandem_sync_entries", "gauge", "Live entries in the agent's copy of each pool's stick table.");
  for (const auto& t : y.tables()) m.sample("tandem_sync_entries", {{"pool", t.pool()}}, d(t.entries()));
  m.family("tandem_sync_connected_peers", "gauge", "Peers with an established sync connection.");
  m.sample("tandem_sync_connected_peers", {}, y.connected_peers());
  m.family("tandem_sync_peer_up", "gauge", "1 when the sync connection to the peer is established.");
  for (const auto& p : y.peers()) m.sample("tandem_sync_peer_up", {{"peer", p.name()}}, p.state() == "connected" ? 1 : 0);
  m.family("tandem_sync_changes_sent_total", "counter", "Stick entries sent to peers (changes and snapshots).");
  for (const auto& p : y.peers()) m.sample("tandem_sync_changes_sent_total", {{"peer", p.name()}}, d(p.changes_sent()));
  m.family("tandem_sync_changes_received_total", "counter", "Stick entries received from peers.");
  for (const auto& p : y.peers())
    m.sample("tandem_sync_changes_received_total", {{"peer", p.name()}}, d(p.changes_received()));
  m.family("tandem_sync_queued", "gauge", "Changes waiting to be sent, per peer.");
  for (const auto& p : y.peers()) m.sample("tandem_sync_queued", {{"peer", p.name()}}, d(p.queued()));
  m.family("tandem_sync_resyncs_total", "counter", "Full snapshots sent to peers (connect, queue overflow).");
  m.sample("tandem_sync_resyncs_total", {}, d(y.resyncs()));
  m.family("tandem_sync_queue_overflows_total", "counter", "Sync queues that hit sync.queue_limit (then full resync).");
  m.sample("tandem_sync_queue_overflows_total", {}, d(y.queue_overflows()));
  m.family("tandem_sync_lag_ms", "gauge", "Sync lag quantiles: queued here to acknowledged by the peer.");
  m.sample("tandem_sync_lag_ms", {{"quantile", "0.5"}}, y.lag_p50_ms());
  m.sample("tandem_sync_lag_ms", {{"quantile", "0.99"}}, y.lag_p99_ms());
  m.family("tandem_sync_rejected_total", "counter", "Peer sync connections refused, by reason.");
  for (const auto& [reason, count] : y.rejected()) m.sample("tandem_sync_rejected_total", {{"reason", reason}}, d(count));
  m.family("tandem_sync_proxy_changes_total", "counter", "Stick entries on the local channel, by direction.");
  m.sample("tandem_sync_proxy_changes_total", {{"direction", "from_proxy"}}, d(y.proxy_changes_received()));
  m.sample("tandem_sync_proxy_changes_total", {{"direction", "to_proxy"}}, d(y.proxy_changes_sent()));
  m.family("tandem_sync_proxy_resyncs_total", "counter", "Full snapshots sent to the local proxy.");
  m.sample("tandem_sync_proxy_resyncs_total", {}, d(y.proxy_resyncs()));
  m.family("tandem_sync_connections_lost_total", "counter", "Established sync connections closed by the peer.");
  m.sample("tandem_sync_connections_lost_total", {}, d(y.connections_lost()));
  m.family("tandem_sync_fast_confirmations_total", "counter", "Peer agents found gone by fast probes.");
  m.sample("tandem_sync_fast_confirmations_total", {}, d(y.fast_confirmations()));
  m.family("tandem_sync_initial_done", "gauge", "1 once the initial sync from peers completed (may be master).");
  m.sample("tandem_sync_initial_done", {}, y.initial_sync_done() ? 1 : 0);
}

}  // namespace

std::string render_metrics(const wire::StatusResponse& s, const TransitionCounts& transitions) {
  PrometheusText m;
  m.family("tandem_ha_state", "gauge", "Instance state: 0 INIT, 1 BACKUP, 2 MASTER, 3 FAULT.");
  for (const auto& i : s.instances())
    m.sample("tandem_ha_state", {{"instance", i.name()}}, state_metric_value(i.state()));
  m.family("tandem_ha_priority", "gauge", "Effective priority of the instance on this node.");
  for (const auto& i : s.instances())
    m.sample("tandem_ha_priority", {{"instance", i.name()}}, i.effective_priority());
  m.family("tandem_ha_vip_held", "gauge", "1 when every VIP of the instance is on this node's interface.");
  for (const auto& i : s.instances())
    m.sample("tandem_ha_vip_held", {{"instance", i.name()}}, i.vip_held() ? 1 : 0);
  m.family("tandem_ha_adverts_received_total", "counter", "Adverts received and accepted.");
  m.sample("tandem_ha_adverts_received_total", {}, static_cast<double>(s.adverts().accepted()));
  m.family("tandem_ha_adverts_dropped_total", "counter", "Adverts dropped, by reason.");
  for (const auto& [reason, count] : s.adverts().dropped())
    m.sample("tandem_ha_adverts_dropped_total", {{"reason", reason}}, static_cast<double>(count));
  m.sample("tandem_ha_adverts_dropped_total", {{"reason", "not_ours"}},
           static_cast<double>(s.adverts().not_ours()));
  m.family("tandem_ha_adverts_sent_total", "counter", "Adverts sent (per destination).");
  m.sample("tandem_ha_adverts_sent_total", {}, static_cast<double>(s.adverts().sent()));
  m.family("tandem_ha_advert_send_errors_total", "counter", "Adverts that could not be sent.");
  m.sample("tandem_ha_advert_send_errors_total", {}, static_cast<double>(s.adverts().send_errors()));
  m.family("tandem_ha_transitions_total", "counter", "State transitions, by instance and new state.");
  for (const auto& [key, count] : transitions)
    m.sample("tandem_ha_transitions_total", {{"instance", key.first}, {"to", key.second}},
             static_cast<double>(count));
  m.family("tandem_ha_stalls_total", "counter", "Scheduler stalls detected (late timer events).");
  m.sample("tandem_ha_stalls_total", {}, static_cast<double>(s.stalls()));
  m.family("tandem_ha_proxy_alive", "gauge", "1 when the local lb-proxy is alive and serving.");
  m.sample("tandem_ha_proxy_alive", {}, s.proxy().alive() ? 1 : 0);
  if (s.has_sync()) render_sync_metrics(m, s.sync());
  m.family("tandem_ha_uptime_seconds", "gauge", "Seconds since the agent started.");
  m.sample("tandem_ha_uptime_seconds", {}, static_cast<double>(s.uptime_ms()) / 1000.0);
  return m.text();
}

}  // namespace tandem::ha
