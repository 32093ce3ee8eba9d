#include "lb/command_line.h"

#include "common/command_line.h"

namespace tandem::lb {

namespace {

namespace po = boost::program_options;

// The validator allows up to 256 workers in the file; the flag has the same bound.
constexpr long long kMaxWorkers = 256;

po::options_description describe() {
  po::options_description d("Options");
  d.add_options()
      ("config", po::value<std::string>()->value_name("FILE"),
       "the cluster file (protobuf text format, see config/examples/)")
      ("node", po::value<std::string>()->value_name("NAME"), "which node of the file this host is")
      ("check-config", "only check the file and this host's key file: print every problem as "
                       "file:line:col, exit 0 or 1")
      ("workers", po::value<std::string>()->value_name("N"),
       "worker threads, 1-256; 0 or absent: the node's `workers`, else one per core")
      ("log-level", po::value<std::string>()->value_name("L")->default_value("info"),
       "trace, debug, info, warn, error")
      ("help,h", "this text");
  return d;
}

}  // namespace

std::optional<ProxyCommandLine> parse_proxy_command_line(const std::vector<std::string>& args, std::string& error) {
  po::variables_map vm;
  if (!command_line::parse(args, describe(), {}, vm, error)) return std::nullopt;
  ProxyCommandLine out;
  if (vm.count("help")) {
    out.help = true;
    return out;
  }
  if (!vm.count("config") || !vm.count("node")) {
    error = "--config and --node are required";
    return std::nullopt;
  }
  out.options.config_path = vm["config"].as<std::string>();
  out.options.node = vm["node"].as<std::string>();
  out.check_only = vm.count("check-config") > 0;
  out.log_level = vm["log-level"].as<std::string>();
  if (vm.count("workers")) {
    const auto& text = vm["workers"].as<std::string>();
    auto n = command_line::parse_integer(text, 0, kMaxWorkers);
    if (!n) {
      error = "--workers: '" + text + "' is not a number of threads from 0 to 256";
      return std::nullopt;
    }
    out.options.workers = static_cast<unsigned>(*n);
  }
  return out;
}

std::string proxy_usage() {
  return command_line::usage(
      "usage: lb-proxy --config FILE --node NAME [options]\n", describe(),
      "Exit: 0 ok, 1 a bad cluster file or a failed start, 2 a bad command line.\n"
      "Signals: SIGHUP reloads the file (an invalid one is refused, the old one stays);\n"
      "SIGTERM stops accepting and lets in-flight requests finish within drain_grace_ms.\n");
}

}  // namespace tandem::lb
