// ha-agent: Tandem's control path. See ha/agent/agent.h.
//
//   ha-agent --config cluster.conf --node edge1 [--log-level info] [--check-config]
//   ha-agent --config cluster.conf --node edge1 --status [--json]
//   ha-agent --config cluster.conf --node edge1 --switchover [--to NODE] [--instance NAME]
//   ha-agent --config cluster.conf --node edge1 --release-vips
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>

#include "common/hmac.h"
#include "common/key_ring.h"
#include "common/logging.h"
#include "common/reactor.h"
#include "config/host_checks.h"
#include "config/loader.h"
#include "ha/agent/agent.h"
#include "ha/announce/route_announcer.h"
#include "ha/announce/route_table.h"
#include "ha/agent/command_line.h"
#include "ha/control/control_client.h"
#include "ha/agent/protobuf_log.h"
#include "ha/agent/settings.h"
#include "ha/control/status_builder.h"
#include "ha/vip/capabilities.h"
#include "ha/vip/vip_manager.h"

namespace {

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

// --release-vips: what a SIGTERM'd agent does on its way out, for an agent
// that could not (kill -9, a crash): every configured VIP of this node and
// every Tandem-labelled address leave its interface. Idempotent; refused
// while an agent for the node still answers.
int release_vips(const tandem::config::Cluster& cluster, const std::string& node) {
  const auto* self = tandem::config::find_node(cluster, node);
  std::vector<tandem::Prefix> configured;
  for (const auto& plan : tandem::ha::plan_instances(cluster, node))
    for (const auto& p : plan.vips) configured.push_back(p);
  // Every node active (ha.announce): the dead agent's host routes would keep
  // BIRD announcing this node, and the VIPs on the announce interface would
  // keep it accepting, with no agent left to withdraw either.
  std::optional<tandem::ha::RouteAnnounceSettings> announce;
  if (cluster.ha().has_announce()) announce = tandem::ha::announce_settings(cluster, *self);
  if (configured.empty() && !announce) {
    std::cout << "ha-agent: node " << node << " runs no instance and announces nothing; no VIP to release\n";
    return 0;
  }
  std::string error;
  // A live agent owns its VIPs: pulling them from under a master would cut
  // its clients off. (After kill -9 the socket file stays, but nobody answers.)
  if (const auto& path = self->control_socket(); !path.empty()) {
    tandem::wire::ControlRequest probe;
    probe.mutable_status();
    if (tandem::ha::control_exchange(path, probe, std::chrono::milliseconds{500}, error)) {
      std::cerr << "ha-agent: an agent still answers on " << path
                << "; --release-vips is for a node whose agent is gone (stop it first: its SIGTERM "
                   "releases the VIPs itself)\n";
      return 1;
    }
  }
  auto vips = tandem::ha::VipManager::open(error);
  if (!vips) {
    std::cerr << "ha-agent: rtnetlink: " << error << "\n";
    return 1;
  }
  if (announce) {
    // Withdraw first: the routers stop sending before the addresses go.
    auto table = tandem::ha::RouteTable::open(announce->table, announce->interface, error);
    if (!table || !table->remove(announce->vips, error)) {
      std::cerr << "ha-agent: withdrawing the announced routes of " << node << " from table " << announce->table
                << ": " << error << "\n";
      return 1;
    }
    for (const auto& text : announce->vip_texts)
      std::cout << "withdrew " << text << " (routing table " << announce->table << ")\n";
  }
  bool any = false;
  const auto release_from = [&](const std::string& ifname, const std::vector<tandem::Prefix>& prefixes) {
    auto removed = vips->remove_leftovers(ifname, prefixes, error);
    if (!removed) {
      std::cerr << "ha-agent: releasing the VIPs of " << node << " on " << ifname << ": " << error << "\n";
      return false;
    }
    for (const auto& p : *removed)
      std::cout << "released " << tandem::ha::format_prefix(p) << " from " << ifname << "\n";
    any = any || !removed->empty();
    return true;
  };
  if (!configured.empty() && !release_from(self->interface(), configured)) return 1;
  if (announce && !release_from(announce->interface, announce->vips)) return 1;
  if (!any) std::cout << "no VIP of " << node << " was on " << self->interface()
                      << (announce ? " or " + announce->interface : std::string()) << "\n";
  return 0;
}

// --check-config, after the file's own checks: what only this host can tell
// (the key file, the interface).
int check_on_this_host(const tandem::config::LoadResult& loaded, const std::string& config_path,
                       const std::string& node) {
  const auto problems = tandem::config::check_host(loaded, node, tandem::config::SystemHost(), {});
  if (!problems.empty()) {
    std::cerr << tandem::config::format_problems(problems);
    std::cerr << "ha-agent: " << problems.size() << " problem(s) in " << config_path << " on this host\n";
    return 1;
  }
  std::cout << config_path << ": configuration is valid for node " << node << "\n";
  return 0;
}

// The cluster keys, only from files no one else can read; nullopt with ERROR.
std::optional<tandem::KeyRing> read_private_keys(const tandem::config::Cluster& cluster, std::string& error) {
  tandem::KeyRing keys;
  if (!tandem::read_private_key_ring(cluster.ha().key_file(), cluster.ha().next_key_file(), keys, error))
    return std::nullopt;
  return keys;
}

// Runs the agent until it is stopped; 1 when it cannot start.
int run_agent(const tandem::config::Cluster& cluster, const std::string& config_path, const std::string& node) {
  std::string error;
  auto keys = read_private_keys(cluster, error);
  if (!keys) {
    std::cerr << "ha-agent: " << error << "\n";
    spdlog::critical("startup_failed error=\"{}\"", error);
    return 1;
  }
  try {
    tandem::ha::Agent agent(cluster, node, std::move(*keys));
    // SIGHUP re-reads the cluster file's key_file and next_key_file.
    agent.set_key_reloader([config_path, node](std::string& why) -> std::optional<tandem::KeyRing> {
      auto again = tandem::config::load_for_node(config_path, node);
      if (!again.cluster) {
        why = tandem::config::format_problems(again.problems);
        return std::nullopt;
      }
      return read_private_keys(*again.cluster, why);
    });
    return agent.run();
  } catch (const std::exception& e) {
    spdlog::critical("startup_failed error=\"{}\"", e.what());
    return 1;
  }
}

}  // namespace

