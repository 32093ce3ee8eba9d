#include "lb/runtime/generation.h"

#include "common/address.h"
#include "config/loader.h"

namespace tandem::lb {

std::shared_ptr<PoolRuntime> Generation::pool(const std::string& name) const {
  for (const auto& p : pools) {
    if (p->name() == name) return p;
  }
  return nullptr;
}

std::shared_ptr<Generation> build_generation(const config::Cluster& cluster, const std::string& node,
                                             const Generation* previous, std::uint64_t id) {
  auto gen = std::make_shared<Generation>();
  gen->id = id;
  gen->cluster = cluster;
  gen->node = *config::find_node(cluster, node);
  for (const auto& p : cluster.pools()) {
    auto pool = std::make_shared<PoolRuntime>(p, node);
    if (previous) {
      if (auto old = previous->pool(p.name())) pool->inherit(*old);
    }
    gen->pools.push_back(std::move(pool));
  }
  for (const auto& l : cluster.listeners()) {
    auto lr = std::make_shared<ListenerRuntime>();
    lr->config = l;
    lr->bind = config::effective_bind(gen->node, l);
    std::string error;
    auto hp = parse_host_port(lr->bind, error);
    lr->endpoint = boost::asio::ip::tcp::endpoint(hp->address, hp->port);
    lr->timeouts = config::effective_timeouts(cluster, l);
    lr->limits = config::effective_http_limits(cluster, l);
    lr->http2 = config::effective_http2(cluster, l);
    lr->max_connections = config::effective_max_connections(cluster, l);
    lr->forwarded_headers = !l.has_forwarded_headers() || l.forwarded_headers();
    lr->pool = gen->pool(l.pool());
    if (previous) {
      for (const auto& old : previous->listeners) {
        if (old->config.name() == l.name()) lr->stats = old->stats;
      }
    }
    if (!lr->stats) lr->stats = std::make_shared<ListenerStats>();
    gen->listeners.push_back(std::move(lr));
  }
  return gen;
}

}  // namespace tandem::lb
