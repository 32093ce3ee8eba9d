// lb-proxy's command line. Pure: argv in, what to do (or why not) out.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "lb/proxy.h"

namespace tandem::lb {

struct ProxyCommandLine {
  ProxyOptions options;        // --config, --node, --workers
  bool check_only = false;     // --check-config
  std::string log_level = "info";
  bool help = false;           // --help: print usage(), exit 0
};

// Parses ARGS (without the program name). nullopt with ERROR set on a usage
// error (unknown option, missing or bad value, --config or --node absent);
// main() prints it with usage() and exits 2, starting nothing.
std::optional<ProxyCommandLine> parse_proxy_command_line(const std::vector<std::string>& args, std::string& error);

// The --help text.
std::string proxy_usage();

}  // namespace tandem::lb
