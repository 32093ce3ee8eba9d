// lb-proxy: Tandem's data path. See lb/proxy.h.
//
//   lb-proxy --config cluster.conf --node edge1 [--check-config] [--workers N] [--log-level info]
#include <iostream>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>

#include "common/logging.h"
#include "common/reactor.h"
#include "config/host_checks.h"
#include "config/loader.h"
#include "lb/server_set/server_set_store.h"
#include "lb/command_line.h"
#include "lb/proxy.h"
#include "lb/tls/server_context.h"
#include "lb/tls/upstream_context.h"

int main(int argc, char** argv) {
  std::string usage_error;
  const auto command_line =
      tandem::lb::parse_proxy_command_line(std::vector<std::string>(argv + 1, argv + argc), usage_error);
  if (!command_line) {
    std::cerr << "lb-proxy: " << usage_error << "\n\n" << tandem::lb::proxy_usage();
    return 2;
  }
  if (command_line->help) {
    std::cout << tandem::lb::proxy_usage();
    return 0;
  }
  const auto& options = command_line->options;
  if (auto error = tandem::init_logging("lb-proxy", command_line->log_level); !error.empty()) {
    std::cerr << "lb-proxy: " << error << "\n";
    return 2;
  }
  auto loaded = tandem::config::load_for_node(options.config_path, options.node);
  if (loaded.cluster && command_line->check_only) {
    // What only this host can tell: its key file. (The interface is the agent's.)
    loaded.problems = tandem::config::check_host(loaded, options.node, tandem::config::SystemHost(),
                                                 tandem::config::HostChecks{.interface = false});
    // The node's runtime server changes, merged over the file (docs/discovery.md).
    if (loaded.problems.empty())
      (void)tandem::lb::ServerSetStore::load(*loaded.cluster, options.node, options.config_path, loaded.problems);
    // The certificates and keys of TLS listeners, read as a start would.
    auto tls = tandem::lb::tls::load_listener_tls(*loaded.cluster, loaded.filename, loaded.locations.get());
    loaded.problems.insert(loaded.problems.end(), tls.problems.begin(), tls.problems.end());
    // The CA, client certificate and key files of pools with TLS to their servers.
    auto upstream_tls = tandem::lb::tls::load_upstream_tls(*loaded.cluster, loaded.filename, loaded.locations.get());
    loaded.problems.insert(loaded.problems.end(), upstream_tls.problems.begin(), upstream_tls.problems.end());
    for (const auto& warning : upstream_tls.warnings) std::cerr << "warning: " << warning << "\n";
    if (!loaded.problems.empty()) loaded.cluster.reset();
  }
  if (!loaded.cluster) {
    std::cerr << tandem::config::format_problems(loaded.problems);
    std::cerr << "lb-proxy: " << loaded.problems.size() << " problem(s) in " << options.config_path
              << "; nothing was started\n";
    return 1;
  }
  if (command_line->check_only) {
    std::cout << options.config_path << ": configuration is valid for node " << options.node << "\n";
    return 0;
  }
  // A build on io_uring stops here, saying what to change, where the kernel refuses io_uring.
  if (auto problem = tandem::reactor_problem("lb-proxy"); !problem.empty()) {
    std::cerr << problem << "\n";
    return 1;
  }
  spdlog::info("reactor {}", tandem::reactor_name());
  try {
    tandem::lb::Proxy proxy(options);
    return proxy.run(*loaded.cluster);
  } catch (const std::exception& e) {
    spdlog::critical("startup_failed error=\"{}\"", e.what());
    return 1;
  }
}
