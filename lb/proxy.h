// lb-proxy as a whole: the workers, the control thread (admin listener,
// health checks, periodic upkeep, signals) and the configuration lifecycle:
// SIGHUP reloads without dropping connections (or keeps the old file and
// says why), SIGTERM/SIGINT drain within the grace period, then exit.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "lb/runtime/generation.h"

namespace tandem::lb {

struct ProxyOptions {
  std::string config_path;
  std::string node;
  unsigned workers = 0;  // 0: from the config, else one per core
};

class Proxy {
 public:
  explicit Proxy(ProxyOptions options);
  ~Proxy();

  // Starts everything for CLUSTER, blocks until a drain completes; returns
  // the process exit code. Start-up failures (a port in use...) throw
  // std::runtime_error with a message for the operator.
  int run(const config::Cluster& cluster);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tandem::lb
