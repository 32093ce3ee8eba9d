// ha-agent's command line. Pure: argv in, what to do (or why not) out.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace tandem::ha {

struct AgentCommandLine {
  enum class Mode {
    run,           // the agent itself
    check_config,  // --check-config: the file, then this host (key file, interface)
    status,        // --status [--json]: ask the running agent
    switchover,    // --switchover [--to NODE] [--instance NAME]
    release_vips,  // --release-vips: remove this node's VIPs and exit (systemd ExecStopPost)
    help,          // --help
  };
  Mode mode = Mode::run;
  std::string config_path;
  std::string node;
  std::string log_level = "info";
  bool json = false;
  std::string to;
  std::string instance;
};

// Parses ARGS (without the program name). nullopt with ERROR set on a usage
// error: unknown option, missing value, --config or --node absent, two modes
// at once, or a mode's option without its mode. main() prints it with
// agent_usage() and exits 2, starting nothing.
std::optional<AgentCommandLine> parse_agent_command_line(const std::vector<std::string>& args, std::string& error);

// The --help text.
std::string agent_usage();

}  // namespace tandem::ha
