// What the operator surfaces (control socket, remote control, admin HTTP)
// may see of the agent: a read-only view, so they depend on a status
// snapshot and the counters, not on the whole Agent and its machines.
#pragma once

#include "common/proto/control.pb.h"
#include "ha/control/metrics.h"

namespace tandem::ha {

class AgentView {
 public:
  virtual ~AgentView() = default;

  // A snapshot of the agent's status: instances, proxy, tracks, adverts,
  // sync (ha/control/status_builder.h). Changes nothing.
  virtual wire::StatusResponse status() const = 0;
  // State transitions so far, per instance and state entered.
  virtual const TransitionCounts& transition_counts() const = 0;
};

}  // namespace tandem::ha