int main(int argc, char** argv) {
  using Mode = tandem::ha::AgentCommandLine::Mode;
  std::string usage_error;
  const auto command_line =
      tandem::ha::parse_agent_command_line(std::vector<std::string>(argv + 1, argv + argc), usage_error);
  if (!command_line) {
    std::cerr << "ha-agent: " << usage_error << "\n\n" << tandem::ha::agent_usage();
    return 2;
  }
  if (command_line->mode == Mode::help) {
    std::cout << tandem::ha::agent_usage();
    return 0;
  }
  const auto& config_path = command_line->config_path;
  const auto& node = command_line->node;
  const Mode mode = command_line->mode;
  if (auto error = tandem::init_logging("ha-agent", command_line->log_level); !error.empty()) {
    std::cerr << "ha-agent: " << error << "\n";
    return 2;
  }
  tandem::ha::route_protobuf_logs_to_spdlog();

  if (mode == Mode::run || mode == Mode::release_vips) {
    // A build on io_uring stops here, saying what to change, where the kernel refuses io_uring.
    if (auto problem = tandem::reactor_problem("ha-agent"); !problem.empty()) {
      std::cerr << problem << "\n";
      return 1;
    }
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
  if (mode == Mode::status || mode == Mode::switchover)
    return run_client(*self, mode == Mode::status, command_line->json, command_line->to, command_line->instance);

  // What the validator cannot know: the agent's own view must build too.
  try {
    (void)tandem::ha::ha_settings(cluster);
    (void)tandem::ha::plan_instances(cluster, node);
  } catch (const std::exception& e) {
    std::cerr << config_path << ": error: " << e.what() << "\n";
    return 1;
  }
  if (mode == Mode::release_vips) return release_vips(cluster, node);
  if (mode == Mode::check_config) return check_on_this_host(loaded, config_path, node);
  return run_agent(cluster, config_path, node);
}
