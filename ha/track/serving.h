// Can this node serve an instance? The agent's side of the "Serving" rule
// (written down in ha/failover/instance_machine.h): which listeners carry an
// instance's VIPs, and whether the lb-proxy's last heartbeat says each of
// them has a server to send clients to. Pure.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/address.h"
#include "common/proto/local_channel.pb.h"
#include "config/proto/cluster.pb.h"

namespace tandem::ha {

// The listeners of NODE that carry traffic for VIPS: those whose bind
// address (NODE's bind_overrides applied) is one of the VIP addresses, or a
// wildcard ("0.0.0.0", "::") of the same family. In configuration order.
std::vector<std::string> listeners_for_vips(const config::Cluster& cluster, const config::Node& node,
                                            const std::vector<Prefix>& vips);

// The verdict for one instance.
struct ServingVerdict {
  bool can_serve = false;
  std::string why;  // why not ("" when it can), for logs, status and the transition cause
};

// Whether an instance whose VIPs are carried by LISTENERS can be served, from
// the proxy's LAST heartbeat (nullopt: none since it connected) while the
// proxy is ALIVE (ProxyLiveness). Every listener needs at least one usable
// server; a listener the heartbeat does not list is not open. No listener
// at all: nothing to judge, it can serve.
ServingVerdict instance_serving(const std::vector<std::string>& listeners,
                                const std::optional<wire::ProxyHeartbeat>& last, bool alive,
                                const std::string& why_dead);

}  // namespace tandem::ha
