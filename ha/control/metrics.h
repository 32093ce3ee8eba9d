// The agent's Prometheus metrics (GET /metrics on node.agent_admin), rendered
// from the status message plus the per-(instance, state) transition counts.
// Pure.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>

#include "common/proto/control.pb.h"

namespace tandem::ha {

// Transitions counted per (instance, new state).
using TransitionCounts = std::map<std::pair<std::string, std::string>, std::uint64_t>;

// The numeric value of tandem_ha_state: INIT 0, BACKUP 1, MASTER 2, FAULT 3.
int state_metric_value(const std::string& state);

// The /metrics text: tandem_ha_state{instance}, tandem_ha_priority{instance},
// tandem_ha_vip_held{instance}, tandem_ha_adverts_received_total,
// tandem_ha_adverts_dropped_total{reason}, tandem_ha_adverts_sent_total,
// tandem_ha_transitions_total{instance,to}, tandem_ha_stalls_total,
// tandem_ha_proxy_alive, tandem_ha_uptime_seconds.
std::string render_metrics(const wire::StatusResponse& status, const TransitionCounts& transitions);

}  // namespace tandem::ha
