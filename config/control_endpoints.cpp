#include "config/control_endpoints.h"

#include "common/address.h"

namespace tandem::config {

std::uint16_t control_port(const Cluster& cluster) {
  const auto port = cluster.ha().control_port();
  return port > 0 && port < 65536 ? static_cast<std::uint16_t>(port) : std::uint16_t{5799};
}

std::vector<control::Target> control_targets(const Cluster& cluster) {
  std::vector<control::Target> out;
  for (const auto& n : cluster.nodes()) {
    control::Target t;
    t.node = n.name();
    t.port = control_port(cluster);
    std::string error;
    if (auto prefix = parse_prefix(n.address(), error)) {
      t.host = prefix->address.to_string();
    } else if (auto hp = parse_host_port(n.address(), error, true)) {
      t.host = hp->address.to_string();
    }
    out.push_back(std::move(t));
  }
  return out;
}

}  // namespace tandem::config
