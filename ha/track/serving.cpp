#include "ha/track/serving.h"

#include "config/defaults.h"

namespace tandem::ha {

std::vector<std::string> listeners_for_vips(const config::Cluster& cluster, const config::Node& node,
                                            const std::vector<Prefix>& vips) {
  std::vector<std::string> out;
  for (const auto& listener : cluster.listeners()) {
    std::string error;
    const auto bind = parse_host_port(config::effective_bind(node, listener), error, true);
    if (!bind) continue;  // the validator reports it
    bool carries = false;
    for (const auto& vip : vips) {
      const bool same_family = vip.address.is_v4() == bind->address.is_v4();
      if (same_family && (bind->address.is_unspecified() || bind->address == vip.address)) carries = true;
    }
    if (carries) out.push_back(listener.name());
  }
  return out;
}

ServingVerdict instance_serving(const std::vector<std::string>& listeners,
                                const std::optional<wire::ProxyHeartbeat>& last, bool alive,
                                const std::string& why_dead) {
  if (!alive) return {false, "lb-proxy: " + (why_dead.empty() ? std::string("dead") : why_dead)};
  if (listeners.empty()) return {true, ""};
  if (!last) return {false, "no heartbeat from lb-proxy yet"};
  std::string why;
  for (const auto& name : listeners) {
    const wire::ListenerServing* found = nullptr;
    for (const auto& l : last->listeners())
      if (l.listener() == name) found = &l;
    std::string problem;
    if (!found) {
      problem = "listener " + name + " is not open in lb-proxy";
    } else if (found->usable_servers() == 0) {
      problem = "listener " + name + ": no usable server in pool " + found->pool() + " (0 of " +
                std::to_string(found->servers_total()) + ")";
    }
    if (!problem.empty()) why += (why.empty() ? "" : "; ") + problem;
  }
  return {why.empty(), why};
}

}  // namespace tandem::ha
