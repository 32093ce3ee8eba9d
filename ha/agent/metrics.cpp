#include "ha/agent/metrics.h"

#include "common/prometheus_text.h"

namespace tandem::ha {

int state_metric_value(const std::string& state) {
  if (state == "BACKUP") return 1;
  if (state == "MASTER") return 2;
  if (state == "FAULT") return 3;
  return 0;
}

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
  m.family("tandem_ha_uptime_seconds", "gauge", "Seconds since the agent started.");
  m.sample("tandem_ha_uptime_seconds", {}, static_cast<double>(s.uptime_ms()) / 1000.0);
  return m.text();
}

}  // namespace tandem::ha
