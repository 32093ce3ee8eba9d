// An operator's switchover request (lbctl failover, ha-agent --switchover)
// over this node's instances: which instances it names, and the answer.
// Each instance's own hand-over is its driver's (ha/failover/instance_driver.h).
#pragma once

#include <vector>

#include "common/proto/control.pb.h"
#include "ha/failover/instance_driver.h"

namespace tandem::ha {

// Hands over REQUEST.instance, or (no instance named) every instance this
// node is master of, to REQUEST.to (or the best backup). One message per
// instance concerned; `accepted` when at least one was handed over.
wire::SwitchoverResponse run_switchover(const std::vector<InstanceDriver*>& drivers,
                                        const wire::SwitchoverRequest& request, TimePoint now);

}  // namespace tandem::ha
