// Where every node's remote control endpoint listens (node.address with
// ha.control_port), for lbctl and the agents' status pages.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/control/remote_client.h"
#include "config/proto/cluster.pb.h"

namespace tandem::config {

// ha.control_port, or its default 5799.
std::uint16_t control_port(const Cluster& cluster);

// One target per node, in file order. A node whose address does not parse
// gets an empty host (its calls fail with "bad address").
std::vector<control::Target> control_targets(const Cluster& cluster);

}  // namespace tandem::config
