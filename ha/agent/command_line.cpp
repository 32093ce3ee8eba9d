#include "ha/agent/command_line.h"

#include <utility>

#include "common/command_line.h"

namespace tandem::ha {

namespace {

namespace po = boost::program_options;

po::options_description describe() {
  po::options_description agent("Options");
  agent.add_options()
      ("config", po::value<std::string>()->value_name("FILE"),
       "the cluster file (protobuf text format, see config/examples/)")
      ("node", po::value<std::string>()->value_name("NAME"), "which node of the file this host is")
      ("check-config", "only check the file, then what only this host can tell (the key file, the "
                       "node's interface): print every problem as file:line:col, exit 0 or 1")
      ("log-level", po::value<std::string>()->value_name("L")->default_value("info"),
       "trace, debug, info, warn, error")
      ("release-vips", "remove this node's configured VIPs from its interface and exit (idempotent; "
                       "the unit's ExecStopPost, so a killed agent leaves no VIP behind)")
      ("help,h", "this text");
  po::options_description client(
      "Control client (talks to the running agent of --node through its control_socket)");
  client.add_options()
      ("status", "print its status (exit 2 when it cannot be reached)")
      ("json", "with --status: print JSON")
      ("switchover", "hand the master role over (planned, faster than a failure)")
      ("to", po::value<std::string>()->value_name("NODE"),
       "with --switchover: the node to hand over to (default: best backup)")
      ("instance", po::value<std::string>()->value_name("NAME"),
       "with --switchover: only this instance (default: every instance it masters)");
  agent.add(client);
  return agent;
}

}  // namespace

std::optional<AgentCommandLine> parse_agent_command_line(const std::vector<std::string>& args, std::string& error) {
  using Mode = AgentCommandLine::Mode;
  po::variables_map vm;
  if (!command_line::parse(args, describe(), {}, vm, error)) return std::nullopt;
  AgentCommandLine out;
  if (vm.count("help")) {
    out.mode = Mode::help;
    return out;
  }
  if (!vm.count("config") || !vm.count("node")) {
    error = "--config and --node are required";
    return std::nullopt;
  }
  out.config_path = vm["config"].as<std::string>();
  out.node = vm["node"].as<std::string>();
  out.log_level = vm["log-level"].as<std::string>();
  int modes = 0;
  for (auto [flag, mode] : {std::pair{"check-config", Mode::check_config}, std::pair{"status", Mode::status},
                            std::pair{"switchover", Mode::switchover}, std::pair{"release-vips", Mode::release_vips}}) {
    if (!vm.count(flag)) continue;
    out.mode = mode;
    ++modes;
  }
  if (modes > 1) {
    error = "--check-config, --status, --switchover and --release-vips exclude each other";
    return std::nullopt;
  }
  out.json = vm.count("json") > 0;
  if (vm.count("to")) out.to = vm["to"].as<std::string>();
  if (vm.count("instance")) out.instance = vm["instance"].as<std::string>();
  if ((out.json && out.mode != Mode::status) ||
      ((vm.count("to") || vm.count("instance")) && out.mode != Mode::switchover)) {
    error = "--json goes with --status; --to and --instance go with --switchover";
    return std::nullopt;
  }
  return out;
}

std::string agent_usage() {
  return command_line::usage(
      "usage: ha-agent --config FILE --node NAME [options]\n", describe(),
      "Exit: 0 ok, 1 a bad cluster file, key or interface, or a failed start, 2 a bad command line.\n"
      "Signals: SIGTERM/SIGINT resign (priority 0, naming a successor), remove the VIPs,\n"
      "mark the state file stale and exit 0.\n");
}

}  // namespace tandem::ha
