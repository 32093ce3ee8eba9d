// One generation of the proxy's configuration: listeners and pools as loaded
// from one version of the cluster file. Immutable once built; a SIGHUP builds
// the next one (inheriting live server state) and workers swap to it, while
// connections already open keep the generation they started with.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/ip/tcp.hpp>

#include "config/defaults.h"
#include "config/proto/cluster.pb.h"
#include "lb/runtime/listener_stats.h"
#include "lb/proxy_protocol/trusted_sources.h"
#include "lb/runtime/pool_runtime.h"

namespace tandem::lb {

namespace tls {
class ServerContexts;
}

struct ListenerRuntime {
  config::Listener config;
  std::string bind;                          // after the node's bind_overrides
  boost::asio::ip::tcp::endpoint endpoint;
  config::EffectiveTimeouts timeouts;
  config::EffectiveHttpLimits limits;
  config::EffectiveHttp2 http2;              // HTTP listeners: HTTP/2 by prior knowledge (docs/http2.md)
  std::uint32_t max_connections = 0;
  bool forwarded_headers = true;
  // accept_proxy: who must send a PROXY header, and how long it may take (lb/runtime/proxy_accept.h).
  std::optional<proxy_protocol::TrustedSources> proxy_trust;
  std::chrono::milliseconds proxy_header_timeout{3000};
  std::shared_ptr<PoolRuntime> pool;
  std::shared_ptr<ListenerStats> stats;      // survives reloads
  std::shared_ptr<tls::ServerContexts> tls;  // set: the listener terminates TLS (lb/tls/server_context.h)
};

struct Generation {
  std::uint64_t id = 0;
  config::Cluster cluster;
  config::Node node;
  std::vector<std::shared_ptr<ListenerRuntime>> listeners;
  std::vector<std::shared_ptr<PoolRuntime>> pools;

  std::shared_ptr<PoolRuntime> pool(const std::string& name) const;
};

// Servers of OLD's pools that NEXT no longer has (by name and address)
// stop taking clients in OLD (MAINTENANCE), which connections opened before
// the change still use: in-flight requests finish, new requests and their
// sticky clients go to the servers that remain.
void retire_missing_servers(const Generation& old, const Generation& next);

// Builds generation ID of CLUSTER for NODE (which must exist). Live state
// (health, stick tables, counters) is inherited from PREVIOUS when given.
std::shared_ptr<Generation> build_generation(const config::Cluster& cluster, const std::string& node,
                                             const Generation* previous, std::uint64_t id);

}  // namespace tandem::lb
