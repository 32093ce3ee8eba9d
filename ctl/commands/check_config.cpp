// lbctl check-config: the cluster file and the key, checked without
// talking to any node.
#include <iostream>

#include "common/hmac.h"
#include "config/control_endpoints.h"
#include "config/loader.h"
#include "ctl/commands.h"
#include "ctl/output.h"

namespace tandem::ctl {

namespace json = boost::json;

int cmd_check_config(const Options& o) {
  auto loaded = config::load_cluster_file(o.config);
  json::object out;
  out["config"] = o.config;
  if (!loaded.cluster) {
    json::array problems;
    for (const auto& p : loaded.problems) problems.emplace_back(p.where + ": " + p.message);
    out["valid"] = false;
    out["problems"] = std::move(problems);
    out["exit_code"] = 2;
    if (o.json) {
      print_json(out);
    } else {
      std::cerr << config::format_problems(loaded.problems) << "lbctl: " << loaded.problems.size() << " problem(s) in "
                << o.config << "\n";
    }
    return 2;
  }
  const auto& c = *loaded.cluster;
  std::string key, key_error;
  const std::string key_path = o.key.empty() ? c.ha().key_file() : o.key;
  const bool key_ok = !key_path.empty() && read_key_file(key_path, key, key_error);
  if (key_path.empty()) key_error = "no ha.key_file (and no --key)";
  json::array nodes;
  for (const auto& t : config::control_targets(c)) {
    json::object n;
    n["node"] = t.node;
    n["control"] = t.host + ":" + std::to_string(t.port);
    nodes.push_back(std::move(n));
  }
  out["valid"] = key_ok;
  out["key_file"] = key_path;
  out["key_error"] = key_error;
  out["nodes"] = std::move(nodes);
  out["exit_code"] = key_ok ? 0 : 2;
  if (o.json) {
    print_json(out);
  } else {
    std::cout << o.config << ": configuration is valid (cluster " << c.name() << ", " << c.nodes_size()
              << " nodes, " << c.pools_size() << " pools, " << c.ha().instances_size() << " instances)\n";
    for (const auto& t : config::control_targets(c))
      std::cout << "  " << t.node << ": control endpoint " << t.host << ":" << t.port << "\n";
    if (key_ok) {
      std::cout << "  key: " << key_path << " (" << key.size() << " bytes)\n";
    } else {
      std::cerr << "lbctl: key: " << key_error << "\n";
    }
  }
  return key_ok ? 0 : 2;
}

}  // namespace tandem::ctl
