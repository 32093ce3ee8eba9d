// lb-proxy: Tandem's data path. See lb/runtime/proxy.h.
//
//   lb-proxy --config cluster.conf --node edge1 [--check-config] [--workers N] [--log-level info]
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>

#include <spdlog/spdlog.h>

#include "common/logging.h"
#include "config/loader.h"
#include "lb/runtime/proxy.h"

namespace {

const char* kUsage =
    "usage: lb-proxy --config FILE --node NAME [options]\n"
    "\n"
    "  --config FILE     the cluster file (protobuf text format, see config/examples/)\n"
    "  --node NAME       which node of the file this host is\n"
    "  --check-config    only check the file: print every problem as file:line:col, exit 0 or 1\n"
    "  --workers N       worker threads (default: the node's `workers`, else one per core)\n"
    "  --log-level L     trace, debug, info (default), warn, error\n"
    "\n"
    "Signals: SIGHUP reloads the file (an invalid one is refused, the old one stays);\n"
    "SIGTERM stops accepting and lets in-flight requests finish within drain_grace_ms.\n";

}  // namespace

int main(int argc, char** argv) {
  tandem::lb::ProxyOptions options;
  bool check_only = false;
  std::string level = "info";
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::cerr << "lb-proxy: " << arg << " needs a value\n" << kUsage;
        std::exit(2);
      }
      return argv[++i];
    };
    if (arg == "--config") {
      options.config_path = value();
    } else if (arg == "--node") {
      options.node = value();
    } else if (arg == "--check-config") {
      check_only = true;
    } else if (arg == "--workers") {
      options.workers = static_cast<unsigned>(std::stoul(value()));
    } else if (arg == "--log-level") {
      level = value();
    } else if (arg == "--help" || arg == "-h") {
      std::cout << kUsage;
      return 0;
    } else {
      std::cerr << "lb-proxy: unknown argument '" << arg << "'\n" << kUsage;
      return 2;
    }
  }
  if (options.config_path.empty() || options.node.empty()) {
    std::cerr << "lb-proxy: --config and --node are required\n" << kUsage;
    return 2;
  }
  if (auto error = tandem::init_logging("lb-proxy", level); !error.empty()) {
    std::cerr << "lb-proxy: " << error << "\n";
    return 2;
  }
  auto loaded = tandem::config::load_for_node(options.config_path, options.node);
  if (!loaded.cluster) {
    std::cerr << tandem::config::format_problems(loaded.problems);
    std::cerr << "lb-proxy: " << loaded.problems.size() << " problem(s) in " << options.config_path
              << "; nothing was started\n";
    return 1;
  }
  if (check_only) {
    std::cout << options.config_path << ": configuration is valid for node " << options.node << "\n";
    return 0;
  }
  try {
    tandem::lb::Proxy proxy(options);
    return proxy.run(*loaded.cluster);
  } catch (const std::exception& e) {
    spdlog::critical("startup_failed error=\"{}\"", e.what());
    return 1;
  }
}
