// libFuzzer target for the cluster file: protobuf text format, then the
// validator (config/loader.h), then what each binary builds from a file that
// passed, as lb-proxy and ha-agent do at start-up: the proxy's generation
// for every node, the agent's settings and failover instances, the control
// endpoints. A file either gets problems (each with a place and a message)
// or builds: nothing the validator passes may crash or throw later, except
// where the agent documents std::invalid_argument for its own checks.
// run: ./config_fuzz -max_len=8192 -dict=config/fuzz/config_fuzz.dict config/fuzz/corpus/config_fuzz
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <string_view>

#include <google/protobuf/stubs/logging.h>

#include "config/control_endpoints.h"
#include "config/defaults.h"
#include "config/loader.h"
#include "ha/agent/settings.h"
#include "lb/runtime/generation.h"

namespace {

void check(bool invariant) {
  if (!invariant) std::abort();
}

void exercise(const tandem::config::Cluster& cluster) {
  using namespace tandem::config;
  for (const auto& pool : cluster.pools()) {
    (void)effective_health_check(pool);
    (void)effective_passive_check(pool);
    (void)effective_stickiness(pool);
    (void)pool_retries(pool);
    for (const auto& s : pool.servers()) (void)server_weight(s);
  }
  for (const auto& listener : cluster.listeners()) {
    (void)effective_timeouts(cluster, listener);
    (void)effective_http_limits(cluster, listener);
    (void)effective_max_connections(cluster, listener);
  }
  const auto targets = control_targets(cluster);
  check(targets.size() == static_cast<std::size_t>(cluster.nodes_size()));
  try {
    (void)tandem::ha::ha_settings(cluster);
  } catch (const std::invalid_argument&) {
  }
  for (const auto& node : cluster.nodes()) {
    const auto gen = tandem::lb::build_generation(cluster, node.name(), nullptr, 1);
    check(gen->pools.size() == static_cast<std::size_t>(cluster.pools_size()));
    for (const auto& l : gen->listeners) check(l->pool != nullptr);  // listeners name pools that exist
    (void)tandem::lb::build_generation(cluster, node.name(), gen.get(), 2);  // a reload onto itself
    try {
      (void)tandem::ha::plan_instances(cluster, node.name());
    } catch (const std::invalid_argument&) {
    }
  }
}

}  // namespace

// Protobuf logs every string field that is not UTF-8 as it refuses it; at
// thousands of inputs a second that logging is most of the run.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto result = tandem::config::parse_cluster_text(text, "fuzz.conf");
  check(result.cluster.has_value() == result.problems.empty());
  for (const auto& p : result.problems) check(!p.where.empty() && !p.message.empty());
  (void)tandem::config::format_problems(result.problems);
  if (result.cluster) exercise(*result.cluster);
  return 0;
}
