#include "config/host_checks.h"

#include <net/if.h>

#include "common/hmac.h"
#include "config/source_position.h"

namespace tandem::config {

bool SystemHost::interface_exists(const std::string& name) const { return ::if_nametoindex(name.c_str()) != 0; }

std::optional<std::string> SystemHost::key_file_problem(const std::string& path) const {
  std::string key, error;
  if (read_key_file(path, key, error) && key_file_is_private(path, error)) return std::nullopt;
  return error;
}

std::vector<Problem> check_host(const LoadResult& loaded, const std::string& node, const Host& host,
                                HostChecks what) {
  std::vector<Problem> problems;
  if (!loaded.cluster) return problems;
  const Cluster& cluster = *loaded.cluster;
  const SourcePosition root(loaded.filename, loaded.locations.get(), Cluster::descriptor(), loaded.filename);
  if (what.key_file && cluster.has_ha() && !cluster.ha().key_file().empty()) {
    if (auto problem = host.key_file_problem(cluster.ha().key_file())) {
      problems.push_back({root.in("ha").at("key_file"), "ha: key_file: " + *problem});
    }
  }
  if (what.interface) {
    for (int i = 0; i < cluster.nodes_size(); ++i) {
      const auto& n = cluster.nodes(i);
      if (n.name() != node || n.interface().empty() || host.interface_exists(n.interface())) continue;
      problems.push_back({root.in("nodes", i).at("interface"),
                          "node '" + node + "': interface '" + n.interface() +
                              "' does not exist on this host (see `ip link`; run this check on the node itself)"});
    }
  }
  return problems;
}

}  // namespace tandem::config
