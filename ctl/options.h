// lbctl's command line: global options, the command and its arguments.
// Pure: parses argv into Options, or says what is wrong.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace tandem::ctl {

enum class ColorMode { automatic, always, never };

struct Options {
  // Global.
  std::string config;                        // --config, $TANDEM_CONFIG, /etc/tandem/cluster.conf
  std::string key;                           // --key; default the cluster file's ha.key_file
  std::chrono::milliseconds timeout{1000};   // --timeout: per node, per request
  bool json = false;                         // --json
  ColorMode color = ColorMode::automatic;    // --color / --no-color
  bool help = false;                         // --help (global or for the command)

  std::string command;                       // status, watch, servers, ...
  std::vector<std::string> args;             // positional arguments after the command

  // Command options.
  std::optional<std::chrono::milliseconds> interval;  // status, watch, servers
  std::optional<int> count;                  // watch: stop after N refreshes
  std::string to;                            // failover --to
  std::string instance;                      // failover --instance
  std::chrono::milliseconds wait{10000};     // failover --wait
  bool probe = true;                         // failover: --no-probe
  std::string probe_target;                  // failover --probe IP:PORT
  std::string pool;                          // drain/disable/enable --pool
  std::string node;                          // stick list --node
  int limit = 50;                            // events --limit
};

inline constexpr const char* kDefaultConfig = "/etc/tandem/cluster.conf";

// Parses ARGV (without the program name). CONFIG_ENV is $TANDEM_CONFIG (or
// nullptr). nullopt with ERROR set on a usage error.
std::optional<Options> parse_options(const std::vector<std::string>& argv, const char* config_env,
                                     std::string& error);

// "500ms", "1s", "1.5s", "2" (seconds) as milliseconds; nullopt when not a duration.
std::optional<std::chrono::milliseconds> parse_duration(const std::string& text);

// The usage text: the overview, or one command's.
std::string usage(const std::string& command = {});

// Every command name.
const std::vector<std::string>& command_names();

// True for the words after `servers` that change a pool's set (add, remove,
// weight, sync) rather than name a pool to show.
bool is_server_set_verb(const std::string& word);

}  // namespace tandem::ctl
