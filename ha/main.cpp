// ha-agent: Tandem's control path. See ha/agent/agent.h.
//
//   ha-agent --config cluster.conf --node edge1 [--log-level info] [--check-config]
//   ha-agent --config cluster.conf --node edge1 --status [--json]
//   ha-agent --config cluster.conf --node edge1 --switchover [--to NODE] [--instance NAME]
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <string>

#include <spdlog/spdlog.h>

#include "common/hmac.h"
#include "common/key_ring.h"
#include "common/logging.h"
#include "config/loader.h"
#include "ha/agent/agent.h"
#include "ha/agent/control_client.h"
#include "ha/agent/protobuf_log.h"
#include "ha/agent/settings.h"
#include "ha/agent/status_builder.h"
#include "ha/vip/capabilities.h"

namespace {

const char* kUsage =
    "usage: ha-agent --config FILE --node NAME [options]\n"
    "\n"
    "  --config FILE       the cluster file (protobuf text format, see config/examples/)\n"
    "  --node NAME         which node of the file this host is\n"
    "  --check-config      only check the file: print every problem as file:line:col, exit 0 or 1\n"
    "  --log-level L       trace, debug, info (default), warn, error\n"
    "\n"
    "Control client (talks to the running agent of --node through its control_socket):\n"
    "  --status            print its status (exit 2 when it cannot be reached)\n"
    "  --json              with --status: print JSON\n"
    "  --switchover        hand the master role over (planned, faster than a failure)\n"
    "  --to NODE           with --switchover: the node to hand over to (default: best backup)\n"
    "  --instance NAME     with --switchover: only this instance (default: every instance it masters)\n"
    "\n"
    "Signals: SIGTERM/SIGINT resign (priority 0, naming a successor), remove the VIPs,\n"
    "mark the state file stale and exit 0.\n";

constexpr std::chrono::milliseconds kClientTimeout{1000};

int run_client(const tandem::config::Node& node, bool status, bool json, const std::string& to,
               const std::string& instance) {
  const std::string& path = node.control_socket();
  if (path.empty()) {
    std::cerr << "ha-agent: node " << node.name() << " has no control_socket in the cluster file\n";
    return 2;
  }
  tandem::wire::ControlRequest request;
  if (status) {
    request.mutable_status();
  } else {
    request.mutable_switchover()->set_to(to);
    request.mutable_switchover()->set_instance(instance);
  }
  std::string error;
  auto response = tandem::ha::control_exchange(path, request, kClientTimeout, error);
  if (!response) {
    std::cerr << "cannot reach ha-agent at " << path << ": " << error << "\n";
    return 2;
  }
  if (response->has_error()) {
    std::cerr << "ha-agent: " << response->error() << "\n";
    return 1;
  }
  if (status) {
    std::cout << (json ? tandem::ha::status_json(response->status()) + "\n"
                       : tandem::ha::format_status(response->status()));
    return 0;
  }
  for (const auto& m : response->switchover().messages()) std::cout << m << "\n";
  return response->switchover().accepted() ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::string config_path, node, level = "info", to, instance;
  bool check_only = false, status = false, json = false, switchover = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::cerr << "ha-agent: " << arg << " needs a value\n" << kUsage;
        std::exit(2);
      }
      return argv[++i];
    };
    if (arg == "--config") {
      config_path = value();
    } else if (arg == "--node") {
      node = value();
    } else if (arg == "--check-config") {
      check_only = true;
    } else if (arg == "--log-level") {
      level = value();
    } else if (arg == "--status") {
      status = true;
    } else if (arg == "--json") {
      json = true;
    } else if (arg == "--switchover") {
      switchover = true;
    } else if (arg == "--to") {
      to = value();
    } else if (arg == "--instance") {
      instance = value();
    } else if (arg == "--help" || arg == "-h") {
      std::cout << kUsage;
      return 0;
    } else {
      std::cerr << "ha-agent: unknown argument '" << arg << "'\n" << kUsage;
      return 2;
    }
  }
  if (config_path.empty() || node.empty()) {
    std::cerr << "ha-agent: --config and --node are required\n" << kUsage;
    return 2;
  }
  if (status && switchover) {
    std::cerr << "ha-agent: --status and --switchover exclude each other\n";
    return 2;
  }
  if ((json && !status) || ((!to.empty() || !instance.empty()) && !switchover)) {
    std::cerr << "ha-agent: --json goes with --status; --to and --instance go with --switchover\n";
    return 2;
  }
  if (auto error = tandem::init_logging("ha-agent", level); !error.empty()) {
    std::cerr << "ha-agent: " << error << "\n";
    return 2;
  }
  tandem::ha::route_protobuf_logs_to_spdlog();

  const bool agent_mode = !check_only && !status && !switchover;
  if (agent_mode) {
    if (auto missing = tandem::ha::missing_capabilities(); !missing.empty()) {
      std::cerr << "ha-agent: " << missing << "\n";
      return 1;
    }
  }
  auto loaded = tandem::config::load_for_node(config_path, node);
  if (!loaded.cluster) {
    std::cerr << tandem::config::format_problems(loaded.problems);
    std::cerr << "ha-agent: " << loaded.problems.size() << " problem(s) in " << config_path
              << "; nothing was started\n";
    return 1;
  }
  const auto& cluster = *loaded.cluster;
  const auto* self = tandem::config::find_node(cluster, node);
  if (status || switchover) return run_client(*self, status, json, to, instance);

  // What the validator cannot know: the agent's own view must build too.
  try {
    (void)tandem::ha::ha_settings(cluster);
    (void)tandem::ha::plan_instances(cluster, node);
  } catch (const std::exception& e) {
    std::cerr << config_path << ": error: " << e.what() << "\n";
    return 1;
  }
  if (check_only) {
    std::cout << config_path << ": configuration is valid for node " << node << "\n";
    return 0;
  }
  tandem::KeyRing keys;
  std::string error;
  if (!tandem::read_key_ring(cluster.ha().key_file(), cluster.ha().next_key_file(), keys, error)) {
    std::cerr << "ha-agent: " << error << "\n";
    spdlog::critical("startup_failed error=\"{}\"", error);
    return 1;
  }
  try {
    tandem::ha::Agent agent(cluster, node, std::move(keys));
    // SIGHUP re-reads the cluster file's key_file and next_key_file.
    agent.set_key_reloader([config_path, node](std::string& why) -> std::optional<tandem::KeyRing> {
      auto again = tandem::config::load_for_node(config_path, node);
      if (!again.cluster) {
        why = tandem::config::format_problems(again.problems);
        return std::nullopt;
      }
      tandem::KeyRing ring;
      if (!tandem::read_key_ring(again.cluster->ha().key_file(), again.cluster->ha().next_key_file(), ring, why))
        return std::nullopt;
      return ring;
    });
    return agent.run();
  } catch (const std::exception& e) {
    spdlog::critical("startup_failed error=\"{}\"", e.what());
    return 1;
  }
}
